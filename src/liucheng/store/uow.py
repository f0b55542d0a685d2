"""The unit of work: one transaction per use case, with the repositories hung on it.

Repositories never commit. Leaving the ``with`` block commits; an exception rolls back.
"""

from __future__ import annotations

from functools import cached_property
from types import TracebackType

from sqlalchemy import Connection, Engine, NestedTransaction, RootTransaction
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

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
    def __init__(self, engine: Engine, *, read_only: bool = False, case_cache: CaseCache | None = None) -> None:
        self._engine = engine
        self._read_only = read_only
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._memory = CaseMemory(None if read_only else case_cache)

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise StorageError(
                "unit of work used outside its `with` block", hint="use `with store.unit_of_work() as uow:`"
            )
        return self._connection

    def __enter__(self) -> UnitOfWork:
        try:
            connection = self._engine.connect()
        except DBAPIError as exc:
            raise _storage_error(exc) from exc
        if self._read_only:
            connection.execution_options(liucheng_read_only=True)
            if connection.dialect.name == "postgresql":
                connection.execution_options(postgresql_readonly=True)
        self._connection = connection
        self._transaction = connection.begin()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        connection, transaction = self._connection, self._transaction
        assert connection is not None and transaction is not None
        self._connection = self._transaction = None
        committed = False
        try:
            if exc is None:
                try:
                    transaction.commit()
                except DBAPIError as commit_exc:
                    raise _storage_error(commit_exc) from commit_exc
                committed = True
            elif transaction.is_active:
                transaction.rollback()
        finally:
            connection.close()
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
        if self._transaction is None:
            raise StorageError(
                "unit of work used outside its `with` block", hint="use `with store.unit_of_work() as uow:`"
            )
        self._transaction.commit()
        self._memory.committed()
        self._transaction = self.connection.begin()

    def savepoint(self) -> Savepoint:
        """A savepoint inside the unit of work; ``rollback()`` undoes only what came after it.

        Use this rather than ``connection.begin_nested()``: it also forgets the case states saved
        after it, so none of them is remembered as written when it rolls back.
        """
        return Savepoint(self.connection.begin_nested(), self._memory)

    @cached_property
    def events(self) -> EventRepository:
        return EventRepository(self.connection)

    @cached_property
    def cases(self) -> CaseRepository:
        return CaseRepository(self.connection, self.events, self._memory)

    @cached_property
    def tasks(self) -> TaskRepository:
        return TaskRepository(self.connection)

    @cached_property
    def timers(self) -> TimerRepository:
        return TimerRepository(self.connection)

    @cached_property
    def cursors(self) -> CursorRepository:
        return CursorRepository(self.connection)

    @cached_property
    def definitions(self) -> DefinitionRepository:
        return DefinitionRepository(self.connection)

    @cached_property
    def org(self) -> OrgRepository:
        return OrgRepository(self.connection)

    @cached_property
    def calendars(self) -> CalendarRepository:
        return CalendarRepository(self.connection)

    @cached_property
    def sla_policies(self) -> SlaPolicyRepository:
        return SlaPolicyRepository(self.connection)

    @cached_property
    def assignment(self) -> AssignmentRuleRepository:
        return AssignmentRuleRepository(self.connection)

    @cached_property
    def settings(self) -> SettingRepository:
        return SettingRepository(self.connection)


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


def _storage_error(exc: DBAPIError) -> StorageError:
    return StorageError(
        f"database error: {_first_line(exc)}",
        hint="check that the database is running and reachable, then retry",
    )
