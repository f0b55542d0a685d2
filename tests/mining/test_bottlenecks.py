"""Activity times and bottleneck rankings against a per-case brute force, on hand-made and real logs."""

from __future__ import annotations

import statistics
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liucheng.eventlog.table import EventTable, from_arrow
from liucheng.mining.activity_time import activity_instances, activity_times, has_lifecycle_pairs
from liucheng.mining.bottlenecks import find_bottlenecks, waiting_by_activity, waiting_by_edge, waiting_by_group

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def make(rows: list[tuple]) -> EventTable:
    """(case, activity, minutes after T0, lifecycle, group) rows, in file order."""
    case, act, mins, life, group = zip(*rows, strict=True)
    return from_arrow(pa.table({
        "case_id": list(case), "activity": list(act),
        "timestamp": pa.array([T0 + timedelta(minutes=m) for m in mins], pa.timestamp("us", tz="UTC")),
        "lifecycle": list(life), "group": list(group),
    }))


def traces(events: EventTable) -> dict[str, list[dict]]:
    """Each case's events sorted by (timestamp, event_index): the brute force's only input."""
    columns = ["case_id", "activity", "timestamp", "lifecycle", "group", "event_index"]
    out: dict[str, list[dict]] = defaultdict(list)
    for row in events.table.select(columns).to_pylist():
        out[row["case_id"]].append(row)
    return {case: sorted(rows, key=lambda r: (r["timestamp"], r["event_index"])) for case, rows in out.items()}


def brute_instances(events: EventTable, paired: bool) -> list[tuple]:
    """(case, activity, start, complete, waiting_s) by walking each case with a FIFO queue per activity."""
    out = []
    for case, rows in traces(events).items():
        if not paired:
            for i, r in enumerate(rows):
                wait = (r["timestamp"] - rows[i - 1]["timestamp"]).total_seconds() if i else None
                out.append((case, r["activity"], r["timestamp"], r["timestamp"], wait))
            continue
        open_starts: dict[str, deque] = defaultdict(deque)
        last_done = None
        found = []
        for r in rows:
            kind = (r["lifecycle"] or "").lower()
            if kind == "start":
                wait = (r["timestamp"] - last_done).total_seconds() if last_done else None
                item = [case, r["activity"], r["timestamp"], None, wait]
                open_starts[r["activity"]].append(item)
                found.append(item)
            elif kind == "complete":
                if open_starts[r["activity"]]:
                    open_starts[r["activity"]].popleft()[3] = r["timestamp"]
                last_done = r["timestamp"]
        out.extend(tuple(item) for item in found)
    return out


def stats(values: list[float]) -> tuple[int, float, float, float]:
    return len(values), sum(values), statistics.median(values), float(np.percentile(values, 90))


def ours_instances(events: EventTable) -> list[tuple]:
    rows = activity_instances(events).to_pyarrow().to_pylist()
    return [(r["case_id"], r["activity"], r["start"], r["complete"], r["waiting_s"]) for r in rows]


def key(item: tuple) -> tuple:
    return item[0], item[1], item[2], item[3] or T0


LIFECYCLE_LOG = [
    ("c1", "A", 0, "start", "g1"), ("c1", "A", 10, "complete", "g1"),
    ("c1", "B", 30, "start", "g2"), ("c1", "B", 35, "start", "g2"),   # two B's open at once
    ("c1", "B", 40, "complete", "g2"), ("c1", "B", 70, "complete", "g2"),
    ("c2", "A", 5, "complete", "g1"),                                 # a complete with no start
    ("c2", "A", 7, "start", "g1"), ("c2", "A", 9, "complete", "g1"),
    ("c2", "C", 20, "start", "g3"),                                   # never completed
    ("c3", "A", 0, "start", "g1"), ("c3", "A", 1, "complete", "g1"),
    ("c3", "A", 2, "complete", "g2"),                                 # one complete too many
    ("c3", "A", 3, "start", "g1"), ("c3", "A", 4, "complete", "g1"),
]


def test_lifecycle_pairs_fifo_match_the_brute_force() -> None:
    events = make(LIFECYCLE_LOG)
    assert has_lifecycle_pairs(events)
    ours = sorted(ours_instances(events), key=key)
    assert ours == sorted(brute_instances(events, paired=True), key=key)
    # FIFO: the first B start is closed by the first B complete.
    b = [item for item in ours if item[1] == "B"]
    assert [(i[2], i[3]) for i in b] == [(T0 + timedelta(minutes=30), T0 + timedelta(minutes=40)),
                                         (T0 + timedelta(minutes=35), T0 + timedelta(minutes=70))]
    service = {r.activity: r.service_total_s for r in activity_times(events)}
    assert service == {"A": 14 * 60.0, "B": 45 * 60.0, "C": None}


