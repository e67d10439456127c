"""Action handlers, one module per area. Importing this package registers them all."""

from vodguard.api.actions import app_settings, events, known, media, review, templates, uploads  # noqa: F401
