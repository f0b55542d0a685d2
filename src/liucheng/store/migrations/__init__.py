"""Alembic migrations shipped inside the package: no ``alembic.ini`` needed.

``upgrade(engine)`` runs them programmatically. On PostgreSQL an advisory lock, on SQLite the
``BEGIN IMMEDIATE`` transaction, make concurrent upgrades from several processes safe: the later
ones wait, then find the schema current and do nothing.
"""

from __future__ import annotations

from contextlib import ExitStack
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

#: Any constant works; it only has to be the same in every process that migrates.
PG_MIGRATION_LOCK = 0x6C69756368656E67  # "liucheng"

#: The newest revision in ``versions/``. Opening a store compares the database with it, and only
#: an upgrade imports Alembic (a tenth of a second at every command otherwise); a test checks it
#: is Alembic's head, so a new migration must update it.
HEAD = "0003"


def _config(stack: ExitStack) -> Config:
    from alembic.config import Config

    location = stack.enter_context(resources.as_file(resources.files(__name__)))
    config = Config()
    config.set_main_option("script_location", str(location))
    return config


def head_revision() -> str:
    return HEAD


def alembic_head() -> str:
    """The head as Alembic finds it in ``versions/`` (what ``HEAD`` must say)."""
    from alembic.script import ScriptDirectory

    with ExitStack() as stack:
        head = ScriptDirectory.from_config(_config(stack)).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision recorded in the database (Alembic's ``alembic_version`` table), or None."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database at ``engine`` to ``revision`` in one transaction."""
    with ExitStack() as stack, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})")
        config = _config(stack)
        config.attributes["connection"] = connection
        from alembic import command

        command.upgrade(config, revision)
