"""What changed between two sets of cases: two periods, or two values of a case attribute.

Side A is the reference ("before"), side B the other ("after"); every change reads B minus A.

* case duration (first to last event): medians, means and Cliff's delta, the probability that a
  B case takes longer than an A case minus the reverse (-1..1; robust to the long tails of
  service times, unlike Cohen's d);
* per activity: the share of cases containing it on each side, the difference, and a
  two-proportion z-test (pooled standard error; two-sided p-value);
* per directly-follows edge: the waiting time between the two events on each side, medians and
  Cliff's delta, for edges seen at least ``min_count`` times on both sides.

Rows are sorted by the size of the change: |difference of shares|, |Cliff's delta|.
Cliff's delta is computed from ranks (Mann-Whitney U with mid-ranks for ties), so it needs no
comparison of every pair.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING

import ibis
import msgspec

from liucheng.eventlog.table import ACTIVITY, CASE_ID, TIMESTAMP
from liucheng.mining._ibis import EventsLike, MiningInputError, Rows, as_ibis, case_window, fetch, seconds_between

if TYPE_CHECKING:
    import ibis.expr.types as ir

#: Thresholds of |Cliff's delta| for negligible / small / medium / large (Romano et al. 2006).
MAGNITUDES = ((0.147, "negligible"), (0.33, "small"), (0.474, "medium"))


def magnitude(delta: float | None) -> str | None:
    """The conventional label of a Cliff's delta."""
    if delta is None:
        return None
    return next((label for limit, label in MAGNITUDES if abs(delta) < limit), "large")


def _first_events(t: ir.Table) -> ir.Table:
    first = t.mutate(_n=ibis.row_number().over(case_window()))
    return first.filter(first._n == 0)


