"""The organisation config file (TOML): parsed and checked in full, then written in one transaction.

Sections (each optional; see ``docs/config-example.toml``):

* ``[[users]]``: ``id``, ``name``, ``active``, ``skills``
* ``[[groups]]``: ``id``, ``name``, ``kind`` (role, department, team), ``parent``, ``members``, ``leads``
* ``[[calendars]]``: a ``BusinessCalendar`` (``name``, ``zone``, ``weekly_hours``, ``holidays``, ...)
  or ``preset = "china_mainland"`` with optional ``name``, ``zone``, ``years``
* ``[[sla_policies]]``: an ``SlaPolicy`` plus ``processes``, the process keys it applies to
  (default every process)
* ``[assignment]``: queue (group id) = strategy (queue, round_robin, least_loaded, skill)
* ``categories``: the work-order categories cases may have (replaces the built-in list)

Loading merges into what is stored: new users, groups and skills are added, memberships and
lead flags set as written, calendars, policies and the named queues' rules replaced. Nothing is
deleted. Groups cannot be changed once created (the store has no update for them), so a group
that exists already keeps its name, kind and parent.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from liucheng.core.calendar import BusinessCalendar, china_mainland
from liucheng.core.errors import ValidationError
from liucheng.engine.assignment import Strategy, parse_strategy
from liucheng.engine.policy import SlaPolicy
from liucheng.services.platform import CATEGORIES_SETTING, load_config, save_assignment_rules
from liucheng.store import UnitOfWork
from liucheng.store.org import GROUP_KINDS

SECTIONS = ("users", "groups", "calendars", "sla_policies", "assignment", "categories")
PRESETS = ("china_mainland",)
_ALWAYS_OPEN = ("24x7", "UTC")


@dataclass
class UserEntry:
    id: str
    name: str
    active: bool = True
    skills: list[str] = field(default_factory=list)


@dataclass
class GroupEntry:
    id: str
    name: str
    kind: str
    parent: str | None = None
    members: list[str] = field(default_factory=list)
    leads: list[str] = field(default_factory=list)


@dataclass
class OrgConfig:
    users: list[UserEntry] = field(default_factory=list)
    #: Parents before children.
    groups: list[GroupEntry] = field(default_factory=list)
    calendars: list[BusinessCalendar] = field(default_factory=list)
    #: Each policy with the process keys it applies to (``["*"]`` for all).
    policies: list[tuple[SlaPolicy, list[str]]] = field(default_factory=list)
    assignment: dict[str, Strategy] = field(default_factory=dict)
    categories: list[str] | None = None


@dataclass
class LoadSummary:
    users_added: int = 0
    users_updated: int = 0
    groups_added: int = 0
    groups_kept: int = 0
    memberships: int = 0
    skills_added: int = 0
    calendars: int = 0
    policies: int = 0
    queues: int = 0
    categories: int = 0
    #: Things to act on soon, e.g. a calendar whose holiday list runs out.
    warnings: list[str] = field(default_factory=list)


# -- reading and checking the file ----------------------------------------------------------------
def read_config_file(path: Path) -> OrgConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(
            f"not valid TOML: {exc}", where=str(path), hint="check the line it names"
        ) from None
    except UnicodeDecodeError:
        raise ValidationError("not UTF-8 text", where=str(path), hint="save the file as UTF-8") from None
    return parse_config(data, where=str(path))


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValidationError(
            "must be a list of non-empty strings", where=where, hint='e.g. ["alice", "bob"]'
        )
    return list(value)


def _text(entry: Mapping[str, Any], key: str, where: str, *, default: str | None = None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{key} must be a non-empty string", where=f"{where}.{key}")
    return value


def _entries(data: Mapping[str, Any], section: str, where: str, allowed: set[str]) -> list[tuple[str, dict]]:
    raw = data.get(section, [])
    if not isinstance(raw, list):
        raise ValidationError(
            "must be an array of tables",
            where=f"{where}: {section}",
            hint=f"write each entry as [[{section}]]",
        )
    out = []
    for i, entry in enumerate(raw):
        place = f"{where}: {section}[{i}]"
        if not isinstance(entry, dict):
            raise ValidationError("must be a table", where=place, hint=f"write each entry as [[{section}]]")
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise ValidationError(
                f"unknown key {unknown[0]!r}", where=place, hint=f"known keys: {sorted(allowed)}"
            )
        out.append((place, entry))
    return out


def _unique(ids: list[str], what: str, where: str) -> None:
    seen: set[str] = set()
    for ident in ids:
        if ident in seen:
            raise ValidationError(f"{what} {ident!r} is listed twice", where=where, hint="keep one entry")
        seen.add(ident)


def _calendar(place: str, entry: dict[str, Any]) -> BusinessCalendar:
    preset = entry.get("preset")
    if preset is None:
        try:
            return BusinessCalendar.from_dict(_json_dates(entry))
        except ValidationError as exc:
            raise ValidationError(exc.message, where=place, hint=exc.hint) from None
    if preset not in PRESETS:
        raise ValidationError(f"unknown preset {preset!r}", where=f"{place}.preset", hint=f"one of {PRESETS}")
    allowed = ("name", "zone", "years", "holidays", "makeup_workdays")
    extra = sorted(set(entry) - {"preset", *allowed})
    if extra:
        raise ValidationError(
            f"{extra[0]!r} cannot be combined with a preset",
            where=place,
            hint="a preset takes name, zone, years, and holidays and makeup_workdays to add",
        )
    options: dict[str, Any] = {k: _json_dates(entry[k]) for k in allowed if k in entry}
    try:
        return china_mainland(**options)
    except ValidationError as exc:
        raise ValidationError(exc.message, where=place, hint=exc.hint) from None


def _json_dates(value: Any) -> Any:
    """TOML dates as ISO strings, so what is stored is plain JSON."""
    if isinstance(value, dict):
        return {k: _json_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_dates(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _parent_first(groups: list[GroupEntry], where: str) -> list[GroupEntry]:
    by_id = {g.id: g for g in groups}
    ordered: list[GroupEntry] = []
    state: dict[str, str] = {}

    def visit(group: GroupEntry) -> None:
        if state.get(group.id) == "done":
            return
        if state.get(group.id) == "visiting":
            raise ValidationError(
                f"group {group.id!r} is its own ancestor",
                where=f"{where}: groups",
                hint="parents must form a tree",
            )
        state[group.id] = "visiting"
        if group.parent in by_id:
            visit(by_id[group.parent])
        state[group.id] = "done"
        ordered.append(group)

    for group in groups:
        visit(group)
    return ordered


def parse_config(data: Mapping[str, Any], *, where: str = "config") -> OrgConfig:
    """Check the file's own content; references to stored rows are checked by ``apply_config``."""
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ValidationError(
            f"unknown section {unknown[0]!r}", where=where, hint=f"sections: {', '.join(SECTIONS)}"
        )
    config = OrgConfig()
    for place, entry in _entries(data, "users", where, {"id", "name", "active", "skills"}):
        ident = _text(entry, "id", place)
        active = entry.get("active", True)
        if not isinstance(active, bool):
            raise ValidationError("active must be true or false", where=f"{place}.active")
        config.users.append(
            UserEntry(
                ident,
                _text(entry, "name", place, default=ident),
                active,
                _strings(entry.get("skills"), f"{place}.skills"),
            )
        )
    _unique([u.id for u in config.users], "user", f"{where}: users")
    groups = []
    for place, entry in _entries(data, "groups", where, {"id", "name", "kind", "parent", "members", "leads"}):
        ident = _text(entry, "id", place)
        kind = _text(entry, "kind", place)
        if kind not in GROUP_KINDS:
            raise ValidationError(
                f"unknown kind {kind!r}", where=f"{place}.kind", hint=f"one of {GROUP_KINDS}"
            )
        parent = entry.get("parent")
        if parent is not None:
            parent = _text(entry, "parent", place)
        groups.append(
            GroupEntry(
                ident,
                _text(entry, "name", place, default=ident),
                kind,
                parent,
                _strings(entry.get("members"), f"{place}.members"),
                _strings(entry.get("leads"), f"{place}.leads"),
            )
        )
    _unique([g.id for g in groups], "group", f"{where}: groups")
    config.groups = _parent_first(groups, where)
    for place, entry in _entries(
        data,
        "calendars",
        where,
        {"preset", "name", "zone", "weekly_hours", "holidays", "makeup_workdays", "makeup_weekday", "years"},
    ):
        config.calendars.append(_calendar(place, entry))
    _unique([c.name for c in config.calendars], "calendar", f"{where}: calendars")
    policy_keys = {
        "name",
        "calendar",
        "warn_fractions",
        "targets",
        "escalation",
        "pause_on_hold",
        "steps",
        "processes",
    }
    for place, entry in _entries(data, "sla_policies", where, policy_keys):
        try:
            policy = SlaPolicy.from_dict(entry)
        except (ValidationError, KeyError, TypeError, ValueError) as exc:
            message = exc.message if isinstance(exc, ValidationError) else f"bad value: {exc}"
            raise ValidationError(message, where=place, hint="see SlaPolicy.from_dict for the form") from None
        config.policies.append((policy, _strings(entry.get("processes", ["*"]), f"{place}.processes")))
    _unique([p.name for p, _ in config.policies], "SLA policy", f"{where}: sla_policies")
    rules = data.get("assignment", {})
    if not isinstance(rules, dict):
        raise ValidationError(
            "must be a table of queue = strategy",
            where=f"{where}: assignment",
            hint='e.g. [assignment]\nagent = "round_robin"',
        )
    for queue, strategy in rules.items():
        config.assignment[queue] = parse_strategy(str(strategy), where=f"{where}: assignment.{queue}")
    if "categories" in data:
        categories = _strings(data["categories"], f"{where}: categories")
        bad = [c for c in categories if not c or len(c) > 100 or not c.isidentifier()]
        if not categories or bad:
            raise ValidationError(
                f"category {bad[0]!r} is not usable" if bad else "the list of categories is empty",
                where=f"{where}: categories",
                hint='list names such as categories = ["complaint", "inquiry", "fault"] (letters, digits, _)',
            )
        _unique(categories, "category", f"{where}: categories")
        config.categories = categories
    return config


