"""Parquet export and import in the canonical column layout, in batches.

Same columns as CSV, but typed: ``timestamp`` and date attributes are ``timestamp[us, tz=UTC]``;
activity, lifecycle, resource and group are dictionary-encoded. Each attribute column records its
XES type in the field metadata (``xes.type``), so ids come back as ``uuid.UUID``.

A Parquet schema is fixed before the first row is written, so the attribute columns are either
given or taken from the first batch; an attribute first seen later raises LogWriteError.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Mapping
from datetime import UTC
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, Final
from uuid import UUID

import pyarrow as pa
import pyarrow.parquet as pq

from liucheng.eventlog._io import open_binary_out
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
from liucheng.eventlog.values import XES_TYPES, xes_type_of

TIMESTAMP_TYPE: Final = pa.timestamp("us", tz="UTC")
_DICT: Final = pa.dictionary(pa.int32(), pa.string())
_ARROW_TYPES: Final = {
    "string": pa.string(), "int": pa.int64(), "float": pa.float64(), "boolean": pa.bool_(),
    "date": TIMESTAMP_TYPE, "id": pa.string(),
}
_CORE_FIELDS: Final = [
    pa.field("case_id", pa.string(), nullable=False),
    pa.field("activity", _DICT, nullable=False),
    pa.field("timestamp", TIMESTAMP_TYPE, nullable=False),
    pa.field("lifecycle", _DICT),
    pa.field("resource", _DICT),
    pa.field("group", _DICT),
]
_XES_TYPE_KEY: Final = b"xes.type"
_REQUIRED: Final = ("case_id", "activity", "timestamp")


def _infer(events: list[LogEvent], lookup: Any) -> tuple[dict[str, str], dict[str, str]]:
    case_types: dict[str, str] = {}
    event_types: dict[str, str] = {}
    last: str | None = None
    for event in events:
        if event.case_id != last:
            last = event.case_id
            case = lookup(last)
            if case is not None:
                _merge_types(case_types, case.attributes, last)
        _merge_types(event_types, event.attributes, event.case_id)
    return case_types, event_types


def _merge_types(types: dict[str, str], attributes: Mapping[str, Any], case_id: str) -> None:
    for key, value in attributes.items():
        if value is None:
            continue
        xes_type = xes_type_of(value)
        if xes_type is None:
            raise LogWriteError(f"value of type {type(value).__name__} has no column type",
                                case_id=case_id, field=key,
                                hint="use str, int, float, bool, an aware datetime or uuid.UUID")
        if types.setdefault(key, xes_type) != xes_type:
            raise LogWriteError(f"attribute is {types[key]} in one event and {xes_type} in another",
                                case_id=case_id, field=key, hint="give each attribute a single type")


def _schema(case_types: Mapping[str, str], event_types: Mapping[str, str]) -> pa.Schema:
    fields = list(_CORE_FIELDS)
    for prefix, types in ((CASE_PREFIX, case_types), ("", event_types)):
        for key, xes_type in types.items():
            if xes_type not in _ARROW_TYPES:
                raise LogWriteError(f"unknown type {xes_type!r}", field=key,
                                    hint=f"use one of {', '.join(XES_TYPES)}")
            if not prefix and (key in CSV_COLUMNS or key.startswith(CASE_PREFIX)):
                raise LogWriteError("an event attribute column would clash with a fixed or case column",
                                    field=key, hint="rename the attribute")
            fields.append(pa.field(prefix + key, _ARROW_TYPES[xes_type], metadata={_XES_TYPE_KEY: xes_type}))
    return pa.schema(fields, metadata={b"liucheng.eventlog": b"1"})


def _column(values: list[Any], xes_type: str, key: str, case_ids: list[str]) -> pa.Array:
    expected = _ARROW_TYPES[xes_type]
    for i, value in enumerate(values):
        if value is not None and xes_type_of(value) != xes_type:
            raise LogWriteError(f"{type(value).__name__} value in a {xes_type} column", case_id=case_ids[i],
                                field=key, hint="give each attribute a single type across the log")
    if xes_type == "id":
        values = [None if v is None else str(v) for v in values]
    return pa.array(values, type=expected)


def _batch(events: list[LogEvent], schema: pa.Schema, case_types: Mapping[str, str],
           event_types: Mapping[str, str], lookup: Any, cases_seen: set[str]) -> pa.RecordBatch:
    n = len(events)
    case_ids = [e.case_id for e in events]
    case_cols: dict[str, list[Any]] = {key: [None] * n for key in case_types}
    event_cols: dict[str, list[Any]] = {key: [None] * n for key in event_types}
    last: str | None = None
    case_attrs: Mapping[str, Any] = {}
    for i, event in enumerate(events):
        if event.case_id != last:
            last = event.case_id
            cases_seen.add(last)
            case = lookup(last)
            case_attrs = case.attributes if case is not None else {}
            for key in case_attrs.keys() - case_cols.keys():
                if case_attrs[key] is not None:
                    raise LogWriteError("case attribute not among the columns", case_id=last, field=key,
                                        hint="pass case_attributes={name: type} naming every case attribute")
        for key, value in case_attrs.items():
            if key in case_cols:
                case_cols[key][i] = value
        for key, value in event.attributes.items():
            column = event_cols.get(key)
            if column is None:
                if value is None:
                    continue
                raise LogWriteError("event attribute not among the columns", case_id=event.case_id, field=key,
                                    hint="pass event_attributes={name: type} naming every event attribute")
            column[i] = value
    arrays = [
        pa.array(case_ids, type=pa.string()),
        pa.array([e.activity for e in events], type=_DICT),
        pa.array([e.timestamp for e in events], type=TIMESTAMP_TYPE),
        pa.array([e.lifecycle for e in events], type=_DICT),
        pa.array([e.resource for e in events], type=_DICT),
        pa.array([e.group for e in events], type=_DICT),
        *(_column(case_cols[k], t, CASE_PREFIX + k, case_ids) for k, t in case_types.items()),
        *(_column(event_cols[k], t, k, case_ids) for k, t in event_types.items()),
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_parquet(
    events: Iterable[LogEvent],
    cases: CaseSource,
    path: Path | str | BinaryIO,
    *,
    batch_rows: int = 65536,
    case_attributes: Mapping[str, str] | None = None,
    event_attributes: Mapping[str, str] | None = None,
    compression: str = "zstd",
) -> WriteSummary:
    """Write events to a Parquet file, ``batch_rows`` at a time (one row group per batch).

    ``case_attributes`` / ``event_attributes`` map attribute names to XES types ("string", "int",
    "float", "boolean", "date", "id"); when None they are inferred from the first batch.
    """
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    lookup = case_lookup(cases)
    stream = iter(events)
    first = list(islice(stream, batch_rows))
    inferred = _infer(first, lookup)
    case_types = dict(case_attributes) if case_attributes is not None else inferred[0]
    event_types = dict(event_attributes) if event_attributes is not None else inferred[1]
    schema = _schema(case_types, event_types)
    cases_seen: set[str] = set()
    n_events = 0
    chunk, first = first, []
    # Through open_binary_out so a failed export leaves no valid-looking but partial file behind.
    with (
        open_binary_out(path, gzip=False) as sink,
        pq.ParquetWriter(sink, schema, compression=compression) as writer,
    ):
        while chunk:
            batch = _batch(chunk, schema, case_types, event_types, lookup, cases_seen)
            n_events += len(chunk)
            # Let go of this chunk before pulling the next, or two batches' events live at once.
            chunk = []
            writer.write_batch(batch, row_group_size=batch_rows)
            del batch
            chunk = list(islice(stream, batch_rows))
    return WriteSummary(cases=len(cases_seen), events=n_events)


def _attribute_type(field: pa.Field, path: Path) -> str:
    declared = (field.metadata or {}).get(_XES_TYPE_KEY)
    kind = field.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "id" if declared == b"id" else "string"
    if pa.types.is_boolean(kind):
        return "boolean"
    if pa.types.is_integer(kind):
        return "int"
    if pa.types.is_floating(kind):
        return "float"
    if pa.types.is_timestamp(kind):
        if kind.tz is None:
            raise LogFormatError("timestamp column without a time zone", file=path, field=field.name,
                                 hint="store instants as timestamp with tz='UTC'")
        return "date"
    raise LogFormatError(f"column type {field.type} is not supported", file=path, field=field.name,
                         hint="drop or flatten the column before import")


def _values(array: pa.Array | pa.ChunkedArray, xes_type: str) -> list[Any]:
    if pa.types.is_timestamp(array.type) and array.type.unit == "ns":
        array = array.cast(pa.timestamp("us", tz=array.type.tz), safe=False)
    values = array.to_pylist()
    if xes_type == "date":
        return [None if v is None else v.astimezone(UTC) for v in values]
    if xes_type == "id":
        return [None if v is None else UUID(v) for v in values]
    return values


def read_parquet(
    path: Path | str, *, mapping: Mapping[str, str] | None = None, batch_rows: int = 65536
) -> Iterator[LogRow]:
    """Yield a ``LogRow(case, event)`` per row of a Parquet file, reading ``batch_rows`` at a time.

    ``mapping`` renames source columns to canonical ones, as for read_csv. Null cells are absent
    values. Timestamps must be stored with a time zone.
    """
    path = Path(path)
    mapping = dict(mapping or {})
    try:
        source = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise LogFormatError(f"not a readable Parquet file ({exc})", file=path,
                             hint="check the path; the file may be truncated") from None
    with source:
        arrow_schema = source.schema_arrow
        names = [mapping.get(name, name) for name in arrow_schema.names]
        for required in _REQUIRED:
            if required not in names:
                raise LogFormatError(
                    f"no {required} column; the file has {arrow_schema.names}", file=path, field=required,
                    hint=f"pass mapping={{'<your column>': '{required}'}}",
                )
        kinds = {name: _attribute_type(arrow_schema.field(i), path)
                 for i, name in enumerate(names) if name not in ("case_id", "activity")}
        if kinds["timestamp"] != "date":
            raise LogFormatError("the timestamp column is not a timestamp", file=path, field="timestamp",
                                 hint="store it as timestamp with tz='UTC'")
        row = 0
        last_case: LogCase | None = None
        try:
            batches = source.iter_batches(batch_size=batch_rows)
            for batch in batches:
                columns = {names[i]: _values(batch.column(i), kinds.get(names[i], "string"))
                           for i in range(batch.num_columns)}
                # Rows of one case can straddle batches: carry the case over to share the object.
                last_case = yield from _rows(path, columns, batch.num_rows, row, last_case)
                row += batch.num_rows
        except (pa.ArrowException, OSError) as exc:
            raise LogFormatError(f"cannot decode the file ({exc})", file=path, row=row + 1,
                                 hint="the file is probably damaged; export it again") from None


def _case_attributes(columns: Mapping[str, list[Any]], i: int) -> dict[str, Any]:
    return {name[len(CASE_PREFIX):]: values[i] for name, values in columns.items()
            if name.startswith(CASE_PREFIX) and values[i] is not None}


def _rows(path: Path, columns: Mapping[str, list[Any]], n: int, offset: int,
          last_case: LogCase | None) -> Generator[LogRow, None, LogCase | None]:
    case_ids, activities, timestamps = columns["case_id"], columns["activity"], columns["timestamp"]
    nulls = [None] * n
    lifecycles, resources, groups = (columns.get(name, nulls) for name in ("lifecycle", "resource", "group"))
    event_cols = [(name, values) for name, values in columns.items()
                  if name not in CSV_COLUMNS and not name.startswith(CASE_PREFIX)]
    for i in range(n):
        for field, values in (("case_id", case_ids), ("activity", activities), ("timestamp", timestamps)):
            if values[i] is None:
                raise LogFormatError(f"empty {field}", file=path, row=offset + i + 1, field=field,
                                     hint=f"every row needs a {field}")
        case_id = str(case_ids[i])
        case_attrs = _case_attributes(columns, i)
        if last_case is None or last_case.case_id != case_id or last_case.attributes != case_attrs:
            last_case = LogCase(case_id, case_attrs)
        attrs = {name: values[i] for name, values in event_cols if values[i] is not None}
        yield LogRow(last_case, LogEvent(case_id, str(activities[i]), timestamps[i], lifecycles[i],
                                         resources[i], groups[i], attrs))
    return last_case
