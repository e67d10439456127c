"""Apps (SubAppId), their API keys and settings, and how a caller proves it holds a key (API, uploads, console)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vodguard import ids
from vodguard.errors import N_, AuthFailure, InvalidParameterValue, SecretIdNotFound
from vodguard.store.models import ApiKey, UsedSignature
from vodguard.store.models import App as App  # re-exported: api/ may not import store/

FIRST_APP_ID = 1_500_000_001
LAST_USED_STEP = timedelta(minutes=1)


@dataclass(frozen=True)
class KeyPair:
    sub_app_id: int
    secret_id: str
    secret_key: str

    def to_json(self) -> dict[str, object]:
        return {"SubAppId": self.sub_app_id, "SecretId": self.secret_id, "SecretKey": self.secret_key}


def first_app_id(session: Session) -> int | None:
    """The lowest SubAppId (the app ``vodguard serve`` creates on its first start), None without apps."""
    return session.scalar(select(func.min(App.id)))


def create_app(session: Session, *, name: str = "", now: datetime) -> App:
    """A new app with the next SubAppId (ids look like the cloud's: ten digits)."""
    last = session.scalar(select(func.max(App.id)))
    app = App(id=(last or FIRST_APP_ID - 1) + 1, name=name, created_at=now)
    session.add(app)
    session.flush()
    return app


def create_key(
    session: Session, *, app_id: int | None = None, name: str = "", key_name: str = "", now: datetime
) -> KeyPair:
    """A key pair for ``app_id``, or for a new app (called ``name``) when it is None. ``key_name`` says what uses
    the key. The secret is shown only here."""
    if len(key_name) > 64:
        raise InvalidParameterValue(
            N_("the key's Name has more than 64 characters"), code="InvalidParameterValue.Name"
        )
    if app_id is None:
        app = create_app(session, name=name, now=now)
    else:
        app = get_app(session, app_id)
    key = ApiKey(
        secret_id=ids.secret_id(),
        secret_key=ids.secret_key(),
        app_id=app.id,
        created_at=now,
        name=key_name.strip(),
    )
    session.add(key)
    session.flush()
    return KeyPair(app.id, key.secret_id, key.secret_key)


def get_app(session: Session, app_id: int) -> App:
    app = session.get(App, app_id)
    if app is None:
        raise InvalidParameterValue(
            N_("SubAppId %(app_id)s does not exist"), params={"app_id": app_id},
            code="InvalidParameterValue.SubAppId",
        )  # fmt: skip
    return app


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.app_id, ApiKey.created_at)))


def revoke_key(session: Session, *, secret_id: str, now: datetime) -> ApiKey:
    key = session.get(ApiKey, secret_id)
    if key is None or key.revoked_at is not None:
        raise SecretIdNotFound(
            N_("SecretId %(secret_id)r does not exist or is already revoked"), params={"secret_id": secret_id}
        )
    key.revoked_at = now
    return key


def find_key(session: Session, secret_id: str) -> ApiKey:
    """The live key with this SecretId; raises ``SecretIdNotFound``."""
    key = session.get(ApiKey, secret_id)
    if key is None or key.revoked_at is not None:
        raise SecretIdNotFound(
            N_("SecretId %(secret_id)r is not a key of this server"), params={"secret_id": secret_id}
        )
    return key


def authenticate_key(
    session: Session,
    *,
    secret_id: str,
    secret_key: str | None = None,
    verify: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> tuple[App, ApiKey]:
    """The app and live key of ``secret_id``, once the caller proved it holds the key's SecretKey: by sending it
    (``secret_key``, compared in constant time) or by a signature that ``verify(secret_key)`` checks, raising its
    own error when it does not match. An unknown or revoked SecretId raises ``SecretIdNotFound``. With ``now``,
    the key's last use is recorded (at most once a minute)."""
    key = find_key(session, secret_id)
    if verify is not None:
        verify(key.secret_key)
    elif not secret_key or not hmac.compare_digest(secret_key.encode(), key.secret_key.encode()):
        raise AuthFailure("the SecretKey does not match the SecretId", code="AuthFailure.SignatureFailure")
    if now is not None and (key.last_used_at is None or now - key.last_used_at >= LAST_USED_STEP):
        key.last_used_at = now
    return get_app(session, key.app_id), key


def set_publish_mode(session: Session, *, app_id: int, mode: str) -> None:
    """Switch the app between pre-moderation (``pre``) and post-moderation (``post``)."""
    if mode not in ("pre", "post"):
        raise InvalidParameterValue(
            N_("PublishMode must be pre or post"), code="InvalidParameterValue.PublishMode"
        )
    get_app(session, app_id).publish_mode = mode


def set_console_password(session: Session, *, app_id: int, password: str) -> None:
    app = get_app(session, app_id)
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 200_000).hex()
    app.console_password = f"pbkdf2${salt}${digest}"


def check_console_password(app: App, password: str) -> bool:
    if not app.console_password.startswith("pbkdf2$"):
        return False
    _, salt, digest = app.console_password.split("$")
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 200_000).hex()
    return hmac.compare_digest(candidate, digest)


def console_credential(app: App, key: ApiKey | None) -> str:
    """What a console session's fingerprint covers: the key pair it was opened with, or the app's password hash,
    so that revoking the key or changing the password ends the session."""
    if key is not None:
        return f"key:{key.secret_id}:{key.secret_key}"
    return f"password:{app.console_password}"


def _session_digest(sid: str) -> str:
    return hashlib.sha256(b"vodguard console session\0" + sid.encode()).hexdigest()


def end_console_session(session: Session, *, sid: str, expires_at: datetime) -> None:
    """Remember a signed-out console session until its cookie would have expired anyway.

    Sessions are signed cookies; signing out must still kill copies of the cookie, so the ended session ids are
    kept in the table of spent one-time tokens (a digest and an expiry is all either needs).
    """
    digest = _session_digest(sid)
    if session.get(UsedSignature, digest) is None:
        session.add(UsedSignature(digest=digest, expires_at=expires_at))
        session.flush()


def console_session_ended(session: Session, *, sid: str) -> bool:
    return session.get(UsedSignature, _session_digest(sid)) is not None
