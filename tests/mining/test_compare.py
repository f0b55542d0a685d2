"""Period and attribute comparison against a per-case brute force (pairwise Cliff's delta, z-test)."""

from __future__ import annotations

import bisect
import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pyarrow as pa
import pytest

from liucheng.core.errors import ValidationError
from liucheng.eventlog.table import EventTable, from_arrow
from liucheng.mining.compare import compare_by_attribute, compare_periods, magnitude

T0 = datetime(2024, 1, 1, tzinfo=UTC)
LOG_ORDER = [("case_id", "ascending"), ("timestamp", "ascending"), ("event_index", "ascending")]


def cliffs_pairwise(a: list[float], b: list[float]) -> float:
    """P(b > a) - P(b < a) over all pairs: the definition, by bisection in a sorted copy of a."""
    a_sorted = sorted(a)
    above = below = 0
    for x in b:
        below += len(a_sorted) - bisect.bisect_right(a_sorted, x)
        above += bisect.bisect_left(a_sorted, x)
    return (above - below) / (len(a) * len(b))


def brute(events: EventTable, side_of: dict[str, str]) -> dict:
    cases: dict[str, list[dict]] = defaultdict(list)
    columns = ["case_id", "activity", "timestamp", "event_index"]
    for r in events.table.select(columns).sort_by(LOG_ORDER).to_pylist():
        if r["case_id"] in side_of:
            cases[r["case_id"]].append(r)
    dur: dict[str, list[float]] = {"a": [], "b": []}
    present: dict[str, dict[str, int]] = defaultdict(lambda: {"a": 0, "b": 0})
    gaps: dict[tuple, dict[str, list[float]]] = defaultdict(lambda: {"a": [], "b": []})
    for case, evs in cases.items():
        side = side_of[case]
        dur[side].append((evs[-1]["timestamp"] - evs[0]["timestamp"]).total_seconds())
        for act in {e["activity"] for e in evs}:
            present[act][side] += 1
        for x, y in pairwise(evs):
            gaps[(x["activity"], y["activity"])][side].append((y["timestamp"] - x["timestamp"]).total_seconds())
    return {"durations": dur, "present": present, "gaps": gaps}


def check(result, expected: dict, min_count: int) -> None:
    dur = expected["durations"]
    n_a, n_b = len(dur["a"]), len(dur["b"])
    d = result.duration
    assert (d.cases_a, d.cases_b) == (n_a, n_b)
    assert (d.median_a_s, d.median_b_s) == pytest.approx((statistics.median(dur["a"]), statistics.median(dur["b"])))
    assert d.cliffs_delta == pytest.approx(cliffs_pairwise(dur["a"], dur["b"]))
    assert d.magnitude == magnitude(d.cliffs_delta)
    normal = statistics.NormalDist()
    assert {r.activity for r in result.activities} == set(expected["present"])
    for r in result.activities:
        k_a, k_b = expected["present"][r.activity]["a"], expected["present"][r.activity]["b"]
        assert (r.cases_a, r.cases_b) == (k_a, k_b)
        p = (k_a + k_b) / (n_a + n_b)
        se = math.sqrt(p * (1 - p) * (1 / n_a + 1 / n_b))
        z = (k_b / n_b - k_a / n_a) / se if se else 0.0
        assert r.z == pytest.approx(z)
        assert r.p_value == pytest.approx(2 * (1 - normal.cdf(abs(z))), abs=1e-9)
    changes = [abs(r.change) for r in result.activities]
    assert changes == sorted(changes, reverse=True)
    kept = {k: v for k, v in expected["gaps"].items() if len(v["a"]) >= min_count and len(v["b"]) >= min_count}
    assert {(r.source, r.target) for r in result.edges} == set(kept)
    for r in result.edges:
        a, b = kept[(r.source, r.target)]["a"], kept[(r.source, r.target)]["b"]
        assert (r.count_a, r.count_b) == (len(a), len(b))
        assert r.median_change_s == pytest.approx(statistics.median(b) - statistics.median(a))
        assert r.cliffs_delta == pytest.approx(cliffs_pairwise(a, b))
    deltas = [abs(r.cliffs_delta) for r in result.edges]
    assert deltas == sorted(deltas, reverse=True)


def make(traces: dict[str, tuple[str, str, list[int]]]) -> EventTable:
    """case -> (team, activities as letters, minutes after T0 of each)."""
    rows = [(case, act, T0 + timedelta(minutes=m), team) for case, (team, acts, mins) in traces.items()
            for act, m in zip(acts, mins, strict=True)]
    case, act, ts, team = zip(*rows, strict=True)
    return from_arrow(pa.table({"case_id": list(case), "activity": list(act),
                                "timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")), "case:team": list(team)}))


def test_hand_made_log_with_ties() -> None:
    events = make({
        "a1": ("x", "ABC", [0, 10, 20]), "a2": ("x", "AC", [0, 20]), "a3": ("x", "ABC", [0, 5, 30]),
        "b1": ("y", "ABC", [0, 10, 20]), "b2": ("y", "AB", [0, 60]), "b3": ("y", "ABBC", [0, 10, 20, 90]),
        "z1": ("z", "A", [0]),
    })
    result = compare_by_attribute(events, column="case:team", a="x", b="y", min_count=1)
    check(result, brute(events, {"a1": "a", "a2": "a", "a3": "a", "b1": "b", "b2": "b", "b3": "b"}), 1)
    # durations A: 20, 20, 30; B: 20, 60, 90 -> B longer in 6 pairs, shorter in 1, tied in 2.
    assert result.duration.cliffs_delta == pytest.approx(5 / 9)
    # B 2/3 -> 3/3 and C 3/3 -> 2/3 are the largest changes (ties in name order).
    assert [(r.activity, round(r.change, 3)) for r in result.activities[:2]] == [("B", 0.333), ("C", -0.333)]


def test_bad_input_is_named() -> None:
    events = make({"a1": ("x", "AB", [0, 1])})
    with pytest.raises(ValidationError, match="no column 'case:unit'"):
        compare_by_attribute(events, column="case:unit", a="x", b="y")
    with pytest.raises(ValidationError, match="side b has no cases"):
        compare_by_attribute(events, column="case:team", a="x", b="y")
    jan, feb, mar = (datetime(2024, m, 1, tzinfo=UTC) for m in (1, 2, 3))
    with pytest.raises(ValidationError, match="overlap"):
        compare_periods(events, a=(jan, mar), b=(feb, mar))
    with pytest.raises(ValidationError, match="min_count"):
        compare_by_attribute(events, column="case:team", a="x", b="y", min_count=0)
    with pytest.raises(ValidationError, match="no time zone"):
        compare_periods(events, a=(datetime(2024, 1, 1), datetime(2024, 2, 1)),
                        b=(datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)))


def test_helpdesk_2011_against_2012(load_log: Callable[[str], EventTable]) -> None:
    events = load_log("helpdesk")
    y2011, y2012, y2013 = (datetime(y, 1, 1, tzinfo=UTC) for y in (2011, 2012, 2013))
    result = compare_periods(events, a=(y2011, y2012), b=(y2012, y2013))
    first: dict[str, datetime] = {}
    for r in events.table.select(["case_id", "timestamp"]).to_pylist():
        first[r["case_id"]] = min(first.get(r["case_id"], r["timestamp"]), r["timestamp"])
    side_of = {c: ("a" if t < y2012 else "b") for c, t in first.items() if y2011 <= t < y2013}
    check(result, brute(events, side_of), 5)
