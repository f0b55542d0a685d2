"""ISO 8601 durations (``PT4H``, ``P1DT2H30M``, ``P2W``) as whole seconds.

Months and years have no fixed length, so they are rejected: service levels are stated in
days, hours and minutes.
"""

from __future__ import annotations

import re

from liucheng.core.errors import ValidationError

_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_FACTORS = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}


def parse_duration_s(text: str, *, where: str = "duration") -> int:
    """Return the duration in whole seconds; raise ``ValidationError`` naming ``where``."""
    raw = text.strip()
    match = _DURATION.match(raw)
    if not match or raw in ("P", "PT") or raw.endswith("T"):
        raise ValidationError(
            f"{text!r} is not an ISO 8601 duration",
            where=where,
            hint="write e.g. PT30M, PT4H, P1D or P1DT12H (months and years are not allowed)",
        )
    total = 0.0
    for name, factor in _FACTORS.items():
        value = match.group(name)
        if value:
            total += float(value) * factor
    if total <= 0:
        raise ValidationError(f"{text!r} is zero", where=where, hint="a duration must be positive")
    return round(total)


def format_duration_s(seconds: int) -> str:
    """Write whole seconds back as an ISO 8601 duration."""
    if seconds <= 0:
        raise ValueError("duration must be positive")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    time_part = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")
    return out + ("T" + time_part if time_part else "")
