"""Shift covering as a MILP solved by HiGHS: how many agents work which shift on which day.

Given a requirement of agents per interval over a day or a week, choose non-negative integers so
that scheduled coverage meets the requirement at minimum cost.

Daily counts (``weekly=None``): ``x[s, d]`` agents start shift type ``s`` on day ``d`` (a day the
shift may be used). Coverage of interval ``t`` is ``Σ x[s, d]`` over instances covering ``t``,
less the agents on a break in ``t``.

Days-off patterns (``weekly=WeeklyRules(...)``): a pattern is a set of working days of the
(cyclic) week with ``days_per_week`` days and no run longer than ``max_consecutive_days``;
``x[p, s]`` agents work pattern ``p`` with shift type ``s`` on each of its working days (the same
shift all week). Only pairs whose weekly paid hours lie within the bounds and whose shift may be
used on every day of the pattern are variables. The agents starting ``s`` on day ``d`` are then
``Σ_{p ∋ d} x[p, s]``; cost is the shift cost times the days worked.

Breaks: for each shift instance and break rule, integers ``b[s, d, r, o]`` count the agents
taking that break starting ``o`` intervals into the shift, with ``Σ_o b = agents on (s, d)``;
an agent on a break is off the phones for the break's intervals.

Opening hours: outside ``open_mask`` no requirement may be set and no shift instance may work.
Under-staffing: every demanded interval has a slack ``u[t] ≥ 0`` (at most ``max_understaffing``)
at ``understaffing_penalty`` per agent-interval; the default penalty exceeds the cost of any one
agent, so slack appears only where no affordable agent could cover (e.g. ``max_agents`` binds).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import combinations

import highspy
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from liucheng.core.errors import ValidationError
from liucheng.workforce.shifts import (
    DAYS,
    MINUTES_PER_DAY,
    ShiftType,
    break_offsets,
    check_shifts,
    horizon_days,
    shift_mask,
)

IntArray = NDArray[np.int64]
#: Above this many days-off pattern columns the integer model keeps only the best priced ones.
_KEEP_PATTERNS = 50
#: Rounds of the start heuristic that raise the target where breaks left intervals short.
_START_ROUNDS = 40


class ScheduleInfeasibleError(ValidationError):
    """The constraints given (not the requirement) contradict each other."""

    code = "infeasible"


@dataclass(frozen=True)
class WeeklyRules:
    """Rules that need agents, not counts: each agent works ``days_per_week`` days of the week with
    at most ``max_consecutive_days`` in a row (cyclically) and paid hours within the bounds.
    Agents on part-time shift types work ``part_time_days_per_week`` days (default: the same) and
    are exempt from ``min_weekly_hours``."""

    days_per_week: int = 5
    max_consecutive_days: int | None = None
    min_weekly_hours: float | None = None
    max_weekly_hours: float | None = None
    part_time_days_per_week: int | None = None


@dataclass(frozen=True)
class MilpSolution:
    """Values and HiGHS's report on a MILP."""

    values: NDArray[np.float64]
    objective: float
    status: str
    mip_gap: float
    solve_s: float
    reduced_costs: NDArray[np.float64] | None = None


