"""The working context of one ``step``: a private copy of the state and the events so far.

Every change goes through ``emit``, which records the event and applies it with ``evolve``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from liucheng.core.calendar import BusinessCalendar
from liucheng.engine.context import EngineContext
from liucheng.engine.events import Event, EventType, Lifecycle
from liucheng.engine.evolve import evolve
from liucheng.engine.policy import SlaPolicy
from liucheng.engine.state import CaseState, Task, Timer
from liucheng.process.spec import ProcessDefinition

#: Gateways and events passed without waiting in one step; more means a loop with no wait state.
MAX_PASSES = 200


class Run:
    def __init__(
        self,
        state: CaseState | None,
        ctx: EngineContext,
        now: datetime,
        by: str,
        definition: ProcessDefinition | None = None,
        *,
        case_id: str | None = None,
    ) -> None:
        self.state: CaseState = state  # type: ignore[assignment]  # set by case.opened when None
        self.case_id = state.case_id if state is not None else case_id
        self.ctx = ctx
        self.now = now
        self.by = by
        self.events: list[Event] = []
        self.passes = 0
        self.definition: ProcessDefinition = definition  # type: ignore[assignment]
        self._policy: SlaPolicy | bool | None = False
        self._calendar: BusinessCalendar | None = None

    # -- lookups ------------------------------------------------------------------------------
    @property
    def policy(self) -> SlaPolicy | None:
        if self._policy is False:
            self._policy = self.ctx.policy_for(self.state.process_key)
        return self._policy  # type: ignore[return-value]

    @property
    def calendar(self) -> BusinessCalendar:
        if self._calendar is None:
            self._calendar = self.ctx.calendar_for(self.state.process_key)
        return self._calendar

    def condition_data(self) -> dict[str, Any]:
        s = self.state
        case = {
            "category": s.category,
            "priority": s.priority,
            "customer": s.customer or "",
            "title": s.title,
            "reopen_count": s.reopen_count,
            "escalation_level": s.escalation_level,
        }
        return {**case, **s.data, "case": case}

    # -- emitting -----------------------------------------------------------------------------
    def emit(
        self,
        type: EventType,
        *,
        activity: str | None = None,
        lifecycle: Lifecycle | None = None,
        resource: str | None = None,
        group: str | None = None,
        task_id: str | None = None,
        element_id: str | None = None,
        **data: Any,
    ) -> Event:
        event = Event(
            case_id=self.case_id,
            type=type,
            at=self.now,
            activity=activity,
            lifecycle=lifecycle,
            resource=resource,
            group=group,
            task_id=task_id,
            element_id=element_id,
            data=data,
        )
        self.state = evolve(self.state, event)
        self.events.append(event)
        return event

    def task_event(
        self,
        type: EventType,
        task: Task,
        lifecycle: Lifecycle | None,
        *,
        resource: str | None = None,
        group: str | None = None,
        **data: Any,
    ) -> Event:
        """An event about a task: its name as the activity, its lane as the group unless given."""
        return self.emit(
            type,
            activity=task.name if lifecycle is not None else None,
            lifecycle=lifecycle,
            resource=resource,
            group=group or task.lane,
            task_id=task.id,
            element_id=task.element_id,
            **data,
        )

    def next_number(self) -> int:
        """A fresh sequence number; the event that uses it records it as ``n``."""
        return self.state.counter + 1

    # -- timers -------------------------------------------------------------------------------
    def schedule_timer(
        self,
        due_at: datetime,
        *,
        purpose: str,
        element_id: str | None = None,
        token_id: str | None = None,
        task_id: str | None = None,
        clock: str | None = None,
        remaining: int | None = None,
    ) -> str:
        n = self.next_number()
        timer_id = f"{self.state.case_id}:m{n}"
        extra: dict[str, Any] = {}
        if token_id is not None:
            extra["token_id"] = token_id
        if clock is not None:
            extra["clock"] = clock
        if remaining is not None:
            extra["remaining"] = remaining
        self.emit(
            EventType.TIMER_SCHEDULED,
            element_id=element_id,
            task_id=task_id,
            timer_id=timer_id,
            due_at=due_at.isoformat(),
            purpose=purpose,
            n=n,
            **extra,
        )
        return timer_id

    def cancel_timers(self, predicate: Any) -> None:
        for timer in [t for t in self.state.timers.values() if predicate(t)]:
            self.emit(
                EventType.TIMER_CANCELLED,
                element_id=timer.element_id,
                task_id=timer.task_id,
                timer_id=timer.id,
            )

    def timers_of_task(self, task: Task) -> list[Timer]:
        return [t for t in self.state.timers.values() if t.task_id == task.id and t.purpose == "boundary"]
