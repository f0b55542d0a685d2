"""Reads for followers of the event log, such as the analytics mirror.

Rows come back as plain tuples in batches, with instants as integer microseconds since the Unix
epoch, so a follower can build columns without a Python ``datetime`` per value: the business
events after a ``seq`` in ``seq`` order, every ``seq`` after one (to notice the numbers not yet
committed), and case summaries (all, or by id).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

from sqlalchemy import BigInteger, Connection, cast, extract, func, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from liucheng.store.tables import cases as c
from liucheng.store.tables import events as e

#: Columns of ``event_rows`` in order.
EVENT_COLUMNS: Final = ("seq", "case_id", "event_type", "at_us", "activity", "lifecycle", "resource", "group",
                        "task_id", "element_id", "data")
#: Columns of ``case_rows`` in order.
CASE_COLUMNS: Final = ("case_id", "process_key", "process_version", "status", "category", "priority", "customer",
                       "title", "parent_case_id", "opened_at_us", "closed_at_us")
#: Case ids per ``IN (...)`` list.
_IDS_PER_QUERY: Final = 1000


def _micros(conn: Connection, column: Any) -> ColumnElement[Any]:
    if conn.dialect.name == "sqlite":
        return type_coerce(column, BigInteger)  # stored as integer microseconds already
    # EXTRACT(EPOCH ...) is an exact numeric on PostgreSQL 14+.
    return cast(func.floor(extract("epoch", column) * 1_000_000), BigInteger)


def event_rows(conn: Connection, *, after_seq: int, up_to: int | None = None,
               batch: int = 50_000) -> Iterator[Sequence[tuple[Any, ...]]]:
    """Batches of the business events (those with an activity) with ``after_seq < seq <= up_to``,
    oldest first (see ``EVENT_COLUMNS``)."""
    stmt = (select(e.c.seq, e.c.case_id, e.c.type, _micros(conn, e.c.at), e.c.activity, e.c.lifecycle, e.c.resource,
                   e.c.group_name, e.c.task_id, e.c.element_id, e.c.data)
            .where(e.c.seq > after_seq, e.c.activity.is_not(None)).order_by(e.c.seq))
    if up_to is not None:
        stmt = stmt.where(e.c.seq <= up_to)
    yield from _raw_batches(conn, stmt, batch)


def seqs_after(conn: Connection, after_seq: int, *, batch: int = 500_000) -> Iterator[Sequence[tuple[int]]]:
    """Batches of every ``seq`` above ``after_seq`` (bookkeeping events too), ascending."""
    yield from _raw_batches(conn, select(e.c.seq).where(e.c.seq > after_seq).order_by(e.c.seq), batch)


def count_business_after(conn: Connection, after_seq: int, up_to: int) -> int:
    stmt = select(func.count()).select_from(e).where(e.c.seq > after_seq, e.c.seq <= up_to,
                                                     e.c.activity.is_not(None))
    return int(conn.execute(stmt).scalar_one())


def _raw_batches(conn: Connection, stmt: Any, batch: int) -> Iterator[Sequence[tuple[Any, ...]]]:
    """Rows straight from the driver's cursor (a server-side one on PostgreSQL): plain tuples, no
    SQLAlchemy row per value, which is most of the cost when a follower reads millions of rows.
    Only integers are bound, so the statement is rendered with its values."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    driver = conn.connection.driver_connection
    cursor = driver.cursor() if conn.dialect.name == "sqlite" else driver.cursor(name="liucheng_feed")
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch):
            yield rows
    finally:
        cursor.close()


def case_rows(conn: Connection, case_ids: Sequence[str] | None = None) -> Iterator[Sequence[tuple[Any, ...]]]:
    """Batches of case summaries: every case, or those named (see ``CASE_COLUMNS``)."""
    columns = (c.c.case_id, c.c.process_key, c.c.process_version, c.c.status, c.c.category, c.c.priority,
               c.c.customer, c.c.title, c.c.parent_case_id, _micros(conn, c.c.opened_at),
               _micros(conn, c.c.closed_at))
    if case_ids is None:
        yield from _raw_batches(conn, select(*columns), 20_000)
        return
    ids = list(case_ids)
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start:start + _IDS_PER_QUERY]
        yield [tuple(row) for row in conn.execute(select(*columns).where(c.c.case_id.in_(chunk)))]
