"""Request bodies under a byte budget: refused as soon as they pass it, whether or not Content-Length is sent.

A chunked body has no Content-Length, so a check of the header alone lets any size through; ``bounded`` counts the
bytes as they arrive instead, and the reader (``stream()``, ``body()``, ``form()``) stops at the first chunk past
the budget. Starlette's form parser closes the files it has spooled when that happens.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Message


class BodyTooLarge(HTTPException):
    """Raised while a body is read, once it is longer than its budget.

    An ``HTTPException`` (413) so that FastAPI's own form and body readers pass it on unchanged instead of turning
    it into a generic "error parsing the body"; callers turn it into their wire's specific error.
    """

    def __init__(self, limit: int, *, declared: int | None = None) -> None:
        self.limit = limit
        self.declared = declared
        size = f"is {declared} bytes" if declared is not None else "is longer than that"
        super().__init__(413, f"the request body {size}; the limit is {limit} bytes")

    @property
    def message(self) -> str:
        return str(self.detail)


def bounded(request: Request, limit: int) -> Request:
    """The same request, whose body raises ``BodyTooLarge`` past ``limit`` bytes. Call before the body is read.

    A declared Content-Length over the limit is refused at once, here, without reading any of the body.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit, declared=int(declared))
    receive = request.receive
    received = 0

    async def receive_within_budget() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return Request(request.scope, receive_within_budget)
