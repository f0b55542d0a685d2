"""Tokens through the model: entering elements, gateways and joins, tasks and their boundaries."""

from __future__ import annotations

from liucheng.core.errors import LiuchengError
from liucheng.engine import sla
from liucheng.engine.events import EventType, Lifecycle
from liucheng.engine.run import MAX_PASSES, Run
from liucheng.engine.state import ACTIVE_TASK_STATUSES, CaseStatus, Task, TaskStatus
from liucheng.process.spec import ACTIVITY_KINDS, Element, ElementKind, SequenceFlow, TimerKind


class ProcessRuntimeError(LiuchengError):
    """The model cannot go on for this case (no flow matched, a loop without a wait state)."""

    code = "process_runtime"

    def __init__(self, message: str, *, element_id: str, hint: str | None = None) -> None:
        super().__init__(f"{element_id}: {message}", hint=hint)
        self.element_id = element_id


# -- moving ---------------------------------------------------------------------------------------
def start(run: Run, element: Element) -> None:
    n = run.next_number()
    token_id = f"k{n}"
    run.emit(EventType.TOKEN_CREATED, element_id=element.id, token_id=token_id, n=n)
    enter(run, token_id, element, None)


def move(run: Run, token_id: str, flow: SequenceFlow) -> None:
    target = run.definition.element(flow.target)
    if target.kind in ACTIVITY_KINDS:
        # The task.created event that follows at once moves the token too: one row, not two.
        create_task(run, token_id, target, via=flow)
        return
    run.emit(EventType.TOKEN_MOVED, element_id=target.id, token_id=token_id, flow_id=flow.id)
    enter(run, token_id, target, flow)


def spawn(run: Run, flow: SequenceFlow) -> None:
    """A new token on ``flow`` (forks, non-interrupting boundaries)."""
    target = run.definition.element(flow.target)
    n = run.next_number()
    token_id = f"k{n}"
    run.emit(EventType.TOKEN_CREATED, element_id=target.id, token_id=token_id, flow_id=flow.id, n=n)
    enter(run, token_id, target, flow)


def leave(run: Run, token_id: str, element: Element) -> None:
    """Send the token on along the element's outgoing flows (several = an implicit fork)."""
    flows = choose_flows(run, element, exclusive=element.kind is ElementKind.EXCLUSIVE_GATEWAY)
    if not flows:
        consume(run, token_id, element)
        return
    first, *rest = flows
    for flow in rest:
        spawn(run, flow)
    move(run, token_id, first)


def consume(run: Run, token_id: str, element: Element) -> None:
    run.emit(EventType.TOKEN_CONSUMED, element_id=element.id, token_id=token_id)


def choose_flows(run: Run, element: Element, *, exclusive: bool) -> list[SequenceFlow]:
    definition = run.definition
    flows = [definition.flow(f) for f in element.outgoing]
    if element.kind is ElementKind.PARALLEL_GATEWAY:
        return flows
    chosen: list[SequenceFlow] = []
    data = None
    for flow in flows:
        if flow.id == element.default_flow:
            continue
        if flow.condition is None:
            chosen.append(flow)
        else:
            if data is None:
                data = run.condition_data()
            if run.ctx.evaluate(definition, flow, data):
                chosen.append(flow)
        if exclusive and chosen:
            return chosen
    if not chosen and element.default_flow:
        chosen.append(definition.flow(element.default_flow))
    if not chosen and flows:
        raise ProcessRuntimeError(
            "no outgoing flow's condition holds and there is no default flow",
            element_id=element.id,
            hint="mark one outgoing flow as the default in the modeler",
        )
    return chosen


