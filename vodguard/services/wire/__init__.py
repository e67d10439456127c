"""The API 3.0 wire format, in one place: every PascalCase shape the server sends or stores.

- ``results``: the engine's plain results (segments, outputs, media metadata) as the stored JSON dicts.
- ``shapes``: the nested shapes (tasks, media, templates, events, decisions) as pydantic models, with builders.
- ``responses``: one model per action; action handlers return these.
- ``known``: known content's entries and matches (a vodguard extension).

The engine (``moderation/``) knows nothing of this format, and this module signs nothing: URLs come in signed by
the services (``services/urls.py``). It imports no other service but ``templates`` (for a type), so every service
may use it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vodguard.services.wire import known, responses, results, shapes

__all__ = ["known", "responses", "results", "shapes"]


def __getattr__(name: str) -> Any:
    # Imported on first use: `vodguard review` needs ``results`` alone, without the database models the others use.
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
