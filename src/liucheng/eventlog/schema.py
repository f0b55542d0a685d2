"""The canonical event-log record, its column names and the bridge from engine events.

Readers and writers of every format speak ``LogEvent`` and ``LogCase``:

* XES readers yield ``Trace(case, events)`` per trace (XES is grouped by case by construction);
* table readers (CSV, Parquet) yield ``LogRow(case, event)`` per row, because a table from another
  system need not be grouped by case. Consecutive rows of one case share one ``LogCase`` object.

Writers take an iterable of ``LogEvent`` plus the case attributes as a mapping or a lookup
function, and return a ``WriteSummary``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import msgspec

from liucheng.core.clock import require_aware

if TYPE_CHECKING:
    # Only for the annotation: importing the engine package would pull in the process model and
    # its expression language for every reader of a CSV file.
    from liucheng.engine.events import Event

# XES standard extension keys (IEEE 1849-2016).
XES_CONCEPT_NAME: Final = "concept:name"
XES_TIMESTAMP: Final = "time:timestamp"
XES_LIFECYCLE: Final = "lifecycle:transition"
XES_RESOURCE: Final = "org:resource"
XES_GROUP: Final = "org:group"
#: How the case id is called when trace attributes are flattened onto events (pm4py convention).
XES_CASE_ID: Final = "case:concept:name"
#: Event-level keys that map onto LogEvent fields rather than ``attributes``.
XES_EVENT_KEYS: Final = (XES_CONCEPT_NAME, XES_TIMESTAMP, XES_LIFECYCLE, XES_RESOURCE, XES_GROUP)

#: The fixed leading columns of the CSV and Parquet forms, in order. They are followed by
#: ``case:<attr>`` columns for case attributes, then one column per event attribute.
CSV_COLUMNS: Final = ("case_id", "activity", "timestamp", "lifecycle", "resource", "group")
CASE_PREFIX: Final = "case:"

#: Attribute names from_engine_event adds to every exported event.
ATTR_SEQ: Final = "seq"
ATTR_EVENT_TYPE: Final = "event_type"
ATTR_TASK_ID: Final = "task_id"
ATTR_ELEMENT_ID: Final = "element_id"


class LogEvent(msgspec.Struct, frozen=True):
    """One row of a log. ``timestamp`` is aware and normalised to UTC on construction."""

    case_id: str  # case:concept:name
    activity: str  # concept:name
    timestamp: datetime  # time:timestamp
    lifecycle: str | None = None  # lifecycle:transition (XES standard values)
    resource: str | None = None  # org:resource
    group: str | None = None  # org:group
    #: Other event attributes: str, int, float, bool, aware datetime or uuid.UUID values.
    attributes: dict[str, Any] = {}

    def __post_init__(self) -> None:
        if self.timestamp.tzinfo is not UTC:
            msgspec.structs.force_setattr(self, "timestamp", require_aware(self.timestamp, "timestamp"))


class LogCase(msgspec.Struct, frozen=True):
    """A case (XES trace) and its attributes (category, priority, process, ...)."""

    case_id: str
    attributes: dict[str, Any] = {}


class Trace(NamedTuple):
    """One XES trace: the case and its events in file order."""

    case: LogCase
    events: list[LogEvent]


class LogRow(NamedTuple):
    """One row of a table log: the event and the attributes of its case on that row."""

    case: LogCase
    event: LogEvent


class WriteSummary(msgspec.Struct, frozen=True):
    """What a writer wrote. ``replaced_chars`` counts characters XML cannot hold (XES only)."""

    cases: int
    events: int
    replaced_chars: int = 0


#: Cases given to a writer: a mapping by case id, a lookup function, or None for no attributes.
CaseSource = Mapping[str, LogCase] | Callable[[str], LogCase | None] | None


def case_lookup(cases: CaseSource) -> Callable[[str], LogCase | None]:
    if cases is None:
        return lambda _case_id: None
    if isinstance(cases, Mapping):
        return cases.get
    if callable(cases):
        return cases
    raise TypeError(f"cases must be a mapping, a callable or None, not {type(cases).__name__}")


_SCALARS: Final = (str, int, float, bool, datetime)
_RESERVED: Final = frozenset({*CSV_COLUMNS, *XES_EVENT_KEYS, ATTR_SEQ, ATTR_EVENT_TYPE, ATTR_TASK_ID,
                              ATTR_ELEMENT_ID})


def from_engine_event(event: Event, *, seq: int, include_internal: bool = False) -> LogEvent | None:
    """The log view of one stored engine event, or None for internal events.

    Internal events (no activity: token moves, timers) are skipped unless ``include_internal``;
    then their event type stands in as the activity. Attributes are ``seq``, ``event_type``,
    ``task_id`` and ``element_id`` when set, and the scalar items of ``event.data`` (nested values
    and keys that would shadow a column are left out).
    """
    activity = event.activity
    if activity is None:
        if not include_internal:
            return None
        activity = str(event.type)
    attributes: dict[str, Any] = {}
    for key, value in event.data.items():
        if not isinstance(value, _SCALARS) or key in _RESERVED or key.startswith(CASE_PREFIX):
            continue
        if isinstance(value, datetime):
            value = require_aware(value, f"data.{key}")
        elif isinstance(value, str) and type(value) is not str:
            # An enum member would come back from a file as a plain str; export it as one now.
            value = str(value)
        attributes[key] = value
    attributes[ATTR_SEQ] = seq
    attributes[ATTR_EVENT_TYPE] = str(event.type)
    if event.task_id is not None:
        attributes[ATTR_TASK_ID] = event.task_id
    if event.element_id is not None:
        attributes[ATTR_ELEMENT_ID] = event.element_id
    return LogEvent(
        case_id=event.case_id,
        activity=activity,
        timestamp=require_aware(event.at, "at"),
        lifecycle=str(event.lifecycle) if event.lifecycle is not None else None,
        resource=event.resource,
        group=event.group,
        attributes=attributes,
    )
