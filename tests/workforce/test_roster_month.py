"""Rostering over several weeks or a month: a brute force over all assignments of tiny horizons,
a four-week roster re-checked on its output against calendar rules computed here, dates in
explanations, and bad dates named."""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta

import numpy as np
import pytest

from liucheng.core.errors import ValidationError
from liucheng.workforce.roster import (
    Agent,
    Assignment,
    Horizon,
    Slot,
    assign_roster,
    load_agents,
    slots_from_schedule,
)
from liucheng.workforce.schedule import WeeklyRules, schedule_shifts
from liucheng.workforce.shifts import DAYS, ShiftType

EARLY = ShiftType(name="early", start="06:00", length_min=480)
LATE = ShiftType(name="late", start="14:00", length_min=480)
NIGHT = ShiftType(name="night", start="22:00", length_min=480, days=("mon", "tue", "wed", "thu", "fri"))
SHIFTS = (EARLY, LATE, NIGHT)
START = {"early": 6 * 60, "late": 14 * 60, "night": 22 * 60}


def _span(shift: str, day: date, origin: date) -> tuple[int, int]:
    start = (day - origin).days * 1440 + START[shift]
    return start, start + 480


def _rest_ok(shifts: list[tuple[str, date]], hours: float, origin: date) -> bool:
    """Every two shifts leave ``hours`` between them, on a line (no wrap around the week)."""
    spans = sorted(_span(s, d, origin) for s, d in shifts)
    return all(b[0] - a[1] >= hours * 60 for a, b in itertools.pairwise(spans))


def _longest_run(days: set[date]) -> int:
    best = run = 0
    for day in sorted(days):
        run = run + 1 if day - timedelta(days=1) in days else 1
        best = max(best, run)
    return best


def _week_caps(start: date, n_days: int, cap: int, before: dict[date, int] | None) -> dict[tuple[int, int], int]:
    """Cap per ISO week: full weeks get ``cap``; the first week less the shifts worked before the
    start when those are known; any other partial week ``cap`` pro rata, rounded up."""
    days = [start + timedelta(days=d) for d in range(n_days)]
    out = {}
    for week, members in itertools.groupby(days, key=lambda d: d.isocalendar()[:2]):
        inside = len(list(members))
        if inside == 7:
            out[week] = cap
        elif week == start.isocalendar()[:2] and before is not None:
            out[week] = max(cap - sum(n for d, n in before.items() if d.isocalendar()[:2] == week), 0)
        else:
            out[week] = math.ceil(cap * inside / 7)
    return out


def _keeps_rules(agent: Agent, mine: list[tuple[str, date]], horizon: Horizon) -> bool:
    """Whether one agent's shifts in ``horizon`` keep every working-time rule, computed on dates."""
    prior = [(x.shift, date.fromisoformat(x.day)) for x in horizon.previous or () if x.agent == agent.name]
    days = [d for _, d in mine]
    if len(set(days)) < len(days):
        return False
    leave = {horizon.start + timedelta(days=x) if isinstance(x, int) else date.fromisoformat(x) for x in agent.leave}
    if leave & set(days):
        return False
    if agent.available is not None:
        for shift, day in mine:
            window = agent.available.get(DAYS[day.weekday()])
            lo, hi = (None, None) if window is None else (int(t[:2]) * 60 + int(t[3:]) for t in window)
            if window is None or START[shift] < lo or START[shift] + 480 > hi:
                return False
    if not _rest_ok(prior + mine, agent.min_rest_h, horizon.start):
        return False
    if _longest_run({d for _, d in prior + mine}) > agent.max_consecutive_days:
        return False
    before = None if horizon.previous is None else {d: 1 for _, d in prior}
    caps = _week_caps(horizon.start, horizon.days, agent.max_shifts_per_week, before)
    worked = {w: 0 for w in caps}
    for day in days:
        worked[day.isocalendar()[:2]] += 1
    return all(worked[w] <= caps[w] for w in caps)


def _score(agent: Agent, mine: list[tuple[str, date]]) -> float:
    return sum(
        agent.preferred_shifts.get(s, 0.0)
        - agent.preferred_days_off.get(DAYS[d.weekday()], 0.0)
        - agent.preferred_days_off.get(d.isoformat(), 0.0)
        for s, d in mine
    )


