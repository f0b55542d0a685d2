"""Where cases wait longest, weighted by volume: rankings by total waiting time.

A step that makes few cases wait very long matters less to a service desk than one that makes
thousands wait a little longer, so every ranking is by the *sum* of waiting time, with count,
mean, median, 90th percentile and the share of all waiting time beside it.

Three views:

* per activity: the waiting time before each activity instance (``activity_time``: from the
  previous completion to the start with start/complete lifecycles, else the sojourn time since
  the previous event);
* per directly-follows edge ``a -> b``: the time between consecutive events of a case;
* per group (department): the same gaps, counted for the group of the *earlier* event, because a
  case is with the group that handled its last event until something else happens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import ibis
import msgspec

from liucheng.eventlog.table import ACTIVITY, GROUP, TIMESTAMP
from liucheng.mining._ibis import EventsLike, Rows, as_ibis, case_window, fetch, seconds_between
from liucheng.mining.activity_time import activity_instances

if TYPE_CHECKING:
    import ibis.expr.types as ir


class ActivityWaiting(msgspec.Struct, frozen=True, kw_only=True):
    """Waiting time before one activity (seconds); ``share`` of all waiting time, 0..1."""

    activity: str
    count: int
    total_s: float
    mean_s: float
    median_s: float
    p90_s: float
    share: float


class EdgeWaiting(msgspec.Struct, frozen=True, kw_only=True):
    """Time between consecutive events ``source -> target`` of a case (seconds)."""

    source: str
    target: str
    count: int
    total_s: float
    mean_s: float
    median_s: float
    p90_s: float
    share: float


class GroupWaiting(msgspec.Struct, frozen=True, kw_only=True):
    """Time a case spent with one group between its event and the next one (seconds)."""

    group: str
    count: int
    total_s: float
    mean_s: float
    median_s: float
    p90_s: float
    share: float


class Bottlenecks(msgspec.Struct, frozen=True, kw_only=True):
    """The three rankings; ``groups`` is empty when the log has no group column values."""

    activities: Rows[ActivityWaiting]
    edges: Rows[EdgeWaiting]
    groups: Rows[GroupWaiting]


def edge_gaps(events: EventsLike) -> ir.Table:
    """One row per pair of consecutive events in a case: source, target, source_group, waiting_s."""
    t = as_ibis(events)
    w = case_window()
    pairs = t.select(
        source=t[ACTIVITY], source_group=t[GROUP],
        target=t[ACTIVITY].lead().over(w),
        waiting_s=seconds_between(t[TIMESTAMP].lead().over(w), t[TIMESTAMP]),
    )
    return pairs.filter(pairs.target.notnull())


def _ranked(table: ir.Table, keys: list[str], value: str) -> ir.Table:
    """Sum, count, mean, median, p90 and share of ``value`` per ``keys``, largest sum first."""
    table = table.filter(table[value].notnull())
    grand = table[value].sum().as_scalar()
    summary = table.group_by(keys).aggregate(
        count=table.count(),
        total_s=table[value].sum(),
        mean_s=table[value].mean(),
        median_s=table[value].median(),
        p90_s=table[value].quantile(0.9),
    )
    summary = summary.mutate(share=ibis.ifelse(grand > 0, summary.total_s / grand, 0.0))
    return summary.order_by([summary.total_s.desc(), *keys])


def waiting_by_activity(
    events: EventsLike, *, mode: Literal["auto", "lifecycle", "sojourn"] = "auto",
) -> Rows[ActivityWaiting]:
    """Activities ranked by total waiting time before them (instances with a known wait only)."""
    inst = activity_instances(events, mode=mode)
    return fetch(_ranked(inst, [ACTIVITY], "waiting_s"), ActivityWaiting)


def waiting_by_edge(events: EventsLike) -> Rows[EdgeWaiting]:
    """Directly-follows edges ranked by the total time between their two events."""
    return fetch(_ranked(edge_gaps(events), ["source", "target"], "waiting_s"), EdgeWaiting)


def waiting_by_group(events: EventsLike) -> Rows[GroupWaiting]:
    """Groups ranked by the total time cases stayed with them (gaps after their events)."""
    gaps = edge_gaps(events)
    gaps = gaps.filter(gaps.source_group.notnull()).rename(group="source_group")
    return fetch(_ranked(gaps, [GROUP], "waiting_s"), GroupWaiting)


def find_bottlenecks(events: EventsLike, *, mode: Literal["auto", "lifecycle", "sojourn"] = "auto") -> Bottlenecks:
    """All three rankings of one log."""
    t = as_ibis(events)
    return Bottlenecks(
        activities=waiting_by_activity(t, mode=mode),
        edges=waiting_by_edge(t),
        groups=waiting_by_group(t),
    )
