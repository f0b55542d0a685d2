"""Work queues read from the projections: tasks, due timers, service jobs, round-robin cursors."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select, text, update

from liucheng.core.clock import require_aware
from liucheng.core.errors import NotFoundError, ValidationError
from liucheng.engine.state import ACTIVE_TASK_STATUSES, TaskStatus
from liucheng.process.spec import ElementKind
from liucheng.store import fastpath
from liucheng.store.rows import TaskRow
from liucheng.store.tables import tasks as tk
from liucheng.store.tables import timers as tm

_ACTIVE = sorted(str(s) for s in ACTIVE_TASK_STATUSES)
_GET = select(*tk.c).where(tk.c.task_id == bindparam("task_id"))
_LOAD = (
    select(tk.c.assignee, func.count())
    .where(tk.c.assignee.in_(bindparam("users", expanding=True)), tk.c.status.in_(_ACTIVE))
    .group_by(tk.c.assignee)
)
# SKIP LOCKED lets several workers each take a different slice; SQLite renders no FOR UPDATE
# and serialises writers with BEGIN IMMEDIATE instead.
_DUE_JOBS = (
    select(*tk.c)
    .where(
        tk.c.kind == str(ElementKind.SERVICE_TASK),
        tk.c.status == str(TaskStatus.OPEN),
        or_(tk.c.retry_at.is_(None), tk.c.retry_at <= bindparam("now")),
    )
    .order_by(func.coalesce(tk.c.retry_at, tk.c.created_at), tk.c.task_id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_NEXT_AT = select(func.min(tm.c.due_at))
_LEASE = (
    update(tk)
    .where(tk.c.task_id == bindparam("b_task_id"), tk.c.status == str(TaskStatus.OPEN))
    .values(retry_at=bindparam("b_until"))
)


def _row(row: Any) -> TaskRow:
    values = list(row)
    groups = values[7]
    values[7] = tuple(groups.split(",")) if groups else ()
    return TaskRow(*values)


class TaskRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def get(self, task_id: str) -> TaskRow:
        row = self._conn.execute(_GET, {"task_id": task_id}).one_or_none()
        if row is None:
            raise NotFoundError("task", task_id, hint="check the task id; closed cases keep their tasks")
        return _row(row)

    def list(
        self,
        *,
        assignee: str | None = None,
        lane: str | None = None,
        status: str | Iterable[str] | None = None,
        case_id: str | None = None,
        limit: int = 100,
    ) -> list[TaskRow]:
        """Tasks oldest first; ``status`` may be one status or several."""
        stmt = select(*tk.c)
        if assignee is not None:
            stmt = stmt.where(tk.c.assignee == assignee)
        if lane is not None:
            stmt = stmt.where(tk.c.lane == lane)
        if case_id is not None:
            stmt = stmt.where(tk.c.case_id == case_id)
        if isinstance(status, str):
            stmt = stmt.where(tk.c.status == str(status))
        elif status is not None:
            stmt = stmt.where(tk.c.status.in_([str(s) for s in status]))
        stmt = stmt.order_by(tk.c.created_at, tk.c.task_id).limit(limit)
        return [_row(row) for row in self._conn.execute(stmt)]

    def open_load_by_user(self, user_ids: Iterable[str]) -> dict[str, int]:
        """Open plus claimed tasks per user (0 for users with none), for least-loaded assignment."""
        users = list(dict.fromkeys(user_ids))
        load = dict.fromkeys(users, 0)
        if users:
            for assignee, count in self._conn.execute(_LOAD, {"users": users}):
                load[assignee] = count
        return load

    def due_service_jobs(self, now: datetime, limit: int = 100) -> list[TaskRow]:
        """Open service tasks whose (re)try is due, locked for this unit of work.

        Rows another worker has locked are skipped, so concurrent workers get disjoint jobs.
        """
        params = {"now": require_aware(now, "now"), "limit": _positive(limit)}
        return [_row(row) for row in self._conn.execute(_DUE_JOBS, params)]

    def lease(self, task_id: str, until: datetime) -> None:
        """Hide an open service job from ``due_service_jobs`` until ``until``.

        A worker leases a job before calling its webhook outside the transaction; if the worker
        dies, the job comes due again when the lease runs out. The job's next saved step rewrites
        the row from the case state, which ends the lease.
        """
        params = {"b_task_id": task_id, "b_until": require_aware(until, "until")}
        if self._conn.execute(_LEASE, params).rowcount != 1:
            raise NotFoundError("open task", task_id, hint="the job was finished or cancelled meanwhile")


class TimerRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def due(self, now: datetime, limit: int = 100) -> list[tuple[str, str]]:
        """``(timer_id, case_id)`` of timers due at ``now``, earliest first, locked for this unit of work.

        Timers another worker holds are skipped, so two workers never fire the same timer.
        """
        return fastpath.due_timers(self._conn, require_aware(now, "now"), _positive(limit))

    def next_due_at(self) -> datetime | None:
        """When the earliest timer falls due, so a worker can sleep until then."""
        return self._conn.execute(_NEXT_AT).scalar_one()

    def list(self, *, case_id: str | None = None) -> list[tuple[str, str, datetime, str]]:
        """``(timer_id, case_id, due_at, purpose)`` earliest first."""
        stmt = select(tm.c.timer_id, tm.c.case_id, tm.c.due_at, tm.c.purpose)
        if case_id is not None:
            stmt = stmt.where(tm.c.case_id == case_id)
        return [tuple(row) for row in self._conn.execute(stmt.order_by(tm.c.due_at, tm.c.timer_id))]


_CURSOR = text(
    "INSERT INTO assignment_cursors (queue, position) VALUES (:queue, 0) "
    "ON CONFLICT (queue) DO UPDATE SET position = assignment_cursors.position + 1 RETURNING position"
)


class CursorRepository:
    """Round-robin positions per queue, advanced atomically in the database."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def next(self, queue: str, n: int) -> int:
        """The next position in ``range(n)`` for ``queue``: 0, 1, ..., n-1, 0, ..."""
        n = _positive(n, "n")
        counter = self._conn.execute(_CURSOR, {"queue": queue}).scalar_one()
        return int(counter) % n


def _positive(value: int, where: str = "limit") -> int:
    if value < 1:
        raise ValidationError(f"must be at least 1, got {value}", where=where)
    return value
