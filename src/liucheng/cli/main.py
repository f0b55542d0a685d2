"""The ``liucheng`` command: global options, ``init`` / ``db upgrade``, and the command groups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from liucheng.cli import case, config, events, kpi, log, mine, process, staff, task
from liucheng.cli.demo import demo_command
from liucheng.cli.output import Format, FormatOption, emit, handle_errors
from liucheng.cli.state import ENV_USER, AppState, app_state, default_user, set_app_state
from liucheng.cli.worker import worker_command
from liucheng.store import ENV_URL, head_revision, open_store, resolve_url

app = typer.Typer(
    name="liucheng",
    help="流程 liucheng: run a service organisation by its processes (BPMN work orders, SLAs, event log).",
    no_args_is_help=True,
    add_completion=False,
    # An unexpected exception is a bug: show the plain traceback, not a decorated one.
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar=ENV_URL,
            show_envvar=True,
            help="Database URL: sqlite:///path.db or postgresql://user@host/db (default sqlite:///liucheng.db).",
        ),
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option("--as", envvar=ENV_USER, show_envvar=True, help="Who acts (default: your login name)."),
    ] = None,
) -> None:
    """Global options come before the command: liucheng --db URL --as alice task list."""
    state = AppState(url=db, user=as_user or default_user())
    set_app_state(state)
    ctx.call_on_close(state.close)


def _sqlite_path(url: str | None) -> Path | None:
    parsed = resolve_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).resolve()


def _migrate(fmt: Format, *, verb: str) -> None:
    state = app_state()
    path = _sqlite_path(state.url)
    existed = path.exists() if path is not None else None
    store = open_store(state.url, create=True)
    try:
        where = str(path) if path is not None else store.url
        data = {"database": where, "url": store.url, "schema": head_revision(), "created": existed is False}
    finally:
        store.close()
    action = "created" if existed is False else verb
    emit(fmt, data, lambda: f"{action} database {where} (schema {data['schema']})")


@app.command("init")
@handle_errors
def init_command(fmt: FormatOption = Format.TABLE) -> None:
    """Create the database (or bring it up to date) and say where it is."""
    _migrate(fmt, verb="ready:")


db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@db_app.command("upgrade")
@handle_errors
def db_upgrade_command(fmt: FormatOption = Format.TABLE) -> None:
    """Apply pending schema migrations (safe to run from several processes at once)."""
    _migrate(fmt, verb="upgraded")


app.add_typer(db_app, name="db")
app.add_typer(process.app, name="process")
app.add_typer(case.app, name="case")
app.add_typer(task.app, name="task")
app.add_typer(events.app, name="events")
app.add_typer(config.app, name="config")
app.add_typer(log.app, name="log")
app.add_typer(mine.app, name="mine")
app.add_typer(staff.app, name="staff")
app.command("analyze")(mine.analyze)
app.command("kpi")(kpi.kpi_command)
app.command("worker")(worker_command)
app.command("demo")(demo_command)
