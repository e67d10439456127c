"""The action registry: ``@action("Name")`` binds a handler to one wire action.

A handler takes ``(ctx, req)`` where ``req`` is a pydantic model of the request (PascalCase fields) and returns
its response model from ``services/wire/responses.py``, without ``RequestId``. Pydantic's validation errors become wire errors here:
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

from vodguard.api.error_answers import validation_error
from vodguard.digits import is_int64
from vodguard.errors import InvalidParameter, InvalidParameterValue
from vodguard.services.apps import App
from vodguard.services.container import Services


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
    secret_id: str = ""  # the key the request was signed with

    @property
    def person(self) -> str:
        """Who the audit log names for this request."""
        return f"key:{self.secret_id}"

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


MAX_DEPTH = 32  # request models nest three or four levels; JSON deeper than this is refused before validation


def parse_request(model: type[VodRequest], data: Any) -> VodRequest:
    """Validate ``data`` into ``model``; any value the database or a handler could not hold is a wire error.

    Beyond the model's own types: nesting is bounded, strings must be encodable (no lone surrogates), and every
    integer must fit a signed 64-bit column, so a value that validates can always be stored.
    """
    if not isinstance(data, dict):
        raise InvalidParameter("the request body must be a JSON object")
    _check_raw(data)
    try:
        req = model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc.errors()) from None
    for path, value in _leaves(req.model_dump()):
        if isinstance(value, int) and not isinstance(value, bool) and not is_int64(value):
            raise InvalidParameterValue(f"{path} is out of range: integers must be between -2^63 and 2^63-1")
    return req


def _leaves(data: Any) -> Iterator[tuple[str, Any]]:
    """``(path, value)`` of every dict key (as a value) and scalar in ``data``, without recursion."""
    stack: list[tuple[str, Any, int]] = [("", data, 0)]
    while stack:
        path, node, depth = stack.pop()
        if depth > MAX_DEPTH:
            where = _printable(path) if path else "the body"
            raise InvalidParameter(f"{where} is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, dict):
            for key, value in node.items():
                child = f"{path}.{key}" if path else str(key)
                yield child, key
                stack.append((child, value, depth + 1))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", value, depth + 1) for i, value in enumerate(node))
        else:
            yield path or "body", node


def _check_raw(data: Any) -> None:
    for path, value in _leaves(data):
        if not isinstance(value, str):
            continue
        if not _encodable(value):
            raise InvalidParameterValue(
                f"{_printable(path)} is not valid Unicode text (it has a lone surrogate)"
            )
        if "\x00" in value:  # PostgreSQL cannot store it, and no field has a use for it
            raise InvalidParameterValue(f"{_printable(path)} contains a NUL character")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(path: str) -> str:
    return path.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")[:200]
