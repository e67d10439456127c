"""Request signatures of API 3.0: TC3-HMAC-SHA256 and the legacy HmacSHA1/HmacSHA256 (spec §1.2–1.3).

Pure functions over what arrived: method, the Host header as received (port included), headers, raw body and query.
They return the SecretId the request claims; the caller looks the key up and calls ``check_*`` with its secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from vodguard.digits import parse_digits
from vodguard.errors import AuthFailure, InvalidParameter, MissingParameter, SignatureExpire, SignatureFailure

# ``A.0.B.1...``: deeper than any request model, shallow enough to walk without hitting recursion limits
MAX_KEY_PARTS = 32
_TC3 = re.compile(
    r"^TC3-HMAC-SHA256\s+Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/]+)/tc3_request,\s*"
    r"SignedHeaders=(?P<headers>[a-z0-9;\-]+),\s*Signature=(?P<sig>[0-9a-fA-F]{64})\s*$"
)


@dataclass(frozen=True)
class SignedRequest:
    """What a signature claims, before the secret is known."""

    secret_id: str
    timestamp: int
    scheme: str  # TC3 or legacy
    _check: Callable[[str], bool]  # secret_key -> whether the signature matches
    signature: str = ""  # as sent: the replay cache remembers it (services/replay.py)

    def verify(self, secret_key: str) -> None:
        if not self._check(secret_key):
            raise SignatureFailure("the request signature does not match; check the SecretKey and the Host")


def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def check_clock(timestamp: int, now: float, skew: int) -> None:
    if abs(now - timestamp) > skew:
        raise SignatureExpire(
            f"the request timestamp {timestamp} is more than {skew} s away from the server clock"
        )


def parse_tc3(
    *, method: str, host: str, headers: dict[str, str], body: bytes, query: str, authorization: str
) -> SignedRequest:
    match = _TC3.match(authorization)
    if not match:
        raise AuthFailure(
            "the Authorization header is not a TC3-HMAC-SHA256 signature",
            code="AuthFailure.InvalidAuthorization",
        )
    timestamp = parse_digits(headers.get("x-tc-timestamp", ""))
    if timestamp is None:
        raise MissingParameter("the X-TC-Timestamp header is missing or not Unix seconds (ASCII digits)")
    signed = match["headers"].split(";")
    if headers.get("x-tc-content-sha256") == "UNSIGNED-PAYLOAD":
        payload_hash = hashlib.sha256(b"UNSIGNED-PAYLOAD").hexdigest()
    else:
        payload_hash = hashlib.sha256(body if method == "POST" else b"").hexdigest()
    canonical_headers = "".join(
        f"{name}:{host if name == 'host' else headers.get(name, '')}\n" for name in signed
    )
    canonical = "\n".join(
        [method, "/", query if method == "GET" else "", canonical_headers, match["headers"], payload_hash]
    )
    scope = f"{match['date']}/{match['service']}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"

    def check(secret_key: str) -> bool:
        if match["date"] != _utc_date(timestamp):
            return False
        k = _hmac256(("TC3" + secret_key).encode(), match["date"])
        k = _hmac256(k, match["service"])
        k = _hmac256(k, "tc3_request")
        expected = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, match["sig"].lower())

    return SignedRequest(match["id"], timestamp, "TC3", check, signature=match["sig"].lower())


def _utc_date(timestamp: int) -> str:
    """``%Y-%m-%d`` of a Unix time, or "" for one past year 9999 (the caller's clock check refuses those first)."""
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    except (OverflowError, OSError, ValueError):
        return ""


def parse_legacy(*, method: str, host: str, params: list[tuple[str, str]]) -> SignedRequest:
    """HmacSHA1/HmacSHA256: the signature is a parameter over the sorted raw parameters."""
    values = dict(params)
    for name in ("SecretId", "Signature", "Timestamp"):
        if not values.get(name):
            raise MissingParameter(f"the {name} parameter is missing (no Authorization header was sent)")
    timestamp = parse_digits(values["Timestamp"])
    if timestamp is None:
        raise SignatureFailure("the Timestamp parameter is not Unix seconds (ASCII digits)")
    algorithm = {"HmacSHA256": hashlib.sha256, "HmacSHA1": hashlib.sha1}.get(
        values.get("SignatureMethod", "HmacSHA1")
    )
    if algorithm is None:
        raise SignatureFailure(f"SignatureMethod {values['SignatureMethod']!r} is not HmacSHA1 or HmacSHA256")
    pairs = sorted((k.replace("_", "."), v) for k, v in params if k != "Signature")
    to_sign = f"{method}{host}/?" + "&".join(f"{k}={v}" for k, v in pairs)

    def check(secret_key: str) -> bool:
        expected = base64.b64encode(
            hmac.new(secret_key.encode(), to_sign.encode(), algorithm).digest()
        ).decode()
        return hmac.compare_digest(expected, values["Signature"])

    return SignedRequest(values["SecretId"], timestamp, "legacy", check, signature=values["Signature"])


def unflatten(params: list[tuple[str, str]]) -> object:
    """``Name.0=a&Name.1=b&Obj.Sub=c`` → ``{"Name": ["a", "b"], "Obj": {"Sub": "c"}}`` (legacy bodies).

    A dict, except when every top-level name is an index (``0=a&1=b``): then a list, as for a nested object.
    """
    root: dict[str, object] = {}
    for key, value in params:
        parts = key.split(".", MAX_KEY_PARTS)
        if len(parts) > MAX_KEY_PARTS:
            raise InvalidParameter(f"parameter {key[:64]!r} has more than {MAX_KEY_PARTS} dotted parts")
        node: dict[str, object] = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    break
                node = child

    def listify(obj: object) -> object:
        if isinstance(obj, dict):
            indexes = {k: i for k in obj if (i := parse_digits(k)) is not None}
            if obj and len(indexes) == len(obj):
                return [listify(obj[k]) for k in sorted(obj, key=indexes.__getitem__)]
            return {k: listify(v) for k, v in obj.items()}
        return obj

    return listify(root)


def parse_form(body: bytes) -> list[tuple[str, str]]:
    return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
