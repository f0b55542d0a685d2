"""Read models the repositories return for lists and queues (the full case is a ``CaseState``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from liucheng.core.errors import ConflictError


@dataclass(frozen=True, slots=True)
class DefinitionRow:
    key: str
    version: int
    name: str
    source: str
    source_hash: str
    deployed_at: datetime
    deployed_by: str


@dataclass(frozen=True, slots=True)
class CaseRow:
    case_id: str
    process_key: str
    process_version: int
    status: str
    category: str
    priority: str
    customer: str | None
    title: str
    parent_case_id: str | None
    opened_at: datetime
    closed_at: datetime | None
    updated_at: datetime
    row_version: int
    event_count: int


@dataclass(frozen=True, slots=True)
class TaskRow:
    task_id: str
    case_id: str
    element_id: str
    name: str
    kind: str
    status: str
    lane: str | None
    candidate_groups: tuple[str, ...]
    assignee: str | None
    created_at: datetime
    claimed_at: datetime | None
    ended_at: datetime | None
    due_at: datetime | None
    retry_at: datetime | None
    attempts: int


@dataclass(frozen=True, slots=True)
class UserRow:
    user_id: str
    name: str
    active: bool


@dataclass(frozen=True, slots=True)
class GroupRow:
    group_id: str
    name: str
    kind: str
    parent_id: str | None


class StaleCaseError(ConflictError):
    """Someone saved the case after it was loaded: the command must be retried on fresh state."""

    code = "stale_case"

    def __init__(self, case_id: str, *, expected_version: int, actual_version: int) -> None:
        super().__init__(
            f"case {case_id!r} is at version {actual_version}, not {expected_version} as loaded",
            hint="reload the case and apply the command again",
        )
        self.case_id = case_id
        self.expected_version = expected_version
        self.actual_version = actual_version


class NewerVersionError(ConflictError):
    """A case was to open at a process version that is no longer the newest one."""

    code = "newer_version"

    def __init__(self, process_key: str, version: int) -> None:
        super().__init__(
            f"process {process_key!r} has a newer version than {version}, deployed meanwhile",
            hint="open the case again: it starts on the newest version",
        )
        self.process_key = process_key
        self.version = version
