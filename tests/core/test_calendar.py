"""Business calendars against a brute-force minute count, plus the DST and config rules users rely on.

The brute force knows nothing of the implementation: it steps real UTC minutes, reads the wall clock
with zoneinfo and asks the test's own description of the calendar whether that local minute is open.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liucheng.core.calendar import BusinessCalendar
from liucheng.core.errors import ValidationError

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe")
# DST changes of those zones in 2025 and the Chinese National Day and Spring Festival breaks.
ANCHORS = (
    date(2025, 3, 9), date(2025, 11, 2),  # America/New_York
    date(2025, 3, 30), date(2025, 10, 26),  # Europe/Berlin
    date(2025, 4, 6), date(2025, 10, 5),  # Australia/Lord_Howe, 30-minute shifts
    date(2025, 10, 1), date(2026, 2, 15),  # China
)  # fmt: skip
MINUTE = timedelta(minutes=1)
WINDOW_MINUTES = 21 * 24 * 60


def clock(minute_of_day: int) -> time:
    return time(0) if minute_of_day == 1440 else time(minute_of_day // 60, minute_of_day % 60)


@dataclass(frozen=True)
class Spec:
    """The test's own description of a calendar: open minutes of the local day per weekday."""

    zone: str
    hours: dict[int, list[tuple[int, int]]]
    holidays: frozenset[date]
    makeup: frozenset[date]
    makeup_weekday: int

    def calendar(self) -> BusinessCalendar:
        weekly = {wd: tuple((clock(a), clock(b)) for a, b in spans) for wd, spans in self.hours.items()}
        return BusinessCalendar(
            name="test",
            zone=self.zone,
            weekly_hours=weekly,
            holidays=self.holidays,
            makeup_workdays=self.makeup,
            makeup_weekday=self.makeup_weekday,
        )

    def open_at(self, utc_minute: datetime) -> bool:
        local = utc_minute.astimezone(ZoneInfo(self.zone))
        day = local.date()
        if day in self.holidays:
            return False
        weekday = self.makeup_weekday if day in self.makeup else day.weekday()
        minute = local.hour * 60 + local.minute
        return any(a <= minute < b for a, b in self.hours.get(weekday, ()))


@st.composite
def day_spans(draw: st.DrawFn) -> list[tuple[int, int]]:
    points = sorted(draw(st.lists(st.sampled_from(range(0, 1441, 15)), unique=True, max_size=6)))
    return [(points[i], points[i + 1]) for i in range(0, len(points) - 1, 2)]


@st.composite
def specs(draw: st.DrawFn, anchor: date) -> Spec:
    hours = {wd: draw(day_spans()) for wd in range(7)}
    if not any(hours.values()):
        hours[0] = [(9 * 60, 18 * 60)]
    near = [anchor + timedelta(days=k) for k in range(-9, 31)]
    holidays = draw(st.frozensets(st.sampled_from(near), max_size=8))
    makeup = draw(st.frozensets(st.sampled_from(near), max_size=4)) - holidays
    return Spec(draw(st.sampled_from(ZONES)), hours, holidays, makeup, draw(st.integers(0, 6)))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Spec, datetime]:
    anchor = draw(st.sampled_from(ANCHORS))
    start = datetime.combine(anchor, time(0), UTC) + draw(st.integers(-7 * 1440, 7 * 1440)) * MINUTE
    return draw(specs(anchor)), start


def open_minutes(spec: Spec, start: datetime) -> list[int]:
    """Offsets (in minutes from ``start``) of every open minute in the three weeks after it."""
    return [k for k in range(WINDOW_MINUTES) if spec.open_at(start + k * MINUTE)]


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(scenarios(), st.data())
def test_business_seconds_next_open_and_is_open_match_a_minute_by_minute_count(scenario, data):
    spec, start = scenario
    cal = spec.calendar()
    opens = open_minutes(spec, start)
    for _ in range(5):
        i, j = sorted(data.draw(st.integers(0, WINDOW_MINUTES)) for _ in range(2))
        expected = (bisect_left(opens, j) - bisect_left(opens, i)) * 60
        assert cal.business_seconds(start + i * MINUTE, start + j * MINUTE) == expected
        assert cal.business_seconds(start + j * MINUTE, start + i * MINUTE) == (expected if i == j else 0)
        at = start + i * MINUTE
        assert cal.is_open(at) == spec.open_at(at)
        following = bisect_left(opens, i)
        if following < len(opens):
            assert cal.next_open(at) == start + opens[following] * MINUTE


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(scenarios(), st.data())
def test_add_business_seconds_lands_where_the_minute_count_reaches_the_target(scenario, data):
    spec, start = scenario
    cal = spec.calendar()
    opens = open_minutes(spec, start)
    for _ in range(5):
        n = data.draw(st.integers(0, len(opens)), label="business minutes")
        # The earliest instant with n open minutes behind it is the end of the n-th open minute.
        expected = start if n == 0 else start + (opens[n - 1] + 1) * MINUTE
        got = cal.add_business_seconds(start, n * 60)
        assert got == expected
        assert got.tzinfo is UTC