# -- entering -------------------------------------------------------------------------------------
def enter(run: Run, token_id: str, element: Element, via: SequenceFlow | None) -> None:
    run.passes += 1
    if run.passes > MAX_PASSES:
        raise ProcessRuntimeError(
            "the case loops without ever waiting", element_id=element.id, hint="put a task or timer in the loop"
        )
    kind = element.kind
    if kind in (ElementKind.START_EVENT, ElementKind.NONE_THROW, ElementKind.ESCALATION_THROW):
        if element.escalation_code is not None or kind is ElementKind.ESCALATION_THROW:
            _throw_escalation(run, element)
        leave(run, token_id, element)
    elif kind is ElementKind.END_EVENT:
        _end(run, token_id, element)
    elif kind in ACTIVITY_KINDS:
        create_task(run, token_id, element)
    elif kind is ElementKind.EXCLUSIVE_GATEWAY:
        leave(run, token_id, element)
    elif kind is ElementKind.PARALLEL_GATEWAY or kind is ElementKind.INCLUSIVE_GATEWAY:
        if len(element.incoming) > 1:
            assert via is not None
            run.emit(EventType.JOIN_ARRIVED, element_id=element.id, token_id=token_id, flow_id=via.id)
            try_join(run, element)
        else:
            leave(run, token_id, element)
    elif kind is ElementKind.EVENT_BASED_GATEWAY:
        for flow_id in element.outgoing:
            target = run.definition.element(run.definition.flow(flow_id).target)
            if target.kind is ElementKind.TIMER_CATCH:
                _schedule_element_timer(run, target, token_id, purpose="element")
        _hold_if_customer(run, [run.definition.element(run.definition.flow(f).target) for f in element.outgoing])
    elif kind is ElementKind.TIMER_CATCH:
        _schedule_element_timer(run, element, token_id, purpose="element")
    elif kind is ElementKind.MESSAGE_CATCH:
        _hold_if_customer(run, [element])
    else:  # boundaries are entered only by firing, through ``leave``
        raise ProcessRuntimeError(f"cannot enter a {kind}", element_id=element.id)


def _end(run: Run, token_id: str, element: Element) -> None:
    consume(run, token_id, element)
    if element.escalation_code is not None:
        _throw_escalation(run, element)
    if element.terminate:
        cancel_everything(run, reason=f"terminated at {element.id}")
        sla.stop_all(run, cancelled=False)
        run.emit(EventType.CASE_TERMINATED, activity="Case closed", lifecycle=Lifecycle.COMPLETE, element_id=element.id)


def _throw_escalation(run: Run, element: Element) -> None:
    run.emit(
        EventType.ESCALATION_THROWN,
        activity=element.label,
        lifecycle=Lifecycle.COMPLETE,
        element_id=element.id,
        code=element.escalation_code,
    )


def _hold_if_customer(run: Run, elements: list[Element]) -> None:
    if run.state.status is CaseStatus.OPEN and any(e.waits_on_customer for e in elements):
        run.emit(
            EventType.CASE_HELD,
            activity="Waiting on customer",
            lifecycle=Lifecycle.START,
            reason="waiting on customer",
        )
        sla.pause_all(run)


def _schedule_element_timer(
    run: Run, element: Element, token_id: str | None, *, purpose: str, task: Task | None = None
) -> None:
    timer = element.timer
    assert timer is not None, element.id
    if timer.kind is TimerKind.DATE:
        from liucheng.core.clock import parse_instant

        due = max(parse_instant(timer.expression, element.id), run.now)
    else:
        assert timer.duration_s is not None
        if timer.business_time:
            due = run.calendar.add_business_seconds(run.now, timer.duration_s)
        else:
            from datetime import timedelta

            due = run.now + timedelta(seconds=timer.duration_s)
    remaining = None
    if timer.kind is TimerKind.CYCLE and timer.repeat is not None:
        remaining = timer.repeat - 1
    elif timer.kind is TimerKind.CYCLE:
        remaining = -1  # unbounded
    run.schedule_timer(
        due,
        purpose=purpose,
        element_id=element.id,
        token_id=token_id,
        task_id=task.id if task else None,
        remaining=remaining,
    )


def try_join(run: Run, gateway: Element) -> None:
    arrivals = run.state.joins.get(gateway.id, {})
    if gateway.kind is ElementKind.PARALLEL_GATEWAY:
        if any(arrivals.get(f, 0) == 0 for f in gateway.incoming):
            return
    else:  # inclusive: fire once no live token can still reach this gateway
        if not arrivals:
            return
        reach = run.definition.reachable
        for token in run.state.tokens.values():
            if token.element_id == gateway.id or gateway.id in reach[token.element_id]:
                return
    consumed = [f for f in gateway.incoming if arrivals.get(f, 0) > 0]
    n = run.next_number()
    token_id = f"k{n}"
    run.emit(EventType.JOIN_FIRED, element_id=gateway.id, token_id=token_id, consumed=consumed, n=n)
    leave(run, token_id, gateway)


