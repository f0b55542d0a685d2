"""Opening stores, migrations and the schema they build."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, create_engine, inspect

import liucheng.store as store_api
from liucheng.core.errors import StorageError
from liucheng.store import Store, head_revision, open_store, resolve_url
from liucheng.store.tables import metadata


def _diff(store: Store, target: MetaData) -> list[object]:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, target)


def test_the_migrated_schema_is_exactly_the_tables_module(store: Store) -> None:
    assert _diff(store, metadata) == []
    # The comparison is not vacuous: a column the migration lacks shows up.
    changed = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["cases"].append_column(Column("extra", Integer))
    assert [d[0] for d in _diff(store, changed)] == ["add_column"]


def test_the_version_is_recorded_and_reopening_is_a_no_op(store_url: str) -> None:
    with open_store(store_url) as first:
        with first.engine.connect() as connection:
            assert store_api.current_revision(connection) == head_revision()
        tables = set(inspect(first.engine).get_table_names())
    assert set(metadata.tables) <= tables and "alembic_version" in tables
    with open_store(store_url, create=False) as again, again.unit_of_work() as uow:
        assert uow.events.count() == 0


def test_an_unmigrated_database_is_refused_without_create(store_url: str) -> None:
    if store_url.startswith("sqlite"):
        create_engine(store_url).connect().close()  # an empty file, like a fresh deploy
    with pytest.raises(StorageError, match="schema none") as caught:
        open_store(store_url, create=False)
    assert "upgrade" in (caught.value.hint or "")


def test_a_missing_sqlite_file_is_refused_without_create(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        open_store(f"sqlite:///{tmp_path / 'nope.db'}", create=False)
    assert not (tmp_path / "nope.db").exists()


def test_an_unreachable_server_is_a_storage_error_with_a_hint() -> None:
    # Port 1 on localhost: nothing listens there, so the refusal is immediate.
    with pytest.raises(StorageError, match="cannot use database") as caught:
        open_store("postgresql://postgres@127.0.0.1:1/nowhere")
    assert "127.0.0.1:1" in (caught.value.hint or "")


def test_url_comes_from_argument_then_environment_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(store_api.ENV_URL, raising=False)
    assert resolve_url().database == "liucheng.db"
    monkeypatch.setenv(store_api.ENV_URL, "postgresql://u@db.example:5433/prod")
    from_env = resolve_url()
    assert (from_env.drivername, from_env.host, from_env.port) == ("postgresql+psycopg", "db.example", 5433)
    assert resolve_url("sqlite:////tmp/x.db").database == "/tmp/x.db"
    with pytest.raises(StorageError, match="unsupported"):
        resolve_url("mysql://u@h/db")
    with pytest.raises(StorageError, match="not a database URL"):
        resolve_url("no url at all")


def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'x.db'}") as store, store.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
        }
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "synchronous": 1, "busy_timeout": 30_000}


def test_public_api_is_pinned() -> None:
    assert sorted(store_api.__all__) == sorted(
        [
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
    )
    assert all(hasattr(store_api, name) for name in store_api.__all__)


def test_0002_moves_assignment_rules_out_of_the_policies_table(store_url: str) -> None:
    """A database created at 0001 kept assignment rules as a reserved policy row."""
    import json

    from sqlalchemy import create_engine, text

    from liucheng.store import upgrade

    engine = create_engine(resolve_url(store_url))
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO sla_policies (name, process_key, config) VALUES ('assignment', NULL, :c)"),
            {"c": json.dumps({"queues": {"agent": "round_robin", "back_office": "skill"}})},
        )
        connection.execute(
            text("INSERT INTO sla_policies (name, process_key, config) VALUES ('hotline', NULL, :c)"),
            {"c": json.dumps({"name": "hotline"})},
        )
    engine.dispose()
    store = open_store(store_url)
    with store.unit_of_work() as uow:
        assert uow.assignment.list() == {"agent": "round_robin", "back_office": "skill"}
        assert list(uow.sla_policies.list()) == ["hotline"]
    store.close()


def test_the_head_the_store_expects_is_alembics_head() -> None:
    from liucheng.store import migrations

    assert migrations.alembic_head() == migrations.HEAD, "a new migration must update migrations.HEAD"
