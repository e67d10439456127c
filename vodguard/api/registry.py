"""The action registry: ``@action("Name")`` binds a handler to one wire action.

A handler takes ``(ctx, req)`` where ``req`` is a pydantic model of the request (PascalCase fields) and returns a
dict or model of the response fields without ``RequestId``. Pydantic's validation errors become wire errors here:
a missing field is ``MissingParameter``, a wrong type ``InvalidParameter``, a bad value ``InvalidParameterValue``,
each naming the field.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from vodguard.errors import InvalidParameter, InvalidParameterValue, MissingParameter, VodError
from vodguard.services.container import Services
from vodguard.store.models import App


class VodRequest(BaseModel):
    """Base of every request model: fields the SDK never sends are ignored, SubAppId is common to all."""

    model_config = ConfigDict(extra="ignore")
    SubAppId: int | None = None


@dataclass
class Ctx:
    app: App
    services: Services
    request_id: str
    now: datetime
    language: str = "zh-CN"

    @property
    def app_id(self) -> int:
        return self.app.id

    @contextmanager
    def tx(self) -> Iterator[Session]:
        with self.services.db.transaction() as session:
            yield session


Handler = Callable[[Ctx, Any], Any]


@dataclass(frozen=True)
class Action:
    name: str
    handler: Handler
    request_model: type[VodRequest]
    rate_limit: (
        str | None
    )  # name of the Settings field with the per-app rate of this action; None: global only


ACTIONS: dict[str, Action] = {}


def action(name: str, *, rate_limit: str | None = None) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if name in ACTIONS:
            raise RuntimeError(
                f"action {name!r} is registered twice ({ACTIONS[name].handler.__module__}); rename one"
            )
        hints = typing.get_type_hints(fn)
        model = hints.get("req")
        if not (isinstance(model, type) and issubclass(model, VodRequest)):
            raise TypeError(f"handler for {name} must annotate its 'req' argument with a VodRequest model")
        ACTIONS[name] = Action(name, fn, model, rate_limit)
        return fn

    return register


def parse_request(model: type[VodRequest], data: Any) -> VodRequest:
    if not isinstance(data, dict):
        raise InvalidParameter("the request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _wire_error(exc) from None


def _wire_error(exc: ValidationError) -> VodError:
    err = exc.errors()[0]
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".") or "body"
    kind = err["type"]
    if kind == "missing":
        return MissingParameter(f"{field} is required")
    if kind.endswith(("_type", "_parsing")) or kind in ("model_attributes_type", "dict_type", "list_type"):
        return InvalidParameter(f"{field} has the wrong type: {err['msg']}")
    return InvalidParameterValue(f"{field}: {err['msg']}")
