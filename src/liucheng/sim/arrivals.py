"""When work orders arrive and what they are: a non-homogeneous Poisson process by hour and day.

The rate is piecewise constant per local hour: a call-centre intraday curve (peaks near 10:00 and
15:00, a trough at night), quieter weekends and much quieter Chinese public holidays, with
make-up working days (调休) counted as ordinary weekdays. Within an hour arrivals are exponential
gaps, which is exactly a Poisson process with that hour's rate.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from liucheng.core.calendar import BusinessCalendar

#: Relative arrivals per local hour 00..23 (shape only; scaled to the wanted volume).
HOURLY_SHAPE = (
    0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.25, 0.6, 1.1, 1.6, 1.9, 1.75,
    1.2, 1.3, 1.7, 1.85, 1.6, 1.3, 1.0, 0.95, 0.85, 0.65, 0.45, 0.25,
)  # fmt: skip
#: Monday .. Sunday.
WEEKDAY_FACTOR = (1.15, 1.05, 1.0, 1.0, 0.95, 0.7, 0.6)
HOLIDAY_FACTOR = 0.45

#: Category -> share of arrivals. Emergencies are rare; internal requests come from the floor.
CATEGORY_MIX: dict[str, float] = {
    "complaint": 0.24,
    "inquiry": 0.33,
    "fault": 0.16,
    "suggestion": 0.05,
    "feedback": 0.1,
    "internal_request": 0.115,
    "emergency": 0.005,
}
#: Category -> process key in the library.
PROCESS_OF: dict[str, str] = {
    "complaint": "complaint",
    "inquiry": "inquiry",
    "fault": "inquiry",
    "suggestion": "feedback",
    "feedback": "feedback",
    "internal_request": "internal_request",
    "emergency": "emergency",
}
#: Category -> weights of P1..P4.
PRIORITY_MIX: dict[str, tuple[float, float, float, float]] = {
    "complaint": (0.06, 0.24, 0.5, 0.2),
    "inquiry": (0.02, 0.13, 0.55, 0.3),
    "fault": (0.1, 0.35, 0.4, 0.15),
    "suggestion": (0.0, 0.05, 0.35, 0.6),
    "feedback": (0.02, 0.13, 0.5, 0.35),
    "internal_request": (0.05, 0.25, 0.5, 0.2),
    "emergency": (0.7, 0.3, 0.0, 0.0),
}


@dataclass(frozen=True, slots=True)
class Arrival:
    at: datetime
    index: int
    category: str
    process_key: str
    priority: str
    customer: str


@dataclass(frozen=True, slots=True)
class ArrivalPlan:
    start: datetime
    #: Arrivals per hour = relative rate x this.
    per_hour_scale: float


class ArrivalModel:
    def __init__(self, calendar: BusinessCalendar, *, zone: str = "Asia/Shanghai") -> None:
        """``calendar`` supplies the public holidays and make-up days (e.g. ``china_mainland()``)."""
        self.zone = ZoneInfo(zone)
        self.holidays = calendar.holidays
        self.makeup = calendar.makeup_workdays

    def day_factor(self, day: date) -> float:
        if day in self.holidays:
            return HOLIDAY_FACTOR
        if day in self.makeup:
            return WEEKDAY_FACTOR[0]
        return WEEKDAY_FACTOR[day.weekday()]

    def relative_rate(self, hour_start: datetime) -> float:
        local = hour_start.astimezone(self.zone)
        return HOURLY_SHAPE[local.hour] * self.day_factor(local.date())

    def plan(self, cases: int, *, end: datetime, per_day: float, min_days: float) -> ArrivalPlan:
        """An hour-aligned window ending at ``end`` expected to hold ``cases`` arrivals.

        ``per_day`` arrivals on an ordinary weekday; a small ``cases`` is spread over at least
        ``min_days`` so that it still lives through nights, weekends and long timers.
        """
        scale = min(per_day, cases / min_days) / sum(HOURLY_SHAPE)
        expected = 0.0
        start = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        while expected < cases:
            start -= timedelta(hours=1)
            expected += self.relative_rate(start) * scale
        return ArrivalPlan(start=start, per_hour_scale=scale)

    def arrivals(self, rng: random.Random, plan: ArrivalPlan, *, cases: int) -> Iterator[Arrival]:
        """Exactly ``cases`` arrivals from ``start`` on (past the planned end if chance says so).

        Every category occurs at least once however few cases are asked for: once half the cases
        have arrived, a category not seen yet takes the place of the next draw.
        """
        categories = list(CATEGORY_MIX)
        weights = list(CATEGORY_MIX.values())
        seen: set[str] = set()
        hour = plan.start
        index = 0
        while index < cases:
            rate_per_s = self.relative_rate(hour) * plan.per_hour_scale / 3600
            t = 0.0
            while rate_per_s > 0 and index < cases:
                t += rng.expovariate(rate_per_s)
                if t >= 3600:
                    break
                category = rng.choices(categories, weights)[0]
                missing = [c for c in categories if c not in seen]
                if missing and index >= cases // 2:
                    category = missing[0]
                seen.add(category)
                priority = "P" + str(1 + rng.choices(range(4), PRIORITY_MIX[category])[0])
                yield Arrival(
                    at=hour + timedelta(seconds=t),
                    index=index,
                    category=category,
                    process_key=PROCESS_OF[category],
                    priority=priority,
                    customer=f"138{rng.randrange(10**8):08d}",
                )
                index += 1
            hour += timedelta(hours=1)
