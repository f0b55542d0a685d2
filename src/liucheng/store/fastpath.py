"""The per-step hot path: plain SQL on the driver connection, inside SQLAlchemy's transaction.

Loading a case for update and writing what a step produced (the case row, its events, the task
and timer projections) run several times per command, so they skip SQLAlchemy's per-execution
work. On PostgreSQL the writes travel in one round trip (psycopg pipeline mode); on SQLite they
are ``executemany`` calls on the sqlite3 cursor. The statements mirror the SQLAlchemy ones in
``cases.py``, and the shared storage test suite checks both databases through this path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table

from liucheng.core.clock import require_aware
from liucheng.core.errors import ConflictError
from liucheng.store.tables import cases, events, tasks, timers

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True)
class _Sql:
    get_for_update: str
    save: str
    insert_case: str
    insert_event: str
    upsert_task: str
    upsert_timer: str
    delete_task: str
    delete_timer: str
    delete_stray_timers: str


def _statements(param: str, *, for_update: str, not_in: str) -> _Sql:
    def p(name: str) -> str:
        return param.format(name)

    def upsert(table: Table, key: str, *, update: bool = True, returning: str | None = None) -> str:
        names = [c.name for c in table.c]
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(p(n) for n in names)}) "
        sql += f"ON CONFLICT ({key}) DO "
        if update:
            sql += "UPDATE SET " + ", ".join(f"{n} = excluded.{n}" for n in names if n != key)
        else:
            sql += "NOTHING"
        return sql + (f" RETURNING {returning}" if returning else "")

    event_columns = [c.name for c in events.c if c.name != "seq"]
    summary = ("status", "category", "priority", "customer", "title", "closed_at", "updated_at", "state")
    return _Sql(
        get_for_update=f"SELECT state, row_version FROM cases WHERE case_id = {p('case_id')}{for_update}",
        save=(
            "UPDATE cases SET "
            + ", ".join(f"{n} = {p(n)}" for n in summary)
            + f", row_version = row_version + 1, event_count = event_count + {p('b_added')} "
            f"WHERE case_id = {p('b_case_id')} AND row_version = {p('b_expected')}"
        ),
        insert_case=upsert(cases, "case_id", update=False, returning="case_id"),
        insert_event=(
            f"INSERT INTO events ({', '.join(event_columns)}) VALUES ({', '.join(p(n) for n in event_columns)})"
        ),
        upsert_task=upsert(tasks, "task_id"),
        upsert_timer=upsert(timers, "timer_id"),
        delete_task=f"DELETE FROM tasks WHERE task_id = {p('id')}",
        delete_timer=f"DELETE FROM timers WHERE timer_id = {p('id')}",
        delete_stray_timers=f"DELETE FROM timers WHERE case_id = {p('case_id')} AND {not_in}",
    )


_PG = _statements("%({})s", for_update=" FOR UPDATE", not_in="NOT (timer_id = ANY(%(keep)s))")
# SQLite cannot bind a list: the stray-timer delete keeps the timers named in a JSON array.
_SQLITE = _statements(":{}", for_update="", not_in="timer_id NOT IN (SELECT value FROM json_each(:keep))")


def _driver(connection: Connection) -> Any:
    """The DBAPI connection under SQLAlchemy's, inside the same transaction."""
    return connection.connection.driver_connection


