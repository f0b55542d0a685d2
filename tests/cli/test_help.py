"""Every command and option explains itself in --help."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer
import typer.main
from typer.testing import CliRunner

from liucheng.cli.main import app

EXPECTED = {
    "init",
    "db upgrade",
    "worker",
    "demo",
    "process deploy",
    "process list",
    "process show",
    "case open",
    "case show",
    "case list",
    "case events",
    "case comment",
    "case hold",
    "case resume",
    "case message",
    "case cancel",
    "case reopen",
    "task list",
    "task claim",
    "task release",
    "task complete",
    "task reassign",
    "events export",
    "events mirror",
    "config load",
    "config show",
    "log import",
    "log info",
    "mine dfg",
    "mine variants",
    "mine map",
    "mine bottlenecks",
    "mine handover",
    "mine rework",
    "mine conformance",
    "mine discover",
    "mine compare",
    "analyze",
    "kpi",
    "staff erlang",
    "staff forecast",
    "staff requirement",
    "staff adherence",
    "staff plan",
}
GROUPS = {"liucheng", "db", "process", "case", "task", "events", "config", "log", "mine", "staff"}


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    if hasattr(command, "list_commands"):  # a group; the root loads its lazy commands when asked
        with typer.Context(command) as ctx:
            for name in command.list_commands(ctx):
                yield from walk(command.get_command(ctx, name), (*path, name))


def test_every_command_and_option_has_help():
    root = typer.main.get_command(app)
    seen = set()
    missing = []
    for path, command in walk(root):
        name = " ".join(path) or "liucheng"
        seen.add(name)
        if not (command.help or "").strip():
            missing.append(f"command {name}")
        for param in command.params:
            if not (getattr(param, "help", None) or "").strip():
                missing.append(f"{name} {param.opts[0]}")
    assert missing == []
    assert seen - GROUPS == EXPECTED


def test_help_of_every_command_renders():
    runner = CliRunner()
    for path, _ in walk(typer.main.get_command(app)):
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.stdout, result.stderr)
        assert "Usage" in result.stdout


def test_commands_that_print_data_take_format_json():
    root = typer.main.get_command(app)
    without = {
        " ".join(path)
        for path, command in walk(root)
        if not getattr(command, "commands", None)
        and not any(
            isinstance(p, typer.core.TyperOption) and "--format" in p.opts and p.name == "fmt"
            for p in command.params
        )
    }
    # These write a file (events export's --format names its format) and print one line about it.
    assert without == {"events export", "log import", "mine map", "mine discover", "analyze"}


def test_the_root_help_lists_every_command_with_its_own_help_line_and_imports_none() -> None:
    import subprocess
    import sys

    from liucheng.cli.main import LAZY, load_command

    for name, (_, _, line) in LAZY.items():
        assert load_command(name).help.strip().splitlines()[0] == line, name
    # A fresh interpreter: the root help loads no command module, no SQLAlchemy, Arrow or SciPy.
    probe = ("import sys\nfrom typer.testing import CliRunner\nfrom liucheng.cli.main import app\n"
             "result = CliRunner().invoke(app, ['--help'])\nassert result.exit_code == 0, result.output\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'pyarrow', 'scipy', 'numpy')"
             " or m.startswith('liucheng.cli.') and m.split('.')[2] in ('case', 'mine', 'staff', 'kpi', 'log')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    output = CliRunner().invoke(app, ["--help"]).output
    assert all(name in output for name in LAZY)


def test_a_mistyped_command_gets_a_suggestion_from_every_command_loaded_or_not() -> None:
    result = CliRunner().invoke(app, ["cas"])
    assert result.exit_code == 2 and "Did you mean 'case'?" in result.output
    result = CliRunner().invoke(app, ["minee", "dfg"])
    assert result.exit_code == 2 and "Did you mean 'mine'?" in result.output
