"""Event notifications: the app's configuration, the outbox, and PULL delivery (spec §2.5–2.6).

``emit`` writes an event in the caller's transaction, so an event exists exactly when the change it reports was
committed, and notifies this process's ``Wakeups`` once it is. Whether an event is written at all follows the app's configuration: NewFileUpload and FileDeleted need
their switches ON; ReviewAudioVideoComplete is always written once a mode is usable (PULL, or PUSH with a
NotificationUrl). An event keeps the mode it was written under: switching mode later does not reroute it.

PULL hands events out under a fresh handle and hides them for 30 s; ``confirm`` marks them done. PUSH delivery
lives in ``services/push.py`` and shares this table. Both honour the wall between apps: every query names the app.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from vodguard.errors import N_, InvalidParameterValue, Words
from vodguard.services import destinations, wire
from vodguard.services.destinations import AllowList
from vodguard.store.db import Database, after_commit, rowcount
from vodguard.store.models import Event, EventConfig
from vodguard.timeutil import utcnow

SWITCHED = {"NewFileUpload": "upload_switch", "FileDeleted": "delete_switch"}
PULL_BATCH = 16  # most events one PullEvents answer carries, and most handles one ConfirmEvents takes
HANDLE_SECONDS = 30  # a handed-out event stays hidden this long; its handle is valid this long
KEEP = timedelta(days=4)  # an event nobody took within this is dropped
# Long polls re-read the table at least this often: a missed wake-up or a handle expiring costs at most this.
RECHECK_SECONDS = 1.0
_SIGN_KEY = re.compile(r"[A-Za-z0-9]{0,32}")
NO_EXCEPTIONS = AllowList()  # public addresses only
# What an app that never called ModifyEventConfig has: the cloud's console default, PUSH with no URL (nothing sent).
DEFAULTS: dict[str, str] = {
    "mode": "PUSH",
    "notification_url": "",
    "upload_switch": "OFF",
    "delete_switch": "OFF",
    "persistence_switch": "OFF",
    "sign_key": "",
}


class Wakeups:
    """Lets PullEvents wait for new events without polling the database in a tight loop (one process)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._version = 0
        self._futures: list[asyncio.Future[None]] = []  # async waiters (PullEvents on the event loop)

    def notify(self) -> None:
        with self._cond:
            self._version += 1
            self._cond.notify_all()
            futures, self._futures = self._futures, []
        for future in futures:
            try:
                future.get_loop().call_soon_threadsafe(_wake, future)
            except RuntimeError:  # its loop is closed: nobody waits on it any more
                pass

    @property
    def version(self) -> int:
        return self._version

    def wait(self, timeout: float, *, since: int | None = None) -> None:
        """Wait for a notify after ``since`` (a ``version`` read before the caller looked), or ``timeout``."""
        with self._cond:
            seen = self._version if since is None else since
            self._cond.wait_for(lambda: self._version != seen, timeout=timeout)

    async def wait_async(self, timeout: float, *, since: int | None = None) -> None:
        """``wait`` on the event loop, holding no thread."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._cond:
            if since is not None and self._version != since:
                return
            self._futures.append(future)
        try:
            await asyncio.wait_for(future, timeout=timeout)
        except TimeoutError:
            pass
        finally:
            with self._cond:
                if future in self._futures:
                    self._futures.remove(future)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def get_config(session: Session, app_id: int) -> EventConfig:
    """The app's event configuration; an unsaved row holding ``DEFAULTS`` when the app never set one."""
    config = session.get(EventConfig, app_id)
    if config is None:
        config = EventConfig(app_id=app_id, **DEFAULTS)
    return config


