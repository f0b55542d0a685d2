"""The per-step hot path on PostgreSQL: plain SQL on the psycopg connection, writes pipelined.

A step's UPDATE of the case row, its event INSERTs and the projection upserts travel to the
server in one round trip (psycopg pipeline mode) instead of one each, and skip SQLAlchemy's
per-execution work. The statements mirror the SQLAlchemy ones in ``cases.py``; the shared test
suite runs both paths against the same expectations.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import Connection, Table

from liucheng.core.clock import require_aware
from liucheng.core.errors import ConflictError
from liucheng.store.tables import cases, events, tasks, timers


def _upsert(table: Table, key: str, *, update: bool = True, returning: str | None = None) -> str:
    names = [c.name for c in table.c if not (table is events and c.name == "seq")]
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) "
        f"VALUES ({', '.join(f'%({n})s' for n in names)}) ON CONFLICT ({key}) DO "
    )
    if update:
        sql += "UPDATE SET " + ", ".join(f"{n} = excluded.{n}" for n in names if n != key)
    else:
        sql += "NOTHING"
    return sql + (f" RETURNING {returning}" if returning else "")


GET_FOR_UPDATE = "SELECT state, row_version FROM cases WHERE case_id = %(case_id)s FOR UPDATE"
SAVE = (
    "UPDATE cases SET status = %(status)s, category = %(category)s, priority = %(priority)s, "
    "customer = %(customer)s, title = %(title)s, closed_at = %(closed_at)s, updated_at = %(updated_at)s, "
    "state = %(state)s, row_version = row_version + 1, event_count = event_count + %(b_added)s "
    "WHERE case_id = %(b_case_id)s AND row_version = %(b_expected)s"
)
INSERT_CASE = _upsert(cases, "case_id", update=False, returning="case_id")
_EVENT_COLUMNS = [c.name for c in events.c if c.name != "seq"]
INSERT_EVENT = (
    f"INSERT INTO events ({', '.join(_EVENT_COLUMNS)}) "
    f"VALUES ({', '.join(f'%({n})s' for n in _EVENT_COLUMNS)})"
)
UPSERT_TASK = _upsert(tasks, "task_id")
UPSERT_TIMER = _upsert(timers, "timer_id")
DELETE_TASKS = "DELETE FROM tasks WHERE task_id = ANY(%(ids)s)"
DELETE_TIMERS = "DELETE FROM timers WHERE timer_id = ANY(%(ids)s)"
DELETE_STRAY_TIMERS = "DELETE FROM timers WHERE case_id = %(case_id)s AND NOT (timer_id = ANY(%(keep)s))"


def is_postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def driver(connection: Connection) -> Any:
    """The psycopg connection under SQLAlchemy's, inside the same transaction."""
    return connection.connection.driver_connection


def fetch_for_update(connection: Connection, case_id: str) -> tuple[bytes, int] | None:
    with driver(connection).cursor() as cur:
        cur.execute(GET_FOR_UPDATE, {"case_id": case_id}, prepare=True)
        row = cur.fetchone()
    return None if row is None else (bytes(row[0]), row[1])


def write_step(
    connection: Connection,
    *,
    case_row: dict[str, Any],
    insert: bool,
    event_rows: Sequence[dict[str, Any]],
    task_rows: Sequence[dict[str, Any]],
    gone_tasks: Sequence[str],
    timer_rows: Sequence[dict[str, Any]],
    gone_timers: Sequence[str],
    stray_keep: Sequence[str] | None,
    case_id: str,
) -> int:
    """Run one step's writes in a single pipeline; returns the rows the case write touched."""
    # psycopg would send a naive datetime as a local timestamp and PostgreSQL would guess its
    # zone; the SQLAlchemy path refuses them in UtcDateTime, so this path must too.
    for rows in ((case_row,), event_rows, task_rows, timer_rows):
        for row in rows:
            for key, value in row.items():
                if isinstance(value, datetime):
                    require_aware(value, f"database column {key}")
    conn = driver(connection)
    head, rest = conn.cursor(), conn.cursor()
    try:
        try:
            with conn.pipeline():
                head.execute(INSERT_CASE if insert else SAVE, case_row, prepare=True)
                if event_rows:
                    rest.executemany(INSERT_EVENT, event_rows)
                if task_rows:
                    rest.executemany(UPSERT_TASK, task_rows)
                if gone_tasks:
                    rest.execute(DELETE_TASKS, {"ids": list(gone_tasks)})
                if timer_rows:
                    rest.executemany(UPSERT_TIMER, timer_rows)
                if gone_timers:
                    rest.execute(DELETE_TIMERS, {"ids": list(gone_timers)})
                if stray_keep is not None:
                    rest.execute(DELETE_STRAY_TIMERS, {"case_id": case_id, "keep": list(stray_keep)})
        except psycopg.errors.IntegrityError as exc:
            raise ConflictError(
                f"the database refused the change: {str(exc).splitlines()[0]}",
                hint="a referenced row is missing or an id is taken",
            ) from exc
        if insert:
            return 1 if head.fetchone() is not None else 0
        return head.rowcount
    finally:
        head.close()
        rest.close()
