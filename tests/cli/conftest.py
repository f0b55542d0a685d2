"""Running the real ``liucheng`` app in-process against real database files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from liucheng.cli.main import app

REPO = Path(__file__).parents[2]
LIBRARY = REPO / "src" / "liucheng" / "library"
COMPLAINT = LIBRARY / "complaint.bpmn"
URGENT = LIBRARY / "sub_urgent_ticket.bpmn"
EXAMPLE_CONFIG = REPO / "docs" / "config-example.toml"

Cli = Callable[..., Result]


def make_cli(url: str, *, user: str = "alice") -> Cli:
    runner = CliRunner()

    def cli(*args: Any, as_user: str | None = None, expect: int | None = 0) -> Result:
        argv = ["--db", url, "--as", as_user or user, *map(str, args)]
        result = runner.invoke(app, argv, catch_exceptions=False)
        if expect is not None:
            assert result.exit_code == expect, (
                f"liucheng {' '.join(argv)} exited {result.exit_code}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    return cli


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'liucheng.db'}"


@pytest.fixture
def cli(sqlite_url: str) -> Cli:
    """The CLI on a fresh SQLite file, already initialised."""
    run = make_cli(sqlite_url)
    run("init")
    return run
