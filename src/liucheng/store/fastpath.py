"""The per-step hot path: plain SQL on the driver connection, inside SQLAlchemy's transaction.

Loading a case for update and writing what a step produced (the case row, its events, the task
and timer projections) run several times per command, so they skip SQLAlchemy's per-execution
work. On PostgreSQL the writes travel in one round trip (psycopg pipeline mode); on SQLite they
are ``executemany`` calls on the sqlite3 cursor. The statements mirror the SQLAlchemy ones in
``cases.py``, and the shared storage test suite checks both databases through this path.
"""

from __future__ import annotations

import json
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


def _rows_for(dialect: str, rows: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """Check instants are aware (as UtcDateTime does) and, on SQLite, store them as microseconds.

    The rows are the caller's freshly built parameter dicts, so SQLite's are converted in place.
    """
    sqlite = dialect == "sqlite"
    for row in rows:
        for key, value in row.items():
            if isinstance(value, datetime):
                if value.tzinfo is None:
                    require_aware(value, f"database column {key}")  # raises, naming the column
                if sqlite:
                    row[key] = (value - _EPOCH) // _MICRO
    return rows


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
    sql = _PG if dialect == "postgresql" else _SQLITE
    [case_row] = _rows_for(dialect, [case_row])
    # (statement, rows) after the case row, the same on both databases
    rest: list[tuple[str, list[dict[str, Any]]]] = [
        (sql.insert_event, _rows_for(dialect, event_rows)),
        (sql.upsert_task, _rows_for(dialect, task_rows)),
        (sql.delete_task, [{"id": i} for i in gone_tasks]),
        (sql.upsert_timer, _rows_for(dialect, timer_rows)),
        (sql.delete_timer, [{"id": i} for i in gone_timers]),
    ]
    if stray_keep is not None:
        keep: Any = list(stray_keep) if dialect == "postgresql" else json.dumps(list(stray_keep))
        rest.append((sql.delete_stray_timers, [{"case_id": case_id, "keep": keep}]))
    head_sql = sql.insert_case if insert else sql.save
    if dialect == "postgresql":
        return _write_pg(_driver(connection), head_sql, case_row, insert, rest)
    return _write_sqlite(_driver(connection), head_sql, case_row, insert, rest)


_EVENT_COLUMNS = [c.name for c in events.c if c.name != "seq"]
_MULTI_INSERT: dict[int, str] = {}


def _insert_events_pg(n: int) -> str:
    """One INSERT with ``n`` rows of values: one statement for the server instead of ``n``."""
    sql = _MULTI_INSERT.get(n)
    if sql is None:
        row = "(" + ", ".join(["%s"] * len(_EVENT_COLUMNS)) + ")"
        sql = f"INSERT INTO events ({', '.join(_EVENT_COLUMNS)}) VALUES " + ", ".join([row] * n)
        _MULTI_INSERT[n] = sql
    return sql


def _write_pg(conn: Any, head_sql: str, case_row: dict[str, Any], insert: bool, rest: list) -> int:
    """All of it in one round trip: psycopg's pipeline mode sends, then syncs once."""
    import psycopg

    head, cur = conn.cursor(), conn.cursor()
    try:
        try:
            with conn.pipeline():
                head.execute(head_sql, case_row, prepare=True)
                for statement, rows in rest:
                    if not rows:
                        continue
                    if statement is _PG.insert_event:
                        values = [row[name] for row in rows for name in _EVENT_COLUMNS]
                        cur.execute(_insert_events_pg(len(rows)), values, prepare=True)
                    elif len(rows) == 1:  # the usual case: executemany costs more for one row
                        cur.execute(statement, rows[0], prepare=True)
                    else:
                        cur.executemany(statement, rows)
        except psycopg.errors.IntegrityError as exc:
            raise _refused(exc) from exc
        if insert:
            return 1 if head.fetchone() is not None else 0
        return head.rowcount
    finally:
        head.close()
        cur.close()


def _write_sqlite(conn: Any, head_sql: str, case_row: dict[str, Any], insert: bool, rest: list) -> int:
    import sqlite3

    cur = conn.cursor()
    try:
        try:
            head = cur.execute(head_sql, case_row)
            touched = (1 if head.fetchone() is not None else 0) if insert else head.rowcount
            if not touched:
                return 0
            for statement, rows in rest:
                if rows:
                    cur.executemany(statement, rows)
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
