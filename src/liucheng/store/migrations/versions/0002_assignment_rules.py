"""Assignment rules get a table of their own (they were a reserved row of sla_policies).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_RESERVED = "assignment"


def upgrade() -> None:
    rules = op.create_table(
        "assignment_rules",
        sa.Column("queue", sa.String(200), primary_key=True),
        sa.Column("strategy", sa.String(40), nullable=False),
    )
    bind = op.get_bind()
    row = bind.execute(
        sa.text("SELECT config FROM sla_policies WHERE name = :name"), {"name": _RESERVED}
    ).one_or_none()
    if row is not None:
        config = row[0] if isinstance(row[0], dict) else json.loads(row[0])
        queues = config.get("queues", {})
        if queues:
            op.bulk_insert(rules, [{"queue": q, "strategy": s} for q, s in queues.items()])
        bind.execute(sa.text("DELETE FROM sla_policies WHERE name = :name"), {"name": _RESERVED})


def downgrade() -> None:
    op.drop_table("assignment_rules")
