"""Rostering: named agents onto the shift slots of a covering, as a MILP maximising preferences.

A binary ``z[a, k]`` puts agent ``a`` on slot ``k`` (a shift type on a day, needing an optional
skill) when the agent has the skill, is not on leave that day and is available for the whole
shift. Constraints: each slot gets exactly its agents or reports the shortfall (a slack ``u[k]``
with a penalty above any preference gain); an agent starts at most one shift a day and at most
``max_shifts_per_week`` a week; two shifts of one agent leave at least ``min_rest_h`` hours
between them; no run of more than ``max_consecutive_days`` working days. Without a horizon the
roster repeats weekly, so rest and runs are checked cyclically (Sunday night is followed by Monday).

With a :class:`Horizon` (several weeks or a calendar month from a start date) the roster does not
wrap: slots and leave name a day by index (0 = the first day) or by ISO date, the weekday of each
date drives shift ``days`` and weekly availability, ``max_shifts_per_week`` holds in every
calendar week (Monday to Sunday) inside the horizon, and rest and runs are checked from the first
day to the last, optionally after the shifts the agents worked just before the horizon.

The objective adds ``weight`` for every shift worked that the agent prefers and subtracts
``weight`` for every preferred day off worked. Unfilled slots are explained per slot: who was
busy and why each other agent could not take it (leave, skill, availability, rest).
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import combinations
from pathlib import Path

import msgspec
import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse

from liucheng.core.errors import ValidationError
from liucheng.workforce.schedule import MilpSolution, ScheduleResult, check_requirement, solve_milp
from liucheng.workforce.shifts import (
    DAYS,
    MINUTES_PER_DAY,
    ConfigSyntaxError,
    ShiftType,
    check_shifts,
    read_config_data,
    shift_mask,
)

WEEK_MIN = 7 * MINUTES_PER_DAY


class Agent(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A named agent. ``available`` maps a day to a window ``("HH:MM", "HH:MM")`` on that day
    (the end may pass 24:00, e.g. ``"30:00"`` for night work); days missing are unavailable;
    ``None`` means always available. ``leave`` lists days of leave: weekday names in a weekly
    roster, ISO dates or day indices in a :class:`Horizon`. ``preferred_days_off`` is keyed by
    weekday name, or also by ISO date in a horizon."""

    name: str
    skills: tuple[str, ...] = ()
    available: dict[str, tuple[str, str]] | None = None
    leave: tuple[str | int, ...] = ()
    preferred_shifts: dict[str, float] = {}
    preferred_days_off: dict[str, float] = {}
    max_shifts_per_week: int = 5
    max_consecutive_days: int = 5
    min_rest_h: float = 11.0


class _AgentFile(msgspec.Struct, forbid_unknown_fields=True):
    agent: list[Agent]


