"""Every command and option explains itself in --help."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, (*path, name))


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
