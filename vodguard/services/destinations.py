"""Where the server may send an app's events: no loopback, link-local or private address unless the operator says so.

An app sets a NotificationUrl and the PUSH dispatcher POSTs to it, so without a guard any app's key could make the
server send requests into its own network: cloud metadata on 169.254.169.254, admin ports on 127.0.0.1, RFC 1918
hosts. The rule is applied twice:

- ``check_url`` when the URL is configured, on the literal address or on what the host resolves to then;
- ``GuardedTransport`` at every connection: it resolves the host itself, checks every address and connects only to
  one it checked, so a name that resolves elsewhere later (DNS rebinding) cannot slip through.

``VODGUARD_NOTIFY_ALLOW`` (``AllowList``) names the hosts or networks allowed anyway, for receivers on premises.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

# The operator's allow list is a setting, so it lives (and is checked at start-up) in config; re-exported here.
from vodguard.config import Address as Address
from vodguard.config import AllowList as AllowList
from vodguard.config import normal_host

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
ANSWER_BYTES = 64 << 10  # most of a receiver's answer that is read; only its status counts
HINT = (
    "events are not sent to loopback, link-local or private addresses unless VODGUARD_NOTIFY_ALLOW lists the host "
    "or its network"
)


class UnsafeDestination(Exception):
    """The host is, or resolves to (``address``, empty for an address literal), an address of a ``kind``
    (loopback, private, ...) the server does not send events to."""

    def __init__(self, message: str, *, host: str = "", address: str = "", kind: str = "") -> None:
        super().__init__(message)
        self.host, self.address, self.kind = host, address, kind


class DestinationRefused(httpx.ConnectError):
    """Raised by ``GuardedTransport`` instead of connecting to a refused address."""


def _carried(address: Address) -> list[Address]:
    """The address and every IPv4 address it carries (IPv4-mapped, 6to4, NAT64): each is where it may lead."""
    out: list[Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        out += [inner for inner in (address.ipv4_mapped, address.sixtofour) if inner is not None]
        if address in _NAT64:
            out.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return out


def _kind(address: Address) -> str | None:
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_unspecified:
        return "unspecified"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "non-public"
    return None


def refusal(address: Address, allow: AllowList) -> str | None:
    """Why the server does not connect to ``address`` (``"loopback"``, ``"private"``, ...); None when it may."""
    carried = _carried(address)
    if any(allow.allows_address(a) for a in carried):
        return None
    return next((kind for kind in map(_kind, reversed(carried)) if kind), None)  # the IPv4 one names it best


def resolve(host: str, port: int, allow: AllowList) -> list[str]:
    """The addresses of ``host`` to connect to, all checked; raises ``UnsafeDestination`` when any is refused.

    A host the allow-list names is taken as it resolves. Raises OSError when the name does not resolve.
    """
    try:
        addresses: list[Address] = [ipaddress.ip_address(normal_host(host))]
        literal = True
    except ValueError:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
        literal = False
    if not allow.allows_host(host):
        for address in addresses:
            kind = refusal(address, allow)
            if kind:
                how = "is" if literal else f"resolves to {address},"
                article = "an" if kind[0] in "aeiou" else "a"
                raise UnsafeDestination(
                    f"{host} {how} {article} {kind} address; {HINT}",
                    host=host, address="" if literal else str(address), kind=kind,
                )  # fmt: skip
    return [str(a) for a in addresses]


def check_url(url: str, allow: AllowList) -> None:
    """Raise ``UnsafeDestination`` when the host of ``url`` is, or now resolves to, a refused address.

    A host that does not resolve passes: it may exist later, and every delivery checks again.
    """
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        resolve(parts.hostname or "", port, allow)
    except (OSError, UnicodeError, ValueError):
        return


class _GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend with the check between name resolution and connecting."""

    def __init__(self, allow: AllowList) -> None:
        self._allow = allow
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve(host, port, self._allow)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"{host} does not resolve: {exc}") from exc
        failure: Exception | None = None
        for address in addresses:  # connect to a checked address, never to the name again
            try:
                return self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # getaddrinfo never answers an empty list
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("events are not sent over Unix sockets")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


_CORE_ERRORS = (
    httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol,
    httpcore.ProxyError, httpcore.ConnectionNotAvailable,
)  # fmt: skip


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport for event receivers: connects only to addresses ``allow`` permits, checked as it connects.

    The response carries the receiver's status and nothing else; its body is read up to ``ANSWER_BYTES`` and dropped.
    A refused address raises ``DestinationRefused``; other failures raise httpx's exception of the same name.
    """

    def __init__(self, allow: AllowList) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=_GuardedBackend(allow)
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = self._pool.handle_request(core)
            try:
                read = 0
                for chunk in response.iter_stream():
                    read += len(chunk)
                    if read >= ANSWER_BYTES:
                        break
            finally:
                response.close()
        except UnsafeDestination as exc:
            raise DestinationRefused(str(exc), request=request) from exc
        except _CORE_ERRORS as exc:
            error = getattr(httpx, type(exc).__name__, httpx.TransportError)
            raise error(str(exc), request=request) from exc
        return httpx.Response(response.status, request=request)

    def close(self) -> None:
        self._pool.close()
