"""Cases: the state row each command loads and saves, and the task/timer projections it feeds."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, exists, select

from liucheng.core.clock import require_aware
from liucheng.core.errors import ConflictError, NotFoundError, ValidationError
from liucheng.engine.events import Event, EventType
from liucheng.engine.state import CaseState, Task, decode_state, encode_state
from liucheng.store import fastpath
from liucheng.store.eventstore import EventRepository, event_params
from liucheng.store.rows import CaseRow, StaleCaseError
from liucheng.store.tables import cases as c

_TIMER_EVENTS = frozenset({EventType.TIMER_SCHEDULED, EventType.TIMER_FIRED, EventType.TIMER_CANCELLED})
_CLOSING_EVENTS = frozenset({EventType.CASE_COMPLETED, EventType.CASE_TERMINATED, EventType.CASE_CANCELLED})

_ROW_COLUMNS = [col for col in c.c if col.name != "state"]
_GET = select(c.c.state).where(c.c.case_id == bindparam("case_id"))
_VERSION = select(c.c.row_version).where(c.c.case_id == bindparam("case_id"))


def task_params(case_id: str, task: Task) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "case_id": case_id,
        "element_id": task.element_id,
        "name": task.name,
        "kind": str(task.kind),
        "status": str(task.status),
        "lane": task.lane,
        "candidate_groups": ",".join(task.candidate_groups),
        "assignee": task.assignee,
        "created_at": task.created_at,
        "claimed_at": task.claimed_at,
        "ended_at": task.ended_at,
        "due_at": task.due_at,
        "retry_at": task.retry_at,
        "attempts": task.attempts,
    }


def _summary(state: CaseState, now: datetime) -> dict[str, Any]:
    return {
        "status": str(state.status),
        "category": state.category,
        "priority": state.priority,
        "customer": state.customer,
        "title": state.title,
        "closed_at": state.closed_at,
        "updated_at": now,
        "state": encode_state(state),
    }


class CaseRepository:
    def __init__(self, connection: Connection, events: EventRepository) -> None:
        self._conn = connection
        self._events = events

    def insert(self, state: CaseState, events: Sequence[Event], now: datetime) -> None:
        """Store a new case with the events that opened it."""
        _check_events(state, events)
        row = _summary(state, require_aware(now, "now"))
        row |= {
            "case_id": state.case_id,
            "process_key": state.process_key,
            "process_version": state.process_version,
            "parent_case_id": state.parent_case_id,
            "opened_at": state.opened_at,
            "row_version": 1,
            "event_count": len(events),
        }
        # ON CONFLICT DO NOTHING instead of catching IntegrityError: on PostgreSQL a failed
        # statement would poison the whole transaction.
        if not self._write(state, events, row, insert=True):
            raise ConflictError(
                f"case {state.case_id!r} already exists", hint="open the new case under another id"
            )

    def get(self, case_id: str) -> CaseState:
        raw = self._conn.execute(_GET, {"case_id": case_id}).scalar_one_or_none()
        if raw is None:
            raise _not_found(case_id)
        return decode_state(raw)

    def get_for_update(self, case_id: str) -> tuple[CaseState, int]:
        """Load a case and lock its row until the unit of work ends; returns ``(state, row_version)``.

        On SQLite the unit of work already holds the database's write lock.
        """
        row = fastpath.fetch_for_update(self._conn, case_id)
        if row is None:
            raise _not_found(case_id)
        return decode_state(row[0]), row[1]

    def save(self, state: CaseState, events: Sequence[Event], *, expected_version: int, now: datetime) -> int:
        """Write the state a step produced and its events; returns the new ``row_version``.

        Raises ``StaleCaseError`` (a ``ConflictError``) when someone saved the case since
        ``expected_version`` was loaded.
        """
        _check_events(state, events)
        params = _summary(state, require_aware(now, "now"))
        params |= {"b_case_id": state.case_id, "b_expected": expected_version, "b_added": len(events)}
        if self._write(state, events, params, insert=False) != 1:
            actual = self._conn.execute(_VERSION, {"case_id": state.case_id}).scalar_one_or_none()
            if actual is None:
                raise _not_found(state.case_id)
            raise StaleCaseError(state.case_id, expected_version=expected_version, actual_version=actual)
        return expected_version + 1

    def _write(self, state: CaseState, events: Sequence[Event], row: dict[str, Any], *, insert: bool) -> int:
        """The case row, its events and the projection rows they name, in one go."""
        changes = _projection_changes(state, events)
        return fastpath.write_step(
            self._conn,
            case_row=row,
            insert=insert,
            event_rows=[event_params(e) for e in events],
            case_id=state.case_id,
            **changes,
        )

    def exists(self, case_id: str) -> bool:
        return bool(self._conn.execute(select(exists().where(c.c.case_id == case_id))).scalar())

    def list(
        self,
        *,
        status: str | None = None,
        category: str | None = None,
        priority: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[CaseRow]:
        stmt = select(*_ROW_COLUMNS)
        for column, value in ((c.c.status, status), (c.c.category, category), (c.c.priority, priority)):
            if value is not None:
                stmt = stmt.where(column == str(value))
        stmt = stmt.order_by(c.c.opened_at, c.c.case_id).limit(limit).offset(offset)
        return [CaseRow(*row) for row in self._conn.execute(stmt)]

    def iter_summaries(self, *, batch: int = 10_000) -> Iterator[CaseRow]:
        """Every case's summary row ordered by case id, in constant memory.

        The same order as ``EventRepository.iter_all(order="case")``, so an export can walk both
        side by side instead of looking each case up. Consume it inside the unit of work.
        """
        stmt = select(*_ROW_COLUMNS).order_by(c.c.case_id)
        result = self._conn.execute(stmt, execution_options={"stream_results": True, "yield_per": batch})
        try:
            for partition in result.partitions():
                for row in partition:
                    yield CaseRow(*row)
        finally:
            result.close()


def _projection_changes(state: CaseState, events: Sequence[Event]) -> dict[str, Any]:
    """The task and timer rows a step's events name: rows to upsert and ids to delete."""
    task_ids: set[str] = set()
    timer_ids: set[str] = set()
    closing = False
    for event in events:
        if event.task_id:
            task_ids.add(event.task_id)
        if event.type in _TIMER_EVENTS and "timer_id" in event.data:
            timer_ids.add(event.data["timer_id"])
        closing = closing or event.type in _CLOSING_EVENTS
    return {
        "task_rows": [task_params(state.case_id, state.tasks[i]) for i in sorted(task_ids) if i in state.tasks],
        "gone_tasks": [i for i in sorted(task_ids) if i not in state.tasks],
        "timer_rows": [
            {"timer_id": i, "case_id": state.case_id, "due_at": t.due_at, "purpose": t.purpose}
            for i in sorted(timer_ids)
            if (t := state.timers.get(i)) is not None
        ],
        "gone_timers": [i for i in sorted(timer_ids) if i not in state.timers],
        "stray_keep": list(state.timers) if closing else None,
    }


def _check_events(state: CaseState, events: Sequence[Event]) -> None:
    for event in events:
        if event.case_id != state.case_id:
            raise ValidationError(
                f"event {event.type} belongs to case {event.case_id!r}, not {state.case_id!r}",
                where="events",
                hint="save each case's events with that case",
            )


def _not_found(case_id: str) -> NotFoundError:
    return NotFoundError("case", case_id, hint="check the case id; `liucheng case list` shows cases")
