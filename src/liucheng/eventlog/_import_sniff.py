"""Recognising common service-desk exports by their header and proposing a column mapping.

Each profile names the columns that identify the export and how they map onto the canonical
ones. The proposal is only a start: a mapping the user gives overrides it key by key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final


@dataclass(frozen=True)
class ExportProfile:
    """A known export: the columns that identify it and the mapping (canonical -> source)."""

    name: str
    description: str
    signature: frozenset[str]
    mapping: dict[str, str]
    #: Cell values that mean "no value" in this export besides the empty cell.
    null_values: tuple[str, ...] = ()
    #: Optional columns mapped when present (canonical -> source).
    optional: dict[str, str] = field(default_factory=dict)


PROFILES: Final = (
    ExportProfile(
        name="servicenow",
        description="ServiceNow incident audit log (as in the UCI 'Incident management process enriched event log')",
        signature=frozenset({"number", "incident_state", "sys_updated_at", "sys_updated_by"}),
        mapping={"case_id": "number", "activity": "incident_state", "timestamp": "sys_updated_at",
                 "resource": "sys_updated_by"},
        optional={"group": "assignment_group"},
        null_values=("?",),
    ),
    ExportProfile(
        name="zendesk",
        description="Zendesk Explore 'Updates history' export of ticket updates",
        signature=frozenset({"Ticket ID", "Update - Timestamp", "Ticket status"}),
        mapping={"case_id": "Ticket ID", "activity": "Ticket status", "timestamp": "Update - Timestamp"},
        optional={"resource": "Updater name", "group": "Ticket group"},
    ),
    ExportProfile(
        name="jira",
        description="Jira issue status history (one row per status transition)",
        signature=frozenset({"Issue key", "To Status", "Transition Date"}),
        mapping={"case_id": "Issue key", "activity": "To Status", "timestamp": "Transition Date"},
        optional={"resource": "Author", "group": "Project"},
    ),
)


def sniff(header: Sequence[str]) -> ExportProfile | None:
    """The profile whose identifying columns are all in ``header``, if any."""
    columns = set(header)
    for profile in PROFILES:
        if profile.signature <= columns:
            return profile
    return None


def proposed_mapping(profile: ExportProfile, header: Sequence[str]) -> dict[str, str]:
    """The profile's mapping plus those optional columns the header has."""
    mapping = dict(profile.mapping)
    mapping.update({k: v for k, v in profile.optional.items() if v in header})
    return mapping
