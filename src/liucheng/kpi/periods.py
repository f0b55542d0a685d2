"""Calendar periods (day, week, month, quarter, year) on local dates, and status and trend rules.

Periods start at local midnight in the evaluation's time zone; weeks start on Monday (ISO 8601).
Both the database (``DATE_TRUNC`` with the session time zone) and this module use that rule.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

Period = Literal["day", "week", "month", "quarter", "year", "all"]
Status = Literal["ok", "warning", "critical"]
Trend = Literal["improving", "worsening", "flat"]
Direction = Literal["higher_is_better", "lower_is_better"]

#: Ibis truncation units.
TRUNCATE_UNITS: Final = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
PERIODS: Final = (*TRUNCATE_UNITS, "all")


def period_start(day: date, period: Period) -> date:
    """The first day of the period holding ``day``."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    if period == "year":
        return day.replace(month=1, day=1)
    raise ValueError(f"no calendar period {period!r}")


def next_period(start: date, period: Period) -> date:
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def local_day(instant: datetime, tz: str) -> date:
    return instant.astimezone(ZoneInfo(tz)).date()


def period_grid(first: date, last: date, period: Period) -> list[date]:
    """Every period start from the one holding ``first`` to the one holding ``last``."""
    current, end = period_start(first, period), period_start(last, period)
    grid = []
    while current <= end:
        grid.append(current)
        current = next_period(current, period)
    return grid


def previous_period(start: date, period: Period) -> date:
    """The start of the period just before the one starting at ``start``."""
    return period_start(start - timedelta(days=1), period)


def status_of(value: float | None, *, direction: Direction, warning: float | None,
              critical: float | None) -> Status | None:
    """``critical`` or ``warning`` once the value reaches that threshold on the worse side,
    else ``ok``; None without a value or without thresholds."""
    if value is None or (warning is None and critical is None):
        return None
    def reached(threshold: float | None) -> bool:
        if threshold is None:
            return False
        return value >= threshold if direction == "lower_is_better" else value <= threshold
    if reached(critical):
        return "critical"
    if reached(warning):
        return "warning"
    return "ok"


def meets_target(value: float | None, *, direction: Direction, target: float | None) -> bool | None:
    if value is None or target is None:
        return None
    return value <= target if direction == "lower_is_better" else value >= target


def trend_of(value: float | None, previous: float | None, *, direction: Direction,
             tolerance: float) -> Trend | None:
    """How the value moved since the previous period, read in the KPI's direction.

    A change within ``tolerance`` times the previous value (or no change from zero) is flat.
    """
    if value is None or previous is None:
        return None
    change = value - previous
    if abs(change) <= tolerance * abs(previous):
        return "flat"
    better = change < 0 if direction == "lower_is_better" else change > 0
    return "improving" if better else "worsening"
