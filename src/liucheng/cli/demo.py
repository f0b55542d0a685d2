"""``liucheng demo``: fill a database with a simulated service centre to explore."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import msgspec
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from liucheng.cli.output import Format, FormatOption, emit, err_console, fields, handle_errors
from liucheng.cli.state import app_state
from liucheng.core.errors import ConfigurationError
from liucheng.store import resolve_url


def _summary_data(summary: Any) -> Any:
    # The summary type belongs to the simulation; show whatever fields it has.
    if dataclasses.is_dataclass(summary) and not isinstance(summary, type):
        return dataclasses.asdict(summary)
    if isinstance(summary, msgspec.Struct):
        return msgspec.structs.asdict(summary)
    if isinstance(summary, dict):
        return summary
    return {"summary": str(summary)}


@handle_errors
def demo_command(
    cases: Annotated[int, typer.Option("--cases", min=1, help="How many cases to simulate.")] = 20000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same data.")] = 7,
    db: Annotated[
        str | None, typer.Option("--db", help="Database to fill (default: the global --db).")
    ] = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Simulate a service centre (org, processes, cases, SLA breaches) into a database to explore."""
    try:
        # Imported here: the simulation is heavy and only this command needs it.
        from liucheng.sim.demo import run_demo
    except ImportError as exc:
        raise ConfigurationError(
            f"the simulation is not available ({exc})", hint="install liucheng with its sim package"
        ) from None
    state = app_state()
    url = db or state.url or _default_url()
    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("demo", total=cases)
        summary = run_demo(url, cases=cases, seed=seed, progress=lambda n: bar.update(task, completed=n))
    data = _summary_data(summary)
    emit(
        fmt,
        data,
        lambda: [f"demo data in {url}", fields(data.items()) if isinstance(data, dict) else str(data)],
    )


def _default_url() -> str:
    return resolve_url(None).render_as_string(hide_password=False)
