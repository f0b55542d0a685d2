"""Exporting the event log to XES, CSV or Parquet for process mining, in constant memory.

Events stream out of the store grouped by case; the cases' attributes (process, category,
priority, ...) stream alongside them in the same case order, so no case is looked up one by one
and nothing but the current batch is held in memory.

CSV and Parquet fix their columns before the first row, while event attributes vary with the
event type. Those two formats therefore read the log twice: once to collect the attribute names
and types, once to write. Both passes stop at the last event stored when the export began, so
events appended meanwhile cannot add a column the first pass did not see.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from liucheng.core.errors import ValidationError
from liucheng.eventlog import LogCase, LogEvent, WriteSummary, from_engine_event
from liucheng.eventlog.values import format_value, xes_type_of
from liucheng.services.platform import Platform
from liucheng.store import CaseRow, UnitOfWork

ExportFormat = Literal["xes", "csv", "parquet"]
FORMATS: tuple[str, ...] = ("xes", "csv", "parquet")

#: Case attributes every exported case carries, with their XES types.
CASE_ATTRIBUTES: dict[str, str] = {
    "process_key": "string",
    "process_version": "int",
    "status": "string",
    "category": "string",
    "priority": "string",
    "customer": "string",
    "title": "string",
    "parent_case_id": "string",
    "opened_at": "date",
    "closed_at": "date",
}
#: Attributes ``from_engine_event`` gives (almost) every event; they lead the attribute columns.
_LEADING = ("seq", "event_type", "task_id", "element_id")
#: How often (in stored events read) the progress callback hears from us.
PROGRESS_EVERY = 1000
#: Events fetched per round trip: enough to keep the database busy, few enough to stay small.
READ_BATCH = 2000
#: Rows per Parquet row group: small enough that one batch never dominates memory.
PARQUET_BATCH_ROWS = 8192


def case_attributes(row: CaseRow) -> dict[str, Any]:
    return {
        "process_key": row.process_key,
        "process_version": row.process_version,
        "status": row.status,
        "category": row.category,
        "priority": row.priority,
        "customer": row.customer,
        "title": row.title,
        "parent_case_id": row.parent_case_id,
        "opened_at": row.opened_at,
        "closed_at": row.closed_at,
    }


class _CaseCursor:
    """A case lookup for the writers that walks the case summaries in step with the events.

    Writers ask for the cases in the order the events come, which is the order of
    ``iter_summaries``; cases without (exported) events are skipped on the way. The Parquet
    writer looks a first batch of cases up twice (to infer types, then to write), so the last
    ``remember`` cases are kept for a second asking.
    """

    def __init__(self, uow: UnitOfWork, *, remember: int = PARQUET_BATCH_ROWS) -> None:
        self._uow = uow
        self._rows: Iterator[CaseRow] | None = None
        self._recent: OrderedDict[str, LogCase] = OrderedDict()
        self._remember = remember

    def __call__(self, case_id: str) -> LogCase | None:
        known = self._recent.get(case_id)
        if known is not None:
            return known
        if self._rows is None:
            # Opened on first use, after the event query: a case the events name is then always
            # visible to this later query (cases are never deleted).
            self._rows = self._uow.cases.iter_summaries()
        for row in self._rows:
            if row.case_id == case_id:
                case = LogCase(case_id=case_id, attributes=case_attributes(row))
                self._recent[case_id] = case
                if len(self._recent) > self._remember:
                    self._recent.popitem(last=False)
                return case
        return None


def _log_events(
    uow: UnitOfWork, *, last_seq: int, include_internal: bool, progress: Callable[[int], None] | None
) -> Iterator[LogEvent]:
    read = 0
    for seq, event in uow.events.iter_all(order="case", batch=READ_BATCH, business_only=not include_internal):
        read += 1
        if progress is not None and read % PROGRESS_EVERY == 0:
            progress(read)
        if seq > last_seq:
            continue
        log_event = from_engine_event(event, seq=seq, include_internal=include_internal)
        if log_event is not None:
            yield log_event
    if progress is not None:
        progress(read)


def _attribute_types(events: Iterator[LogEvent]) -> dict[str, str]:
    """One XES type per event attribute: int and float widen to float, other mixes to string."""
    seen: dict[str, set[str]] = {}
    for event in events:
        for key, value in event.attributes.items():
            xes_type = xes_type_of(value)
            if xes_type is not None:
                seen.setdefault(key, set()).add(xes_type)
    types: dict[str, str] = {}
    for key, kinds in seen.items():
        if len(kinds) == 1:
            types[key] = next(iter(kinds))
        elif kinds == {"int", "float"}:
            types[key] = "float"
        else:
            types[key] = "string"
    ordered = [k for k in _LEADING if k in types] + sorted(k for k in types if k not in _LEADING)
    return {key: types[key] for key in ordered}


def _conform(events: Iterator[LogEvent], types: dict[str, str]) -> Iterator[LogEvent]:
    """Convert the values whose type differs from their column's (see ``_attribute_types``)."""
    for event in events:
        fixed: dict[str, Any] | None = None
        for key, value in event.attributes.items():
            wanted = types.get(key)
            actual = xes_type_of(value)
            if wanted is None or actual is None or actual == wanted:
                continue
            if fixed is None:
                fixed = dict(event.attributes)
            fixed[key] = float(value) if wanted == "float" else format_value(value)
        if fixed is None:
            yield event
        else:
            yield LogEvent(
                case_id=event.case_id,
                activity=event.activity,
                timestamp=event.timestamp,
                lifecycle=event.lifecycle,
                resource=event.resource,
                group=event.group,
                attributes=fixed,
            )