def _dates_as_text(value: object) -> object:
    """TOML dates (``leave = [2026-02-10]``) as the ISO strings :class:`Agent` fields hold."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    return value


def load_agents(path: str | Path) -> tuple[Agent, ...]:
    """Read agents from a ``.yaml``/``.yml``, ``.toml`` or ``.json`` file holding a list ``agent`` of tables."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        data = _dates_as_text(read_config_data(path, raw))
        return tuple(msgspec.convert(data, _AgentFile).agent)
    except (ConfigSyntaxError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        raise ValidationError(str(exc), where=str(path), hint="expected a list 'agent' of agent tables") from exc


@dataclass(frozen=True)
class Slot:
    """``agents`` people needed on ``shift`` starting on ``day``, with ``skill`` if given. ``day``
    is a weekday name in a weekly roster, an ISO date or a day index in a :class:`Horizon`."""

    shift: str
    day: str | int
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
        day = _day_label(self.slot.day)
        return f"{day} {self.slot.shift}{skill}: {self.missing} of {self.slot.agents} unfilled ({why})"


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


@dataclass(frozen=True)
class Horizon:
    """A roster over ``days`` days from ``start`` that does not wrap (several weeks, a month).

    ``previous`` lists shifts worked just before ``start`` (``day`` an ISO date before it): they
    count for rest, runs of days and the calendar week the horizon starts in. ``None`` means
    nothing is known about them; the first partial week then gets a pro-rata cap.
    """

    start: date
    days: int
    previous: tuple[Assignment, ...] | None = None

    @classmethod
    def month(cls, year: int, month: int, *, previous: tuple[Assignment, ...] | None = None) -> Horizon:
        """The calendar month ``month`` of ``year``, 28 to 31 days."""
        return cls(date(year, month, 1), calendar.monthrange(year, month)[1], previous)


@dataclass(frozen=True)
class _Calendar:
    """Days of a roster: weekday and label (name or ISO date) of each, calendar weeks, wrap."""

    weekdays: tuple[str, ...]
    labels: tuple[str, ...]
    weeks: tuple[tuple[int, ...], ...]
    horizon: Horizon | None

    @property
    def cyclic(self) -> bool:
        return self.horizon is None


_WEEK = _Calendar(DAYS, DAYS, (tuple(range(7)),), None)


def _calendar(horizon: Horizon | None) -> _Calendar:
    """The cyclic week, or the dates of ``horizon`` grouped into ISO calendar weeks."""
    if horizon is None:
        return _WEEK
    if horizon.days < 1:
        raise ValidationError(f"a horizon needs at least one day, not {horizon.days}", where="horizon")
    dates = [horizon.start + timedelta(days=d) for d in range(horizon.days)]
    weeks: dict[tuple[int, int], list[int]] = {}
    for d, day in enumerate(dates):
        weeks.setdefault(day.isocalendar()[:2], []).append(d)
    return _Calendar(
        tuple(DAYS[x.weekday()] for x in dates),
        tuple(x.isoformat() for x in dates),
        tuple(tuple(w) for w in weeks.values()),
        horizon,
    )


def _day_label(day: str | int) -> str:
    """A day as written in explanations: an ISO date gets its weekday."""
    try:
        return f"{day} {DAYS[date.fromisoformat(str(day)).weekday()]}"
    except ValueError:
        return str(day)


def _day_index(day: str | int, cal: _Calendar, where: str) -> int:
    """Index in the horizon of a day named by index or ISO date."""
    horizon = cal.horizon
    assert horizon is not None
    span = f"{cal.labels[0]}..{cal.labels[-1]} (0..{horizon.days - 1})"
    if isinstance(day, int | np.integer) and not isinstance(day, bool):
        if 0 <= day < horizon.days:
            return int(day)
        raise ValidationError(f"day index {day} is outside the horizon {span}", where=where)
    try:
        index = (date.fromisoformat(str(day)) - horizon.start).days
    except ValueError:
        raise ValidationError(f"day {day!r} is neither a day index nor an ISO date YYYY-MM-DD", where=where) from None
    if not 0 <= index < horizon.days:
        raise ValidationError(f"date {day} is outside the horizon {span}", where=where)
    return index


def _previous(
    cal: _Calendar, by_name: dict[str, ShiftType], agents: tuple[Agent, ...]
) -> dict[str, list[tuple[int, str]]]:
    """Shifts worked before the horizon per agent: (day offset, negative, and shift name)."""
    out: dict[str, list[tuple[int, str]]] = {a.name: [] for a in agents}
    if cal.horizon is None or not cal.horizon.previous:
        return out
    for i, x in enumerate(cal.horizon.previous):
        where = f"horizon previous {i} ({x.agent} {x.day} {x.shift})"
        if x.agent not in out:
            raise ValidationError(f"unknown agent {x.agent!r}", where=where)
        if x.shift not in by_name:
            raise ValidationError(f"unknown shift {x.shift!r}", where=where)
        try:
            offset = (date.fromisoformat(str(x.day)) - cal.horizon.start).days
        except ValueError:
            raise ValidationError(f"day {x.day!r} is not an ISO date YYYY-MM-DD", where=where) from None
        if offset >= 0:
            raise ValidationError(f"{x.day} is not before the horizon start {cal.labels[0]}", where=where)
        out[x.agent].append((offset, x.shift))
    return out


@dataclass(frozen=True)
class _Plan:
    """Checked input in day indices: the day of each slot, leave days of each agent, earlier shifts."""

    cal: _Calendar
    slot_day: tuple[int, ...]
    leave: tuple[frozenset[int], ...]
    previous: tuple[tuple[tuple[int, str], ...], ...]

    def date_of(self, day: int) -> str:
        """ISO date of a day index of the horizon (negative: before its start)."""
        assert self.cal.horizon is not None
        return (self.cal.horizon.start + timedelta(days=day)).isoformat()

    def days_off_weight(self, agent: Agent, day: int) -> float:
        weights = agent.preferred_days_off
        weight = weights.get(self.cal.weekdays[day], 0.0)
        return weight if self.cal.cyclic else weight + weights.get(self.cal.labels[day], 0.0)


def slots_from_schedule(
    result: ScheduleResult, *, skill: str | None = None, horizon: Horizon | None = None
) -> tuple[Slot, ...]:
    """One slot per shift and day of a covering, all needing ``skill``. With ``horizon`` the weekly
    covering repeats over the horizon: each date gets the slots of its weekday, named by ISO date."""
    if horizon is None:
        return tuple(Slot(c.shift, c.day, c.agents, skill) for c in result.counts)
    cal = _calendar(horizon)
    return tuple(
        Slot(c.shift, label, c.agents, skill)
        for weekday, label in zip(cal.weekdays, cal.labels, strict=True)
        for c in result.counts
        if c.day == weekday
    )


def _minutes(text: str, where: str) -> int:
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit()) or int(minutes) >= 60 or int(hours) > 48:
        raise ValidationError(f"time {text!r} is not HH:MM (hours up to 48)", where=where)
    return int(hours) * 60 + int(minutes)


