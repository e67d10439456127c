"""Action handlers, one module per area. Importing this package registers them all."""

from vodguard.api.actions import (  # noqa: F401
    app_settings,
    decisions,
    events,
    known,
    media,
    review,
    tasks,
    templates,
    uploads,
)
