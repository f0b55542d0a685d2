"""The append-only event log: writing batches, reading a case, streaming everything by ``seq``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

import msgspec
from sqlalchemy import Connection, bindparam, func, insert, select

from liucheng.core.errors import ValidationError
from liucheng.engine.events import Event, EventType, Lifecycle
from liucheng.store.tables import events as t

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(dict[str, Any]).decode

_COLUMNS = (
    t.c.case_id,
    t.c.type,
    t.c.at,
    t.c.activity,
    t.c.lifecycle,
    t.c.resource,
    t.c.group_name,
    t.c.task_id,
    t.c.element_id,
    t.c.data,
)
_APPEND_RETURNING = insert(t).returning(t.c.seq, sort_by_parameter_order=True)
_FOR_CASE = select(*_COLUMNS).where(t.c.case_id == bindparam("case_id")).order_by(t.c.seq)
_MAX_SEQ = select(func.coalesce(func.max(t.c.seq), 0))
_COUNT = select(func.count()).select_from(t)


def event_params(event: Event) -> dict[str, Any]:
    # str() because enum members would reach the driver as enums, and events built by hand may
    # carry plain strings.
    return {
        "case_id": event.case_id,
        "type": str(event.type),
        "at": event.at,
        "activity": event.activity,
        "lifecycle": None if event.lifecycle is None else str(event.lifecycle),
        "resource": event.resource,
        "group_name": event.group,
        "task_id": event.task_id,
        "element_id": event.element_id,
        "data": _encode(event.data).decode(),
    }


def row_to_event(row: Sequence[Any]) -> Event:
    """Rebuild an event from the columns in ``_COLUMNS`` order."""
    return Event(
        case_id=row[0],
        type=EventType(row[1]),
        at=row[2],
        activity=row[3],
        lifecycle=None if row[4] is None else Lifecycle(row[4]),
        resource=row[5],
        group=row[6],
        task_id=row[7],
        element_id=row[8],
        data=_decode(row[9]),
    )


class EventRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def append(self, events: Iterable[Event]) -> list[int]:
        """Append events in one multi-row INSERT and return their ``seq`` numbers, in order."""
        params = [event_params(e) for e in events]
        if not params:
            return []
        return list(self._conn.execute(_APPEND_RETURNING, params).scalars())

    def for_case(self, case_id: str) -> list[Event]:
        rows = self._conn.execute(_FOR_CASE, {"case_id": case_id})
        return [row_to_event(row) for row in rows]

    def iter_all(
        self,
        *,
        after_seq: int = 0,
        order: Literal["seq", "case"] = "seq",
        batch: int = 10_000,
        business_only: bool = False,
    ) -> Iterator[tuple[int, Event]]:
        """Yield ``(seq, event)`` for every event after ``after_seq`` in constant memory.

        ``order="case"`` groups each case's events together (oldest first), which is what
        process-mining exports want. ``business_only`` skips, in the database, the events that
        name no activity (the engine's bookkeeping). Consume the iterator inside the unit of work.
        """
        if order not in ("seq", "case"):
            raise ValidationError(f"unknown order {order!r}", where="order", hint="use 'seq' or 'case'")
        if batch < 1:
            raise ValidationError(f"batch must be positive, got {batch}", where="batch")
        keys = (t.c.seq,) if order == "seq" else (t.c.case_id, t.c.seq)
        stmt = select(t.c.seq, *_COLUMNS).where(t.c.seq > after_seq).order_by(*keys)
        if business_only:
            stmt = stmt.where(t.c.activity.is_not(None))
        # A server-side cursor on PostgreSQL; SQLite's cursor steps through rows lazily anyway.
        result = self._conn.execute(stmt, execution_options={"stream_results": True, "yield_per": batch})
        try:
            for partition in result.partitions():
                for row in partition:
                    yield row[0], row_to_event(row[1:])
        finally:
            result.close()

    def max_seq(self) -> int:
        return int(self._conn.execute(_MAX_SEQ).scalar_one())

    def count(self, *, business_only: bool = False) -> int:
        stmt = _COUNT.where(t.c.activity.is_not(None)) if business_only else _COUNT
        return int(self._conn.execute(stmt).scalar_one())