def settle_inclusive_joins(run: Run) -> None:
    """A token that ends elsewhere can release an inclusive join that was waiting for it."""
    for gateway_id in list(run.state.joins):
        gateway = run.definition.element(gateway_id)
        if gateway.kind is ElementKind.INCLUSIVE_GATEWAY and gateway_id in run.state.joins:
            try_join(run, gateway)


# -- tasks ----------------------------------------------------------------------------------------
def create_task(run: Run, token_id: str, element: Element, *, via: SequenceFlow | None = None) -> None:
    n = run.next_number()
    task_id = f"{run.state.case_id}:{n}"
    policy = run.policy
    step_s = (policy.step_targets_s.get(element.id) if policy else None) or element.step_sla_s
    due_at = run.calendar.add_business_seconds(run.now, step_s) if step_s else None
    lane = element.lane or (element.candidate_groups[0] if element.candidate_groups else None)
    data: dict[str, object] = {"token_id": token_id, "kind": element.kind.value, "n": n}
    if via is not None:
        data["flow_id"] = via.id
    if element.candidate_groups or lane:
        data["candidate_groups"] = list(element.candidate_groups or ([lane] if lane else []))
    if element.skills:
        data["skills"] = list(element.skills)
    if element.assignee:
        data["assignee"] = element.assignee
    if due_at is not None:
        data["due_at"] = due_at.isoformat()
    run.emit(
        EventType.TASK_CREATED,
        activity=element.label,
        lifecycle=Lifecycle.SCHEDULE,
        group=lane,
        task_id=task_id,
        element_id=element.id,
        **data,
    )
    task = run.state.tasks[task_id]
    for boundary in run.definition.boundaries.get(element.id, ()):
        if boundary.kind is ElementKind.BOUNDARY_TIMER:
            _schedule_element_timer(run, boundary, token_id, purpose="boundary", task=task)
    if step_s:
        sla.start_step_clock(run, task_id, step_s, lane)
    if element.kind is ElementKind.CALL_ACTIVITY:
        run.emit(
            EventType.CHILD_REQUESTED,
            task_id=task_id,
            element_id=element.id,
            child_case_id=f"{run.state.case_id}.{n}",
            process_key=element.called_process,
        )


def end_task(run: Run, task: Task, *, cancelled: bool, reason: str = "") -> None:
    """Bookkeeping shared by completion and cancellation: boundary timers and the step clock."""
    run.cancel_timers(lambda t: t.task_id == task.id and t.purpose == "boundary")
    sla.stop_clock(run, sla.STEP_PREFIX + task.id, cancelled=cancelled)
    if cancelled:
        lifecycle = Lifecycle.ATE_ABORT if task.status is TaskStatus.CLAIMED else Lifecycle.WITHDRAW
        run.task_event(
            EventType.TASK_CANCELLED,
            task,
            lifecycle,
            resource=task.assignee,
            reason=reason,
            child_case_id=task.child_case_id,
        )


def cancel_everything(run: Run, *, reason: str) -> None:
    for task in list(run.state.tasks.values()):
        if task.status in ACTIVE_TASK_STATUSES or task.status is TaskStatus.FAILED:
            end_task(run, task, cancelled=True, reason=reason)
    run.cancel_timers(lambda t: t.purpose != "sla")
    for token_id, token in list(run.state.tokens.items()):
        run.emit(EventType.TOKEN_CONSUMED, element_id=token.element_id, token_id=token_id)
    for gateway_id in list(run.state.joins):
        while gateway_id in run.state.joins:
            arrivals = run.state.joins[gateway_id]
            run.emit(EventType.JOIN_FIRED, element_id=gateway_id, token_id="k0", consumed=list(arrivals))
            run.emit(EventType.TOKEN_CONSUMED, element_id=gateway_id, token_id="k0")
