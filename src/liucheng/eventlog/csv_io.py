"""CSV export and import in the canonical column layout.

Columns: ``case_id, activity, timestamp, lifecycle, resource, group``, then ``case:<attr>`` for
case attributes, then one column per event attribute. Timestamps are ISO 8601 with an offset.
An empty cell means "absent": an empty string attribute does not survive a CSV round trip.
CSV has no types, so the reader returns strings unless ``types`` names a column's XES type.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from liucheng.core.errors import ValidationError
from liucheng.eventlog._io import open_binary_in, open_binary_out, wants_gzip
from liucheng.eventlog.errors import LogFormatError, LogWriteError
from liucheng.eventlog.schema import (
    CASE_PREFIX,
    CSV_COLUMNS,
    CaseSource,
    LogCase,
    LogEvent,
    LogRow,
    WriteSummary,
    case_lookup,
)
from liucheng.eventlog.values import XES_TYPES, NaiveInstantError, format_value, parse_value

_REQUIRED = ("case_id", "activity", "timestamp")


def _check_event_columns(event_attributes: Sequence[str]) -> None:
    for name in event_attributes:
        if name in CSV_COLUMNS or name.startswith(CASE_PREFIX):
            raise LogWriteError(
                "an event attribute column would clash with a fixed or case column", field=name,
                hint=f"rename the attribute; {', '.join(CSV_COLUMNS)} and case:* are taken",
            )


def _cell(value: Any, field: str, case_id: str) -> str:
    if value is None:
        return ""
    try:
        return format_value(value)
    except NaiveInstantError as exc:
        raise LogWriteError(str(exc), case_id=case_id, field=field,
                            hint="attach a time zone, e.g. value.replace(tzinfo=UTC)") from None


def write_csv(
    events: Iterable[LogEvent],
    cases: CaseSource,
    out: BinaryIO | Path | str,
    *,
    case_attributes: Sequence[str] = (),
    event_attributes: Sequence[str] = (),
    excel: bool = False,
    gzip: bool | None = None,
) -> WriteSummary:
    """Write events as CSV rows, streaming, in the order given.

    Only the named case and event attributes get columns; others are left out. ``excel=True``
    starts the file with a UTF-8 byte-order mark so Excel reads Chinese text correctly.
    """
    case_attributes = list(case_attributes)
    event_attributes = list(event_attributes)
    _check_event_columns(event_attributes)
    lookup = case_lookup(cases)
    seen: set[str] = set()
    n_events = 0
    with open_binary_out(out, gzip=wants_gzip(out, gzip)) as sink:
        text = io.TextIOWrapper(sink, encoding="utf-8-sig" if excel else "utf-8", newline="")
        try:
            writer = csv.writer(text)
            writer.writerow([*CSV_COLUMNS, *(CASE_PREFIX + name for name in case_attributes),
                             *event_attributes])
            current: str | None = None
            case_cells: list[str] = [""] * len(case_attributes)
            for event in events:
                if event.case_id != current:
                    current = event.case_id
                    seen.add(current)
                    case = lookup(current)
                    attrs = case.attributes if case is not None else {}
                    case_cells = [_cell(attrs.get(name), CASE_PREFIX + name, current)
                                  for name in case_attributes]
                attrs = event.attributes
                writer.writerow([
                    event.case_id, event.activity, _cell(event.timestamp, "timestamp", current),
                    event.lifecycle or "", event.resource or "", event.group or "",
                    *case_cells,
                    *(_cell(attrs.get(name), name, current) for name in event_attributes),
                ])
                n_events += 1
            text.flush()
        finally:
            text.detach()
    return WriteSummary(cases=len(seen), events=n_events)


def read_csv(
    path: Path | str,
    *,
    mapping: Mapping[str, str] | None = None,
    types: Mapping[str, str] | None = None,
    delimiter: str = ",",
) -> Iterator[LogRow]:
    """Yield a ``LogRow(case, event)`` per data row of a CSV file (UTF-8, BOM or not, gzip or not).

    ``mapping`` renames source columns to canonical ones, e.g. ``{"Case ID": "case_id",
    "Complete Timestamp": "timestamp", "Priority": "case:priority"}``. ``types`` gives the XES
    type ("int", "float", "boolean", "date", "id"; default "string") of attribute columns by their
    canonical name. Timestamps must carry an offset. Empty cells are absent values.
    """
    path = Path(path)
    mapping = dict(mapping or {})
    types = dict(types or {})
    for name, xes_type in types.items():
        if xes_type not in XES_TYPES:
            raise ValidationError(f"unknown type {xes_type!r}", where=f"types[{name!r}]",
                                  hint=f"use one of {', '.join(XES_TYPES)}")
    try:
        with open_binary_in(path) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            yield from _rows(path, csv.reader(text, delimiter=delimiter), mapping, types)
    except UnicodeDecodeError as exc:
        raise LogFormatError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path,
                             hint="save the file as UTF-8 (in Excel: CSV UTF-8)") from None
    except csv.Error as exc:
        raise LogFormatError(f"broken CSV: {exc}", file=path, hint="check quoting and delimiter") from None
    except (EOFError, OSError) as exc:
        raise LogFormatError(f"cannot read the file ({exc})", file=path,
                             hint="check the path; a .gz file may be truncated") from None


def _rows(path: Path, reader: Any, mapping: dict[str, str], types: dict[str, str]) -> Iterator[LogRow]:
    header = next(reader, None)
    if header is None:
        raise LogFormatError("the file is empty", file=path, line=1, hint="a header row is required")
    names = [mapping.get(column, column) for column in header]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise LogFormatError(f"column {duplicates[0]!r} appears twice", file=path, line=1,
                             field=duplicates[0], hint="rename one of them or fix mapping")
    for required in _REQUIRED:
        if required not in names:
            raise LogFormatError(
                f"no {required} column; the header has {header}", file=path, line=1, field=required,
                hint=f"rename the column to {required} or pass mapping={{'<your column>': '{required}'}}",
            )
    index = {name: i for i, name in enumerate(names)}
    i_case, i_activity, i_time = index["case_id"], index["activity"], index["timestamp"]
    optional = [(name, index.get(name)) for name in ("lifecycle", "resource", "group")]
    case_cols = [(i, n, n[len(CASE_PREFIX):], types.get(n, "string"))
                 for i, n in enumerate(names) if n.startswith(CASE_PREFIX)]
    event_cols = [(i, n, types.get(n, "string")) for i, n in enumerate(names)
                  if n not in CSV_COLUMNS and not n.startswith(CASE_PREFIX)]
    last_case: LogCase | None = None
    row_number = 0
    for cells in reader:
        if not cells:
            continue  # blank line
        row_number += 1
        at = _At(path, reader.line_num, row_number)
        if len(cells) != len(names):
            raise at.error(f"{len(cells)} cells where the header has {len(names)}", None,
                           "check the delimiter and quoting of this row")
        case_id = cells[i_case]
        if not case_id:
            raise at.error("empty case id", "case_id", "every row needs its case id")
        activity = cells[i_activity]
        if not activity:
            raise at.error("empty activity", "activity", "every row needs an activity name")
        timestamp = at.typed(cells[i_time], "date", "timestamp")
        lifecycle, resource, group = ((cells[i] or None) if i is not None else None for _, i in optional)
        case_attrs = {key: at.typed(cells[i], xes_type, name)
                      for i, name, key, xes_type in case_cols if cells[i]}
        attrs = {name: at.typed(cells[i], xes_type, name) for i, name, xes_type in event_cols if cells[i]}
        if last_case is None or last_case.case_id != case_id or last_case.attributes != case_attrs:
            last_case = LogCase(case_id, case_attrs)
        yield LogRow(last_case, LogEvent(case_id, activity, timestamp, lifecycle, resource, group, attrs))


class _At:
    """Where in the file a row is, to build errors that say so."""

    __slots__ = ("line", "path", "row")

    def __init__(self, path: Path, line: int, row: int) -> None:
        self.path, self.line, self.row = path, line, row

    def error(self, message: str, field: str | None, hint: str) -> LogFormatError:
        return LogFormatError(message, file=self.path, line=self.line, row=self.row, field=field, hint=hint)

    def typed(self, text: str, xes_type: str, field: str) -> Any:
        if xes_type == "string":
            return text
        try:
            return parse_value(xes_type, text)
        except NaiveInstantError:
            raise self.error(f"date-time {text!r} has no time zone", field,
                             "write an offset, e.g. 2024-03-01T09:00:00+08:00 or ...Z") from None
        except ValueError as exc:
            raise self.error(f"{text!r} is not a valid {xes_type}: {exc}", field,
                             f"fix the cell or read the column with another type than {xes_type}") from None
