"""Case use cases. Each runs in exactly one unit of work: load, step, save state and events.

A step can set off others in the same transaction: a new task is assigned, a call activity
opens its child case, a finished child case moves its parent on, a cancelled call activity
cancels its child. They all commit together or not at all.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from liucheng.core.errors import InvalidCommandError, LiuchengError, NotFoundError
from liucheng.engine import (
    AddComment,
    CancelCase,
    CaseState,
    ChildCaseEnded,
    ClaimTask,
    Command,
    CompleteTask,
    Event,
    EventType,
    OpenCase,
    PutOnHold,
    ReassignTask,
    ReceiveMessage,
    ReleaseTask,
    ReopenCase,
    Resume,
    step,
)
from liucheng.engine.assignment import Candidate, Strategy, choose_assignee
from liucheng.engine.context import EngineContext
from liucheng.engine.state import ACTIVE_TASK_STATUSES
from liucheng.process.spec import HUMAN_TASK_KINDS
from liucheng.services.platform import Platform
from liucheng.store import UnitOfWork
from liucheng.store.rows import NewerVersionError

#: Follow-up steps one use case may set off (child cases of child cases ...).
MAX_CASCADE = 1000


def new_case_id(now: datetime) -> str:
    return f"C{now:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"


def run_command(
    uow: UnitOfWork,
    ctx: EngineContext,
    platform: Platform,
    case_id: str,
    command: Command,
    now: datetime,
    *,
    observe: Callable[[CaseState, list[Event]], None] | None = None,
    alone: bool = False,
) -> tuple[CaseState, list[Event]]:
    """Apply ``command`` and everything it sets off.

    Returns the case's state after all of it, and every event the case got on the way.
    ``observe`` sees every step saved on the way, of any case (follow-ups included).
    ``alone``: the caller commits the unit of work right after and does nothing else in it, so a
    command that sets nothing off may commit with its own write (see ``CaseRepository.save``).
    """
    queue: deque[tuple[str, Command]] = deque([(case_id, command)])
    latest: CaseState | None = None
    own_events: list[Event] = []
    steps = 0

    def last(state: CaseState, events: list[Event]) -> bool:
        return alone and steps == 1 and not _may_follow_up(uow, platform, state, events)

    while queue:
        steps += 1
        if steps > MAX_CASCADE:
            raise InvalidCommandError("too many follow-up steps; do call activities call each other in a cycle?")
        target, cmd = queue.popleft()
        if isinstance(cmd, OpenCase):
            state, events = step(None, cmd, now, ctx)
            try:
                uow.cases.insert(state, events, now, alone=last(state, events))
            except NewerVersionError:
                # Deployed since this process last looked (nothing was written): open on it.
                platform.forget_latest(cmd.process_key)
                state, events = step(None, cmd, now, ctx)
                uow.cases.insert(state, events, now, alone=last(state, events))
        else:
            state, events = _step_and_save(uow, ctx, target, cmd, now, last)
        if observe is not None:
            observe(state, events)
        if target == case_id:
            latest = state
            own_events.extend(events)
        queue.extend(_follow_ups(uow, ctx, platform, state, events))
    assert latest is not None
    return latest, own_events


def _step_and_save(
    uow: UnitOfWork,
    ctx: EngineContext,
    case_id: str,
    command: Command,
    now: datetime,
    last: Callable[[CaseState, list[Event]], bool],
) -> tuple[CaseState, list[Event]]:
    current, version, remembered = uow.cases.load(case_id)
    try:
        # Freshly decoded and used for nothing else: the engine may work on it directly.
        state, events = step(current, command, now, ctx, owned=True)
        uow.cases.save(state, events, expected_version=version, now=now, alone=last(state, events))
    except LiuchengError:
        if not remembered:
            raise
        # The remembered state was out of date: another process moved the case on since this one
        # saved it (the save wrote nothing). Step again from the row, locked this time; only what
        # the engine says about that state counts.
        current, version = uow.cases.get_for_update(case_id)
        state, events = step(current, command, now, ctx, owned=True)
        uow.cases.save(state, events, expected_version=version, now=now)
    return state, events


def _may_follow_up(uow: UnitOfWork, platform: Platform, state: CaseState, events: list[Event]) -> bool:
    """Whether ``_follow_ups`` could find anything to do after this step (without asking the
    database): the conditions it starts from, and nothing else."""
    for event in events:
        match event.type:
            case EventType.TASK_CREATED if event.data["kind"] in HUMAN_TASK_KINDS:
                task = state.tasks.get(event.task_id or "")
                if (
                    task is not None
                    and task.assignee is None
                    and task.status == "open"
                    and task.lane is not None
                    and platform.config(uow).assignment.get(task.lane, Strategy.QUEUE) is not Strategy.QUEUE
                ):
                    return True
            case EventType.CHILD_REQUESTED:
                return True
            case EventType.TASK_CANCELLED if event.data.get("child_case_id"):
                return True
            case EventType.CASE_COMPLETED | EventType.CASE_TERMINATED | EventType.CASE_CANCELLED | (
                EventType.ESCALATION_THROWN
            ) if state.parent_case_id and state.parent_task_id:
                return True
            case _:
                pass
    return False


def _follow_ups(
    uow: UnitOfWork, ctx: EngineContext, platform: Platform, state: CaseState, events: list[Event]
) -> list[tuple[str, Command]]:
    out: list[tuple[str, Command]] = []
    for event in events:
        match event.type:
            case EventType.TASK_CREATED if event.data["kind"] in HUMAN_TASK_KINDS:
                task = state.tasks.get(event.task_id or "")
                if task is not None and task.assignee is None and task.status == "open":
                    user = _auto_assignee(uow, platform, task.lane, task.skills)
                    if user is not None:
                        out.append((state.case_id, ReassignTask(task_id=task.id, to_user=user)))
            case EventType.CHILD_REQUESTED:
                out.append(
                    (
                        event.data["child_case_id"],
                        OpenCase(
                            case_id=event.data["child_case_id"],
                            process_key=event.data["process_key"],
                            category=state.category,
                            priority=state.priority,
                            customer=state.customer,
                            title=state.title,
                            data=dict(state.data),
                            parent_case_id=state.case_id,
                            parent_task_id=event.task_id,
                        ),
                    )
                )
            case EventType.TASK_CANCELLED if event.data.get("child_case_id"):
                child = event.data["child_case_id"]
                if uow.cases.exists(child) and not uow.cases.get(child).is_closed:
                    out.append((child, CancelCase(reason=f"parent task {event.task_id} cancelled")))
            case EventType.CASE_COMPLETED | EventType.CASE_TERMINATED | EventType.CASE_CANCELLED:
                # A child cancelled because its parent task was (cancel, interrupting boundary)
                # has nobody left to tell.
                if state.parent_case_id and state.parent_task_id and _task_active(
                    uow, state.parent_case_id, state.parent_task_id
                ):
                    outcome = event.type.value.split(".")[1]
                    out.append(
                        (
                            state.parent_case_id,
                            ChildCaseEnded(
                                task_id=state.parent_task_id,
                                child_case_id=state.case_id,
                                outcome=outcome,
                                data=dict(state.data),
                            ),
                        )
                    )
            case EventType.ESCALATION_THROWN if state.parent_case_id and not event.data.get("uncaught"):
                if state.parent_task_id and _task_active(uow, state.parent_case_id, state.parent_task_id):
                    out.append(
                        (
                            state.parent_case_id,
                            ChildCaseEnded(
                                task_id=state.parent_task_id,
                                child_case_id=state.case_id,
                                outcome="escalated",
                                escalation_code=event.data.get("code"),
                            ),
                        )
                    )
            case _:
                pass
    return out


def _task_active(uow: UnitOfWork, case_id: str, task_id: str) -> bool:
    task = uow.cases.get(case_id).tasks.get(task_id)
    return task is not None and task.status in ACTIVE_TASK_STATUSES


def _auto_assignee(uow: UnitOfWork, platform: Platform, queue: str | None, skills: list[str]) -> str | None:
    if queue is None:
        return None
    strategy = platform.config(uow).assignment.get(queue, Strategy.QUEUE)
    if strategy is Strategy.QUEUE:
        return None
    members = uow.org.members(queue)
    if not members:
        return None
    loads = uow.tasks.open_load_by_user(members) if strategy is not Strategy.ROUND_ROBIN else {}
    candidates = [
        Candidate(
            user_id=m,
            load=loads.get(m, 0),
            skills=frozenset(uow.org.skills(m)) if strategy is Strategy.SKILL else frozenset(),
        )
        for m in members
    ]
    cursor = uow.cursors.next(queue, len(candidates)) if strategy is Strategy.ROUND_ROBIN else 0
    return choose_assignee(strategy, candidates, required_skills=skills, cursor=cursor)


# -- the use cases the edges call -----------------------------------------------------------------
class CaseService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def _execute(self, case_id: str, command: Command) -> tuple[CaseState, list[Event]]:
        now = self.platform.clock.now()
        with self.platform.store.unit_of_work() as uow:
            ctx = self.platform.engine_context(uow)
            return run_command(uow, ctx, self.platform, case_id, command, now, alone=True)

    def _case_of_task(self, task_id: str) -> str:
        # Task ids are "<case id>:<n>" (see engine.flow.create_task): no lookup needed.
        case_id, sep, number = task_id.rpartition(":")
        if not sep or not number.isdigit():
            raise NotFoundError("task", task_id, hint="task ids look like C20260302-1A2B3C4D:7")
        return case_id

    def open_case(
        self,
        *,
        process_key: str,
        category: str = "inquiry",
        priority: str = "P3",
        customer: str | None = None,
        title: str = "",
        data: Mapping[str, Any] | None = None,
        by: str = "system",
        case_id: str | None = None,
    ) -> tuple[CaseState, list[Event]]:
        case_id = case_id or new_case_id(self.platform.clock.now())
        command = OpenCase(
            case_id=case_id,
            process_key=process_key,
            category=category,
            priority=priority,
            customer=customer,
            title=title,
            data=dict(data or {}),
            by=by,
        )
        return self._execute(case_id, command)

    def get(self, case_id: str) -> CaseState:
        with self.platform.store.unit_of_work(read_only=True) as uow:
            return uow.cases.get(case_id)

    def events(self, case_id: str) -> list[Event]:
        with self.platform.store.unit_of_work(read_only=True) as uow:
            uow.cases.get(case_id)  # a clear NotFoundError for an unknown id
            return uow.events.for_case(case_id)

    def claim(self, task_id: str, *, by: str) -> tuple[CaseState, list[Event]]:
        return self._execute(self._case_of_task(task_id), ClaimTask(task_id=task_id, by=by))

    def release(self, task_id: str, *, by: str) -> tuple[CaseState, list[Event]]:
        return self._execute(self._case_of_task(task_id), ReleaseTask(task_id=task_id, by=by))

    def reassign(
        self, task_id: str, *, by: str, to_user: str | None = None, to_group: str | None = None
    ) -> tuple[CaseState, list[Event]]:
        command = ReassignTask(task_id=task_id, by=by, to_user=to_user, to_group=to_group)
        return self._execute(self._case_of_task(task_id), command)

    def complete(
        self, task_id: str, *, by: str, form: Mapping[str, Any] | None = None
    ) -> tuple[CaseState, list[Event]]:
        command = CompleteTask(task_id=task_id, by=by, form=dict(form or {}))
        return self._execute(self._case_of_task(task_id), command)

    def comment(self, case_id: str, text: str, *, by: str, public: bool = True) -> tuple[CaseState, list[Event]]:
        return self._execute(case_id, AddComment(text=text, public=public, by=by))

    def hold(self, case_id: str, *, by: str, reason: str = "waiting on customer") -> tuple[CaseState, list[Event]]:
        return self._execute(case_id, PutOnHold(by=by, reason=reason))

    def resume(self, case_id: str, *, by: str) -> tuple[CaseState, list[Event]]:
        return self._execute(case_id, Resume(by=by))

    def message(
        self, case_id: str, name: str, *, data: Mapping[str, Any] | None = None, by: str = "customer"
    ) -> tuple[CaseState, list[Event]]:
        return self._execute(case_id, ReceiveMessage(name=name, data=dict(data or {}), by=by))

    def cancel(self, case_id: str, *, by: str, reason: str = "") -> tuple[CaseState, list[Event]]:
        return self._execute(case_id, CancelCase(by=by, reason=reason))

    def reopen(self, case_id: str, *, by: str, reason: str = "") -> tuple[CaseState, list[Event]]:
        return self._execute(case_id, ReopenCase(by=by, reason=reason))
