"""Business calendars: the hours a service centre works, in its own time zone.

Service levels count business time. A calendar names the local wall-clock hours each weekday is
open, the dates closed all day (public holidays) and the dates worked although they fall on a
weekend (China's make-up working days, 调休).

**What "open" means.** An instant is open when the wall clock of the service centre (``zone``, with
real DST) shows a time inside one of the open intervals of the date that clock shows. Intervals are
half-open ``[start, end)`` and an end of ``time(0)`` means 24:00. On DST days this gives:

* spring forward: wall-clock times that never exist are never open, so 01:00-04:00 in
  America/New_York on 2025-03-09 is 2 real hours;
* fall back: a wall-clock hour shown twice is worked twice, so 01:00-04:00 on 2025-11-02 is 4 real
  hours (the repeated hour there is 01:00-02:00) while 02:00-05:00 is 3.

Hours belong to the date the wall clock shows: overnight work is written as two days' intervals
(Monday 22:00-24:00 and Tuesday 00:00-06:00), and a holiday on Tuesday closes its 00:00-06:00.

Business time is counted exactly in microseconds and reported floored to whole seconds.
"""

from __future__ import annotations

import contextlib
import heapq
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from liucheng.core.clock import require_aware
from liucheng.core.errors import ConfigurationError, ValidationError

Interval = tuple[time, time]
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_FIELDS = ("name", "zone", "weekly_hours", "holidays", "makeup_workdays", "makeup_weekday", "holidays_until")
#: How long before its holiday list runs out a calendar starts to warn.
WARN_DAYS_AHEAD = 45

_US = 1_000_000
_DAY_US = 86_400 * _US
_ONE_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Bounds every UTC offset tzdata has ever used (-12:00 .. +14:00, a few LMT offsets slightly more).
_MAX_OFFSET_S = 16 * 3600
# Offset transitions are found by sampling the zone this often; tzdata has no two transitions
# closer than this, and zoneinfo does not expose its transition table.
_SAMPLE_S = 3600


class _WeeklyHours(Mapping[int, tuple[Interval, ...]]):
    """Read-only, hashable weekday -> sorted open intervals; every weekday present, closed = ()."""

    __slots__ = ("_days",)

    def __init__(self, days: tuple[tuple[Interval, ...], ...]) -> None:
        self._days = days

    def __getitem__(self, weekday: int) -> tuple[Interval, ...]:
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise KeyError(weekday)
        return self._days[weekday]

    def __iter__(self) -> Iterator[int]:
        return iter(range(7))

    def __len__(self) -> int:
        return 7

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __hash__(self) -> int:
        return hash(self._days)