def modify_config(
    session: Session,
    *,
    app_id: int,
    mode: str | None = None,
    notification_url: str | None = None,
    upload_switch: str | None = None,
    delete_switch: str | None = None,
    persistence_switch: str | None = None,
    sign_key: str | None = None,
    allow: AllowList = NO_EXCEPTIONS,
) -> EventConfig:
    """Change the fields given (None leaves a field as it is; "" clears the URL or the SignKey).

    Every value is checked before anything changes; a bad one raises ``InvalidParameterValue.<WireField>``. A
    NotificationUrl whose host is or resolves to a loopback, link-local or private address is refused unless
    ``allow`` (``VODGUARD_NOTIFY_ALLOW``) names it; the dispatcher checks again at each delivery.
    """
    if mode is not None and mode not in ("PUSH", "PULL"):
        raise _bad("Mode", mode, N_("Mode %(value)r must be PUSH or PULL"))
    if notification_url is not None and notification_url and not _is_http_url(notification_url):
        raise _bad(
            "NotificationUrl", notification_url,
            N_("NotificationUrl %(value)r must be an http:// or https:// URL with a host"),
        )  # fmt: skip
    if notification_url:
        try:
            destinations.check_url(notification_url, allow)
        except destinations.UnsafeDestination as exc:
            raise _refused(notification_url, exc) from None
    switches = {
        "UploadMediaCompleteEventSwitch": upload_switch,
        "DeleteMediaCompleteEventSwitch": delete_switch,
        "PersistenceCompleteEventSwitch": persistence_switch,
    }
    for field, value in switches.items():
        if value is not None and value not in ("ON", "OFF"):
            raise _bad(field, value, N_("%(field)s %(value)r must be ON or OFF"))
    if sign_key is not None and not _SIGN_KEY.fullmatch(sign_key):
        raise _bad("SignKey", sign_key, N_("SignKey %(value)r must be at most 32 letters and digits"))
    config = session.get(EventConfig, app_id)
    if config is None:
        config = EventConfig(app_id=app_id, **DEFAULTS)
        session.add(config)
    changes = {
        "mode": mode,
        "notification_url": notification_url,
        "upload_switch": upload_switch,
        "delete_switch": delete_switch,
        "persistence_switch": persistence_switch,
        "sign_key": sign_key,
    }
    for attr, value in changes.items():
        if value is not None:
            setattr(config, attr, value)
    session.flush()
    return config


def _is_http_url(value: str) -> bool:
    if len(value) > 1024 or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _shown(value: str) -> str:
    return value if len(value) <= 80 else value[:77] + "..."


def _bad(field: str, value: str, message: str) -> InvalidParameterValue:
    """``InvalidParameterValue.<field>``; ``message`` (``N_``-marked) names the field and takes its ``value``."""
    params = {"field": field, "value": _shown(value)}
    return InvalidParameterValue(message, params=params, code=f"InvalidParameterValue.{field}")


# the kinds of address destinations.refusal names, with their article, as the messages say them
_KINDS = {
    "loopback": N_("a loopback"), "link-local": N_("a link-local"), "unspecified": N_("an unspecified"),
    "multicast": N_("a multicast"), "private": N_("a private"), "non-public": N_("a non-public"),
}  # fmt: skip


def _refused(url: str, exc: destinations.UnsafeDestination) -> InvalidParameterValue:
    """A NotificationUrl whose host is, or resolves to, an address events are not sent to."""
    kind = Words(_KINDS.get(exc.kind, exc.kind))
    params = {"value": _shown(url), "host": exc.host, "address": exc.address, "kind": kind}
    if exc.address:
        message = N_(
            "NotificationUrl %(value)r is refused: %(host)s resolves to %(address)s, %(kind)s address; events "
            "are not sent to loopback, link-local or private addresses unless VODGUARD_NOTIFY_ALLOW lists the host "
            "or its network"
        )
    else:
        message = N_(
            "NotificationUrl %(value)r is refused: %(host)s is %(kind)s address; events are not sent to "
            "loopback, link-local or private addresses unless VODGUARD_NOTIFY_ALLOW lists the host or its network"
        )
    return InvalidParameterValue(message, params=params, code="InvalidParameterValue.NotificationUrl")


def emit(
    session: Session,
    *,
    wakeups: Wakeups,
    app_id: int,
    event_type: str,
    body: wire.shapes.EventBody,
    order_key: str = "",
    now: datetime,
) -> Event | None:
    """Record ``body`` (an EventContent without EventHandle) if the app's configuration wants it.

    Runs in the caller's transaction; once it commits, ``wakeups`` is notified, so that waiting PullEvents calls and
    the PUSH dispatcher look at once. ``order_key`` (a FileId) orders PUSH delivery.
    """
    config = get_config(session, app_id)
    switch = SWITCHED.get(event_type)
    if switch and getattr(config, switch) != "ON":
        return None
    if config.mode == "PUSH" and not config.notification_url:
        return None
    event = Event(
        app_id=app_id,
        event_type=event_type,
        body=wire.shapes.stored_event(event_type, body),
        order_key=order_key,
        mode=config.mode,
        created_at=now,
        visible_at=now,
    )
    session.add(event)
    session.flush()
    after_commit(session, wakeups.notify)
    return event


