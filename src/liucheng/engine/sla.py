"""SLA clocks on the business calendar: start, pause, resume, stop, warnings, breach, escalation.

A clock counts business seconds. ``elapsed_s`` holds what was counted up to ``running_since``;
the next threshold (a fraction of the target) is one timer, rescheduled whenever the clock
pauses, resumes or changes hands.
"""

from __future__ import annotations

import math

from liucheng.engine.events import EventType, Lifecycle
from liucheng.engine.policy import CASE_CLOCKS, FIRST_RESPONSE, SlaPolicy
from liucheng.engine.run import Run
from liucheng.engine.state import ACTIVE_TASK_STATUSES, ClockStatus, SlaClock, Timer
from liucheng.process.spec import HUMAN_TASK_KINDS

STEP_PREFIX = "step:"
SYSTEM_HOLDER = "system"


def current_holder(run: Run) -> str:
    """The department holding the case: the lane of its oldest active task."""
    active = [t for t in run.state.tasks.values() if t.status in ACTIVE_TASK_STATUSES]
    if not active:
        return SYSTEM_HOLDER
    oldest = min(active, key=lambda t: (t.created_at, t.id))
    return oldest.lane or (oldest.candidate_groups[0] if oldest.candidate_groups else "unassigned")


def start_case_clocks(run: Run) -> None:
    policy = run.policy
    if policy is None:
        return
    target = policy.target(run.state.category, run.state.priority)
    if target is None:
        return
    for name in CASE_CLOCKS:
        seconds = target.for_clock(name)
        if seconds:
            start_clock(run, name, seconds, policy.thresholds(name), holder=current_holder(run))


def start_step_clock(run: Run, task_id: str, target_s: int, holder: str | None) -> None:
    policy = run.policy
    warn = policy.warn_fractions if policy else (0.5, 0.75)
    thresholds = sorted({f for f in warn if 0 < f < 1} | {1.0})
    start_clock(run, STEP_PREFIX + task_id, target_s, thresholds, task_id=task_id, holder=holder)


def start_clock(
    run: Run,
    name: str,
    target_s: int,
    thresholds: list[float],
    *,
    task_id: str | None = None,
    holder: str | None = None,
) -> None:
    run.emit(
        EventType.SLA_STARTED,
        task_id=task_id,
        clock=name,
        target_s=target_s,
        thresholds=thresholds,
        holder=holder,
    )
    if run.state.status == "on_hold" and _pauses(run):
        run.emit(EventType.SLA_PAUSED, task_id=task_id, clock=name)
        return
    schedule_next(run, run.state.clocks[name])


def _pauses(run: Run) -> bool:
    policy = run.policy
    return policy.pause_on_hold if policy else True


def schedule_next(run: Run, clock: SlaClock) -> None:
    if clock.status is not ClockStatus.RUNNING or clock.next_threshold >= len(clock.thresholds):
        return
    assert clock.running_since is not None
    needed_s = math.ceil(clock.target_s * clock.thresholds[clock.next_threshold])
    due = run.calendar.add_business_seconds(clock.running_since, max(0, needed_s - clock.elapsed_s))
    run.schedule_timer(due, purpose="sla", clock=clock.name, task_id=clock.task_id)


def _cancel_clock_timer(run: Run, clock: SlaClock) -> None:
    run.cancel_timers(lambda t: t.purpose == "sla" and t.clock == clock.name)


def accrue(run: Run, clock: SlaClock, *, new_holder: str | None = None) -> None:
    """Count the business seconds since ``running_since`` into the clock (and its holder)."""
    if clock.status is not ClockStatus.RUNNING or clock.running_since is None:
        return
    seconds = run.calendar.business_seconds(clock.running_since, run.now)
    extra = {"holder": new_holder} if new_holder is not None else {}
    run.emit(EventType.SLA_ACCRUED, task_id=clock.task_id, clock=clock.name, seconds=seconds, **extra)


def pause_all(run: Run) -> None:
    if not _pauses(run):
        return
    for clock in list(run.state.clocks.values()):
        if clock.status is ClockStatus.RUNNING:
            accrue(run, clock)
            run.emit(EventType.SLA_PAUSED, task_id=clock.task_id, clock=clock.name)
            _cancel_clock_timer(run, clock)


