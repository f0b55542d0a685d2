"""``liucheng case``: open work orders, look at them, and act on them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from liucheng.cli.output import Format, FormatOption, duration, emit, fields, handle_errors, table, when
from liucheng.cli.params import PAIRS_HELP, parse_json_object, parse_pairs
from liucheng.cli.state import app_state
from liucheng.core.calendar import BusinessCalendar
from liucheng.core.errors import NotFoundError
from liucheng.engine import CaseState, ClockStatus, Event, SlaClock, Task
from liucheng.services import CaseService

app = typer.Typer(help="Open cases (work orders), look at them and act on them.", no_args_is_help=True)

CaseId = Annotated[str, typer.Argument(help="Case id, e.g. C20260302-1A2B3C4D.")]
Reason = Annotated[str, typer.Option("--reason", help="Why; kept in the event log.")]


# -- presenting a case ----------------------------------------------------------------------------
def task_data(task: Task) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "name": task.name,
        "element_id": task.element_id,
        "kind": task.kind,
        "status": str(task.status),
        "lane": task.lane,
        "candidate_groups": list(task.candidate_groups),
        "assignee": task.assignee,
        "created_at": task.created_at,
        "due_at": task.due_at,
    }


def clock_data(clock: SlaClock, now: datetime, calendar: BusinessCalendar | None) -> dict[str, Any]:
    """A clock as of ``now``: a running clock also counts the business time since it last accrued."""
    elapsed = clock.elapsed_s
    held = dict(clock.held_s)
    if clock.status is ClockStatus.RUNNING and clock.running_since is not None and calendar is not None:
        extra = calendar.business_seconds(clock.running_since, now)
        elapsed += extra
        if clock.holder is not None:
            held[clock.holder] = held.get(clock.holder, 0) + extra
    return {
        "name": clock.name,
        "task_id": clock.task_id,
        "status": str(clock.status),
        "elapsed_s": elapsed,
        "target_s": clock.target_s,
        "remaining_s": clock.target_s - elapsed,
        "used": round(elapsed / clock.target_s, 3) if clock.target_s else None,
        "breached": clock.breached or elapsed > clock.target_s,
        "holder": clock.holder,
        "held_s": held,
    }


def case_data(state: CaseState, *, now: datetime, calendar: BusinessCalendar | None = None) -> dict[str, Any]:
    return {
        "case_id": state.case_id,
        "process_key": state.process_key,
        "process_version": state.process_version,
        "status": str(state.status),
        "category": state.category,
        "priority": state.priority,
        "customer": state.customer,
        "title": state.title,
        "parent_case_id": state.parent_case_id,
        "opened_at": state.opened_at,
        "closed_at": state.closed_at,
        "escalation_level": state.escalation_level,
        "data": state.data,
        "tasks": [task_data(t) for t in sorted(state.active_tasks(), key=lambda t: (t.created_at, t.id))],
        "clocks": [clock_data(c, now, calendar) for c in state.clocks.values()],
        "timers": [
            {
                "timer_id": t.id,
                "purpose": t.purpose,
                "due_at": t.due_at,
                "clock": t.clock,
                "element_id": t.element_id,
                "task_id": t.task_id,
            }
            for t in sorted(state.timers.values(), key=lambda t: (t.due_at, t.id))
        ],
    }


def tasks_table(tasks: list[dict[str, Any]], title: str = "active tasks") -> Any:
    return table(
        title,
        ["task", "name", "status", "queue", "assignee", "due"],
        [(t["task_id"], t["name"], t["status"], t["lane"], t["assignee"], when(t["due_at"])) for t in tasks],
    )


def render_case(data: dict[str, Any], *, full: bool) -> list[Any]:
    head = [
        ("case", data["case_id"]),
        ("status", data["status"]),
        ("process", f"{data['process_key']} v{data['process_version']}"),
        ("category", data["category"]),
        ("priority", data["priority"]),
    ]
    if full:
        head += [
            ("customer", data["customer"]),
            ("title", data["title"]),
            ("opened", when(data["opened_at"])),
            ("closed", when(data["closed_at"])),
            ("parent", data["parent_case_id"]),
            ("escalation level", data["escalation_level"] or None),
        ]
        head += [(f"data.{k}", v) for k, v in data["data"].items()]
    out: list[Any] = [fields((k, v) for k, v in head if v is not None)]
    out.append(tasks_table(data["tasks"]) if data["tasks"] else "no active tasks")
    if full and data["clocks"]:
        out.append(
            table(
                "SLA clocks",
                ["clock", "status", "elapsed", "target", "used", "holder", "held by department"],
                [
                    (
                        c["name"],
                        c["status"] + (" (breached)" if c["breached"] else ""),
                        duration(c["elapsed_s"]),
                        duration(c["target_s"]),
                        "" if c["used"] is None else f"{c['used']:.0%}",
                        c["holder"],
                        ", ".join(f"{k} {duration(v)}" for k, v in c["held_s"].items()),
                    )
                    for c in data["clocks"]
                ],
            )
        )
    if full and data["timers"]:
        out.append(
            table(
                "timers",
                ["timer", "purpose", "due", "for"],
                [
                    (
                        t["timer_id"],
                        t["purpose"],
                        when(t["due_at"]),
                        t["clock"] or t["element_id"] or t["task_id"],
                    )
                    for t in data["timers"]
                ],
            )
        )
    return out


def present_result(fmt: Format, result: tuple[CaseState, list[Event]]) -> None:
    """What a command changed: the case as it is now and the activities it recorded."""
    state, events = result
    data = case_data(state, now=app_state().platform().clock.now())
    data["recorded"] = [str(e.type) for e in events]
    emit(fmt, data, lambda: render_case(data, full=False))


def _service() -> CaseService:
    return CaseService(app_state().platform())


# -- commands -------------------------------------------------------------------------------------
@app.command("open")
@handle_errors
def open_command(
    process: Annotated[str, typer.Option("--process", "-p", help="Key of a deployed process.")],
    category: Annotated[
        str, typer.Option(help="complaint, inquiry, suggestion, fault, feedback, ...")
    ] = "inquiry",
    priority: Annotated[str, typer.Option(help="P1 (most urgent) to P4.")] = "P3",
    customer: Annotated[str | None, typer.Option(help="Customer id or phone number.")] = None,
    title: Annotated[str, typer.Option(help="One line saying what the case is about.")] = "",
    data: Annotated[list[str] | None, typer.Option("--data", "-d", help=f"Case data. {PAIRS_HELP}")] = None,
    data_json: Annotated[
        str | None, typer.Option("--data-json", help="Case data as one JSON object.")
    ] = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Open a case of a deployed process; prints its id and first tasks."""
    values = parse_json_object(data_json, option="--data-json") | parse_pairs(data, option="--data")
    result = _service().open_case(
        process_key=process,
        category=category,
        priority=priority,
        customer=customer,
        title=title,
        data=values,
        by=app_state().user,
    )
    present_result(fmt, result)


