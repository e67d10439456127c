"""Client upload signatures (spec §4.1): ``Base64(HMAC-SHA1(SecretKey, original) || original)``.

``original`` is a URL query string (secretId, currentTimeStamp, expireTime, random, and optional procedure,
classId, oneTimeValid, sourceContext, sessionContext, taskPriority, vodSubAppId). The app backend makes one with its
key; a client uploads with it and never sees the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from vodguard.digits import parse_digits

MAX_VALIDITY = 7_776_000  # 90 days


def sign_upload(
    secret_id: str,
    secret_key: str,
    *,
    ttl: int = 3600,
    now: int | None = None,
    procedure: str | None = None,
    class_id: int | None = None,
    one_time: bool = False,
    source_context: str | None = None,
    session_context: str | None = None,
    task_priority: int | None = None,
    sub_app_id: int | None = None,
) -> str:
    """A client upload signature valid for ``ttl`` seconds."""
    current = int(now if now is not None else time.time())
    params: dict[str, object] = {
        "secretId": secret_id,
        "currentTimeStamp": current,
        "expireTime": current + ttl,
        "random": secrets.randbelow(2**32),
    }
    optional = {
        "procedure": procedure,
        "classId": class_id,
        "oneTimeValid": 1 if one_time else None,
        "sourceContext": source_context,
        "sessionContext": session_context,
        "taskPriority": task_priority,
        "vodSubAppId": sub_app_id,
    }
    params.update({k: v for k, v in optional.items() if v is not None})
    original = urlencode(params).encode()
    digest = hmac.new(secret_key.encode(), original, hashlib.sha1).digest()
    return base64.b64encode(digest + original).decode()


class SignatureInvalid(ValueError):
    """The signature is malformed, forged or expired; the message says which."""


@dataclass(frozen=True)
class UploadSignature:
    secret_id: str
    params: dict[str, str]
    expire_time: int
    digest: str  # identifies the signature for one-time use

    @property
    def one_time(self) -> bool:
        return self.params.get("oneTimeValid") == "1"


def parse_upload_signature(signature: str) -> UploadSignature:
    """Decode without checking the HMAC (the caller looks up the key and calls ``verify``)."""
    try:
        raw = base64.b64decode(signature, validate=True)
    except ValueError:
        raise SignatureInvalid("signature is not valid Base64") from None
    if len(raw) <= 20:
        raise SignatureInvalid("signature is too short")
    try:
        params = dict(parse_qsl(raw[20:].decode(), keep_blank_values=True, strict_parsing=True))
    except (UnicodeDecodeError, ValueError):
        raise SignatureInvalid("signature does not carry a query string") from None
    for name in ("secretId", "currentTimeStamp", "expireTime", "random"):
        if not params.get(name):
            raise SignatureInvalid(f"signature lacks {name}")
    current, expire = parse_digits(params["currentTimeStamp"]), parse_digits(params["expireTime"])
    if current is None or expire is None:
        raise SignatureInvalid("currentTimeStamp and expireTime must be Unix seconds (ASCII digits)")
    return UploadSignature(params["secretId"], params, expire, hashlib.sha256(raw).hexdigest())


def verify(signature: str, parsed: UploadSignature, secret_key: str, *, now: float | None = None) -> None:
    raw = base64.b64decode(signature)
    expected = hmac.new(secret_key.encode(), raw[20:], hashlib.sha1).digest()
    if not hmac.compare_digest(expected, raw[:20]):
        raise SignatureInvalid("signature does not match its SecretId's key")
    current = int(parsed.params["currentTimeStamp"])
    moment = now if now is not None else time.time()
    if parsed.expire_time - current > MAX_VALIDITY:
        raise SignatureInvalid("signature is valid for more than 90 days")
    if moment > parsed.expire_time:
        raise SignatureInvalid("signature has expired")
    if moment + 300 < current:
        raise SignatureInvalid("signature's currentTimeStamp is in the future")