def _check_agent(agent: Agent, shifts: dict[str, ShiftType], cal: _Calendar) -> frozenset[int]:
    """Check one agent; return its leave as day indices."""
    where = f"agent {agent.name!r}"
    if cal.cyclic:
        days = [*agent.leave, *agent.preferred_days_off, *(agent.available or {})]
        if any(d not in DAYS for d in days):
            raise ValidationError(f"days must be among {list(DAYS)}", where=where)
        leave = frozenset(DAYS.index(str(d)) for d in agent.leave)
    else:
        if any(d not in DAYS for d in agent.available or {}):
            raise ValidationError(f"available days must be among {list(DAYS)}", where=where)
        for d in agent.preferred_days_off:
            if d not in DAYS:
                _day_index(d, cal, f"{where} preferred_days_off")
        leave = frozenset(_day_index(d, cal, f"{where} leave") for d in agent.leave)
    unknown = set(agent.preferred_shifts) - set(shifts)
    if unknown:
        raise ValidationError(f"preferred shifts {sorted(unknown)} are not shift types", where=where)
    if agent.max_consecutive_days < 1 or agent.max_shifts_per_week < 0 or agent.min_rest_h < 0:
        raise ValidationError("limits must be non-negative (max_consecutive_days at least 1)", where=where)
    for day, (start, end) in (agent.available or {}).items():
        _minutes(start, f"{where} available {day}")
        _minutes(end, f"{where} available {day}")
    return leave


