"""The running state of one case. Plain msgspec structs: cheap to copy, encode and compare."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec


class CaseStatus(StrEnum):
    OPEN = "open"
    ON_HOLD = "on_hold"  # waiting on the customer; SLA clocks paused
    COMPLETED = "completed"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"


CLOSED_STATUSES = frozenset({CaseStatus.COMPLETED, CaseStatus.TERMINATED, CaseStatus.CANCELLED})


class TaskStatus(StrEnum):
    OPEN = "open"  # waiting in a queue or for its assignee to start
    CLAIMED = "claimed"  # someone is working on it
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"  # a service task out of retries: an incident


ACTIVE_TASK_STATUSES = frozenset({TaskStatus.OPEN, TaskStatus.CLAIMED})


class ClockStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"  # stopped within target
    MISSED = "missed"  # stopped after breach
    STOPPED = "stopped"  # case cancelled


class Token(msgspec.Struct, kw_only=True):
    id: str
    element_id: str


class Task(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    element_id: str
    kind: str
    name: str
    token_id: str
    created_at: datetime
    status: TaskStatus = TaskStatus.OPEN
    lane: str | None = None
    candidate_groups: list[str] = []
    skills: list[str] = []
    assignee: str | None = None
    claimed_at: datetime | None = None
    ended_at: datetime | None = None
    due_at: datetime | None = None
    attempts: int = 0
    retry_at: datetime | None = None
    child_case_id: str | None = None


class Timer(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    due_at: datetime
    #: "element" (intermediate catch), "boundary" or "sla".
    purpose: str
    element_id: str | None = None
    token_id: str | None = None
    task_id: str | None = None
    clock: str | None = None
    #: Repetitions still to come for a cycle timer.
    remaining: int | None = None


class SlaClock(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str
    target_s: int
    #: Business seconds counted up to ``running_since`` (or until paused/stopped).
    elapsed_s: int = 0
    running_since: datetime | None = None
    status: ClockStatus = ClockStatus.RUNNING
    #: Fractions of the target at which something happens (warnings, 1.0 = breach, escalations).
    thresholds: list[float] = []
    next_threshold: int = 0
    breached: bool = False
    #: Business seconds each department (lane) held the clock.
    held_s: dict[str, int] = {}
    #: The department (lane) holding the clock since ``running_since``.
    holder: str | None = None
    task_id: str | None = None


class CaseState(msgspec.Struct, kw_only=True, omit_defaults=True):
    case_id: str
    process_key: str
    process_version: int
    opened_at: datetime
    # category and priority carry no default: msgspec omits defaults by identity, and a value
    # read back from the database is equal but not identical, which would make encodings differ.
    category: str
    priority: str
    status: CaseStatus = CaseStatus.OPEN
    customer: str | None = None
    title: str = ""
    data: dict[str, Any] = {}
    closed_at: datetime | None = None
    tokens: dict[str, Token] = {}
    tasks: dict[str, Task] = {}
    timers: dict[str, Timer] = {}
    #: Parallel/inclusive joins: gateway id -> incoming flow id -> tokens arrived.
    joins: dict[str, dict[str, int]] = {}
    clocks: dict[str, SlaClock] = {}
    escalation_level: int = 0
    first_response_at: datetime | None = None
    reopen_count: int = 0
    parent_case_id: str | None = None
    parent_task_id: str | None = None
    #: Monotonic counter for deterministic ids of tokens, tasks and timers.
    counter: int = 0

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    def active_tasks(self) -> list[Task]:
        return [t for t in self.tasks.values() if t.status in ACTIVE_TASK_STATUSES]


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(CaseState)


def encode_state(state: CaseState) -> bytes:
    return _ENCODER.encode(state)


def decode_state(raw: bytes | str) -> CaseState:
    return _DECODER.decode(raw)


def clone_state(state: CaseState) -> CaseState:
    """A deep copy: the engine works on a copy so ``step`` never mutates its input."""
    return _DECODER.decode(_ENCODER.encode(state))