@dataclass(frozen=True)
class BusinessCalendar:
    """Open hours per weekday in ``zone``, closed holidays and worked make-up days.

    Construction validates and normalises every field (intervals sorted, touching ones merged,
    every weekday present in ``weekly_hours``) and raises ``ValidationError(where="calendar.<field>")``.
    A make-up day works the hours of ``makeup_weekday`` whatever weekday it falls on.
    """

    name: str
    zone: str
    weekly_hours: Mapping[int, tuple[tuple[time, time], ...]]
    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    makeup_weekday: int = 0
    #: The last day the holiday list is known to cover (a preset's published notices); None when
    #: the owner keeps the list. After it, holidays count as working days: see ``holiday_warning``.
    holidays_until: date | None = None
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _day_us: tuple[tuple[tuple[int, int], ...], ...] = field(init=False, repr=False, compare=False)
    _cache: dict[date, tuple[tuple[int, int], ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        put = object.__setattr__
        if not isinstance(self.name, str) or not self.name.strip():
            _fail("calendar.name", "must be a non-empty string", 'e.g. "cn-mainland"')
        put(self, "_tz", _zone(self.zone))
        put(self, "weekly_hours", _weekly_hours(self.weekly_hours, "calendar.weekly_hours"))
        put(self, "holidays", _dates(self.holidays, "calendar.holidays"))
        put(self, "makeup_workdays", _dates(self.makeup_workdays, "calendar.makeup_workdays"))
        put(self, "makeup_weekday", _weekday(self.makeup_weekday, "calendar.makeup_weekday"))
        if self.holidays_until is not None:
            put(self, "holidays_until", next(iter(_dates((self.holidays_until,), "calendar.holidays_until"))))
        both = sorted(self.holidays & self.makeup_workdays)
        if both:
            _fail("calendar.makeup_workdays", f"{both[0]} is also a holiday", "keep it in one list only")
        day_us = tuple(tuple(_interval_us(iv) for iv in self.weekly_hours[wd]) for wd in range(7))
        if not any(day_us):
            _fail("calendar.weekly_hours", "no weekday has open hours", 'e.g. {"mon": [["09:00", "18:00"]]}')
        put(self, "_day_us", day_us)
        put(self, "_cache", {})

    # -- public API ---------------------------------------------------------------------------

    def is_open(self, instant: datetime) -> bool:
        at = _instant_us(instant, "instant")
        day = self._local_date(at)
        return any(a <= at < b for d in (day - _ONE_DAY, day, day + _ONE_DAY) for a, b in self._pieces(d))

    def business_seconds(self, start: datetime, end: datetime) -> int:
        """Open time in ``[start, end)`` in whole seconds (floored); 0 if ``end <= start``."""
        s, e = _instant_us(start, "start"), _instant_us(end, "end")
        if e <= s:
            return 0
        total = 0
        for a, b in self._walk(self._local_date(s) - _ONE_DAY):
            if a >= e:
                break
            if b > s:
                total += min(b, e) - max(a, s)
        return total // _US

    def add_business_seconds(self, start: datetime, seconds: int) -> datetime:
        """The earliest instant ``t >= start`` with ``business_seconds(start, t) == seconds``.

        A deadline that uses up an open period exactly is its closing instant (12:00, not the
        13:30 reopening); ``seconds == 0`` returns ``start`` itself, open or not.
        """
        s = _instant_us(start, "start")
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            _fail("seconds", f"{seconds!r} is not a whole number of seconds >= 0", "e.g. 4 * 3600")
        need = seconds * _US
        if need == 0:
            return _from_us(s)
        periods = self._walk(self._local_date(s) - _ONE_DAY)
        while True:
            a, b = next(periods)
            a = max(a, s)
            if b - a >= need:
                return _from_us(a + need)
            need -= max(0, b - a)

    def next_open(self, instant: datetime) -> datetime:
        """``instant`` itself if open, else the instant the calendar next opens."""
        at = _instant_us(instant, "instant")
        return next(_from_us(max(a, at)) for a, b in self._walk(self._local_date(at) - _ONE_DAY) if b > at)

    @classmethod
    def always_open(cls, zone: str = "UTC", name: str = "24x7") -> BusinessCalendar:
        return cls(name=name, zone=zone, weekly_hours={wd: ((time(0), time(0)),) for wd in range(7)})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Build from TOML/JSON-shaped data, the inverse of :meth:`to_dict`.

        ``weekly_hours`` maps weekday names (``mon`` or ``monday``, any case) to intervals written
        ``["09:00", "12:00"]`` or ``"09:00-12:00"``; ``24:00`` ends a day. Dates are ISO strings or
        TOML dates; ``makeup_weekday`` is a weekday name or 0-6.
        """
        if not isinstance(data, Mapping):
            _fail("calendar", "must be a table", "see BusinessCalendar.to_dict() for the form")
        for key in data:
            if key not in _FIELDS:
                _fail(f"calendar.{key}", "unknown field", f"known fields: {', '.join(_FIELDS)}")
        for key in _FIELDS[:3]:
            if key not in data:
                _fail(f"calendar.{key}", "is required", "see BusinessCalendar.to_dict() for the form")
        return cls(
            name=data["name"],
            zone=data["zone"],
            weekly_hours=data["weekly_hours"],
            holidays=data.get("holidays", ()),
            makeup_workdays=data.get("makeup_workdays", ()),
            makeup_weekday=data.get("makeup_weekday", 0),
            holidays_until=data.get("holidays_until"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "zone": self.zone,
            "weekly_hours": {
                WEEKDAY_NAMES[wd]: [[_format_time(a), _format_time(b, end=True)] for a, b in hours]
                for wd, hours in self.weekly_hours.items()
                if hours
            },
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "makeup_workdays": sorted(d.isoformat() for d in self.makeup_workdays),
            "makeup_weekday": WEEKDAY_NAMES[self.makeup_weekday],
        } | ({"holidays_until": self.holidays_until.isoformat()} if self.holidays_until else {})

    def holiday_warning(self, today: date, *, days_ahead: int = WARN_DAYS_AHEAD) -> str | None:
        """What to tell the owner when the holiday list ends within ``days_ahead`` of ``today``
        (or has ended): deadlines after its end treat holidays as working days."""
        if self.holidays_until is None or (self.holidays_until - today).days > days_ahead:
            return None
        nxt = self.holidays_until.year + 1
        return (f"calendar {self.name!r}: its holidays are known until {self.holidays_until.isoformat()}; "
                f"deadlines after that count {nxt}'s holidays as working days. Add {nxt}'s holidays and "
                f"make-up days to the calendar in the config file (holidays = [...], makeup_workdays = [...]) "
                f"and load it again, or upgrade liucheng")

    # -- open periods as UTC microseconds -----------------------------------------------------

    def _local_date(self, us: int) -> date:
        return _from_us(us).astimezone(self._tz).date()

    def _pieces(self, day: date) -> tuple[tuple[int, int], ...]:
        """Sorted disjoint UTC ``[a, b)`` microsecond periods whose wall clock shows ``day`` open."""
        cached = self._cache.get(day)
        if cached is None:
            if day in self.holidays:
                hours: tuple[tuple[int, int], ...] = ()
            elif day in self.makeup_workdays:
                hours = self._day_us[self.makeup_weekday]
            else:
                hours = self._day_us[day.weekday()]
            base = (day.toordinal() - _EPOCH_ORDINAL) * _DAY_US
            found = sorted(p for a, b in hours for p in _wall_to_utc(self.zone, base + a, base + b))
            merged: list[tuple[int, int]] = []
            for a, b in found:
                if merged and a <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
                else:
                    merged.append((a, b))
            cached = self._cache[day] = tuple(merged)
        return cached

    def _walk(self, first: date) -> Iterator[tuple[int, int]]:
        """Every open period from the dates ``first`` onwards, in UTC order, without end."""
        heap: list[tuple[int, int]] = []
        day = first
        while True:
            # A period of `day` cannot start before its wall-clock midnight minus the largest
            # offset; until the heap's head starts before that bound a later date might precede it
            # (a fall-back across midnight interleaves two dates).
            while (
                not heap or heap[0][0] >= (day.toordinal() - _EPOCH_ORDINAL) * _DAY_US - _MAX_OFFSET_S * _US
            ):
                for piece in self._pieces(day):
                    heapq.heappush(heap, piece)
                day += _ONE_DAY
            yield heapq.heappop(heap)


def china_mainland(
    *,
    name: str = "cn-mainland",
    zone: str = "Asia/Shanghai",
    hours: Iterable[Interval] = ((time(9), time(12)), (time(13, 30), time(18))),
    weekdays: Iterable[int] = range(5),
    years: Iterable[int] | None = None,
    holidays: Iterable[date | str] = (),
    makeup_workdays: Iterable[date | str] = (),
) -> BusinessCalendar:
    """A mainland China calendar with the State Council's holidays and make-up days (调休).

    ``years`` picks which years' notices apply (default: all shipped, see ``cn_holidays.toml``);
    outside them only the weekly hours count. ``holidays`` and ``makeup_workdays`` add days (a
    year whose notice came out after this release); the list is known until the end of the last
    year either covers (``holidays_until``). Make-up days work the hours of the first weekday.
    """
    data = _cn_holidays()
    if isinstance(years, int):
        years = (years,)
    chosen = sorted(data) if years is None else sorted(set(years))
    missing = [year for year in chosen if year not in data]
    if missing:
        _fail("years", f"no holiday data for {missing}", f"shipped: {sorted(data)}; add to cn_holidays.toml")
    days = sorted({_weekday(wd, "weekdays") for wd in weekdays})
    if not days:
        _fail("weekdays", "no working weekday given", "e.g. range(5) for Monday to Friday")
    day_hours = tuple(hours)
    added_off = _dates(holidays, "holidays")
    added_on = _dates(makeup_workdays, "makeup_workdays")
    shipped_off = frozenset().union(*(data[year][0] for year in chosen))
    shipped_on = frozenset().union(*(data[year][1] for year in chosen))
    last_year = max([*chosen, *(d.year for d in added_off | added_on)], default=None)
    return BusinessCalendar(
        name=name,
        zone=zone,
        weekly_hours={wd: day_hours for wd in days},
        holidays=(shipped_off - added_on) | added_off,
        makeup_workdays=(shipped_on - added_off) | added_on,
        makeup_weekday=days[0],
        holidays_until=date(last_year, 12, 31) if last_year is not None else None,
    )


@lru_cache(maxsize=1)
def _cn_holidays() -> dict[int, tuple[frozenset[date], frozenset[date]]]:
    """Year -> (holidays, make-up workdays) from the shipped data file, checked for consistency."""
    source = resources.files("liucheng.core").joinpath("data", "cn_holidays.toml")
    out: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
    for entry in tomllib.loads(source.read_text(encoding="utf-8"))["year"]:
        off: set[date] = set()
        worked: set[date] = set()
        for festival in entry["festival"]:
            day, last = festival["first"], festival["last"]
            if last < day:
                raise ConfigurationError(
                    f"cn_holidays.toml: {festival['name']} {entry['year']} ends before it starts"
                )
            while day <= last:
                off.add(day)
                day += _ONE_DAY
            worked.update(festival["makeup_workdays"])
        odd = sorted(d for d in worked if d.weekday() < 5 or d in off)
        if odd:
            raise ConfigurationError(f"cn_holidays.toml: make-up day {odd[0]} is a weekday or a holiday")
        out[entry["year"]] = (frozenset(off), frozenset(worked))
    return out


# -- wall clock <-> UTC ---------------------------------------------------------------------------


def _wall_to_utc(zone: str, lo_us: int, hi_us: int) -> list[tuple[int, int]]:
    """UTC periods whose wall clock in ``zone`` reads within ``[lo_us, hi_us)`` (wall µs since 1970)."""
    out = []
    for seg_start, seg_end, offset in _segments(
        zone, lo_us // _US - _MAX_OFFSET_S, hi_us // _US + _MAX_OFFSET_S
    ):
        a = max(lo_us - offset * _US, seg_start * _US)
        b = min(hi_us - offset * _US, seg_end * _US)
        if a < b:
            out.append((a, b))
    return out


def _segments(zone: str, lo_s: int, hi_s: int) -> Iterator[tuple[int, int, int]]:
    """``(start_s, end_s, offset_s)`` runs of constant UTC offset covering ``[lo_s, hi_s)``."""
    start, offset = lo_s, _offset_s(zone, lo_s)
    for year in range(_from_us(lo_s * _US).year, _from_us(hi_s * _US).year + 1):
        for when, new_offset in _transitions(zone, year):
            if lo_s < when < hi_s:
                yield start, when, offset
                start, offset = when, new_offset
    yield start, hi_s, offset


@lru_cache(maxsize=512)
def _transitions(zone: str, year: int) -> tuple[tuple[int, int], ...]:
    """``(utc_s, new_offset_s)`` for each offset change of ``zone`` in ``(Jan 1, next Jan 1]`` UTC."""
    lo = (date(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * 86_400
    hi = (date(year + 1, 1, 1).toordinal() - _EPOCH_ORDINAL) * 86_400 if year < 9999 else lo + 365 * 86_400
    found = []
    before, offset = lo, _offset_s(zone, lo)
    for after in range(lo + _SAMPLE_S, hi + 1, _SAMPLE_S):
        if _offset_s(zone, after) != offset:
            left, right = before, after  # the change happens in (left, right]
            while right - left > 1:
                middle = (left + right) // 2
                left, right = (middle, right) if _offset_s(zone, middle) == offset else (left, middle)
            offset = _offset_s(zone, right)
            found.append((right, offset))
        before = after
    return tuple(found)


def _offset_s(zone: str, utc_s: int) -> int:
    offset = _from_us(utc_s * _US).astimezone(ZoneInfo(zone)).utcoffset()
    assert offset is not None
    return offset // timedelta(seconds=1)


def _instant_us(value: object, where: str) -> int:
    if not isinstance(value, datetime):
        _fail(where, f"expected a datetime, got {type(value).__name__}", "pass an aware datetime")
    return (require_aware(value, where) - _EPOCH) // timedelta(microseconds=1)


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


# -- validation of configuration -------------------------------------------------------------------

_HOURS_HINT = 'e.g. {"mon": [["09:00", "12:00"], ["13:30", "18:00"]]}; "24:00" ends a day'


def _fail(where: str, message: str, hint: str) -> NoReturn:
    raise ValidationError(message, where=where, hint=hint)


def _zone(value: object) -> ZoneInfo:
    hint = 'an IANA time zone name such as "Asia/Shanghai" or "UTC"'
    try:
        if isinstance(value, str) and value:
            return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    _fail("calendar.zone", f"unknown time zone {value!r}", hint)


def _weekday(value: object, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    key = value.strip().lower() if isinstance(value, str) else None
    for names in (WEEKDAY_NAMES, _FULL_NAMES):
        if key in names:
            return names.index(key)
    _fail(where, f"unknown weekday {value!r}", "use mon, tue, wed, thu, fri, sat, sun (or 0=Monday..6)")


def _weekly_hours(value: object, where: str) -> _WeeklyHours:
    if not isinstance(value, Mapping):
        _fail(where, "must map weekdays to open intervals", _HOURS_HINT)
    days: list[tuple[Interval, ...] | None] = [None] * 7
    for key, intervals in value.items():
        weekday = _weekday(key, where)
        day_where = f"{where}.{WEEKDAY_NAMES[weekday]}"
        if days[weekday] is not None:
            _fail(day_where, "weekday given twice", "merge its intervals into one list")
        days[weekday] = _day_hours(intervals, day_where)
    return _WeeklyHours(tuple(day or () for day in days))


def _day_hours(value: object, where: str) -> tuple[Interval, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        _fail(where, "must be a list of intervals", _HOURS_HINT)
    parsed: list[tuple[int, int, time, time]] = []
    for index, item in enumerate(value):
        item_where = f"{where}[{index}]"
        pair = item.split("-") if isinstance(item, str) else item
        if isinstance(pair, str | bytes) or not isinstance(pair, Iterable) or len(pair := tuple(pair)) != 2:
            _fail(item_where, f"{item!r} is not a [start, end] pair", _HOURS_HINT)
        start, end = _time(pair[0], item_where, end=False), _time(pair[1], item_where, end=True)
        a, b = _interval_us((start, end))
        if b <= a:
            _fail(
                item_where,
                f"{_span(start, end)} ends before it starts",
                "write overnight work as two days' intervals: 22:00-24:00 and next day 00:00-06:00",
            )
        parsed.append((a, b, start, end))
    merged: list[tuple[int, int, time, time]] = []
    for a, b, start, end in sorted(parsed):
        if merged and a < merged[-1][1]:
            _fail(
                where, f"{_span(start, end)} overlaps {_span(*merged[-1][2:])}", "make the intervals disjoint"
            )
        if merged and a == merged[-1][1]:  # touching intervals are one open period
            merged[-1] = (merged[-1][0], b, merged[-1][2], end)
        else:
            merged.append((a, b, start, end))
    return tuple((start, end) for _, _, start, end in merged)


def _time(value: object, where: str, *, end: bool) -> time:
    if isinstance(value, str):
        text = value.strip()
        with contextlib.suppress(ValueError):
            value = time(0) if end and text in ("24:00", "24:00:00") else time.fromisoformat(text)
    if not isinstance(value, time) or value.tzinfo is not None:
        _fail(where, f"{value!r} is not a local time of day", 'write "HH:MM"; "24:00" ends a day')
    return value


def _interval_us(interval: Interval) -> tuple[int, int]:
    start, end = interval
    return _time_us(start), _time_us(end) or _DAY_US


def _time_us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * _US + value.microsecond


def _format_time(value: time, *, end: bool = False) -> str:
    if end and value == time(0):
        return "24:00"
    return value.isoformat("minutes" if not value.second and not value.microsecond else "auto")


def _span(start: time, end: time) -> str:
    return f"{_format_time(start)}-{_format_time(end, end=True)}"


def _dates(values: object, where: str) -> frozenset[date]:
    hint = 'write YYYY-MM-DD, e.g. ["2025-10-01", "2025-10-02"]'
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        _fail(where, "must be a list of dates", hint)
    out = set()
    for index, value in enumerate(values):
        parsed = value
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                parsed = date.fromisoformat(value.strip())
        if not isinstance(parsed, date) or isinstance(parsed, datetime):
            _fail(f"{where}[{index}]", f"{value!r} is not a date", hint)
        out.add(parsed)
    return frozenset(out)