def count_events(platform: Platform, *, include_internal: bool = False) -> int:
    """How many events an export reads: the business ones, or all with ``include_internal``."""
    with platform.store.unit_of_work(read_only=True) as uow:
        return uow.events.count(business_only=not include_internal)


def export_events(
    platform: Platform,
    out: Path,
    *,
    format: ExportFormat,
    include_internal: bool = False,
    progress: Callable[[int], None] | None = None,
) -> WriteSummary:
    """Write the whole event log to ``out`` as XES (gzip when the name ends ``.gz``), CSV or Parquet.

    Internal events (token moves, timers) are left out unless ``include_internal``. ``progress``
    is called now and then with the number of stored events read so far in the writing pass
    (at most ``count_events``). Returns what was written; a failed export leaves no file behind.
    """
    if format not in FORMATS:
        raise ValidationError(
            f"unknown export format {format!r}", where="format", hint=f"use one of {', '.join(FORMATS)}"
        )
    out = Path(out)
    if not out.parent.exists():
        raise ValidationError(
            f"folder {str(out.parent)!r} does not exist", where="out", hint="create it or choose another path"
        )
    from liucheng.eventlog import write_csv, write_parquet, write_xes  # Arrow only when exporting

    with platform.store.unit_of_work(read_only=True) as uow:
        last_seq = uow.events.max_seq()
        if format == "xes":
            events = _log_events(uow, last_seq=last_seq, include_internal=include_internal, progress=progress)
            return write_xes(events, _CaseCursor(uow, remember=1), out)
        types = _attribute_types(
            _log_events(uow, last_seq=last_seq, include_internal=include_internal, progress=None)
        )
        events = _conform(
            _log_events(uow, last_seq=last_seq, include_internal=include_internal, progress=progress), types
        )
        if format == "csv":
            return write_csv(
                events,
                _CaseCursor(uow, remember=1),
                out,
                case_attributes=list(CASE_ATTRIBUTES),
                event_attributes=list(types),
            )
        return write_parquet(
            events,
            _CaseCursor(uow),
            out,
            batch_rows=PARQUET_BATCH_ROWS,
            case_attributes=CASE_ATTRIBUTES,
            event_attributes=types,
        )