def _tiny(seed: int) -> tuple[list[Slot], list[Agent], Horizon]:
    """Six days from a Thursday across a calendar week boundary (Thu-Sun, Mon-Tue), seven slots."""
    rng = np.random.default_rng(seed)
    start = date(2026, 2, 26)
    cells = [
        (s, d) for d in range(6) for s in ("early", "late", "night") if DAYS[(3 + d) % 7] in NIGHT.days or s != "night"
    ]
    picks = sorted(rng.choice(len(cells), size=7, replace=False))
    slots = [
        Slot(cells[i][0], cells[i][1] if rng.random() < 0.5 else (start + timedelta(days=cells[i][1])).isoformat(), 1)
        for i in picks
    ]
    agents = [
        Agent(
            f"a{i}",
            leave=((start + timedelta(days=int(rng.integers(6)))).isoformat(), int(rng.integers(6))),
            available={d: ("06:00", "22:00") for d in DAYS[:5]} if i == 2 else None,
            preferred_shifts={str(rng.choice(["early", "late", "night"])): float(rng.integers(1, 4))},
            preferred_days_off={"sat": 1.0, (start + timedelta(days=int(rng.integers(6)))).isoformat(): 2.0},
            max_shifts_per_week=3,
            max_consecutive_days=2,
        )
        for i in range(3)
    ]
    previous = None
    if seed % 2:
        previous = (
            Assignment("a0", "early", "2026-02-22", None),  # the calendar week before
            Assignment("a0", "early", "2026-02-23", None),
            Assignment("a0", "night", "2026-02-25", None),
            Assignment("a1", "early", "2026-02-24", None),
            Assignment("a1", "late", "2026-02-25", None),
        )
    return slots, agents, Horizon(start, 6, previous)


@pytest.mark.parametrize("seed", range(6))
def test_tiny_horizon_matches_brute_force(seed: int) -> None:
    slots, agents, horizon = _tiny(seed)
    roster = assign_roster(slots, SHIFTS, agents, horizon=horizon)
    when = [
        horizon.start + timedelta(days=s.day) if isinstance(s.day, int) else date.fromisoformat(s.day) for s in slots
    ]
    best: tuple[int, float] = (-1, -np.inf)
    for who in itertools.product(range(len(agents) + 1), repeat=len(slots)):  # len(agents) = nobody
        per = {a: [(slots[k].shift, when[k]) for k in range(len(slots)) if who[k] == a] for a in range(len(agents))}
        if all(_keeps_rules(agents[a], mine, horizon) for a, mine in per.items()):
            filled = sum(w < len(agents) for w in who)
            best = max(best, (filled, sum(_score(agents[a], mine) for a, mine in per.items())))
    assert len(roster.assignments) == best[0] == len(slots) - sum(u.missing for u in roster.unfilled)
    assert roster.preference_score == pytest.approx(best[1])


def _month_instance() -> tuple[list[Slot], list[Agent], Horizon]:
    """28 days from Wednesday 4 February 2026 (partial calendar weeks at both ends), 20 agents."""
    start = date(2026, 2, 4)
    previous = tuple(
        Assignment(f"a{i:02d}", "night" if i % 3 == 0 else "late", (start - timedelta(days=back)).isoformat(), None)
        for i in range(0, 20, 2)
        for back in (1, 2, 3)
    )
    horizon = Horizon(start, 28, previous)
    slots = []
    for d in range(28):
        weekday = DAYS[(start + timedelta(days=d)).weekday()]
        weekend = weekday in ("sat", "sun")
        slots += [Slot("early", d, 2 if weekend else 4), Slot("late", (start + timedelta(days=d)).isoformat(), 3)]
        if not weekend:
            slots.append(Slot("night", d, 2))
    rng = np.random.default_rng(11)
    agents = [
        Agent(
            f"a{i:02d}",
            leave=tuple((start + timedelta(days=int(x))).isoformat() for x in rng.choice(28, size=3, replace=False))
            if i % 3 == 0
            else (),
            available={d: ("06:00", "22:00") for d in DAYS} if i % 4 == 1 else None,
            preferred_shifts={str(rng.choice(["early", "late", "night"])): float(rng.integers(1, 4))},
            preferred_days_off={DAYS[int(rng.integers(0, 7))]: 1.0},
            max_consecutive_days=4,
        )
        for i in range(20)
    ]
    return slots, agents, horizon


