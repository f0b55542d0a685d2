"""The unit of work: one transaction per use case, with the repositories hung on it.

Repositories never commit. Leaving the ``with`` block commits; an exception rolls back.
"""

from __future__ import annotations

import contextlib
from functools import cached_property
from types import TracebackType
from typing import Any, cast

from sqlalchemy import Connection, Engine, NestedTransaction, RootTransaction
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.pool import PoolProxiedConnection

from liucheng.core.errors import ConflictError, LiuchengError, StorageError
from liucheng.store.cases import CaseCache, CaseMemory, CaseRepository
from liucheng.store.eventstore import EventRepository
from liucheng.store.org import (
    AssignmentRuleRepository,
    CalendarRepository,
    DefinitionRepository,
    OrgRepository,
    SettingRepository,
    SlaPolicyRepository,
)
from liucheng.store.queues import CursorRepository, TaskRepository, TimerRepository


class UnitOfWork:
    """One transaction. A writing unit of work starts on the pooled driver connection alone; the
    SQLAlchemy connection around it is made only when a repository runs a SQLAlchemy statement,
    so a command that only loads and saves cases (``store.fastpath``) skips that machinery."""

    def __init__(self, engine: Engine, *, read_only: bool = False, case_cache: CaseCache | None = None) -> None:
        self._engine = engine
        self._read_only = read_only
        self._pooled: PoolProxiedConnection | None = None
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._memory = CaseMemory(None if read_only else case_cache)
        self._link = cast(Connection, _Link(self))

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            if self._pooled is None:
                raise StorageError(
                    "unit of work used outside its `with` block", hint="use `with store.unit_of_work() as uow:`"
                )
            # Around the connection already in its transaction (SQLite's begin hook sees that).
            self._connection = Connection(self._engine, connection=self._pooled)
            self._transaction = self._connection.begin()
        return self._connection

    def __enter__(self) -> UnitOfWork:
        if self._read_only:
            try:
                connection = self._engine.connect()
            except DBAPIError as exc:
                raise _storage_error(exc) from exc
            connection.execution_options(liucheng_read_only=True)
            if connection.dialect.name == "postgresql":
                connection.execution_options(postgresql_readonly=True)
            self._connection = connection
            self._transaction = connection.begin()
            self._pooled = connection.connection
            return self
        try:
            self._pooled = self._engine.raw_connection()
        except DBAPIError as exc:
            raise _storage_error(exc) from exc
        self._begin()
        return self

    def _begin(self) -> None:
        if self._engine.dialect.name == "sqlite":
            # A writer takes SQLite's write lock up front (see db._sqlite_on_begin).
            assert self._pooled is not None
            self._pooled.driver_connection.execute("BEGIN IMMEDIATE").close()
        # psycopg begins by itself with the first statement.

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        pooled, connection, transaction = self._pooled, self._connection, self._transaction
        assert pooled is not None
        self._pooled = self._connection = self._transaction = None
        committed = False
        try:
            if connection is not None:
                assert transaction is not None
                if exc is None:
                    try:
                        transaction.commit()
                    except DBAPIError as commit_exc:
                        raise _storage_error(commit_exc) from commit_exc
                    committed = True
                elif transaction.is_active:
                    transaction.rollback()
            elif exc is None:
                try:
                    pooled.driver_connection.commit()
                except self._engine.dialect.loaded_dbapi.Error as commit_exc:
                    raise _driver_error(commit_exc) from commit_exc
                committed = True
            else:
                # On a broken connection this fails too; the pool then discards it, and the
                # error that ended the unit of work is the one to report.
                with contextlib.suppress(Exception):
                    pooled.driver_connection.rollback()
        finally:
            if connection is not None:
                connection.close()
            else:
                pooled.close()
            # Only states the database now holds go to the store's memory of cases.
            if committed:
                self._memory.committed()
            else:
                self._memory.rolled_back()
        # Bind processors (e.g. a naive datetime) raise our own errors wrapped by SQLAlchemy.
        if isinstance(exc, StatementError) and isinstance(exc.orig, LiuchengError):
            raise exc.orig from exc
        if isinstance(exc, IntegrityError):
            raise ConflictError(
                f"the database refused the change: {_first_line(exc)}",
                hint="something with that id already exists, or a referenced row is missing",
            ) from exc

    def commit_point(self) -> None:
        """Commit the work so far and carry on in a new transaction (long batch jobs, simulations).

        Row locks taken so far are released; repositories stay usable.
        """
        if self._pooled is None:
            raise StorageError(
                "unit of work used outside its `with` block", hint="use `with store.unit_of_work() as uow:`"
            )
        if self._transaction is not None:
            self._transaction.commit()
            self._memory.committed()
            self._transaction = self.connection.begin()
        else:
            self._pooled.driver_connection.commit()
            self._memory.committed()
            self._begin()

    def savepoint(self) -> Savepoint:
        """A savepoint inside the unit of work; ``rollback()`` undoes only what came after it.

        Use this rather than ``connection.begin_nested()``: it also forgets the case states saved
        after it, so none of them is remembered as written when it rolls back.
        """
        return Savepoint(self.connection.begin_nested(), self._memory)

    @cached_property
    def events(self) -> EventRepository:
        return EventRepository(self._link)

    @cached_property
    def cases(self) -> CaseRepository:
        return CaseRepository(self._link, self.events, self._memory)

    @cached_property
    def tasks(self) -> TaskRepository:
        return TaskRepository(self._link)

    @cached_property
    def timers(self) -> TimerRepository:
        return TimerRepository(self._link)

    @cached_property
    def cursors(self) -> CursorRepository:
        return CursorRepository(self._link)

    @cached_property
    def definitions(self) -> DefinitionRepository:
        return DefinitionRepository(self._link)

    @cached_property
    def org(self) -> OrgRepository:
        return OrgRepository(self._link)

    @cached_property
    def calendars(self) -> CalendarRepository:
        return CalendarRepository(self._link)

    @cached_property
    def sla_policies(self) -> SlaPolicyRepository:
        return SlaPolicyRepository(self._link)

    @cached_property
    def assignment(self) -> AssignmentRuleRepository:
        return AssignmentRuleRepository(self._link)

    @cached_property
    def settings(self) -> SettingRepository:
        return SettingRepository(self._link)


class _Link:
    """What the repositories hold: the pooled driver connection and the dialect for the fast path
    (``store.fastpath`` reads ``.dialect`` and ``.connection.driver_connection``); anything else is
    the unit of work's SQLAlchemy connection, made on first use."""

    __slots__ = ("_uow",)

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    @property
    def dialect(self) -> Dialect:
        return self._uow._engine.dialect

    @property
    def connection(self) -> PoolProxiedConnection:
        pooled = self._uow._pooled
        if pooled is None:
            return self._uow.connection.connection  # raises: outside the `with` block
        return pooled

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow.connection, name)


class Savepoint:
    def __init__(self, nested: NestedTransaction, memory: CaseMemory) -> None:
        self._nested = nested
        self._memory = memory
        self._mark = memory.mark()

    def commit(self) -> None:
        self._nested.commit()

    def rollback(self) -> None:
        self._memory.forget_since(self._mark)
        self._nested.rollback()


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig if exc.orig is not None else exc).strip().splitlines()[0]


def _driver_error(exc: Exception) -> StorageError:
    return StorageError(
        f"database error: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}",
        hint="check that the database is running and reachable, then retry",
    )


def _storage_error(exc: DBAPIError) -> StorageError:
    return StorageError(
        f"database error: {_first_line(exc)}",
        hint="check that the database is running and reachable, then retry",
    )
