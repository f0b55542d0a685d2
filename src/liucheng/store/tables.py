"""The schema as SQLAlchemy Core tables. Migrations in ``migrations/versions`` must build exactly this
(a test compares them); change both together."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from liucheng.store.types import UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

#: SQLite only gives a never-reused, monotonic rowid with INTEGER PRIMARY KEY AUTOINCREMENT.
SEQ_TYPE = BigInteger().with_variant(Integer(), "sqlite")

process_definitions = Table(
    "process_definitions",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("source", Text, nullable=False),
    Column("source_hash", String(64), nullable=False),
    Column("deployed_at", UtcDateTime, nullable=False),
    Column("deployed_by", String(100), nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("process_key", String(100), nullable=False),
    Column("process_version", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("category", String(100), nullable=False),
    Column("priority", String(20), nullable=False),
    Column("customer", String(200)),
    Column("title", Text, nullable=False),
    Column("parent_case_id", String(64)),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("row_version", Integer, nullable=False),
    Column("event_count", Integer, nullable=False),
    Column("state", LargeBinary, nullable=False),
    Index(None, "status", "category", "priority"),
    Index(None, "process_key"),
    Index(None, "customer"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("task_id", String(100), primary_key=True),
    Column("case_id", String(64), ForeignKey("cases.case_id"), nullable=False),
    Column("element_id", String(100), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("lane", String(100)),
    Column("candidate_groups", Text, nullable=False),
    Column("assignee", String(100)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("claimed_at", UtcDateTime),
    Column("ended_at", UtcDateTime),
    Column("due_at", UtcDateTime),
    Column("retry_at", UtcDateTime),
    Column("attempts", Integer, nullable=False),
    Index(None, "assignee", "status"),
    Index(None, "lane", "status"),
    Index(None, "kind", "status", "retry_at"),
    Index(None, "case_id"),
)

timers = Table(
    "timers",
    metadata,
    Column("timer_id", String(100), primary_key=True),
    Column("case_id", String(64), ForeignKey("cases.case_id"), nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("purpose", String(20), nullable=False),
    Index(None, "due_at"),
    Index(None, "case_id"),
)

events = Table(
    "events",
    metadata,
    Column("seq", SEQ_TYPE, primary_key=True, autoincrement=True),
    Column("case_id", String(64), ForeignKey("cases.case_id"), nullable=False),
    Column("type", String(40), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("activity", String(200)),
    Column("lifecycle", String(20)),
    Column("resource", String(100)),
    Column("group_name", String(100)),
    Column("task_id", String(100)),
    Column("element_id", String(100)),
    Column("data", Text, nullable=False),
    Index(None, "case_id", "seq"),
    sqlite_autoincrement=True,
)

users = Table(
    "users",
    metadata,
    Column("user_id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("active", Boolean(create_constraint=False), nullable=False),
)

org_groups = Table(
    "org_groups",
    metadata,
    Column("group_id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("parent_id", String(100), ForeignKey("org_groups.group_id")),
    CheckConstraint("kind IN ('role', 'department', 'team')", name="kind"),
)

memberships = Table(
    "memberships",
    metadata,
    Column("user_id", String(100), ForeignKey("users.user_id"), primary_key=True),
    Column("group_id", String(100), ForeignKey("org_groups.group_id"), primary_key=True),
    Column("is_lead", Boolean(create_constraint=False), nullable=False),
    Index(None, "group_id"),
)

user_skills = Table(
    "user_skills",
    metadata,
    Column("user_id", String(100), ForeignKey("users.user_id"), primary_key=True),
    Column("skill", String(100), primary_key=True),
    Index(None, "skill"),
)

calendars = Table(
    "calendars",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("config", JSON, nullable=False),
)

sla_policies = Table(
    "sla_policies",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("process_key", String(100)),
    Column("config", JSON, nullable=False),
    Index(None, "process_key"),
)

settings = Table(
    "settings",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", JSON, nullable=False),
)

assignment_rules = Table(
    "assignment_rules",
    metadata,
    Column("queue", String(200), primary_key=True),
    Column("strategy", String(40), nullable=False),
)

assignment_cursors = Table(
    "assignment_cursors",
    metadata,
    Column("queue", String(200), primary_key=True),
    Column("position", BigInteger, nullable=False),
)
