"""The shapes every KPI reads, derived once per evaluation from the event table.

``LogView`` wraps the Ibis event table and adds what the catalogue needs:

* ``events``: every event with its position in the case (``_pos``, by timestamp then
  ``event_index``) and its lower-cased lifecycle (``_lc``);
* ``steps``: the handling steps (see ``LogView.steps``);
* ``cases``: one row per case with its first event, whether and when it closed, and the columns
  of its last event (``group``/``resource`` taken from its last step).

Which events close and reopen a case is read from our engine's ``event_type`` attribute when the
log has one, otherwise from ``LogOptions``.
"""

from __future__ import annotations

import itertools
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

import ibis
import msgspec

from liucheng.eventlog.table import ACTIVITY, CASE_ID, EVENT_INDEX, GROUP, RESOURCE, TIMESTAMP
from liucheng.mining._ibis import case_window

if TYPE_CHECKING:
    import ibis.expr.types as ir

EVENT_TYPE: Final = "event_type"
TASK_ID: Final = "task_id"
#: Our engine's event types that close a case, reopen it, and complete a handling step.
CLOSING_TYPES: Final = ("case.completed", "case.terminated", "case.cancelled")
REOPEN_TYPE: Final = "case.reopened"
STEP_TYPE: Final = "task.completed"
#: Attributes of our engine's export the catalogue reads.
ENGINE_COLUMNS: Final = (EVENT_TYPE, TASK_ID, "clock", "status")
#: Columns the view adds; dimensions never use them.
PRIVATE_PREFIX: Final = "_"


class LogOptions(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How to read a log that is not our own (ours carries ``event_type`` and needs none of this).

    ``end_activities``: activities that close a case (default: a case closes at its last event).
    ``reopen_activities``: activities that reopen a closed case (default: with ``end_activities``,
    any event after a closing one reopens the case). ``ignore_resources``: resources that are not
    people handling the case (our engine writes ``system``).
    """

    end_activities: list[str] | None = None
    reopen_activities: list[str] | None = None
    ignore_resources: list[str] = msgspec.field(default_factory=lambda: ["system"])


#: Names for the temporary tables views keep (unique per process, so views may share a backend).
_table_numbers = itertools.count(1)


class LogView:
    """An event table prepared for the catalogue (built once, shared by every KPI)."""

    def __init__(self, events: ir.Table, options: LogOptions | None = None, *, con: Any = None) -> None:
        """``con``: the backend to keep the derived tables in (computed once, not per KPI)."""
        self.options = options or LogOptions()
        self._con = con
        self.columns = frozenset(events.columns)
        self.has_event_type = EVENT_TYPE in self.columns
        self.has_task_id = TASK_ID in self.columns
        window = case_window()
        events = events.mutate(
            _lc=events.lifecycle.lower(),
            _pos=ibis.row_number().over(window),
            _n=events.count().over(ibis.window(group_by=CASE_ID)),
        )
        closing = self._closing(events)
        events = events.mutate(_closing=closing)
        self.events = self._keep(events.mutate(_reopen=self._reopen(events)))

    def _keep(self, table: ir.Table) -> ir.Table:
        """``table`` computed once into a temporary table when the view has a backend."""
        if self._con is None:
            return table
        return self._con.create_table(f"kpi_view_{next(_table_numbers)}", table, temp=True)

    # -- closing and reopening ----------------------------------------------------------------------
    def _closing(self, events: ir.Table) -> ir.BooleanValue:
        if self.has_event_type:
            return events[EVENT_TYPE].isin(CLOSING_TYPES).fill_null(False)
        if self.options.end_activities is not None:
            return events[ACTIVITY].isin(self.options.end_activities)
        return events._pos == events._n - 1

    def _reopen(self, events: ir.Table) -> ir.BooleanValue:
        if self.has_event_type:
            return (events[EVENT_TYPE] == REOPEN_TYPE).fill_null(False)
        if self.options.reopen_activities is not None:
            return events[ACTIVITY].isin(self.options.reopen_activities)
        if self.options.end_activities is not None:
            after_close = events._closing.lag().over(case_window()).fill_null(False)
            return after_close & ~events._closing
        return ibis.literal(False)

    # -- steps ----------------------------------------------------------------------------------------
    @cached_property
    def has_complete(self) -> bool:
        """Whether any event has the lifecycle transition ``complete`` (any case)."""
        return bool(self.events.filter(self.events._lc == "complete").count().execute() > 0)

    @cached_property
    def steps(self) -> ir.Table:
        """One row per handling step: a ``task.completed`` event in our logs; else every event with
        lifecycle ``complete``; else (a log without lifecycle) every event."""
        events = self.events
        if self.has_event_type:
            return self._keep(events.filter(events[EVENT_TYPE] == STEP_TYPE))
        if self.has_complete:
            return self._keep(events.filter(events._lc == "complete"))
        return events

    # -- cases ----------------------------------------------------------------------------------------
    @cached_property
    def cases(self) -> ir.Table:
        """One row per case: ``_start``, ``_closed_at`` (null while open), ``_reopened`` and
        ``_n_events``, with the columns of its last event (``group``/``resource`` of its last step)."""
        events = self.events
        summary = events.group_by(CASE_ID).aggregate(
            _start=events[TIMESTAMP].min(),
            _last_close_pos=events._pos.max(where=events._closing),
            _last_close_ts=events[TIMESTAMP].max(where=events._closing),
            _last_reopen_pos=events._pos.max(where=events._reopen),
            _reopened=events._reopen.any(),
        )
        still_closed = summary._last_reopen_pos.isnull() | (summary._last_reopen_pos < summary._last_close_pos)
        summary = summary.select(
            CASE_ID,
            "_start",
            "_reopened",
            _closed_at=ibis.ifelse(summary._last_close_pos.notnull() & still_closed, summary._last_close_ts, None),
        )
        last = events.filter(events._pos == events._n - 1)
        last = last.drop(GROUP, RESOURCE, "_pos", "_lc", "_closing", "_reopen").rename(_n_events="_n")
        steps = self.steps
        step_rank = ibis.row_number().over(
            ibis.window(group_by=CASE_ID, order_by=[steps[TIMESTAMP].desc(), steps[EVENT_INDEX].desc()])
        )
        last_step = steps.mutate(_r=step_rank)
        last_step = last_step.filter(last_step._r == 0).select(
            _step_case=CASE_ID, **{GROUP: last_step[GROUP], RESOURCE: last_step[RESOURCE]}
        )
        joined = summary.join(last, CASE_ID).left_join(last_step, summary[CASE_ID] == last_step._step_case)
        return self._keep(joined.drop("_step_case"))

    @cached_property
    def closed_cases(self) -> ir.Table:
        cases = self.cases
        return cases.filter(cases._closed_at.notnull()).mutate(at=cases._closed_at)
