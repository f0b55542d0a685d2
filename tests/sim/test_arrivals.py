"""Arrivals: exact counts, the intraday curve, quieter weekends and holidays, reproducible draws."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from liucheng.core.calendar import china_mainland
from liucheng.sim.arrivals import CATEGORY_MIX, HOURLY_SHAPE, PROCESS_OF, ArrivalModel

MODEL = ArrivalModel(china_mainland())
END = datetime(2026, 11, 13, 16, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@settings(max_examples=25, deadline=None)
@given(cases=st.integers(1, 400), seed=st.integers(0, 10_000))
def test_exactly_the_cases_asked_for_in_time_order(cases, seed):
    plan = MODEL.plan(cases, end=END, per_day=170, min_days=14)
    arrivals = list(MODEL.arrivals(random.Random(seed), plan, cases=cases))
    assert len(arrivals) == cases
    assert [a.index for a in arrivals] == list(range(cases))
    assert all(a.at >= plan.start for a in arrivals)
    assert [a.at for a in arrivals] == sorted(a.at for a in arrivals)
    assert all(
        a.process_key == PROCESS_OF[a.category] and a.priority in ("P1", "P2", "P3", "P4") for a in arrivals
    )
    if cases >= 2 * len(CATEGORY_MIX):
        assert {a.category for a in arrivals} == set(CATEGORY_MIX)
    again = list(MODEL.arrivals(random.Random(seed), plan, cases=cases))
    assert again == arrivals


def test_the_day_peaks_mid_morning_and_mid_afternoon_and_weekends_and_holidays_are_quieter():
    plan = MODEL.plan(20_000, end=END, per_day=170, min_days=14)
    arrivals = list(MODEL.arrivals(random.Random(7), plan, cases=20_000))
    local = [a.at.astimezone(SHANGHAI) for a in arrivals]
    by_hour = Counter(t.hour for t in local)
    top = {hour for hour, _ in by_hour.most_common(4)}
    assert top <= {9, 10, 11, 14, 15, 16} and (10 in top or 11 in top) and (15 in top or 14 in top)
    assert by_hour[3] < by_hour[10] / 10
    # The shape is what the counts follow, hour by hour (a loose chi-square-free check).
    total_shape = sum(HOURLY_SHAPE)
    for hour in (3, 10, 15, 20):
        expected = HOURLY_SHAPE[hour] / total_shape
        assert abs(by_hour[hour] / len(local) - expected) < 0.25 * expected
    per_day = Counter(t.date() for t in local)
    first, last = min(per_day), max(per_day)
    days = [first + timedelta(days=i) for i in range(1, (last - first).days)]  # whole days only
    holidays = china_mainland().holidays
    weekday = [per_day[d] for d in days if d.weekday() < 5 and d not in holidays]
    weekend = [per_day[d] for d in days if d.weekday() >= 5 and d not in holidays]
    national_day = [per_day[d] for d in days if d in holidays and date(2026, 10, 1) <= d <= date(2026, 10, 7)]
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    assert len(national_day) == 7
    assert mean(weekend) < 0.8 * mean(weekday)
    assert mean(national_day) < 0.6 * mean(weekday)
    assert 150 < mean(weekday) < 200  # about 170 on an ordinary weekday
