"""Filters written as text, for the command line (``--filter``) and anything else that takes text.

One filter per string; several are applied in the order given, each to what the previous kept:

=====================================  ======================================================
``since=2012-01-01``                   cases that started on or after (``until=`` on or before;
``until=2012-06-30T18:00:00+08:00``    a date alone is the whole UTC day; with an offset, exact)
``window=contained``                   how ``since``/``until`` pick cases: ``started`` (the
                                       default), ``completed``, ``contained``, ``intersecting``,
                                       or ``events`` (keep only the events inside)
``case:category=complaint|inquiry``    cases with one of the values in that column
``org:group!=Helpdesk``                cases without any of the values
``has=W_Fix|W_Call``                   cases with at least one of the activities
``has-all=A|B``, ``lacks=A|B``         cases with all of them; cases with none of them
``duration>=2d``, ``duration<=PT4H``   case duration bounds (``s m h d w`` or ISO 8601)
``top-variants=10``                    cases of the 10 most frequent variants
``coverage=0.8``                       cases of the most frequent variants covering 80 %
=====================================  ======================================================

``parse_filter`` checks a string and says what is wrong with it; ``apply_filters`` runs the
filters (``mining.filters``) and returns the kept events as an in-memory ``EventTable``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from liucheng.core.durations import parse_duration_s
from liucheng.eventlog.table import XES_TO_CORE, EventTable, from_arrow
from liucheng.mining._ibis import EventsLike, MiningInputError
from liucheng.mining.filters import (
    filter_activities,
    filter_attribute_values,
    filter_case_duration,
    filter_time_range,
    filter_variants,
    filter_variants_coverage,
)

SYNTAX: Final = ("since=DATE, until=DATE, window=started|completed|contained|intersecting|events, COLUMN=V1|V2, "
                 "COLUMN!=V1|V2, has=A|B, has-all=A|B, lacks=A|B, duration>=2d, duration<=PT4H, top-variants=K, "
                 "coverage=0.8")
_PATTERN: Final = re.compile(r"^\s*(?P<key>[^=<>!]+?)\s*(?P<op>>=|<=|!=|=)\s*(?P<value>.*?)\s*$")
_SHORT_DURATION: Final = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[smhdw])$", re.IGNORECASE)
_UNIT_S: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_WINDOWS: Final = ("started", "completed", "contained", "intersecting", "events")


@dataclass(frozen=True)
class TextFilter:
    """One parsed filter: ``key``, ``op`` and the value(s) as text."""

    text: str
    key: str
    op: str
    values: tuple[str, ...]


def parse_filter(text: str) -> TextFilter:
    """Check one filter string; ``MiningInputError`` says what is wrong and shows the syntax."""
    match = _PATTERN.match(text)
    if not match or not match["value"]:
        raise _bad(text, "expected KEY=VALUE, KEY!=VALUE, duration>=D or duration<=D")
    key, op, value = match["key"], match["op"], match["value"]
    values = tuple(part.strip() for part in value.split("|"))
    if any(not part for part in values):
        raise _bad(text, "an empty value between |")
    lowered = key.lower()
    if op in (">=", "<=") and lowered != "duration":
        raise _bad(text, f"{op} only applies to duration")
    if lowered == "duration" and op not in (">=", "<="):
        raise _bad(text, "write duration>=D or duration<=D")
    if lowered in ("since", "until", "window", "has", "has-all", "lacks", "top-variants", "coverage") and op != "=":
        raise _bad(text, f"{key} takes =")
    if lowered in ("since", "until", "window", "duration", "top-variants", "coverage") and len(values) > 1:
        raise _bad(text, f"{key} takes one value")
    # XES's standard names (org:group, org:resource, lifecycle:transition) name the core columns.
    parsed = TextFilter(text=text, key=lowered if lowered in _KEYS else XES_TO_CORE.get(key, key), op=op,
                        values=values)
    _check_value(parsed)
    return parsed


_KEYS: Final = frozenset({"since", "until", "window", "has", "has-all", "lacks", "duration", "top-variants",
                          "coverage"})


def _check_value(spec: TextFilter) -> None:
    value = spec.values[0]
    if spec.key in ("since", "until"):
        _instant(spec, end_of_day=spec.key == "until")
    elif spec.key == "window" and value not in _WINDOWS:
        raise _bad(spec.text, f"window is one of {', '.join(_WINDOWS)}")
    elif spec.key == "duration":
        _seconds(spec)
    elif spec.key == "top-variants" and not (value.isdigit() and int(value) > 0):
        raise _bad(spec.text, "top-variants takes a whole number above 0")
    elif spec.key == "coverage":
        try:
            share = float(value)
        except ValueError:
            share = -1.0
        if not 0 < share <= 1:
            raise _bad(spec.text, "coverage takes a share in (0, 1], e.g. 0.8")


def apply_filters(events: EventTable, texts: Iterable[str]) -> EventTable:
    """``events`` after every filter in ``texts`` (in order), as an in-memory ``EventTable``."""
    specs = [parse_filter(text) for text in texts]
    if not specs:
        return events
    window = next((s.values[0] for s in specs if s.key == "window"), "started")
    since = next((_instant(s, end_of_day=False) for s in specs if s.key == "since"), None)
    until = next((_instant(s, end_of_day=True) for s in specs if s.key == "until"), None)
    current: EventsLike = events
    time_applied = False
    for spec in specs:
        if spec.key in ("since", "until", "window"):
            if not time_applied and (since is not None or until is not None):
                low = since or datetime(1, 1, 2, tzinfo=UTC)
                high = until or datetime(9999, 12, 30, tzinfo=UTC)
                current = filter_time_range(current, low, high, mode=window)  # type: ignore[arg-type]
                time_applied = True
            continue
        current = _STEPS[spec.key](current, spec) if spec.key in _STEPS else _by_column(current, spec)
    table = current.to_pyarrow() if not isinstance(current, EventTable) else current.table
    if table.num_rows == 0:
        raise MiningInputError(f"no events are left after {', '.join(s.text for s in specs)}",
                               hint="loosen the filters; `liucheng log info LOG` shows the columns and period")
    return from_arrow(table, source=events.source, meta=events.meta)


def _by_column(current: EventsLike, spec: TextFilter) -> Any:
    return filter_attribute_values(current, spec.key, _typed_values(current, spec), keep=spec.op == "=")


def _typed_values(current: EventsLike, spec: TextFilter) -> list[Any]:
    """The values as the column's type (numbers for a numeric column), so ``points=2`` matches."""
    from liucheng.mining._ibis import as_ibis

    table = as_ibis(current)
    if spec.key not in table.columns:
        shown = ", ".join(name for name in table.columns if name != "event_index")
        raise MiningInputError(f"filter {spec.text!r}: the log has no column {spec.key!r} (it has {shown})",
                               hint="case attributes from XES are named case:NAME; `liucheng log info LOG` "
                                    "lists the columns")
    column = table[spec.key]
    kind = column.type()
    out: list[Any] = []
    for value in spec.values:
        try:
            if kind.is_integer():
                out.append(int(value))
            elif kind.is_floating():
                out.append(float(value))
            elif kind.is_boolean():
                out.append(value.lower() in ("true", "1", "yes"))
            else:
                out.append(value)
        except ValueError:
            raise _bad(spec.text, f"{spec.key} holds {kind}; {value!r} is not one") from None
    return out