def resume_all(run: Run) -> None:
    for clock in list(run.state.clocks.values()):
        if clock.status is ClockStatus.PAUSED:
            run.emit(EventType.SLA_RESUMED, task_id=clock.task_id, clock=clock.name)
            schedule_next(run, run.state.clocks[clock.name])


def stop_clock(run: Run, name: str, *, cancelled: bool = False) -> None:
    clock = run.state.clocks.get(name)
    if clock is None or clock.status not in (ClockStatus.RUNNING, ClockStatus.PAUSED):
        return
    accrue(run, clock)
    clock = run.state.clocks[name]
    if cancelled:
        status = ClockStatus.STOPPED
    elif clock.breached or clock.elapsed_s > clock.target_s:
        status = ClockStatus.MISSED
    else:
        status = ClockStatus.MET
    run.emit(
        EventType.SLA_MET if status is not ClockStatus.STOPPED else EventType.SLA_STOPPED,
        task_id=clock.task_id,
        clock=name,
        status=status.value,
        elapsed_s=clock.elapsed_s,
        target_s=clock.target_s,
    )
    _cancel_clock_timer(run, clock)


def stop_all(run: Run, *, cancelled: bool) -> None:
    for name in list(run.state.clocks):
        stop_clock(run, name, cancelled=cancelled)


def reopen_resolution(run: Run) -> None:
    for clock in list(run.state.clocks.values()):
        if clock.task_id is None and clock.name != FIRST_RESPONSE and clock.status in (
            ClockStatus.MET,
            ClockStatus.MISSED,
        ):
            run.emit(EventType.SLA_RESUMED, clock=clock.name, reopened=True)
            schedule_next(run, run.state.clocks[clock.name])


def update_holders(run: Run) -> None:
    """Hand running clocks to the department now holding the case (or the step's task)."""
    case_holder = current_holder(run)
    for clock in list(run.state.clocks.values()):
        if clock.status is not ClockStatus.RUNNING:
            continue
        if clock.task_id is None:
            holder = case_holder
        else:
            task = run.state.tasks[clock.task_id]
            holder = task.lane or "unassigned"
        if holder != clock.holder:
            accrue(run, clock, new_holder=holder)


def threshold_reached(run: Run, timer: Timer) -> None:
    clock = run.state.clocks[timer.clock or ""]
    index = clock.next_threshold
    fraction = clock.thresholds[index]
    accrue(run, clock)
    emitted = False
    if fraction < 1.0:
        run.emit(
            EventType.SLA_WARNING, task_id=clock.task_id, clock=clock.name, fraction=fraction, next_threshold=index + 1
        )
        emitted = True
    elif fraction == 1.0:
        run.emit(EventType.SLA_BREACHED, task_id=clock.task_id, clock=clock.name, next_threshold=index + 1)
        emitted = True
    policy = run.policy
    if clock.task_id is None and policy is not None:
        for level in policy.escalations_at(clock.name, fraction):
            _escalate(run, policy, level.level, level.role, clock.name, fraction, index + 1, level.reassign)
            emitted = True
    if not emitted:  # a threshold nothing listens to any more (policy changed): move on
        run.emit(EventType.SLA_WARNING, clock=clock.name, fraction=fraction, next_threshold=index + 1)
    schedule_next(run, run.state.clocks[clock.name])


def _escalate(
    run: Run, policy: SlaPolicy, level: int, role: str, clock: str, fraction: float, nxt: int, reassign: bool
) -> None:
    run.emit(
        EventType.ESCALATION_RAISED,
        group=role,
        clock=clock,
        level=level,
        role=role,
        fraction=fraction,
        next_threshold=nxt,
        policy=policy.name,
    )
    if not reassign:
        return
    for task in run.state.active_tasks():
        if task.kind in HUMAN_TASK_KINDS and task.lane != role:
            run.task_event(
                EventType.TASK_ASSIGNED,
                task,
                Lifecycle.REASSIGN,
                group=role,
                lane=role,
                assignee=None,
                reason=f"escalation level {level}",
            )
