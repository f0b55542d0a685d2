"""``liucheng events``: export the event log for process mining."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from liucheng.cli.output import console, err_console, handle_errors, progress_bar
from liucheng.cli.state import app_state
from liucheng.core.errors import ValidationError
from liucheng.services.export import count_events, export_events

app = typer.Typer(help="Export the event log (XES, CSV, Parquet) for process mining.", no_args_is_help=True)


class LogFormat(StrEnum):
    XES = "xes"
    CSV = "csv"
    PARQUET = "parquet"


_SUFFIXES = {
    ".xes": LogFormat.XES,
    ".gz": LogFormat.XES,
    ".csv": LogFormat.CSV,
    ".parquet": LogFormat.PARQUET,
}


def _format_for(out: Path, given: LogFormat | None) -> LogFormat:
    if given is not None:
        return given
    found = _SUFFIXES.get(out.suffix.lower())
    if found is None:
        raise ValidationError(
            f"cannot tell the format of {out.name!r} from its name",
            where="--format",
            hint="name it .xes, .xes.gz, .csv or .parquet, or pass --format",
        )
    return found


@app.command("export")
@handle_errors
def export_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="File to write; .xes.gz writes gzip-compressed XES.", dir_okay=False
        ),
    ],
    log_format: Annotated[
        LogFormat | None, typer.Option("--format", help="xes, csv or parquet (default: from the file name).")
    ] = None,
    include_internal: Annotated[
        bool,
        typer.Option("--include-internal", help="Also export internal events (token moves, timers, SLA)."),
    ] = False,
) -> None:
    """Export every case's events, grouped by case, with the case attributes, in constant memory."""
    chosen = _format_for(out, log_format)
    platform = app_state().platform()
    total = count_events(platform, include_internal=include_internal)
    with progress_bar("exporting") as bar:
        task = bar.add_task("export", total=total)
        summary = export_events(
            platform,
            out,
            format=chosen.value,
            include_internal=include_internal,
            progress=lambda n: bar.update(task, completed=n),
        )
    cases = f"{summary.cases} case" + ("" if summary.cases == 1 else "s")
    console.print(f"wrote {summary.events} events of {cases} to {out} ({chosen.value})", markup=False)
    if summary.replaced_chars:
        err_console.print(
            f"warning: {summary.replaced_chars} characters XML cannot hold became U+FFFD",
            style="yellow",
            markup=False,
        )
