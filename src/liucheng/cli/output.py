"""Presenting results as Rich tables or JSON, and turning typed errors into messages and exit codes."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import msgspec
import typer
from rich.console import Console, ConsoleDimensions, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from liucheng.core.errors import ConflictError, LiuchengError, NotFoundError, ValidationError
from liucheng.eventlog.errors import LogFormatError
from liucheng.process import ModelError

P = ParamSpec("P")
R = TypeVar("R")


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


FormatOption = Annotated[
    Format,
    typer.Option(
        "--format", "-F", help="table for people, json for scripts (errors too).", case_sensitive=False
    ),
]

#: Width when output goes to a file or pipe: wide enough that ids and names stay on one line.
PIPE_WIDTH = 200


class _Console(Console):
    """Looks up sys.stdout / sys.stderr when it writes (so captured output works) and is wide when
    piped, where Rich would otherwise wrap at 80 columns."""

    @property
    def size(self) -> ConsoleDimensions:
        measured = super().size
        if self._width is None and not self.is_terminal and "COLUMNS" not in os.environ:
            return ConsoleDimensions(PIPE_WIDTH, measured.height)
        return measured

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


console = _Console(highlight=False)
err_console = _Console(stderr=True, highlight=False)

EXIT_ERROR = 1
EXIT_INVALID = 2
EXIT_NOT_FOUND = 3
EXIT_CONFLICT = 4


def exit_code(exc: LiuchengError) -> int:
    """The exit code scripts can branch on: 2 bad input, 3 not found, 4 conflict, 1 anything else."""
    # Bad input of any kind (a model, a log file, a KPI definition or a column it names).
    if isinstance(exc, ValidationError | ModelError | LogFormatError) or exc.code in ("invalid_kpi", "kpi_data"):
        return EXIT_INVALID
    if isinstance(exc, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(exc, ConflictError):
        return EXIT_CONFLICT
    return EXIT_ERROR


def _builtins(value: Any) -> Any:
    return msgspec.to_builtins(value, enc_hook=str)


def print_json(data: Any, *, err: bool = False) -> None:
    # Plain write rather than Rich: no wrapping, no markup, exactly one JSON document.
    text = msgspec.json.format(msgspec.json.encode(_builtins(data)), indent=2).decode()
    (sys.stderr if err else sys.stdout).write(text + "\n")


def fail(exc: LiuchengError, fmt: Format) -> NoReturn:
    """Report an expected error on stderr, never with a traceback, and exit with its code."""
    code = exit_code(exc)
    if fmt is Format.JSON:
        data = exc.to_dict()
        data.setdefault("hint", None)
        print_json(data, err=True)
        raise typer.Exit(code)
    if isinstance(exc, ModelError):
        head = f"{exc.filename}: " if exc.filename else ""
        err_console.print(
            f"[red]error: {head}{len(exc.problems)} problem(s) in the process model[/red]", markup=True
        )
        err_console.print(problems_table(exc))
    else:
        err_console.print(f"error: {exc.message}", style="red", markup=False)
    if exc.hint:
        err_console.print(f"hint: {exc.hint}", markup=False)
    raise typer.Exit(code)


def problems_table(exc: ModelError) -> Table:
    table = Table(show_lines=False)
    for column in ("severity", "element", "line", "message", "hint"):
        table.add_column(column, overflow="fold")
    for p in exc.problems:
        table.add_row(str(p.severity), p.element_id or "", str(p.line or ""), p.message, p.hint)
    return table


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so a ``LiuchengError`` becomes a message and an exit code.

    The command's ``fmt`` parameter (its ``--format``) decides whether errors are JSON.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except LiuchengError as exc:
            # JSON errors for --format json; text for tables and for csv (a CSV of errors helps nobody).
            fail(exc, Format.JSON if str(kwargs.get("fmt", "")) == "json" else Format.TABLE)

    return wrapper


def emit(
    fmt: Format, data: Any, render: Callable[[], RenderableType | Iterable[RenderableType] | None]
) -> None:
    """Print ``data`` as JSON, or what ``render`` builds for a person."""
    if fmt is Format.JSON:
        print_json(data)
        return
    shown = render()
    if shown is None:
        return
    if isinstance(shown, str) or not isinstance(shown, Iterable):
        console.print(shown)
        return
    for item in shown:
        console.print(item)


def when(value: datetime | None) -> str:
    """An instant for a table: UTC, to the minute (JSON output has the full instant)."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M") + "Z"


def duration(seconds: int | float | None) -> str:
    if seconds is None:
        return ""
    total = int(seconds)
    sign = "-" if total < 0 else ""
    hours, rest = divmod(abs(total), 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 48:
        return f"{sign}{hours // 24}d{hours % 24}h"
    if hours:
        return f"{sign}{hours}h{minutes:02d}m"
    return f"{sign}{minutes}m{secs:02d}s"


_ID_COLUMNS = frozenset({"id", "key", "case", "task", "timer", "clock", "queue", "element"})


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    out = Table(title=title, title_justify="left")
    for name in columns:
        # Ids are copied into the next command: never break them across lines.
        out.add_column(name, overflow="fold", no_wrap=name in _ID_COLUMNS)
    for row in rows:
        out.add_row(*("" if v is None else str(v) for v in row))
    if not out.row_count:
        out.caption = "(none)"
    return out


def fields(pairs: Iterable[tuple[str, Any]]) -> Table:
    """A two-column key/value table for one record."""
    out = Table(show_header=False, box=None, pad_edge=False)
    out.add_column(style="bold")
    out.add_column(overflow="fold")
    for key, value in pairs:
        out.add_row(key, "" if value is None else str(value))
    return out


def progress_bar(label: str) -> Progress:
    """A bar on stderr for long work; silent when stderr is not a terminal (scripts, pipes)."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=not err_console.is_terminal,
        transient=True,
    )
