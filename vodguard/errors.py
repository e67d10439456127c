"""Errors that reach the wire.

Every failure a caller can cause is a ``VodError`` subclass whose ``code`` class attribute is the API 3.0 error code;
the API layer turns it into ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`` with HTTP 200. Anything
else is a bug: logged once and answered ``InternalError``.

    VodError (InternalError)
    ├── AuthFailure
    │   ├── SignatureFailure          AuthFailure.SignatureFailure
    │   ├── SignatureExpire           AuthFailure.SignatureExpire
    │   ├── SecretIdNotFound          AuthFailure.SecretIdNotFound
    │   └── UnauthorizedOperation     AuthFailure.UnauthorizedOperation
    ├── InvalidAction
    ├── MissingParameter
    ├── InvalidParameter
    ├── InvalidParameterValue         (and .FileId, .Definition, .SessionId, ... via ``code=``)
    ├── RequestLimitExceeded
    ├── RequestSizeLimitExceeded
    ├── UnsupportedOperation
    ├── ResourceNotFound              (and .FileNotExist, .TemplateNotExist)
    ├── LimitExceeded                 (and .TooMuchTemplate)
    ├── FailedOperation
    └── InternalError
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


def N_(message: str) -> str:  # noqa: N802 (gettext's usual name for a no-op marker)
    """Marks an error message for the console's catalogue (``make messages`` extracts it); returns it as it is."""
    return message


class Words(str):
    """A part of an error message that is itself text to translate (a field's name, a kind of address, a list of
    labels), not a value someone typed: the console translates each item with the message (as the wire term of
    ``context`` when given, else as ``N_``-marked text); everyone else reads the English, the items joined by
    ", "."""

    items: tuple[str, ...]
    context: str

    def __new__(cls, *items: str, context: str = "") -> Words:
        made = super().__new__(cls, ", ".join(items))
        made.items, made.context = tuple(items), context
        return made


class VodError(Exception):
    """Base of every wire error; ``code`` may be refined per instance (``InvalidParameterValue.FileId``).

    With ``params``, ``message`` is a ``%(name)s`` template (marked with ``N_`` so that the console's catalogue
    has it) and the English message is it filled in: the API answers that, and the console can answer the same
    template in the page's language.
    """

    code: ClassVar[str] = "InternalError"

    def __init__(
        self, message: str, *, code: str | None = None, params: Mapping[str, object] | None = None
    ) -> None:
        self.template = message
        self.params: dict[str, object] = dict(params or {})
        self.message = message % self.params if self.params else message
        super().__init__(self.message)
        self.wire_code = code or self.code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.wire_code!r}, message={self.message!r})"


class AuthFailure(VodError):
    """The request could not be authenticated."""

    code = "AuthFailure"


class SignatureFailure(AuthFailure):
    """The signature does not match the request."""

    code = "AuthFailure.SignatureFailure"


class SignatureExpire(AuthFailure):
    """The request timestamp is more than five minutes away from the server clock."""

    code = "AuthFailure.SignatureExpire"


class SecretIdNotFound(AuthFailure):
    """The SecretId is unknown or revoked."""

    code = "AuthFailure.SecretIdNotFound"


class UnauthorizedOperation(AuthFailure):
    """The key may not act on what it names (another app's SubAppId, for instance)."""

    code = "AuthFailure.UnauthorizedOperation"


class InvalidAction(VodError):
    """The action is not one this server knows."""

    code = "InvalidAction"


class MissingParameter(VodError):
    """A required field is absent."""

    code = "MissingParameter"


class InvalidParameter(VodError):
    """A field has the wrong type, or the body is not what the action takes."""

    code = "InvalidParameter"


class InvalidParameterValue(VodError):
    """A field has a value outside what it accepts."""

    code = "InvalidParameterValue"


class RequestLimitExceeded(VodError):
    """The app sent more requests per second than the action allows."""

    code = "RequestLimitExceeded"


class RequestSizeLimitExceeded(VodError):
    """The request body is larger than the configured limit."""

    code = "RequestSizeLimitExceeded"


class UnsupportedOperation(VodError):
    """The action exists in the cloud but this server does not do it, or not in this state."""

    code = "UnsupportedOperation"


class ResourceNotFound(VodError):
    """What the request names does not exist (for this app)."""

    code = "ResourceNotFound"


class LimitExceeded(VodError):
    """A per-app quota is used up."""

    code = "LimitExceeded"


class FailedOperation(VodError):
    """The request is valid but cannot be carried out in the current state."""

    code = "FailedOperation"


class InternalError(VodError):
    """The server failed; the message says what without leaking internals."""

    code = "InternalError"
