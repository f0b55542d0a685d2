"""The per-step hot path: plain SQL on the driver connection, inside SQLAlchemy's transaction.

Loading a case for update and writing what a step produced (the case row, its events, the task
and timer projections) run several times per command, so they skip SQLAlchemy's per-execution
work. On PostgreSQL a step's writes are one statement (data-modifying common table expressions,
prepared once per shape); on SQLite they are ``executemany`` calls on the sqlite3 cursor. The
statements mirror the SQLAlchemy ones in ``cases.py``, and the shared storage test suite checks
both databases through this path.
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


# A case opens at the newest version of its process: the insert checks that no newer one was
# deployed since the caller looked (services may remember the newest version between deploys).
_NO_NEWER_VERSION_SQLITE = (
    "NOT EXISTS (SELECT 1 FROM process_definitions WHERE key = :process_key AND version > :process_version)"
)


def _sqlite_statements() -> _Sql:
    def upsert(table: Table, key: str, *, update: bool = True, returning: str | None = None) -> str:
        names = [c.name for c in table.c]
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)}) "
        sql += f"ON CONFLICT ({key}) DO "
        if update:
            sql += "UPDATE SET " + ", ".join(f"{n} = excluded.{n}" for n in names if n != key)
        else:
            sql += "NOTHING"
        return sql + (f" RETURNING {returning}" if returning else "")

    event_columns = [c.name for c in events.c if c.name != "seq"]
    return _Sql(
        get_for_update="SELECT state, row_version FROM cases WHERE case_id = ?",
        save=(
            "UPDATE cases SET "
            + ", ".join(f"{n} = :{n}" for n in _CASE_SUMMARY)
            + ", row_version = row_version + 1, event_count = event_count + :b_added "
            "WHERE case_id = :b_case_id AND row_version = :b_expected"
        ),
        insert_case=(
            f"INSERT INTO cases ({', '.join(c.name for c in cases.c)}) "
            f"SELECT {', '.join(':' + c.name for c in cases.c)} WHERE {_NO_NEWER_VERSION_SQLITE} "
            "ON CONFLICT (case_id) DO NOTHING RETURNING case_id"
        ),
        insert_event=(
            f"INSERT INTO events ({', '.join(event_columns)}) VALUES ({', '.join(':' + n for n in event_columns)})"
        ),
        upsert_task=upsert(tasks, "task_id"),
        upsert_timer=upsert(timers, "timer_id"),
        delete_task="DELETE FROM tasks WHERE task_id = :id",
        delete_timer="DELETE FROM timers WHERE timer_id = :id",
        # SQLite cannot bind a list: the stray-timer delete keeps the timers named in a JSON array.
        delete_stray_timers=(
            "DELETE FROM timers WHERE case_id = :case_id AND timer_id NOT IN (SELECT value FROM json_each(:keep))"
        ),
    )


_CASE_SUMMARY = ("status", "category", "priority", "customer", "title", "closed_at", "updated_at", "state")
_SQLITE = _sqlite_statements()
_PG_GET_FOR_UPDATE = b"SELECT state, row_version FROM cases WHERE case_id = $1 FOR UPDATE"
_PG_GET = b"SELECT state FROM cases WHERE case_id = $1"
_SQLITE_GET = "SELECT state FROM cases WHERE case_id = ?"
_DUE = "SELECT timer_id, case_id FROM timers WHERE due_at <= {0} ORDER BY due_at, timer_id LIMIT {1}"
_PG_DUE_TIMERS = (_DUE.format("$1", "$2") + " FOR UPDATE SKIP LOCKED").encode()
_SQLITE_DUE_TIMERS = _DUE.format("?", "?")


def _driver(connection: Connection) -> Any:
    """The DBAPI connection under SQLAlchemy's, inside the same transaction."""
    return connection.connection.driver_connection


def _instant_columns(table: Table) -> tuple[str, ...]:
    from liucheng.store.types import UtcDateTime

    return tuple(col.name for col in table.c if isinstance(col.type, UtcDateTime))


_INSTANTS = {name: _instant_columns(table) for name, table in (
    ("cases", cases), ("events", events), ("tasks", tasks), ("timers", timers)
)}


