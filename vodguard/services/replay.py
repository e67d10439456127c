"""The replay cache of API 3.0 signatures (audit D11), kept in the database so every API server shares it.

TC3-HMAC-SHA256 as the official SDKs use it signs only ``content-type;host`` and the body, not ``X-TC-Action``: a
captured request could be sent again, as itself or as another action, while its timestamp is accepted. So each
verified signature is remembered until its timestamp is out of the clock-skew window, and a signature is accepted
only during ``REPEAT_GRACE`` after its first sighting.

Why a grace at all: the SDK signs with one-second timestamps and no nonce, so byte-identical requests signed in the
same second share one signature. A client polling ``DescribeTaskDetail`` every 0.3 s does that, and so do two
parameterless calls (body ``{}``) of different actions in one second; both must work. A replay within the grace is
indistinguishable from those, which is the protocol's limit; a captured request re-sent later is refused.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vodguard.errors import SignatureFailure
from vodguard.store.db import rowcount
from vodguard.store.models import SeenApiSignature

REPEAT_GRACE = timedelta(seconds=3)
ACTION_CHARS = 128


def _digest(secret_id: str, signature: str) -> str:
    return hashlib.sha256(f"vodguard api signature\0{secret_id}\0{signature}".encode()).hexdigest()


def remember_signature(
    session: Session, *, secret_id: str, signature: str, action: str, now: datetime, expires_at: datetime
) -> None:
    """Record a verified request's signature, or raise ``SignatureFailure`` if it is a replay.

    A replay is a signature first seen more than ``REPEAT_GRACE`` ago. Race-free across servers (the digest is the
    primary key); the caller commits.
    """
    digest = _digest(secret_id, signature)
    seen = session.get(SeenApiSignature, digest)
    if seen is None:
        try:
            with session.begin_nested():
                session.add(
                    SeenApiSignature(
                        digest=digest, action=action[:ACTION_CHARS], first_seen=now, expires_at=expires_at
                    )
                )
            return
        except IntegrityError:  # another server took it between our read and our write: it was just now
            return
    if now - seen.first_seen > REPEAT_GRACE:
        raise SignatureFailure(
            f"this signature was already used (for {seen.action}); a signed request is accepted once, "
            "so sign the request again"
        )


def sweep_expired(session: Session, *, now: datetime) -> int:
    """Forget signatures whose timestamps the clock check refuses anyway; how many rows went."""
    result = session.execute(delete(SeenApiSignature).where(SeenApiSignature.expires_at <= now))
    return rowcount(result)
