"""Initial schema: definitions, cases, projections, the append-only event log, org and settings.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from liucheng.store.types import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies, not imports from tables.py: this revision must keep building the same schema.
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_BOOL = sa.Boolean(create_constraint=False)

_APPEND_ONLY = {
    "sqlite": (
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed'); END",
        "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE is not allowed'); END",
    ),
    "postgresql": (
        "CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'events are append-only: % is not allowed', TG_OP "
        "USING ERRCODE = 'restrict_violation'; END $$",
        "CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events "
        "FOR EACH ROW EXECUTE FUNCTION events_append_only()",
        "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
        "FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()",
    ),
}


def upgrade() -> None:
    op.create_table(
        "process_definitions",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_hash", sa.String(64), nullable=False),
        sa.Column("deployed_at", UtcDateTime, nullable=False),
        sa.Column("deployed_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("key", "version", name="pk_process_definitions"),
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("process_key", sa.String(100), nullable=False),
        sa.Column("process_version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("customer", sa.String(200)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("parent_case_id", sa.String(64)),
        sa.Column("opened_at", UtcDateTime, nullable=False),
        sa.Column("closed_at", UtcDateTime),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("row_version", sa.Integer, nullable=False),
        sa.Column("event_count", sa.Integer, nullable=False),
        sa.Column("state", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_cases"),
    )
    op.create_index("ix_cases_status_category_priority", "cases", ["status", "category", "priority"])
    op.create_index("ix_cases_process_key", "cases", ["process_key"])
    op.create_index("ix_cases_customer", "cases", ["customer"])

    op.create_table(
        "tasks",
        sa.Column("task_id", sa.String(100), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("element_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("lane", sa.String(100)),
        sa.Column("candidate_groups", sa.Text, nullable=False),
        sa.Column("assignee", sa.String(100)),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("claimed_at", UtcDateTime),
        sa.Column("ended_at", UtcDateTime),
        sa.Column("due_at", UtcDateTime),
        sa.Column("retry_at", UtcDateTime),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("task_id", name="pk_tasks"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name="fk_tasks_case_id_cases"),
    )
    op.create_index("ix_tasks_assignee_status", "tasks", ["assignee", "status"])
    op.create_index("ix_tasks_lane_status", "tasks", ["lane", "status"])
    op.create_index("ix_tasks_kind_status_retry_at", "tasks", ["kind", "status", "retry_at"])
    op.create_index("ix_tasks_case_id", "tasks", ["case_id"])

    op.create_table(
        "timers",
        sa.Column("timer_id", sa.String(100), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("due_at", UtcDateTime, nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("timer_id", name="pk_timers"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name="fk_timers_case_id_cases"),
    )
    op.create_index("ix_timers_due_at", "timers", ["due_at"])
    op.create_index("ix_timers_case_id", "timers", ["case_id"])

    op.create_table(
        "events",
        sa.Column("seq", _SEQ, nullable=False, autoincrement=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("activity", sa.String(200)),
        sa.Column("lifecycle", sa.String(20)),
        sa.Column("resource", sa.String(100)),
        sa.Column("group_name", sa.String(100)),
        sa.Column("task_id", sa.String(100)),
        sa.Column("element_id", sa.String(100)),
        sa.Column("data", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_events"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name="fk_events_case_id_cases"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_events_case_id_seq", "events", ["case_id", "seq"])

    op.create_table(
        "users",
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("active", _BOOL, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_users"),
    )
    op.create_table(
        "org_groups",
        sa.Column("group_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("parent_id", sa.String(100)),
        sa.PrimaryKeyConstraint("group_id", name="pk_org_groups"),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["org_groups.group_id"], name="fk_org_groups_parent_id_org_groups"
        ),
        sa.CheckConstraint("kind IN ('role', 'department', 'team')", name="ck_org_groups_kind"),
    )
    op.create_table(
        "memberships",
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("group_id", sa.String(100), nullable=False),
        sa.Column("is_lead", _BOOL, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "group_id", name="pk_memberships"),
        sa.ForeignKeyConstraint(["user_id"], ["users.user_id"], name="fk_memberships_user_id_users"),
        sa.ForeignKeyConstraint(
            ["group_id"], ["org_groups.group_id"], name="fk_memberships_group_id_org_groups"
        ),
    )
    op.create_index("ix_memberships_group_id", "memberships", ["group_id"])
    op.create_table(
        "user_skills",
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("skill", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "skill", name="pk_user_skills"),
        sa.ForeignKeyConstraint(["user_id"], ["users.user_id"], name="fk_user_skills_user_id_users"),
    )
    op.create_index("ix_user_skills_skill", "user_skills", ["skill"])

    op.create_table(
        "calendars",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_calendars"),
    )
    op.create_table(
        "sla_policies",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("process_key", sa.String(100)),
        sa.Column("config", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_sla_policies"),
    )
    op.create_index("ix_sla_policies_process_key", "sla_policies", ["process_key"])
    op.create_table(
        "assignment_cursors",
        sa.Column("queue", sa.String(200), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("queue", name="pk_assignment_cursors"),
    )

    for statement in _APPEND_ONLY.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION events_append_only() CASCADE")
    for table in (
        "assignment_cursors",
        "sla_policies",
        "calendars",
        "user_skills",
        "memberships",
        "org_groups",
        "users",
        "events",
        "timers",
        "tasks",
        "cases",
        "process_definitions",
    ):
        op.drop_table(table)
