"""Free loopback ports for the servers tests start, and waiting until one of them listens."""

from __future__ import annotations

import socket
import time
from contextlib import ExitStack


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports nobody listens on now (all held open together, so none repeats)."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


def free_port() -> int:
    """A port nobody listens on now."""
    return free_ports(1)[0]


def wait_port(port: int, what: str, timeout: float = 30) -> None:
    """Return once something accepts connections on ``port``; ``RuntimeError`` naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start on port {port}") from None
            time.sleep(0.05)