def pull(
    session: Session, *, app_id: int, now: datetime, limit: int = PULL_BATCH
) -> list[wire.shapes.EventContent]:
    """Hand out up to ``limit`` visible PULL events of the app, oldest first, as EventContent with EventHandle.

    Each event is claimed by one conditional UPDATE (its old handle and ``visible_at <= now``), so two concurrent
    callers never hand out the same event; a claimed event gets a fresh handle and stays hidden for 30 s.
    """
    candidates = session.execute(
        select(Event.id, Event.handle)
        .where(
            Event.app_id == app_id,
            Event.mode == "PULL",
            Event.done_at.is_(None),
            Event.visible_at <= now,
            Event.created_at > now - KEEP,
        )
        .order_by(Event.id)
        .limit(limit)
    ).all()
    claimed: list[tuple[int, str]] = []
    for event_id, old_handle in candidates:
        handle = secrets.token_hex(16)
        result = session.execute(
            update(Event)
            .where(
                Event.id == event_id,
                Event.handle == old_handle,
                Event.done_at.is_(None),
                Event.visible_at <= now,
            )
            .values(
                handle=handle, visible_at=now + timedelta(seconds=HANDLE_SECONDS), attempts=Event.attempts + 1
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 1:
            claimed.append((event_id, handle))
    if not claimed:
        return []
    bodies: dict[int, Mapping[str, Any]] = dict(
        session.execute(select(Event.id, Event.body).where(Event.id.in_([i for i, _ in claimed])))
        .tuples()
        .all()
    )
    return [wire.shapes.event_content(handle, bodies[event_id]) for event_id, handle in claimed]


async def pull_events(
    db: Database, wakeups: Wakeups, *, app_id: int, hold_seconds: float, limit: int = PULL_BATCH
) -> list[wire.shapes.EventContent]:
    """PullEvents: answer at once when events are waiting, else wait for one up to ``hold_seconds``.

    Each look is its own short transaction on a worker thread; between looks the poll waits on the event loop
    (woken by commits that emitted events), holding no thread, and looks again at least every second, which
    also catches handles that expired. So many long polls cost no threads (audit D5).
    """
    deadline = time.monotonic() + hold_seconds
    while True:
        seen = wakeups.version  # read before looking, so a commit between the look and the wait is not missed
        events = await asyncio.to_thread(_look, db, app_id, limit)
        remaining = deadline - time.monotonic()
        if events or remaining <= 0:
            return events
        await wakeups.wait_async(min(remaining, RECHECK_SECONDS), since=seen)


def _look(db: Database, app_id: int, limit: int) -> list[wire.shapes.EventContent]:
    with db.transaction() as session:
        return pull(session, app_id=app_id, now=utcnow(), limit=limit)


def confirm(session: Session, *, app_id: int, handles: list[str], now: datetime) -> list[str]:
    """Mark the PULL events behind ``handles`` done; returns the handles that are unknown or expired.

    Valid handles are confirmed even when others are bad (the caller commits, then reports the bad ones), and
    confirming a confirmed event again is harmless, so a client may simply retry a whole batch.
    """
    wanted = list(dict.fromkeys(handles))
    rows = session.execute(
        select(Event.id, Event.handle, Event.done_at).where(
            Event.app_id == app_id, Event.mode == "PULL", Event.handle.in_(wanted)
        )
    ).all()
    found = {row.handle: row for row in rows}
    bad: list[str] = []
    for handle in wanted:
        row = found.get(handle)
        if row is None:
            bad.append(handle)
            continue
        if row.done_at is not None:
            continue
        result = session.execute(
            update(Event)
            .where(
                Event.id == row.id, Event.handle == handle, Event.done_at.is_(None), Event.visible_at > now
            )
            .values(done_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            bad.append(handle)
    return bad


def purge(session: Session, *, now: datetime) -> int:
    """Delete events finished more than 4 days ago and PULL events nobody confirmed within 4 days."""
    cutoff = now - KEEP
    result = session.execute(
        delete(Event)
        .where(or_(Event.done_at < cutoff, (Event.mode == "PULL") & (Event.created_at < cutoff)))
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)
