"""Directly-follows graphs: how often one activity is directly followed by another, and how long it waits.

Within each case, events are ordered by ``(timestamp, event_index)``; every consecutive pair
``(a, b)`` is one occurrence of the edge ``a -> b``, and its waiting time is
``timestamp(b) - timestamp(a)`` in seconds. Start and end activities are the first and last
events of each case. The same conventions as PM4Py's ``discover_dfg`` and
``discover_performance_dfg`` (checked on every shared log in ``tests/mining``).

Everything comes from one grouped pass over the events, keyed by (activity, next activity):
every event but the first of its case has exactly one incoming edge, so
``starts(a) = events(a) - incoming(a)``; the last event of a case has no next activity, so its
row counts the case ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ibis.expr.types as ir
import msgspec
import pyarrow as pa

from liucheng.eventlog.table import ACTIVITY, CASE_ID, EVENT_INDEX, TIMESTAMP, EventTable
from liucheng.mining._ibis import (
    ActivityKey,
    EventsLike,
    case_window,
    epoch_us,
    select_events,
    with_activity_codes,
)
from liucheng.mining._kernels import dfg_rows, sorted_log


class DfgNode(msgspec.Struct, frozen=True):
    """One activity: its events, and the cases it starts and ends."""

    activity: str
    count: int
    start_count: int
    end_count: int


class DfgEdge(msgspec.Struct, frozen=True):
    """``source`` directly followed by ``target``, ``count`` times; waiting times in seconds.

    The ``*_s`` fields are ``None`` in a frequency-only graph. ``median_s`` and ``p90_s`` are
    interpolated quantiles (as numpy's and pandas' default).
    """

    source: str
    target: str
    count: int
    mean_s: float | None = None
    median_s: float | None = None
    p90_s: float | None = None
    min_s: float | None = None
    max_s: float | None = None
    total_s: float | None = None


class Dfg(msgspec.Struct, frozen=True):
    """A directly-follows graph, ready for a process map: nodes by count, edges by count (both descending)."""

    nodes: tuple[DfgNode, ...]
    edges: tuple[DfgEdge, ...]
    n_cases: int
    n_events: int
    performance: bool = False

    def edge_counts(self) -> dict[tuple[str, str], int]:
        return {(edge.source, edge.target): edge.count for edge in self.edges}

    def activity_counts(self) -> dict[str, int]:
        return {node.activity: node.count for node in self.nodes}

    def start_activities(self) -> dict[str, int]:
        return {node.activity: node.start_count for node in self.nodes if node.start_count}

    def end_activities(self) -> dict[str, int]:
        return {node.activity: node.end_count for node in self.nodes if node.end_count}

    def to_dicts(self) -> list[dict[str, Any]]:
        """The edges as plain dicts (for JSON and CSV)."""
        return [msgspec.structs.asdict(edge) for edge in self.edges]

    def nodes_to_dicts(self) -> list[dict[str, Any]]:
        return [msgspec.structs.asdict(node) for node in self.nodes]

    def to_arrow(self) -> pa.Table:
        """The edges as an Arrow table."""
        return pa.Table.from_pylist(self.to_dicts(), schema=_EDGE_SCHEMA)

    def nodes_to_arrow(self) -> pa.Table:
        return pa.Table.from_pylist(self.nodes_to_dicts(), schema=_NODE_SCHEMA)


_EDGE_SCHEMA = pa.schema([("source", pa.string()), ("target", pa.string()), ("count", pa.int64()),
                          *((name, pa.float64()) for name in ("mean_s", "median_s", "p90_s", "min_s", "max_s",
                                                              "total_s"))])
_NODE_SCHEMA = pa.schema([("activity", pa.string()), ("count", pa.int64()), ("start_count", pa.int64()),
                          ("end_count", pa.int64())])


def discover_dfg(events: EventsLike, *, lifecycle: str | Iterable[str] | None = None,
                 activity_key: ActivityKey = "activity", performance: bool = False) -> Dfg:
    """The directly-follows graph of ``events`` (an ``EventTable`` or its Ibis table).

    ``lifecycle`` keeps only events with those transitions (e.g. ``"complete"``) before the
    pairs are formed; ``activity_key="activity+lifecycle"`` names nodes ``"A (start)"``. With
    ``performance=True`` each edge also gets waiting-time statistics.
    """
    if isinstance(events, EventTable) and lifecycle is None and activity_key == "activity":
        # In memory: the same graph from the sorted arrays (see _kernels), without a SQL window.
        return _assemble_rows(dfg_rows(sorted_log(events), performance=performance), performance=performance)
    query = dfg_query(events, lifecycle=lifecycle, activity_key=activity_key, performance=performance)
    return assemble_dfg(query.to_pyarrow(), performance=performance)


def dfg_query(events: EventsLike, *, lifecycle: str | Iterable[str] | None = None,
              activity_key: ActivityKey = "activity", performance: bool = False) -> ir.Table:
    """The one query behind ``discover_dfg``: a row per (``source`` code, ``target`` code or null).

    Every event is grouped by its activity and the next one in its case; the last event of a
    case has no next, so an activity's rows add up to its event count and its null row counts
    the cases it ends. ``name`` is the source activity's name. ``assemble_dfg`` builds the graph.
    """
    selected = select_events(events, lifecycle=lifecycle, activity_key=activity_key)
    coded = with_activity_codes(selected.select(CASE_ID, ACTIVITY, TIMESTAMP, EVENT_INDEX))
    window = case_window()
    # Lead the integer microseconds, not the timestamp: no time-zone arithmetic in the hot loop.
    time_us = epoch_us(coded[TIMESTAMP])
    neighbours: dict[str, Any] = {"next_code": coded.code.lead().over(window)}
    if performance:
        neighbours["wait_us"] = time_us.lead().over(window) - time_us
    ordered = coded.mutate(**neighbours)
    metrics: dict[str, Any] = {"count": ordered.count(), "name": ordered[ACTIVITY].arbitrary()}
    if performance:
        wait = ordered.wait_us.cast("float64") / 1_000_000
        metrics.update(mean_s=wait.mean(), median_s=wait.median(), p90_s=wait.quantile(0.9), min_s=wait.min(),
                       max_s=wait.max(), total_s=wait.sum())
    return ordered.group_by(source=ordered.code, target=ordered.next_code).aggregate(**metrics)


def discover_performance_dfg(events: EventsLike, *, lifecycle: str | Iterable[str] | None = None,
                             activity_key: ActivityKey = "activity") -> Dfg:
    """``discover_dfg`` with waiting-time statistics on every edge."""
    return discover_dfg(events, lifecycle=lifecycle, activity_key=activity_key, performance=True)


def get_start_activities(events: EventsLike, *, lifecycle: str | Iterable[str] | None = None,
                         activity_key: ActivityKey = "activity") -> dict[str, int]:
    """Activity -> number of cases whose first event it is."""
    return discover_dfg(events, lifecycle=lifecycle, activity_key=activity_key).start_activities()


def get_end_activities(events: EventsLike, *, lifecycle: str | Iterable[str] | None = None,
                       activity_key: ActivityKey = "activity") -> dict[str, int]:
    """Activity -> number of cases whose last event it is."""
    return discover_dfg(events, lifecycle=lifecycle, activity_key=activity_key).end_activities()


def assemble_dfg(result: pa.Table, *, performance: bool) -> Dfg:
    """The ``Dfg`` from the rows of ``dfg_query``."""
    return _assemble_rows(result.to_pylist(), performance=performance)


def _assemble_rows(rows: list[dict[str, Any]], *, performance: bool) -> Dfg:
    names = {row["source"]: row.pop("name") for row in rows}
    counts: dict[str, int] = {}
    incoming: dict[str, int] = {}
    ends: dict[str, int] = {}
    edges = []
    for row in rows:
        source = names[row["source"]]
        counts[source] = counts.get(source, 0) + row["count"]
        if row["target"] is None:
            ends[source] = row["count"]
            continue
        target = names[row["target"]]
        incoming[target] = incoming.get(target, 0) + row["count"]
        edges.append(DfgEdge(**{**row, "source": source, "target": target}))
    edges.sort(key=lambda edge: (-edge.count, edge.source, edge.target))
    nodes = sorted((DfgNode(activity=name, count=count, start_count=count - incoming.get(name, 0),
                            end_count=ends.get(name, 0)) for name, count in counts.items()),
                   key=lambda node: (-node.count, node.activity))
    return Dfg(nodes=tuple(nodes), edges=tuple(edges), n_cases=sum(ends.values()), n_events=sum(counts.values()),
               performance=performance)
