"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL.

PostgreSQL comes from ``$LIUCHENG_TEST_PG_URL`` (default: the local ``test`` database). Each test
gets its own schema (selected through ``search_path`` in the URL), dropped afterwards, so tests
never see each other's rows and child processes can open the same URL. Without a server the
PostgreSQL variants are skipped, unless ``LIUCHENG_REQUIRE_PG=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from liucheng.store import Store, open_store

PG_DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url = make_url(os.environ.get("LIUCHENG_TEST_PG_URL", PG_DEFAULT_URL))
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except OperationalError as exc:
        message = f"PostgreSQL at {url.render_as_string(hide_password=True)} is unreachable: {exc.orig}"
        if os.environ.get("LIUCHENG_REQUIRE_PG") == "1":
            pytest.fail(message)
        pytest.skip(message)
    finally:
        engine.dispose()
    return url.render_as_string(hide_password=False)


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A URL whose connections see only a fresh, empty schema of their own."""
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(pg_server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL on each backend, for tests that hand it to other processes."""
    if request.param == "postgres":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path / 'liucheng.db'}"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()
