"""The built-in measures: each turns a ``LogView`` into *facts*, rows of ``case_id``, ``at`` (the
instant that places the fact in a period), ``value``, and the columns its dimensions come from.

Case facts carry the columns of the case's last event (``group``/``resource`` of its last step:
the holder accountable for the result); step facts carry the step's own event, so they belong to
whoever held the step. A measure's *aggregate* says how facts become one value per group and period:

* ``mean``: the mean of ``value`` (or the ``statistic`` parameter: median, p90, max); rates are
  means of 0/1 values;
* ``count``: the number of facts;
* ``per_case``: sum of ``value`` divided by the number of distinct cases;
* ``backlog``: cases open at the end of each period (computed from the case table).

Exact definitions are in docs/kpi.md; tests recompute each one case by case in plain Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import ibis
import msgspec

from liucheng.eventlog.table import ACTIVITY, CASE_ID, EVENT_INDEX, GROUP, RESOURCE, TIMESTAMP
from liucheng.kpi.errors import KpiDataError
from liucheng.kpi.view import EVENT_TYPE, TASK_ID, LogView
from liucheng.mining._ibis import case_window, seconds_between

if TYPE_CHECKING:
    import ibis.expr.types as ir

Statistic = Literal["mean", "median", "p90", "max", "min"]
Quantity = Literal["duration", "ratio", "count", "money", "number"]
Aggregate = Literal["mean", "count", "per_case", "backlog"]

ESCALATION_TYPES: Final = ("escalation.raised", "escalation.thrown")
SLA_OUTCOME_TYPE: Final = "sla.met"
SLA_BREACH_TYPE: Final = "sla.breached"
STEP_CLOCK: Final = "step"
STEP_CLOCK_PREFIX: Final = "step:"


class _Params(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class NoParams(_Params):
    pass


class DurationParams(_Params):
    statistic: Statistic = "mean"


class StepTimeParams(DurationParams):
    #: Only steps of these activities (default: all).
    activities: list[str] | None = None


class SlaParams(_Params):
    #: ``first_response``, ``resolution`` or ``step`` (our engine's per-step clocks; measured: a
    #: step's processing time from start to completion).
    clock: str = "resolution"
    #: Target in seconds, used when the log has no SLA outcome events of that clock.
    target_s: int | None = None
    #: Measured first response: the first event of one of these activities (default: the case's second event).
    response_activities: list[str] | None = None


class FcrParams(_Params):
    #: ``resource``: one person handled the case; ``step``: it took a single handling step.
    single: Literal["resource", "step"] = "resource"
    #: Activities whose resource does not count as a handler (e.g. a closing clerk).
    exclude_activities: list[str] = []


class TransferParams(_Params):
    level: Literal["resource", "group"] = "resource"


class EscalationParams(_Params):
    #: Activities that mark an escalation (default: our engine's escalation events).
    activities: list[str] | None = None


class CostParams(_Params):
    #: Cost of one step of each activity, in the KPI's money unit.
    activity_costs: dict[str, float] = {}
    #: Cost per hour of processing time (start/complete pairs).
    per_hour: float = 0.0


@dataclass(frozen=True)
class Measure:
    name: str
    facts: Callable[[LogView, Any], ir.Table]
    params: type[_Params]
    quantity: Quantity
    aggregate: Aggregate
    summary: str


# -- durations --------------------------------------------------------------------------------------
def cycle_time(view: LogView, _params: DurationParams) -> ir.Table:
    cases = view.closed_cases
    return cases.mutate(value=seconds_between(cases._closed_at, cases._start))


def step_pairs(view: LogView) -> ir.Table:
    """Start/complete pairs: a ``complete`` event whose previous start-or-complete event of the same
    activity (and task, in our logs) in the case is a ``start``. Adds ``_started``."""
    events = view.events
    marks = events.filter(events._lc.isin(["start", "complete"]))
    keys = [CASE_ID, ACTIVITY, *([TASK_ID] if view.has_task_id else [])]
    window = ibis.window(group_by=keys, order_by=[TIMESTAMP, EVENT_INDEX])
    marks = marks.mutate(_prev_lc=marks._lc.lag().over(window), _started=marks[TIMESTAMP].lag().over(window))
    return marks.filter((marks._lc == "complete") & (marks._prev_lc == "start"))


def processing_time(view: LogView, params: StepTimeParams) -> ir.Table:
    pairs = _only(step_pairs(view), params.activities)
    return pairs.mutate(at=pairs[TIMESTAMP], value=seconds_between(pairs[TIMESTAMP], pairs._started))


def waiting_time(view: LogView, params: StepTimeParams) -> ir.Table:
    events = view.events
    completed_at = ibis.ifelse(events._lc == "complete", events[TIMESTAMP], None)
    events = events.mutate(
        _ready=completed_at.max().over(case_window(rows=(None, -1))),
        _case_start=events[TIMESTAMP].min().over(ibis.window(group_by=CASE_ID)),
    )
    starts = _only(events.filter(events._lc == "start"), params.activities)
    ready = starts._ready.fill_null(starts._case_start)
    return starts.mutate(at=starts[TIMESTAMP], value=seconds_between(starts[TIMESTAMP], ready))


def _only(table: ir.Table, activities: list[str] | None) -> ir.Table:
    return table if activities is None else table.filter(table[ACTIVITY].isin(activities))


# -- volumes ----------------------------------------------------------------------------------------
def throughput(view: LogView, _params: NoParams) -> ir.Table:
    return view.closed_cases.mutate(value=ibis.literal(1.0))


def backlog(view: LogView, _params: NoParams) -> ir.Table:
    """The case table itself: ``evaluate`` counts open cases per period end from ``_start``/``_closed_at``."""
    cases = view.cases
    return cases.mutate(at=cases._start, value=ibis.literal(1.0))


# -- service levels ---------------------------------------------------------------------------------
def sla_attainment(view: LogView, params: SlaParams) -> ir.Table:
    outcomes = _sla_outcomes(view, params.clock)
    if outcomes is not None:
        return outcomes
    if params.target_s is None:
        raise KpiDataError(
            f"the log has no {SLA_OUTCOME_TYPE!r} events of clock {params.clock!r}",
            column=EVENT_TYPE,
            hint="export our log with include_internal, or give params.target_s to measure it on the log",
        )
    if params.clock == "first_response":
        return _measured_first_response(view, params.response_activities, params.target_s)
    if params.clock == "resolution":
        cases = view.closed_cases
        duration = seconds_between(cases._closed_at, cases._start)
        return cases.mutate(value=(duration <= params.target_s).cast("float64"))
    if params.clock == STEP_CLOCK:
        pairs = step_pairs(view)
        within = seconds_between(pairs[TIMESTAMP], pairs._started) <= params.target_s
        return pairs.mutate(at=pairs[TIMESTAMP], value=within.cast("float64"))
    raise KpiDataError(f"clock {params.clock!r} can only be read from SLA events, and the log has none",
                       hint="measured clocks are first_response, resolution and step")


def _sla_outcomes(view: LogView, clock: str) -> ir.Table | None:
    """The outcome of each clock from our engine's events: its last ``sla.met`` (status met or
    missed) or ``sla.breached``, whichever came later, so a clock still running past its target
    already counts as missed (and a reopened case's clock counts again)."""
    if not view.has_event_type or "clock" not in view.columns or "status" not in view.columns:
        return None
    events = view.events
    is_step = events.clock.startswith(STEP_CLOCK_PREFIX)
    wanted = is_step if clock == STEP_CLOCK else events.clock == clock
    outcomes = events.filter(events[EVENT_TYPE].isin([SLA_OUTCOME_TYPE, SLA_BREACH_TYPE]) & wanted)
    if outcomes.count().execute() == 0:
        return None
    key = [CASE_ID, "clock"]
    rank = ibis.row_number().over(ibis.window(group_by=key, order_by=[outcomes._pos.desc()]))
    outcomes = outcomes.mutate(_r=rank)
    outcomes = outcomes.filter(outcomes._r == 0).drop(GROUP, RESOURCE)
    if clock == STEP_CLOCK:  # held by whoever completed the step
        steps = view.steps
        holders = steps.select(_task=steps[TASK_ID], **{GROUP: steps[GROUP], RESOURCE: steps[RESOURCE]})
        facts = outcomes.left_join(holders, outcomes[TASK_ID] == holders._task).drop("_task")
    else:  # held by the holder of the case's last step, like every case fact
        facts = outcomes.join(view.cases.select(CASE_ID, GROUP, RESOURCE), CASE_ID)
    met = (facts[EVENT_TYPE] == SLA_OUTCOME_TYPE) & (facts.status == "met")
    return facts.mutate(at=facts[TIMESTAMP], value=met.cast("float64"))


def _measured_first_response(view: LogView, activities: list[str] | None, target_s: int) -> ir.Table:
    events = view.events
    if activities is None:
        responses = events.filter(events._pos == 1)
    else:
        responses = events.filter(events[ACTIVITY].isin(activities))
        rank = ibis.row_number().over(case_window())
        responses = responses.mutate(_r=rank)
        responses = responses.filter(responses._r == 0)
    responses = responses.select(_case=CASE_ID, at=TIMESTAMP)
    cases = view.cases
    facts = cases.join(responses, cases[CASE_ID] == responses._case).drop("_case")
    return facts.mutate(value=(seconds_between(facts.at, facts._start) <= target_s).cast("float64"))


# -- quality of handling ----------------------------------------------------------------------------
def first_contact_resolution(view: LogView, params: FcrParams) -> ir.Table:
    if params.single == "step":
        steps = view.steps
        handling = steps.group_by(CASE_ID).aggregate(_handlers=steps.count())
    else:
        events = view.events
        people = events.filter(
            events[RESOURCE].notnull()
            & ~events[RESOURCE].isin(view.options.ignore_resources)
            & ~events[ACTIVITY].isin(params.exclude_activities or [""])
        )
        handling = people.group_by(CASE_ID).aggregate(_handlers=people[RESOURCE].nunique())
    handling = handling.rename(_case=CASE_ID)
    cases = view.closed_cases
    facts = cases.left_join(handling, cases[CASE_ID] == handling._case).drop("_case")
    single = (facts._handlers.fill_null(0) == 1) & ~facts._reopened
    return facts.mutate(value=single.cast("float64"))


def reopen_rate(view: LogView, _params: NoParams) -> ir.Table:
    cases = view.closed_cases
    return cases.mutate(value=cases._reopened.cast("float64"))


def rework_rate(view: LogView, _params: NoParams) -> ir.Table:
    steps = view.steps
    repeats = steps.group_by([CASE_ID, ACTIVITY]).aggregate(_k=steps.count())
    repeats = repeats.group_by(CASE_ID).aggregate(_rework=repeats._k.max() > 1).rename(_case=CASE_ID)
    cases = view.closed_cases
    facts = cases.left_join(repeats, cases[CASE_ID] == repeats._case).drop("_case")
    return facts.mutate(value=facts._rework.fill_null(False).cast("float64"))


def _holders(view: LogView, level: str) -> ir.Table:
    """Steps with a holder at ``level`` (people in ``ignore_resources`` left out), runs kept."""
    steps = view.steps
    kept = steps[level].notnull() & (steps[RESOURCE].isnull() | ~steps[RESOURCE].isin(view.options.ignore_resources))
    return steps.filter(kept)


def handoffs_per_case(view: LogView, params: TransferParams) -> ir.Table:
    steps = _holders(view, params.level)
    following = steps[params.level].lead().over(case_window())
    handed = following.notnull() & (following != steps[params.level])
    return steps.mutate(at=steps[TIMESTAMP], value=handed.cast("float64"))


def ping_pong_rate(view: LogView, params: TransferParams) -> ir.Table:
    steps = _holders(view, params.level)
    holder = steps[params.level]
    steps = steps.filter(holder.lag().over(case_window()).isnull() | (holder.lag().over(case_window()) != holder))
    holder = steps[params.level]
    back = (holder.lag(2).over(case_window()) == holder).fill_null(False)
    bounced = steps.mutate(_back=back).group_by(CASE_ID).aggregate(_pp=ibis._._back.any()).rename(_case=CASE_ID)
    cases = view.closed_cases
    facts = cases.left_join(bounced, cases[CASE_ID] == bounced._case).drop("_case")
    return facts.mutate(value=facts._pp.fill_null(False).cast("float64"))


def escalation_rate(view: LogView, params: EscalationParams) -> ir.Table:
    events = view.events
    if params.activities is not None:
        marks = events[ACTIVITY].isin(params.activities)
    elif view.has_event_type:
        marks = events[EVENT_TYPE].isin(ESCALATION_TYPES).fill_null(False)
    else:
        raise KpiDataError("the log has no escalation events", column=EVENT_TYPE,
                           hint="list the activities that mark an escalation in params.activities")
    escalated = events.filter(marks).select(_case=CASE_ID).distinct()
    cases = view.closed_cases
    facts = cases.left_join(escalated, cases[CASE_ID] == escalated._case)
    return facts.mutate(value=facts._case.notnull().cast("float64")).drop("_case")


def cost_per_case(view: LogView, params: CostParams) -> ir.Table:
    cases = view.closed_cases
    total = ibis.literal(0.0)
    if params.activity_costs:
        steps = view.steps
        step_cost = steps[ACTIVITY].cases(*params.activity_costs.items(), else_=0.0).cast("float64")
        costs = steps.group_by(CASE_ID).aggregate(_steps_cost=step_cost.sum()).rename(_c1=CASE_ID)
        cases = cases.left_join(costs, cases[CASE_ID] == costs._c1).drop("_c1")
        total = total + cases._steps_cost.fill_null(0.0)
    if params.per_hour:
        pairs = step_pairs(view)
        hours = pairs.group_by(CASE_ID).aggregate(
            _hours=(seconds_between(pairs[TIMESTAMP], pairs._started) / 3600.0).sum()
        ).rename(_c2=CASE_ID)
        cases = cases.left_join(hours, cases[CASE_ID] == hours._c2).drop("_c2")
        total = total + cases._hours.fill_null(0.0) * params.per_hour
    return cases.mutate(value=total)


MEASURES: Final[dict[str, Measure]] = {
    m.name: m
    for m in (
        Measure("cycle_time", cycle_time, DurationParams, "duration", "mean",
                "time from a case's first event to its closing"),
        Measure("waiting_time", waiting_time, StepTimeParams, "duration", "mean",
                "time from a step becoming ready to its start"),
        Measure("processing_time", processing_time, StepTimeParams, "duration", "mean",
                "time from a step's start to its completion"),
        Measure("throughput", throughput, NoParams, "count", "count", "cases closed in the period"),
        Measure("backlog", backlog, NoParams, "count", "backlog", "cases open at the end of the period"),
        Measure("sla_attainment", sla_attainment, SlaParams, "ratio", "mean",
                "share of SLA clocks that ended within target"),
        Measure("first_contact_resolution", first_contact_resolution, FcrParams, "ratio", "mean",
                "share of closed cases handled by one person (or in one step) and never reopened"),
        Measure("reopen_rate", reopen_rate, NoParams, "ratio", "mean", "share of closed cases reopened"),
        Measure("rework_rate", rework_rate, NoParams, "ratio", "mean",
                "share of closed cases with an activity done more than once"),
        Measure("handoffs_per_case", handoffs_per_case, TransferParams, "number", "per_case",
                "hand-overs between consecutive steps per case"),
        Measure("ping_pong_rate", ping_pong_rate, TransferParams, "ratio", "mean",
                "share of closed cases passed back to a holder they had left (A, B, A)"),
        Measure("escalation_rate", escalation_rate, EscalationParams, "ratio", "mean",
                "share of closed cases escalated at least once"),
        Measure("cost_per_case", cost_per_case, CostParams, "money", "mean",
                "cost of a closed case: per step and per hour of processing"),
    )
}