def _check(slots: tuple[Slot, ...], shifts: dict[str, ShiftType], agents: tuple[Agent, ...], cal: _Calendar) -> _Plan:
    """Check slots and agents against the shift types and calendar; resolve every day to an index."""
    names = [a.name for a in agents]
    if len(set(names)) != len(names):
        raise ValidationError("agent names must be unique", where="agents")
    slot_day = []
    for i, slot in enumerate(slots):
        where = f"slot {i} ({slot.day} {slot.shift})"
        if slot.shift not in shifts:
            raise ValidationError(f"unknown shift {slot.shift!r}", where=where)
        if slot.agents < 0 or (cal.cyclic and slot.day not in DAYS):
            raise ValidationError("day must be one of mon..sun and agents non-negative", where=where)
        day = DAYS.index(str(slot.day)) if cal.cyclic else _day_index(slot.day, cal, where)
        if not cal.cyclic and slot.agents and cal.weekdays[day] not in shifts[slot.shift].days:
            raise ValidationError(
                f"shift {slot.shift!r} is not used on {cal.weekdays[day]} ({cal.labels[day]})", where=where
            )
        slot_day.append(day)
    leave = tuple(_check_agent(a, shifts, cal) for a in agents)
    previous = _previous(cal, shifts, agents)
    return _Plan(cal, tuple(slot_day), leave, tuple(tuple(previous[a.name]) for a in agents))


def _span(shift: ShiftType, day: int) -> tuple[int, int]:
    start = day * MINUTES_PER_DAY + shift.start_min
    return start, start + shift.length_min


def _too_close(a: tuple[int, int], b: tuple[int, int], rest_min: float, *, cyclic: bool = True) -> bool:
    """Whether two shifts of one agent overlap or leave less than ``rest_min`` between them (around
    the week if ``cyclic``)."""
    if not cyclic:
        first, second = sorted((a, b))
        return second[0] - first[1] < rest_min
    gap_ab = (b[0] - a[1]) % WEEK_MIN
    gap_ba = (a[0] - b[1]) % WEEK_MIN
    overlap = (b[0] - a[0]) % WEEK_MIN < a[1] - a[0] or (a[0] - b[0]) % WEEK_MIN < b[1] - b[0]
    return overlap or min(gap_ab, gap_ba) < rest_min


def _why_not(
    a: int, agent: Agent, k: int, slot: Slot, shift: ShiftType, plan: _Plan, shifts: dict[str, ShiftType]
) -> str | None:
    """Why ``agent`` can never take ``slot``, or None if it can."""
    day = plan.slot_day[k]
    if day in plan.leave[a]:
        return "on leave"
    if slot.skill is not None and slot.skill not in agent.skills:
        return f"lacks skill {slot.skill!r}"
    weekday = plan.cal.weekdays[day]
    if agent.available is not None:
        window = agent.available.get(weekday)
        where = f"agent {agent.name!r}"
        if window is None:
            return "not available that day"
        start, end = _minutes(window[0], where), _minutes(window[1], where)
        if shift.start_min < start or shift.start_min + shift.length_min > end:
            return f"available only {window[0]}-{window[1]}"
    for offset, name in plan.previous[a]:
        if _too_close(_span(shifts[name], offset), _span(shift, day), agent.min_rest_h * 60, cyclic=False):
            return f"rest after {plan.date_of(offset)} {name}"
    return None


def _pairs(
    slots: tuple[Slot, ...], by_name: dict[str, ShiftType], agents: tuple[Agent, ...], plan: _Plan
) -> list[tuple[int, int]]:
    """(agent, slot) pairs the agent may work at all."""
    return [
        (a, k)
        for a, agent in enumerate(agents)
        for k, slot in enumerate(slots)
        if slot.agents and _why_not(a, agent, k, slot, by_name[slot.shift], plan, by_name) is None
    ]


def _preference_cost(
    pairs: list[tuple[int, int]], slots: tuple[Slot, ...], agents: tuple[Agent, ...], plan: _Plan
) -> list[float]:
    """Minus the preference weight each assignment earns (preferred shift worked, day off lost)."""
    return [
        -agents[a].preferred_shifts.get(slots[k].shift, 0.0) + plan.days_off_weight(agents[a], plan.slot_day[k])
        for a, k in pairs
    ]


