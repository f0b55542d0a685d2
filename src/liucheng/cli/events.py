"""``liucheng events``: export the event log for process mining."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from liucheng.cli.output import (
    Format,
    FormatOption,
    console,
    emit,
    err_console,
    fields,
    handle_errors,
    progress_bar,
)
from liucheng.cli.state import app_state
from liucheng.core.errors import ValidationError
from liucheng.services.export import count_events, export_events

app = typer.Typer(
    help="Export the event log (XES, CSV, Parquet) or keep an analytics mirror of it (DuckDB).",
    no_args_is_help=True,
)


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


@app.command("mirror")
@handle_errors
def mirror_command(
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            help="The mirror file (*.duckdb). Default: beside a SQLite database as NAME.mirror.duckdb, "
            "else liucheng.mirror.duckdb here.",
            dir_okay=False,
        ),
    ] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Start the mirror again from the first event.")] = False,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Bring the analytics mirror up to date: append the events stored since the last run.

    Run it as often as you like (from cron, or after a batch): each run reads only what is new,
    and an interrupted run leaves the mirror as it was. Analyse the mirror like any log:
    `liucheng analyze FILE.duckdb`, `liucheng mine dfg FILE.duckdb`, `liucheng kpi FILE.duckdb`.
    """
    from liucheng.services.mirror import default_mirror_path, sync_mirror

    state = app_state()
    platform = state.platform()
    path = to or default_mirror_path(platform.store.engine.url.render_as_string(hide_password=False))
    with progress_bar("mirroring") as bar:
        task = bar.add_task("mirror", total=None)
        summary = sync_mirror(platform, path, rebuild=rebuild,
                              progress=lambda n, total: bar.update(task, completed=n, total=total))
    emit(fmt, summary.to_dict(), lambda: [
        fields([
            ("mirror", str(summary.path)),
            ("events added", f"{summary.events_added:,}"),
            ("cases updated", f"{summary.cases_updated:,}"),
            ("events in the mirror", f"{summary.events_total:,} of {summary.cases_total:,} cases"),
            ("up to seq", summary.last_seq),
            ("seqs still awaited", summary.pending_gaps),
            ("took", f"{summary.seconds:.1f} s"),
        ]),
        f"next: liucheng analyze {summary.path}",
    ])
