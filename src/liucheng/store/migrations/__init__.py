"""Alembic migrations shipped inside the package: no ``alembic.ini`` needed.

``upgrade(engine)`` runs them programmatically. On PostgreSQL an advisory lock, on SQLite the
``BEGIN IMMEDIATE`` transaction, make concurrent upgrades from several processes safe: the later
ones wait, then find the schema current and do nothing.
"""

from __future__ import annotations

from contextlib import ExitStack
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

#: Any constant works; it only has to be the same in every process that migrates.
PG_MIGRATION_LOCK = 0x6C69756368656E67  # "liucheng"


def _config(stack: ExitStack) -> Config:
    location = stack.enter_context(resources.as_file(resources.files(__name__)))
    config = Config()
    config.set_main_option("script_location", str(location))
    return config


def head_revision() -> str:
    with ExitStack() as stack:
        head = ScriptDirectory.from_config(_config(stack)).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database at ``engine`` to ``revision`` in one transaction."""
    with ExitStack() as stack, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})")
        config = _config(stack)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