def split_by_period(events: EventsLike, *, a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> ir.Table:
    """case_id, side: a case belongs to the period ``[start, end)`` its first event falls in."""
    for name, (start, end) in (("a", a), ("b", b)):
        for when in (start, end):
            if when.tzinfo is None or when.utcoffset() is None:
                raise MiningInputError(f"{when.isoformat()} has no time zone", where=f"period {name}",
                                      hint="give aware datetimes, e.g. datetime(2012, 1, 1, tzinfo=UTC)")
        if end <= start:
            raise MiningInputError(f"ends ({end.isoformat()}) before it starts ({start.isoformat()})",
                                  where=f"period {name}")
    if a[0] < b[1] and b[0] < a[1]:
        raise MiningInputError(f"periods a and b overlap ({max(a[0], b[0]).isoformat()} .. "
                              f"{min(a[1], b[1]).isoformat()})", where="periods",
                              hint="a case must belong to one side only: make the periods disjoint")
    first = _first_events(as_ibis(events))
    ts = first[TIMESTAMP]
    side = ibis.cases(((ts >= a[0]) & (ts < a[1]), "a"), ((ts >= b[0]) & (ts < b[1]), "b"), else_=None)
    sides = first.select(CASE_ID, side=side)
    return sides.filter(sides.side.notnull())


def split_by_attribute(events: EventsLike, *, column: str, a: str, b: str) -> ir.Table:
    """case_id, side: by the value of ``column`` on the case's first event (A = ``a``, B = ``b``)."""
    t = as_ibis(events)
    if column not in t.columns:
        raise MiningInputError(f"no column {column!r}", where="column", hint=f"choose among {', '.join(t.columns)}")
    first = _first_events(t)
    value = first[column].cast("string")
    sides = first.select(CASE_ID, side=ibis.cases((value == a, "a"), (value == b, "b"), else_=None))
    return sides.filter(sides.side.notnull())


class DurationChange(msgspec.Struct, frozen=True, kw_only=True):
    """Case duration (seconds) on both sides; change = B - A; delta > 0: B cases take longer."""

    cases_a: int
    cases_b: int
    mean_a_s: float
    mean_b_s: float
    median_a_s: float
    median_b_s: float
    median_change_s: float
    cliffs_delta: float
    magnitude: str


class FrequencyChange(msgspec.Struct, frozen=True, kw_only=True):
    """Share of cases containing an activity on both sides; change = share_b - share_a."""

    activity: str
    cases_a: int
    cases_b: int
    share_a: float
    share_b: float
    change: float
    z: float
    p_value: float


class WaitingChange(msgspec.Struct, frozen=True, kw_only=True):
    """Waiting time on the edge ``source -> target`` on both sides (seconds)."""

    source: str
    target: str
    count_a: int
    count_b: int
    median_a_s: float
    median_b_s: float
    median_change_s: float
    cliffs_delta: float
    magnitude: str


class Comparison(msgspec.Struct, frozen=True, kw_only=True):
    duration: DurationChange
    activities: Rows[FrequencyChange]
    edges: Rows[WaitingChange]


def _cliffs(values: ir.Table, keys: list[str]) -> ir.Table:
    """keys, count_a, count_b, median_a_s, median_b_s, cliffs_delta from rows (keys, side, value).

    With mid-ranks r over both sides, U_b = sum of B's ranks - n_b (n_b + 1) / 2 counts the pairs
    where B is larger (ties one half), and delta = 2 U_b / (n_a n_b) - 1.
    """
    over_key = {"group_by": keys} if keys else {}
    ranked = values.mutate(
        _rank=ibis.rank().over(order_by=values.value, **over_key) + 1,
        _ties=values.count().over(group_by=[*keys, values.value]),
    )
    ranked = ranked.mutate(_mid=ranked._rank + (ranked._ties - 1) / 2)
    is_b = ranked.side == "b"
    grouped = ranked.group_by(keys) if keys else ranked
    stats = grouped.aggregate(
        count_a=(~is_b).cast("int64").sum(), count_b=is_b.cast("int64").sum(),
        _rank_b=ibis.ifelse(is_b, ranked._mid, 0.0).sum(),
        median_a_s=ibis.ifelse(is_b, ibis.null("float64"), ranked.value).median(),
        median_b_s=ibis.ifelse(is_b, ranked.value, ibis.null("float64")).median(),
        mean_a_s=ibis.ifelse(is_b, ibis.null("float64"), ranked.value).mean(),
        mean_b_s=ibis.ifelse(is_b, ranked.value, ibis.null("float64")).mean(),
    )
    u_b = stats._rank_b - stats.count_b * (stats.count_b + 1) / 2
    return stats.mutate(cliffs_delta=2 * u_b / (stats.count_a * stats.count_b) - 1)


def _proportion_test(k_a: int, n_a: int, k_b: int, n_b: int) -> tuple[float, float]:
    """z and two-sided p of H0: equal shares (pooled standard error)."""
    pooled = (k_a + k_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return 0.0, 1.0
    z = (k_b / n_b - k_a / n_a) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def compare_cases(events: EventsLike, sides: ir.Table, *, min_count: int = 5) -> Comparison:
    """Compare the cases of side "a" with those of side "b" (``sides``: case_id, side)."""
    if min_count < 1:
        raise MiningInputError(f"min_count is {min_count}", where="min_count",
                              hint="an edge needs at least one waiting time on each side to compare")
    t = as_ibis(events)
    sides = sides.select(_case=sides[CASE_ID], side=sides.side)
    t = t.join(sides, t[CASE_ID] == sides._case)
    durations = t.group_by([CASE_ID, "side"]).aggregate(
        value=seconds_between(t[TIMESTAMP].max(), t[TIMESTAMP].min()))
    duration = _cliffs(durations, []).to_pyarrow().to_pylist()[0]
    n_a, n_b = duration["count_a"] or 0, duration["count_b"] or 0
    if not n_a or not n_b:
        raise MiningInputError(f"side {'a' if not n_a else 'b'} has no cases", where="sides",
                              hint="check the periods or attribute values: they select no case of this log")
    return Comparison(
        duration=DurationChange(
            cases_a=n_a, cases_b=n_b, mean_a_s=duration["mean_a_s"], mean_b_s=duration["mean_b_s"],
            median_a_s=duration["median_a_s"], median_b_s=duration["median_b_s"],
            median_change_s=duration["median_b_s"] - duration["median_a_s"],
            cliffs_delta=duration["cliffs_delta"], magnitude=magnitude(duration["cliffs_delta"]) or "",
        ),
        activities=_frequency_changes(t, n_a, n_b),
        edges=_waiting_changes(t, min_count),
    )


def _frequency_changes(t: ir.Table, n_a: int, n_b: int) -> Rows[FrequencyChange]:
    present = t.select(CASE_ID, ACTIVITY, "side").distinct()
    counts = present.group_by(ACTIVITY).aggregate(
        cases_a=(present.side == "a").cast("int64").sum(), cases_b=(present.side == "b").cast("int64").sum(),
    ).to_pyarrow().to_pylist()
    rows = []
    for row in counts:
        z, p = _proportion_test(row["cases_a"], n_a, row["cases_b"], n_b)
        share_a, share_b = row["cases_a"] / n_a, row["cases_b"] / n_b
        rows.append(FrequencyChange(activity=row[ACTIVITY], cases_a=row["cases_a"], cases_b=row["cases_b"],
                                    share_a=share_a, share_b=share_b, change=share_b - share_a, z=z, p_value=p))
    rows.sort(key=lambda r: (-abs(r.change), r.activity))
    return Rows(FrequencyChange, rows)


def _waiting_changes(t: ir.Table, min_count: int) -> Rows[WaitingChange]:
    w = case_window()
    pairs = t.select(
        "side", source=t[ACTIVITY], target=t[ACTIVITY].lead().over(w),
        value=seconds_between(t[TIMESTAMP].lead().over(w), t[TIMESTAMP]),
    )
    stats = _cliffs(pairs.filter(pairs.target.notnull()), ["source", "target"])
    stats = stats.filter((stats.count_a >= min_count) & (stats.count_b >= min_count))
    stats = stats.mutate(median_change_s=stats.median_b_s - stats.median_a_s, magnitude=ibis.literal(""))
    stats = stats.order_by([stats.cliffs_delta.abs().desc(), "source", "target"])
    rows = fetch(stats, WaitingChange)
    return Rows(WaitingChange, [msgspec.structs.replace(r, magnitude=magnitude(r.cliffs_delta) or "") for r in rows])


def compare_periods(events: EventsLike, *, a: tuple[datetime, datetime], b: tuple[datetime, datetime],
                    min_count: int = 5) -> Comparison:
    """Cases started in period ``a`` against those started in period ``b``."""
    t = as_ibis(events)
    return compare_cases(t, split_by_period(t, a=a, b=b), min_count=min_count)


def compare_by_attribute(events: EventsLike, *, column: str, a: str, b: str, min_count: int = 5) -> Comparison:
    """Cases whose ``column`` is ``a`` against those where it is ``b``."""
    t = as_ibis(events)
    return compare_cases(t, split_by_attribute(t, column=column, a=a, b=b), min_count=min_count)
