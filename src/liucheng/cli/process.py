"""``liucheng process``: deploy BPMN models, list and show deployed versions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from liucheng.cli.output import (
    EXIT_INVALID,
    Format,
    FormatOption,
    emit,
    err_console,
    fail,
    fields,
    handle_errors,
    print_json,
    problems_table,
    table,
    when,
)
from liucheng.cli.state import app_state
from liucheng.process import ModelError, ProcessDefinition, Severity, check_bpmn
from liucheng.services import deploy, list_definitions

app = typer.Typer(
    help="Deploy BPMN 2.0 process models and look at the deployed versions.", no_args_is_help=True
)

BpmnFiles = Annotated[
    list[Path],
    typer.Argument(
        help="BPMN 2.0 files (.bpmn), callee processes first.", exists=True, dir_okay=False, readable=True
    ),
]


def _check_all(files: list[Path], fmt: Format) -> None:
    """Validate every file before deploying any, so a bad file in the list deploys nothing."""
    failures: list[ModelError] = []
    for path in files:
        problems = check_bpmn(path, filename=str(path))
        errors = [p for p in problems if p.severity is Severity.ERROR]
        if errors:
            failures.append(ModelError(problems, filename=str(path)))
        elif problems and fmt is Format.TABLE:
            for p in problems:
                err_console.print(f"warning: {path}: {p}", style="yellow", markup=False)
    if len(failures) == 1:
        fail(failures[0], fmt)
    if failures:
        if fmt is Format.JSON:
            print_json(
                {
                    "error": "invalid_model",
                    "message": f"{len(failures)} files have problems; nothing was deployed",
                    "hint": "fix each listed element in the modeler and deploy again",
                    "files": [
                        {"file": f.filename, "problems": [p.to_dict() for p in f.problems]} for f in failures
                    ],
                },
                err=True,
            )
        else:
            for failure in failures:
                err_console.print(
                    f"error: {failure.filename}: {len(failure.problems)} problem(s)",
                    style="red",
                    markup=False,
                )
                err_console.print(problems_table(failure))
            err_console.print("hint: nothing was deployed; fix the files and deploy again", markup=False)
        raise typer.Exit(EXIT_INVALID)


@app.command("deploy")
@handle_errors
def deploy_command(files: BpmnFiles, fmt: FormatOption = Format.TABLE) -> None:
    """Deploy process models: a changed model becomes a new version, an unchanged one is left alone.

    Every file is checked first; any error in any file deploys nothing and lists each problem
    (exit code 2).
    """
    _check_all(files, fmt)
    state = app_state()
    platform = state.platform()
    rows: list[dict[str, Any]] = []
    for path in files:
        for d in deploy(platform, path, by=state.user):
            rows.append(
                {"file": str(path), "key": d.key, "name": d.name, "version": d.version, "created": d.created}
            )
    emit(
        fmt,
        rows,
        lambda: table(
            None,
            ["key", "version", "result", "name", "file"],
            [
                (r["key"], r["version"], "created" if r["created"] else "unchanged", r["name"], r["file"])
                for r in rows
            ],
        ),
    )


@app.command("list")
@handle_errors
def list_command(
    fmt: FormatOption = Format.TABLE,
    all_versions: Annotated[
        bool, typer.Option("--all", help="Show every version, not only the latest.")
    ] = False,
) -> None:
    """List deployed processes (latest version of each unless --all)."""
    rows = list_definitions(app_state().platform())
    if not all_versions:
        latest = {r.key: r for r in rows}
        rows = list(latest.values())
    data = [
        {
            "key": r.key,
            "version": r.version,
            "name": r.name,
            "deployed_at": r.deployed_at,
            "deployed_by": r.deployed_by,
        }
        for r in rows
    ]
    emit(
        fmt,
        data,
        lambda: table(
            None,
            ["key", "version", "name", "deployed at", "by"],
            [(r.key, r.version, r.name, when(r.deployed_at), r.deployed_by) for r in rows],
        ),
    )


def _element_notes(element: Any) -> str:
    notes = []
    if element.candidate_groups:
        notes.append("groups=" + ",".join(element.candidate_groups))
    if element.assignee:
        notes.append(f"assignee={element.assignee}")
    if element.skills:
        notes.append("skills=" + ",".join(element.skills))
    if element.step_sla_s:
        notes.append(f"step SLA={element.step_sla_s}s")
    if element.timer is not None:
        notes.append(f"timer={element.timer.expression}")
    if element.message:
        notes.append(f"message={element.message}")
    if element.called_process:
        notes.append(f"calls={element.called_process}")
    if element.attached_to:
        notes.append(f"on={element.attached_to}")
    if element.webhook is not None:
        notes.append(f"webhook={element.webhook.method} {element.webhook.url}")
    if element.form:
        notes.append("form=" + ",".join(f.id for f in element.form))
    return "; ".join(notes)


def _definition_data(d: ProcessDefinition, deployed_at: Any, deployed_by: str) -> dict[str, Any]:
    return {
        "key": d.key,
        "version": d.version,
        "name": d.name,
        "owner": d.owner,
        "deployed_at": deployed_at,
        "deployed_by": deployed_by,
        "elements": list(d.elements.values()),
        "lanes": list(d.lanes.values()),
        "flows": list(d.flows.values()),
    }


@app.command("show")
@handle_errors
def show_command(
    key: Annotated[str, typer.Argument(help="Process key (the BPMN process id).")],
    version: Annotated[
        int | None, typer.Option("--version", "-v", help="Version to show (default latest).")
    ] = None,
    bpmn: Annotated[bool, typer.Option("--bpmn", help="Print the stored BPMN XML instead.")] = False,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Show a deployed process: its elements, lanes and flows, or its BPMN source."""
    platform = app_state().platform()
    with platform.store.unit_of_work(read_only=True) as uow:
        definition = platform.definition(uow, key, version)
        row = uow.definitions.get(key, definition.version)
    if bpmn:
        sys.stdout.write(row.source if row.source.endswith("\n") else row.source + "\n")
        return

    def render() -> list[Any]:
        d = definition
        return [
            fields(
                [
                    ("process", f"{d.key} v{d.version}"),
                    ("name", d.name),
                    ("owner", d.owner),
                    ("deployed", f"{when(row.deployed_at)} by {row.deployed_by}"),
                ]
            ),
            table(
                "elements",
                ["id", "kind", "name", "lane", "details"],
                [(e.id, str(e.kind), e.name, e.lane, _element_notes(e)) for e in d.elements.values()],
            ),
            table(
                "lanes",
                ["id", "name", "elements"],
                [(lane.id, lane.name, len(lane.element_ids)) for lane in d.lanes.values()],
            ),
            table(
                "flows",
                ["id", "from", "to", "condition"],
                [(f.id, f.source, f.target, f.condition or "") for f in d.flows.values()],
            ),
        ]

    emit(fmt, _definition_data(definition, row.deployed_at, row.deployed_by), render)
