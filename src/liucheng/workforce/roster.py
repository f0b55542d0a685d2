"""Rostering: named agents onto the shift slots of a covering, as a MILP maximising preferences.

A binary ``z[a, k]`` puts agent ``a`` on slot ``k`` (a shift type on a day, needing an optional
skill) when the agent has the skill, is not on leave that day and is available for the whole
shift. Constraints: each slot gets exactly its agents or reports the shortfall (a slack ``u[k]``
with a penalty above any preference gain); an agent starts at most one shift a day and at most
``max_shifts_per_week`` a week; two shifts of one agent leave at least ``min_rest_h`` hours
between them; no run of more than ``max_consecutive_days`` working days. The roster repeats
weekly, so rest and runs are checked cyclically (Sunday night is followed by Monday).

The objective adds ``weight`` for every shift worked that the agent prefers and subtracts
``weight`` for every preferred day off worked. Unfilled slots are explained per slot: who was
busy and why each other agent could not take it (leave, skill, availability, rest).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import msgspec
import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse

from liucheng.core.errors import ValidationError
from liucheng.workforce.schedule import MilpSolution, ScheduleResult, check_requirement, solve_milp
from liucheng.workforce.shifts import DAYS, MINUTES_PER_DAY, ShiftType, check_shifts, shift_mask

WEEK_MIN = 7 * MINUTES_PER_DAY


class Agent(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A named agent. ``available`` maps a day to a window ``("HH:MM", "HH:MM")`` on that day
    (the end may pass 24:00, e.g. ``"30:00"`` for night work); days missing are unavailable;
    ``None`` means always available. ``leave`` lists days of leave."""

    name: str
    skills: tuple[str, ...] = ()
    available: dict[str, tuple[str, str]] | None = None
    leave: tuple[str, ...] = ()
    preferred_shifts: dict[str, float] = {}
    preferred_days_off: dict[str, float] = {}
    max_shifts_per_week: int = 5
    max_consecutive_days: int = 5
    min_rest_h: float = 11.0


class _AgentFile(msgspec.Struct, forbid_unknown_fields=True):
    agent: list[Agent]


