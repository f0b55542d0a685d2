"""Holding times per state and the longest holder of each case, against a per-case brute force."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pytest

from liucheng.eventlog.table import EventTable, from_arrow
from liucheng.mining.holding import longest_holder_summary, longest_holders, time_in_state

T0 = datetime(2024, 1, 1, tzinfo=UTC)
LOG_ORDER = [("case_id", "ascending"), ("timestamp", "ascending"), ("event_index", "ascending")]


def brute_spans(events: EventTable, by: tuple[str, ...]) -> dict[str, list[tuple[str, float]]]:
    """Per case, (state, seconds to the next event) for every event but the last."""
    rows = events.table.select(["case_id", "timestamp", "event_index", *by]).sort_by(LOG_ORDER).to_pylist()
    cases: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        cases[r["case_id"]].append(r)
    return {case: [(" / ".join(a[c] or "" for c in by), (b["timestamp"] - a["timestamp"]).total_seconds())
                   for a, b in pairwise(evs)] for case, evs in cases.items()}


def check(events: EventTable, by: tuple[str, ...]) -> None:
    spans = brute_spans(events, by)
    per_state: dict[str, list[float]] = defaultdict(list)
    state_cases: dict[str, set] = defaultdict(set)
    top: dict[str, tuple[str, float, float]] = {}
    for case, items in spans.items():
        held: Counter = Counter()
        for state, secs in items:
            per_state[state].append(secs)
            state_cases[state].add(case)
            held[state] += secs
        if held:
            best = min(held, key=lambda s: (-held[s], s))
            top[case] = (best, held[best], sum(held.values()))
    grand = sum(sum(v) for v in per_state.values())
    ours = time_in_state(events, by=by)
    assert {r.state for r in ours} == set(per_state)
    for r in ours:
        values = per_state[r.state]
        assert (r.spans, r.cases) == (len(values), len(state_cases[r.state]))
        assert r.total_s == pytest.approx(sum(values))
        assert r.median_s == pytest.approx(statistics.median(values))
        assert r.p90_s == pytest.approx(float(np.percentile(values, 90)))
        assert r.share == pytest.approx(sum(values) / grand)
    holders = {r["case_id"]: (r["holder"], r["held_s"], r["case_held_s"])
               for r in longest_holders(events, by=by).to_pyarrow().to_pylist()}
    assert holders.keys() == top.keys()
    for case, (holder, held, total) in top.items():
        assert holders[case][0] == holder
        assert holders[case][1:] == pytest.approx((held, total))
    counts = Counter(h for h, _, _ in top.values())
    summary = longest_holder_summary(events, by=by)
    assert {r.holder: r.cases for r in summary} == dict(counts)
    for r in summary:
        mine = [held for h, held, _ in top.values() if h == r.holder]
        assert r.held_total_s == pytest.approx(sum(mine))
        assert r.held_median_s == pytest.approx(statistics.median(mine))
        assert r.share == pytest.approx(counts[r.holder] / len(top))


def test_hand_made_log() -> None:
    # c1: with g1 for 10 min, g2 for 30, g1 for 5 -> g2 held it longest (30 > 15).
    # c2: g1 and g2 both 10 min -> the tie goes to g1.  c3: one event, no holding time.
    rows = [("c1", 0, "g1"), ("c1", 10, "g2"), ("c1", 40, "g1"), ("c1", 45, "g3"),
            ("c2", 0, "g2"), ("c2", 10, "g1"), ("c2", 20, "g2"), ("c3", 0, "g1")]
    case, mins, group = zip(*rows, strict=True)
    events = from_arrow(pa.table({
        "case_id": list(case), "activity": ["work"] * len(rows),
        "timestamp": pa.array([T0 + timedelta(minutes=m) for m in mins], pa.timestamp("us", tz="UTC")),
        "group": list(group)}))
    check(events, ("group",))
    top = {r["case_id"]: r["holder"] for r in longest_holders(events).to_pyarrow().to_pylist()}
    assert top == {"c1": "g2", "c2": "g1"}


def test_helpdesk_activities(load_log: Callable[[str], EventTable]) -> None:
    check(load_log("helpdesk"), ("activity",))