# -- writing it -----------------------------------------------------------------------------------
def _check_references(uow: UnitOfWork, config: OrgConfig) -> None:
    users = {u.id for u in config.users} | {u.user_id for u in uow.org.users()}
    groups = {g.id for g in config.groups} | {g.group_id for g in uow.org.groups()}
    calendars = {c.name for c in config.calendars} | set(uow.calendars.list()) | set(_ALWAYS_OPEN)
    for group in config.groups:
        if group.parent is not None and group.parent not in groups:
            raise ValidationError(
                f"parent {group.parent!r} of group {group.id!r} is not a group",
                where="groups",
                hint="add the parent group or fix the id",
            )
        for user in (*group.members, *group.leads):
            if user not in users:
                raise ValidationError(
                    f"member {user!r} of group {group.id!r} is not a user",
                    where="groups",
                    hint="add the user under [[users]]",
                )
    for policy, _ in config.policies:
        if policy.calendar not in calendars:
            raise ValidationError(
                f"policy {policy.name!r} uses unknown calendar {policy.calendar!r}",
                where="sla_policies",
                hint="add it under [[calendars]] or use 24x7",
            )
    for queue in config.assignment:
        if queue not in groups:
            raise ValidationError(
                f"assignment queue {queue!r} is not a group",
                where="assignment",
                hint="a queue is the group id a lane names; add it under [[groups]]",
            )


