"""Raw API 3.0 requests for the cases the SDK cannot make (stale clocks, bad bodies, odd hosts)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

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


def legacy_body(
    secret_id: str,
    secret_key: str,
    action: str,
    pairs: list[tuple[str, str]],
    host: str,
    *,
    version: str | None,
) -> bytes:
    """A form body signed HmacSHA256 as the SDK signs it (spec §1.3), over the pairs the server will decode."""
    common = {"Action": action, "Timestamp": str(int(time.time())), "Nonce": "1", "SecretId": secret_id}
    common["SignatureMethod"] = "HmacSHA256"
    if version is not None:
        common["Version"] = version
    raw = urlencode([*pairs, *common.items()], encoding="utf-8", errors="surrogatepass")
    seen = parse_qsl(raw.encode().decode("utf-8", "replace"), keep_blank_values=True)
    to_sign = f"POST{host}/?" + "&".join(
        f"{k}={v}" for k, v in sorted((k.replace("_", "."), v) for k, v in seen)
    )
    mac = hmac.new(secret_key.encode(), to_sign.encode(), hashlib.sha256).digest()
    return (raw + "&" + urlencode({"Signature": base64.b64encode(mac).decode()})).encode()


def legacy_call(
    url: str,
    host: str,
    keys,
    action: str,
    pairs: list[tuple[str, str]],
    *,
    version: str | None = "2018-07-17",
) -> httpx.Response:
    body = legacy_body(keys.secret_id, keys.secret_key, action, pairs, host, version=version)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Host": host}
    return httpx.post(url + "/", content=body, headers=headers, timeout=30)
