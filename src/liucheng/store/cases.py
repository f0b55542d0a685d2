"""Cases: the state row each command loads and saves, and the task/timer projections it feeds.

A store remembers the state it last wrote for each recently saved case (``CaseCache``), so the
next command on that case steps from memory instead of reading the row. That is safe across
processes because every save is guarded by the row version it was loaded at: when another
process has moved the case on, the save writes nothing and the caller reads the case again (see
``services.cases.run_command``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, exists, select

from liucheng.core.clock import require_aware
from liucheng.core.errors import ConflictError, NotFoundError, ValidationError
from liucheng.engine.events import Event, EventType
from liucheng.engine.state import CaseState, Task, decode_state, encode_state
from liucheng.store import fastpath
from liucheng.store.eventstore import EventRepository, event_params
from liucheng.store.rows import CaseRow, NewerVersionError, StaleCaseError
from liucheng.store.tables import cases as c

_TIMER_EVENTS = frozenset({EventType.TIMER_SCHEDULED, EventType.TIMER_FIRED, EventType.TIMER_CANCELLED})
_CLOSING_EVENTS = frozenset({EventType.CASE_COMPLETED, EventType.CASE_TERMINATED, EventType.CASE_CANCELLED})

_ROW_COLUMNS = [col for col in c.c if col.name != "state"]
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


#: Cases a store remembers by default (about 2 KB each for a typical case).
CASE_CACHE_SIZE = 4096


class CaseCache:
    """Encoded states of the cases this process saved last, each with the row version it wrote.

    Only committed writes go in (a unit of work hands them over when it commits), so an entry is
    a state the database held at that version. Entries are taken out while a command works on the
    case, so two threads never step from one copy. Closed cases are not kept.
    """

    def __init__(self, size: int = CASE_CACHE_SIZE) -> None:
        self.size = size
        self._entries: dict[str, tuple[bytes, int]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def take(self, case_id: str) -> tuple[bytes, int] | None:
        return self._entries.pop(case_id, None)

    def put(self, case_id: str, raw: bytes, version: int) -> None:
        if self.size <= 0:
            return
        entries = self._entries
        entries.pop(case_id, None)
        entries[case_id] = (raw, version)
        if len(entries) > self.size:
            # The oldest goes; another thread may have changed the dict meanwhile.
            with contextlib.suppress(StopIteration, RuntimeError):
                entries.pop(next(iter(entries)), None)

    def discard(self, case_id: str) -> None:
        self._entries.pop(case_id, None)

    def clear(self) -> None:
        self._entries.clear()


@dataclass
class CaseMemory:
    """What one unit of work knows about case states beyond the database.

    ``written`` holds the state and version of every case the unit of work saved (``None`` once a
    savepoint around the save was rolled back: unknown again). On commit they go to the store's
    ``CaseCache``; on rollback the cache forgets those cases.
    """

    cache: CaseCache | None
    written: dict[str, tuple[bytes, int] | None] = field(default_factory=dict)
    #: Case ids in the order they were saved, so a savepoint can forget what it wrote.
    log: list[str] = field(default_factory=list)

    def recall(self, case_id: str) -> tuple[bytes, int, bool] | None:
        """``(state, version, locked)``: written in this unit of work (row locked), else cached."""
        if case_id in self.written:
            entry = self.written[case_id]
            return None if entry is None else (*entry, True)
        if self.cache is None:
            return None
        cached = self.cache.take(case_id)
        return None if cached is None else (*cached, False)

    def remember(self, case_id: str, raw: bytes, version: int, *, closed: bool) -> None:
        self.written[case_id] = None if closed else (raw, version)
        self.log.append(case_id)

    def mark(self) -> int:
        return len(self.log)

    def forget_since(self, mark: int) -> None:
        for case_id in self.log[mark:]:
            self.written[case_id] = None

    def committed(self) -> None:
        cache = self.cache
        if cache is not None:
            for case_id, entry in self.written.items():
                if entry is None:
                    cache.discard(case_id)
                else:
                    cache.put(case_id, *entry)
        self.written.clear()
        self.log.clear()

    def rolled_back(self) -> None:
        if self.cache is not None:
            for case_id in self.written:
                self.cache.discard(case_id)
        self.written.clear()
        self.log.clear()


class CaseRepository:
    def __init__(self, connection: Connection, events: EventRepository, memory: CaseMemory | None = None) -> None:
        self._conn = connection
        self._events = events
        self._memory = memory if memory is not None else CaseMemory(None)

    def insert(self, state: CaseState, events: Sequence[Event], now: datetime, *, alone: bool = False) -> None:
        """Store a new case with the events that opened it (``alone``: see ``save``).

        Raises ``NewerVersionError`` when its process has a version newer than the case's.
        """
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
        if not self._write(state, events, row, insert=True, alone=alone):
            if not self.exists(state.case_id):
                raise NewerVersionError(state.process_key, state.process_version)
            raise ConflictError(
                f"case {state.case_id!r} already exists", hint="open the new case under another id"
            )
        self._memory.remember(state.case_id, row["state"], 1, closed=state.is_closed)

    def get(self, case_id: str) -> CaseState:
        raw = fastpath.fetch_state(self._conn, case_id)
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

    def load(self, case_id: str) -> tuple[CaseState, int, bool]:
        """The state a command steps from: ``(state, row_version, remembered)``.

        ``remembered`` is True when the state comes from this process's memory of its own last
        save and the row is not locked: if another process saved the case since, ``save`` raises
        ``StaleCaseError`` and writes nothing, and the caller loads it again with
        ``get_for_update``. Otherwise the row is read and locked as ``get_for_update`` does.
        """
        recalled = self._memory.recall(case_id)
        if recalled is not None:
            raw, version, locked = recalled
            return decode_state(raw), version, not locked
        state, version = self.get_for_update(case_id)
        return state, version, False

    def save(
        self, state: CaseState, events: Sequence[Event], *, expected_version: int, now: datetime, alone: bool = False
    ) -> int:
        """Write the state a step produced and its events; returns the new ``row_version``.

        Raises ``StaleCaseError`` (a ``ConflictError``) when someone saved the case since
        ``expected_version`` was loaded.

        ``alone`` promises that this write is all the unit of work will write and that it
        commits right after. When nothing has run in the transaction yet, PostgreSQL then runs
        the write as a transaction of its own: one statement, committed durably when it
        returns, in one round trip instead of three (BEGIN, the write, COMMIT). It is all or
        nothing like any transaction; the unit of work's commit then has nothing left to do.
        """
        _check_events(state, events)
        params = _summary(state, require_aware(now, "now"))
        params |= {"b_case_id": state.case_id, "b_expected": expected_version, "b_added": len(events)}
        if self._write(state, events, params, insert=False, alone=alone) != 1:
            actual = self._conn.execute(_VERSION, {"case_id": state.case_id}).scalar_one_or_none()
            if actual is None:
                raise _not_found(state.case_id)
            raise StaleCaseError(state.case_id, expected_version=expected_version, actual_version=actual)
        self._memory.remember(state.case_id, params["state"], expected_version + 1, closed=state.is_closed)
        return expected_version + 1

    def _write(
        self, state: CaseState, events: Sequence[Event], row: dict[str, Any], *, insert: bool, alone: bool
    ) -> int:
        """The case row, its events and the projection rows they name, in one go."""
        changes = _projection_changes(state, events)
        return fastpath.write_step(
            self._conn,
            case_row=row,
            insert=insert,
            alone=alone,
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
