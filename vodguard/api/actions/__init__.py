"""Action handlers, one module per area. Importing this package registers them all."""

from vodguard.api.actions import app_settings, events, media, review, templates, uploads  # noqa: F401
