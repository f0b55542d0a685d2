"""The analytics mirror: the store's event log copied into a DuckDB file, read as an event table.

Analyses never scan the live store: ``liucheng events mirror`` (``services.mirror.sync_mirror``)
appends what the store gained since the last run, and ``read_mirror`` gives the events as an
``EventTable`` with the same columns an import of the exported XES has (core columns, ``seq``,
``event_type``, ``task_id``, ``element_id`` and the case attributes as ``case:*``). Event data
(form fields and the like) stays in the mirror's ``data`` JSON column for SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from liucheng.eventlog.errors import LogFormatError
from liucheng.eventlog.table import EventTable, from_arrow

#: Bumped when the tables below change; a mirror of another format is rebuilt, not patched.
MIRROR_FORMAT: Final = 1
SUFFIX: Final = ".duckdb"

SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS events (
        seq BIGINT PRIMARY KEY, case_id VARCHAR NOT NULL, activity VARCHAR NOT NULL, lifecycle VARCHAR,
        resource VARCHAR, "group" VARCHAR, timestamp TIMESTAMPTZ NOT NULL, event_type VARCHAR NOT NULL,
        task_id VARCHAR, element_id VARCHAR, data JSON)""",
    """CREATE TABLE IF NOT EXISTS cases (
        case_id VARCHAR PRIMARY KEY, process_key VARCHAR, process_version INTEGER, status VARCHAR,
        category VARCHAR, priority VARCHAR, customer VARCHAR, title VARCHAR, parent_case_id VARCHAR,
        opened_at TIMESTAMPTZ, closed_at TIMESTAMPTZ)""",
    "CREATE TABLE IF NOT EXISTS mirror_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
)
#: Case attributes as the event table names them.
CASE_ATTRIBUTES: Final = ("process_key", "process_version", "status", "category", "priority", "customer", "title",
                          "parent_case_id", "opened_at", "closed_at")

_READ: Final = f"""
SELECT e.case_id, e.activity, e.lifecycle, e.resource, e."group", e.timestamp, e.seq AS event_index, e.seq,
       e.event_type, e.task_id, e.element_id,
       {", ".join(f'c.{name} AS "case:{name}"' for name in CASE_ATTRIBUTES)}
FROM events e LEFT JOIN cases c USING (case_id)
ORDER BY e.case_id, e.timestamp, e.seq
"""


class MirrorError(LogFormatError):
    """A mirror file that cannot be read or written (locked, another format, not a mirror)."""


def is_mirror_path(path: Path | str) -> bool:
    return Path(path).suffix.lower() == SUFFIX


def connect(path: Path | str, *, read_only: bool) -> Any:
    """A DuckDB connection to the mirror file, with errors that say what to do."""
    import duckdb

    path = Path(path)
    if read_only and not path.exists():
        raise MirrorError("no mirror at this path", file=path,
                          hint="create it with `liucheng events mirror --to " + str(path) + "`")
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise MirrorError("the mirror is open for writing in another process (a sync is running?)",
                              file=path, hint="wait for it to finish and try again") from exc
        raise MirrorError(f"not a mirror DuckDB can open: {exc}", file=path,
                          hint="rebuild it with `liucheng events mirror --rebuild`") from exc
    except duckdb.Error as exc:
        raise MirrorError(f"not a mirror DuckDB can open: {exc}", file=path,
                          hint="rebuild it with `liucheng events mirror --rebuild`") from exc


def meta(con: Any) -> dict[str, str]:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'mirror_meta'").fetchall()
    if not found[0][0]:
        return {}
    return dict(con.execute("SELECT key, value FROM mirror_meta").fetchall())


def read_mirror(path: Path | str) -> EventTable:
    """The mirrored events as an ``EventTable``, each case's events together in time order."""
    path = Path(path)
    con = connect(path, read_only=True)
    try:
        info = meta(con)
        if not info:
            raise MirrorError("the file is a DuckDB database but not a liucheng mirror", file=path,
                              hint="create one with `liucheng events mirror --to FILE.duckdb`")
        if info.get("format") != str(MIRROR_FORMAT):
            raise MirrorError(f"mirror format {info.get('format')}, this version reads {MIRROR_FORMAT}",
                              file=path, hint="rebuild it with `liucheng events mirror --rebuild`")
        table = con.sql(_READ).to_arrow_table()
    finally:
        con.close()
    if table.num_rows == 0:
        raise MirrorError("the mirror holds no events yet", file=path,
                          hint="run cases through the engine, then `liucheng events mirror` again")
    return from_arrow(_plain(table), source=str(path), meta={"mirror": info})


def _plain(table: pa.Table) -> pa.Table:
    """Timestamps in microseconds UTC, strings as ``string`` (DuckDB hands out what it likes)."""
    columns, fields = [], []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_timestamp(field.type):
            column = column.cast(pa.timestamp("us", tz="UTC"))
        elif pa.types.is_large_string(field.type) or pa.types.is_string_view(field.type):
            column = column.cast(pa.string())
        columns.append(column)
        fields.append(pa.field(field.name, column.type))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))
