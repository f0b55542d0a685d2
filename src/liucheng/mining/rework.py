"""Rework: steps done more than once in a case, self-loops, loops of two, and reopened cases.

A *step* is the activity, or the activity with other columns (``by=("activity", "lifecycle")``
turns BPIC 2013's ``Accepted`` + ``Wait - User`` into the step ``Accepted / Wait - User``).

* repeated step: a case executes it more than once; its extra executions are the count minus one;
  the rework rate of a step is the share of the cases containing it that repeat it;
* self-loop: ``A -> A`` on consecutive events; loop of two: ``A -> B -> A`` with ``B != A``;
* reopening: an event of a reopen step (``Reopen``, ``Reopened`` by default, any letter case), or
  a non-closing event right after a closing one (the case went back to work after it was closed).
  Each such event counts once. The closing steps depend on the process and must be given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec

from liucheng.eventlog.table import ACTIVITY, CASE_ID
from liucheng.mining._ibis import EventsLike, MiningInputError, Rows, as_ibis, case_window, fetch

if TYPE_CHECKING:
    import ibis.expr.types as ir

STEP_SEPARATOR = " / "
REOPEN_STEPS = ("Reopen", "Reopened")


def with_steps(events: EventsLike, by: Sequence[str] = (ACTIVITY,)) -> ir.Table:
    """The events with a ``step`` column: the ``by`` columns joined by " / " (a null as "")."""
    t = as_ibis(events)
    missing = [name for name in by if name not in t.columns]
    if not by or missing:
        raise MiningInputError(f"cannot build steps from {list(by)}: no column {', '.join(missing) or 'given'}",
                              where="by", hint=f"choose among {', '.join(t.columns)}")
    parts = [t[name].cast("string").fill_null("") for name in by]
    step = parts[0]
    for part in parts[1:]:
        step = step.concat(STEP_SEPARATOR, part)
    return t.mutate(step=step)


class RepeatedStep(msgspec.Struct, frozen=True, kw_only=True):
    """How often one step is redone; ``rework_rate`` = cases_repeated / cases."""

    step: str
    cases: int
    cases_repeated: int
    executions: int
    extra_executions: int
    rework_rate: float
    self_loops: int
    cases_with_self_loop: int


class LoopOfTwo(msgspec.Struct, frozen=True, kw_only=True):
    """``first -> second -> first`` on consecutive events."""

    first: str
    second: str
    occurrences: int
    cases: int


class Rework(msgspec.Struct, frozen=True, kw_only=True):
    """Rework in one log: per step, the loops of two, and case counts."""

    steps: Rows[RepeatedStep]
    loops: Rows[LoopOfTwo]
    cases: int
    cases_with_repeat: int
    cases_with_self_loop: int
    cases_with_loop_of_two: int


def _with_history(events: EventsLike, by: Sequence[str]) -> ir.Table:
    t = with_steps(events, by)
    w = case_window()
    return t.mutate(_prev=t.step.lag().over(w), _prev2=t.step.lag(2).over(w))


def find_rework(events: EventsLike, *, by: Sequence[str] = (ACTIVITY,)) -> Rework:
    """Repeated steps (ranked by extra executions), loops of two (by occurrences), case counts."""
    t = _with_history(events, by)
    per_case = t.group_by([CASE_ID, "step"]).aggregate(n=t.count())
    repeats = per_case.group_by("step").aggregate(
        cases=per_case.count(),
        cases_repeated=(per_case.n > 1).cast("int64").sum(),
        executions=per_case.n.sum(),
        extra_executions=(per_case.n - 1).sum(),
    )
    selfs = t.filter(t.step == t._prev)
    self_stats = selfs.group_by(selfs.step.name("_self_step")).aggregate(
        self_loops=selfs.count(), cases_with_self_loop=selfs[CASE_ID].nunique(),
    )
    joined = repeats.left_join(self_stats, repeats.step == self_stats._self_step)
    steps = joined.select(
        "step", "cases", "cases_repeated", "executions", "extra_executions",
        rework_rate=joined.cases_repeated / joined.cases,
        self_loops=joined.self_loops.fill_null(0),
        cases_with_self_loop=joined.cases_with_self_loop.fill_null(0),
    )
    steps = steps.order_by([steps.extra_executions.desc(), "step"])
    loops = t.filter((t.step == t._prev2) & (t.step != t._prev))
    loop_stats = loops.group_by([loops.step.name("first"), loops._prev.name("second")]).aggregate(
        occurrences=loops.count(), cases=loops[CASE_ID].nunique(),
    )
    loop_stats = loop_stats.order_by([loop_stats.occurrences.desc(), "first", "second"])
    return Rework(
        steps=fetch(steps, RepeatedStep), loops=fetch(loop_stats, LoopOfTwo),
        cases=_count_cases(t),
        cases_with_repeat=_count_cases(per_case.filter(per_case.n > 1)),
        cases_with_self_loop=_count_cases(selfs),
        cases_with_loop_of_two=_count_cases(loops),
    )


def _count_cases(table: ir.Table) -> int:
    return int(table[CASE_ID].nunique().execute())


class ReopenTarget(msgspec.Struct, frozen=True, kw_only=True):
    """The step a case was reopened into (the reopening event's step)."""

    step: str
    occurrences: int
    cases: int


class Reopenings(msgspec.Struct, frozen=True, kw_only=True):
    """Cases that went back to work after being closed; ``share`` = cases_reopened / cases."""

    cases: int
    cases_reopened: int
    occurrences: int
    share: float
    targets: Rows[ReopenTarget]


def reopening_events(
    events: EventsLike, *, closing: Sequence[str], reopen: Sequence[str] = REOPEN_STEPS,
    by: Sequence[str] = (ACTIVITY,),
) -> ir.Table:
    """The events that reopen a case (see the module docstring), with their ``step``."""
    if not closing:
        raise MiningInputError("no closing steps given", where="closing",
                              hint='name the steps that close a case, e.g. closing=["Closed"]')
    t = _with_history(events, by)
    closing_steps = list(closing)
    is_reopen = t.step.lower().isin([name.lower() for name in reopen])
    after_closing = t._prev.isin(closing_steps).fill_null(False) & ~t.step.isin(closing_steps)
    return t.filter(is_reopen | after_closing)


def find_reopenings(
    events: EventsLike, *, closing: Sequence[str], reopen: Sequence[str] = REOPEN_STEPS,
    by: Sequence[str] = (ACTIVITY,),
) -> Reopenings:
    """How many cases were reopened, how often, and into which steps (most frequent first)."""
    t = as_ibis(events)
    found = reopening_events(t, closing=closing, reopen=reopen, by=by)
    targets = found.group_by("step").aggregate(occurrences=found.count(), cases=found[CASE_ID].nunique())
    targets = targets.order_by([targets.occurrences.desc(), "step"])
    cases = _count_cases(t)
    reopened = _count_cases(found)
    return Reopenings(
        cases=cases, cases_reopened=reopened, occurrences=int(found.count().execute()),
        share=reopened / cases if cases else 0.0, targets=fetch(targets, ReopenTarget),
    )