# -- exact algebra, at second and microsecond resolution, over long spans --------------------------

instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)


# Deadlines that land exactly on opening and closing times are where the "earliest instant" rule
# matters, so half the draws sit on the quarter-hour grid the random calendars are built on.
on_grid = instants.map(lambda t: t.replace(minute=t.minute // 15 * 15, second=0, microsecond=0))
starts = st.one_of(instants, on_grid)
durations = st.one_of(st.integers(0, 400 * 3600), st.integers(0, 1600).map(lambda k: k * 900))


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    return draw(specs(draw(st.sampled_from(ANCHORS)))).calendar()


@settings(max_examples=200, deadline=None)
@given(calendars(), starts, durations, durations)
def test_adding_business_time_is_exactly_inverse_and_additive(cal, start, a, b):
    # Holds for every a, b >= 0 because a deadline is the *earliest* instant reaching its count:
    # finishing exactly at a closing time (12:00) and then adding more continues from 12:00.
    first = cal.add_business_seconds(start, a)
    assert cal.business_seconds(start, first) == a
    if a > 0:  # and not one microsecond earlier
        assert cal.business_seconds(start, first - timedelta(microseconds=1)) == a - 1
    assert cal.add_business_seconds(first, b) == cal.add_business_seconds(start, a + b)


@settings(max_examples=200, deadline=None)
@given(calendars(), starts.map(lambda t: t.replace(microsecond=0)), durations, durations)
def test_counting_then_adding_returns_the_end_only_if_the_second_before_it_was_open(cal, start, x, y):
    end, later = start + timedelta(seconds=x), start + timedelta(seconds=x + y)
    counted = cal.business_seconds(start, end)
    back = cal.add_business_seconds(start, counted)
    # The round trip is one-way: an end in closed time maps back to the last close before it.
    assert back <= end
    assert cal.business_seconds(back, end) == 0
    assert (back == end) == (end == start or cal.is_open(end - timedelta(seconds=1)))
    assert counted + cal.business_seconds(end, later) == cal.business_seconds(start, later)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ZONES), instants, st.integers(0, 400 * 86400))
def test_an_always_open_calendar_counts_real_elapsed_time_through_dst(zone, start, seconds):
    cal = BusinessCalendar.always_open(zone=zone)
    end = start + timedelta(seconds=seconds)
    assert cal.business_seconds(start, end) == seconds
    assert cal.add_business_seconds(start, seconds) == end


# -- DST: wall-clock hours with real elapsed time -------------------------------------------------


def sundays(zone: str, start: time, end: time) -> BusinessCalendar:
    return BusinessCalendar(name="night", zone=zone, weekly_hours={6: ((start, end),)})


def hours_on(cal: BusinessCalendar, day: date) -> float:
    tz = ZoneInfo(cal.zone)
    start = datetime.combine(day, time(0), tz)
    return cal.business_seconds(start, datetime.combine(day + timedelta(days=1), time(0), tz)) / 3600


@pytest.mark.parametrize(
    ("zone", "start", "end", "day", "hours"),
    [
        ("America/New_York", time(1), time(4), date(2025, 3, 16), 3),  # an ordinary Sunday
        ("America/New_York", time(1), time(4), date(2025, 3, 9), 2),  # 02:00-03:00 never shows
        ("America/New_York", time(1), time(4), date(2025, 11, 2), 4),  # 01:00-02:00 shows twice
        ("America/New_York", time(2), time(5), date(2025, 11, 2), 3),  # the repeat is outside
        ("Europe/Berlin", time(2), time(3), date(2025, 3, 30), 0),
        ("Europe/Berlin", time(2), time(3), date(2025, 10, 26), 2),
        ("Australia/Lord_Howe", time(1), time(4), date(2025, 10, 5), 2.5),  # 02:00 -> 02:30
        ("Australia/Lord_Howe", time(1), time(4), date(2025, 4, 6), 3.5),  # 02:00 -> 01:30
        ("Europe/Berlin", time(0), time(0), date(2025, 10, 26), 25),
    ],
)
def test_wall_clock_hours_on_dst_days_count_real_time(zone, start, end, day, hours):
    assert hours_on(sundays(zone, start, end), day) == hours