def test_four_weeks_keep_every_rule_on_dates() -> None:
    slots, agents, horizon = _month_instance()
    roster = assign_roster(slots, SHIFTS, agents, horizon=horizon)
    assert not roster.unfilled and roster.status == "optimal"
    wanted = {}
    for s in slots:
        day = horizon.start + timedelta(days=s.day) if isinstance(s.day, int) else date.fromisoformat(s.day)
        wanted[s.shift, day.isoformat()] = s.agents
    filled = dict.fromkeys(wanted, 0)
    for x in roster.assignments:
        filled[x.shift, x.day] += 1
    assert filled == wanted
    for agent in agents:
        mine = [(x.shift, date.fromisoformat(x.day)) for x in roster.assignments if x.agent == agent.name]
        assert _keeps_rules(agent, mine, horizon), agent.name
        assert all(s != "night" or DAYS[d.weekday()] in NIGHT.days for s, d in mine)
    # the rules bite: in each full calendar week someone works the whole cap
    per_week: dict[tuple[str, int], int] = {}
    for x in roster.assignments:
        key = (x.agent, date.fromisoformat(x.day).isocalendar()[1])
        per_week[key] = per_week.get(key, 0) + 1
    assert [max(n for (_, w), n in per_week.items() if w == week) for week in (7, 8, 9)] == [5, 5, 5]


def test_a_horizon_does_not_wrap_but_previous_shifts_count() -> None:
    any_night = (EARLY, ShiftType(name="night", start="22:00", length_min=480))
    week = Horizon(date(2026, 1, 26), 7)  # Monday to Sunday
    cyclic = assign_roster([Slot("night", "sun", 1), Slot("early", "mon", 1)], any_night, [Agent("ann")])
    assert len(cyclic.unfilled) == 1  # Sunday night then Monday 06:00 around the cyclic week
    line = assign_roster([Slot("night", 6, 1), Slot("early", 0, 1)], any_night, [Agent("ann")], horizon=week)
    assert not line.unfilled and {x.day for x in line.assignments} == {"2026-02-01", "2026-01-26"}
    after = Horizon(date(2026, 2, 1), 1, (Assignment("ann", "night", "2026-01-31", None),))
    roster = assign_roster([Slot("early", "2026-02-01", 1)], any_night, [Agent("ann")], horizon=after)
    (gap,) = roster.unfilled
    assert gap.reasons == {"ann": "rest after 2026-01-31 night"}
    assert gap.explain() == "2026-02-01 sun early: 1 of 1 unfilled (ann: rest after 2026-01-31 night)"


def test_unfilled_slot_names_the_date_and_leave_by_date() -> None:
    horizon = Horizon.month(2026, 2)
    assert horizon.days == 28 and horizon.start == date(2026, 2, 1)
    slots = [Slot("early", "2026-02-10", 2, skill="cantonese"), Slot("late", 9, 1)]
    agents = [
        Agent("ann", skills=("cantonese",)),
        Agent("bo", skills=("cantonese",), leave=("2026-02-10",)),
        Agent("cy"),
        Agent("di", skills=("cantonese",), available={"tue": ("09:00", "17:00")}),
    ]
    roster = assign_roster(slots, SHIFTS, agents, horizon=horizon)
    (gap,) = roster.unfilled
    assert gap.slot.day == "2026-02-10"
    with pytest.raises(
        ValidationError, match=r"2026-02-10 tue early needing 'cantonese': 1 of 2 unfilled \(bo: on leave"
    ):
        roster.raise_if_unfilled()
    assert {x.day for x in roster.assignments} == {"2026-02-10"}


FEB = Horizon.month(2026, 2)


def test_agents_file_takes_leave_as_toml_dates(tmp_path) -> None:
    path = tmp_path / "agents.toml"
    path.write_text(
        '[[agent]]\nname = "ann"\nleave = [2026-02-10, "2026-02-11", 12]\n'
        "[agent.preferred_days_off]\n2026-02-14 = 2.0\nsun = 1.0\n"
    )
    (ann,) = load_agents(path)
    assert ann.leave == ("2026-02-10", "2026-02-11", 12)
    slots = [Slot("early", d, 1) for d in range(9, 15)]
    roster = assign_roster(slots, SHIFTS, [ann], horizon=FEB)
    assert [u.slot.day for u in roster.unfilled] == ["2026-02-10", "2026-02-11", "2026-02-13"]
    assert roster.preference_score == -3.0  # preferred days off worked: 14 February (2) and a Sunday (1)