def _rows_for(dialect: str, table: str, rows: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """Check instants are aware (as UtcDateTime does) and, on SQLite, store them as microseconds.

    The rows are the caller's freshly built parameter dicts, so SQLite's are converted in place.
    Only the table's instant columns are looked at (the case row of an update has some of them).
    """
    sqlite = dialect == "sqlite"
    instants = _INSTANTS[table]
    for row in rows:
        for key in instants:
            value = row.get(key)
            if value is None:
                continue
            if value.tzinfo is None:
                require_aware(value, f"database column {key}")  # raises, naming the column
            if sqlite:
                row[key] = (value - _EPOCH) // _MICRO
    return rows


def fetch_for_update(connection: Connection, case_id: str) -> tuple[bytes, int] | None:
    row = _fetch_one(connection, _PG_GET_FOR_UPDATE, _SQLITE.get_for_update, (case_id,))
    return None if row is None else (bytes(row[0]), row[1])


def fetch_state(connection: Connection, case_id: str) -> bytes | None:
    """A case's stored state, not locked."""
    row = _fetch_one(connection, _PG_GET, _SQLITE_GET, (case_id,))
    return None if row is None else bytes(row[0])


def due_timers(connection: Connection, now: datetime, limit: int) -> list[tuple[str, str]]:
    """``(timer_id, case_id)`` due at ``now``, earliest first; on PostgreSQL locked, skipping
    timers another transaction holds (SQLite's writer holds the whole database)."""
    if connection.dialect.name == "postgresql":
        with _raw_cursor(_driver(connection)) as cur:
            cur.execute(_PG_DUE_TIMERS, (now, limit), prepare=True)
            return [(row[0], row[1]) for row in cur.fetchall()]
    cur = _driver(connection).execute(_SQLITE_DUE_TIMERS, ((now - _EPOCH) // _MICRO, limit))
    try:
        return [(row[0], row[1]) for row in cur.fetchall()]
    finally:
        cur.close()


def _fetch_one(connection: Connection, pg_sql: bytes, sqlite_sql: str, params: tuple[Any, ...]) -> Any:
    if connection.dialect.name == "postgresql":
        with _raw_cursor(_driver(connection)) as cur:
            cur.execute(pg_sql, params, prepare=True)
            return cur.fetchone()
    cur = _driver(connection).execute(sqlite_sql, params)
    try:
        return cur.fetchone()
    finally:
        cur.close()


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
    alone: bool = False,
) -> int:
    """Write one step; returns how many case rows the insert or the versioned update touched.

    ``alone``: the caller writes nothing else in this transaction and commits right after; on
    PostgreSQL, if the transaction has not started yet, the statement commits by itself.
    """
    dialect = connection.dialect.name
    _rows_for(dialect, "cases", [case_row])
    _rows_for(dialect, "events", event_rows)
    _rows_for(dialect, "tasks", task_rows)
    _rows_for(dialect, "timers", timer_rows)
    if dialect == "postgresql":
        return _write_pg(
            _driver(connection),
            insert=insert,
            case_row=case_row,
            event_rows=event_rows,
            task_rows=task_rows,
            gone_tasks=gone_tasks,
            timer_rows=timer_rows,
            gone_timers=gone_timers,
            stray=None if stray_keep is None else (case_id, list(stray_keep)),
            alone=alone,
        )
    sql = _SQLITE
    rest: list[tuple[str, Sequence[dict[str, Any]]]] = [
        (sql.insert_event, event_rows),
        (sql.upsert_task, task_rows),
        (sql.delete_task, [{"id": i} for i in gone_tasks]),
        (sql.upsert_timer, timer_rows),
        (sql.delete_timer, [{"id": i} for i in gone_timers]),
    ]
    if stray_keep is not None:
        rest.append((sql.delete_stray_timers, [{"case_id": case_id, "keep": json.dumps(list(stray_keep))}]))
    head_sql = sql.insert_case if insert else sql.save
    return _write_sqlite(_driver(connection), head_sql, case_row, insert, rest)


# -- PostgreSQL: a step's writes as one statement ------------------------------------------------
# The case row is written by the first common table expression; every other write is guarded by
# ``EXISTS (SELECT 1 FROM head)``, so a stale version or a taken case id writes nothing at all
# (the caller raises and the transaction stays usable). One statement instead of five: one
# parse/bind/execute on the server and one parameter list on the client. Its text depends only on
# the shape of the step (how many events, tasks, timers), so each shape is prepared once per
# connection.
_CASE_COLUMNS = tuple(col.name for col in cases.c)
_EVENT_COLUMNS = tuple(col.name for col in events.c if col.name != "seq")
_TASK_COLUMNS = tuple(col.name for col in tasks.c)
_TIMER_COLUMNS = tuple(col.name for col in timers.c)
_GUARD = "EXISTS (SELECT 1 FROM head)"


def _pg_types(table: Table, names: Sequence[str]) -> list[str]:
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    return [table.c[name].type.compile(dialect=dialect) for name in names]


def _guarded_insert(table: Table, names: Sequence[str], n: int, conflict: str) -> str:
    """``INSERT ... SELECT`` of ``n`` typed rows of parameters, only when the head wrote its row."""
    row = "(" + ", ".join(f"%s::{t}" for t in _pg_types(table, names)) + ")"
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM (VALUES {', '.join([row] * n)}) AS v "
        f"WHERE {_GUARD}"
    )
    if conflict:
        key = conflict
        sql += f" ON CONFLICT ({key}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in names if c != key)
    return sql


_STEP_SQL: dict[tuple[int, ...], bytes] = {}


def _raw_cursor(conn: Any) -> Any:
    """A cursor taking ``$n`` placeholders as they are: psycopg neither parses nor caches the text
    (it re-parses statements longer than 4 KB or with more than 50 parameters on every call)."""
    import psycopg

    return psycopg.RawCursor(conn)


def _numbered(sql: str) -> bytes:
    """``%s`` placeholders numbered ``$1, $2, ...`` in order."""
    parts = sql.split("%s")
    out = [parts[0]]
    for n, part in enumerate(parts[1:], start=1):
        out += [f"${n}", part]
    return "".join(out).encode()


def _step_sql(shape: tuple[int, ...]) -> bytes:
    sql = _STEP_SQL.get(shape)
    if sql is not None:
        return sql
    insert, n_events, n_tasks, gone_tasks, n_timers, gone_timers, stray = shape
    if insert:
        row = ", ".join(f"%s::{t}" for t in _pg_types(cases, _CASE_COLUMNS))
        head = (
            f"INSERT INTO cases ({', '.join(_CASE_COLUMNS)}) "
            f"SELECT * FROM (VALUES ({row})) AS v ({', '.join(_CASE_COLUMNS)}) WHERE NOT EXISTS ("
            "SELECT 1 FROM process_definitions d WHERE d.key = v.process_key AND d.version > v.process_version) "
            "ON CONFLICT (case_id) DO NOTHING RETURNING 1"
        )
    else:
        head = (
            "UPDATE cases SET " + ", ".join(f"{n} = %s" for n in _CASE_SUMMARY)
            + ", row_version = row_version + 1, event_count = event_count + %s "
            "WHERE case_id = %s AND row_version = %s RETURNING 1"
        )
    parts = [f"head AS ({head})"]
    if n_events:
        parts.append(f"ev AS ({_guarded_insert(events, _EVENT_COLUMNS, n_events, '')})")
    if n_tasks:
        parts.append(f"tk AS ({_guarded_insert(tasks, _TASK_COLUMNS, n_tasks, 'task_id')})")
    if gone_tasks:
        parts.append(f"tkd AS (DELETE FROM tasks WHERE task_id = ANY(%s::varchar[]) AND {_GUARD})")
    if n_timers:
        parts.append(f"tm AS ({_guarded_insert(timers, _TIMER_COLUMNS, n_timers, 'timer_id')})")
    if gone_timers:
        parts.append(f"tmd AS (DELETE FROM timers WHERE timer_id = ANY(%s::varchar[]) AND {_GUARD})")
    if stray:
        # Disjoint from the timers written above: those are all in the kept list.
        parts.append(
            "tms AS (DELETE FROM timers WHERE case_id = %s AND NOT (timer_id = ANY(%s::varchar[])) "
            f"AND {_GUARD})"
        )
    sql = _numbered("WITH " + ", ".join(parts) + " SELECT count(*) FROM head")
    _STEP_SQL[shape] = sql
    return sql


def _write_pg(
    conn: Any,
    *,
    insert: bool,
    case_row: dict[str, Any],
    event_rows: Sequence[dict[str, Any]],
    task_rows: Sequence[dict[str, Any]],
    gone_tasks: Sequence[str],
    timer_rows: Sequence[dict[str, Any]],
    gone_timers: Sequence[str],
    stray: tuple[str, list[str]] | None,
    alone: bool,
) -> int:
    import psycopg

    if insert:
        params: list[Any] = [case_row[name] for name in _CASE_COLUMNS]
    else:
        params = [case_row[name] for name in _CASE_SUMMARY]
        params += [case_row["b_added"], case_row["b_case_id"], case_row["b_expected"]]
    params += [row[name] for row in event_rows for name in _EVENT_COLUMNS]
    params += [row[name] for row in task_rows for name in _TASK_COLUMNS]
    if gone_tasks:
        params.append(list(gone_tasks))
    params += [row[name] for row in timer_rows for name in _TIMER_COLUMNS]
    if gone_timers:
        params.append(list(gone_timers))
    if stray is not None:
        params += [stray[0], stray[1]]
    shape = (
        int(insert), len(event_rows), len(task_rows), int(bool(gone_tasks)),
        len(timer_rows), int(bool(gone_timers)), int(stray is not None),
    )
    sql = _step_sql(shape)
    cur = _raw_cursor(conn)
    try:
        try:
            if alone and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                # The whole transaction is this one statement: let it be its own transaction,
                # committed when it returns, without a BEGIN and a COMMIT round trip around it.
                conn.autocommit = True
                try:
                    cur.execute(sql, params, prepare=True)
                    row = cur.fetchone()
                finally:
                    _transactions_again(conn)
            else:
                cur.execute(sql, params, prepare=True)
                row = cur.fetchone()
        except psycopg.errors.IntegrityError as exc:
            raise _refused(exc) from exc
        return 0 if row is None else int(row[0])
    finally:
        cur.close()


def _transactions_again(conn: Any) -> None:
    """Back from autocommit; a connection that cannot be switched back is closed, never reused."""
    try:
        conn.autocommit = False
    except Exception:
        conn.close()
        raise


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
