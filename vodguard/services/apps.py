"""Apps (SubAppId) and their API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vodguard import ids
from vodguard.errors import InvalidParameterValue, SecretIdNotFound
from vodguard.store.models import ApiKey, App

FIRST_APP_ID = 1_500_000_001


@dataclass(frozen=True)
class KeyPair:
    sub_app_id: int
    secret_id: str
    secret_key: str

    def to_json(self) -> dict[str, object]:
        return {"SubAppId": self.sub_app_id, "SecretId": self.secret_id, "SecretKey": self.secret_key}


def has_apps(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(App)) > 0


def create_app(session: Session, *, name: str = "", now: datetime) -> App:
    """A new app with the next SubAppId (ids look like the cloud's: ten digits)."""
    last = session.scalar(select(func.max(App.id)))
    app = App(id=(last or FIRST_APP_ID - 1) + 1, name=name, created_at=now)
    session.add(app)
    session.flush()
    return app


def create_key(session: Session, *, app_id: int | None = None, name: str = "", now: datetime) -> KeyPair:
    """A key pair for ``app_id``, or for a new app when it is None. The secret is shown only here."""
    if app_id is None:
        app = create_app(session, name=name, now=now)
    else:
        app = get_app(session, app_id)
    key = ApiKey(secret_id=ids.secret_id(), secret_key=ids.secret_key(), app_id=app.id, created_at=now)
    session.add(key)
    session.flush()
    return KeyPair(app.id, key.secret_id, key.secret_key)


def get_app(session: Session, app_id: int) -> App:
    app = session.get(App, app_id)
    if app is None:
        raise InvalidParameterValue(
            f"SubAppId {app_id} does not exist", code="InvalidParameterValue.SubAppId"
        )
    return app


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.app_id, ApiKey.created_at)))


def revoke_key(session: Session, *, secret_id: str, now: datetime) -> ApiKey:
    key = session.get(ApiKey, secret_id)
    if key is None or key.revoked_at is not None:
        raise SecretIdNotFound(f"SecretId {secret_id!r} does not exist or is already revoked")
    key.revoked_at = now
    return key


def find_key(session: Session, secret_id: str) -> ApiKey:
    """The live key with this SecretId; raises ``SecretIdNotFound``."""
    key = session.get(ApiKey, secret_id)
    if key is None or key.revoked_at is not None:
        raise SecretIdNotFound(f"SecretId {secret_id!r} is not a key of this server")
    return key


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
