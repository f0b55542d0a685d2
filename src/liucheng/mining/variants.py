"""Variants: the distinct activity sequences of the cases, with how many cases follow each.

A case's variant is its activities in event order ``(timestamp, event_index)``. Variants are
sorted by case count, most frequent first; ties are broken by the sequence itself (compared
activity by activity, a prefix before its extensions), so the order is deterministic and the
same as ``filters.filter_variants`` uses for its top k. Durations are the case durations (first
to last event) in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa

from liucheng.eventlog.table import ACTIVITY, CASE_ID, EVENT_INDEX, TIMESTAMP, EventTable
from liucheng.mining._ibis import (
    ActivityKey,
    EventsLike,
    MiningInputError,
    activity_names,
    seconds_between,
    select_events,
    with_activity_codes,
)
from liucheng.mining._kernels import gc_paused, sorted_log, variant_groups


class Variant(msgspec.Struct, frozen=True, gc=False):
    """One activity sequence and the cases that follow it."""

    activities: tuple[str, ...]
    count: int
    #: ``count`` over all cases, in [0, 1].
    share: float
    mean_duration_s: float
    median_duration_s: float


class Variants(msgspec.Struct, frozen=True):
    """All variants of a log, most frequent first."""

    variants: tuple[Variant, ...]
    n_cases: int

    def counts(self) -> dict[tuple[str, ...], int]:
        return {variant.activities: variant.count for variant in self.variants}

    def top(self, k: int) -> tuple[Variant, ...]:
        return self.variants[:_check_k(k)]

    def coverage(self, k: int) -> float:
        """Share of the cases that follow one of the ``k`` most frequent variants."""
        if not self.n_cases:
            return 0.0
        return sum(variant.count for variant in self.top(k)) / self.n_cases

    def k_for_coverage(self, share: float) -> int:
        """The fewest most-frequent variants that together cover at least ``share`` of the cases."""
        target = check_share(share) * self.n_cases
        covered = 0
        for k, variant in enumerate(self.variants, start=1):
            covered += variant.count
            if covered >= target:
                return k
        return len(self.variants)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [{**msgspec.structs.asdict(variant), "activities": list(variant.activities), "rank": rank}
                for rank, variant in enumerate(self.variants, start=1)]

    def to_arrow(self) -> pa.Table:
        return pa.Table.from_pylist(self.to_dicts(), schema=_SCHEMA)


_SCHEMA = pa.schema([("activities", pa.list_(pa.string())), ("count", pa.int64()), ("share", pa.float64()),
                     ("mean_duration_s", pa.float64()), ("median_duration_s", pa.float64()), ("rank", pa.int64())])


def get_variants(events: EventsLike, *, lifecycle: str | Iterable[str] | None = None,
                 activity_key: ActivityKey = "activity") -> Variants:
    """The variants of ``events`` with case counts, shares and duration statistics.

    ``lifecycle`` and ``activity_key`` select and name the events as in ``dfg.discover_dfg``.
    """
    if isinstance(events, EventTable) and lifecycle is None and activity_key == "activity":
        # In memory: variants from the sorted arrays (see _kernels), without a SQL list aggregate.
        with gc_paused():
            groups = variant_groups(sorted_log(events))  # already most frequent first, ties by name
            n_cases = sum(groups.counts)
            shares = (np.array(groups.counts, dtype=np.float64) / max(n_cases, 1)).tolist()
            return Variants(variants=tuple(map(Variant, groups.activities, groups.counts, shares,
                                               groups.mean_duration_s, groups.median_duration_s)), n_cases=n_cases)
    selected = select_events(events, lifecycle=lifecycle, activity_key=activity_key)
    selected = selected.select(CASE_ID, ACTIVITY, TIMESTAMP, EVENT_INDEX)
    names = activity_names(selected)
    coded = with_activity_codes(selected)
    cases = coded.group_by(CASE_ID).aggregate(
        variant=coded.code.collect(order_by=[coded[TIMESTAMP], coded[EVENT_INDEX]]),
        duration_s=seconds_between(coded[TIMESTAMP].max(), coded[TIMESTAMP].min()))
    rows = cases.group_by("variant").aggregate(count=cases.count(), mean_duration_s=cases.duration_s.mean(),
                                               median_duration_s=cases.duration_s.median())
    found = rows.to_pyarrow().to_pylist()
    n_cases = sum(row["count"] for row in found)
    variants = [Variant(activities=tuple(names[code] for code in row["variant"]), count=row["count"],
                        share=row["count"] / n_cases, mean_duration_s=row["mean_duration_s"],
                        median_duration_s=row["median_duration_s"])
                for row in found]
    variants.sort(key=lambda variant: (-variant.count, variant.activities))
    return Variants(variants=tuple(variants), n_cases=n_cases)


def check_share(share: float) -> float:
    """``share`` if it is a fraction in (0, 1], else ``MiningInputError``."""
    if not 0 < share <= 1:
        raise MiningInputError(f"share={share!r} is not in (0, 1]", hint="give a fraction: 0.8 for 80 % of cases")
    return share


def _check_k(k: int) -> int:
    if k < 0:
        raise MiningInputError(f"k={k!r} is negative", hint="give the number of variants to keep")
    return k
