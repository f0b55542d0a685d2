"""Opening a store: URL resolution, engine settings per backend, schema checks."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry

from liucheng.core.env import DEFAULT_URL, ENV_URL
from liucheng.core.errors import StorageError
from liucheng.store import migrations
from liucheng.store.cases import CASE_CACHE_SIZE, CaseCache
from liucheng.store.uow import UnitOfWork

#: How long a SQLite writer waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_S = 30


class Store:
    """A database holding liucheng's data. Open one per process; it owns a connection pool.

    It also remembers the states of the cases it saved last (``case_cache_size`` of them; 0
    turns that off), so the next command on such a case needs no read; see ``store.cases``.
    """

    def __init__(self, engine: Engine, *, case_cache_size: int = CASE_CACHE_SIZE) -> None:
        self.engine = engine
        self.dialect: str = engine.dialect.name
        self.case_cache = CaseCache(case_cache_size)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """One transaction: ``with store.unit_of_work() as uow: ...`` commits on a clean exit.

        ``read_only`` units skip SQLite's write lock, so queries never wait behind writers.
        """
        return UnitOfWork(self.engine, read_only=read_only, case_cache=self.case_cache)

    def close(self) -> None:
        self.case_cache.clear()
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"


def resolve_url(url: str | None = None) -> URL:
    """The argument, else ``$LIUCHENG_DATABASE_URL``, else ``liucheng.db`` in the working directory."""
    text = url or os.environ.get(ENV_URL) or DEFAULT_URL
    try:
        parsed = make_url(text)
    except ArgumentError as exc:
        raise StorageError(
            f"{text!r} is not a database URL",
            hint="use sqlite:///path/to/file.db or postgresql://user@host:5432/dbname",
        ) from exc
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise StorageError(
            f"unsupported database {parsed.drivername!r}",
            hint="liucheng runs on SQLite (sqlite:///file.db) or PostgreSQL (postgresql://...)",
        )
    return parsed


def open_store(url: str | None = None, *, create: bool = True, case_cache_size: int = CASE_CACHE_SIZE) -> Store:
    """Open the database at ``url`` and make sure its schema is current.

    With ``create`` the schema is created or upgraded as needed; without it a missing or outdated
    schema is an error, for processes that should never migrate (API workers behind a deploy step).
    ``case_cache_size``: how many recently saved case states the store remembers (0: none).
    """
    parsed = resolve_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed, create=create)
    else:
        engine = create_engine(parsed, pool_size=5, max_overflow=10)
    store = Store(engine, case_cache_size=case_cache_size)
    try:
        _check_schema(store, create=create)
    except BaseException:
        engine.dispose()
        raise
    return store


def _sqlite_engine(url: URL, *, create: bool) -> Engine:
    path = url.database
    if path and path != ":memory:" and not path.startswith("file:"):
        if not create and not Path(path).exists():
            raise StorageError(
                f"SQLite database {path!r} does not exist",
                hint="create it with `liucheng db upgrade` or open it with create=True",
            )
        if not Path(path).parent.exists():
            raise StorageError(
                f"folder {str(Path(path).parent)!r} for SQLite database {path!r} does not exist",
                hint="create the folder first or choose another path",
            )
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    # Hand transaction control to SQLAlchemy so that _sqlite_on_begin decides how each one starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    # In WAL mode NORMAL loses nothing when the process dies; only an OS crash can drop the last
    # commits, never corrupt the file.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, retried: when several processes open a new database at once,
    SQLite can refuse the switch with "database is locked" at once instead of waiting its busy
    timeout (seen with six processes starting together)."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_on_begin(connection: Any) -> None:
    # A deferred transaction that reads and then writes can fail with SQLITE_BUSY without waiting;
    # taking the write lock up front makes writers queue on busy_timeout instead.
    read_only = connection.get_execution_options().get("liucheng_read_only", False)
    driver = connection.connection.driver_connection
    if driver.in_transaction:
        return  # a unit of work that began on the driver connection and now needs SQLAlchemy
    # Straight to the driver: this runs for every unit of work.
    driver.execute("BEGIN" if read_only else "BEGIN IMMEDIATE").close()


def _check_schema(store: Store, *, create: bool) -> None:
    head = migrations.head_revision()
    try:
        with store.engine.connect() as connection:
            current = migrations.current_revision(connection)
            connection.rollback()
        if current == head:
            return
        if not create:
            raise StorageError(
                f"database {store.url} is at schema {current or 'none'}, this liucheng needs {head}",
                hint="run `liucheng db upgrade` (or open the store with create=True)",
            )
        migrations.upgrade(store.engine)
    except DBAPIError as exc:
        raise StorageError(
            f"cannot use database {store.url}: {str(exc.orig).strip().splitlines()[0] if exc.orig else exc}",
            hint=_reach_hint(store),
        ) from exc


def _reach_hint(store: Store) -> str:
    if store.dialect == "sqlite":
        return "check that the file is a SQLite database and that you may write to it"
    url = store.engine.url
    return (
        f"is PostgreSQL running on {url.host or 'localhost'}:{url.port or 5432} and does database "
        f"{url.database!r} exist? Set {ENV_URL} to the right URL"
    )
