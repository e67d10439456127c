"""Time helpers: the store keeps naive UTC; the wire speaks ISO 8601 with ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def iso(value: datetime | None) -> str:
    """ISO 8601 UTC with ``Z``; empty string for None (the wire's "not yet")."""
    if value is None:
        return ""
    return value.replace(microsecond=0).isoformat() + "Z"


def parse_iso(value: str) -> datetime:
    """Parse ISO 8601 (``Z`` or an offset) into naive UTC; raises ValueError on anything else."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise ValueError(f"{value!r} is outside the years 1 to 9999 in UTC") from None
    return parsed


def from_unix(seconds: float) -> datetime:
    """Unix seconds as naive UTC."""
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
