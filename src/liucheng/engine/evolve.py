"""Apply one event to a case state. The engine changes state only through here, so folding a
case's events from nothing rebuilds exactly the state the engine saved (see ``replay``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from liucheng.core.errors import InvalidCommandError
from liucheng.engine.events import Event, EventType
from liucheng.engine.state import (
    CaseState,
    CaseStatus,
    ClockStatus,
    SlaClock,
    Task,
    TaskStatus,
    Timer,
    Token,
)


def _iso(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _bump(state: CaseState, event: Event) -> None:
    number = event.data.get("n")
    if number is not None and number > state.counter:
        state.counter = number


def _case_opened(state: CaseState | None, e: Event) -> CaseState:
    d = e.data
    return CaseState(
        case_id=e.case_id,
        process_key=d["process_key"],
        process_version=d["process_version"],
        opened_at=e.at,
        category=d["category"],
        priority=d["priority"],
        customer=d.get("customer"),
        title=d.get("title", ""),
        data=dict(d.get("data", {})),
        parent_case_id=d.get("parent_case_id"),
        parent_task_id=d.get("parent_task_id"),
    )


def _closed(status: CaseStatus) -> Callable[[CaseState, Event], None]:
    def apply(state: CaseState, e: Event) -> None:
        state.status = status
        state.closed_at = e.at

    return apply


def _case_reopened(state: CaseState, e: Event) -> None:
    state.status = CaseStatus.OPEN
    state.closed_at = None
    state.reopen_count += 1


def _case_held(state: CaseState, e: Event) -> None:
    state.status = CaseStatus.ON_HOLD


def _case_resumed(state: CaseState, e: Event) -> None:
    state.status = CaseStatus.OPEN


def _mark_response(state: CaseState, e: Event) -> None:
    if e.data.get("first_response") and state.first_response_at is None:
        state.first_response_at = e.at


def _token_created(state: CaseState, e: Event) -> None:
    token_id = e.data["token_id"]
    state.tokens[token_id] = Token(id=token_id, element_id=e.element_id or "")
    _bump(state, e)


def _token_moved(state: CaseState, e: Event) -> None:
    state.tokens[e.data["token_id"]].element_id = e.element_id or ""


def _token_consumed(state: CaseState, e: Event) -> None:
    state.tokens.pop(e.data["token_id"], None)


def _join_arrived(state: CaseState, e: Event) -> None:
    state.tokens.pop(e.data["token_id"], None)
    arrivals = state.joins.setdefault(e.element_id or "", {})
    flow = e.data["flow_id"]
    arrivals[flow] = arrivals.get(flow, 0) + 1


def _join_fired(state: CaseState, e: Event) -> None:
    gateway = e.element_id or ""
    arrivals = state.joins.get(gateway, {})
    for flow in e.data["consumed"]:
        arrivals[flow] -= 1
        if arrivals[flow] == 0:
            del arrivals[flow]
    if not arrivals:
        state.joins.pop(gateway, None)
    _token_created(state, e)


def _task_created(state: CaseState, e: Event) -> None:
    d = e.data
    # The token arrives at the task with its creation (flow_id says along which flow).
    state.tokens[d["token_id"]].element_id = e.element_id or ""
    state.tasks[e.task_id or ""] = Task(
        id=e.task_id or "",
        element_id=e.element_id or "",
        kind=d["kind"],
        name=e.activity or "",
        token_id=d["token_id"],
        created_at=e.at,
        lane=e.group,
        candidate_groups=list(d.get("candidate_groups", [])),
        skills=list(d.get("skills", [])),
        assignee=d.get("assignee"),
        due_at=_iso(d.get("due_at")),
    )
    _bump(state, e)


def _task(state: CaseState, e: Event) -> Task:
    return state.tasks[e.task_id or ""]


def _task_assigned(state: CaseState, e: Event) -> None:
    task = _task(state, e)
    task.assignee = e.data.get("assignee")
    if "lane" in e.data:
        task.lane = e.data["lane"]
        task.candidate_groups = [e.data["lane"]] if e.data["lane"] else []
    task.status = TaskStatus.OPEN
    task.claimed_at = None


def _task_claimed(state: CaseState, e: Event) -> None:
    task = _task(state, e)
    task.status = TaskStatus.CLAIMED
    task.assignee = e.resource
    task.claimed_at = e.at
    _mark_response(state, e)


def _task_released(state: CaseState, e: Event) -> None:
    task = _task(state, e)
    task.status = TaskStatus.OPEN
    task.assignee = None
    task.claimed_at = None


def _task_completed(state: CaseState, e: Event) -> None:
    task = _task(state, e)
    task.status = TaskStatus.COMPLETED
    task.ended_at = e.at
    task.retry_at = None
    if e.resource and task.kind != "serviceTask":
        task.assignee = e.resource
    state.data.update(e.data.get("form", {}))
    _mark_response(state, e)


def _task_cancelled(state: CaseState, e: Event) -> None:
    task = _task(state, e)
    task.status = TaskStatus.CANCELLED
    task.ended_at = e.at
    task.retry_at = None


def _job_failed(state: CaseState, e: Event) -> None:
    task = _task(state, e)
    task.attempts = e.data["attempts"]
    task.retry_at = _iso(e.data.get("retry_at"))


def _incident_raised(state: CaseState, e: Event) -> None:
    if e.task_id:
        task = _task(state, e)
        task.status = TaskStatus.FAILED
        task.retry_at = None


def _child_requested(state: CaseState, e: Event) -> None:
    _task(state, e).child_case_id = e.data["child_case_id"]


def _timer_scheduled(state: CaseState, e: Event) -> None:
    d = e.data
    state.timers[d["timer_id"]] = Timer(
        id=d["timer_id"],
        due_at=_iso(d["due_at"]),  # type: ignore[arg-type]
        purpose=d["purpose"],
        element_id=e.element_id,
        token_id=d.get("token_id"),
        task_id=e.task_id,
        clock=d.get("clock"),
        remaining=d.get("remaining"),
    )
    _bump(state, e)


def _timer_gone(state: CaseState, e: Event) -> None:
    state.timers.pop(e.data["timer_id"], None)


def _message_received(state: CaseState, e: Event) -> None:
    state.data.update(e.data.get("data", {}))


def _sla_started(state: CaseState, e: Event) -> None:
    d = e.data
    state.clocks[d["clock"]] = SlaClock(
        name=d["clock"],
        target_s=d["target_s"],
        running_since=e.at,
        thresholds=list(d["thresholds"]),
        task_id=e.task_id,
        holder=d.get("holder"),
    )


def _clock(state: CaseState, e: Event) -> SlaClock:
    return state.clocks[e.data["clock"]]


def _sla_accrued(state: CaseState, e: Event) -> None:
    clock = _clock(state, e)
    seconds = e.data["seconds"]
    clock.elapsed_s += seconds
    if seconds:
        holder = clock.holder or "system"
        clock.held_s[holder] = clock.held_s.get(holder, 0) + seconds
    clock.running_since = e.at if clock.status is ClockStatus.RUNNING else None
    if "holder" in e.data:
        clock.holder = e.data["holder"]


def _sla_paused(state: CaseState, e: Event) -> None:
    clock = _clock(state, e)
    clock.status = ClockStatus.PAUSED
    clock.running_since = None


def _sla_resumed(state: CaseState, e: Event) -> None:
    clock = _clock(state, e)
    clock.status = ClockStatus.RUNNING
    clock.running_since = e.at


def _sla_threshold(state: CaseState, e: Event) -> None:
    clock = _clock(state, e)
    if "next_threshold" in e.data:
        clock.next_threshold = max(clock.next_threshold, e.data["next_threshold"])
    if e.type is EventType.SLA_BREACHED:
        clock.breached = True


def _escalation_raised(state: CaseState, e: Event) -> None:
    if e.data.get("clock") in state.clocks:
        _sla_threshold(state, e)
    state.escalation_level = max(state.escalation_level, e.data["level"])


def _sla_stopped(state: CaseState, e: Event) -> None:
    clock = _clock(state, e)
    clock.status = ClockStatus(e.data["status"])
    clock.running_since = None


def _nothing(state: CaseState, e: Event) -> None:
    return None


_APPLY: dict[EventType, Callable[[CaseState, Event], None]] = {
    EventType.CASE_COMPLETED: _closed(CaseStatus.COMPLETED),
    EventType.CASE_TERMINATED: _closed(CaseStatus.TERMINATED),
    EventType.CASE_CANCELLED: _closed(CaseStatus.CANCELLED),
    EventType.CASE_REOPENED: _case_reopened,
    EventType.CASE_HELD: _case_held,
    EventType.CASE_RESUMED: _case_resumed,
    EventType.COMMENT_ADDED: _mark_response,
    EventType.TOKEN_CREATED: _token_created,
    EventType.TOKEN_MOVED: _token_moved,
    EventType.TOKEN_CONSUMED: _token_consumed,
    EventType.JOIN_ARRIVED: _join_arrived,
    EventType.JOIN_FIRED: _join_fired,
    EventType.TASK_CREATED: _task_created,
    EventType.TASK_ASSIGNED: _task_assigned,
    EventType.TASK_CLAIMED: _task_claimed,
    EventType.TASK_RELEASED: _task_released,
    EventType.TASK_COMPLETED: _task_completed,
    EventType.TASK_CANCELLED: _task_cancelled,
    EventType.JOB_FAILED: _job_failed,
    EventType.INCIDENT_RAISED: _incident_raised,
    EventType.CHILD_REQUESTED: _child_requested,
    EventType.TIMER_SCHEDULED: _timer_scheduled,
    EventType.TIMER_FIRED: _timer_gone,
    EventType.TIMER_CANCELLED: _timer_gone,
    EventType.MESSAGE_RECEIVED: _message_received,
    EventType.ESCALATION_THROWN: _nothing,
    EventType.SLA_STARTED: _sla_started,
    EventType.SLA_ACCRUED: _sla_accrued,
    EventType.SLA_PAUSED: _sla_paused,
    EventType.SLA_RESUMED: _sla_resumed,
    EventType.SLA_WARNING: _sla_threshold,
    EventType.SLA_BREACHED: _sla_threshold,
    EventType.SLA_MET: _sla_stopped,
    EventType.SLA_STOPPED: _sla_stopped,
    EventType.ESCALATION_RAISED: _escalation_raised,
}


def evolve(state: CaseState | None, event: Event) -> CaseState:
    """Apply ``event`` to ``state`` in place (a new state for ``case.opened``) and return it."""
    if event.type is EventType.CASE_OPENED:
        return _case_opened(state, event)
    if state is None:
        raise InvalidCommandError(f"event {event.type} for case {event.case_id} before case.opened")
    _APPLY[event.type](state, event)
    return state


def replay(events: Iterable[Event]) -> CaseState | None:
    """Rebuild a case from its events, oldest first."""
    state: CaseState | None = None
    for event in events:
        state = evolve(state, event)
    return state
