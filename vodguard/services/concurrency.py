"""Concurrency caps of one process, so that one app cannot starve the others (audit D5).

``AppSlots`` bounds the API requests of one app in flight: a request over the cap waits a little on the event
loop (no thread), then is refused. ``Slots`` bounds a kind of expensive work across all apps (ReviewImage runs
the engine inside the request) and is taken from a worker thread. Both are per process, like ``RateLimiter``.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager


class SlotsFull(Exception):
    """No slot came free within the wait; the caller turns it into its wire error."""


class AppSlots:
    """At most ``limit`` requests per app in flight; more wait their turn up to ``wait`` seconds, in order."""

    def __init__(self, limit: int, wait: float) -> None:
        self.limit = limit
        self.wait = wait
        self._lock = threading.Lock()
        self._busy: dict[int, int] = {}
        self._waiting: dict[int, deque[_Turn]] = {}

    @asynccontextmanager
    async def hold(self, app_id: int) -> AsyncIterator[None]:
        """Hold one of the app's slots for the block; ``SlotsFull`` after ``wait`` seconds without one."""
        if self.limit <= 0:
            yield
            return
        await self._acquire(app_id)
        try:
            yield
        finally:
            self._release(app_id)

    def in_flight(self, app_id: int) -> int:
        with self._lock:
            return self._busy.get(app_id, 0)

    async def _acquire(self, app_id: int) -> None:
        with self._lock:
            queue = self._waiting.setdefault(app_id, deque())
            if self._busy.get(app_id, 0) < self.limit and not queue:
                self._busy[app_id] = self._busy.get(app_id, 0) + 1
                return
            turn = _Turn(asyncio.get_running_loop().create_future())
            queue.append(turn)
        try:
            # shield: a timeout must not cancel the future while _release is handing the slot over
            await asyncio.wait_for(asyncio.shield(turn.future), timeout=max(self.wait, 0.0))
        except BaseException as exc:  # the wait ran out, or the request was cancelled
            with self._lock:
                granted = turn.granted
                if not granted:
                    queue.remove(turn)
                    self._forget(app_id)
            if granted and isinstance(exc, TimeoutError):  # handed a slot at the last moment: keep it
                return
            if granted:
                self._release(app_id)
            if isinstance(exc, TimeoutError):
                raise SlotsFull(
                    f"{self.limit} requests of this app are already in flight; "
                    f"waited {self.wait:g} s for one to end"
                ) from None
            raise

    def _release(self, app_id: int) -> None:
        with self._lock:
            queue = self._waiting.get(app_id)
            if queue:
                # the slot passes to the next waiter without being freed, so nobody can jump the queue
                turn = queue.popleft()
                turn.granted = True
                turn.future.get_loop().call_soon_threadsafe(_grant, turn.future)
                return
            self._busy[app_id] -= 1
            self._forget(app_id)

    def _forget(self, app_id: int) -> None:
        if not self._busy.get(app_id) and not self._waiting.get(app_id):
            self._busy.pop(app_id, None)
            self._waiting.pop(app_id, None)


class _Turn:
    """A waiter's place in an app's queue; ``granted`` is set under the lock when a slot is handed to it."""

    __slots__ = ("future", "granted")

    def __init__(self, future: asyncio.Future[None]) -> None:
        self.future = future
        self.granted = False


def _grant(turn: asyncio.Future[None]) -> None:
    if not turn.done():
        turn.set_result(None)


class Slots:
    """At most ``limit`` holders at once in the process, taken from threads; others wait up to ``wait`` s."""

    def __init__(self, limit: int, wait: float) -> None:
        self.limit = limit
        self.wait = wait
        self._sem = threading.BoundedSemaphore(max(limit, 1))

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold a slot for the block; ``SlotsFull`` when none comes free within ``wait`` seconds."""
        if self.limit <= 0:
            yield
            return
        if not self._sem.acquire(timeout=max(self.wait, 0.0)):
            raise SlotsFull(
                f"{self.limit} already running in this process; waited {self.wait:g} s for one to end"
            )
        try:
            yield
        finally:
            self._sem.release()