def apply_config(uow: UnitOfWork, config: OrgConfig, *, today: date | None = None) -> LoadSummary:
    """Write ``config`` in the caller's unit of work; any error leaves the whole transaction unwritten.

    ``today`` (the platform clock's date) lets the summary warn about calendars whose holiday
    lists run out soon."""
    _check_references(uow, config)
    summary = LoadSummary()
    existing_users = {u.user_id for u in uow.org.users()}
    for user in config.users:
        if user.id in existing_users:
            uow.org.set_active(user.id, user.active)
            summary.users_updated += 1
        else:
            uow.org.add_user(user.id, user.name, active=user.active)
            summary.users_added += 1
        for skill in sorted(set(user.skills) - set(uow.org.skills(user.id))):
            uow.org.add_skill(user.id, skill)
            summary.skills_added += 1
    existing_groups = {g.group_id for g in uow.org.groups()}
    for group in config.groups:
        if group.id in existing_groups:
            summary.groups_kept += 1
        else:
            uow.org.add_group(group.id, group.name, kind=group.kind, parent_id=group.parent)
            summary.groups_added += 1
        leads = set(group.leads)
        for user in dict.fromkeys([*group.members, *group.leads]):
            # remove, then add: sets the lead flag as written whether or not the membership existed
            uow.org.remove_membership(user, group.id)
            uow.org.add_membership(user, group.id, is_lead=user in leads)
            summary.memberships += 1
    for calendar in config.calendars:
        uow.calendars.put(calendar.name, calendar.to_dict())
        summary.calendars += 1
        warning = calendar.holiday_warning(today) if today is not None else None
        if warning is not None:
            summary.warnings.append(warning)
    for policy, processes in config.policies:
        single = processes[0] if len(processes) == 1 and processes[0] != "*" else None
        uow.sla_policies.put(policy.name, policy.to_dict() | {"processes": processes}, process_key=single)
        summary.policies += 1
    if config.assignment:
        save_assignment_rules(uow, config.assignment)
        summary.queues = len(config.assignment)
    if config.categories is not None:
        uow.settings.put(CATEGORIES_SETTING, config.categories)
        summary.categories = len(config.categories)
    return summary


def calendar_warnings(uow: UnitOfWork, today: date) -> list[str]:
    """Warnings for the stored calendars whose holiday lists run out soon (see ``holiday_warning``)."""
    found = (BusinessCalendar.from_dict(data).holiday_warning(today) for data in uow.calendars.list().values())
    return [warning for warning in found if warning is not None]


def current_config(uow: UnitOfWork) -> dict[str, Any]:
    """What is stored, in the file's own shape (so it can be edited and loaded again)."""
    org = uow.org
    users = [
        {"id": u.user_id, "name": u.name, "active": u.active, "skills": org.skills(u.user_id)}
        for u in org.users()
    ]
    groups = []
    for g in org.groups():
        leads = org.leads(g.group_id)
        entry: dict[str, Any] = {"id": g.group_id, "name": g.name, "kind": g.kind}
        if g.parent_id:
            entry["parent"] = g.parent_id
        entry["members"] = [m for m in org.members(g.group_id, active_only=False) if m not in leads]
        entry["leads"] = leads
        groups.append(entry)
    policies = list(uow.sla_policies.list().values())
    assignment = uow.assignment.list()
    return {
        "users": users,
        "groups": groups,
        "calendars": list(uow.calendars.list().values()),
        "sla_policies": policies,
        "assignment": assignment,
        "categories": sorted(load_config(uow).categories),
    }
