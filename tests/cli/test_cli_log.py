"""``liucheng log import`` and ``log info`` on real and fixture logs, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner, Result

from liucheng.cli.main import app
from liucheng.eventlog import read_xes

FIXTURES = Path(__file__).parents[1] / "eventlog" / "fixtures"
_ROOTS = [Path(__file__).resolve().parents[i] / "shared" / "data" for i in (3, 4)]
DATA = next((root for root in _ROOTS if root.is_dir()), _ROOTS[0])
RECEIPT = DATA / "receipt_wabo" / "receipt.xes.gz"


def run(*args: object, expect: int = 0) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == expect, (result.stdout, result.stderr)
    return result


def test_import_xes_writes_the_canonical_parquet_and_info_reads_it(tmp_path: Path) -> None:
    out = tmp_path / "receipt.parquet"
    result = run("log", "import", RECEIPT, "-o", out)
    assert "8577 of 8577 events kept, 1434 cases" in result.stdout
    table = pq.read_table(out)
    assert table.column_names[:7] == ["case_id", "activity", "timestamp", "lifecycle", "resource", "group",
                                      "event_index"]
    events = [e for trace in read_xes(RECEIPT) for e in trace.events]
    assert table.num_rows == len(events)
    info = json.loads(run("log", "info", out, "--format", "json").stdout)
    assert (info["events"], info["cases"], info["activities"]) == (8577, 1434, 27)
    assert info["first"] == min(e.timestamp for e in events).isoformat()
    assert info["last"] == max(e.timestamp for e in events).isoformat()
    raw = json.loads(run("log", "info", RECEIPT, "--format", "json").stdout)
    assert {k: raw[k] for k in ("events", "cases", "first", "last")} == {k: info[k] for k in
                                                                         ("events", "cases", "first", "last")}


def test_import_csv_with_map_and_tz_reports_json(tmp_path: Path) -> None:
    out = tmp_path / "hotline.parquet"
    result = run("log", "import", FIXTURES / "hotline_gb18030.csv", "-o", out, "--map", "case_id=工单编号",
                 "--map", "activity=状态", "--map", "timestamp=更新时间", "--tz", "Asia/Shanghai", "-F", "json")
    report = json.loads(result.stdout)
    assert report["events_kept"] == 10 and report["cases"] == 3 and report["out"] == str(out)
    assert report["mapping"]["case_id"] == "工单编号"
    assert pq.read_table(out)["case_id"].to_pylist()[:2] == ["GD-0001", "GD-0001"]


def test_sniffed_mapping_is_printed_and_skips_are_listed(tmp_path: Path) -> None:
    bad = tmp_path / "jira.csv"
    text = (FIXTURES / "jira_status_history.csv").read_text(encoding="utf-8")
    bad.write_text(text.replace("2024-05-06 09:45", "someday"), encoding="utf-8")
    result = run("log", "import", bad, "-o", tmp_path / "j.parquet", "--tz", "UTC", "--on-error", "skip")
    assert "recognised a jira export" in result.stdout
    assert "mapping: case_id=Issue key, activity=To Status" in result.stdout
    assert "line 4 row 3 [timestamp]: cannot read 'someday' as a date-time" in result.stdout
    assert "1 rows or events were skipped" in result.stderr


def test_errors_name_the_place_and_leave_no_file(tmp_path: Path) -> None:
    out = tmp_path / "never.parquet"
    result = run("log", "import", FIXTURES / "jira_status_history.csv", "-o", out, expect=2)
    assert "jira_status_history.csv:2 (row 1) [timestamp]: timestamps have no time zone" in result.stderr
    assert "--tz" in result.stderr
    assert not out.exists()
    result = run("log", "import", FIXTURES / "service_desk.jsonocel", "-o", out, "-F", "json", expect=2)
    assert json.loads(result.stderr)["error"] == "invalid_input"
    result = run("log", "info", tmp_path / "missing.xes", "--format", "json", expect=2)
    assert json.loads(result.stderr)["file"] == str(tmp_path / "missing.xes")
    run("log", "import", FIXTURES / "zendesk_updates.csv", "-o", out, "--map", "case_id", expect=2)


def test_ocel_object_type_option(tmp_path: Path) -> None:
    out = tmp_path / "tickets.parquet"
    result = run("log", "import", FIXTURES / "service_desk.jsonocel", "--object-type", "ticket", "-o", out)
    assert "7 of 7 events kept, 3 cases" in result.stdout
    assert set(pq.read_table(out)["case_id"].to_pylist()) == {"T1", "T2", "T3"}
