"""Reference data: process definitions, the organisation, calendars and SLA policies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, bindparam, delete, func, insert, select, update

from liucheng.core.clock import require_aware
from liucheng.core.errors import ConflictError, NotFoundError, ValidationError
from liucheng.store.rows import DefinitionRow, GroupRow, UserRow
from liucheng.store.tables import assignment_rules as ar
from liucheng.store.tables import calendars as cal
from liucheng.store.tables import memberships as ms
from liucheng.store.tables import org_groups as og
from liucheng.store.tables import process_definitions as pd
from liucheng.store.tables import settings as st
from liucheng.store.tables import sla_policies as sp
from liucheng.store.tables import user_skills as sk
from liucheng.store.tables import users as us

GROUP_KINDS = ("role", "department", "team")

_GET_DEFINITION = select(*pd.c).where(pd.c.key == bindparam("key"), pd.c.version == bindparam("version"))
_MAX_VERSION = select(func.max(pd.c.version)).where(pd.c.key == bindparam("key"))


def _put(connection: Connection, key: Column[Any], ident: str, **values: Any) -> None:
    """Set the row whose ``key`` is ``ident`` to ``values``, adding it if it is not there."""
    table = key.table
    if connection.execute(update(table).where(key == ident).values(**values)).rowcount == 0:
        connection.execute(insert(table), {key.name: ident, **values})


class DefinitionRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def latest_version(self, key: str) -> int | None:
        """The newest deployed version of ``key`` (without reading its source)."""
        return self._conn.execute(_MAX_VERSION, {"key": key}).scalar_one()

    def get(self, key: str, version: int) -> DefinitionRow:
        row = self._conn.execute(_GET_DEFINITION, {"key": key, "version": version}).one_or_none()
        if row is None:
            raise NotFoundError(
                "process definition", f"{key} v{version}", hint="`liucheng process list` shows deployed ones"
            )
        return DefinitionRow(*row)

    def add(
        self,
        key: str,
        version: int,
        name: str,
        source: str,
        source_hash: str,
        deployed_at: datetime,
        by: str,
    ) -> DefinitionRow:
        newest = self._conn.execute(_MAX_VERSION, {"key": key}).scalar_one()
        if newest is not None and version <= newest:
            raise ConflictError(
                f"process {key!r} already has version {newest}; cannot deploy version {version}",
                hint=f"deploy it as version {newest + 1}",
            )
        row = DefinitionRow(
            key, version, name, source, source_hash, require_aware(deployed_at, "deployed_at"), by
        )
        self._conn.execute(
            insert(pd),
            {
                "key": key,
                "version": version,
                "name": name,
                "source": source,
                "source_hash": source_hash,
                "deployed_at": row.deployed_at,
                "deployed_by": by,
            },
        )
        return row

    def list(self) -> list[DefinitionRow]:
        return [DefinitionRow(*r) for r in self._conn.execute(select(*pd.c).order_by(pd.c.key, pd.c.version))]


class OrgRepository:
    """People, groups (roles, departments, teams), memberships with leads, and skills."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add_user(self, user_id: str, name: str, *, active: bool = True) -> None:
        self._conn.execute(insert(us), {"user_id": user_id, "name": name, "active": active})

    def set_active(self, user_id: str, active: bool) -> None:
        if self._conn.execute(update(us).where(us.c.user_id == user_id).values(active=active)).rowcount != 1:
            raise NotFoundError("user", user_id)

    def get_user(self, user_id: str) -> UserRow:
        row = self._conn.execute(select(*us.c).where(us.c.user_id == user_id)).one_or_none()
        if row is None:
            raise NotFoundError("user", user_id, hint="`liucheng org users` lists them")
        return UserRow(*row)

    def users(self, *, active_only: bool = False) -> list[UserRow]:
        stmt = select(*us.c).order_by(us.c.user_id)
        if active_only:
            stmt = stmt.where(us.c.active.is_(True))
        return [UserRow(*row) for row in self._conn.execute(stmt)]

    def add_group(self, group_id: str, name: str, *, kind: str, parent_id: str | None = None) -> None:
        if kind not in GROUP_KINDS:
            raise ValidationError(f"unknown group kind {kind!r}", where="kind", hint=f"one of {GROUP_KINDS}")
        self._conn.execute(
            insert(og), {"group_id": group_id, "name": name, "kind": kind, "parent_id": parent_id}
        )

    def groups(self, *, kind: str | None = None) -> list[GroupRow]:
        stmt = select(*og.c).order_by(og.c.group_id)
        if kind is not None:
            stmt = stmt.where(og.c.kind == kind)
        return [GroupRow(*row) for row in self._conn.execute(stmt)]

    def add_membership(self, user_id: str, group_id: str, *, is_lead: bool = False) -> None:
        self._conn.execute(insert(ms), {"user_id": user_id, "group_id": group_id, "is_lead": is_lead})

    def remove_membership(self, user_id: str, group_id: str) -> None:
        self._conn.execute(delete(ms).where(ms.c.user_id == user_id, ms.c.group_id == group_id))

    def members(self, group_id: str, *, active_only: bool = True) -> list[str]:
        """User ids in the group, sorted; inactive users are left out unless asked for."""
        stmt = select(ms.c.user_id).join(us, us.c.user_id == ms.c.user_id).where(ms.c.group_id == group_id)
        if active_only:
            stmt = stmt.where(us.c.active.is_(True))
        return list(self._conn.execute(stmt.order_by(ms.c.user_id)).scalars())

    def leads(self, group_id: str) -> list[str]:
        stmt = select(ms.c.user_id).where(ms.c.group_id == group_id, ms.c.is_lead.is_(True))
        return list(self._conn.execute(stmt.order_by(ms.c.user_id)).scalars())

    def groups_of(self, user_id: str) -> list[str]:
        stmt = select(ms.c.group_id).where(ms.c.user_id == user_id).order_by(ms.c.group_id)
        return list(self._conn.execute(stmt).scalars())

    def add_skill(self, user_id: str, skill: str) -> None:
        self._conn.execute(insert(sk), {"user_id": user_id, "skill": skill})

    def skills(self, user_id: str) -> list[str]:
        stmt = select(sk.c.skill).where(sk.c.user_id == user_id).order_by(sk.c.skill)
        return list(self._conn.execute(stmt).scalars())

    def users_with_skill(self, skill: str) -> list[str]:
        stmt = select(sk.c.user_id).where(sk.c.skill == skill).order_by(sk.c.user_id)
        return list(self._conn.execute(stmt).scalars())