def _week_cap(agent: Agent, week: tuple[int, ...], plan: _Plan, a: int) -> int:
    """Shifts ``agent`` may work in a calendar week: all of ``max_shifts_per_week`` in a full week;
    in the first week, less those worked before the start if ``previous`` is known; otherwise a
    partial week gets the cap pro rata, rounded up."""
    cap = agent.max_shifts_per_week
    horizon = plan.cal.horizon
    if horizon is None or len(week) == 7:
        return cap
    if week[0] == 0 and horizon.previous is not None:
        before = 7 - len(week)
        return max(cap - sum(1 for offset, _ in plan.previous[a] if offset >= -before), 0)
    return math.ceil(cap * len(week) / 7)


def _run_rows(
    agent: Agent, by_day: list[list[int]], plan: _Plan, a: int
) -> list[tuple[dict[int, float], float, float]]:
    """At most ``max_consecutive_days`` worked in every window of one day more: around the week
    if cyclic, else from the days before the start (counting shifts worked then) to the end."""
    run, n = agent.max_consecutive_days, len(by_day)
    if plan.cal.cyclic:
        if run >= n:
            return []
        windows = [([(first + step) % n for step in range(run + 1)], 0) for first in range(n)]
    else:
        worked = {offset for offset, _ in plan.previous[a]}
        windows = []
        for first in range(-run, n - run):
            before = sum(1 for d in range(first, 0) if d in worked)
            if first >= 0 or before:
                windows.append(([d for d in range(max(first, 0), first + run + 1)], before))
    rows = []
    for days, before in windows:
        row = {j: 1.0 for d in days for j in by_day[d]}
        if row:
            rows.append((row, 0.0, float(run - before)))
    return rows


