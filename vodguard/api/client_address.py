"""Who is on the other end: the TCP peer, or the client a trusted proxy names in ``X-Forwarded-For``.

``VODGUARD_TRUSTED_PROXIES`` lists the proxies whose header is believed; from anyone else the header is ignored, so a
client cannot choose its own address. uvicorn's own proxy-header handling is turned off (``vodguard serve``), so
this is the one place that decides.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from fastapi import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(request: Request, trusted: Sequence[Network]) -> str:
    """The peer's address; when the peer is a trusted proxy, the nearest hop in ``X-Forwarded-For`` that is not one.

    Proxies append the address they saw, so the header is read from the right: anything left of the first
    untrusted hop was written by the client and is not believed.
    """
    peer = request.client.host if request.client else ""
    if not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for value in request.headers.getlist("x-forwarded-for") for hop in value.split(",")]
    hops = [hop for hop in hops if hop]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer
