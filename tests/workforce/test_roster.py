"""Rostering: brute force on a tiny roster, working-time rules checked on the output of a week,
unfilled slots explained, bad input named."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from liucheng.core.errors import ValidationError
from liucheng.workforce.roster import (
    Agent,
    Slot,
    assign_roster,
    load_agents,
    roster_for_requirement,
    slots_from_schedule,
)
from liucheng.workforce.schedule import WeeklyRules, schedule_shifts
from liucheng.workforce.shifts import DAYS, ShiftType

EARLY = ShiftType(name="early", start="06:00", length_min=480)
LATE = ShiftType(name="late", start="14:00", length_min=480)
NIGHT = ShiftType(name="night", start="22:00", length_min=480)
SHIFTS = (EARLY, LATE, NIGHT)


def _start(shift: str, day: str) -> int:
    return DAYS.index(day) * 1440 + {"early": 360, "late": 840, "night": 1320}[shift]


def _rest_ok(starts: list[int], hours: float) -> bool:
    """Every pair of shifts (8 h each) leaves at least ``hours`` between them, around the cyclic week."""
    starts = sorted(starts)
    gaps = [(b - a) % 10080 - 480 for a, b in zip(starts, starts[1:] + starts[:1], strict=True)]
    return len(starts) < 2 or min(gaps) >= hours * 60


def _longest_run(days: set[str]) -> int:
    on = [d in days for d in DAYS]
    if all(on):
        return 7
    return max((sum(1 for _ in g) for k, g in itertools.groupby(on + on) if k), default=0)


def test_tiny_roster_matches_brute_force() -> None:
    slots = [Slot("early", "mon", 1), Slot("late", "mon", 1), Slot("night", "mon", 1), Slot("early", "tue", 1)]
    agents = [
        Agent("ann", preferred_shifts={"night": 3.0}, preferred_days_off={"tue": 1.0}),
        Agent("bo", preferred_shifts={"early": 2.0}, leave=("tue",)),
        Agent("cy", preferred_shifts={"late": 1.5}),
    ]
    roster = assign_roster(slots, SHIFTS, agents)
    best = -np.inf
    for who in itertools.product(range(3), repeat=len(slots)):
        per = {a: [slots[k] for k in range(4) if who[k] == a] for a in range(3)}
        if any(len({s.day for s in ss}) < len(ss) for ss in per.values()):
            continue
        if any(s.day in agents[a].leave for a, ss in per.items() for s in ss):
            continue
        if not all(_rest_ok([_start(s.shift, s.day) for s in ss], 11) for ss in per.values()):
            continue
        score = sum(
            agents[a].preferred_shifts.get(s.shift, 0) - agents[a].preferred_days_off.get(s.day, 0)
            for a, ss in per.items()
            for s in ss
        )
        best = max(best, score)
    assert not roster.unfilled
    assert roster.preference_score == pytest.approx(best)


def test_a_week_roster_keeps_every_rule() -> None:
    req = np.zeros(7 * 24, dtype=int)
    for d in range(7):
        req[d * 24 + 6 : d * 24 + 22] = 3
        req[d * 24 + 22 : d * 24 + 24] = 1
    cover = schedule_shifts(req, SHIFTS, interval_min=60, weekly=WeeklyRules(days_per_week=5))
    slots = slots_from_schedule(cover)
    rng = np.random.default_rng(7)
    agents = [
        Agent(
            f"a{i:02d}",
            leave=(DAYS[i % 7],) if i % 3 == 0 else (),
            available={d: ("06:00", "22:00") for d in DAYS} if i % 4 == 1 else None,
            preferred_shifts={str(rng.choice(["early", "late", "night"])): float(rng.integers(1, 4))},
            preferred_days_off={DAYS[int(rng.integers(0, 7))]: 1.0},
            max_consecutive_days=4,
        )
        for i in range(cover.agents + 6)
    ]
    roster = assign_roster(slots, SHIFTS, agents)
    assert not roster.unfilled
    filled = {(s.shift, s.day): 0 for s in slots}
    for x in roster.assignments:
        filled[x.shift, x.day] += 1
    assert filled == {(s.shift, s.day): s.agents for s in slots}
    by_agent = {a.name: a for a in agents}
    for name in by_agent:
        mine = [x for x in roster.assignments if x.agent == name]
        agent = by_agent[name]
        assert len(mine) <= agent.max_shifts_per_week
        assert len({x.day for x in mine}) == len(mine)
        assert not {x.day for x in mine} & set(agent.leave)
        assert _longest_run({x.day for x in mine}) <= 4
        assert _rest_ok([_start(x.shift, x.day) for x in mine], 11)
        if agent.available is not None:
            assert all(x.shift != "night" for x in mine)


def test_unfilled_slots_say_who_is_missing_and_why() -> None:
    slots = [Slot("early", "wed", 2, skill="cantonese"), Slot("late", "tue", 1)]
    agents = [
        Agent("ann", skills=("cantonese",)),
        Agent("bo", skills=("cantonese",), leave=("wed",)),
        Agent("cy"),
        Agent("di", skills=("cantonese",), available={"wed": ("09:00", "17:00")}),
    ]
    roster = assign_roster(slots, SHIFTS, agents)
    (gap,) = roster.unfilled
    assert gap.missing == 1 and gap.slot.day == "wed"
    assert gap.reasons == {
        "bo": "on leave",
        "cy": "lacks skill 'cantonese'",
        "di": "available only 09:00-17:00",
    }
    with pytest.raises(ValidationError, match="wed early needing 'cantonese': 1 of 2 unfilled"):
        roster.raise_if_unfilled()


def test_rest_rule_leaves_a_slot_open_and_names_the_blocking_shift() -> None:
    slots = [Slot("late", "mon", 1), Slot("early", "tue", 1)]  # 22:00 to 06:00 is 8 h of rest
    roster = assign_roster(slots, SHIFTS, [Agent("ann")])
    (gap,) = roster.unfilled
    assert len(roster.assignments) == 1
    assert "working rules with its shifts" in gap.reasons["ann"]
    relaxed = assign_roster(slots, SHIFTS, [Agent("ann", min_rest_h=8)])
    assert not relaxed.unfilled


@pytest.mark.parametrize(
    ("slots", "agents", "message"),
    [
        ([Slot("brunch", "mon", 1)], [Agent("ann")], "unknown shift 'brunch'"),
        ([Slot("early", "monday", 1)], [Agent("ann")], "day must be one of"),
        ([Slot("early", "mon", 1)], [Agent("ann"), Agent("ann")], "unique"),
        ([Slot("early", "mon", 1)], [Agent("ann", preferred_shifts={"brunch": 1})], "'brunch'"),
        ([Slot("early", "mon", 1)], [Agent("ann", available={"mon": ("6am", "14:00")})], "agent 'ann' available mon"),
    ],
)
def test_bad_roster_input_names_the_problem(slots: list[Slot], agents: list[Agent], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        assign_roster(slots, SHIFTS, agents)


def test_rostering_straight_from_a_requirement_covers_it_within_the_rules() -> None:
    req = np.zeros(7 * 24, dtype=int)
    for d in range(7):
        req[d * 24 + 6 : d * 24 + 22] = 2
    agents = [Agent(f"a{i}", max_consecutive_days=4, preferred_shifts={"late": 1.0} if i % 2 else {}) for i in range(9)]
    direct = roster_for_requirement(req, SHIFTS, agents, interval_min=60)
    assert not direct.under.any()
    coverage = np.zeros_like(req)
    for x in direct.roster.assignments:
        first = DAYS.index(x.day) * 24 + _start(x.shift, "mon") // 60
        coverage[np.arange(first, first + 8) % coverage.size] += 1
    assert np.array_equal(coverage, direct.coverage) and np.all(coverage >= req)
    for name in {a.name for a in agents}:
        mine = [x for x in direct.roster.assignments if x.agent == name]
        assert len(mine) <= 5 and _longest_run({x.day for x in mine}) <= 4
        assert _rest_ok([_start(x.shift, x.day) for x in mine], 11)
    # named agents cannot beat the cheapest covering, which ignores who works
    fewest = sum(c.agents for c in schedule_shifts(req, SHIFTS, interval_min=60).counts)
    assert len(direct.roster.assignments) >= fewest == 28
    short = roster_for_requirement(req, SHIFTS, agents[:3], interval_min=60)
    assert short.under.sum() > 0 and len(short.roster.assignments) <= 15


def test_agents_load_from_toml_and_bad_fields_are_named(tmp_path) -> None:
    path = tmp_path / "agents.toml"
    path.write_text(
        '[[agent]]\nname = "ann"\nskills = ["cantonese"]\nleave = ["wed"]\n'
        '[agent.available]\nmon = ["06:00", "22:00"]\n[agent.preferred_shifts]\nearly = 2.0\n'
    )
    (ann,) = load_agents(path)
    assert ann.available == {"mon": ("06:00", "22:00")} and ann.preferred_shifts == {"early": 2.0}
    roster = assign_roster([Slot("early", "mon", 1, "cantonese")], SHIFTS, [ann])
    assert [x.agent for x in roster.assignments] == ["ann"]
    path.write_text('[[agent]]\nname = "bo"\nmax_shifts = 3\n')
    with pytest.raises(ValidationError, match=r"agents\.toml.*max_shifts"):
        load_agents(path)
