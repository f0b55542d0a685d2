"""Rework, loops and reopenings against a per-case brute force, on hand-made and real logs."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from liucheng.core.errors import ValidationError
from liucheng.eventlog.table import EventTable, from_arrow
from liucheng.mining.rework import find_reopenings, find_rework

T0 = datetime(2024, 1, 1, tzinfo=UTC)
LOG_ORDER = [("case_id", "ascending"), ("timestamp", "ascending"), ("event_index", "ascending")]
HELPDESK_CLOSING = ("Resolve ticket", "Closed")
INCIDENT_CLOSING = ("Completed / Resolved", "Completed / Closed", "Completed / In Call", "Completed / Cancelled")


def make(traces: dict[str, str]) -> EventTable:
    """One event per letter, a minute apart; "R" is written "Reopen", "Z" is "Closed"."""
    names = {"R": "Reopen", "Z": "Closed"}
    rows = [(case, names.get(ch, ch), T0 + timedelta(minutes=i)) for case, word in traces.items()
            for i, ch in enumerate(word)]
    case, act, ts = zip(*rows, strict=True)
    return from_arrow(pa.table({"case_id": list(case), "activity": list(act),
                                "timestamp": pa.array(ts, pa.timestamp("us", tz="UTC"))}))


def step_traces(events: EventTable, by: tuple[str, ...]) -> dict[str, list[str]]:
    rows = events.table.select(["case_id", "timestamp", "event_index", *by]).sort_by(LOG_ORDER).to_pylist()
    out: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        out[r["case_id"]].append(" / ".join(r[c] or "" for c in by))
    return out


def brute_rework(traces: dict[str, list[str]]) -> dict:
    steps: dict[str, Counter] = defaultdict(Counter)
    self_loops: Counter = Counter()
    self_cases: dict[str, set] = defaultdict(set)
    loops: Counter = Counter()
    loop_cases: dict[tuple, set] = defaultdict(set)
    for case, seq in traces.items():
        for step, n in Counter(seq).items():
            steps[step]["cases"] += 1
            steps[step]["cases_repeated"] += n > 1
            steps[step]["executions"] += n
        for i in range(1, len(seq)):
            if seq[i] == seq[i - 1]:
                self_loops[seq[i]] += 1
                self_cases[seq[i]].add(case)
            if i >= 2 and seq[i] == seq[i - 2] != seq[i - 1]:
                loops[(seq[i], seq[i - 1])] += 1
                loop_cases[(seq[i], seq[i - 1])].add(case)
    return {
        "steps": {s: (c["cases"], c["cases_repeated"], c["executions"], c["executions"] - c["cases"],
                      self_loops[s], len(self_cases[s])) for s, c in steps.items()},
        "loops": {k: (n, len(loop_cases[k])) for k, n in loops.items()},
        "cases_with_repeat": sum(any(n > 1 for n in Counter(s).values()) for s in traces.values()),
        "cases_with_self_loop": len(set().union(*self_cases.values())) if self_cases else 0,
        "cases_with_loop_of_two": len(set().union(*loop_cases.values())) if loop_cases else 0,
    }


def brute_reopen(traces: dict[str, list[str]], closing: tuple[str, ...]) -> tuple[int, int, Counter]:
    targets: Counter = Counter()
    cases = set()
    for case, seq in traces.items():
        for i, step in enumerate(seq):
            back = i > 0 and seq[i - 1] in closing and step not in closing
            if step.lower() in ("reopen", "reopened") or back:
                targets[step] += 1
                cases.add(case)
    return len(cases), sum(targets.values()), targets


def check(events: EventTable, by: tuple[str, ...], closing: tuple[str, ...]) -> None:
    traces = step_traces(events, by)
    expected = brute_rework(traces)
    ours = find_rework(events, by=by)
    assert ours.cases == len(traces)
    assert {r.step: (r.cases, r.cases_repeated, r.executions, r.extra_executions, r.self_loops,
                     r.cases_with_self_loop) for r in ours.steps} == expected["steps"]
    assert all(r.rework_rate == pytest.approx(r.cases_repeated / r.cases) for r in ours.steps)
    assert {(r.first, r.second): (r.occurrences, r.cases) for r in ours.loops} == expected["loops"]
    assert ours.cases_with_repeat == expected["cases_with_repeat"]
    assert ours.cases_with_self_loop == expected["cases_with_self_loop"]
    assert ours.cases_with_loop_of_two == expected["cases_with_loop_of_two"]
    cases, occurrences, targets = brute_reopen(traces, closing)
    reopened = find_reopenings(events, closing=closing, by=by)
    assert (reopened.cases_reopened, reopened.occurrences) == (cases, occurrences)
    assert {r.step: r.occurrences for r in reopened.targets} == dict(targets)
    assert reopened.share == pytest.approx(cases / len(traces))


def test_hand_made_log() -> None:
    events = make({"c1": "ABAACZ", "c2": "ABZRBZ", "c3": "AZBZZ", "c4": "ABC"})
    check(events, ("activity",), ("Closed",))
    rework = find_rework(events)
    # c2 closes twice and c3 three times: three extra closings; c1's three A's are two extra.
    assert [(r.step, r.extra_executions) for r in rework.steps[:2]] == [("Closed", 3), ("A", 2)]
    assert {(r.first, r.second) for r in rework.loops} == {("A", "B"), ("Closed", "B")}   # c1 ABA, c3 ZBZ
    reopened = find_reopenings(events, closing=["Closed"])
    # c2: Closed -> Reopen; c3: Closed -> B.  c2's B after Reopen is not after a closing step.
    assert (reopened.cases_reopened, reopened.occurrences) == (2, 2)


def test_bad_options_are_named() -> None:
    events = make({"c1": "AB"})
    with pytest.raises(ValidationError, match="no column status"):
        find_rework(events, by=("activity", "status"))
    with pytest.raises(ValidationError, match="closing"):
        find_reopenings(events, closing=[])


def test_helpdesk(load_log: Callable[[str], EventTable]) -> None:
    check(load_log("helpdesk"), ("activity",), HELPDESK_CLOSING)


@pytest.mark.slow
def test_bpic2013_incidents_by_status_and_sub_status(load_log: Callable[[str], EventTable]) -> None:
    events = load_log("bpic2013_incidents")
    check(events, ("activity", "lifecycle"), INCIDENT_CLOSING)
