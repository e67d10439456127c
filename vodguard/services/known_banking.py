"""Banking a person's block so that it survives a stop: the pending row written in the decision's transaction, and
the job that hashes the media into the bank.

* ``record`` runs in the decision's own transaction. A block (not one taken over from identical bytes) adds a
  ``KnownPending`` row; an approve removes the media's entries and any block still pending for it.
* ``bank_pending`` claims pending rows one at a time with a lease (a conditional UPDATE, so two processes never
  hash the same block), hashes the media outside any transaction while a thread renews the lease, and adds the
  entry and deletes the row in one transaction. A process killed before or while hashing leaves the row: the next
  run, in any process with workers, takes it once its lease has expired. Every such process runs it every few
  seconds and at start-up (``background.py``), and ``nudge`` runs it at once after a decision is committed.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from vodguard.moderation.errors import ModerationError
from vodguard.services import known
from vodguard.services.container import Services
from vodguard.services.decisions import SAME_CONTENT
from vodguard.store.db import Database, rowcount
from vodguard.store.models import KnownPending, Media, ReviewDecision
from vodguard.timeutil import utcnow

log = logging.getLogger("vodguard.known")
ATTEMPTS = (
    3  # a block whose banking failed this often for a reason other than its media is dropped (and logged)
)


def record(session: Session, decision: ReviewDecision, *, label: str | None = None, now: datetime) -> None:
    """Keep the bank in step with a person's decision, in the decision's transaction: an approve removes what an
    earlier block added, a block is left pending for ``bank_pending`` under ``label`` (default: the label its
    review flagged, else Illegal). Blocks vodguard takes over from identical bytes add nothing: the SHA-256
    already carries them."""
    if decision.decision == "approve":
        # the pending rows first: on PostgreSQL this waits for a block being banked right now to commit, so the
        # entries removed next include the one it added
        session.execute(
            delete(KnownPending).where(
                KnownPending.app_id == decision.app_id, KnownPending.file_id == decision.file_id
            )
        )
        known.remove_media_entries(session, app_id=decision.app_id, file_id=decision.file_id)
        return
    if decision.operator == SAME_CONTENT:
        return
    session.flush()  # the decision's id
    session.add(
        KnownPending(
            decision_id=decision.id, app_id=decision.app_id, file_id=decision.file_id, label=label or "",
            lease_until=now, attempts=0, created_at=now,
        )
    )  # fmt: skip


@dataclass(frozen=True)
class _Claim:
    decision_id: int
    app_id: int
    file_id: str
    label: str
    attempts: int


def claim_next(session: Session, *, lease_seconds: float, now: datetime) -> _Claim | None:
    """Take the oldest pending block whose lease is free (never taken, or its holder stopped); None when there is
    none left. The UPDATE's condition on ``attempts`` makes a block taken by two processes at once go to one."""
    while True:
        row = session.scalars(
            select(KnownPending)
            .where(KnownPending.lease_until <= now)
            .order_by(KnownPending.decision_id)
            .limit(1)
        ).first()
        if row is None:
            return None
        claim = _Claim(row.decision_id, row.app_id, row.file_id, row.label, row.attempts + 1)
        taken = session.execute(
            update(KnownPending)
            .where(KnownPending.decision_id == row.decision_id, KnownPending.attempts == row.attempts)
            .values(lease_until=now + timedelta(seconds=lease_seconds), attempts=claim.attempts)
            .execution_options(synchronize_session=False)
        )
        if rowcount(taken) == 1:
            return claim
        session.expire_all()  # another process took it first: look again


class _Lease:
    """Renews a claimed block's lease a third of the lease apart, from its own thread, until the block is done."""

    def __init__(self, db: Database, decision_id: int, lease_seconds: float) -> None:
        self.db, self.decision_id, self.lease_seconds = db, decision_id, lease_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"known-lease-{decision_id}", daemon=True)

    def __enter__(self) -> _Lease:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(max(self.lease_seconds / 3, 0.2)):
            try:
                with self.db.transaction() as s:
                    s.execute(
                        update(KnownPending)
                        .where(KnownPending.decision_id == self.decision_id)
                        .values(lease_until=utcnow() + timedelta(seconds=self.lease_seconds))
                    )
            except Exception:
                log.exception("could not renew the lease of pending block %s", self.decision_id)


def _bank(services: Services, claim: _Claim, lease_seconds: float) -> None:
    """Hash one claimed block into the bank; the pending row goes in the transaction that adds the entry."""
    db, gone = services.db, delete(KnownPending).where(KnownPending.decision_id == claim.decision_id)
    with db.transaction() as s:
        media = s.get(Media, claim.file_id)
        if media is None or media.app_id != claim.app_id or media.category == "Audio":
            s.execute(gone)
            return
        key, name, category = media.blob_key, media.name, media.category
        label = claim.label or known.review_label(media.review)
    try:
        with _Lease(db, claim.decision_id, lease_seconds):
            frames = known.hash_path(services.blobs.local_path(key), services.engine().config.limits)
    except (ModerationError, OSError) as exc:
        log.warning("blocked media %s could not be hashed into the bank: %s", claim.file_id, exc)
        frames = []
    with db.transaction() as s:
        if rowcount(s.execute(gone)) != 1:
            return  # an approve came while hashing and took the block out
        decision = s.get(ReviewDecision, claim.decision_id)
        latest = s.scalars(
            select(ReviewDecision.id)
            .where(ReviewDecision.app_id == claim.app_id, ReviewDecision.file_id == claim.file_id)
            .order_by(ReviewDecision.id.desc())
            .limit(1)
        ).first()
        if decision is None or latest != decision.id or not frames:
            return  # a later decision holds, or nothing could be hashed (logged above)
        known.remove_media_entries(s, app_id=claim.app_id, file_id=claim.file_id)
        known.add_entry(
            s, app_id=claim.app_id, label=label, reason=decision.reason, file_id=claim.file_id,
            source_name=name, kind="picture" if category == "Image" else "video", origin="decision",
            created_by=decision.operator, frames=frames, now=decision.created_at,
        )  # fmt: skip


def bank_pending(services: Services, *, now: datetime | None = None) -> int:
    """Hash every pending block whose lease is free into the bank, one at a time; how many were taken. A block
    that fails for another reason than its media is tried again once its lease expires, ``ATTEMPTS`` times."""
    lease_seconds = services.settings.task_lease_seconds
    taken = 0
    while True:
        with services.db.transaction() as s:
            claim = claim_next(s, lease_seconds=lease_seconds, now=now or utcnow())
        if claim is None:
            return taken
        taken += 1
        try:
            _bank(services, claim, lease_seconds)
        except Exception:  # a database fault, say: the row stays for a later run, up to ATTEMPTS times
            log.exception("blocked media %s could not be added to the bank", claim.file_id)
            if claim.attempts >= ATTEMPTS:
                with services.db.transaction() as s:
                    s.execute(delete(KnownPending).where(KnownPending.decision_id == claim.decision_id))


# One block at a time per process: hashing a long video takes seconds to minutes of CPU, and a burst of blocks
# must not pile up next to the reviews.
_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vodguard-known")


def nudge(services: Services) -> Future[int] | None:
    """After a decision is committed: bank pending blocks now, in the background, in a process that has workers
    (an API-only server leaves them to the worker processes, which look every few seconds)."""
    if services.settings.workers <= 0:
        return None
    return _HASHING.submit(bank_pending, services)
