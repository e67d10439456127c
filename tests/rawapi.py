"""Raw API 3.0 requests for the cases the SDK cannot make (stale clocks, bad bodies, odd hosts)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import httpx


def tc3_headers(
    secret_id: str, secret_key: str, action: str, body: bytes, host: str, *, timestamp: int | None = None
) -> dict[str, str]:
    ts = int(timestamp if timestamp is not None else time.time())
    date = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")
    ctype = "application/json"
    canonical = f"POST\n/\n\ncontent-type:{ctype}\nhost:{host}\n\ncontent-type;host\n{hashlib.sha256(body).hexdigest()}"
    to_sign = (
        f"TC3-HMAC-SHA256\n{ts}\n{date}/vod/tc3_request\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    )

    def h(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    k = h(h(h(("TC3" + secret_key).encode(), date), "vod"), "tc3_request")
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "Authorization": f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/vod/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={sig}",
        "Content-Type": ctype,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Version": "2018-07-17",
        "X-TC-Timestamp": str(ts),
    }


def call(
    url: str, host: str, keys, action: str, params: object = None, *, body: bytes | None = None, **kw
) -> httpx.Response:
    raw = body if body is not None else json.dumps(params or {}).encode()
    headers = tc3_headers(keys.secret_id, keys.secret_key, action, raw, host, **kw)
    return httpx.post(url + "/", content=raw, headers=headers, timeout=30)
