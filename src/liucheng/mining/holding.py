"""Who held each case longest, and how long cases stay in each state.

A case is "with" the group (or status, or any other *state*) of its last event until its next
event: the holding time of an event is the time to the next event of the case; the last event
of a case holds nothing (the case is over, or still open and its end unknown). Summed per case
and state this gives where each case spent its time; the state with the largest sum is the
case's *longest holder* (ties go to the alphabetically first state).

States are built as in ``rework.with_steps``: one column (``"group"``) or several joined by
" / " (``("activity", "lifecycle")`` = BPIC 2013's status / sub-status); a null reads as "".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import ibis
import msgspec

from liucheng.eventlog.table import CASE_ID, GROUP, TIMESTAMP
from liucheng.mining._ibis import EventsLike, Rows, case_window, fetch, seconds_between
from liucheng.mining.rework import with_steps

if TYPE_CHECKING:
    import ibis.expr.types as ir


def holding_spans(events: EventsLike, *, by: Sequence[str] = (GROUP,)) -> ir.Table:
    """One row per event that has a next one: case_id, state, held_s (time to the next event)."""
    t = with_steps(events, by)
    spans = t.select(CASE_ID, state=t.step, held_s=seconds_between(t[TIMESTAMP].lead().over(case_window()),
                                                                      t[TIMESTAMP]))
    return spans.filter(spans.held_s.notnull())


class StateTime(msgspec.Struct, frozen=True, kw_only=True):
    """Time cases spent in one state (seconds); ``share`` of all time in the log, 0..1."""

    state: str
    spans: int
    cases: int
    total_s: float
    mean_s: float
    median_s: float
    p90_s: float
    share: float


def time_in_state(events: EventsLike, *, by: Sequence[str] = (GROUP,)) -> Rows[StateTime]:
    """Total, mean, median and p90 holding time per state, largest total first."""
    spans = holding_spans(events, by=by)
    grand = spans.held_s.sum().as_scalar()
    summary = spans.group_by("state").aggregate(
        spans=spans.count(), cases=spans[CASE_ID].nunique(), total_s=spans.held_s.sum(),
        mean_s=spans.held_s.mean(), median_s=spans.held_s.median(), p90_s=spans.held_s.quantile(0.9),
    )
    summary = summary.mutate(share=ibis.ifelse(grand > 0, summary.total_s / grand, 0.0))
    return fetch(summary.order_by([summary.total_s.desc(), "state"]), StateTime)


def longest_holders(events: EventsLike, *, by: Sequence[str] = (GROUP,)) -> ir.Table:
    """Per case: holder (the state that held it longest), held_s, case_held_s (all its spans)."""
    spans = holding_spans(events, by=by)
    per_state = spans.group_by([CASE_ID, "state"]).aggregate(held_s=spans.held_s.sum())
    ranked = per_state.mutate(
        _rank=ibis.row_number().over(group_by=CASE_ID, order_by=[per_state.held_s.desc(), per_state.state]),
        case_held_s=per_state.held_s.sum().over(group_by=CASE_ID),
    )
    top = ranked.filter(ranked._rank == 0)
    return top.select(CASE_ID, holder=top.state, held_s=top.held_s, case_held_s=top.case_held_s)


class LongestHolder(msgspec.Struct, frozen=True, kw_only=True):
    """How often one state held cases longest; ``share`` of all cases with a holding time."""

    holder: str
    cases: int
    share: float
    held_total_s: float
    held_median_s: float
    median_share_of_case: float | None


def longest_holder_summary(events: EventsLike, *, by: Sequence[str] = (GROUP,)) -> Rows[LongestHolder]:
    """Per state: in how many cases it was the longest holder, and how long it held them then.

    ``median_share_of_case`` is the median of held_s / case_held_s over those cases (None when
    all of them lasted zero seconds).
    """
    top = longest_holders(events, by=by)
    top = top.mutate(_part=ibis.ifelse(top.case_held_s > 0, top.held_s / top.case_held_s, ibis.null("float64")))
    n_cases = top.count().as_scalar()
    summary = top.group_by("holder").aggregate(
        cases=top.count(), held_total_s=top.held_s.sum(), held_median_s=top.held_s.median(),
        median_share_of_case=top._part.median(),
    )
    summary = summary.mutate(share=summary.cases / n_cases)
    return fetch(summary.order_by([summary.cases.desc(), "holder"]), LongestHolder)
