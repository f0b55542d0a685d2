"""Commands: what a person, the worker or another case asks of a case."""

from __future__ import annotations

from typing import Any

import msgspec


class Command(msgspec.Struct, kw_only=True, frozen=True, tag_field="command"):
    """Base of every command; ``by`` is the user (or ``system``) who asks."""

    by: str = "system"


class OpenCase(Command, tag="open_case"):
    case_id: str
    process_key: str
    category: str = "inquiry"
    priority: str = "P3"
    customer: str | None = None
    title: str = ""
    data: dict[str, Any] = {}
    parent_case_id: str | None = None
    parent_task_id: str | None = None


class ClaimTask(Command, tag="claim"):
    task_id: str


class ReleaseTask(Command, tag="release"):
    task_id: str


class ReassignTask(Command, tag="reassign"):
    """Give the task to a person (``to_user``) or back to a queue (``to_group``)."""

    task_id: str
    to_user: str | None = None
    to_group: str | None = None


class CompleteTask(Command, tag="complete"):
    task_id: str
    form: dict[str, Any] = {}


class AddComment(Command, tag="comment"):
    text: str
    public: bool = True  # a reply to the customer counts as a response


class PutOnHold(Command, tag="hold"):
    reason: str = "waiting on customer"


class Resume(Command, tag="resume"):
    pass


class FireTimer(Command, tag="fire_timer"):
    timer_id: str


class ReceiveMessage(Command, tag="message"):
    name: str
    data: dict[str, Any] = {}


class CompleteServiceTask(Command, tag="service_done"):
    task_id: str
    data: dict[str, Any] = {}


class FailServiceTask(Command, tag="service_failed"):
    task_id: str
    error: str


class ChildCaseEnded(Command, tag="child_ended"):
    """A case started by a call activity has finished (or thrown an escalation)."""

    task_id: str
    child_case_id: str
    outcome: str  # completed | terminated | cancelled | escalated
    data: dict[str, Any] = {}
    escalation_code: str | None = None


class CancelCase(Command, tag="cancel"):
    reason: str = ""


class ReopenCase(Command, tag="reopen"):
    reason: str = ""


AnyCommand = (
    OpenCase
    | ClaimTask
    | ReleaseTask
    | ReassignTask
    | CompleteTask
    | AddComment
    | PutOnHold
    | Resume
    | FireTimer
    | ReceiveMessage
    | CompleteServiceTask
    | FailServiceTask
    | ChildCaseEnded
    | CancelCase
    | ReopenCase
)
