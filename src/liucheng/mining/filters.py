"""Filters: each takes an event table and returns an Ibis table with the same columns.

The result is a lazy expression: nothing runs until an analysis (or ``.to_pyarrow()``) asks, and
filters chain (``filter_case_duration(filter_variants(events, top_k=5), max_s=3600)``). Every
filter but ``filter_attribute_values(level="event")`` and ``filter_time_range(mode="events")``
keeps or drops whole cases, so the kept cases keep all their events. Bounds are inclusive.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, Literal

import ibis
import ibis.expr.types as ir

from liucheng.eventlog.table import ACTIVITY, CASE_ID, TIMESTAMP
from liucheng.mining._ibis import (
    ActivityKey,
    EventsLike,
    MiningInputError,
    as_ibis,
    case_spans,
    case_variants,
    check_choice,
    select_events,
)
from liucheng.mining.variants import check_share

TimeMode = Literal["contained", "intersecting", "started", "completed", "events"]
_TIME_MODES: Final = ("contained", "intersecting", "started", "completed", "events")


def filter_time_range(events: EventsLike, start: datetime, end: datetime, *,
                      mode: TimeMode = "contained") -> ir.Table:
    """Cases (or events) in the window ``[start, end]`` (aware datetimes).

    ``contained``: cases whose first and last events are both in the window; ``intersecting``:
    cases whose span overlaps it; ``started``/``completed``: cases whose first/last event is in
    it; ``events``: only the events in the window (cases get trimmed).
    """
    check_choice("mode", mode, _TIME_MODES)
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise MiningInputError(f"{name}={value.isoformat()} has no time zone",
                                   hint="give an aware datetime, e.g. datetime(2012, 1, 1, tzinfo=UTC)")
    if start > end:
        raise MiningInputError(f"start {start.isoformat()} is after end {end.isoformat()}")
    table = as_ibis(events)
    low, high = ibis.literal(start), ibis.literal(end)
    if mode == "events":
        return table.filter(table[TIMESTAMP].between(low, high))
    spans = case_spans(table)
    keep = {
        "contained": (spans.start >= low) & (spans.end <= high),
        "intersecting": (spans.start <= high) & (spans.end >= low),
        "started": spans.start.between(low, high),
        "completed": spans.end.between(low, high),
    }[mode]
    return _keep_cases(table, spans.filter(keep)[CASE_ID])


def filter_attribute_values(events: EventsLike, column: str, values: Iterable[Any], *,
                            level: Literal["case", "event"] = "case", keep: bool = True) -> ir.Table:
    """Keep (or with ``keep=False`` drop) by the values of ``column``.

    ``level="event"`` keeps or drops the matching events themselves; ``level="case"`` keeps or
    drops whole cases with at least one matching event (for a ``case:*`` column, the cases with
    that value). Null never matches.
    """
    check_choice("level", level, ("case", "event"))
    table = as_ibis(events, needs=(column,))
    wanted = list(values)
    if not wanted:
        raise MiningInputError(f"no values given for column {column!r}")
    matches = table[column].isin(wanted)
    if level == "event":
        return table.filter(matches if keep else ~matches.fill_null(False))
    matching_cases = table.filter(matches)[CASE_ID]
    return _keep_cases(table, matching_cases, keep=keep)


def filter_activities(events: EventsLike, activities: Iterable[str], *, how: Literal["any", "all"] = "any",
                      keep: bool = True) -> ir.Table:
    """Cases containing ``any`` (or ``all``) of ``activities``; ``keep=False`` keeps the others instead."""
    check_choice("how", how, ("any", "all"))
    wanted = sorted(set(activities))
    if not wanted:
        raise MiningInputError("no activities given", hint="name at least one activity")
    table = as_ibis(events)
    hits = table.filter(table[ACTIVITY].isin(wanted))
    if how == "any":
        cases = hits[CASE_ID]
    else:
        per_case = hits.group_by(CASE_ID).aggregate(found=hits[ACTIVITY].nunique())
        cases = per_case.filter(per_case.found == len(wanted))[CASE_ID]
    return _keep_cases(table, cases, keep=keep)


def filter_case_duration(events: EventsLike, *, min_s: float | None = None, max_s: float | None = None) -> ir.Table:
    """Cases whose duration (first to last event, seconds) is within ``[min_s, max_s]``."""
    if min_s is not None and max_s is not None and min_s > max_s:
        raise MiningInputError(f"min_s={min_s} is larger than max_s={max_s}")
    table = as_ibis(events)
    spans = case_spans(table)
    keep = ibis.literal(True)
    if min_s is not None:
        keep &= spans.duration_s >= min_s
    if max_s is not None:
        keep &= spans.duration_s <= max_s
    return _keep_cases(table, spans.filter(keep)[CASE_ID])


def filter_variants(events: EventsLike, variants: Iterable[Iterable[str]] | None = None, *,
                    top_k: int | None = None, keep: bool = True, lifecycle: str | Iterable[str] | None = None,
                    activity_key: ActivityKey = "activity") -> ir.Table:
    """Cases whose variant is one of ``variants`` (activity sequences) or among the ``top_k`` most frequent.

    Give exactly one of ``variants`` and ``top_k``. The ranking is ``variants.get_variants``'s
    (count, then sequence). ``lifecycle``/``activity_key`` define the variant as in that function;
    the kept cases keep all their events.
    """
    if (variants is None) == (top_k is None):
        raise MiningInputError("give either variants= or top_k=", hint="e.g. filter_variants(events, top_k=10)")
    table = as_ibis(events)
    ranked = _ranked_variants(table, lifecycle=lifecycle, activity_key=activity_key)
    if top_k is not None:
        if top_k < 0:
            raise MiningInputError(f"top_k={top_k} is negative")
        chosen = ranked.filter(ranked.rank < top_k)
    else:
        wanted = ibis.memtable({"variant": [list(variant) for variant in variants or ()]},
                               schema={"variant": "array<string>"})
        chosen = ranked.semi_join(wanted, "variant")
    return _keep_cases(table, _cases_of(table, chosen, lifecycle, activity_key), keep=keep)


def filter_variants_coverage(events: EventsLike, share: float, *, lifecycle: str | Iterable[str] | None = None,
                             activity_key: ActivityKey = "activity") -> ir.Table:
    """Cases of the most frequent variants that together cover at least ``share`` (0..1] of the cases.

    Variants are taken in ``get_variants`` order until the covered cases reach ``share`` of all
    cases; the variant that crosses the threshold is kept.
    """
    check_share(share)
    table = as_ibis(events)
    ranked = _ranked_variants(table, lifecycle=lifecycle, activity_key=activity_key)
    chosen = ranked.filter(ranked.covered_before < share * ranked.total)
    return _keep_cases(table, _cases_of(table, chosen, lifecycle, activity_key))


def _ranked_variants(table: ir.Table, *, lifecycle: str | Iterable[str] | None, activity_key: ActivityKey) -> ir.Table:
    """One row per variant: ``variant``, ``count``, ``rank`` (0-based), ``covered_before``, ``total``."""
    cases = case_variants(select_events(table, lifecycle=lifecycle, activity_key=activity_key))
    counted = cases.group_by("variant").aggregate(count=cases.count())
    order = [ibis.desc(counted["count"]), counted.variant]
    ranked = counted.mutate(rank=ibis.row_number().over(ibis.window(order_by=order)),
                            covered=counted["count"].sum().over(ibis.window(order_by=order, rows=(None, 0))),
                            total=counted["count"].sum().over())
    return ranked.mutate(covered_before=ranked.covered - ranked["count"])


def _cases_of(table: ir.Table, chosen: ir.Table, lifecycle: str | Iterable[str] | None,
              activity_key: ActivityKey) -> ir.Column:
    cases = case_variants(select_events(table, lifecycle=lifecycle, activity_key=activity_key))
    return cases.semi_join(chosen, "variant")[CASE_ID]


def _keep_cases(table: ir.Table, cases: ir.Column, *, keep: bool = True) -> ir.Table:
    selected = table[CASE_ID].isin(cases)
    return table.filter(selected if keep else ~selected)
