"""XES → EventTable: our column reader for regular files, else r4pm when the file is sound, else
our streaming reader.

Most XES files have one shape (every attribute ``<type key="K" value="V"/>``); for those the column
reader (``_import_xes_columns``) builds the table straight from the bytes, strictly checked. Other
files go to the Rust reader (r4pm), 5-10x faster than lxml but forgiving in ways an importer must
not be: a truncated file gives the events before the cut, an unparsable date or a missing name
gives a null, a date without an offset is taken as UTC. So a pass over the bytes checks the file
first (the gzip stream is whole, the XML ends with ``</log>``, no ``<date>`` lacks an offset) and
r4pm's result is checked for nulls; anything suspect goes through ``read_xes``, whose errors name
the line and which can skip bad events and traces.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any, Final
from uuid import UUID

import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from liucheng.eventlog._import_report import ImportReport, OnError, Progress, Skipped
from liucheng.eventlog._import_xes_columns import Damaged, read_columns
from liucheng.eventlog._io import open_binary_in
from liucheng.eventlog.errors import LogFormatError
from liucheng.eventlog.schema import (
    CASE_PREFIX,
    XES_CONCEPT_NAME,
    XES_GROUP,
    XES_LIFECYCLE,
    XES_RESOURCE,
    XES_TIMESTAMP,
    Trace,
)
from liucheng.eventlog.table import CORE_COLUMNS, EventTable, from_arrow
from liucheng.eventlog.values import parse_value
from liucheng.eventlog.xes_read import read_xes

_CHUNK: Final = 1 << 22
#: Most bytes one gunzip step gives, so the pieces stay small and their memory is reused.
_PIECE: Final = 1 << 23
#: The buffer first taken for a gzip file is at most this many times its size (XES gzips 10-25x).
_MOST_RATIO: Final = 64
_GZIP_MAGIC: Final = b"\x1f\x8b"
#: Zero bytes after the document, so the column reader can read 16 bytes at any position in it.
_PADDING: Final = 16
#: A <date> whose value ends right after the time of day: no Z, no offset.
_NAIVE_DATE: Final = re.compile(rb'<date\s+key="[^"]*"\s+value="\d{4}-\d\d-\d\d[T ][0-9:.]+"')
#: How r4pm writes a list attribute into a string column.
_LIST_REPR: Final = "[Attribute {"
_REQUIRED: Final = ("case:concept:name", "concept:name", "time:timestamp")
#: Event keys that are core columns, and the keys whose value is kept as written.
_CORE_OF: Final = {XES_LIFECYCLE: "lifecycle", XES_RESOURCE: "resource", XES_GROUP: "group"}
_TEXT_KEYS: Final = frozenset({XES_CONCEPT_NAME, *_CORE_OF})


def import_xes(path: Path, *, on_error: OnError, progress: Progress | None, report: ImportReport) -> EventTable:
    """Read an XES file (plain or gzip) into an EventTable, filling ``report``."""
    if path.stat().st_size == 0:
        raise LogFormatError("the file is empty", file=path, line=1, hint="an XES log starts with <log>")
    data, members = _read_whole(path, progress)
    problem: str | None = None
    if data is None:
        problem = "the gzip stream is truncated or corrupt"
    else:
        try:
            columns = read_columns(data, len(data) - _PADDING)
        except Damaged as damage:
            columns, problem = None, str(damage)
        if columns is not None:
            table = from_arrow(_normalise(columns[0]), source=str(path), meta={"xes": columns[1]})
            report.notes.append("read with the column reader")
            report.events_read = table.n_events
            return table
        problem = problem or _problem(data, members)
    del data
    if problem is None:
        table = _fast(path)
        if table is not None:
            report.notes.append("read with the Rust XES reader (r4pm)")
            report.events_read = table.n_events
            return table
        problem = "the Rust reader found events without case, name or time"
    report.notes.append(f"read with the streaming reader: {problem}")
    return _streaming(path, on_error, report)


def _read_whole(path: Path, progress: Progress | None) -> tuple[bytearray | None, int]:
    """The file's bytes, gunzipped when it is gzip, followed by ``_PADDING`` zero bytes, and the
    number of gzip members (0 for a plain file); no bytes when the gzip stream is cut or corrupt.

    Gunzipped in bounded pieces straight into one buffer sized from the gzip trailer, so the
    document is in memory once, not also as the pieces that are joined.
    """
    total = path.stat().st_size
    with open(path, "rb") as raw:
        if raw.peek(2)[:2] != _GZIP_MAGIC:
            data = bytearray(total + _PADDING)
            got = raw.readinto(memoryview(data)[:total])
            if progress is not None:
                progress(total, total)
            return (data if got == total else None), 0
        raw.seek(-4, 2)
        size = int.from_bytes(raw.read(4), "little")  # of the last member, mod 2**32; any in a cut file
        out = bytearray(min(size, _MOST_RATIO * total) + _PADDING)
        raw.seek(0)
        end = 0
        inflate = zlib.decompressobj(31)
        members = 0
        fed = False  # the current member has had input
        try:
            while chunk := raw.read(_CHUNK):
                while chunk:
                    fed = True
                    end = _put(out, end, inflate.decompress(chunk, _PIECE))
                    if inflate.eof:
                        members += 1
                        chunk, fed = inflate.unused_data, False
                        inflate = zlib.decompressobj(31)  # a further gzip member, if any
                    else:
                        chunk = inflate.unconsumed_tail
                if progress is not None:
                    progress(raw.tell(), total)
            if fed:
                end = _put(out, end, inflate.flush())  # output zlib still holds
                members += inflate.eof
                fed = not inflate.eof
        except zlib.error:
            return None, members
    if members == 0 or fed:
        return None, members
    del out[end + _PADDING:]
    out[end:] = bytes(_PADDING)
    return out, members


def _put(out: bytearray, end: int, piece: bytes) -> int:
    """Write ``piece`` at ``end`` of ``out`` (grown when the trailer's size was short), keeping
    ``_PADDING`` bytes after it; the new end."""
    if end + len(piece) + _PADDING > len(out):
        out.extend(bytes(max(end + len(piece) + _PADDING - len(out), len(out) // 2)))
    out[end:end + len(piece)] = piece
    return end + len(piece)


def _problem(data: bytes | bytearray, members: int) -> str | None:
    """Why r4pm cannot be trusted with this document (``_PADDING`` bytes after it), or None."""
    if members > 1:
        return f"the gzip file has {members} members and the Rust reader reads only the first"
    if _NAIVE_DATE.search(data):
        return "a date has no time zone offset"
    end = len(data) - _PADDING
    if not data[max(0, end - 256):end].rstrip().endswith(b"</log>"):
        return "the XML does not end with </log> (truncated?)"
    return None


def _fast(path: Path) -> EventTable | None:
    """The r4pm reading, or None when it has null case ids, names or times."""
    import r4pm

    try:
        frame, meta = r4pm.df.import_xes(str(path))
    except Exception:  # noqa: BLE001 - any failure of the fast reader means: use ours for the message
        return None
    table = frame.to_arrow()
    if table.num_rows == 0 or any(name not in table.column_names or table[name].null_count
                                  for name in _REQUIRED):
        return None
    return from_arrow(_normalise(table), source=str(path), meta={"xes": meta})


def _normalise(table: pa.Table) -> pa.Table:
    """Plain strings, list attributes dropped (as ``read_xes`` does), columns in a stable order.

    r4pm returns its columns in hash order, which changes from run to run.
    """
    columns: dict[str, pa.ChunkedArray] = {}
    for name in table.column_names:
        column = table[name]
        if pa.types.is_timestamp(column.type) and column.type.tz is None:
            column = pc.assume_timezone(column, "UTC")  # r4pm gives instants in UTC without a zone
        elif pa.types.is_large_string(column.type):
            column = column.cast(pa.string())
            first = pc.drop_null(column)
            if len(first) and pc.any(pc.starts_with(first, _LIST_REPR)).as_py():
                continue
        columns[name] = column
    order = sorted(columns, key=_column_rank)
    return pa.table({name: columns[name] for name in order})


def _column_rank(name: str) -> tuple[int, str]:
    if name in _REQUIRED or name in ("lifecycle:transition", "org:resource", "org:group"):
        return 0, name
    return (1 if name.startswith(CASE_PREFIX) else 2), name


def _streaming(path: Path, on_error: OnError, report: ImportReport) -> EventTable:
    dropped = 0

    def skip(exc: LogFormatError, element: str, n_events: int) -> None:
        nonlocal dropped
        dropped += n_events
        report.skipped.append(Skipped.from_error(exc, element=element))

    traces: list[Trace] = []
    try:
        for trace in read_xes(path, on_skip=skip if on_error == "skip" else None):
            traces.append(trace)
    except LogFormatError as exc:
        if on_error == "fail" or not traces:
            raise
        report.skipped.append(Skipped.from_error(exc, element="the rest of the file"))
    report.events_read = sum(len(t.events) for t in traces) + dropped
    if not traces:
        raise LogFormatError("no events in the log", file=path, hint="an XES log needs traces with events")
    return from_arrow(_arrow(traces, _global_defaults(path)), source=str(path))


def _global_defaults(path: Path) -> dict[str, dict[str, Any]]:
    """{"trace": {key: value}, "event": {key: value}} from the log's <global> elements.

    The fast reader fills these defaults into traces and events that lack the attribute, as the
    XES standard means them; the fallback does the same so both readings agree. A damaged header
    gives no defaults: the reader's own error is the one to show.
    """
    defaults: dict[str, dict[str, Any]] = {"trace": {}, "event": {}}
    try:
        with open_binary_in(path) as source:
            for event, element in etree.iterparse(source, events=("start", "end"), huge_tree=True,
                                                  resolve_entities=False, no_network=True, remove_comments=True):
                kind = _local_name(element.tag) if isinstance(element.tag, str) else ""
                if event == "start" and kind == "trace":
                    break
                if event == "end" and kind == "global" and element.get("scope") in defaults:
                    scope = defaults[element.get("scope")]
                    for child in element:
                        key, text = child.get("key"), child.get("value")
                        if isinstance(child.tag, str) and key is not None and text is not None:
                            try:
                                scope[key] = parse_value(_local_name(child.tag), text) \
                                    if key not in _TEXT_KEYS else text
                            except ValueError:
                                continue
    except (etree.XMLSyntaxError, EOFError, zlib.error, OSError):
        return {"trace": {}, "event": {}}
    return defaults


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def _fill(values: list[Any], default: Any) -> None:
    values[:] = [default if v is None else v for v in values]


def _arrow(traces: list[Trace], defaults: dict[str, dict[str, Any]]) -> pa.Table:
    """The events of ``traces`` as an Arrow table with XES column names and typed attributes,
    attributes a trace or event lacks filled from the log's global ``defaults``."""
    core: dict[str, list[Any]] = {name: [] for name in CORE_COLUMNS[:6]}
    case_attrs: dict[str, list[Any]] = {}
    event_attrs: dict[str, list[Any]] = {}
    n = 0
    for case, events in traces:
        for event in events:
            core["case_id"].append(event.case_id)
            core["activity"].append(event.activity)
            core["timestamp"].append(event.timestamp)
            core["lifecycle"].append(event.lifecycle)
            core["resource"].append(event.resource)
            core["group"].append(event.group)
            for key, value in case.attributes.items():
                case_attrs.setdefault(key, [None] * n).append(value)
            for key, value in event.attributes.items():
                event_attrs.setdefault(key, [None] * n).append(value)
            n += 1
            for values in (*case_attrs.values(), *event_attrs.values()):
                if len(values) < n:
                    values.append(None)
    for key, default in defaults["trace"].items():
        if key != XES_CONCEPT_NAME:
            _fill(case_attrs.setdefault(key, [None] * n), default)
    for key, default in defaults["event"].items():
        if key in _CORE_OF:
            _fill(core[_CORE_OF[key]], default)
        elif key not in (XES_CONCEPT_NAME, XES_TIMESTAMP):
            _fill(event_attrs.setdefault(key, [None] * n), default)
    arrays = {name: pa.array(values) for name, values in core.items()}
    arrays["timestamp"] = pa.array(core["timestamp"], pa.timestamp("us", tz="UTC"))
    for key in sorted(case_attrs):
        arrays[CASE_PREFIX + key] = _typed(case_attrs[key])
    for key in sorted(event_attrs):
        if key not in arrays:
            arrays[key] = _typed(event_attrs[key])
    return pa.table(arrays)


def _typed(values: list[Any]) -> pa.Array:
    """An Arrow array of the values' common type; text when they have none (or are ids)."""
    if any(isinstance(v, UUID) for v in values):
        return pa.array([None if v is None else str(v) for v in values], pa.string())
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())
