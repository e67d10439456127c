"""The API 3.0 wire format, in one place: every PascalCase shape the server sends or stores.

- ``results``: the engine's plain results (segments, outputs, media metadata) as the stored JSON dicts.
- ``shapes``: the nested shapes (tasks, media, templates, events, decisions) as pydantic models, with builders.
- ``responses``: one model per action; action handlers return these.

The engine (``moderation/``) knows nothing of this format, and this module signs nothing: URLs come in signed by
the services (``services/urls.py``). It imports no other service but ``templates`` (for a type), so every service
may use it.
"""

from vodguard.services.wire import responses, results, shapes

__all__ = ["responses", "results", "shapes"]
