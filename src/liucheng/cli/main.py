"""The ``liucheng`` command: global options, ``init`` / ``db upgrade``, and the command groups."""

from __future__ import annotations

import difflib
import importlib
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from liucheng.cli.output import Format, FormatOption, emit, handle_errors
from liucheng.cli.state import ENV_USER, AppState, app_state, default_user, set_app_state
from liucheng.core.env import ENV_URL

#: The command groups and commands whose modules are imported only when they run: name ->
#: (module, attribute: a Typer group or a command function, the line ``liucheng --help`` shows).
#: Starting the CLI then costs no SciPy, Arrow or analytics imports; a test checks each line here
#: is the command's own help.
LAZY: dict[str, tuple[str, str, str]] = {
    "process": ("liucheng.cli.process", "app", "Deploy BPMN 2.0 process models and look at the deployed versions."),
    "case": ("liucheng.cli.case", "app", "Open cases (work orders), look at them and act on them."),
    "task": ("liucheng.cli.task", "app", "Work on tasks: list queues, claim, release, complete, reassign."),
    "events": ("liucheng.cli.events", "app",
               "Export the event log (XES, CSV, Parquet) or keep an analytics mirror of it (DuckDB)."),
    "config": ("liucheng.cli.config", "app",
               "Load and show the organisation: people, groups, calendars, SLA policies, assignment."),
    "log": ("liucheng.cli.log", "app", "Import event logs from other systems and look inside them."),
    "mine": ("liucheng.cli.mine", "app",
             "Process mining on an event log: DFG, variants, maps, bottlenecks, conformance, discovery."),
    "staff": ("liucheng.cli.staff", "app", "Workforce planning: Erlang staffing, forecasts, requirements, adherence."),
    "analyze": ("liucheng.cli.mine", "analyze",
                "Write one self-contained HTML report of LOG (maps, variants, durations, bottlenecks, ...)."),
    "kpi": ("liucheng.cli.kpi", "kpi_command",
            "Process KPIs by period and group, each with its status against thresholds and its trend."),
    "worker": ("liucheng.cli.worker", "worker_command",
               "Fire due timers (SLA warnings, breaches, escalations) and call webhooks; Ctrl-C or SIGTERM stops."),
    "demo": ("liucheng.cli.demo", "demo_command",
             "Simulate a service centre (org, processes, cases, SLA breaches) into a database to explore."),
}


def load_command(name: str) -> Any:
    """The command (or group) of ``LAZY[name]``, its module imported now."""
    module, attribute, _ = LAZY[name]
    target: Any = getattr(importlib.import_module(module), attribute)
    if not isinstance(target, typer.Typer):
        target = _single(name, target)
    command = typer.main.get_command(target)
    command.name = name
    return command


def _single(name: str, function: Any) -> typer.Typer:
    single = typer.Typer(add_completion=False)
    single.command(name)(function)
    return single


class _LazyGroup(TyperGroup):
    """The root group: the commands in ``LAZY`` load on first use; its help lists them from ``LAZY``."""

    _listing = False

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in LAZY if name not in self.commands)]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in LAZY:
            return found
        if self._listing:  # the root help: a stand-in with the help line, nothing imported
            return TyperCommand(cmd_name, help=LAZY[cmd_name][2])
        command = load_command(cmd_name)
        self.add_command(command, cmd_name)
        return command

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:
        # Typer suggests only among the commands already loaded: suggest among all of them.
        name = args[0]
        known = self.list_commands(ctx)
        if name not in known and not name.startswith("-") and not ctx.resilient_parsing:
            close = difflib.get_close_matches(name, known)
            if close:
                ctx.fail(f"No such command {name!r}. Did you mean {', '.join(map(repr, close))}?")
        return super().resolve_command(ctx, args)

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="liucheng",
    help="流程 liucheng: run a service organisation by its processes (BPMN work orders, SLAs, event log).",
    no_args_is_help=True,
    add_completion=False,
    # An unexpected exception is a bug: show the plain traceback, not a decorated one.
    pretty_exceptions_enable=False,
    cls=_LazyGroup,
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
    from liucheng.store import resolve_url

    parsed = resolve_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).resolve()


def _migrate(fmt: Format, *, verb: str) -> None:
    from liucheng.store import head_revision, open_store

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
