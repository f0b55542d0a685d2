"""A complaint handled entirely through the command line, on SQLite and on PostgreSQL."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from liucheng.eventlog import read_csv, read_parquet, read_xes
from liucheng.process import read_bpmn
from tests.cli.conftest import COMPLAINT, URGENT, as_json, make_cli

REGISTER_FORM = [
    "--form",
    "customer_phone=13800138000",
    "--form",
    "channel=hotline",
    "--form",
    "summary=charged twice for March",
    "--form",
    "escalation_threat=false",
]


class TestComplaintThroughTheCli:
    @pytest.fixture
    def cli(self, store_url):
        return make_cli(store_url, user="wang.fang")

    def test_open_work_and_export(self, cli, store_url, tmp_path: Path):
        init = cli("init")
        assert "schema" in init.stdout
        deployed = as_json(cli("process", "deploy", URGENT, COMPLAINT, "--format", "json"))
        assert [(d["key"], d["version"], d["created"]) for d in deployed] == [
            ("urgent_ticket", 1, True),
            ("complaint", 1, True),
        ]
        again = as_json(cli("process", "deploy", COMPLAINT, "--format", "json"))
        assert [(d["key"], d["version"], d["created"]) for d in again] == [("complaint", 1, False)]

        opened = as_json(
            cli(
                "case",
                "open",
                "--process",
                "complaint",
                "--category",
                "complaint",
                "--priority",
                "P2",
                "--customer",
                "13800138000",
                "--title",
                "double charge",
                "--data",
                "order=A-17",
                "--data",
                "amount_fen:=1200",
                "-F",
                "json",
            )
        )
        case_id = opened["case_id"]
        assert opened["status"] == "open"
        assert opened["data"] == {"order": "A-17", "amount_fen": 1200}

        tasks = as_json(cli("task", "list", "--queue", "agent", "-F", "json"))
        assert [(t["case_id"], t["element_id"], t["status"]) for t in tasks] == [
            (case_id, "register_complaint", "open")
        ]
        task_id = tasks[0]["task_id"]

        claimed = as_json(cli("task", "claim", task_id, "-F", "json"))
        assert claimed["tasks"][0]["assignee"] == "wang.fang"
        assert [t["task_id"] for t in as_json(cli("task", "list", "--mine", "-F", "json"))] == [task_id]

        cli("task", "complete", task_id, *REGISTER_FORM)
        shown = as_json(cli("case", "show", case_id, "--format", "json"))
        # escalation_threat=false leads to classification, per the model's gateway
        assert [(t["element_id"], t["status"]) for t in shown["tasks"]] == [("classify_complaint", "open")]
        assert shown["data"]["channel"] == "hotline" and shown["data"]["escalation_threat"] is False
        step_clocks = {c["task_id"]: c for c in shown["clocks"]}
        assert step_clocks[task_id]["status"] == "met"
        assert step_clocks[task_id]["target_s"] == _step_sla_s("register_complaint")

        cli("case", "comment", case_id, "customer called again", "--internal")
        events = as_json(cli("case", "events", case_id, "-F", "json"))
        everything = as_json(cli("case", "events", case_id, "--all", "-F", "json"))
        assert 0 < len(events) < len(everything)
        activities = [e["activity"] for e in events]
        assert "登记投诉 Register complaint" in activities

        for name in ("log.xes", "log.xes.gz", "log.csv", "log.parquet"):
            out = tmp_path / name
            result = cli("events", "export", "-o", out)
            assert f"to {out}" in result.stdout
            exported = _read(out, case_id)
            assert [e.activity for _, e in exported] == activities
            case_attrs = exported[0][0]
            assert case_attrs["category"] == "complaint" and case_attrs["priority"] == "P2"
            assert case_attrs["customer"] == "13800138000" and case_attrs["process_key"] == "complaint"
        assert gzip.decompress((tmp_path / "log.xes.gz").read_bytes()).startswith(b"<?xml")

        cli("events", "export", "-o", tmp_path / "all.csv", "--include-internal")
        assert len(_read(tmp_path / "all.csv", case_id)) == len(everything)

    def test_hold_resume_cancel_reopen(self, cli):
        cli("init")
        cli("process", "deploy", URGENT, COMPLAINT)
        case_id = as_json(cli("case", "open", "-p", "complaint", "--category", "complaint", "-F", "json"))[
            "case_id"
        ]
        assert as_json(cli("case", "hold", case_id, "-F", "json"))["status"] == "on_hold"
        assert as_json(cli("case", "resume", case_id, "-F", "json"))["status"] == "open"
        cancelled = as_json(cli("case", "cancel", case_id, "--reason", "duplicate", "-F", "json"))
        assert cancelled["status"] == "cancelled" and cancelled["tasks"] == []
        listed = as_json(cli("case", "list", "--status", "cancelled", "-F", "json"))
        assert [c["case_id"] for c in listed] == [case_id]
        assert as_json(cli("case", "list", "--status", "open", "-F", "json")) == []


def _step_sla_s(element_id: str) -> int:
    (definition,) = [d for d in read_bpmn(COMPLAINT) if d.key == "complaint"]
    return definition.element(element_id).step_sla_s


def _read(path: Path, case_id: str) -> list[tuple[dict, object]]:
    """(case attributes, event) of one case, read back with the event-log readers."""
    if ".xes" in path.name:
        return [(t.case.attributes, e) for t in read_xes(path) if t.case.case_id == case_id for e in t.events]
    rows = read_csv(path) if path.suffix == ".csv" else read_parquet(path)
    return [(r.case.attributes, r.event) for r in rows if r.event.case_id == case_id]