class CalendarRepository:
    """Business calendars by name; the config is whatever ``core.calendar`` reads."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def put(self, name: str, config: dict[str, Any]) -> None:
        _put(self._conn, cal.c.name, name, config=config)

    def get(self, name: str) -> dict[str, Any]:
        config = self._conn.execute(select(cal.c.config).where(cal.c.name == name)).scalar_one_or_none()
        if config is None:
            raise NotFoundError("calendar", name, hint="`liucheng calendar list` shows the defined ones")
        return config

    def list(self) -> dict[str, dict[str, Any]]:
        return {name: config for name, config in self._conn.execute(select(cal.c.name, cal.c.config))}


class SlaPolicyRepository:
    """SLA policies by name; ``process_key`` None means the policy applies to every process."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def put(self, name: str, config: dict[str, Any], *, process_key: str | None = None) -> None:
        _put(self._conn, sp.c.name, name, config=config, process_key=process_key)

    def get(self, name: str) -> dict[str, Any]:
        config = self._conn.execute(select(sp.c.config).where(sp.c.name == name)).scalar_one_or_none()
        if config is None:
            raise NotFoundError("SLA policy", name, hint="`liucheng sla list` shows the defined ones")
        return config

    def list(self, *, process_key: str | None = None) -> dict[str, dict[str, Any]]:
        """All policies, or those for ``process_key`` plus the ones for every process."""
        stmt = select(sp.c.name, sp.c.config).order_by(sp.c.name)
        if process_key is not None:
            stmt = stmt.where((sp.c.process_key == process_key) | sp.c.process_key.is_(None))
        return {name: config for name, config in self._conn.execute(stmt)}


class AssignmentRuleRepository:
    """How each queue's new tasks are assigned: queue (group id) -> strategy name."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def put(self, queue: str, strategy: str) -> None:
        _put(self._conn, ar.c.queue, queue, strategy=strategy)

    def list(self) -> dict[str, str]:
        return dict(self._conn.execute(select(ar.c.queue, ar.c.strategy).order_by(ar.c.queue)).all())


class SettingRepository:
    """Organisation-wide settings by name, each a JSON value."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def put(self, name: str, value: Any) -> None:
        _put(self._conn, st.c.name, name, value=value)

    def get(self, name: str, default: Any = None) -> Any:
        value = self._conn.execute(select(st.c.value).where(st.c.name == name)).scalar_one_or_none()
        return default if value is None else value
