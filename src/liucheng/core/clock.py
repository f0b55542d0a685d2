"""Clocks are injected; logic never calls ``datetime.now()``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from liucheng.core.errors import ValidationError


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock tests and simulations move by hand."""

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start, "start")

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = require_aware(instant, "instant")

    def advance(self, delta: timedelta) -> datetime:
        self._now = self._now + delta
        return self._now


def require_aware(value: datetime, field: str) -> datetime:
    """Reject naive datetimes at the edges and normalise to UTC."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(
            f"naive datetime {value.isoformat()} has no time zone",
            where=field,
            hint="give an offset such as +08:00 or Z",
        )
    return value.astimezone(UTC)


def parse_instant(text: str, field: str) -> datetime:
    """Parse an ISO 8601 instant that must carry an offset."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(
            f"{text!r} is not an ISO 8601 date-time", where=field, hint="e.g. 2026-03-01T09:00:00+08:00"
        ) from exc
    return require_aware(value, field)
