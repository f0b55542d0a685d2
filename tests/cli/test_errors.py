"""Expected errors: one red line and a hint on stderr (or JSON), an exit code by kind, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

from liucheng.process import Severity, check_bpmn
from tests.cli.conftest import COMPLAINT, REPO, URGENT, as_json, make_cli

BROKEN = REPO / "tests" / "process" / "fixtures" / "many_faults.bpmn"


def _errors_of(path: Path):
    return [p for p in check_bpmn(path, filename=str(path)) if p.severity is Severity.ERROR]


def test_broken_model_lists_every_problem_and_exits_2(cli):
    expected = _errors_of(BROKEN)
    assert len(expected) > 10
    result = cli("process", "deploy", BROKEN, expect=2)
    assert "Traceback" not in result.stderr
    assert "problem(s) in the process model" in result.stderr
    assert "hint: fix each listed element" in result.stderr
    for problem in expected:
        if problem.element_id:
            assert problem.element_id in result.stderr
    data = json.loads(cli("process", "deploy", BROKEN, "--format", "json", expect=2).stderr)
    assert data["error"] == "invalid_model"
    errors = [p for p in data["problems"] if p["severity"] == "error"]
    assert [(p["element_id"], p["line"], p["message"], p["hint"]) for p in errors] == [
        (p.element_id, p.line, p.message, p.hint) for p in expected
    ]
    assert as_json(cli("process", "list", "-F", "json")) == []


def test_a_broken_file_among_good_ones_deploys_nothing(cli, tmp_path: Path):
    truncated = tmp_path / "cut.bpmn"
    truncated.write_bytes(COMPLAINT.read_bytes()[:3000])
    result = cli("process", "deploy", URGENT, BROKEN, truncated, "-F", "json", expect=2)
    data = json.loads(result.stderr)
    assert [f["file"] for f in data["files"]] == [str(BROKEN), str(truncated)]
    assert as_json(cli("process", "list", "-F", "json")) == []


def test_claiming_a_claimed_task_exits_4(cli):
    cli("process", "deploy", URGENT, COMPLAINT)
    cli("case", "open", "-p", "complaint", "--category", "complaint")
    (task,) = as_json(cli("task", "list", "-F", "json"))
    cli("task", "claim", task["task_id"], as_user="bob")
    result = cli("task", "claim", task["task_id"], as_user="carol", expect=4)
    assert result.stderr.startswith("error: ")
    assert "claimed by bob" in result.stderr
    assert "\nhint: " in result.stderr
    data = json.loads(cli("task", "claim", task["task_id"], "-F", "json", as_user="carol", expect=4).stderr)
    assert data["error"] == "conflict" and "claimed by bob" in data["message"] and data["hint"]
    # nothing changed for bob
    assert (
        as_json(cli("task", "list", "--mine", "-F", "json", as_user="bob"))[0]["task_id"] == task["task_id"]
    )


def test_unknown_ids_exit_3(cli):
    for args in (
        ("case", "show", "C-NOPE"),
        ("case", "events", "C-NOPE"),
        ("task", "claim", "T-NOPE"),
        ("process", "show", "nope"),
    ):
        result = cli(*args, expect=3)
        assert "not found" in result.stderr and "Traceback" not in result.stderr
        data = json.loads(cli(*args, "--format", "json", expect=3).stderr)
        assert set(data) == {"error", "message", "hint"} and data["error"] == "not_found"


def test_bad_input_exits_2(cli):
    cli("process", "deploy", URGENT, COMPLAINT)
    result = cli("case", "open", "-p", "complaint", "--data", "no-equals-sign", expect=2)
    assert "key=value" in result.stderr
    result = cli("case", "open", "-p", "complaint", "--data-json", "[1, 2]", "-F", "json", expect=2)
    assert json.loads(result.stderr)["error"] == "invalid_input"
    case_id = as_json(cli("case", "open", "-p", "complaint", "--category", "complaint", "-F", "json"))[
        "case_id"
    ]
    (task,) = as_json(cli("task", "list", "-F", "json"))
    cli("task", "claim", task["task_id"])
    # the model declares channel as an enum
    result = cli(
        "task",
        "complete",
        task["task_id"],
        "--form",
        "customer_phone=1",
        "--form",
        "channel=pigeon",
        "--form",
        "summary=s",
        "--form",
        "escalation_threat=false",
        expect=2,
    )
    assert "channel" in result.stderr and "pigeon" in result.stderr
    assert as_json(cli("case", "show", case_id, "-F", "json"))["tasks"][0]["status"] == "claimed"
    cli("task", "reassign", task["task_id"], expect=2)


def test_missing_database_says_how_to_create_it(tmp_path: Path):
    cli = make_cli(f"sqlite:///{tmp_path / 'absent.db'}")
    result = cli("case", "list", expect=1)
    assert "does not exist" in result.stderr and "hint:" in result.stderr
    assert not (tmp_path / "absent.db").exists()
    cli("init")
    assert (tmp_path / "absent.db").exists()
    assert as_json(cli("case", "list", "-F", "json")) == []