def solve_milp(
    cost: ArrayLike,
    matrix: sparse.spmatrix,
    row_lower: ArrayLike,
    row_upper: ArrayLike,
    *,
    upper: ArrayLike | None = None,
    integer: NDArray[np.bool_] | None = None,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-4,
    start: NDArray[np.float64] | None = None,
    lp_solver: str = "choose",
) -> MilpSolution:
    """Minimise ``cost·x`` subject to ``row_lower ≤ A x ≤ row_upper``, ``0 ≤ x ≤ upper``; ``start``
    is an optional feasible point HiGHS begins from.

    ``status`` is ``"optimal"`` or ``"time_limit"`` (a feasible incumbent with ``mip_gap``);
    an infeasible model raises :class:`ScheduleInfeasibleError`.
    """
    cost = np.asarray(cost, dtype=float)
    n = cost.size
    a = sparse.csc_matrix(matrix)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, a.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.full(n, highspy.kHighsInf) if upper is None else np.asarray(upper, dtype=float)
    lp.row_lower_ = np.asarray(row_lower, dtype=float)
    lp.row_upper_ = np.asarray(row_upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    kinds = np.ones(n, dtype=bool) if integer is None else integer
    lp.integrality_ = [highspy.HighsVarType.kInteger if k else highspy.HighsVarType.kContinuous for k in kinds]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("solver", lp_solver)
    h.passModel(lp)
    if start is not None:
        h.setSolution(n, np.arange(n, dtype=np.int32), np.asarray(start, dtype=float))
    began = time.perf_counter()
    h.run()
    solve_s = time.perf_counter() - began
    status, info = h.getModelStatus(), h.getInfo()
    if status == highspy.HighsModelStatus.kInfeasible:
        raise ScheduleInfeasibleError("no solution satisfies the constraints")
    if info.primal_solution_status != 2:  # no feasible point found in the time allowed
        raise ScheduleInfeasibleError(
            f"HiGHS found no feasible solution ({h.modelStatusToString(status)})", hint="raise time_limit_s"
        )
    name = "optimal" if status == highspy.HighsModelStatus.kOptimal else "time_limit"
    values = np.asarray(h.getSolution().col_value, dtype=float)
    gap = float(info.mip_gap) if np.isfinite(info.mip_gap) and kinds.any() else 0.0
    duals = None if kinds.any() else np.asarray(h.getSolution().col_dual, dtype=float)
    return MilpSolution(values, float(info.objective_function_value), name, gap, solve_s, duals)


@dataclass(frozen=True)
class ShiftCount:
    shift: str
    day: str
    agents: int


@dataclass(frozen=True)
class PatternCount:
    shift: str
    days: tuple[str, ...]
    agents: int


@dataclass(frozen=True)
class BreakCount:
    shift: str
    day: str
    name: str
    start: str
    agents: int


@dataclass(frozen=True)
class ScheduleResult:
    """A covering: counts per shift and day (and per days-off pattern), breaks, coverage per interval."""

    status: str
    objective: float
    cost: float
    mip_gap: float
    solve_s: float
    interval_min: int
    requirement: IntArray
    coverage: IntArray
    counts: tuple[ShiftCount, ...]
    patterns: tuple[PatternCount, ...]
    breaks: tuple[BreakCount, ...]

    @property
    def under(self) -> IntArray:
        """Agents short per interval (0 where covered)."""
        return np.maximum(self.requirement - self.coverage, 0)

    @property
    def over(self) -> IntArray:
        """Agents beyond the requirement per interval."""
        return np.maximum(self.coverage - self.requirement, 0)

    @property
    def understaffed(self) -> list[tuple[str, int]]:
        """``(interval label, agents short)`` for every under-staffed interval."""
        return [(interval_label(int(t), self.interval_min), int(self.under[t])) for t in np.flatnonzero(self.under)]

    @property
    def agents(self) -> int:
        """Agents needed: people in days-off patterns, else the most shifts started on one day."""
        if self.patterns:
            return sum(p.agents for p in self.patterns)
        per_day: dict[str, int] = {}
        for c in self.counts:
            per_day[c.day] = per_day.get(c.day, 0) + c.agents
        return max(per_day.values(), default=0)


def interval_label(t: int, interval_min: int) -> str:
    """``"Tue 06:15"`` for interval ``t`` of a horizon starting Monday 00:00."""
    minutes = t * interval_min
    day, rest = divmod(minutes, MINUTES_PER_DAY)
    return f"{DAYS[day % 7].capitalize()} {rest // 60:02d}:{rest % 60:02d}"


def day_patterns(rules: WeeklyRules) -> list[tuple[int, ...]]:
    """Working-day sets of the cyclic week allowed by ``rules``, in lexicographic order."""
    if not 1 <= rules.days_per_week <= 7:
        raise ValidationError(f"days_per_week {rules.days_per_week} must be 1 to 7", where="weekly rules")
    limit = rules.max_consecutive_days
    if limit is not None and limit < 1:
        raise ValidationError(f"max_consecutive_days {limit} must be at least 1", where="weekly rules")
    out = []
    for days in combinations(range(7), rules.days_per_week):
        on = [d in days for d in range(7)]
        if limit is None or not any(all(on[(s + k) % 7] for k in range(limit + 1)) for s in range(7)):
            out.append(days)
    if not out:
        raise ValidationError(
            f"no week has {rules.days_per_week} working days with at most {limit} in a row", where="weekly rules"
        )
    return out


def check_requirement(requirement: ArrayLike, interval_min: int) -> tuple[IntArray, int]:
    """The requirement as whole agents (fractions round up) and its horizon in days, or a ValidationError."""
    req = np.asarray(requirement, dtype=float)
    if req.ndim != 1 or not np.all(np.isfinite(req)):
        raise ValidationError("requirement must be a one-dimensional array of finite numbers")
    bad = np.flatnonzero(req < 0)
    if bad.size:
        t = int(bad[0])
        raise ValidationError(
            f"requirement {req[t]} is negative", where=f"interval {t} ({interval_label(t, interval_min)})"
        )
    n_days = horizon_days(req.size, interval_min)
    return np.ceil(req - 1e-9).astype(np.int64), n_days


def schedule_shifts(
    requirement: ArrayLike,
    shifts: list[ShiftType] | tuple[ShiftType, ...],
    *,
    interval_min: int,
    open_mask: ArrayLike | None = None,
    weekly: WeeklyRules | None = None,
    max_agents: int | None = None,
    max_understaffing: int | None = None,
    understaffing_penalty: float | None = None,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-4,
) -> ScheduleResult:
    """Cheapest integer covering of ``requirement`` (agents per interval; fractions round up).

    ``max_agents`` caps agents in patterns (weekly) or shifts started per day (daily counts).
    """
    req, n_days = check_requirement(requirement, interval_min)
    shifts = check_shifts(shifts)
    for name, value, low in (
        ("max_agents", max_agents, 0),
        ("max_understaffing", max_understaffing, 0),
        ("understaffing_penalty", understaffing_penalty, 1e-12),
        ("time_limit_s", time_limit_s, 1e-3),
    ):
        if value is not None and not value >= low:
            raise ValidationError(f"{name} is {value}; it must be at least {low:g}", where="schedule options")
    is_open = np.ones(req.size, dtype=bool) if open_mask is None else np.asarray(open_mask, dtype=bool)
    if is_open.shape != req.shape:
        raise ValidationError(f"open_mask has {is_open.size} values, the requirement {req.size}")
    closed_demand = np.flatnonzero(~is_open & (req > 0))
    if closed_demand.size:
        t = int(closed_demand[0])
        raise ValidationError("agents are required while closed", where=interval_label(t, interval_min))
    days = range(n_days)
    instances = [
        (s, d, m)
        for s, shift in enumerate(shifts)
        for d in days
        if DAYS[d] in shift.days or n_days == 1
        for m in [shift_mask(shift, d, interval_min=interval_min, n_days=n_days)]
        if not np.any(m & ~is_open)
    ]
    covered = np.zeros(req.size, dtype=bool)
    for _, _, m in instances:
        covered |= m
    uncovered = np.flatnonzero((req > 0) & ~covered)
    if uncovered.size:
        t = int(uncovered[0])
        raise ValidationError(
            f"{req[t]} agents required but no usable shift works then ({uncovered.size} such intervals)",
            where=interval_label(t, interval_min),
            hint="add a shift type covering it or set the requirement to 0",
        )
    model = _Model(req, interval_min)
    if weekly is None:
        for s, d, m in instances:
            col = model.add(shifts[s].unit_cost, np.flatnonzero(m))
            model.starts.append((s, d, {col: 1.0}))
    else:
        _add_patterns(model, shifts, instances, weekly)
    for s, d, links in model.starts:
        _add_breaks(model, s, shifts[s], d, links)
    first_slack = model.n_cols
    penalty = understaffing_penalty if understaffing_penalty is not None else 1.0 + max(model.costs, default=0.0)
    demanded = np.flatnonzero(req > 0)
    for t in demanded:
        model.add(penalty, np.array([t]), integer=False, upper=max_understaffing)
    if max_agents is not None:
        model.cap_agents(max_agents, weekly is not None, n_days)
    sol = model.solve(demanded, time_limit_s, mip_rel_gap, first_slack)
    return _result(model, sol, shifts, first_slack, penalty)


class _Model:
    """Columns of the covering with their coverage; extra equality/inequality rows on the side."""

    def __init__(self, req: IntArray, interval_min: int) -> None:
        self.req, self.interval_min = req, interval_min
        self.costs: list[float] = []
        self.cover: list[tuple[IntArray, float]] = []  # (intervals, +1 on duty or -1 on a break)
        self.integer: list[bool] = []
        self.upper: list[float] = []
        self.starts: list[tuple[int, int, dict[int, float]]] = []  # (shift, day, {column: weight})
        self.patterns: list[tuple[int, int, tuple[int, ...]]] = []  # (column, shift, working days)
        self.breaks: list[tuple[int, int, int, int, int]] = []  # (column, shift, break rule, day, offset)
        self.rows: list[tuple[dict[int, float], float, float]] = []
        self.members: dict[int, list[int]] = {}  # daily count column -> its pattern columns
        self.break_groups: list[tuple[int, list[int]]] = []  # (count column, break columns of one rule)

    @property
    def n_cols(self) -> int:
        return len(self.costs)

    def add(
        self, cost: float, intervals: IntArray, value: float = 1.0, *, integer: bool = True, upper: float | None = None
    ) -> int:
        self.costs.append(cost)
        self.cover.append((intervals, value))
        self.integer.append(integer)
        self.upper.append(highspy.kHighsInf if upper is None else float(upper))
        return self.n_cols - 1

    def cap_agents(self, max_agents: int, weekly: bool, n_days: int) -> None:
        if weekly:
            self.rows.append(({c: 1.0 for c, _, _ in self.patterns}, 0.0, max_agents))
            return
        for d in range(n_days):
            row: dict[int, float] = {}
            for _, day, links in self.starts:
                if day == d:
                    for c, w in links.items():
                        row[c] = row.get(c, 0.0) + w
            self.rows.append((row, 0.0, max_agents))

    def cover_matrix(self) -> sparse.csc_matrix:
        """Intervals x columns: +1 where a column's agents are on duty, -1 where on a break."""
        rows = np.concatenate([idx for idx, _ in self.cover])
        cols = np.repeat(np.arange(self.n_cols), [idx.size for idx, _ in self.cover])
        vals = np.repeat([v for _, v in self.cover], [idx.size for idx, _ in self.cover])
        return sparse.csc_matrix((vals, (rows, cols)), shape=(self.req.size, self.n_cols))

    def restrict(self, relaxed: MilpSolution) -> NDArray[np.bool_]:
        """Columns the integer model keeps: all of them when there are few patterns, else the
        pattern columns the LP uses plus the ``_KEEP_PATTERNS`` others with the lowest reduced
        costs (price and branch: the full LP still bounds the result, see ``mip_gap``)."""
        kept = np.ones(self.n_cols, dtype=bool)
        if relaxed.reduced_costs is None or len(self.patterns) <= _KEEP_PATTERNS:
            return kept
        cols = np.array([c for c, _, _ in self.patterns])
        used = relaxed.values[cols] > 1e-9
        spare = cols[~used][np.argsort(relaxed.reduced_costs[cols[~used]], kind="stable")[_KEEP_PATTERNS:]]
        kept[spare] = False
        return kept

    def rounded_start(
        self, relaxed: NDArray[np.float64], demanded: IntArray, first_slack: int, kept: NDArray[np.bool_]
    ) -> NDArray[np.float64]:
        """A feasible integer point from the LP relaxation: round agent counts down, add agents
        greedily (cheapest per short interval covered) until the on-duty agents cover the
        requirement, place each agent's break where the most agents are spare, and repeat with a
        higher target where breaks left intervals short; slack takes what is left."""
        x = np.zeros(self.n_cols)
        derived = set(self.members) | {c for _, cols in self.break_groups for c in cols}
        primary = np.array([c for c in range(first_slack) if c not in derived and kept[c]], dtype=np.int64)
        x[primary] = np.floor(relaxed[primary] + 1e-6)
        net = self.cover_matrix()[:, :first_slack]
        on_duty = net.maximum(0).tocsc()
        if self.members:  # a pattern column is on duty wherever its daily count columns are
            link = sparse.lil_matrix((first_slack, first_slack))
            for y, cols in self.members.items():
                link[y, cols] = 1.0
            on_duty = (on_duty @ link.tocsc()).tocsc()
        on_duty = on_duty[:, primary]
        cost = np.asarray(self.costs)[primary]
        target = self.req.astype(float)
        for _ in range(_START_ROUNDS):
            short = np.maximum(target - on_duty @ x[primary], 0)
            while short.any():
                gain = on_duty.T @ (short > 0)
                best = int(np.argmin(np.where(gain > 0, cost / np.maximum(gain, 1), np.inf)))
                if gain[best] == 0:
                    break
                x[primary[best]] += 1
                short = np.maximum(short - on_duty[:, best].toarray().ravel(), 0)
            for y, cols in self.members.items():
                x[y] = x[cols].sum()
            self._place_breaks(x, on_duty @ x[primary] - self.req)
            missing = np.maximum(self.req - net @ x[:first_slack], 0)
            if not missing.any():
                break
            target += missing
        coverage = net @ x[:first_slack]
        x[first_slack : first_slack + demanded.size] = np.maximum(self.req[demanded] - coverage[demanded], 0)
        return x

    def _place_breaks(self, x: NDArray[np.float64], spare: NDArray[np.float64]) -> None:
        """Give each agent's break the allowed slot with the most spare agents, one agent at a time."""
        spare = spare.astype(float).copy()
        for owner, cols in self.break_groups:
            x[cols] = 0
            for _ in range(int(x[owner])):
                best = max(cols, key=lambda c: spare[self.cover[c][0]].min())
                x[best] += 1
                spare[self.cover[best][0]] -= 1

    def solve(self, demanded: IntArray, time_limit_s: float, mip_rel_gap: float, first_slack: int) -> MilpSolution:
        cover = self.cover_matrix()[demanded]
        entries = [(i, c, w) for i, (row, _, _) in enumerate(self.rows) for c, w in row.items()]
        i, c, w = (np.array(v) for v in zip(*entries, strict=True)) if entries else ([], [], [])
        extra = sparse.csc_matrix((w, (i, c)), shape=(len(self.rows), self.n_cols))
        matrix = sparse.vstack([cover, extra]).tocsc()
        lower = np.concatenate([self.req[demanded], [lo for _, lo, _ in self.rows]])
        upper = np.concatenate([np.full(demanded.size, highspy.kHighsInf), [hi for _, _, hi in self.rows]])
        began = time.perf_counter()
        relaxed = solve_milp(
            self.costs, matrix, lower, upper, upper=self.upper, integer=np.zeros(self.n_cols, bool), lp_solver="ipm"
        )
        kept = self.restrict(relaxed)
        start = self.rounded_start(relaxed.values, demanded, first_slack, kept)
        bounds = np.where(kept, np.asarray(self.upper, dtype=float), 0.0)
        remaining = max(time_limit_s - (time.perf_counter() - began), 1.0)
        sol = solve_milp(
            self.costs,
            matrix,
            lower,
            upper,
            upper=bounds,
            integer=np.array(self.integer),
            time_limit_s=remaining,
            mip_rel_gap=mip_rel_gap,
            start=start,
        )
        # the full relaxation bounds every solution from below; HiGHS's bound only when nothing was left out
        lp_gap = max(sol.objective - relaxed.objective, 0.0) / max(abs(sol.objective), 1e-9)
        gap = min(sol.mip_gap, lp_gap) if kept.all() else lp_gap
        status = sol.status if kept.all() or gap <= mip_rel_gap else "restricted"
        return MilpSolution(sol.values, sol.objective, status, gap, time.perf_counter() - began)


def _add_patterns(model: _Model, shifts: tuple[ShiftType, ...], instances: list, rules: WeeklyRules) -> None:
    """Pattern columns ``x[p, s]`` (allowed on every day of ``p``, within the hour bounds) and, for
    sparsity, daily count columns ``y[s, d] = Σ_{p ∋ d} x[p, s]`` that carry the coverage."""
    masks = {(s, d): m for s, d, m in instances}
    lo = rules.min_weekly_hours if rules.min_weekly_hours is not None else 0.0
    hi = rules.max_weekly_hours if rules.max_weekly_hours is not None else np.inf
    members: dict[tuple[int, int], list[int]] = {}
    part_days = rules.part_time_days_per_week or rules.days_per_week
    part_rules = WeeklyRules(days_per_week=part_days, max_consecutive_days=rules.max_consecutive_days)
    for s, shift in enumerate(shifts):
        for pattern in day_patterns(part_rules if shift.part_time else rules):
            hours = shift.paid_min / 60 * len(pattern)
            low = 0.0 if shift.part_time else lo
            if not low - 1e-9 <= hours <= hi + 1e-9 or any((s, d) not in masks for d in pattern):
                continue
            col = model.add(shift.unit_cost * len(pattern), np.array([], dtype=np.int64))
            model.patterns.append((col, s, pattern))
            for d in pattern:
                members.setdefault((s, d), []).append(col)
    if not model.patterns:
        raise ValidationError(
            "no shift type fits any days-off pattern within the weekly hour bounds", where="weekly rules"
        )
    for (s, d), cols in sorted(members.items()):
        y = model.add(0.0, np.flatnonzero(masks[s, d]))
        model.rows.append(({y: 1.0, **dict.fromkeys(cols, -1.0)}, 0.0, 0.0))
        model.members[y] = cols
        model.starts.append((s, d, {y: 1.0}))


def _add_breaks(model: _Model, s: int, shift: ShiftType, day: int, links: dict[int, float]) -> None:
    """Break columns for one shift instance, tied to its agent count by an equality row."""
    if not shift.breaks:
        return
    where = f"shift {shift.name!r}"
    per_day = MINUTES_PER_DAY // model.interval_min
    first = day * per_day + shift.start_min // model.interval_min
    size = model.req.size
    for r, rule in enumerate(shift.breaks):
        offsets = break_offsets(rule, interval_min=model.interval_min, where=where)
        length = rule.length_min // model.interval_min
        row = {c: -w for c, w in links.items()}
        for o in offsets:
            col = model.add(0.0, np.arange(first + o, first + o + length) % size, -1.0)
            model.breaks.append((col, s, r, day, o))
            row[col] = 1.0
        model.rows.append((row, 0.0, 0.0))
        (owner,) = links
        model.break_groups.append((owner, [c for c in row if c not in links]))


def _result(
    model: _Model, sol: MilpSolution, shifts: tuple[ShiftType, ...], first_slack: int, penalty: float
) -> ScheduleResult:
    x = np.rint(sol.values).astype(np.int64)
    coverage = (model.cover_matrix()[:, :first_slack] @ x[:first_slack]).astype(np.int64)
    counts = []
    for s, d, links in model.starts:
        agents = int(sum(x[c] * w for c, w in links.items()))
        if agents:
            counts.append(ShiftCount(shifts[s].name, DAYS[d], agents))
    patterns = tuple(
        PatternCount(shifts[s].name, tuple(DAYS[d] for d in p), int(x[c])) for c, s, p in model.patterns if x[c]
    )
    breaks = []
    for col, s, r, d, o in model.breaks:
        if x[col]:
            minutes = shifts[s].start_min + o * model.interval_min
            label = f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"
            breaks.append(BreakCount(shifts[s].name, DAYS[d], shifts[s].breaks[r].name, label, int(x[col])))
    slack = sol.values[first_slack : first_slack + int(np.sum(model.req > 0))]
    cost = sol.objective - penalty * float(np.sum(slack))
    return ScheduleResult(
        status=sol.status,
        objective=sol.objective,
        cost=cost,
        mip_gap=sol.mip_gap,
        solve_s=sol.solve_s,
        interval_min=model.interval_min,
        requirement=model.req,
        coverage=coverage,
        counts=tuple(counts),
        patterns=patterns,
        breaks=tuple(breaks),
    )
