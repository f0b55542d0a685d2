"""Cases driven by the real engine, so the store is tested on the events the engine emits."""

from __future__ import annotations

from datetime import datetime

from liucheng.engine import CaseState, ClaimTask, Command, CompleteTask, OpenCase, step
from liucheng.process.spec import Element, ElementKind, WebhookSpec
from liucheng.store import UnitOfWork
from tests.engine.builders import T0, context, definition, timer

__all__ = ["CTX", "T0", "TICKET", "apply", "open_case", "task_id", "work_through"]

K = ElementKind

#: Register (with a one-hour reminder that escalates), then a webhook notifies the customer.
TICKET = definition(
    "ticket",
    [
        Element("start", K.START_EVENT),
        Element("register", K.USER_TASK, name="Register", lane="agent"),
        Element("late", K.BOUNDARY_TIMER, attached_to="register", timer=timer(3600)),
        Element("escalate", K.USER_TASK, name="Escalate", lane="lead"),
        Element("notify", K.SERVICE_TASK, name="Notify", webhook=WebhookSpec("https://example.invalid/hook")),
        Element("end", K.END_EVENT),
        Element("end_late", K.END_EVENT),
    ],
    ["start->register", "register->notify", "notify->end", "late->escalate", "escalate->end_late"],
)
CTX = context(TICKET)


def open_case(uow: UnitOfWork, case_id: str, now: datetime, **fields: object) -> CaseState:
    state, events = step(None, OpenCase(case_id=case_id, process_key="ticket", **fields), now, CTX)
    uow.cases.insert(state, events, now)
    return state


def apply(uow: UnitOfWork, case_id: str, command: Command, now: datetime) -> CaseState:
    """What a service does: load for update, step, save state and events together."""
    state, version = uow.cases.get_for_update(case_id)
    new_state, events = step(state, command, now, CTX)
    uow.cases.save(new_state, events, expected_version=version, now=now)
    return new_state


def task_id(state: CaseState, element_id: str) -> str:
    return next(t.id for t in state.active_tasks() if t.element_id == element_id)


def work_through(uow: UnitOfWork, case_id: str, now: datetime, user: str = "ann") -> CaseState:
    """Claim and complete Register, leaving the Notify service task open."""
    state = uow.cases.get(case_id)
    register = task_id(state, "register")
    apply(uow, case_id, ClaimTask(task_id=register, by=user), now)
    return apply(uow, case_id, CompleteTask(task_id=register, by=user), now)
