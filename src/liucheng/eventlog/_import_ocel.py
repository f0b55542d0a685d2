"""OCEL 2.0 (JSON or SQLite) → EventTable, flattened on one object type.

Flattening on type T makes one case per object of type T. An event related to k objects of type
T appears in k cases (once per object, however many qualifiers relate them); an event related to
none is left out. Event attributes become columns; each object attribute becomes a
``case:<name>`` column holding the value recorded first for that object (its initial value).
The event id is kept as ``ocel:eid``, and a timestamp is required on every event.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from liucheng.core.errors import ValidationError
from liucheng.eventlog._import_report import ImportReport, OnError, Progress, Skipped
from liucheng.eventlog._import_table import TimeOptions, to_event_table
from liucheng.eventlog.errors import LogFormatError
from liucheng.eventlog.table import EventTable

SQLITE_MAGIC: Final = b"SQLite format 3\x00"
EVENT_ID: Final = "ocel:eid"


@dataclass
class Ocel:
    """The parts of an OCEL 2.0 log the flattening needs, in file order."""

    #: (event id, type, time text, attributes)
    events: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)
    #: event id -> related object ids, in order, without repeats
    relations: dict[str, list[str]] = field(default_factory=dict)
    #: object id -> (type, initial attribute values)
    objects: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)


def import_ocel(path: Path, *, object_type: str | None, times: TimeOptions, on_error: OnError,
                progress: Progress | None, report: ImportReport) -> EventTable:
    """Read an OCEL 2.0 file and flatten it on ``object_type`` (see the module docstring)."""
    total = path.stat().st_size
    if total == 0:
        raise LogFormatError("the file is empty", file=path, hint="an OCEL 2.0 log is JSON or SQLite")
    with open(path, "rb") as raw:
        sqlite = raw.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    ocel = read_ocel_sqlite(path) if sqlite else read_ocel_json(path)
    if progress is not None:
        progress(total, total)
    types = sorted({kind for kind, _ in ocel.objects.values()})
    if object_type is None or object_type not in types:
        what = "choose the object type whose objects are the cases" if object_type is None \
            else f"no object type {object_type!r} in the log"
        raise ValidationError(what, where="object_type",
                              hint=f"pass object_type= (--object-type) with one of: {', '.join(types) or '(none)'}")
    report.notes.append(f"flattened on object type {object_type!r}: one case per object, an event with k such "
                        "objects is in k cases")
    table = _flatten(ocel, object_type, path, on_error, report)
    result = to_event_table(table, path=path, times=times, on_error=on_error, report=report,
                            line_of=lambda rows: dict.fromkeys(rows))
    report.events_read = len(ocel.events)
    return EventTable(result.table, source=result.source, meta={"ocel": {"object_type": object_type}})


def _flatten(ocel: Ocel, object_type: str, path: Path, on_error: OnError, report: ImportReport) -> pa.Table:
    columns: dict[str, list[Any]] = {"case_id": [], "activity": [], "timestamp": [], EVENT_ID: []}
    extra: dict[str, list[Any]] = {}
    n = 0
    for event_id, event_type, time_text, attributes in ocel.events:
        cases = [o for o in ocel.relations.get(event_id, ()) if ocel.objects.get(o, ("",))[0] == object_type]
        if not cases:
            continue
        stamp = _instant(time_text, event_id, path, on_error, report)
        if stamp is None:
            continue
        for object_id in cases:
            columns["case_id"].append(object_id)
            columns["activity"].append(event_type)
            columns["timestamp"].append(stamp)
            columns[EVENT_ID].append(event_id)
            values = {**{f"case:{k}": v for k, v in ocel.objects[object_id][1].items()}, **attributes}
            for key, value in values.items():
                extra.setdefault(key, [None] * n).append(value)
            n += 1
            for column in extra.values():
                if len(column) < n:
                    column.append(None)
    arrays = {name: pa.array(values, pa.string()) for name, values in columns.items() if name != "timestamp"}
    arrays["timestamp"] = pa.array(columns["timestamp"], pa.timestamp("us", tz="UTC"))
    for key in sorted(extra):
        arrays[key] = _typed(extra[key])
    return pa.table(arrays)


def _instant(text: Any, event_id: str, path: Path, on_error: OnError, report: ImportReport) -> datetime | None:
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
        if value.tzinfo is None:
            raise ValueError("no time zone offset")
    except ValueError as exc:
        error = LogFormatError(f"time {text!r} cannot be read ({exc})", file=path, field="time",
                               hint=f"event {event_id}: write ISO 8601 with an offset, e.g. 2024-03-01T09:00:00Z")
        if on_error == "fail":
            raise error from None
        report.skipped.append(Skipped(reason=f"time {text!r} cannot be read ({exc})", element=f"event {event_id}",
                                      field="time"))
        return None
    return value.astimezone(UTC)


def _typed(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def read_ocel_json(path: Path) -> Ocel:
    """The events, relationships and objects of an OCEL 2.0 JSON file."""
    try:
        with open(path, "rb") as source:
            data = json.load(source)
    except json.JSONDecodeError as exc:
        raise LogFormatError(f"not valid JSON: {exc.msg} (column {exc.colno})", file=path, line=exc.lineno,
                             hint="the file is damaged or not OCEL 2.0 JSON") from None
    except UnicodeDecodeError as exc:
        raise LogFormatError(f"not UTF-8 text (byte {exc.start})", file=path, hint="OCEL 2.0 JSON is UTF-8") from None
    if not isinstance(data, dict) or "events" not in data or "objects" not in data:
        raise LogFormatError("no 'events' and 'objects' at the top level", file=path,
                             hint="OCEL 2.0 JSON has objectTypes, eventTypes, objects and events")
    ocel = Ocel()
    for i, obj in enumerate(data["objects"]):
        object_id, kind = _required(obj, ("id", "type"), f"objects[{i}]", path)
        initial: dict[str, Any] = {}
        for attr in sorted(obj.get("attributes") or [], key=lambda a: str(a.get("time", ""))):
            initial.setdefault(attr.get("name"), attr.get("value"))
        ocel.objects[str(object_id)] = (str(kind), initial)
    for i, event in enumerate(data["events"]):
        event_id, kind, time = _required(event, ("id", "type", "time"), f"events[{i}]", path)
        attributes = {a.get("name"): a.get("value") for a in event.get("attributes") or []}
        ocel.events.append((str(event_id), str(kind), time, attributes))
        related = [str(r.get("objectId")) for r in event.get("relationships") or []]
        ocel.relations[str(event_id)] = list(dict.fromkeys(related))
    return ocel


def _required(item: Any, keys: tuple[str, ...], where: str, path: Path) -> list[Any]:
    if not isinstance(item, dict) or any(item.get(k) is None for k in keys):
        missing = [k for k in keys if not isinstance(item, dict) or item.get(k) is None]
        raise LogFormatError(f"{where} has no {', '.join(missing)}", file=path, field=where,
                             hint="every OCEL 2.0 event needs id, type and time; every object id and type")
    return [item[k] for k in keys]


def read_ocel_sqlite(path: Path) -> Ocel:
    """The events, relationships and objects of an OCEL 2.0 SQLite database (the standard's tables)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise LogFormatError(f"cannot open the database ({exc})", file=path) from None
    try:
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = sorted({"event", "object", "event_object", "event_map_type", "object_map_type"} - tables)
        if missing:
            raise LogFormatError(f"no table {', '.join(missing)}", file=path, field=missing[0],
                                 hint="an OCEL 2.0 SQLite log has event, object, event_object and the *_map_type "
                                      "tables")
        ocel = Ocel()
        objects = dict(con.execute("SELECT ocel_id, ocel_type FROM object"))
        initial: dict[str, dict[str, Any]] = {oid: {} for oid in objects}
        for _kind, suffix in con.execute("SELECT ocel_type, ocel_type_map FROM object_map_type"):
            for row in _rows(con, f"object_{suffix}", path, order="ocel_time"):
                values = initial.setdefault(str(row.pop("ocel_id")), {})
                row.pop("ocel_time", None)
                row.pop("ocel_changed_field", None)
                for key, value in row.items():
                    if value is not None:
                        values.setdefault(key, value)
        ocel.objects = {str(oid): (str(kind), initial.get(str(oid), {})) for oid, kind in objects.items()}
        times: dict[str, tuple[str, dict[str, Any]]] = {}
        for _kind, suffix in con.execute("SELECT ocel_type, ocel_type_map FROM event_map_type"):
            for row in _rows(con, f"event_{suffix}", path, order=None):
                event_id = str(row.pop("ocel_id"))
                times[event_id] = (row.pop("ocel_time", None), row)
        for event_id, kind in con.execute("SELECT ocel_id, ocel_type FROM event ORDER BY rowid"):
            time, attributes = times.get(str(event_id), (None, {}))
            if time is None:
                raise LogFormatError(f"event {event_id} has no ocel_time", file=path, field="ocel_time",
                                     hint="add the event to its event_<type> table with a time")
            ocel.events.append((str(event_id), str(kind), time, attributes))
        for event_id, object_id in con.execute("SELECT ocel_event_id, ocel_object_id FROM event_object"):
            related = ocel.relations.setdefault(str(event_id), [])
            if str(object_id) not in related:
                related.append(str(object_id))
        return ocel
    except sqlite3.DatabaseError as exc:
        raise LogFormatError(f"not a readable OCEL 2.0 database ({exc})", file=path) from None
    finally:
        con.close()


def _rows(con: sqlite3.Connection, table: str, path: Path, order: str | None) -> Iterator[dict[str, Any]]:
    quoted = '"' + table.replace('"', '""') + '"'
    try:
        cursor = con.execute(f"SELECT * FROM {quoted}" + (f" ORDER BY {order}" if order else ""))
    except sqlite3.OperationalError as exc:
        raise LogFormatError(f"table {table} cannot be read ({exc})", file=path, field=table,
                             hint="the *_map_type tables name a table that is missing") from None
    names = [d[0] for d in cursor.description]
    for values in cursor:
        yield dict(zip(names, values, strict=True))
