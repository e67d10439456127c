"""Identifiers: FileId a decimal string, TaskId ``<appid>-ReviewAudioVideo-<32 hex>``, RequestId a UUID4."""

from __future__ import annotations

import secrets
import string
import time
import uuid

_ALNUM = string.ascii_letters + string.digits


def request_id() -> str:
    return str(uuid.uuid4())


def file_id() -> str:
    # Time-ordered like the cloud's (about 19 digits): milliseconds, then random digits against collisions.
    return f"{int(time.time() * 1000)}{secrets.randbelow(10**6):06d}"


def task_id(app_id: int, task_type: str = "ReviewAudioVideo") -> str:
    return f"{app_id}-{task_type}-{secrets.token_hex(16)}"


def secret_id() -> str:
    return "AKID" + "".join(secrets.choice(_ALNUM) for _ in range(32))


def secret_key() -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(32))


def token(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)
