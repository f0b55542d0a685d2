"""``liucheng demo``: fill a database with a simulated service centre to explore."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from liucheng.cli.output import Format, FormatOption, emit, fields, handle_errors, progress_bar, table
from liucheng.cli.state import app_state
from liucheng.core.env import ENV_URL
from liucheng.core.errors import ConfigurationError


def _render(data: dict[str, Any]) -> list[Any]:
    # The summary's fields belong to the simulation; show scalars together, mappings as tables.
    scalars = [(k.replace("_", " "), v) for k, v in data.items() if not isinstance(v, dict | list)]
    out: list[Any] = [fields(scalars)]
    for key, value in data.items():
        if isinstance(value, dict) and value:
            columns = (
                ["", *next(iter(value.values())).keys()]
                if isinstance(next(iter(value.values())), dict)
                else None
            )
            if columns:
                out.append(
                    table(key.replace("_", " "), columns, [(k, *v.values()) for k, v in value.items()])
                )
            else:
                out.append(table(key.replace("_", " "), ["", "value"], list(value.items())))
    commands = data.get("next_commands") or []
    if commands:
        out.append("try next:")
        out.extend(f"  {line}" for line in commands)
    return out


@handle_errors
def demo_command(
    cases: Annotated[int, typer.Option("--cases", min=1, help="How many cases to simulate.")] = 20000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same data.")] = 7,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database to fill (default: the global --db, else $LIUCHENG_DATABASE_URL, else var/demo.db,"
            " which each demo run replaces).",
        ),
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset", help="Wipe the SQLite file first if it holds data.")
    ] = False,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Simulate a service centre (org, processes, cases, SLA breaches) into a database to explore."""
    try:
        # Imported here: the simulation is heavy and only this command needs it.
        from liucheng.sim.demo import DEFAULT_DEMO_URL, run_demo
    except ImportError as exc:
        raise ConfigurationError(
            f"the simulation is not available ({exc})", hint="install liucheng with its sim package"
        ) from None
    url = db or app_state().url or os.environ.get(ENV_URL)
    if not url:
        # The demo's own file: safe to replace on every run, so `make demo` can be run again.
        Path("var").mkdir(exist_ok=True)
        url, reset = DEFAULT_DEMO_URL, True
    with progress_bar("simulating") as bar:
        task = bar.add_task("demo", total=cases)
        summary = run_demo(
            url,
            cases=cases,
            seed=seed,
            reset=reset,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    data = dataclasses.asdict(summary)
    emit(fmt, data, lambda: _render(data))
