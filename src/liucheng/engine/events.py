"""Events: every change to a case is one of these, and the state is their fold.

``activity``/``lifecycle``/``resource``/``group`` are the XES view (concept:name,
lifecycle:transition, org:resource, org:group). Events the engine needs for itself (token moves,
timers) carry no activity and stay out of a process-mining export unless asked for.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec


class EventType(StrEnum):
    CASE_OPENED = "case.opened"
    CASE_COMPLETED = "case.completed"
    CASE_TERMINATED = "case.terminated"
    CASE_CANCELLED = "case.cancelled"
    CASE_REOPENED = "case.reopened"
    CASE_HELD = "case.held"
    CASE_RESUMED = "case.resumed"
    COMMENT_ADDED = "comment.added"
    TOKEN_CREATED = "token.created"
    TOKEN_MOVED = "token.moved"
    TOKEN_CONSUMED = "token.consumed"
    JOIN_ARRIVED = "join.arrived"
    JOIN_FIRED = "join.fired"
    TASK_CREATED = "task.created"
    TASK_ASSIGNED = "task.assigned"
    TASK_CLAIMED = "task.claimed"
    TASK_RELEASED = "task.released"
    TASK_COMPLETED = "task.completed"
    TASK_CANCELLED = "task.cancelled"
    JOB_FAILED = "job.failed"
    INCIDENT_RAISED = "incident.raised"
    CHILD_REQUESTED = "child.requested"
    TIMER_SCHEDULED = "timer.scheduled"
    TIMER_FIRED = "timer.fired"
    TIMER_CANCELLED = "timer.cancelled"
    MESSAGE_RECEIVED = "message.received"
    ESCALATION_THROWN = "escalation.thrown"
    SLA_STARTED = "sla.started"
    SLA_ACCRUED = "sla.accrued"
    SLA_PAUSED = "sla.paused"
    SLA_RESUMED = "sla.resumed"
    SLA_WARNING = "sla.warning"
    SLA_BREACHED = "sla.breached"
    SLA_MET = "sla.met"
    SLA_STOPPED = "sla.stopped"
    ESCALATION_RAISED = "escalation.raised"


class Lifecycle(StrEnum):
    """The XES standard lifecycle transitions we emit."""

    SCHEDULE = "schedule"
    ASSIGN = "assign"
    REASSIGN = "reassign"
    START = "start"
    SUSPEND = "suspend"
    RESUME = "resume"
    COMPLETE = "complete"
    ATE_ABORT = "ate_abort"
    WITHDRAW = "withdraw"


class Event(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    case_id: str
    type: EventType
    at: datetime
    activity: str | None = None
    lifecycle: Lifecycle | None = None
    resource: str | None = None
    group: str | None = None
    task_id: str | None = None
    element_id: str | None = None
    #: Whatever ``evolve`` needs to apply the event, and attributes worth exporting.
    data: dict[str, Any] = {}

    @property
    def is_business(self) -> bool:
        """True for events a process-mining export shows (they name an activity)."""
        return self.activity is not None