def _rows_for(dialect: str, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check instants are aware (as UtcDateTime does) and, on SQLite, store them as microseconds."""
    out = []
    for row in rows:
        fixed = dict(row)
        for key, value in row.items():
            if isinstance(value, datetime):
                value = require_aware(value, f"database column {key}")
                fixed[key] = (value - _EPOCH) // _MICRO if dialect == "sqlite" else value
        out.append(fixed)
    return out


def fetch_for_update(connection: Connection, case_id: str) -> tuple[bytes, int] | None:
    if connection.dialect.name == "postgresql":
        with _driver(connection).cursor() as cur:
            cur.execute(_PG.get_for_update, {"case_id": case_id}, prepare=True)
            row = cur.fetchone()
    else:
        cur = _driver(connection).execute(_SQLITE.get_for_update, {"case_id": case_id})
        row = cur.fetchone()
        cur.close()
    return None if row is None else (bytes(row[0]), row[1])


def write_step(
    connection: Connection,
    *,
    case_id: str,
    case_row: dict[str, Any],
    insert: bool,
    event_rows: Sequence[dict[str, Any]],
    task_rows: Sequence[dict[str, Any]],
    gone_tasks: Sequence[str],
    timer_rows: Sequence[dict[str, Any]],
    gone_timers: Sequence[str],
    stray_keep: Sequence[str] | None,
) -> int:
    """Write one step; returns how many case rows the insert or the versioned update touched."""
    dialect = connection.dialect.name
    [case_row] = _rows_for(dialect, [case_row])
    event_rows, task_rows, timer_rows = (_rows_for(dialect, r) for r in (event_rows, task_rows, timer_rows))
    if dialect == "postgresql":
        return _write_pg(_driver(connection), case_id, case_row, insert, event_rows, task_rows, gone_tasks,
                         timer_rows, gone_timers, stray_keep)
    return _write_sqlite(_driver(connection), case_id, case_row, insert, event_rows, task_rows, gone_tasks,
                         timer_rows, gone_timers, stray_keep)


def _write_pg(conn: Any, case_id: str, case_row: dict[str, Any], insert: bool, event_rows: list, task_rows: list,
              gone_tasks: Sequence[str], timer_rows: list, gone_timers: Sequence[str],
              stray_keep: Sequence[str] | None) -> int:
    import psycopg

    head, rest = conn.cursor(), conn.cursor()
    try:
        try:
            with conn.pipeline():
                head.execute(_PG.insert_case if insert else _PG.save, case_row, prepare=True)
                if event_rows:
                    rest.executemany(_PG.insert_event, event_rows)
                if task_rows:
                    rest.executemany(_PG.upsert_task, task_rows)
                if gone_tasks:
                    rest.executemany(_PG.delete_task, [{"id": i} for i in gone_tasks])
                if timer_rows:
                    rest.executemany(_PG.upsert_timer, timer_rows)
                if gone_timers:
                    rest.executemany(_PG.delete_timer, [{"id": i} for i in gone_timers])
                if stray_keep is not None:
                    rest.execute(_PG.delete_stray_timers, {"case_id": case_id, "keep": list(stray_keep)})
        except psycopg.errors.IntegrityError as exc:
            raise _refused(exc) from exc
        if insert:
            return 1 if head.fetchone() is not None else 0
        return head.rowcount
    finally:
        head.close()
        rest.close()


def _write_sqlite(conn: Any, case_id: str, case_row: dict[str, Any], insert: bool, event_rows: list,
                  task_rows: list, gone_tasks: Sequence[str], timer_rows: list, gone_timers: Sequence[str],
                  stray_keep: Sequence[str] | None) -> int:
    import json
    import sqlite3

    cur = conn.cursor()
    try:
        try:
            if insert:
                touched = 1 if cur.execute(_SQLITE.insert_case, case_row).fetchone() is not None else 0
            else:
                touched = cur.execute(_SQLITE.save, case_row).rowcount
            if not touched:
                return 0
            if event_rows:
                cur.executemany(_SQLITE.insert_event, event_rows)
            if task_rows:
                cur.executemany(_SQLITE.upsert_task, task_rows)
            if gone_tasks:
                cur.executemany(_SQLITE.delete_task, [{"id": i} for i in gone_tasks])
            if timer_rows:
                cur.executemany(_SQLITE.upsert_timer, timer_rows)
            if gone_timers:
                cur.executemany(_SQLITE.delete_timer, [{"id": i} for i in gone_timers])
            if stray_keep is not None:
                cur.execute(_SQLITE.delete_stray_timers, {"case_id": case_id, "keep": json.dumps(list(stray_keep))})
        except sqlite3.IntegrityError as exc:
            raise _refused(exc) from exc
        return touched
    finally:
        cur.close()


def _refused(exc: Exception) -> ConflictError:
    return ConflictError(
        f"the database refused the change: {str(exc).splitlines()[0]}",
        hint="a referenced row is missing or an id is taken",
    )
