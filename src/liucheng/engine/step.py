"""``step(state, command, now, ctx) -> (state, events)``: the whole engine behind one pure function."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from liucheng.core.clock import require_aware
from liucheng.core.errors import ConflictError, InvalidCommandError, NotFoundError, ValidationError
from liucheng.engine import flow, sla
from liucheng.engine.commands import (
    AddComment,
    CancelCase,
    ChildCaseEnded,
    ClaimTask,
    Command,
    CompleteServiceTask,
    CompleteTask,
    FailServiceTask,
    FireTimer,
    OpenCase,
    PutOnHold,
    ReassignTask,
    ReceiveMessage,
    ReleaseTask,
    ReopenCase,
    Resume,
)
from liucheng.engine.context import EngineContext
from liucheng.engine.events import Event, EventType, Lifecycle
from liucheng.engine.forms import validate_form
from liucheng.engine.policy import FIRST_RESPONSE
from liucheng.engine.run import Run
from liucheng.engine.state import CaseState, CaseStatus, Task, TaskStatus, clone_state
from liucheng.process.spec import HUMAN_TASK_KINDS, Element, ElementKind

#: Seconds before a failed webhook call is tried again: 10 s, 20 s, 40 s, ...
RETRY_BASE_S = 10
#: Column sizes in the store; checked here so a bad value fails with a clear message, not a SQL error.
MAX_CASE_ID = 64
MAX_CUSTOMER = 200


def step(
    state: CaseState | None, command: Command, now: datetime, ctx: EngineContext, *, owned: bool = False
) -> tuple[CaseState, list[Event]]:
    """Apply ``command`` at ``now``; return the new state and the events that led to it.

    ``state`` is not modified: the engine works on a deep copy. Folding the returned events onto
    ``state`` with ``evolve`` gives the returned state. A caller that hands its state over
    (``owned=True``: it was just decoded from storage, or the caller keeps only the result) saves
    that copy; the state passed in must then not be used again, whether ``step`` returns or raises.
    """
    now = require_aware(now, "now")
    if isinstance(command, OpenCase):
        if state is not None:
            raise ConflictError(f"case {command.case_id} already exists")
        run = Run(None, ctx, now, command.by, case_id=command.case_id)
        _open(run, command)
    else:
        if state is None:
            raise InvalidCommandError(f"{type(command).__name__} needs an existing case")
        definition = ctx.definitions(state.process_key, state.process_version)
        run = Run(state if owned else clone_state(state), ctx, now, command.by, definition)
        handler = _HANDLERS.get(type(command))
        if handler is None:
            raise InvalidCommandError(f"unknown command {type(command).__name__}")
        handler(run, command)
    _finish(run)
    return run.state, run.events


def _finish(run: Run) -> None:
    state = run.state
    if state.is_closed:
        return
    flow.settle_inclusive_joins(run)
    if not run.state.tokens and not run.state.joins:
        sla.stop_all(run, cancelled=False)
        run.emit(EventType.CASE_COMPLETED, activity="Case closed", lifecycle=Lifecycle.COMPLETE)
        return
    sla.update_holders(run)


# -- helpers --------------------------------------------------------------------------------------
def _task(run: Run, task_id: str, *, active: bool = True) -> Task:
    task = run.state.tasks.get(task_id)
    if task is None:
        raise NotFoundError("task", task_id)
    if active and task.status not in (TaskStatus.OPEN, TaskStatus.CLAIMED):
        raise ConflictError(f"task {task_id} is {task.status.value}, not open", hint="refresh the task list")
    return task


def _human(run: Run, task: Task) -> Element:
    element = run.definition.element(task.element_id)
    if element.kind not in HUMAN_TASK_KINDS:
        raise InvalidCommandError(
            f"task {task.id} is a {element.kind.value}; people work only on user and manual tasks"
        )
    return element


def _require_open_case(run: Run) -> None:
    if run.state.is_closed:
        raise InvalidCommandError(f"case {run.state.case_id} is {run.state.status.value}", hint="reopen it first")


def _first_response(run: Run) -> dict[str, Any]:
    if run.state.first_response_at is None and run.by != "system":
        return {"first_response": True}
    return {}


def _after_response(run: Run, flags: dict[str, Any]) -> None:
    if flags:
        sla.stop_clock(run, FIRST_RESPONSE)


def _claim(run: Run, task: Task) -> None:
    flags = _first_response(run)
    run.task_event(
        EventType.TASK_CLAIMED,
        task,
        Lifecycle.START,
        resource=run.by,
        **flags,
    )
    _after_response(run, flags)


def _leave_task(run: Run, task: Task) -> None:
    element = run.definition.element(task.element_id)
    flow.end_task(run, task, cancelled=False)
    flow.leave(run, task.token_id, element)


# -- handlers -------------------------------------------------------------------------------------
def _open(run: Run, cmd: OpenCase) -> None:
    ctx = run.ctx
    definition = ctx.definitions(cmd.process_key, None)
    if cmd.category not in ctx.categories:
        raise ValidationError(
            f"unknown category {cmd.category!r}", where="category", hint=f"use one of {sorted(ctx.categories)}"
        )
    if cmd.priority not in ctx.priorities:
        raise ValidationError(
            f"unknown priority {cmd.priority!r}", where="priority", hint=f"use one of {list(ctx.priorities)}"
        )
    if not 0 < len(cmd.case_id) <= MAX_CASE_ID or not cmd.case_id.isprintable() or " " in cmd.case_id:
        raise ValidationError(
            f"case id {cmd.case_id[:80]!r} is not usable",
            where="case_id",
            hint=f"use 1 to {MAX_CASE_ID} printable characters without spaces",
        )
    if cmd.customer is not None and len(cmd.customer) > MAX_CUSTOMER:
        raise ValidationError(
            f"customer reference is {len(cmd.customer)} characters long",
            where="customer",
            hint=f"keep it to {MAX_CUSTOMER} characters: a phone number or customer id",
        )
    if not definition.start_events:
        raise InvalidCommandError(f"process {definition.ref} has no start event")
    run.definition = definition
    run.emit(
        EventType.CASE_OPENED,
        activity="Case opened",
        lifecycle=Lifecycle.COMPLETE,
        resource=cmd.by,
        process_key=definition.key,
        process_version=definition.version,
        category=cmd.category,
        priority=cmd.priority,
        customer=cmd.customer,
        title=cmd.title,
        data=dict(cmd.data),
        parent_case_id=cmd.parent_case_id,
        parent_task_id=cmd.parent_task_id,
    )
    for start_event in definition.start_events:
        flow.start(run, start_event)
    sla.start_case_clocks(run)


def _claim_cmd(run: Run, cmd: ClaimTask) -> None:
    _require_open_case(run)
    task = _task(run, cmd.task_id)
    _human(run, task)
    if task.status is TaskStatus.CLAIMED:
        raise ConflictError(
            f"task {task.id} is already claimed by {task.assignee}",
            hint="ask a team lead to reassign it if it is stuck",
        )
    if task.assignee and task.assignee != run.by:
        raise ConflictError(f"task {task.id} is assigned to {task.assignee}", hint="ask a team lead to reassign it")
    _claim(run, task)


def _release(run: Run, cmd: ReleaseTask) -> None:
    task = _task(run, cmd.task_id)
    if task.status is not TaskStatus.CLAIMED:
        raise InvalidCommandError(f"task {task.id} is not claimed")
    if task.assignee != run.by:
        raise ConflictError(f"task {task.id} is claimed by {task.assignee}, not {run.by}")
    run.task_event(
        EventType.TASK_RELEASED,
        task,
        Lifecycle.SUSPEND,
        resource=run.by,
    )


def _reassign(run: Run, cmd: ReassignTask) -> None:
    _require_open_case(run)
    task = _task(run, cmd.task_id)
    _human(run, task)
    if (cmd.to_user is None) == (cmd.to_group is None):
        raise ValidationError("give exactly one of to_user and to_group", where="reassign")
    data: dict[str, Any] = {"assignee": cmd.to_user}
    if cmd.to_group is not None:
        data["lane"] = cmd.to_group
    lifecycle = Lifecycle.ASSIGN if task.assignee is None and cmd.to_user else Lifecycle.REASSIGN
    run.task_event(
        EventType.TASK_ASSIGNED,
        task,
        lifecycle,
        resource=cmd.to_user,
        group=cmd.to_group or task.lane,
        by=run.by,
        **data,
    )


def _complete(run: Run, cmd: CompleteTask) -> None:
    _require_open_case(run)
    task = _task(run, cmd.task_id)
    element = _human(run, task)
    if task.status is TaskStatus.CLAIMED and task.assignee != run.by:
        raise ConflictError(f"task {task.id} is claimed by {task.assignee}", hint="only the claimant completes it")
    if task.status is TaskStatus.OPEN:
        if task.assignee and task.assignee != run.by:
            raise ConflictError(f"task {task.id} is assigned to {task.assignee}")
        _claim(run, task)
        task = run.state.tasks[task.id]
    form = validate_form(element, cmd.form)
    flags = _first_response(run)
    run.task_event(
        EventType.TASK_COMPLETED,
        task,
        Lifecycle.COMPLETE,
        resource=run.by,
        form=form,
        **flags,
    )
    _after_response(run, flags)
    _leave_task(run, run.state.tasks[task.id])


def _comment(run: Run, cmd: AddComment) -> None:
    if not cmd.text.strip():
        raise ValidationError("a comment needs text", where="text")
    flags = _first_response(run) if cmd.public else {}
    run.emit(EventType.COMMENT_ADDED, resource=run.by, text=cmd.text, public=cmd.public, **flags)
    _after_response(run, flags)


def _hold(run: Run, cmd: PutOnHold) -> None:
    if run.state.status is not CaseStatus.OPEN:
        raise InvalidCommandError(f"case {run.state.case_id} is {run.state.status.value}, not open")
    run.emit(
        EventType.CASE_HELD,
        activity="Waiting on customer",
        lifecycle=Lifecycle.START,
        resource=run.by,
        reason=cmd.reason,
    )
    sla.pause_all(run)


def _resume_case(run: Run) -> None:
    run.emit(EventType.CASE_RESUMED, activity="Waiting on customer", lifecycle=Lifecycle.COMPLETE, resource=run.by)
    sla.resume_all(run)


def _resume(run: Run, cmd: Resume) -> None:
    if run.state.status is not CaseStatus.ON_HOLD:
        raise InvalidCommandError(f"case {run.state.case_id} is not on hold")
    _resume_case(run)


def _fire_timer(run: Run, cmd: FireTimer) -> None:
    timer = run.state.timers.get(cmd.timer_id)
    if timer is None:
        raise ConflictError(f"timer {cmd.timer_id} is not pending (fired or cancelled already)")
    if timer.due_at > run.now:
        raise InvalidCommandError(f"timer {timer.id} is not due until {timer.due_at.isoformat()}")
    element = run.definition.elements.get(timer.element_id or "")
    run.emit(
        EventType.TIMER_FIRED,
        activity=element.label if element is not None else None,
        lifecycle=Lifecycle.COMPLETE if element is not None else None,
        task_id=timer.task_id,
        element_id=timer.element_id,
        timer_id=timer.id,
    )
    if timer.purpose == "sla":
        sla.threshold_reached(run, timer)
    elif timer.purpose == "element":
        assert element is not None and timer.token_id is not None
        _catch(run, timer.token_id, element)
    else:
        assert element is not None and timer.task_id is not None
        _boundary(run, run.state.tasks[timer.task_id], element)
        if not element.cancel_activity and timer.remaining not in (None, 0):
            assert element.timer is not None and element.timer.duration_s is not None
            due = timer.due_at + timedelta(seconds=element.timer.duration_s)
            remaining = timer.remaining - 1 if timer.remaining and timer.remaining > 0 else -1
            run.schedule_timer(
                due,
                purpose="boundary",
                element_id=element.id,
                token_id=timer.token_id,
                task_id=timer.task_id,
                remaining=remaining,
            )


def _catch(run: Run, token_id: str, catch: Element) -> None:
    """The token waiting at ``catch`` (or at the event-based gateway before it) goes on."""
    token = run.state.tokens[token_id]
    waited_here = run.definition.element(token.element_id)
    if run.state.status is CaseStatus.ON_HOLD and _waits_on_customer(run, waited_here):
        _resume_case(run)
    if token.element_id != catch.id:  # raced at an event-based gateway: the other branches lose
        run.cancel_timers(lambda t: t.token_id == token_id and t.purpose == "element")
        gateway = run.definition.element(token.element_id)
        via = next(run.definition.flow(f) for f in gateway.outgoing if run.definition.flow(f).target == catch.id)
        run.emit(EventType.TOKEN_MOVED, element_id=catch.id, token_id=token_id, flow_id=via.id)
    flow.leave(run, token_id, catch)


def _waits_on_customer(run: Run, element: Element) -> bool:
    if element.kind is ElementKind.EVENT_BASED_GATEWAY:
        targets = [run.definition.element(run.definition.flow(f).target) for f in element.outgoing]
        return any(t.waits_on_customer for t in targets)
    return element.waits_on_customer


def _boundary(run: Run, task: Task, boundary: Element) -> None:
    if boundary.cancel_activity:
        flow.end_task(run, task, cancelled=True, reason=f"interrupted by {boundary.id}")
        run.emit(EventType.TOKEN_MOVED, element_id=boundary.id, token_id=task.token_id)
        flow.leave(run, task.token_id, boundary)
    else:
        for out in flow.choose_flows(run, boundary, exclusive=False):
            flow.spawn(run, out)


def _message(run: Run, cmd: ReceiveMessage) -> None:
    _require_open_case(run)
    definition = run.definition
    target: tuple[str, Element] | None = None
    for token in run.state.tokens.values():
        here = definition.element(token.element_id)
        if here.kind is ElementKind.MESSAGE_CATCH and here.message == cmd.name:
            target = (token.id, here)
        elif here.kind is ElementKind.EVENT_BASED_GATEWAY:
            for flow_id in here.outgoing:
                catch = definition.element(definition.flow(flow_id).target)
                if catch.kind is ElementKind.MESSAGE_CATCH and catch.message == cmd.name:
                    target = (token.id, catch)
        if target:
            break
    boundary_hit: tuple[Task, Element] | None = None
    if target is None:
        for task in run.state.active_tasks():
            for b in definition.boundaries.get(task.element_id, ()):
                if b.kind is ElementKind.BOUNDARY_MESSAGE and b.message == cmd.name:
                    boundary_hit = (task, b)
    if target is None and boundary_hit is None:
        raise InvalidCommandError(
            f"nothing in case {run.state.case_id} waits for message {cmd.name!r}",
            hint="check the message name against the model's message catch events",
        )
    label = target[1].label if target else boundary_hit[1].label  # type: ignore[index]
    run.emit(
        EventType.MESSAGE_RECEIVED,
        activity=label,
        lifecycle=Lifecycle.COMPLETE,
        resource=run.by,
        element_id=target[1].id if target else boundary_hit[1].id,  # type: ignore[index]
        name=cmd.name,
        data=dict(cmd.data),
    )
    if run.state.status is CaseStatus.ON_HOLD:
        _resume_case(run)
    if target:
        _catch(run, *target)
    else:
        _boundary(run, *boundary_hit)  # type: ignore[misc]


def _service_task(run: Run, task_id: str) -> tuple[Task, Element]:
    task = _task(run, task_id)
    element = run.definition.element(task.element_id)
    if element.kind is not ElementKind.SERVICE_TASK:
        raise InvalidCommandError(f"task {task.id} is not a service task")
    return task, element


def _service_done(run: Run, cmd: CompleteServiceTask) -> None:
    task, _ = _service_task(run, cmd.task_id)
    run.task_event(
        EventType.TASK_COMPLETED,
        task,
        Lifecycle.COMPLETE,
        form=dict(cmd.data),
    )
    _leave_task(run, run.state.tasks[task.id])


def _service_failed(run: Run, cmd: FailServiceTask) -> None:
    task, element = _service_task(run, cmd.task_id)
    attempts = task.attempts + 1
    retries = element.webhook.retries if element.webhook else 0
    if attempts <= retries:
        retry_at = run.now + timedelta(seconds=RETRY_BASE_S * 2 ** (attempts - 1))
        run.task_event(
            EventType.JOB_FAILED,
            task,
            None,
            attempts=attempts,
            error=cmd.error,
            retry_at=retry_at.isoformat(),
        )
    else:
        run.task_event(
            EventType.INCIDENT_RAISED,
            task,
            None,
            attempts=attempts,
            error=cmd.error,
        )


def _child_ended(run: Run, cmd: ChildCaseEnded) -> None:
    task = _task(run, cmd.task_id)
    if task.child_case_id != cmd.child_case_id:
        raise ConflictError(f"task {task.id} waits for case {task.child_case_id}, not {cmd.child_case_id}")
    element = run.definition.element(task.element_id)
    if cmd.outcome in ("completed", "terminated"):
        run.task_event(
            EventType.TASK_COMPLETED,
            task,
            Lifecycle.COMPLETE,
            form=dict(cmd.data),
            child_outcome=cmd.outcome,
        )
        _leave_task(run, run.state.tasks[task.id])
    elif cmd.outcome == "escalated":
        for b in run.definition.boundaries.get(element.id, ()):
            if b.kind is ElementKind.BOUNDARY_ESCALATION and b.escalation_code in (None, cmd.escalation_code):
                _boundary(run, task, b)
                return
        run.emit(EventType.ESCALATION_THROWN, element_id=element.id, code=cmd.escalation_code, uncaught=True)
    else:
        run.task_event(
            EventType.INCIDENT_RAISED,
            task,
            None,
            error=f"called case {cmd.child_case_id} ended {cmd.outcome}",
        )


def _cancel(run: Run, cmd: CancelCase) -> None:
    _require_open_case(run)
    flow.cancel_everything(run, reason=cmd.reason or "cancelled")
    sla.stop_all(run, cancelled=True)
    run.emit(
        EventType.CASE_CANCELLED,
        activity="Case cancelled",
        lifecycle=Lifecycle.COMPLETE,
        resource=run.by,
        reason=cmd.reason,
    )


def _reopen(run: Run, cmd: ReopenCase) -> None:
    if run.state.status not in (CaseStatus.COMPLETED, CaseStatus.TERMINATED):
        raise InvalidCommandError(
            f"only a closed case can be reopened; {run.state.case_id} is {run.state.status.value}"
        )
    target_id = run.definition.reopen_target
    if target_id is None:
        done = [
            t
            for t in run.state.tasks.values()
            if t.status is TaskStatus.COMPLETED and run.definition.element(t.element_id).kind in HUMAN_TASK_KINDS
        ]
        if not done:
            raise InvalidCommandError("the case has no completed task to return to", hint="set liucheng:reopenTarget")
        target_id = max(done, key=lambda t: (t.ended_at, t.id)).element_id
    run.emit(
        EventType.CASE_REOPENED,
        activity="Case reopened",
        lifecycle=Lifecycle.COMPLETE,
        resource=run.by,
        reason=cmd.reason,
    )
    sla.reopen_resolution(run)
    flow.start(run, run.definition.element(target_id))


_HANDLERS: dict[type, Callable[[Run, Any], None]] = {
    ClaimTask: _claim_cmd,
    ReleaseTask: _release,
    ReassignTask: _reassign,
    CompleteTask: _complete,
    AddComment: _comment,
    PutOnHold: _hold,
    Resume: _resume,
    FireTimer: _fire_timer,
    ReceiveMessage: _message,
    CompleteServiceTask: _service_done,
    FailServiceTask: _service_failed,
    ChildCaseEnded: _child_ended,
    CancelCase: _cancel,
    ReopenCase: _reopen,
}
