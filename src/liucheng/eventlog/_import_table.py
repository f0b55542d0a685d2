"""From a table of another system's columns (CSV, Parquet) to the canonical event table.

Shared by the CSV and Parquet importers: apply the column mapping, parse timestamps (ISO 8601
with or without offset, or a given or guessed ``strptime`` format), check that every row has a
case, an activity and a time, then fail on the first bad row or drop the bad rows and report them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa
import pyarrow.compute as pc

from liucheng.core.errors import ValidationError
from liucheng.eventlog._import_report import ImportReport, OnError, Skipped
from liucheng.eventlog.errors import LogFormatError
from liucheng.eventlog.table import ACTIVITY, CASE_ID, CORE_COLUMNS, TIMESTAMP, XES_TO_CORE, EventTable, from_arrow

UTC_MICROS: Final = pa.timestamp("us", tz="UTC")
_OFFSET: Final = r"(Z|z|[+-]\d\d(:?\d\d)?)$"
#: Tried in order on timestamps that are not ISO 8601; the first that reads every value wins.
GUESSED_FORMATS: Final = (
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d/%b/%y %I:%M %p", "%Y-%m-%d",
)
#: Maps a 0-based data row to its 1-based line in the file (None when the file has no lines).
LineOf = Callable[[list[int]], dict[int, int | None]]


@dataclass(frozen=True)
class TimeOptions:
    """How to read times: a ``strptime`` format (else ISO 8601 or a guess) and the zone of naive ones."""

    timestamp_format: str | None = None
    timezone: str | None = None

    def zone(self) -> str | None:
        if self.timezone is None:
            return None
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"unknown time zone {self.timezone!r}", where="timezone",
                                  hint="use an IANA name such as Asia/Shanghai, Europe/Amsterdam or UTC") from None
        return self.timezone


def apply_mapping(table: pa.Table, mapping: Mapping[str, str], path: Path) -> pa.Table:
    """Rename source columns onto canonical names; ``mapping`` is canonical name -> source column.

    A source column whose name is a core name but that is not the one mapped there is kept as
    ``source:<name>``, so a mapped column never clashes with an unmapped one.
    """
    names = table.column_names
    for target, source in mapping.items():
        if source not in names:
            raise LogFormatError(f"no column {source!r} to map onto {target} (columns: {', '.join(names[:30])})",
                                 file=path, line=1, field=source, hint="fix the mapping or the header")
    renamed = {source: target for target, source in mapping.items()}
    taken = set(renamed.values())
    new = []
    for name in names:
        if name in renamed:
            new.append(renamed[name])
        elif name in taken or XES_TO_CORE.get(name) in taken:
            new.append(f"source:{name}")
        else:
            new.append(name)
    return table.rename_columns(new)


def to_event_table(table: pa.Table, *, path: Path, times: TimeOptions, on_error: OnError, report: ImportReport,
                   line_of: LineOf) -> EventTable:
    """Check rows and types of a mapped table and build the EventTable (see module docstring)."""
    table = table.rename_columns([XES_TO_CORE.get(n, n) for n in table.column_names])
    for required in (CASE_ID, ACTIVITY, TIMESTAMP):
        if required not in table.column_names:
            raise LogFormatError(
                f"no {required} column (columns: {', '.join(table.column_names[:30])})", file=path, line=1,
                field=required, hint=f"map one: mapping={{'{required}': '<your column>'}} or --map {required}=<column>")
    report.events_read = table.num_rows
    stamps, bad = parse_timestamps(table[TIMESTAMP], TIMESTAMP, times, path, report, line_of)
    table = table.set_column(table.column_names.index(TIMESTAMP), TIMESTAMP, stamps)
    for name in (CASE_ID, ACTIVITY):
        column = table[name].cast(pa.string())
        empty = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(column), ""), True)
        for row in _rows_where(empty):
            bad.setdefault(row, (name, f"empty {name}"))
        table = table.set_column(table.column_names.index(name), name, column)
    if bad:
        _handle_bad(bad, path=path, on_error=on_error, report=report, line_of=line_of)
        keep = pc.invert(pc.is_in(pa.array(range(table.num_rows), pa.int64()),
                                  value_set=pa.array(sorted(bad), pa.int64())))
        table = table.filter(keep)
    if table.num_rows == 0:
        raise LogFormatError("no events left to import", file=path, hint="check the mapping and the rows skipped")
    order = [n for n in CORE_COLUMNS if n in table.column_names]
    rest = sorted((n for n in table.column_names if n not in CORE_COLUMNS),
                  key=lambda n: (not n.startswith("case:"), table.column_names.index(n)))
    return from_arrow(table.select([*order, *rest]), source=str(path))


def _rows_where(mask: pa.ChunkedArray | pa.Array) -> list[int]:
    return pc.indices_nonzero(mask).to_pylist() if len(mask) else []


def _handle_bad(bad: dict[int, tuple[str, str]], *, path: Path, on_error: OnError, report: ImportReport,
                line_of: LineOf) -> None:
    rows = sorted(bad)
    if on_error == "fail":
        first = rows[0]
        field, reason = bad[first]
        line = line_of([first])[first]
        raise LogFormatError(reason, file=path, line=line, row=first + 1, field=field,
                             hint="fix the row, map another column, or import with on_error='skip' (--on-error skip)")
    lines = line_of(rows)
    report.skipped.extend(Skipped(reason=bad[r][1], line=lines[r], row=r + 1, field=bad[r][0]) for r in rows)


def parse_timestamps(column: pa.ChunkedArray, name: str, times: TimeOptions, path: Path,
                     report: ImportReport, line_of: LineOf) -> tuple[pa.ChunkedArray, dict[int, tuple[str, str]]]:
    """The column as UTC timestamps, and the rows that could not be read: {row: (field, reason)}."""
    zone = times.zone()
    if pa.types.is_timestamp(column.type):
        if column.type.tz is None:
            if zone is None:
                raise LogFormatError("timestamps have no time zone", file=path, field=name,
                                     hint="say which zone they are in: timezone='Asia/Shanghai' (--tz)")
            column = pc.assume_timezone(column, zone, ambiguous="earliest", nonexistent="earliest")
        stamps = column.cast(UTC_MICROS)
        return stamps, {r: (name, f"empty {name}") for r in _rows_where(pc.is_null(stamps))}
    if pa.types.is_date(column.type):
        column = column.cast(pa.string())
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise LogFormatError(f"{name} has type {column.type}, not a time or text", file=path, field=name,
                             hint="map a column holding dates")
    text = pc.utf8_trim_whitespace(column.cast(pa.string()).combine_chunks())
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    if times.timestamp_format is not None:
        aware = pa.array([("%z" in times.timestamp_format)] * len(text))
        parsed = pc.strptime(text, format=times.timestamp_format, unit="us", error_is_null=True)
        naive_values, aware_values = parsed, parsed
    else:
        aware = pc.fill_null(pc.match_substring_regex(text, _OFFSET), False)
        aware_values = _iso(pc.if_else(aware, text, pa.scalar(None, pa.string())), UTC_MICROS)
        naive_text = pc.if_else(aware, pa.scalar(None, pa.string()), text)
        naive_values = _naive(naive_text, report)
    bad: dict[int, tuple[str, str]] = {}
    naive_rows = _rows_where(pc.and_(pc.invert(aware), pc.is_valid(naive_values)))
    if naive_rows and zone is None:
        if len(naive_rows) == pc.count(text).as_py():
            raise LogFormatError(
                f"timestamps have no time zone, e.g. {text[naive_rows[0]].as_py()!r}", file=path,
                line=line_of([naive_rows[0]])[naive_rows[0]], row=naive_rows[0] + 1, field=name,
                hint="say which zone they are in: timezone='Asia/Shanghai' (--tz Asia/Shanghai)")
        bad.update({r: (name, f"{text[r].as_py()!r} has no time zone") for r in naive_rows})
    if naive_rows and zone is not None:
        naive_values = pc.assume_timezone(naive_values.cast(pa.timestamp("us")), zone, ambiguous="earliest",
                                          nonexistent="earliest").cast(UTC_MICROS)
    else:
        naive_values = pa.nulls(len(text), UTC_MICROS)
    stamps = pc.if_else(aware, aware_values.cast(UTC_MICROS), naive_values)
    for row in _rows_where(pc.is_null(stamps)):
        if row in bad:
            continue
        value = text[row].as_py()
        bad[row] = (name, f"empty {name}" if value is None else f"cannot read {value!r} as a date-time")
    return pa.chunked_array([stamps]), bad


def _iso(text: pa.Array, target: pa.DataType) -> pa.Array:
    """ISO 8601 strings as timestamps; values Arrow refuses are parsed one by one (null if bad)."""
    try:
        return text.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([_iso_one(v, target.tz is not None) for v in text.to_pylist()], target)


def _iso_one(value: str | None, aware: bool) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if (parsed.tzinfo is not None) != aware:
        return None
    return parsed


def _naive(text: pa.Array, report: ImportReport) -> pa.Array:
    """Naive strings as naive timestamps: ISO 8601 if possible, else the best guessed format."""
    wanted = pc.count(text).as_py()
    if wanted == 0:
        return pa.nulls(len(text), pa.timestamp("us"))
    iso = _iso(text, pa.timestamp("us"))
    best, best_count, best_format = iso, pc.count(iso).as_py(), "ISO 8601"
    if best_count < wanted:
        for fmt in GUESSED_FORMATS:
            parsed = pc.strptime(text, format=fmt, unit="us", error_is_null=True)
            count = pc.count(parsed).as_py()
            if count > best_count:
                best, best_count, best_format = parsed, count, fmt
            if count == wanted:
                break
    if best_format != "ISO 8601":
        report.notes.append(f"read timestamps with the format {best_format!r} "
                            "(pass timestamp_format= / --timestamp-format to choose another)")
        rivals = [fmt for fmt in GUESSED_FORMATS if fmt != best_format and _reads_differently(text, fmt, best)]
        if rivals:
            report.notes.append(f"ambiguous: {rivals[0]!r} reads every timestamp too, with other values; "
                                "pass the format you mean")
    return best


def _reads_differently(text: pa.Array, fmt: str, chosen: pa.Array) -> bool:
    """True when ``fmt`` reads every value of ``text`` and disagrees with ``chosen`` somewhere."""
    parsed = pc.strptime(text, format=fmt, unit="us", error_is_null=True)
    if pc.count(parsed).as_py() != pc.count(text).as_py():
        return False
    return not pc.all(pc.fill_null(pc.equal(parsed, chosen), True)).as_py()