@app.command("show")
@handle_errors
def show_command(case_id: CaseId, fmt: FormatOption = Format.TABLE) -> None:
    """Show a case: status, data, active tasks, SLA clocks (elapsed, target, who held them) and timers."""
    platform = app_state().platform()
    now = platform.clock.now()
    with platform.store.unit_of_work(read_only=True) as uow:
        state = uow.cases.get(case_id)
        try:
            calendar: BusinessCalendar | None = platform.engine_context(uow).calendar_for(state.process_key)
        except NotFoundError:  # a policy naming a calendar that was removed: show stored times only
            calendar = None
    data = case_data(state, now=now, calendar=calendar)
    emit(fmt, data, lambda: render_case(data, full=True))


@app.command("list")
@handle_errors
def list_command(
    status: Annotated[
        str | None, typer.Option(help="open, on_hold, completed, terminated or cancelled.")
    ] = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    priority: Annotated[str | None, typer.Option(help="Only this priority (P1..P4).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many cases, oldest first.")] = 100,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """List cases, oldest first."""
    platform = app_state().platform()
    with platform.store.unit_of_work(read_only=True) as uow:
        rows = uow.cases.list(status=status, category=category, priority=priority, limit=limit)
    emit(
        fmt,
        rows,
        lambda: table(
            None,
            ["case", "process", "status", "category", "priority", "customer", "title", "opened", "closed"],
            [
                (
                    r.case_id,
                    f"{r.process_key} v{r.process_version}",
                    r.status,
                    r.category,
                    r.priority,
                    r.customer,
                    r.title,
                    when(r.opened_at),
                    when(r.closed_at),
                )
                for r in rows
            ],
        ),
    )


@app.command("events")
@handle_errors
def events_command(
    case_id: CaseId,
    include_internal: Annotated[
        bool, typer.Option("--all", help="Also show internal events (token moves, timers, SLA accruals).")
    ] = False,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Show a case's event log, oldest first: the events a process-mining export contains."""
    events = [e for e in _service().events(case_id) if include_internal or e.is_business]
    emit(
        fmt,
        events,
        lambda: table(
            f"{len(events)} events",
            ["at", "activity", "lifecycle", "resource", "group", "type"],
            [(when(e.at), e.activity or "", e.lifecycle, e.resource, e.group, str(e.type)) for e in events],
        ),
    )


@app.command("comment")
@handle_errors
def comment_command(
    case_id: CaseId,
    text: Annotated[str, typer.Argument(help="The comment.")],
    internal: Annotated[
        bool, typer.Option("--internal", help="Staff only; not shown to the customer.")
    ] = False,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Add a comment to a case."""
    present_result(fmt, _service().comment(case_id, text, by=app_state().user, public=not internal))


@app.command("hold")
@handle_errors
def hold_command(
    case_id: CaseId, reason: Reason = "waiting on customer", fmt: FormatOption = Format.TABLE
) -> None:
    """Put a case on hold while it waits on the customer (SLA clocks pause)."""
    present_result(fmt, _service().hold(case_id, by=app_state().user, reason=reason))


@app.command("resume")
@handle_errors
def resume_command(case_id: CaseId, fmt: FormatOption = Format.TABLE) -> None:
    """Take a case off hold (SLA clocks run again)."""
    present_result(fmt, _service().resume(case_id, by=app_state().user))


@app.command("message")
@handle_errors
def message_command(
    case_id: CaseId,
    name: Annotated[str, typer.Argument(help="Message name the process waits for, e.g. customer_reply.")],
    data: Annotated[
        list[str] | None, typer.Option("--data", "-d", help=f"Message data. {PAIRS_HELP}")
    ] = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Deliver a message (e.g. the customer replied) to a case waiting for it."""
    values = parse_pairs(data, option="--data")
    present_result(fmt, _service().message(case_id, name, data=values, by=app_state().user))


@app.command("cancel")
@handle_errors
def cancel_command(case_id: CaseId, reason: Reason = "", fmt: FormatOption = Format.TABLE) -> None:
    """Cancel a case: open tasks are withdrawn and SLA clocks stop."""
    present_result(fmt, _service().cancel(case_id, by=app_state().user, reason=reason))


@app.command("reopen")
@handle_errors
def reopen_command(case_id: CaseId, reason: Reason = "", fmt: FormatOption = Format.TABLE) -> None:
    """Reopen a closed case (the customer was not satisfied); it returns to its reopen step."""
    present_result(fmt, _service().reopen(case_id, by=app_state().user, reason=reason))
