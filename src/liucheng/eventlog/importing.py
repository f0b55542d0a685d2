"""Import an event log from any common format into the canonical ``EventTable``.

``import_log(path)`` reads XES (plain or gzip), CSV exports (with a column mapping, or sniffed
from Zendesk, Jira and ServiceNow headers), OCEL 2.0 (JSON or SQLite, flattened on one object
type) and Parquet, and returns the table with an ``ImportReport``: counts, the rows or events
left out and why, and the choices made (reader, mapping, date format).

``on_error="fail"`` stops at the first bad row with the file, line (or row, or element) and
reason, and returns nothing partial; ``on_error="skip"`` imports the good rows and lists the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from liucheng.core.errors import ValidationError
from liucheng.eventlog._import_csv import import_csv
from liucheng.eventlog._import_ocel import SQLITE_MAGIC, import_ocel
from liucheng.eventlog._import_parquet import import_parquet
from liucheng.eventlog._import_report import ImportReport, Progress, Skipped, check_on_error
from liucheng.eventlog._import_sniff import PROFILES, ExportProfile, sniff
from liucheng.eventlog._import_table import TimeOptions
from liucheng.eventlog._import_xes import import_xes
from liucheng.eventlog.errors import LogFormatError
from liucheng.eventlog.mirror import read_mirror
from liucheng.eventlog.table import EventTable

__all__ = [
    "FORMATS",
    "PROFILES",
    "ExportProfile",
    "ImportReport",
    "ImportResult",
    "Skipped",
    "detect_format",
    "import_log",
    "load_log",
    "sniff",
]

ImportFormat = Literal["auto", "xes", "csv", "ocel", "parquet", "mirror"]
FORMATS: Final = ("xes", "csv", "ocel", "parquet", "mirror")
_SUFFIXES: Final = {
    ".xes": "xes", ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".jsonocel": "ocel",
    ".json": "ocel", ".sqlite": "ocel", ".sqlite3": "ocel", ".db": "ocel", ".duckdb": "mirror",
}


@dataclass(frozen=True)
class ImportResult:
    """The imported table and what the import did."""

    table: EventTable
    report: ImportReport


def detect_format(path: Path | str) -> str:
    """The format of a file from its name (``.xes.gz``, ``.csv``, ...), else from its first bytes."""
    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    if suffixes and suffixes[-1] in _SUFFIXES:
        return _SUFFIXES[suffixes[-1]]
    try:
        with open(path, "rb") as raw:
            head = raw.read(64)
    except OSError as exc:
        raise LogFormatError(str(exc), file=path, hint="check the path and its permissions") from None
    if head.startswith(b"\x1f\x8b"):
        import gzip

        with gzip.open(path, "rb") as unzipped:
            head = unzipped.read(64)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(SQLITE_MAGIC) or text.startswith(b"{"):
        return "ocel"
    if text.startswith(b"<"):
        return "xes"
    return "csv"


def import_log(
    path: Path | str,
    *,
    format: ImportFormat = "auto",
    mapping: Mapping[str, str] | None = None,
    object_type: str | None = None,
    on_error: str = "fail",
    progress: Progress | None = None,
    timezone: str | None = None,
    timestamp_format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> ImportResult:
    """Read a log file into an ``EventTable`` with a report of what was kept and left out.

    ``mapping`` (CSV, Parquet) maps canonical names onto source columns, e.g. ``{"case_id":
    "Ticket ID", "activity": "Status", "timestamp": "Updated"}``; it overrides a sniffed one.
    ``timezone`` is the IANA zone of timestamps written without an offset (refused without it);
    ``timestamp_format`` a ``strptime`` format when they are not ISO 8601. ``object_type`` picks
    the cases of an OCEL 2.0 log. ``progress(bytes_read, total_bytes)`` is called while reading.
    Raises ``LogFormatError`` naming the file and place of bad input, ``ValidationError`` for bad
    options.
    """
    path = Path(path)
    mode = check_on_error(on_error)
    if not path.is_file():
        raise LogFormatError("no such file" if not path.exists() else "not a file", file=path,
                             hint="check the path")
    chosen = detect_format(path) if format == "auto" else format
    if chosen not in FORMATS:
        raise ValidationError(f"unknown format {format!r}", where="format", hint=f"use auto or {', '.join(FORMATS)}")
    times = TimeOptions(timestamp_format=timestamp_format, timezone=timezone)
    report = ImportReport(source=str(path), format=chosen)
    if chosen == "xes":
        table = import_xes(path, on_error=mode, progress=progress, report=report)
    elif chosen == "csv":
        table = import_csv(path, mapping=mapping, times=times, encoding=encoding, delimiter=delimiter,
                           on_error=mode, progress=progress, report=report)
    elif chosen == "parquet":
        table = import_parquet(path, mapping=mapping, times=times, on_error=mode, progress=progress, report=report)
    elif chosen == "mirror":  # the store's own log, kept by `liucheng events mirror`
        table = read_mirror(path)
        report.notes.append("read the analytics mirror of a liucheng store")
    else:
        table = import_ocel(path, object_type=object_type, times=times, on_error=mode, progress=progress,
                            report=report)
    report.events_kept = table.n_events
    report.cases = table.n_cases
    return ImportResult(table, report)


def load_log(path: Path | str, **options: Any) -> EventTable:
    """Just the table of ``import_log(path, **options)``, failing on the first bad row.

    What analyses call on a path a user gives: a raw log or a Parquet file ``liucheng log import``
    wrote (which reads back as it was written).
    """
    return import_log(path, **options).table