_STEPS: Final[dict[str, Callable[[EventsLike, TextFilter], Any]]] = {
    "has": lambda t, s: filter_activities(t, s.values, how="any"),
    "has-all": lambda t, s: filter_activities(t, s.values, how="all"),
    "lacks": lambda t, s: filter_activities(t, s.values, how="any", keep=False),
    "duration": lambda t, s: filter_case_duration(t, **{("min_s" if s.op == ">=" else "max_s"): _seconds(s)}),
    "top-variants": lambda t, s: filter_variants(t, top_k=int(s.values[0])),
    "coverage": lambda t, s: filter_variants_coverage(t, float(s.values[0])),
}


def _seconds(spec: TextFilter) -> float:
    value = spec.values[0]
    short = _SHORT_DURATION.match(value)
    if short:
        return float(short["n"]) * _UNIT_S[short["unit"].lower()]
    try:
        return float(parse_duration_s(value, where=spec.text))
    except Exception:  # noqa: BLE001 - one message for every way a duration can be wrong
        raise _bad(spec.text, "a duration is 90s, 30m, 4h, 2d, 1w or ISO 8601 such as PT4H") from None


def _instant(spec: TextFilter, *, end_of_day: bool) -> datetime:
    found = _parse_instant(spec.values[0], end_of_day=end_of_day)
    if isinstance(found, str):
        raise _bad(spec.text, found)
    return found


def _parse_instant(value: str, *, end_of_day: bool) -> datetime | str:
    """The instant ``value`` names (a date alone: the start, or the last microsecond, of that UTC
    day), or what is wrong with it."""
    try:
        if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
            day = date.fromisoformat(value)
            start = datetime.combine(day, time(0), tzinfo=UTC)
            return start + timedelta(days=1, microseconds=-1) if end_of_day else start
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return "a date is 2012-03-01, or a date-time with an offset such as 2012-03-01T09:00:00+08:00"
    if instant.tzinfo is None:
        return "a date-time needs an offset (Z or +08:00); a date alone means the UTC day"
    return instant


def parse_period(text: str) -> tuple[datetime, datetime]:
    """``START..END`` as the half-open interval [start, end): dates are whole UTC days, both
    included (``2012-04-01..2012-04-30`` is April); date-times with an offset are exact."""
    start_text, sep, end_text = text.partition("..")
    hint = "write START..END, e.g. 2012-04-01..2012-04-30 or 2012-04-01T00:00:00+08:00..2012-05-01T00:00:00+08:00"
    if not sep or not start_text.strip() or not end_text.strip():
        raise MiningInputError(f"period {text!r} is not START..END", hint=hint)
    instants = []
    for part, end_of_day in ((start_text, False), (end_text, True)):
        found = _parse_instant(part.strip(), end_of_day=end_of_day)
        if isinstance(found, str):
            raise MiningInputError(f"period {text!r}: {found}", hint=hint)
        instants.append(found)
    start, end = instants
    if re.fullmatch(r"\d{4}-\d\d-\d\d", end_text.strip()):
        end += timedelta(microseconds=1)  # the end of the last day, exclusive
    if end <= start:
        raise MiningInputError(f"period {text!r} ends before it starts", hint=hint)
    return start, end


def _bad(text: str, why: str) -> MiningInputError:
    return MiningInputError(f"filter {text!r}: {why}", hint=f"filters: {SYNTAX}")