def test_sojourn_mode_without_lifecycle() -> None:
    events = make([(c, a, m, None, g) for c, a, m, _, g in LIFECYCLE_LOG])
    assert not has_lifecycle_pairs(events)
    ours = sorted(ours_instances(events), key=key)
    assert ours == sorted(brute_instances(events, paired=False), key=key)


def brute_rankings(events: EventTable) -> tuple[dict, dict]:
    by_edge: dict[tuple, list[float]] = defaultdict(list)
    by_group: dict[str, list[float]] = defaultdict(list)
    for rows in traces(events).values():
        for a, b in pairwise(rows):
            gap = (b["timestamp"] - a["timestamp"]).total_seconds()
            by_edge[(a["activity"], b["activity"])].append(gap)
            if a["group"] is not None:
                by_group[a["group"]].append(gap)
    return by_edge, by_group


def check_ranking(rows: list, brute: dict[tuple, list[float]], keys: tuple[str, ...]) -> None:
    grand = sum(sum(v) for v in brute.values())
    assert len(rows) == len(brute)
    for row in rows:
        count, total, median, p90 = stats(brute[tuple(getattr(row, k) for k in keys)])
        assert row.count == count
        assert row.total_s == pytest.approx(total)
        assert row.median_s == pytest.approx(median)
        assert row.p90_s == pytest.approx(p90)
        assert row.share == pytest.approx(total / grand)
    totals = [row.total_s for row in rows]
    assert totals == sorted(totals, reverse=True)


def test_rankings_on_a_small_log() -> None:
    events = make(LIFECYCLE_LOG)
    by_edge, by_group = brute_rankings(events)
    check_ranking(waiting_by_edge(events), by_edge, ("source", "target"))
    check_ranking(waiting_by_group(events), {(g,): v for g, v in by_group.items()}, ("group",))
    by_activity: dict[tuple, list[float]] = defaultdict(list)
    for item in brute_instances(events, paired=True):
        if item[4] is not None:
            by_activity[(item[1],)].append(item[4])
    check_ranking(waiting_by_activity(events), by_activity, ("activity",))


@pytest.fixture
def helpdesk(load_log: Callable[[str], EventTable]) -> EventTable:
    return load_log("helpdesk")


@pytest.fixture
def incidents(load_log: Callable[[str], EventTable]) -> EventTable:
    return load_log("bpic2013_incidents")


def test_helpdesk_rankings_match_the_brute_force(helpdesk: EventTable) -> None:
    result = find_bottlenecks(helpdesk)
    by_edge, _ = brute_rankings(helpdesk)
    check_ranking(result.edges, by_edge, ("source", "target"))
    assert result.groups == []   # the helpdesk log has no org:group
    table = result.edges.to_arrow()
    assert table.column_names == ["source", "target", "count", "total_s", "mean_s", "median_s", "p90_s", "share"]
    assert table.to_pylist() == result.edges.to_dicts()
    assert result.groups.to_arrow().column_names == ["group", "count", "total_s", "mean_s", "median_s", "p90_s",
                                                     "share"]
    by_activity: dict[tuple, list[float]] = defaultdict(list)
    for item in brute_instances(helpdesk, paired=False):
        if item[4] is not None:
            by_activity[(item[1],)].append(item[4])
    check_ranking(result.activities, by_activity, ("activity",))
    # "Closed" follows "Resolve ticket" after a fixed wait: the longest total wait in this log.
    assert result.activities[0].activity == "Closed"


def test_incident_groups_match_the_brute_force(incidents: EventTable) -> None:
    by_edge, by_group = brute_rankings(incidents)
    check_ranking(waiting_by_group(incidents), {(g,): v for g, v in by_group.items()}, ("group",))
    check_ranking(waiting_by_edge(incidents), by_edge, ("source", "target"))


@pytest.mark.slow
def test_bpic2012_lifecycle_instances_match_the_brute_force(load_log: Callable[[str], EventTable]) -> None:
    """The one shared log with start/complete pairs; its first 2,000 cases keep the test short."""
    events = load_log("bpic2012")
    first = pc.unique(events.table["case_id"]).slice(0, 2000)
    events = from_arrow(events.table.filter(pc.is_in(events.table["case_id"], first)))
    ours = sorted(ours_instances(events), key=key)
    assert ours == sorted(brute_instances(events, paired=True), key=key)


@settings(max_examples=10, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["c1", "c2"]), st.sampled_from("AB"), st.integers(0, 5),
                          st.sampled_from(["start", "complete", "START", "Complete"])), min_size=1, max_size=14))
def test_fifo_pairing_on_random_logs(rows: list[tuple]) -> None:
    """Random interleavings, equal timestamps (the file order decides) and letter cases."""
    events = make([(c, a, m, life, None) for c, a, m, life in rows])
    if not has_lifecycle_pairs(events):
        return
    assert sorted(ours_instances(events), key=key) == sorted(brute_instances(events, paired=True), key=key)
