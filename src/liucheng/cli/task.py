"""``liucheng task``: the work queues: list, claim, release, complete and reassign tasks."""

from __future__ import annotations

from typing import Annotated

import typer

from liucheng.cli.case import present_result
from liucheng.cli.output import Format, FormatOption, emit, handle_errors, table, when
from liucheng.cli.params import PAIRS_HELP, parse_pairs
from liucheng.cli.state import app_state
from liucheng.core.errors import ValidationError
from liucheng.engine.state import ACTIVE_TASK_STATUSES
from liucheng.services import CaseService

app = typer.Typer(
    help="Work on tasks: list queues, claim, release, complete, reassign.", no_args_is_help=True
)

TaskId = Annotated[str, typer.Argument(help="Task id as `liucheng task list` shows it.")]


@app.command("list")
@handle_errors
def list_command(
    mine: Annotated[bool, typer.Option("--mine", help="Only tasks assigned to you (see --as).")] = False,
    queue: Annotated[
        str | None, typer.Option("--queue", "--lane", "-q", help="Only this queue (lane / group).")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(help="open, claimed, completed, cancelled or failed (default: open and claimed)."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many tasks, oldest first.")] = 100,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """List tasks, oldest first."""
    state = app_state()
    platform = state.platform()
    wanted = status if status is not None else sorted(str(s) for s in ACTIVE_TASK_STATUSES)
    with platform.store.unit_of_work(read_only=True) as uow:
        rows = uow.tasks.list(assignee=state.user if mine else None, lane=queue, status=wanted, limit=limit)
    emit(
        fmt,
        rows,
        lambda: table(
            None,
            ["task", "case", "name", "status", "queue", "assignee", "created", "due"],
            [
                (
                    r.task_id,
                    r.case_id,
                    r.name,
                    r.status,
                    r.lane,
                    r.assignee,
                    when(r.created_at),
                    when(r.due_at),
                )
                for r in rows
            ],
        ),
    )


@app.command("claim")
@handle_errors
def claim_command(task_id: TaskId, fmt: FormatOption = Format.TABLE) -> None:
    """Take a task from its queue to work on it."""
    present_result(fmt, CaseService(app_state().platform()).claim(task_id, by=app_state().user))


@app.command("release")
@handle_errors
def release_command(task_id: TaskId, fmt: FormatOption = Format.TABLE) -> None:
    """Put a claimed task back in its queue."""
    present_result(fmt, CaseService(app_state().platform()).release(task_id, by=app_state().user))


@app.command("complete")
@handle_errors
def complete_command(
    task_id: TaskId,
    form: Annotated[list[str] | None, typer.Option("--form", help=f"A form field. {PAIRS_HELP}")] = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Complete a task with its form values; prints the tasks that come next."""
    values = parse_pairs(form, option="--form")
    present_result(
        fmt, CaseService(app_state().platform()).complete(task_id, by=app_state().user, form=values)
    )


@app.command("reassign")
@handle_errors
def reassign_command(
    task_id: TaskId,
    to_user: Annotated[str | None, typer.Option("--to-user", help="Give the task to this person.")] = None,
    to_group: Annotated[str | None, typer.Option("--to-group", help="Move the task to this queue.")] = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Give a task to another person or move it to another queue."""
    if (to_user is None) == (to_group is None):
        raise ValidationError(
            "give exactly one of --to-user and --to-group",
            where="reassign",
            hint="e.g. liucheng task reassign TASK --to-user alice",
        )
    service = CaseService(app_state().platform())
    present_result(fmt, service.reassign(task_id, by=app_state().user, to_user=to_user, to_group=to_group))
