"""A small API 3.0 client for the command line: TC3-HMAC-SHA256 signing as the official SDKs sign, and one call.

``vodguard task show`` and ``vodguard media show`` use it against a server, so reading a result needs neither the
tencentcloud SDK (a test extra) nor anything but httpx, which the server already depends on.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

API_VERSION = "2018-07-17"
SERVICE = "vod"


class ApiCallError(Exception):
    """The server answered with an error (``code`` is its wire code), or could not be reached (``ClientNetworkError``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def tc3_headers(
    *, secret_id: str, secret_key: str, action: str, body: bytes, host: str, timestamp: int
) -> dict[str, str]:
    """The headers of a POST signed with TC3-HMAC-SHA256 over ``content-type;host`` and the body (spec §1.2)."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    content_type = "application/json"
    canonical = "\n".join(
        ["POST", "/", "", f"content-type:{content_type}\nhost:{host}\n", "content-type;host",
         hashlib.sha256(body).hexdigest()]
    )  # fmt: skip
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = ("TC3" + secret_key).encode()
    for part in (date, SERVICE, "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "Authorization": f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, "
        f"Signature={signature}",
        "Content-Type": content_type,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Version": API_VERSION,
        "X-TC-Timestamp": str(timestamp),
    }


def call(
    endpoint: str,
    *,
    secret_id: str,
    secret_key: str,
    action: str,
    params: dict[str, Any],
    timeout: float = 30,
) -> dict[str, Any]:
    """POST one signed action to ``endpoint`` (``http://host:port``) and return its ``Response`` without
    ``RequestId``; raises ``ApiCallError`` for a wire error or when the server cannot be reached."""
    host = urlsplit(endpoint).netloc
    body = json.dumps(params).encode()
    headers = tc3_headers(
        secret_id=secret_id,
        secret_key=secret_key,
        action=action,
        body=body,
        host=host,
        timestamp=int(time.time()),
    )
    try:
        answer = httpx.post(endpoint.rstrip("/") + "/", content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise ApiCallError("ClientNetworkError", f"{endpoint}: {exc or type(exc).__name__}") from None
    try:
        response = answer.json()["Response"]
    except (ValueError, KeyError, TypeError):
        raise ApiCallError(
            "ClientNetworkError", f"{endpoint} answered HTTP {answer.status_code}, not an API 3.0 response"
        ) from None
    if "Error" in response:
        error = response["Error"]
        raise ApiCallError(str(error.get("Code", "InternalError")), str(error.get("Message", "")))
    response.pop("RequestId", None)
    return dict(response)
