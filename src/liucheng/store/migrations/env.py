"""Alembic environment: always runs on a connection handed over by ``upgrade()``."""

from __future__ import annotations

from alembic import context

from liucheng.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through liucheng.store.migrations.upgrade(engine)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite runs DDL inside our BEGIN IMMEDIATE transaction, so the whole upgrade is atomic.
    transactional_ddl=True,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
