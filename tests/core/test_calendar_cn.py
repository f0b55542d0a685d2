"""Mainland China: shipped holidays against `chinese_calendar`, and deadlines a user checks by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from liucheng.core.calendar import BusinessCalendar, china_mainland
from liucheng.core.errors import ValidationError

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = 3600
DAY_HOURS = 7.5 * HOURS  # 09:00-12:00 and 13:30-18:00


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=k) for k in range((date(year + 1, 1, 1) - first).days)]


def covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_every_day_of_the_year_agrees_with_chinese_calendar(year):
    if not covered(year):
        pytest.skip(f"chinese_calendar {chinese_calendar.__version__} has no data for {year}")
    cal = china_mainland(years=[year])
    for day in days_of(year):
        workday = chinese_calendar.is_workday(day)
        assert cal.is_open(datetime.combine(day, time(10), SHANGHAI)) == workday, day
        assert (day in cal.makeup_workdays) == (workday and day.weekday() >= 5), day
        # chinese_calendar lists every day of a break, weekend days inside it included, as we do.
        assert (day in cal.holidays) == (day in chinese_calendar.constants.holidays), day


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_a_whole_year_counts_seven_and_a_half_hours_per_working_day(year):
    if not covered(year):
        pytest.skip(f"chinese_calendar {chinese_calendar.__version__} has no data for {year}")
    working_days = sum(chinese_calendar.is_workday(day) for day in days_of(year))
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    assert china_mainland().business_seconds(start, end) == working_days * DAY_HOURS


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("start", "target", "deadline"),
    [
        # National Day 2025: Oct 1-8 off; Sunday Sep 28 and Saturday Oct 11 are worked.
        (at(2025, 9, 26, 17), 4 * HOURS, at(2025, 9, 28, 12)),  # Fri 17-18, then make-up Sunday 9-12
        (at(2025, 9, 30, 17), 4 * HOURS, at(2025, 10, 9, 12)),  # the last day before the break
        (at(2025, 10, 10, 16), 4 * HOURS, at(2025, 10, 11, 11)),  # into make-up Saturday Oct 11
        # Spring Festival 2026: Feb 15-23 off; Saturdays Feb 14 and Feb 28 are worked.
        (at(2026, 2, 13, 17), 4 * HOURS, at(2026, 2, 14, 12)),
        (at(2026, 2, 14, 17), 4 * HOURS, at(2026, 2, 24, 12)),
        (at(2026, 2, 14, 13, 30), DAY_HOURS, at(2026, 2, 24, 12)),
        (at(2026, 2, 27, 17, 30), 1 * HOURS, at(2026, 2, 28, 9, 30)),
        # A target set inside the break starts counting when work resumes.
        (at(2026, 2, 18, 10), 30 * 60, at(2026, 2, 24, 9, 30)),
    ],
)
def test_four_business_hours_around_the_holidays(start, target, deadline):
    cal = china_mainland()
    got = cal.add_business_seconds(start, int(target))
    assert got == deadline
    assert got.tzinfo is UTC
    assert cal.business_seconds(start, got) == target


def test_business_time_across_spring_festival_2026():
    cal = china_mainland()
    # Feb 13 (Fri), the make-up Saturday Feb 14 and Feb 24 (Tue); the nine days between are off.
    assert cal.business_seconds(at(2026, 2, 13, 9), at(2026, 2, 25, 9)) == 3 * DAY_HOURS
    assert cal.next_open(at(2026, 2, 15, 10)) == at(2026, 2, 24, 9)
    assert cal.is_open(at(2026, 2, 28, 10))  # a Saturday, worked
    assert not cal.is_open(at(2026, 2, 28, 12, 30))  # its lunch break
    assert not cal.is_open(at(2026, 3, 1, 10))  # the Sunday after, not worked


def test_hours_weekdays_and_years_can_be_chosen():
    all_week = china_mainland(hours=((time(0), time(0)),), weekdays=range(7), years=[2025])
    # Open round the clock except the 2025 holidays, weekend or not.
    days_off = sum(day in chinese_calendar.constants.holidays for day in days_of(2025))
    assert all_week.business_seconds(at(2025, 1, 1), at(2026, 1, 1)) == (365 - days_off) * 24 * HOURS
    assert all_week.is_open(at(2025, 1, 4, 3))
    assert not all_week.is_open(at(2025, 10, 4, 3))
    only_2025 = china_mainland(years=[2025])
    assert only_2025.is_open(at(2026, 2, 16, 10))  # 2026 data not applied
    assert not china_mainland().is_open(at(2026, 2, 16, 10))


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [({"years": [2023]}, "years"), ({"weekdays": []}, "weekdays"), ({"weekdays": [7]}, "weekdays")],
)
def test_bad_arguments_are_named(kwargs, where):
    with pytest.raises(ValidationError) as caught:
        china_mainland(**kwargs)
    assert caught.value.where == where
    assert caught.value.hint


# -- the end of the shipped notices ---------------------------------------------------------------
def test_the_calendar_knows_where_its_holidays_end_and_warns_ahead() -> None:
    cal = china_mainland()
    last_year = max(cal.holidays).year
    assert cal.holidays_until == date(last_year, 12, 31)
    assert cal.holiday_warning(date(last_year, 6, 1)) is None
    warning = cal.holiday_warning(date(last_year, 11, 21))
    assert warning is not None and f"{last_year}-12-31" in warning and f"{last_year + 1}'s holidays" in warning
    assert cal.holiday_warning(date(last_year + 1, 3, 1)) is not None  # past the end: still said
    # An owner-kept list (no preset) never warns.
    kept_by_owner = BusinessCalendar.from_dict(cal.to_dict() | {"holidays_until": None})
    assert kept_by_owner.holiday_warning(date(2099, 1, 1)) is None


def test_next_years_days_can_be_added_to_the_preset() -> None:
    shipped = china_mainland()
    nxt = max(shipped.holidays).year + 1
    new_year = date(nxt, 1, 1)
    extended = china_mainland(holidays=[new_year.isoformat()], makeup_workdays=[date(nxt, 1, 3)])
    assert extended.holidays_until == date(nxt, 12, 31) and extended.holiday_warning(date(nxt - 1, 11, 21)) is None
    assert new_year in extended.holidays and new_year not in shipped.holidays
    shanghai = ZoneInfo("Asia/Shanghai")

    def day_of(day: date) -> tuple[datetime, datetime]:
        return datetime.combine(day, time(0), shanghai), datetime.combine(day + timedelta(days=1), time(0), shanghai)

    assert extended.business_seconds(*day_of(new_year)) == 0  # the added holiday is closed
    assert extended.business_seconds(*day_of(date(nxt, 1, 3))) == DAY_HOURS  # the added make-up day works
    again = BusinessCalendar.from_dict(extended.to_dict())
    assert again == extended and again.holidays_until == extended.holidays_until