def test_a_deadline_across_spring_forward_skips_the_missing_hour():
    cal = sundays("America/New_York", time(1), time(4))
    ny = ZoneInfo("America/New_York")
    got = cal.add_business_seconds(datetime(2025, 3, 9, 1, 0, tzinfo=ny), 90 * 60)
    assert got.astimezone(ny) == datetime(2025, 3, 9, 3, 30, tzinfo=ny)
    assert got == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)


# -- day shapes: 24 hours, open to midnight, overnight -----------------------------------------------


def test_a_day_open_until_midnight_continues_next_morning():
    cal = BusinessCalendar.from_dict(
        {
            "name": "late",
            "zone": "Asia/Shanghai",
            "weekly_hours": {d: ["08:00-24:00"] for d in ("mon", "tue")},
        }
    )
    sh = ZoneInfo("Asia/Shanghai")
    assert cal.add_business_seconds(datetime(2025, 6, 2, 23, tzinfo=sh), 2 * 3600) == datetime(
        2025, 6, 3, 9, tzinfo=sh
    )
    assert cal.is_open(datetime(2025, 6, 2, 23, 59, 59, tzinfo=sh))
    # Monday's hours end at 24:00; Tuesday's own hours start at 08:00, so its midnight is closed.
    assert not cal.is_open(datetime(2025, 6, 3, 0, 0, tzinfo=sh))


def test_overnight_shift_is_two_days_intervals_and_a_holiday_closes_its_own_half():
    hours = {0: ((time(22), time(0)),), 1: ((time(0), time(6)),)}
    sh = ZoneInfo("Asia/Shanghai")
    monday_22 = datetime(2025, 6, 2, 22, tzinfo=sh)
    cal = BusinessCalendar(name="night", zone="Asia/Shanghai", weekly_hours=hours)
    assert cal.add_business_seconds(monday_22, 3 * 3600) == datetime(2025, 6, 3, 1, tzinfo=sh)
    closed_tuesday = BusinessCalendar(
        name="night", zone="Asia/Shanghai", weekly_hours=hours, holidays=frozenset({date(2025, 6, 3)})
    )
    assert closed_tuesday.add_business_seconds(monday_22, 3 * 3600) == datetime(2025, 6, 9, 23, tzinfo=sh)


def test_a_deadline_that_uses_up_the_morning_is_noon_not_the_afternoon_reopening():
    cal = BusinessCalendar(
        name="office", zone="Asia/Shanghai", weekly_hours={0: ((time(9), time(12)), (time(13, 30), time(18)))}
    )
    sh = ZoneInfo("Asia/Shanghai")
    noon = cal.add_business_seconds(datetime(2025, 6, 2, 9, tzinfo=sh), 3 * 3600)
    assert noon == datetime(2025, 6, 2, 12, tzinfo=sh)
    assert not cal.is_open(noon)
    assert cal.next_open(noon) == datetime(2025, 6, 2, 13, 30, tzinfo=sh)
    assert cal.add_business_seconds(noon, 1) == datetime(2025, 6, 2, 13, 30, 1, tzinfo=sh)
    closed = datetime(2025, 6, 3, 10, tzinfo=sh)
    assert cal.add_business_seconds(closed, 0) == closed
    assert cal.add_business_seconds(closed, 0).tzinfo is UTC


@pytest.mark.parametrize(
    ("call", "where"),
    [
        (lambda c: c.is_open(datetime(2025, 6, 2, 9)), "instant"),
        (lambda c: c.next_open(datetime(2025, 6, 2, 9)), "instant"),
        (lambda c: c.business_seconds(datetime(2025, 6, 2, 9), datetime(2025, 6, 3, tzinfo=UTC)), "start"),
        (lambda c: c.business_seconds(datetime(2025, 6, 2, tzinfo=UTC), datetime(2025, 6, 3)), "end"),
        (lambda c: c.add_business_seconds(datetime(2025, 6, 2, 9), 60), "start"),
        (lambda c: c.add_business_seconds(datetime(2025, 6, 2, tzinfo=UTC), -1), "seconds"),
        (lambda c: c.add_business_seconds(datetime(2025, 6, 2, tzinfo=UTC), 1.5), "seconds"),
        (lambda c: c.is_open(date(2025, 6, 2)), "instant"),
    ],
)
def test_naive_or_wrong_inputs_are_rejected_naming_the_argument(call, where):
    with pytest.raises(ValidationError) as caught:
        call(BusinessCalendar.always_open())
    assert caught.value.where == where
    assert caught.value.hint
