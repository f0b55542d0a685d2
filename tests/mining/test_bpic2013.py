"""BPI Challenge 2013 (Volvo IT incidents): the challenge's questions answered with our functions,
each against a brute force over the cases' sorted events. docs/bpic2013.md reports these numbers.

(a) ping-pong between support teams, (b) push to the 2nd and 3rd line, (c) where time accumulates
per status / sub-status, support team and support line.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import pairwise

import pytest

from liucheng.eventlog.table import EventTable
from liucheng.mining.handover import find_escalations, find_ping_pong, tiers_from_names
from liucheng.mining.holding import longest_holder_summary, time_in_state

LOG_ORDER = [("case_id", "ascending"), ("timestamp", "ascending"), ("event_index", "ascending")]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def events(load_log: Callable[[str], EventTable]) -> EventTable:
    return load_log("bpic2013_incidents")


@pytest.fixture(scope="module")
def cases(events: EventTable) -> dict[str, list[dict]]:
    columns = ["case_id", "activity", "timestamp", "lifecycle", "group", "event_index", "impact"]
    out: dict[str, list[dict]] = defaultdict(list)
    for r in events.table.select(columns).sort_by(LOG_ORDER).to_pylist():
        out[r["case_id"]].append(r)
    return out


def line_of(team: str) -> int:
    """The support line rule of docs/bpic2013.md, written independently: a "3rd" word wins."""
    words = team.split()
    return 3 if "3rd" in words else 2 if "2nd" in words else 1


def test_a_ping_pong_between_support_teams(events: EventTable, cases: dict[str, list[dict]]) -> None:
    pairs: Counter = Counter()
    per_team: dict[str, set] = defaultdict(set)
    for case, evs in cases.items():
        runs = [g for i, g in enumerate(e["group"] for e in evs) if i == 0 or evs[i - 1]["group"] != g]
        for x, y, z in zip(runs, runs[1:], runs[2:], strict=False):
            if x == z:
                pairs[(x, y)] += 1
                per_team[x].add(case)
                per_team[y].add(case)
    ping = find_ping_pong(events, by="group")
    cases_with = set().union(*per_team.values())
    assert (ping.cases, ping.cases_with_ping_pong, ping.occurrences) == (len(cases), len(cases_with),
                                                                         sum(pairs.values()))
    assert [(p.origin, p.other, p.occurrences) for p in ping.pairs] == [
        (o, x, n) for (o, x), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))]
    assert {h.holder: h.cases_with_ping_pong for h in ping.holders if h.cases_with_ping_pong} == {
        team: len(found) for team, found in per_team.items()}
    top = sorted(per_team, key=lambda t: (-len(per_team[t]), t))[:10]
    assert [h.holder for h in ping.holders[:10]] == top


def test_b_push_to_second_and_third_line(events: EventTable, cases: dict[str, list[dict]]) -> None:
    teams = {e["group"] for evs in cases.values() for e in evs}
    tiers = tiers_from_names(teams)
    assert tiers == {team: line_of(team) for team in teams}
    for segment in (None, "impact"):
        expected: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
        for evs in cases.values():
            seg = evs[0]["impact"] if segment else "all"
            top, last = max(line_of(e["group"]) for e in evs), line_of(evs[-1]["group"])
            for level in (1, 2, 3):
                expected[(seg, level)][0] += 1
                expected[(seg, level)][1] += top >= level
                expected[(seg, level)][2] += last == level
        ours = find_escalations(events, tiers=tiers, segment=segment)
        assert {(r.segment, r.tier): [r.cases, r.cases_reaching, r.cases_ending] for r in ours} == dict(expected)


def spans(cases: dict[str, list[dict]], state) -> dict[str, list[float]]:
    out: dict[str, list[float]] = defaultdict(list)
    for evs in cases.values():
        for a, b in pairwise(evs):
            out[state(a)].append((b["timestamp"] - a["timestamp"]).total_seconds())
    return out


def test_c_time_per_status_team_and_line(events: EventTable, cases: dict[str, list[dict]]) -> None:
    by_status = spans(cases, lambda e: f"{e['activity']} / {e['lifecycle']}")
    ours = time_in_state(events, by=("activity", "lifecycle"))
    assert {r.state: (r.spans, round(r.total_s)) for r in ours} == {
        s: (len(v), round(sum(v))) for s, v in by_status.items()}
    by_team = spans(cases, lambda e: e["group"])
    top_teams = [r.state for r in time_in_state(events, by=("group",))[:10]]
    assert top_teams == sorted(by_team, key=lambda t: (-sum(by_team[t]), t))[:10]
    t = events.to_ibis()
    teams = {e["group"] for evs in cases.values() for e in evs}
    lines = {team: str(line) for team, line in tiers_from_names(teams).items()}
    with_line = t.mutate(line=t.group.substitute(lines))
    by_line = spans(cases, lambda e: f"{line_of(e['group'])} / {e['lifecycle']}")
    ours_line = time_in_state(with_line, by=("line", "lifecycle"))
    assert {r.state: round(r.total_s) for r in ours_line} == {s: round(sum(v)) for s, v in by_line.items()}


def test_c_longest_holder_team(events: EventTable, cases: dict[str, list[dict]]) -> None:
    counts: Counter = Counter()
    for evs in cases.values():
        held: Counter = Counter()
        for a, b in pairwise(evs):
            held[a["group"]] += (b["timestamp"] - a["timestamp"]).total_seconds()
        if held:
            counts[min(held, key=lambda g: (-held[g], g))] += 1
    ours = longest_holder_summary(events)
    assert {r.holder: r.cases for r in ours} == dict(counts)


def test_the_support_line_rule_is_in_the_team_names_not_in_org_role(events: EventTable) -> None:
    """org:role ("V3_2", "E_10") ends in 1..10 in every line: a division code, not the support line."""
    suffixes: dict[int, set] = defaultdict(set)
    for r in events.table.select(["group", "org:role"]).to_pylist():
        match = re.search(r"_(\d+)$", r["org:role"])
        if match:
            suffixes[line_of(r["group"])].add(int(match.group(1)))
    assert all(len(found) >= 6 for found in suffixes.values())
    assert 10 in suffixes[1] and 1 in suffixes[3]
