"""Failed console sign-ins, kept in the database so every API server counts the same failures (audit D9).

The lockout is per account (a SecretId, or a SubAppId for password sign-in) and client address: after ``LIMIT``
failures within ``WINDOW``, that account is refused from that address, even with the right credentials, until
fewer than ``LIMIT`` failures fall within the last ``WINDOW``. The same account from another address, and other
accounts from the same address, are not affected, so one moderator's typos (or an attacker) cannot lock out a team.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vodguard.store.db import rowcount
from vodguard.store.models import SignInFailure

LIMIT = 10
WINDOW = timedelta(seconds=60)


def subject(*, account: str, address: str) -> str:
    """The lockout key of an account signing in from an address (a digest: either may be long or odd)."""
    return hashlib.sha256(f"vodguard sign-in\0{account}\0{address}".encode()).hexdigest()


def locked(session: Session, *, subject: str, now: datetime) -> bool:
    """Whether ``subject`` has ``LIMIT`` or more failures within the last ``WINDOW``."""
    count = session.scalar(
        select(func.count())
        .select_from(SignInFailure)
        .where(SignInFailure.subject == subject, SignInFailure.at > now - WINDOW)
    )
    return (count or 0) >= LIMIT


def record_failure(session: Session, *, subject: str, now: datetime) -> None:
    """Count one failed sign-in; the caller commits."""
    session.add(SignInFailure(subject=subject, at=now))


def sweep_expired(session: Session, *, now: datetime) -> int:
    """Forget failures older than the window; how many rows went."""
    result = session.execute(delete(SignInFailure).where(SignInFailure.at <= now - WINDOW))
    return rowcount(result)
