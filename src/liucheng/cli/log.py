"""``liucheng log``: import event logs from other systems (XES, CSV exports, OCEL 2.0, Parquet)."""

from __future__ import annotations

import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from liucheng.cli.output import Format, FormatOption, emit, err_console, fields, handle_errors, progress_bar
from liucheng.core.errors import ValidationError

if TYPE_CHECKING:  # Arrow and the importers are imported by the commands that read a log
    import pyarrow as pa

    from liucheng.eventlog.importing import ImportResult

app = typer.Typer(help="Import event logs from other systems and look inside them.", no_args_is_help=True)


class InputFormat(StrEnum):
    AUTO = "auto"
    XES = "xes"
    CSV = "csv"
    OCEL = "ocel"
    PARQUET = "parquet"


class OnError(StrEnum):
    FAIL = "fail"
    SKIP = "skip"


LogFile = Annotated[Path, typer.Argument(help="The log: .xes, .xes.gz, .csv, .jsonocel, .sqlite or .parquet.",
                                         exists=False, dir_okay=False)]
InputFormatOption = Annotated[InputFormat, typer.Option("--log-format", help="Format of FILE (default: from "
                                                        "its name and first bytes).", case_sensitive=False)]
MapOption = Annotated[list[str] | None, typer.Option(
    "--map", "-m", help="canonical=source column, repeatable: --map case_id='Ticket ID' --map activity=Status. "
    "Overrides a mapping recognised from the header.")]
ObjectTypeOption = Annotated[str | None, typer.Option("--object-type", help="OCEL 2.0: the object type whose "
                                                      "objects are the cases.")]
TzOption = Annotated[str | None, typer.Option("--tz", help="Zone of timestamps written without an offset, "
                                              "e.g. Asia/Shanghai.")]
TimeFormatOption = Annotated[str | None, typer.Option("--timestamp-format", help="strptime format of timestamps "
                                                      "that are not ISO 8601, e.g. '%d/%m/%Y %H:%M'.")]
EncodingOption = Annotated[str | None, typer.Option("--encoding", help="Text encoding of a CSV file (default: "
                                                    "UTF-8 with or without BOM, else GB18030 when it reads as "
                                                    "Chinese).")]
DelimiterOption = Annotated[str | None, typer.Option("--delimiter", help="CSV delimiter (default: guessed from "
                                                     "the header among , ; tab |).")]


def _mapping(pairs: list[str] | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        target, sep, source = pair.partition("=")
        if not sep or not target.strip() or not source:
            raise ValidationError(f"{pair!r} is not canonical=source", where="--map",
                                  hint="e.g. --map case_id='Ticket ID' --map timestamp=Updated")
        mapping[target.strip()] = source
    return mapping


def _read(file: Path, *, log_format: InputFormat, pairs: list[str] | None, object_type: str | None,
          on_error: OnError, tz: str | None, timestamp_format: str | None, encoding: str | None,
          delimiter: str | None) -> ImportResult:
    from liucheng.eventlog.importing import import_log

    with progress_bar(f"reading {file.name}") as bar:
        task = bar.add_task("read", total=None)
        progress: Callable[[int, int], None] = lambda done, total: bar.update(task, completed=done, total=total)  # noqa: E731
        return import_log(
            file, format=log_format.value, mapping=_mapping(pairs), object_type=object_type,  # type: ignore[arg-type]
            on_error=on_error.value, progress=progress, timezone=tz, timestamp_format=timestamp_format,
            encoding=encoding, delimiter=delimiter,
        )


def write_parquet_atomically(table: pa.Table, out: Path) -> None:
    """Write to a sibling temporary file and rename, so a failed write leaves no partial file."""
    import pyarrow.parquet as pq

    partial = out.with_name(f".{out.name}.partial")
    try:
        pq.write_table(table, partial, compression="zstd")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


@app.command("import")
@handle_errors
def import_command(
    file: LogFile,
    out: Annotated[Path, typer.Option("--out", "-o", help="Parquet file to write (the canonical event table).",
                                      dir_okay=False)],
    log_format: Annotated[InputFormat, typer.Option("--format", help="Format of FILE (default: from its name and "
                                                    "first bytes).", case_sensitive=False)] = InputFormat.AUTO,
    pairs: MapOption = None,
    object_type: ObjectTypeOption = None,
    on_error: Annotated[OnError, typer.Option("--on-error", help="fail: stop at the first bad row; skip: import "
                                              "the good rows and list the others.", case_sensitive=False)]
    = OnError.FAIL,
    tz: TzOption = None,
    timestamp_format: TimeFormatOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    fmt: Annotated[Format, typer.Option("--report", "-F", help="table for people, json for scripts (errors too).",
                                        case_sensitive=False)] = Format.TABLE,
) -> None:
    """Read FILE into the canonical event table and write it as Parquet; report what was skipped."""
    result = _read(file, log_format=log_format, pairs=pairs, object_type=object_type, on_error=on_error, tz=tz,
                   timestamp_format=timestamp_format, encoding=encoding, delimiter=delimiter)
    write_parquet_atomically(result.table.table, out)
    report = result.report
    # Text, not a str: Rich would take "[timestamp]" in a skip line for markup.
    emit(fmt, {**report.to_dict(), "out": str(out)},
         lambda: Text(f"{report.render_text()}\nwrote {report.events_kept} events of {report.cases} cases to {out}"))
    if report.skipped and fmt is Format.TABLE:
        err_console.print(f"warning: {len(report.skipped)} rows or events were skipped", style="yellow",
                          markup=False)


@app.command("info")
@handle_errors
def info_command(
    file: LogFile,
    log_format: InputFormatOption = InputFormat.AUTO,
    pairs: MapOption = None,
    object_type: ObjectTypeOption = None,
    tz: TzOption = None,
    timestamp_format: TimeFormatOption = None,
    encoding: EncodingOption = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Events, cases, activities, period and columns of a log (raw or imported Parquet)."""
    result = _read(file, log_format=log_format, pairs=pairs, object_type=object_type, on_error=OnError.FAIL, tz=tz,
                   timestamp_format=timestamp_format, encoding=encoding, delimiter=None)
    data = summary(result)
    emit(fmt, data, lambda: fields([
        ("file", data["file"]), ("format", data["format"]), ("events", data["events"]), ("cases", data["cases"]),
        ("activities", data["activities"]), ("first", data["first"]), ("last", data["last"]),
        ("columns", ", ".join(data["columns"])),
    ]))


def summary(result: ImportResult) -> dict[str, Any]:
    """What ``log info`` shows: counts, the period (UTC, ISO 8601) and the column names."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from liucheng.eventlog.table import ACTIVITY, TIMESTAMP

    table = result.table.table
    span = pc.min_max(table[TIMESTAMP]).as_py()
    return {
        "file": result.report.source,
        "format": result.report.format,
        "events": result.table.n_events,
        "cases": result.table.n_cases,
        "activities": pc.count_distinct(table[ACTIVITY].cast(pa.string())).as_py(),
        "first": span["min"].isoformat() if span["min"] else None,
        "last": span["max"].isoformat() if span["max"] else None,
        "columns": table.column_names,
    }
