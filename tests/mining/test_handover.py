"""Handover of work and ping-pong against a per-case brute force and PM4Py's handover network."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liucheng.core.errors import ValidationError
from liucheng.eventlog.table import EventTable, from_arrow
from liucheng.mining.handover import find_escalations, find_ping_pong, handovers, tiers_from_names

T0 = datetime(2024, 1, 1, tzinfo=UTC)
LOG_ORDER = [("case_id", "ascending"), ("timestamp", "ascending"), ("event_index", "ascending")]


def make(traces: dict[str, str]) -> EventTable:
    """One event per letter (the group; "-" is an event without a group), a minute apart."""
    rows = [(case, T0 + timedelta(minutes=i), None if ch == "-" else ch)
            for case, word in traces.items() for i, ch in enumerate(word)]
    case, ts, group = zip(*rows, strict=True)
    return from_arrow(pa.table({"case_id": list(case), "activity": ["work"] * len(rows),
                                "timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")), "group": list(group)}))


def holder_traces(events: EventTable, by: str) -> dict[str, list[str]]:
    """Each case's holders in log order, events without one dropped."""
    rows = events.table.select(["case_id", "timestamp", "event_index", by]).sort_by(LOG_ORDER).to_pylist()
    out: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        if r[by] is not None:
            out[r["case_id"]].append(r[by])
    return out


def brute(traces: dict[str, list[str]]) -> dict:
    moves: Counter = Counter()
    move_cases: dict[tuple, set] = defaultdict(set)
    pings: Counter = Counter()
    ping_cases: dict[tuple, set] = defaultdict(set)
    handled: dict[str, set] = defaultdict(set)
    for case, seq in traces.items():
        runs = [h for i, h in enumerate(seq) if i == 0 or seq[i - 1] != h]
        for h in runs:
            handled[h].add(case)
        for a, b in pairwise(runs):
            moves[(a, b)] += 1
            move_cases[(a, b)].add(case)
        for i in range(2, len(runs)):
            if runs[i] == runs[i - 2]:
                pings[(runs[i], runs[i - 1])] += 1
                ping_cases[(runs[i], runs[i - 1])].add(case)
    per_holder = {}
    for h, cases in handled.items():
        involved = set().union(*(c for (o, x), c in ping_cases.items() if h in (o, x)))
        as_origin = sum(n for (o, _), n in pings.items() if o == h)
        as_other = sum(n for (_, x), n in pings.items() if x == h)
        per_holder[h] = (len(cases), len(involved), as_origin, as_other)
    return {
        "handovers": {k: (n, len(move_cases[k])) for k, n in moves.items()},
        "pairs": {k: (n, len(ping_cases[k])) for k, n in pings.items()},
        "holders": per_holder,
        "cases_with": len(set().union(*ping_cases.values())) if ping_cases else 0,
        "cases": len(traces),
    }


def check(events: EventTable, by: str) -> None:
    expected = brute(holder_traces(events, by))
    assert {(h.source, h.target): (h.count, h.cases) for h in handovers(events, by=by)} == expected["handovers"]
    ping = find_ping_pong(events, by=by)
    assert {(p.origin, p.other): (p.occurrences, p.cases) for p in ping.pairs} == expected["pairs"]
    assert {h.holder: (h.cases_handled, h.cases_with_ping_pong, h.occurrences_as_origin, h.occurrences_as_other)
            for h in ping.holders} == expected["holders"]
    assert (ping.cases, ping.cases_with_ping_pong) == (expected["cases"], expected["cases_with"])
    assert ping.occurrences == sum(n for n, _ in expected["pairs"].values())
    assert ping.share == pytest.approx(expected["cases_with"] / expected["cases"])


def test_hand_made_log() -> None:
    events = make({"c1": "AABBA", "c2": "AB-A", "c3": "ABCB", "c4": "AAA", "c5": "ABAB"})
    check(events, "group")
    ping = find_ping_pong(events, by="group")
    # c1 A->B->A (runs AA, BB, A); c2 the same with an event without a group between;
    # c3 B->C->B; c5 A->B->A and B->A->B.
    assert {(p.origin, p.other): p.occurrences for p in ping.pairs} == {("A", "B"): 3, ("B", "C"): 1, ("B", "A"): 1}
    assert ping.cases_with_ping_pong == 4


def test_unknown_holder_column() -> None:
    with pytest.raises(ValidationError, match="'team'"):
        handovers(make({"c1": "AB"}), by="team")


@pytest.fixture
def helpdesk(load_log: Callable[[str], EventTable]) -> EventTable:
    return load_log("helpdesk")


def test_helpdesk_resources(helpdesk: EventTable) -> None:
    check(helpdesk, "resource")



def test_pm4py_handover_network_agrees(helpdesk: EventTable) -> None:
    """PM4Py counts every consecutive pair (also X -> X) and divides by the number of pairs;
    we count only changes of holder. So ours = PM4Py's value x pairs for X != Y."""
    import pm4py

    frame = helpdesk.table.select(["case_id", "activity", "timestamp", "resource", "event_index"]).to_pandas()
    frame["resource"] = frame["resource"].astype(str)
    frame = frame.sort_values(["case_id", "timestamp", "event_index"], kind="stable")
    frame = frame.rename(columns={"case_id": "case:concept:name", "activity": "concept:name",
                                  "timestamp": "time:timestamp", "resource": "org:resource"})
    network = pm4py.discover_handover_of_work_network(frame)
    pairs = len(frame) - frame["case:concept:name"].nunique()
    theirs = {k: round(v * pairs) for k, v in network.connections.items() if k[0] != k[1]}
    assert {(h.source, h.target): h.count for h in handovers(helpdesk, by="resource")} == theirs


def test_support_lines_from_team_names_and_escalations() -> None:
    assert tiers_from_names(["G97", "G230 2nd", "V13 2nd 3rd", "L61 3rd"]) == {
        "G97": 1, "G230 2nd": 2, "V13 2nd 3rd": 3, "L61 3rd": 3}
    # c1 stays in line 1; c2 goes to 2 and back to 1; c3 reaches 3 and is closed by 2.
    events = make({"c1": "AA", "c2": "ABA", "c3": "ABCB"})
    reach = find_escalations(events, tiers={"B": 2, "C": 3})
    assert [(r.tier, r.cases_reaching, r.cases_ending) for r in reach] == [(1, 3, 2), (2, 2, 1), (3, 1, 0)]
    with pytest.raises(ValidationError, match="'impact'"):
        find_escalations(events, tiers={"B": 2}, segment="impact")


@settings(max_examples=10, deadline=None)
@given(st.dictionaries(st.sampled_from(["c1", "c2", "c3"]), st.text("ABC-", min_size=1, max_size=9), min_size=1))
def test_random_logs(traces: dict[str, str]) -> None:
    events = make(traces)
    if all(set(word) == {"-"} for word in traces.values()):
        return
    check(events, "group")
