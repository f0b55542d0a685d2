"""Directly-follows graphs against PM4Py on every shared log, and against a brute force for options.

PM4Py reads the same events (``pm4py_frame``: the r4pm read as a pandas frame with XES column
names), so any difference is a difference of the algorithms.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import numpy as np
import pm4py
import pyarrow as pa
import pytest

from liucheng.eventlog.table import from_arrow
from liucheng.mining._ibis import MiningInputError, ordered_events
from liucheng.mining.dfg import discover_dfg, discover_performance_dfg, get_end_activities, get_start_activities
from tests.mining.conftest import BIG_LOGS, SMALL_LOGS

ALL_LOGS = [*SMALL_LOGS, *(pytest.param(name, marks=pytest.mark.slow) for name in BIG_LOGS)]


def brute_force_traces(frame, *, key=lambda row: row["concept:name"], keep=lambda row: True):
    """Case -> [(activity, timestamp)] in (timestamp, file position) order, by plain Python."""
    traces = defaultdict(list)
    for position, row in enumerate(frame.to_dict("records")):
        if keep(row):
            traces[row["case:concept:name"]].append((row["time:timestamp"], position, key(row)))
    return {case: [(activity, ts) for ts, _, activity in sorted(events)] for case, events in traces.items()}


@pytest.mark.parametrize("name", ALL_LOGS)
def test_frequency_dfg_equals_pm4py(name, load_log, pm4py_frame) -> None:
    frame = pm4py_frame(name)
    edges, starts, ends = pm4py.discover_dfg(frame)
    dfg = discover_dfg(load_log(name))
    assert dfg.edge_counts() == dict(edges)
    assert dfg.start_activities() == dict(starts)
    assert dfg.end_activities() == dict(ends)
    assert dfg.activity_counts() == dict(frame["concept:name"].value_counts())
    assert dfg.n_events == len(frame)
    assert dfg.n_cases == frame["case:concept:name"].nunique()
    assert [edge.count for edge in dfg.edges] == sorted((edge.count for edge in dfg.edges), reverse=True)


@pytest.mark.parametrize("name", ALL_LOGS)
def test_performance_dfg_equals_pm4py(name, load_log, pm4py_frame) -> None:
    performance, _, _ = pm4py.discover_performance_dfg(pm4py_frame(name))
    dfg = discover_performance_dfg(load_log(name))
    assert {(edge.source, edge.target) for edge in dfg.edges} == set(performance)
    for edge in dfg.edges:
        theirs = performance[(edge.source, edge.target)]
        for ours, key in ((edge.mean_s, "mean"), (edge.median_s, "median"), (edge.min_s, "min"),
                          (edge.max_s, "max"), (edge.total_s, "sum")):
            assert math.isclose(ours, theirs[key], rel_tol=1e-9, abs_tol=1e-6), (edge, key, theirs[key])


def test_p90_and_counts_equal_a_brute_force(load_log, pm4py_frame) -> None:
    waits = defaultdict(list)
    for trace in brute_force_traces(pm4py_frame("receipt_wabo")).values():
        for (a, ta), (b, tb) in pairwise(trace):
            waits[(a, b)].append((tb - ta).total_seconds())
    dfg = discover_performance_dfg(load_log("receipt_wabo"))
    assert dfg.edge_counts() == {edge: len(values) for edge, values in waits.items()}
    for edge in dfg.edges:
        assert math.isclose(edge.p90_s, float(np.quantile(waits[(edge.source, edge.target)], 0.9)), abs_tol=1e-6)


def test_lifecycle_filter_and_activity_key_equal_a_brute_force(load_log, pm4py_frame) -> None:
    frame = pm4py_frame("bpic2013_incidents")
    traces = brute_force_traces(frame, key=lambda row: f"{row['concept:name']} ({row['lifecycle:transition']})",
                                keep=lambda row: str(row["lifecycle:transition"]).lower() in {"in progress", "queued"})
    expected = Counter((a, b) for trace in traces.values() for (a, _), (b, _) in pairwise(trace))
    dfg = discover_dfg(load_log("bpic2013_incidents"), lifecycle=["In Progress", "QUEUED"],
                       activity_key="activity+lifecycle")
    assert dfg.edge_counts() == dict(expected)
    assert dfg.start_activities() == dict(Counter(trace[0][0] for trace in traces.values()))
    assert dfg.end_activities() == dict(Counter(trace[-1][0] for trace in traces.values()))
    assert dfg.n_cases == len(traces)
    assert any(activity.endswith("(In Progress)") for activity in dfg.activity_counts())


def test_start_and_end_helpers_and_outputs_agree(load_log) -> None:
    events = load_log("helpdesk")
    dfg = discover_dfg(events)
    assert get_start_activities(events) == dfg.start_activities()
    assert get_end_activities(events) == dfg.end_activities()
    assert sum(dfg.start_activities().values()) == dfg.n_cases == sum(dfg.end_activities().values())
    table = dfg.to_arrow()
    assert table.num_rows == len(dfg.edges) and table["count"].to_pylist() == [e.count for e in dfg.edges]
    assert table["mean_s"].null_count == table.num_rows  # a frequency graph has no waiting times
    assert dfg.nodes_to_arrow()["count"].to_pylist() == [node.count for node in dfg.nodes]


def test_bad_options_are_named(load_log) -> None:
    events = load_log("helpdesk")
    with pytest.raises(MiningInputError, match="activity_key='name' is not one of"):
        discover_dfg(events, activity_key="name")
    with pytest.raises(MiningInputError, match="lifecycle= is empty"):
        discover_dfg(events, lifecycle=[])
    with pytest.raises(MiningInputError, match="expected an EventTable or an Ibis table, got DataFrame"):
        discover_dfg(events.table.to_pandas())
    with pytest.raises(MiningInputError, match="no column event_index"):
        discover_dfg(events.to_ibis().drop("event_index"))


def test_ordered_events_neighbours_equal_a_brute_force(load_log, pm4py_frame) -> None:
    traces = brute_force_traces(pm4py_frame("bpic2013_closed_problems"))
    rows = ordered_events(load_log("bpic2013_closed_problems")).select(
        "case_id", "position", "activity", "prev_activity", "prev_timestamp", "next_activity", "next_timestamp",
    ).to_pyarrow().to_pylist()
    assert len(rows) == sum(len(trace) for trace in traces.values())
    for row in rows:
        trace, i = traces[row["case_id"]], row["position"]
        assert trace[i][0] == row["activity"]
        assert (row["prev_activity"], row["prev_timestamp"]) == (trace[i - 1] if i else (None, None))
        assert (row["next_activity"], row["next_timestamp"]) == (trace[i + 1] if i + 1 < len(trace) else (None, None))


def test_waiting_times_are_exact_to_the_microsecond() -> None:
    start = datetime(2024, 3, 31, 0, 59, 59, 999_999, tzinfo=UTC)  # across a European DST change
    times = [start, start + timedelta(microseconds=1), start + timedelta(hours=2, microseconds=3)]
    events = from_arrow(pa.table({
        "case_id": ["c1"] * 3 + ["c2"],
        "activity": ["A", "B", "A", "A"],
        "timestamp": pa.array([*times, start], pa.timestamp("us", "UTC")),
    }))
    dfg = discover_performance_dfg(events)
    waits = {(edge.source, edge.target): edge.total_s for edge in dfg.edges}
    assert waits == {("A", "B"): 0.000001, ("B", "A"): 7200.000002}
    assert dfg.start_activities() == {"A": 2} and dfg.end_activities() == {"A": 2}
