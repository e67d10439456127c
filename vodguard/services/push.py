"""PUSH delivery: POST each PUSH event to its app's NotificationUrl, at least once, in order per order_key.

All state lives in the ``events`` table, so delivery survives restarts and may run in several processes:

- an event is due when ``visible_at <= now`` (its next attempt time) and nobody holds its lease;
- a dispatcher claims it by one conditional UPDATE that sets ``lease_until`` and a fresh token in ``handle``; a
  crashed dispatcher's lease simply runs out and another claims the event;
- an event is not due while an earlier event of the same app and ``order_key`` is undelivered (an empty key
  orders nothing), so the events of one FileId arrive in the order they were written;
- a 2xx answer sets ``done_at``; anything else (other status, timeout, refused) pushes ``visible_at`` back by an
  exponential backoff, until ``settings.push_retry_hours`` have passed since the event was written. Only then is
  it given up: ``done_at`` is set and ``last_error`` starts with "gave up".

The NotificationUrl and SignKey are read when an event is claimed, so fixing a wrong URL fixes pending events.
Connections go through ``destinations.GuardedTransport``: a host that resolves to a loopback, link-local or private
address the operator did not allow is refused like an unreachable receiver (retried, ``last_error`` says why).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from vodguard.services import destinations, events
from vodguard.services.container import Services
from vodguard.store.db import rowcount
from vodguard.store.models import Event
from vodguard.timeutil import utcnow

log = logging.getLogger("vodguard.push")
SIGN_SECONDS = 600  # T = now + 10 min (spec §5)
PURGE_EVERY = 600.0  # seconds between sweeps of old events


@dataclass(frozen=True)
class Backoff:
    """Seconds before attempt n+1 after n failed attempts: ``first * 2**(n-1)``, at most ``cap``."""

    first: float = 5.0
    cap: float = 600.0

    def delay(self, attempts: int) -> float:
        # annotated because typeshed types int ** int as Any (a negative power would be a float)
        growth: int = 2 ** max(attempts - 1, 0)
        return min(self.cap, self.first * growth)


@dataclass(frozen=True)
class Claim:
    """One event leased for one delivery attempt."""

    event_id: int
    token: str
    app_id: int
    body: dict[str, Any]
    url: str
    sign_key: str
    created_at: datetime
    attempts: int


def claim_due(
    session: Session,
    *,
    now: datetime,
    limit: int,
    lease_seconds: float,
    busy: Counter[int] | None = None,
    per_app: int | None = None,
) -> list[Claim]:
    """Lease up to ``limit`` due PUSH events, oldest first, one per order key; each claim is one atomic UPDATE.

    ``busy`` counts deliveries already running per app; with ``per_app`` no app gets more than that in flight.
    """
    running: Counter[int] = Counter(busy or {})
    earlier = aliased(Event)
    blocked = exists().where(
        earlier.app_id == Event.app_id,
        earlier.order_key == Event.order_key,
        earlier.mode == "PUSH",
        earlier.done_at.is_(None),
        earlier.id < Event.id,
    )
    query = (
        select(Event.id, Event.app_id, Event.attempts)
        .where(
            Event.mode == "PUSH",
            Event.done_at.is_(None),
            Event.visible_at <= now,
            or_(Event.lease_until.is_(None), Event.lease_until <= now),
            or_(Event.order_key == "", ~blocked),
        )
        .order_by(Event.id)
        .limit(limit * 8)  # room to pass over the events of apps that already have their share
    )
    if per_app is not None:
        full = [app for app, n in running.items() if n >= per_app]
        if full:
            query = query.where(Event.app_id.not_in(full))
    claims: list[Claim] = []
    lease_until = now + timedelta(seconds=lease_seconds)
    for event_id, app_id, attempts in session.execute(query).all():
        if len(claims) >= limit:
            break
        if per_app is not None and running[app_id] >= per_app:
            continue
        token = f"push-{secrets.token_hex(12)}"
        result = session.execute(
            update(Event)
            .where(
                Event.id == event_id,
                Event.done_at.is_(None),
                Event.visible_at <= now,
                or_(Event.lease_until.is_(None), Event.lease_until <= now),
            )
            .values(lease_until=lease_until, handle=token, attempts=Event.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            continue  # another dispatcher took it between our SELECT and UPDATE
        running[app_id] += 1
        row = session.execute(select(Event.body, Event.created_at).where(Event.id == event_id)).one()
        config = events.get_config(session, app_id)
        claims.append(
            Claim(event_id, token, app_id, dict(row.body), config.notification_url, config.sign_key,
                  row.created_at, attempts + 1)
        )  # fmt: skip
    return claims


def record_delivered(session: Session, *, event_id: int, now: datetime) -> bool:
    """Mark the event delivered (even if our lease ran out meanwhile: it did arrive); False if already done."""
    result = session.execute(
        update(Event)
        .where(Event.id == event_id, Event.done_at.is_(None))
        .values(done_at=now, lease_until=None, last_error="")
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def record_failure(
    session: Session, *, claim: Claim, error: str, now: datetime, backoff: Backoff, retry_hours: float
) -> bool:
    """Schedule the next attempt, or give up once ``retry_hours`` have passed; False if we lost the lease."""
    values: dict[str, Any] = {"lease_until": None, "last_error": error[:500]}
    if now - claim.created_at >= timedelta(hours=retry_hours):
        values["done_at"] = now
        values["last_error"] = f"gave up after {claim.attempts} attempts: {error}"[:500]
    else:
        values["visible_at"] = now + timedelta(seconds=backoff.delay(claim.attempts))
    result = session.execute(
        update(Event)
        .where(Event.id == claim.event_id, Event.handle == claim.token, Event.done_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def payload(body: dict[str, Any], *, sign_key: str, now: float) -> dict[str, Any]:
    """What is POSTed: the EventContent with null fields left out, plus ``Sign``/``T`` when a SignKey is set.

    ``T`` is the Unix expiry in decimal (now + 10 min) and ``Sign = md5(SignKey + T)`` in lower-case hex, both at
    the top level of the body.
    """
    content: dict[str, Any] = _without_nulls(body)  # a dict comes back as a dict
    if sign_key:
        expiry = str(int(now) + SIGN_SECONDS)
        content["T"] = expiry
        content["Sign"] = hashlib.md5((sign_key + expiry).encode()).hexdigest()
    return content


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def send(client: httpx.Client, claim: Claim, *, now: float) -> str | None:
    """POST one event; None when the receiver answered 2xx, else what went wrong."""
    if not claim.url:
        return "the app has no NotificationUrl"
    data = json.dumps(payload(claim.body, sign_key=claim.sign_key, now=now), ensure_ascii=False).encode()
    try:
        response = client.post(claim.url, content=data, headers={"Content-Type": "application/json"})
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


class Dispatcher:
    """Delivers due PUSH events on a small thread pool; ``run_once`` hands out work, the pool does the sending.

    At most ``per_app`` deliveries of one app run at once, so a slow receiver holds only its own app's events.
    """

    def __init__(
        self,
        services: Services,
        *,
        workers: int = 8,
        per_app: int = 2,
        backoff: Backoff | None = None,
        lease_seconds: float | None = None,
    ) -> None:
        self.services = services
        self.backoff = backoff or Backoff()
        timeout = services.settings.push_timeout_seconds
        # Long enough for a full timeout on connect, write and read; a crashed process's claims free up after it.
        self.lease_seconds = lease_seconds if lease_seconds is not None else 3 * timeout + 30
        self.workers = workers
        self.per_app = per_app
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="push")
        # Every connection goes to an address checked as it connects (no SSRF, no DNS rebinding; audit D4).
        allow = destinations.AllowList.parse(services.settings.notify_allow)
        transport = destinations.GuardedTransport(allow)
        self._client = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)
        self._lock = threading.Lock()
        self._in_flight: Counter[int] = Counter()
        self._last_purge = 0.0
        self._closed = False

    def run_once(self, now: datetime | None = None) -> int:
        """Claim what the free workers can take and start sending it; returns how many deliveries started."""
        with self._lock:
            if self._closed:
                return 0
            busy = Counter(self._in_flight)
        free = self.workers - sum(busy.values())
        if free <= 0:
            return 0
        with self.services.db.transaction() as session:
            claims = claim_due(
                session, now=now or utcnow(), limit=free, lease_seconds=self.lease_seconds, busy=busy,
                per_app=self.per_app,
            )  # fmt: skip
        for claim in claims:
            with self._lock:
                self._in_flight[claim.app_id] += 1
            self._pool.submit(self._deliver, claim)
        return len(claims)

    def _deliver(self, claim: Claim) -> None:
        delivered = False
        try:
            error = send(self._client, claim, now=time.time())
            with self.services.db.transaction() as session:
                if error is None:
                    delivered = record_delivered(session, event_id=claim.event_id, now=utcnow())
                else:
                    retry_hours = self.services.settings.push_retry_hours
                    record_failure(
                        session, claim=claim, error=error, now=utcnow(), backoff=self.backoff,
                        retry_hours=retry_hours,
                    )  # fmt: skip
                    log.warning(
                        "event %s of app %s: attempt %s to %s failed: %s",
                        claim.event_id, claim.app_id, claim.attempts, claim.url, error,
                    )  # fmt: skip
        except Exception:
            # The lease runs out and the event is tried again; never let one event kill a pool thread silently.
            log.exception("event %s of app %s: delivery crashed", claim.event_id, claim.app_id)
        finally:
            with self._lock:
                self._in_flight[claim.app_id] -= 1
                if self._in_flight[claim.app_id] <= 0:
                    del self._in_flight[claim.app_id]
            if delivered:
                # The next event of the same order key is due now: wake the dispatch loop instead of waiting.
                self.services.wakeups.notify()

    def purge_if_due(self) -> int:
        """Drop old events (see ``events.purge``) at most every ``PURGE_EVERY`` seconds."""
        if time.monotonic() - self._last_purge < PURGE_EVERY:
            return 0
        self._last_purge = time.monotonic()
        with self.services.db.transaction() as session:
            return events.purge(session, now=utcnow())

    def step(self, wait: float = 1.0) -> None:
        """One turn of the dispatch loop: hand out work, sweep now and then, then sleep until a wake-up."""
        self.run_once()
        self.purge_if_due()
        self.services.wakeups.wait(wait)

    def run(self, stop: threading.Event, wait: float = 1.0) -> None:
        """Turn the loop until ``stop`` is set (for a dedicated thread; ``vodguard serve`` uses ``DispatchJob``)."""
        while not stop.is_set():
            try:
                self.step(wait)
            except Exception:
                log.exception("push dispatch failed; trying again")
                stop.wait(wait)

    def close(self) -> None:
        """Stop taking work and let deliveries in flight finish."""
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=True)
        self._client.close()


class DispatchJob:
    """The background job of ``vodguard serve``: one dispatcher per ``Background``, made on the first turn.

    Each turn hands out work and then sleeps on ``services.wakeups`` for up to a second, so the job paces itself
    (register it with 0 s between runs).
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._dispatcher: Dispatcher | None = None

    def __call__(self, services: Services) -> None:
        try:
            if self._dispatcher is None or self._dispatcher.services is not services:
                self._dispatcher = Dispatcher(services, **self._options)
            self._dispatcher.step()
        except Exception:
            # The job runs with no pause of its own between turns: pause here so a fault cannot spin.
            log.exception("push dispatch failed; trying again in a second")
            time.sleep(1.0)
