"""Storage: SQLAlchemy Core tables, Alembic migrations, repositories and the unit of work.

SQLite (WAL) is the embedded default, PostgreSQL the production database; both behave the same.

    store = open_store()                  # $LIUCHENG_DATABASE_URL or ./liucheng.db
    with store.unit_of_work() as uow:     # one transaction
        state, version = uow.cases.get_for_update(case_id)
        new_state, events = step(state, command, now)
        uow.cases.save(new_state, events, expected_version=version, now=now)
"""

from liucheng.store.cases import CaseRepository
from liucheng.store.db import DEFAULT_URL, ENV_URL, Store, open_store, resolve_url
from liucheng.store.eventstore import EventRepository
from liucheng.store.migrations import current_revision, head_revision, upgrade
from liucheng.store.org import CalendarRepository, DefinitionRepository, OrgRepository, SlaPolicyRepository
from liucheng.store.queues import CursorRepository, TaskRepository, TimerRepository
from liucheng.store.rows import CaseRow, DefinitionRow, GroupRow, StaleCaseError, TaskRow, UserRow
from liucheng.store.tables import metadata
from liucheng.store.types import UtcDateTime
from liucheng.store.uow import UnitOfWork

__all__ = [
    "DEFAULT_URL",
    "ENV_URL",
    "CalendarRepository",
    "CaseRepository",
    "CaseRow",
    "CursorRepository",
    "DefinitionRepository",
    "DefinitionRow",
    "EventRepository",
    "GroupRow",
    "OrgRepository",
    "SlaPolicyRepository",
    "StaleCaseError",
    "Store",
    "TaskRepository",
    "TaskRow",
    "TimerRepository",
    "UnitOfWork",
    "UserRow",
    "UtcDateTime",
    "current_revision",
    "head_revision",
    "metadata",
    "open_store",
    "resolve_url",
    "upgrade",
]
