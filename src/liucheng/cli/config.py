"""``liucheng config``: load the organisation (people, groups, calendars, SLA policies, assignment)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from liucheng.cli.output import Format, FormatOption, emit, err_console, fields, handle_errors, table
from liucheng.cli.state import app_state
from liucheng.services.config import apply_config, current_config, read_config_file

app = typer.Typer(
    help="Load and show the organisation: people, groups, calendars, SLA policies, assignment.",
    no_args_is_help=True,
)


@app.command("load")
@handle_errors
def load_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="A TOML file like docs/config-example.toml.", exists=True, dir_okay=False, readable=True
        ),
    ],
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Check a config file completely, then write all of it in one transaction (or nothing)."""
    config = read_config_file(file)
    platform = app_state().platform()
    with platform.store.unit_of_work() as uow:
        summary = apply_config(uow, config, today=platform.clock.now().date())
    platform.reload()
    data = asdict(summary)
    for warning in summary.warnings if fmt is Format.TABLE else ():
        err_console.print(f"warning: {warning}", style="yellow", markup=False)
    counts = {k: v for k, v in data.items() if k != "warnings"}
    emit(fmt, data, lambda: [f"loaded {file}", fields((k.replace("_", " "), v) for k, v in counts.items())])


def _render(data: dict[str, Any]) -> list[Any]:
    return [
        table(
            "users",
            ["id", "name", "active", "skills"],
            [
                (u["id"], u["name"], "yes" if u["active"] else "no", ", ".join(u["skills"]))
                for u in data["users"]
            ],
        ),
        table(
            "groups",
            ["id", "name", "kind", "parent", "leads", "members"],
            [
                (
                    g["id"],
                    g["name"],
                    g["kind"],
                    g.get("parent"),
                    ", ".join(g["leads"]),
                    ", ".join(g["members"]),
                )
                for g in data["groups"]
            ],
        ),
        table(
            "calendars",
            ["name", "zone", "holidays", "make-up days"],
            [
                (c["name"], c["zone"], len(c.get("holidays", [])), len(c.get("makeup_workdays", [])))
                for c in data["calendars"]
            ],
        ),
        table(
            "SLA policies",
            ["name", "processes", "calendar", "targets", "escalation levels"],
            [
                (
                    p["name"],
                    ", ".join(p.get("processes", ["*"])),
                    p.get("calendar"),
                    len(p.get("targets", [])),
                    len(p.get("escalation", [])),
                )
                for p in data["sla_policies"]
            ],
        ),
        table("assignment", ["queue", "strategy"], sorted(data["assignment"].items())),
    ]


@app.command("show")
@handle_errors
def show_command(fmt: FormatOption = Format.TABLE) -> None:
    """Show the stored organisation; --format json gives the config file's shape."""
    platform = app_state().platform()
    with platform.store.unit_of_work(read_only=True) as uow:
        data = current_config(uow)
    emit(fmt, data, lambda: _render(data))
