"""Parquet → EventTable: our own export, XES-named columns (PM4Py's), or any table with a mapping."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from liucheng.eventlog._import_report import ImportReport, OnError, Progress
from liucheng.eventlog._import_table import TimeOptions, apply_mapping, to_event_table
from liucheng.eventlog.errors import LogFormatError
from liucheng.eventlog.table import EventTable


def import_parquet(path: Path, *, mapping: Mapping[str, str] | None, times: TimeOptions, on_error: OnError,
                   progress: Progress | None, report: ImportReport) -> EventTable:
    """Read a Parquet file into an EventTable, filling ``report``; rows are named by number."""
    total = path.stat().st_size
    if total == 0:
        raise LogFormatError("the file is empty", file=path, hint="a Parquet file ends with PAR1")
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise LogFormatError(f"not a readable Parquet file ({exc})", file=path,
                             hint="the file is damaged or not Parquet; pass --format if it is another format") from None
    if progress is not None:
        progress(total, total)
    report.mapping = dict(mapping or {})
    table = apply_mapping(table, report.mapping, path)
    return to_event_table(table, path=path, times=times, on_error=on_error, report=report, line_of=_no_lines)


def _no_lines(rows: list[int]) -> dict[int, int | None]:
    return dict.fromkeys(rows)