def _agent_rows(
    pairs: list[tuple[int, int]],
    slots: tuple[Slot, ...],
    by_name: dict[str, ShiftType],
    agents: tuple[Agent, ...],
    plan: _Plan,
) -> list[tuple[dict[int, float], float, float]]:
    """Working-time rows of every agent: shifts a week and a day, runs of days, rest between shifts."""
    rows: list[tuple[dict[int, float], float, float]] = []
    cyclic = plan.cal.cyclic
    for a, agent in enumerate(agents):
        mine = [(j, k) for j, (aa, k) in enumerate(pairs) if aa == a]
        if not mine:
            continue
        by_day: list[list[int]] = [[] for _ in plan.cal.weekdays]
        for j, k in mine:
            by_day[plan.slot_day[k]].append(j)
        for week in plan.cal.weeks:
            row = {j: 1.0 for d in week for j in by_day[d]}
            if row:
                rows.append((row, 0.0, _week_cap(agent, week, plan, a)))
        rows.extend(({j: 1.0 for j in js}, 0.0, 1.0) for js in by_day if len(js) > 1)
        rows += _run_rows(agent, by_day, plan, a)
        spans = {j: _span(by_name[slots[k].shift], plan.slot_day[k]) for j, k in mine}
        for (i, ki), (j, kj) in combinations(mine, 2):
            if plan.slot_day[ki] != plan.slot_day[kj] and _too_close(
                spans[i], spans[j], agent.min_rest_h * 60, cyclic=cyclic
            ):
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
    horizon: Horizon | None = None,
    time_limit_s: float = 60.0,
) -> Roster:
    """Assign ``agents`` to ``slots`` maximising preferences under the working-time rules.

    Without ``horizon`` the roster is one cyclic week (days mon..sun). With one it spans the
    horizon's days without wrapping, and assignments and explanations name ISO dates.
    """
    by_name = {s.name: s for s in check_shifts(shifts)}
    slots, agents = tuple(slots), tuple(agents)
    cal = _calendar(horizon)
    plan = _check(slots, by_name, agents, cal)
    if not slots or not agents:
        raise ValidationError("a roster needs at least one slot and one agent")
    slots = tuple(Slot(s.shift, cal.labels[d], s.agents, s.skill) for s, d in zip(slots, plan.slot_day, strict=True))
    pairs = _pairs(slots, by_name, agents, plan)
    n_z = len(pairs)
    preference = _preference_cost(pairs, slots, agents, plan)
    if cal.cyclic:
        weights = [
            abs(w) for agent in agents for w in (*agent.preferred_shifts.values(), *agent.preferred_days_off.values())
        ]
        penalty = 1.0 + sum(weights)
    else:  # above all the preference weight any roster of the horizon can gain or lose
        penalty = 1.0 + float(np.abs(preference).sum())
    cost = preference + [penalty] * len(slots)
    rows: list[tuple[dict[int, float], float, float]] = []
    for k, slot in enumerate(slots):
        row = {j: 1.0 for j, (_, kk) in enumerate(pairs) if kk == k}
        row[n_z + k] = 1.0
        rows.append((row, slot.agents, slot.agents))
    rows += _agent_rows(pairs, slots, by_name, agents, plan)
    sol = _solve(cost, rows, [1.0] * n_z + [float(s.agents) for s in slots], n_z, time_limit_s)
    z = np.rint(sol.values[:n_z]).astype(bool)
    chosen = [pairs[j] for j in np.flatnonzero(z)]
    assignments = tuple(Assignment(agents[a].name, slots[k].shift, slots[k].day, slots[k].skill) for a, k in chosen)
    unfilled = _unfilled(slots, by_name, agents, assignments, np.rint(sol.values[n_z:]).astype(int), plan)
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
    plan = _check(slots, by_name, agents, _WEEK)
    if not agents:
        raise ValidationError("a roster needs at least one agent")
    pairs = _pairs(slots, by_name, agents, plan)
    n_z = len(pairs)
    demanded = np.flatnonzero(req > 0)
    weeks = [by_name[s].unit_cost * 7 for s in by_name]
    weights = [abs(w) for a in agents for w in (*a.preferred_shifts.values(), *a.preferred_days_off.values())]
    penalty = 1.0 + max(weeks) + sum(weights)
    cost = [
        by_name[slots[k].shift].unit_cost + c
        for (_, k), c in zip(pairs, _preference_cost(pairs, slots, agents, plan), strict=True)
    ]
    cost += [penalty] * demanded.size
    masks = [shift_mask(by_name[s.shift], DAYS.index(s.day), interval_min=interval_min, n_days=7) for s in slots]
    rows = [
        ({**{j: 1.0 for j, (_, k) in enumerate(pairs) if masks[k][t]}, n_z + i: 1.0}, float(req[t]), np.inf)
        for i, t in enumerate(demanded)
    ]
    rows += _agent_rows(pairs, slots, by_name, agents, plan)
    sol = _solve(cost, rows, [1.0] * n_z + [np.inf] * demanded.size, n_z, time_limit_s)
    z = np.rint(sol.values[:n_z]).astype(bool)
    chosen = [pairs[j] for j in np.flatnonzero(z)]
    coverage = np.zeros(req.size, dtype=np.int64)
    for _, k in chosen:
        coverage += masks[k]
    assignments = tuple(Assignment(agents[a].name, slots[k].shift, slots[k].day, skill) for a, k in chosen)
    score = -float(sum(_preference_cost(chosen, slots, agents, plan)))
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
    plan: _Plan,
) -> tuple[Unfilled, ...]:
    out = []
    for k in np.flatnonzero(short):
        slot = slots[k]
        reasons = {}
        for a, agent in enumerate(agents):
            mine = [x for x in assignments if x.agent == agent.name]
            if any(x.shift == slot.shift and x.day == slot.day for x in mine):
                continue
            reason = _why_not(a, agent, k, slot, shifts[slot.shift], plan, shifts)
            if reason is None:
                busy = ", ".join(f"{x.day} {x.shift}" for x in mine)
                reason = f"working rules with its shifts ({busy})" if busy else "working rules"
            reasons[agent.name] = reason
        out.append(Unfilled(slot, int(short[k]), reasons))
    return tuple(out)
