"""Console accounts: one per person, with a role, in one app. Passwords are kept as scrypt hashes.

``admin`` may change keys, settings, templates and accounts; ``moderator`` works the queue and decides. The roles'
reach is enforced by the console's routes (``api/console/auth.py``); this module only stores and checks accounts.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vodguard.errors import N_, InvalidParameterValue, ResourceNotFound
from vodguard.services import apps
from vodguard.store.models import ConsoleUser as ConsoleUser  # re-exported: api/ may not import store/

ROLES = ("admin", "moderator")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # scrypt reads all of it: no megabyte passwords
# Letters (any script), digits and . _ @ -: a name shows up in logs and CSV files, so no spaces or commas.
NAME = re.compile(r"^[\w.@-]{1,64}$")
# The names the audit log gives to what is not an account (key:<SecretId> cannot be a name: no colons).
RESERVED = frozenset({"cli", "app-password", "api"})
# scrypt's cost: 2**15 x 8 blocks is 32 MiB and some 100 ms a check; stored with each hash, so it can be raised
# later without breaking the hashes made before.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * n * r * p, dklen=32)


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (Base64) for ``password``."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    encode = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"


def check_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (constant-time compare); False for a malformed hash."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt" or len(password) > MAX_PASSWORD:
            return False
        candidate = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(candidate, base64.b64decode(digest))
    except ValueError:
        return False


@functools.cache
def _nobody() -> str:
    """Checked against when the name is unknown, so that a wrong name takes as long as a wrong password. Made on
    first use, not at import: a scrypt hash costs about 0.1 s, which a process that checks no password (a
    worker, `vodguard keys`) should not pay."""
    return hash_password(secrets.token_urlsafe(16))


def prepare() -> None:
    """Make the unknown-name hash now (the server calls this at start), so that even the first sign-in with an
    unknown name costs one scrypt, as a wrong password does."""
    _nobody()


def validate_name(name: str) -> None:
    if not NAME.match(name):
        raise InvalidParameterValue(
            N_("Name %(name)r must be 1 to 64 letters, digits or . _ @ -"), params={"name": name},
            code="InvalidParameterValue.Name",
        )  # fmt: skip
    if name.lower() in RESERVED:
        raise InvalidParameterValue(
            N_("Name %(name)r is reserved: the audit log uses it for changes made without an account"),
            params={"name": name}, code="InvalidParameterValue.Name",
        )  # fmt: skip


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidParameterValue(
            N_("Password must have at least %(count)d characters"),
            params={"count": MIN_PASSWORD},
            code="InvalidParameterValue.Password",
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidParameterValue(
            N_("Password must have at most %(count)d characters"),
            params={"count": MAX_PASSWORD},
            code="InvalidParameterValue.Password",
        )


def add_user(
    session: Session, *, app_id: int, name: str, role: str, password: str, now: datetime
) -> ConsoleUser:
    """A new account in ``app_id``; the name is unique within the app."""
    apps.get_app(session, app_id)
    validate_name(name)
    if role not in ROLES:
        raise InvalidParameterValue(
            N_("Role %(role)r must be admin or moderator"), params={"role": role},
            code="InvalidParameterValue.Role",
        )  # fmt: skip
    validate_password(password)
    if find_by_name(session, app_id=app_id, name=name) is not None:
        raise InvalidParameterValue(
            N_("Name %(name)r is already an account of app %(app_id)s"), params={"name": name, "app_id": app_id},
            code="InvalidParameterValue.Name",
        )  # fmt: skip
    user = ConsoleUser(
        app_id=app_id, name=name, role=role, password_hash=hash_password(password), created_at=now
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session, *, app_id: int | None) -> list[ConsoleUser]:
    """The accounts of ``app_id`` (of every app when None), by app and name."""
    query = select(ConsoleUser).order_by(ConsoleUser.app_id, ConsoleUser.name)
    if app_id is not None:
        query = query.where(ConsoleUser.app_id == app_id)
    return list(session.scalars(query))


def find_by_name(session: Session, *, app_id: int, name: str) -> ConsoleUser | None:
    return session.scalars(
        select(ConsoleUser).where(ConsoleUser.app_id == app_id, ConsoleUser.name == name)
    ).first()


def get_user(session: Session, *, app_id: int, user_id: int) -> ConsoleUser | None:
    """The account with this id in ``app_id``, or None (removed, or another app's)."""
    user = session.get(ConsoleUser, user_id)
    return user if user is not None and user.app_id == app_id else None


def remove_user(session: Session, *, app_id: int, name: str) -> ConsoleUser:
    """Delete the account; its sessions end at their next request. Raises ``ResourceNotFound``."""
    user = find_by_name(session, app_id=app_id, name=name)
    if user is None:
        raise ResourceNotFound(
            N_("Name %(name)r is not an account of app %(app_id)s"), params={"name": name, "app_id": app_id}
        )
    session.delete(user)
    session.flush()
    return user


def authenticate(session: Session, *, app_id: int, name: str, password: str) -> ConsoleUser | None:
    """The account when the name and password match, else None (the same work either way)."""
    user = find_by_name(session, app_id=app_id, name=name)
    ok = check_password(user.password_hash if user is not None else _nobody(), password)
    return user if ok and user is not None else None


def credential(user: ConsoleUser) -> str:
    """What a console session's fingerprint covers: a new password or role ends the sessions opened before."""
    return f"user:{user.id}:{user.role}:{user.password_hash}"


def single_app(session: Session) -> int:
    """The SubAppId when the server has exactly one app (what ``users`` commands act on without ``--app``)."""
    ids = list(session.scalars(select(apps.App.id).order_by(apps.App.id).limit(2)))
    if not ids:
        raise InvalidParameterValue(
            "there is no app yet: `vodguard keys create` makes one", code="InvalidParameterValue.App"
        )
    if len(ids) > 1:
        raise InvalidParameterValue(
            "this server has several apps: name one with --app SUBAPPID", code="InvalidParameterValue.App"
        )
    return int(ids[0])
