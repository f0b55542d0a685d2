"""Calendars from TOML/JSON config: what is accepted, what is refused, and the field each error names."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liucheng.core.calendar import BusinessCalendar, china_mainland
from liucheng.core.errors import ValidationError

OFFICE = {"name": "office", "zone": "Asia/Shanghai", "weekly_hours": {"mon": [["09:00", "18:00"]]}}

TOML = """
name = "support-sh"
zone = "Asia/Shanghai"
holidays = [2025-10-01, "2025-10-02"]
makeup_workdays = [2025-10-11]
makeup_weekday = "Friday"

[weekly_hours]
Monday = [["09:00", "12:00"], ["13:30", "18:00"]]
tue = ["09:00-12:00", "13:30-18:00"]
wed = [[09:00:00, 12:00:00], [13:30:00, "24:00"]]
sat = []
"""


def test_a_toml_calendar_reads_into_the_same_calendar_as_the_python_one():
    cal = BusinessCalendar.from_dict(tomllib.loads(TOML))
    office_day = ((time(9), time(12)), (time(13, 30), time(18)))
    assert cal == BusinessCalendar(
        name="support-sh",
        zone="Asia/Shanghai",
        weekly_hours={0: office_day, 1: office_day, 2: ((time(9), time(12)), (time(13, 30), time(0)))},
        holidays=frozenset({date(2025, 10, 1), date(2025, 10, 2)}),
        makeup_workdays=frozenset({date(2025, 10, 11)}),
        makeup_weekday=4,
    )
    assert cal.weekly_hours[5] == ()
    assert cal.to_dict()["weekly_hours"]["wed"] == [["09:00", "12:00"], ["13:30", "24:00"]]


def test_touching_intervals_are_one_open_period():
    split = {**OFFICE, "weekly_hours": {"mon": ["12:00-18:00", "09:00-12:00"]}}
    assert BusinessCalendar.from_dict(split) == BusinessCalendar.from_dict(OFFICE)


@st.composite
def configs(draw: st.DrawFn) -> dict:
    weekly = {}
    for name in draw(st.sets(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1)):
        points = sorted(draw(st.lists(st.integers(0, 24 * 60), unique=True, min_size=2, max_size=6)))
        weekly[name] = [
            [f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}"]
            for a, b in zip(points[::2], points[1::2], strict=False)
        ]
    days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
    holidays = draw(st.sets(days, max_size=5))
    return {
        "name": draw(st.text(min_size=1).filter(str.strip)),
        "zone": draw(st.sampled_from(["UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York"])),
        "weekly_hours": weekly,
        "holidays": [d.isoformat() for d in holidays],
        "makeup_workdays": [d.isoformat() for d in draw(st.sets(days, max_size=3)) - holidays],
        "makeup_weekday": draw(st.sampled_from(["mon", "tue", "sat"])),
    }


@settings(max_examples=200)
@given(configs())
def test_to_dict_round_trips_through_json(config):
    cal = BusinessCalendar.from_dict(config)
    again = BusinessCalendar.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert again == cal
    assert hash(again) == hash(cal)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert again.add_business_seconds(start, 7200) == cal.add_business_seconds(start, 7200)


def test_china_mainland_round_trips_and_calendars_are_hashable():
    cal = china_mainland()
    assert BusinessCalendar.from_dict(cal.to_dict()) == cal
    assert len({cal, china_mainland(), BusinessCalendar.always_open()}) == 2


def with_(**changes: object) -> dict:
    return {**OFFICE, **changes}


@pytest.mark.parametrize(
    ("config", "where"),
    [
        (with_(weekly_hours={"funday": [["09:00", "18:00"]]}), "calendar.weekly_hours"),
        (with_(weekly_hours={"mon": [["18:00", "09:00"]]}), "calendar.weekly_hours.mon[0]"),
        (with_(weekly_hours={"tue": [["09:00", "09:00"]]}), "calendar.weekly_hours.tue[0]"),
        (with_(weekly_hours={"wed": [["09:00", "12:00"], ["11:00", "13:00"]]}), "calendar.weekly_hours.wed"),
        (with_(weekly_hours={"thu": [["9am", "5pm"]]}), "calendar.weekly_hours.thu[0]"),
        (with_(weekly_hours={"fri": [["24:00", "24:00"]]}), "calendar.weekly_hours.fri[0]"),
        (with_(weekly_hours={"sat": [["09:00"]]}), "calendar.weekly_hours.sat[0]"),
        (with_(weekly_hours={"sun": "09:00-18:00"}), "calendar.weekly_hours.sun"),
        (with_(weekly_hours={"mon": [["09:00", "12:00"]], "Monday": []}), "calendar.weekly_hours.mon"),
        (with_(weekly_hours={"sat": []}), "calendar.weekly_hours"),
        (with_(weekly_hours=["09:00-18:00"]), "calendar.weekly_hours"),
        (with_(zone="Mars/Olympus_Mons"), "calendar.zone"),
        (with_(zone=""), "calendar.zone"),
        (with_(holidays=["2025-02-30"]), "calendar.holidays[0]"),
        (with_(holidays=["2025-10-01", "tomorrow"]), "calendar.holidays[1]"),
        (with_(holidays="2025-10-01"), "calendar.holidays"),
        (with_(holidays=[datetime(2025, 10, 1, tzinfo=UTC)]), "calendar.holidays[0]"),
        (with_(makeup_workdays=["2025-13-01"]), "calendar.makeup_workdays[0]"),
        (with_(holidays=["2025-10-11"], makeup_workdays=["2025-10-11"]), "calendar.makeup_workdays"),
        (with_(makeup_weekday="someday"), "calendar.makeup_weekday"),
        (with_(makeup_weekday=7), "calendar.makeup_weekday"),
        (with_(name=""), "calendar.name"),
        (with_(holiday=["2025-10-01"]), "calendar.holiday"),
        ({"name": "x", "weekly_hours": OFFICE["weekly_hours"]}, "calendar.zone"),
        ({"name": "x", "zone": "UTC"}, "calendar.weekly_hours"),
        ([("name", "x")], "calendar"),
    ],
)
def test_bad_config_is_refused_naming_the_field(config, where):
    with pytest.raises(ValidationError) as caught:
        BusinessCalendar.from_dict(config)
    error = caught.value
    assert error.where == where
    assert error.hint
    assert str(error).startswith(f"{where}: ")


def test_the_python_constructor_validates_the_same_way():
    with pytest.raises(ValidationError) as caught:
        BusinessCalendar(name="x", zone="UTC", weekly_hours={0: ((time(12), time(9)),)})
    assert caught.value.where == "calendar.weekly_hours.mon[0]"
    with pytest.raises(ValidationError) as caught:
        BusinessCalendar(name="x", zone="Nowhere/City", weekly_hours={0: ((time(9), time(12)),)})
    assert caught.value.where == "calendar.zone"