@pytest.mark.parametrize(
    ("slots", "agents", "message"),
    [
        (
            [Slot("early", "2026-03-01", 1)],
            [Agent("ann")],
            r"slot 0 \(2026-03-01 early\): date 2026-03-01 is outside the horizon 2026-02-01\.\.2026-02-28",
        ),
        ([Slot("early", 28, 1)], [Agent("ann")], r"slot 0 \(28 early\): day index 28 is outside"),
        (
            [Slot("early", "mon", 1)],
            [Agent("ann")],
            r"slot 0 \(mon early\): day 'mon' is neither a day index nor an ISO date",
        ),
        (
            [Slot("early", 0, 1)],
            [Agent("ann", leave=("2026-02-30",))],
            r"agent 'ann' leave: day '2026-02-30' is neither",
        ),
        (
            [Slot("early", 0, 1)],
            [Agent("ann", leave=("2026-01-15",))],
            r"agent 'ann' leave: date 2026-01-15 is outside",
        ),
        ([Slot("early", 0, 1)], [Agent("ann", leave=("wed",))], r"agent 'ann' leave: day 'wed' is neither"),
        (
            [Slot("early", 0, 1)],
            [Agent("ann", preferred_days_off={"2026-02-31": 1.0})],
            r"agent 'ann' preferred_days_off",
        ),
        (
            [Slot("night", "2026-02-07", 1)],
            [Agent("ann")],
            r"slot 0 \(2026-02-07 night\): shift 'night' is not used on sat",
        ),
    ],
)
def test_bad_dates_name_the_place(slots: list[Slot], agents: list[Agent], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        assign_roster(slots, SHIFTS, agents, horizon=FEB)


@pytest.mark.parametrize(
    ("previous", "message"),
    [
        (
            (Assignment("zed", "early", "2026-01-31", None),),
            r"horizon previous 0 \(zed 2026-01-31 early\): unknown agent",
        ),
        ((Assignment("ann", "early", "2026-02-01", None),), r"2026-02-01 is not before the horizon start 2026-02-01"),
        ((Assignment("ann", "brunch", "2026-01-31", None),), r"unknown shift 'brunch'"),
    ],
)
def test_bad_previous_shifts_are_named(previous: tuple[Assignment, ...], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        assign_roster([Slot("early", 0, 1)], SHIFTS, [Agent("ann")], horizon=Horizon(FEB.start, 28, previous))


def test_a_calendar_month_of_thirty_agents_keeps_the_rules_with_pro_rata_weeks() -> None:
    """March 2026 runs Sunday 1 to Tuesday 31 (calendar weeks of 1 and 2 days at the ends), with
    nothing known of February; 558 shifts of 18 a day for 30 agents."""
    horizon = Horizon.month(2026, 3)
    rng = np.random.default_rng(1)
    any_night = (EARLY, LATE, ShiftType(name="night", start="22:00", length_min=480))
    slots = [Slot(s, d, n) for d in range(31) for s, n in (("early", 8), ("late", 7), ("night", 3))]
    agents = [
        Agent(
            f"a{i:02d}",
            leave=tuple(int(x) for x in rng.choice(31, 5, replace=False)) if i % 3 == 0 else (),
            available={d: ("06:00", "22:00") for d in DAYS} if i % 5 == 1 else None,
            preferred_shifts={str(rng.choice(["early", "late", "night"])): float(rng.integers(1, 4))},
            preferred_days_off={DAYS[int(rng.integers(7))]: 1.0},
        )
        for i in range(30)
    ]
    roster = assign_roster(slots, any_night, agents, horizon=horizon)
    assert len(roster.assignments) == 31 * 18 and not roster.unfilled
    for agent in agents:
        mine = [(x.shift, date.fromisoformat(x.day)) for x in roster.assignments if x.agent == agent.name]
        assert _keeps_rules(agent, mine, horizon), agent.name


def test_a_weekly_covering_spread_over_four_weeks_is_rostered() -> None:
    req = np.zeros(7 * 24, dtype=int)
    for d in range(7):
        req[d * 24 + 6 : d * 24 + 22] = 2
    any_night = (EARLY, LATE, ShiftType(name="night", start="22:00", length_min=480))
    cover = schedule_shifts(req, any_night, interval_min=60, weekly=WeeklyRules(days_per_week=5))
    horizon = Horizon(date(2026, 2, 5), 28)  # Thursday to Wednesday
    slots = slots_from_schedule(cover, horizon=horizon)
    weekly = {(c.shift, c.day): c.agents for c in cover.counts}
    for s in slots:
        assert s.agents == weekly[s.shift, DAYS[date.fromisoformat(str(s.day)).weekday()]]
    assert sum(s.agents for s in slots) == 4 * sum(weekly.values())
    agents = [Agent(f"a{i}", max_consecutive_days=4) for i in range(cover.agents + 2)]
    roster = assign_roster(slots, any_night, agents, horizon=horizon)
    assert not roster.unfilled
    for agent in agents:
        mine = [(x.shift, date.fromisoformat(x.day)) for x in roster.assignments if x.agent == agent.name]
        assert _keeps_rules(agent, mine, horizon), agent.name
    by_index = assign_roster([Slot("early", np.int64(3), 1)], SHIFTS, agents[:1], horizon=horizon)
    assert [x.day for x in by_index.assignments] == ["2026-02-08"]