def load_agents(path: str | Path) -> tuple[Agent, ...]:
    """Read agents from a ``.json`` or ``.toml`` file holding a list ``agent`` of tables."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode()) if path.suffix == ".toml" else json.loads(raw)
        return tuple(msgspec.convert(data, _AgentFile).agent)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        raise ValidationError(str(exc), where=str(path), hint="expected a list 'agent' of agent tables") from exc


@dataclass(frozen=True)
class Slot:
    """``agents`` people needed on ``shift`` starting on ``day``, with ``skill`` if given."""

    shift: str
    day: str
    agents: int
    skill: str | None = None


@dataclass(frozen=True)
class Assignment:
    agent: str
    shift: str
    day: str
    skill: str | None


@dataclass(frozen=True)
class Unfilled:
    """A slot short of ``missing`` agents, and why nobody else could take it."""

    slot: Slot
    missing: int
    reasons: dict[str, str]

    def explain(self) -> str:
        why = "; ".join(f"{a}: {r}" for a, r in sorted(self.reasons.items())) or "no agents"
        skill = f" needing {self.slot.skill!r}" if self.slot.skill else ""
        return f"{self.slot.day} {self.slot.shift}{skill}: {self.missing} of {self.slot.agents} unfilled ({why})"


class RosterInfeasibleError(ValidationError):
    code = "infeasible"


@dataclass(frozen=True)
class Roster:
    assignments: tuple[Assignment, ...]
    unfilled: tuple[Unfilled, ...]
    preference_score: float
    status: str
    mip_gap: float
    solve_s: float

    def raise_if_unfilled(self) -> None:
        """Raise :class:`RosterInfeasibleError` listing every unfilled slot."""
        if self.unfilled:
            raise RosterInfeasibleError(
                "; ".join(u.explain() for u in self.unfilled), hint="add agents, skills or availability"
            )


def slots_from_schedule(result: ScheduleResult, *, skill: str | None = None) -> tuple[Slot, ...]:
    """One slot per shift and day of a covering, all needing ``skill``."""
    return tuple(Slot(c.shift, c.day, c.agents, skill) for c in result.counts)


def _minutes(text: str, where: str) -> int:
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit()) or int(minutes) >= 60 or int(hours) > 48:
        raise ValidationError(f"time {text!r} is not HH:MM (hours up to 48)", where=where)
    return int(hours) * 60 + int(minutes)


def _check(slots: tuple[Slot, ...], shifts: dict[str, ShiftType], agents: tuple[Agent, ...]) -> None:
    names = [a.name for a in agents]
    if len(set(names)) != len(names):
        raise ValidationError("agent names must be unique", where="agents")
    for i, slot in enumerate(slots):
        where = f"slot {i} ({slot.day} {slot.shift})"
        if slot.shift not in shifts:
            raise ValidationError(f"unknown shift {slot.shift!r}", where=where)
        if slot.day not in DAYS or slot.agents < 0:
            raise ValidationError("day must be one of mon..sun and agents non-negative", where=where)
    for a in agents:
        where = f"agent {a.name!r}"
        days = [*a.leave, *a.preferred_days_off, *(a.available or {})]
        if any(d not in DAYS for d in days):
            raise ValidationError(f"days must be among {list(DAYS)}", where=where)
        unknown = set(a.preferred_shifts) - set(shifts)
        if unknown:
            raise ValidationError(f"preferred shifts {sorted(unknown)} are not shift types", where=where)
        if a.max_consecutive_days < 1 or a.max_shifts_per_week < 0 or a.min_rest_h < 0:
            raise ValidationError("limits must be non-negative (max_consecutive_days at least 1)", where=where)
        for day, (start, end) in (a.available or {}).items():
            _minutes(start, f"{where} available {day}")
            _minutes(end, f"{where} available {day}")


def _why_not(agent: Agent, slot: Slot, shift: ShiftType) -> str | None:
    """Why ``agent`` can never take ``slot``, or None if it can."""
    if slot.day in agent.leave:
        return "on leave"
    if slot.skill is not None and slot.skill not in agent.skills:
        return f"lacks skill {slot.skill!r}"
    if agent.available is not None:
        window = agent.available.get(slot.day)
        where = f"agent {agent.name!r}"
        if window is None:
            return "not available that day"
        start, end = _minutes(window[0], where), _minutes(window[1], where)
        if shift.start_min < start or shift.start_min + shift.length_min > end:
            return f"available only {window[0]}-{window[1]}"
    return None


def _span(shift: ShiftType, day: str) -> tuple[int, int]:
    start = DAYS.index(day) * MINUTES_PER_DAY + shift.start_min
    return start, start + shift.length_min


def _too_close(a: tuple[int, int], b: tuple[int, int], rest_min: float) -> bool:
    """Whether two shifts of one agent overlap or leave less than ``rest_min`` between them (cyclic week)."""
    gap_ab = (b[0] - a[1]) % WEEK_MIN
    gap_ba = (a[0] - b[1]) % WEEK_MIN
    overlap = (b[0] - a[0]) % WEEK_MIN < a[1] - a[0] or (a[0] - b[0]) % WEEK_MIN < b[1] - b[0]
    return overlap or min(gap_ab, gap_ba) < rest_min


def _pairs(slots: tuple[Slot, ...], by_name: dict[str, ShiftType], agents: tuple[Agent, ...]) -> list[tuple[int, int]]:
    """(agent, slot) pairs the agent may work at all."""
    return [
        (a, k)
        for a, agent in enumerate(agents)
        for k, slot in enumerate(slots)
        if slot.agents and _why_not(agent, slot, by_name[slot.shift]) is None
    ]


def _preference_cost(pairs: list[tuple[int, int]], slots: tuple[Slot, ...], agents: tuple[Agent, ...]) -> list[float]:
    """Minus the preference weight each assignment earns (preferred shift worked, day off lost)."""
    return [
        -agents[a].preferred_shifts.get(slots[k].shift, 0.0) + agents[a].preferred_days_off.get(slots[k].day, 0.0)
        for a, k in pairs
    ]


def _agent_rows(
    pairs: list[tuple[int, int]], slots: tuple[Slot, ...], by_name: dict[str, ShiftType], agents: tuple[Agent, ...]
) -> list[tuple[dict[int, float], float, float]]:
    """Working-time rows of every agent: shifts a week and a day, runs of days, rest between shifts."""
    rows: list[tuple[dict[int, float], float, float]] = []
    for a, agent in enumerate(agents):
        mine = [(j, slots[k]) for j, (aa, k) in enumerate(pairs) if aa == a]
        if not mine:
            continue
        rows.append(({j: 1.0 for j, _ in mine}, 0.0, agent.max_shifts_per_week))
        by_day = [[j for j, s in mine if s.day == d] for d in DAYS]
        rows.extend(({j: 1.0 for j in js}, 0.0, 1.0) for js in by_day if len(js) > 1)
        run = agent.max_consecutive_days
        if run < 7:
            for first in range(7):
                window = [j for step in range(run + 1) for j in by_day[(first + step) % 7]]
                rows.append(({j: 1.0 for j in window}, 0.0, run))
        spans = {j: _span(by_name[s.shift], s.day) for j, s in mine}
        for (i, si), (j, sj) in combinations(mine, 2):
            if si.day != sj.day and _too_close(spans[i], spans[j], agent.min_rest_h * 60):
                rows.append(({i: 1.0, j: 1.0}, 0.0, 1.0))
    return rows


def _solve(
    cost: list[float], rows: list[tuple[dict[int, float], float, float]], upper: list[float], n_int: int, limit: float
) -> MilpSolution:
    entries = [(r, c, w) for r, (row, _, _) in enumerate(rows) for c, w in row.items()]
    r_idx, c_idx, vals = (np.array(v) for v in zip(*entries, strict=True))
    matrix = sparse.csc_matrix((vals, (r_idx, c_idx)), shape=(len(rows), len(cost)))
    integer = np.arange(len(cost)) < n_int
    lower, higher = [lo for _, lo, _ in rows], [hi for _, _, hi in rows]
    return solve_milp(cost, matrix, lower, higher, upper=upper, integer=integer, time_limit_s=limit)


def assign_roster(
    slots: list[Slot] | tuple[Slot, ...],
    shifts: list[ShiftType] | tuple[ShiftType, ...],
    agents: list[Agent] | tuple[Agent, ...],
    *,
    time_limit_s: float = 60.0,
) -> Roster:
    """Assign ``agents`` to ``slots`` maximising preferences under the working-time rules."""
    by_name = {s.name: s for s in check_shifts(shifts)}
    slots, agents = tuple(slots), tuple(agents)
    _check(slots, by_name, agents)
    if not slots or not agents:
        raise ValidationError("a roster needs at least one slot and one agent")
    pairs = _pairs(slots, by_name, agents)
    n_z = len(pairs)
    weights = [
        abs(w) for agent in agents for w in (*agent.preferred_shifts.values(), *agent.preferred_days_off.values())
    ]
    penalty = 1.0 + sum(weights)
    cost = _preference_cost(pairs, slots, agents) + [penalty] * len(slots)
    rows: list[tuple[dict[int, float], float, float]] = []
    for k, slot in enumerate(slots):
        row = {j: 1.0 for j, (_, kk) in enumerate(pairs) if kk == k}
        row[n_z + k] = 1.0
        rows.append((row, slot.agents, slot.agents))
    rows += _agent_rows(pairs, slots, by_name, agents)
    sol = _solve(cost, rows, [1.0] * n_z + [float(s.agents) for s in slots], n_z, time_limit_s)
    z = np.rint(sol.values[:n_z]).astype(bool)
    chosen = [pairs[j] for j in np.flatnonzero(z)]
    assignments = tuple(Assignment(agents[a].name, slots[k].shift, slots[k].day, slots[k].skill) for a, k in chosen)
    unfilled = _unfilled(slots, by_name, agents, assignments, np.rint(sol.values[n_z:]).astype(int))
    score = -float(np.dot(np.asarray(cost[:n_z]), z))
    return Roster(assignments, unfilled, score, sol.status, sol.mip_gap, sol.solve_s)


def roster_for_requirement(
    requirement: ArrayLike,
    shifts: list[ShiftType] | tuple[ShiftType, ...],
    agents: list[Agent] | tuple[Agent, ...],
    *,
    interval_min: int,
    skill: str | None = None,
    time_limit_s: float = 60.0,
) -> DirectRoster:
    """Roster named agents straight onto a weekly requirement, without a covering first.

    Every shift type on every allowed day is a slot any eligible agent may take. The objective
    is shift cost minus preference weights (same units) plus a penalty per agent-interval short
    that exceeds any one agent-week. Breaks are not placed in this mode.
    """
    by_name = {s.name: s for s in check_shifts(shifts)}
    agents = tuple(agents)
    req, n_days = check_requirement(requirement, interval_min)
    if n_days != 7:
        raise ValidationError("rostering needs a weekly requirement", where="requirement")
    slots = tuple(Slot(s.name, d, len(agents), skill) for s in by_name.values() for d in s.days)
    _check(slots, by_name, agents)
    if not agents:
        raise ValidationError("a roster needs at least one agent")
    pairs = _pairs(slots, by_name, agents)
    n_z = len(pairs)
    demanded = np.flatnonzero(req > 0)
    weeks = [by_name[s].unit_cost * 7 for s in by_name]
    weights = [abs(w) for a in agents for w in (*a.preferred_shifts.values(), *a.preferred_days_off.values())]
    penalty = 1.0 + max(weeks) + sum(weights)
    cost = [
        by_name[slots[k].shift].unit_cost + c
        for (_, k), c in zip(pairs, _preference_cost(pairs, slots, agents), strict=True)
    ]
    cost += [penalty] * demanded.size
    masks = [shift_mask(by_name[s.shift], DAYS.index(s.day), interval_min=interval_min, n_days=7) for s in slots]
    rows = [
        ({**{j: 1.0 for j, (_, k) in enumerate(pairs) if masks[k][t]}, n_z + i: 1.0}, float(req[t]), np.inf)
        for i, t in enumerate(demanded)
    ]
    rows += _agent_rows(pairs, slots, by_name, agents)
    sol = _solve(cost, rows, [1.0] * n_z + [np.inf] * demanded.size, n_z, time_limit_s)
    z = np.rint(sol.values[:n_z]).astype(bool)
    chosen = [pairs[j] for j in np.flatnonzero(z)]
    coverage = np.zeros(req.size, dtype=np.int64)
    for _, k in chosen:
        coverage += masks[k]
    assignments = tuple(Assignment(agents[a].name, slots[k].shift, slots[k].day, skill) for a, k in chosen)
    score = -float(sum(_preference_cost(chosen, slots, agents)))
    roster = Roster(assignments, (), score, sol.status, sol.mip_gap, sol.solve_s)
    return DirectRoster(roster, req, coverage)


@dataclass(frozen=True)
class DirectRoster:
    """A roster made straight from a requirement, with the coverage it gives."""

    roster: Roster
    requirement: np.ndarray
    coverage: np.ndarray

    @property
    def under(self) -> np.ndarray:
        return np.maximum(self.requirement - self.coverage, 0)


def _unfilled(
    slots: tuple[Slot, ...],
    shifts: dict[str, ShiftType],
    agents: tuple[Agent, ...],
    assignments: tuple[Assignment, ...],
    short: np.ndarray,
) -> tuple[Unfilled, ...]:
    out = []
    for k in np.flatnonzero(short):
        slot = slots[k]
        reasons = {}
        for agent in agents:
            mine = [x for x in assignments if x.agent == agent.name]
            if any(x.shift == slot.shift and x.day == slot.day for x in mine):
                continue
            reason = _why_not(agent, slot, shifts[slot.shift])
            if reason is None:
                busy = ", ".join(f"{x.day} {x.shift}" for x in mine)
                reason = f"working rules with its shifts ({busy})" if busy else "working rules"
            reasons[agent.name] = reason
        out.append(Unfilled(slot, int(short[k]), reasons))
    return tuple(out)
