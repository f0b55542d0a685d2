"""Typed attribute values and their text form, shared by the XES and CSV readers and writers.

The six XES attribute types map to Python as: string -> str, int -> int, float -> float,
boolean -> bool, date -> aware ``datetime`` (UTC), id -> ``uuid.UUID``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

XES_TYPES: Final = ("string", "int", "float", "boolean", "date", "id")


class NaiveInstantError(ValueError):
    """A date-time without an offset: we refuse to guess its zone."""


def xes_type_of(value: Any) -> str | None:
    """The XES type of a Python value, or None when XES cannot hold it."""
    # bool before int: bool is a subclass of int.
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "date"
    if isinstance(value, UUID):
        return "id"
    return None


def format_instant(value: datetime) -> str:
    """ISO 8601 in UTC with an explicit offset; milliseconds when that loses nothing.

    Raises NaiveInstantError for a naive datetime.
    """
    if value.tzinfo is not UTC:
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveInstantError(f"naive datetime {value.isoformat()} has no time zone")
        value = value.astimezone(UTC)
    # Millisecond precision is what ProM and most XES tools write; keep it when exact.
    spec = "milliseconds" if value.microsecond % 1000 == 0 else "microseconds"
    return value.isoformat(timespec=spec)


def parse_instant(text: str) -> datetime:
    """Parse an xs:dateTime / ISO 8601 instant that carries an offset, returned in UTC."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveInstantError(f"{text!r} has no time zone offset")
    return value.astimezone(UTC)


def format_float(value: float) -> str:
    if math.isfinite(value):
        return repr(value)
    if math.isnan(value):
        return "NaN"
    return "INF" if value > 0 else "-INF"


def format_value(value: Any) -> str:
    """The text form of a typed value (XES ``value=`` attribute, CSV cell)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, datetime):
        return format_instant(value)
    return str(value)


_TRUE: Final = frozenset({"true", "1"})
_FALSE: Final = frozenset({"false", "0"})


def parse_value(xes_type: str, text: str) -> Any:
    """Parse the text form of a value of the given XES type; ValueError when it does not fit."""
    if xes_type == "string":
        return text
    if xes_type == "date":
        return parse_instant(text)
    if xes_type == "int":
        return int(text)
    if xes_type == "float":
        return float(text)
    if xes_type == "boolean":
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"{text!r} is not a boolean (true/false)")
    if xes_type == "id":
        return UUID(text)
    raise ValueError(f"unknown XES type {xes_type!r}; expected one of {', '.join(XES_TYPES)}")
