"""``liucheng mine ...`` and ``liucheng analyze`` as a user runs them, checked against our own XES reader."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections import Counter
from pathlib import Path

from lxml import etree
from typer.testing import CliRunner, Result

from liucheng.cli.main import app
from liucheng.eventlog import read_xes

_ROOTS = [Path(__file__).resolve().parents[i] / "shared" / "data" for i in (3, 4)]
DATA = next((root for root in _ROOTS if root.is_dir()), _ROOTS[0])
RECEIPT = DATA / "receipt_wabo" / "receipt.xes.gz"


def run(*args: object, expect: int = 0) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == expect, (result.stdout, result.stderr)
    return result


def _traces() -> list[list[str]]:
    """Activity sequences from our streaming XES reader, ordered by time (stable), as PM4Py orders them."""
    out = []
    for trace in read_xes(RECEIPT):
        ordered = sorted(enumerate(trace.events), key=lambda p: (p[1].timestamp, p[0]))
        out.append([e.activity for _, e in ordered])
    return out


def test_dfg_json_counts_every_directly_follows_pair() -> None:
    data = json.loads(run("mine", "dfg", RECEIPT, "--format", "json").stdout)
    expected = Counter((a, b) for seq in _traces() for a, b in itertools.pairwise(seq))
    assert {(e["source"], e["target"]): e["count"] for e in data["edges"]} == dict(expected)
    assert data["cases"] == 1434 and data["events"] == 8577


def test_variants_csv_lists_the_most_frequent_sequences() -> None:
    rows = list(csv.DictReader(io.StringIO(run("mine", "variants", RECEIPT, "--top", "5", "-F", "csv").stdout)))
    expected = Counter(tuple(seq) for seq in _traces()).most_common(5)
    assert [int(r["cases"]) for r in rows] == [count for _, count in expected]
    assert rows[0]["activities"] == " → ".join(expected[0][0])


def test_map_and_report_files_are_written(tmp_path: Path) -> None:
    svg = tmp_path / "map.svg"
    run("mine", "map", RECEIPT, "-o", svg, "--view", "performance", "--max-edges", "30")
    root = etree.parse(str(svg)).getroot()
    assert root.tag.endswith("svg")
    assert len(root.findall(".//{http://www.w3.org/2000/svg}g[@class='edge']")) >= 30
    report = tmp_path / "report.html"
    result = run("analyze", RECEIPT, "-o", report, "--lang", "zh")
    assert "wrote" in result.stderr
    assert "流程分析报告" in report.read_text(encoding="utf-8")


def test_a_missing_log_is_a_clear_error() -> None:
    result = run("mine", "dfg", "no-such-log.xes", "--format", "json", expect=2)
    error = json.loads(result.stderr)
    assert error["error"] == "invalid_log" and "no such file" in error["message"]


def _resource_runs() -> list[list[str]]:
    """Per case, the resources of consecutive events with repeats collapsed (who held the case, in turn)."""
    out = []
    for trace in read_xes(RECEIPT):
        ordered = [e for _, e in sorted(enumerate(trace.events), key=lambda p: (p[1].timestamp, p[0]))]
        runs: list[str] = []
        for event in ordered:
            if event.resource is not None and (not runs or runs[-1] != event.resource):
                runs.append(event.resource)
        out.append(runs)
    return out


def test_handover_json_counts_ping_pong_between_resources_by_brute_force() -> None:
    data = json.loads(run("mine", "handover", RECEIPT, "--by", "resource", "--top", "1000", "-F", "json").stdout)
    runs = _resource_runs()
    bounced = [r for r in runs if any(r[i] == r[i - 2] for i in range(2, len(r)))]
    occurrences = sum(1 for r in runs for i in range(2, len(r)) if r[i] == r[i - 2])
    assert data["cases_with_ping_pong"] == len(bounced)
    assert data["occurrences"] == occurrences
    moves = Counter((r[i - 1], r[i]) for r in runs for i in range(1, len(r)))
    assert {(h["source"], h["target"]): h["count"] for h in data["handovers"]} == dict(moves)


def test_bottlenecks_and_rework_print_for_scripts() -> None:
    data = json.loads(run("mine", "bottlenecks", RECEIPT, "-F", "json").stdout)
    assert data["activities"] and abs(sum(a["share"] for a in data["activities"]) - 1.0) < 0.05
    rework = json.loads(run("mine", "rework", RECEIPT, "-F", "json").stdout)
    repeated = sum(1 for seq in _traces() if len(set(seq)) < len(seq))
    assert rework["cases_with_repeat"] == repeated


def test_kpi_cycle_time_over_the_whole_log_is_the_mean_case_duration() -> None:
    rows = json.loads(run("kpi", RECEIPT, "--period", "all", "-F", "json").stdout)
    cycle = [r for r in rows if r["kpi"] == "cycle_time"]
    assert len(cycle) == 1
    spans = []
    for trace in read_xes(RECEIPT):
        times = [e.timestamp for e in trace.events]
        spans.append((max(times) - min(times)).total_seconds() / 86400)
    assert cycle[0]["n"] == len(spans) == 1434
    assert abs(cycle[0]["value"] - sum(spans) / len(spans)) < 1e-6


def test_kpi_groups_by_xes_names_and_refuses_unknown_columns() -> None:
    rows = list(csv.DictReader(io.StringIO(run("kpi", RECEIPT, "--by", "org:resource", "--period", "all",
                                               "-F", "csv").stdout)))
    resources = {r["org:resource"] for r in rows if r["kpi"] == "handoffs_per_case"}
    assert len(resources) > 1
    result = run("kpi", RECEIPT, "--by", "no_such_column", "-F", "json", expect=2)
    assert "no_such_column" in result.stderr


def test_a_discovered_model_fits_its_log_and_deploys(tmp_path: Path) -> None:
    model = tmp_path / "receipt.bpmn"
    run("mine", "discover", RECEIPT, "-o", model, "--exact", "--key", "receipt")
    data = json.loads(run("mine", "conformance", RECEIPT, "--model", model, "-F", "json").stdout)
    # The inductive miner on the distinct traces guarantees that every case fits.
    assert data["cases"] == 1434 and data["log_fitness"] == 1.0 and data["fitting_cases"] == 1.0
    assert data["deviating_case_count"] == 0
    db = f"sqlite:///{tmp_path / 'x.db'}"
    run("--db", db, "init")
    deployed = json.loads(run("--db", db, "process", "deploy", model, "--format", "json").stdout)
    assert "receipt" in json.dumps(deployed)


def test_conformance_against_an_unrelated_model_finds_the_deviations(tmp_path: Path) -> None:
    library = Path(__file__).resolve().parents[2] / "src" / "liucheng" / "library" / "inquiry.bpmn"
    data = json.loads(run("mine", "conformance", RECEIPT, "--model", library, "-F", "json").stdout)
    assert data["log_fitness"] < 0.5 and data["deviating_case_count"] == 1434


def test_compare_two_periods_against_durations_and_shares_counted_by_hand() -> None:
    # First half of 2011 against the second, whole UTC days; counted here from our XES reader.
    data = json.loads(run("mine", "compare", RECEIPT, "--a", "2011-01-01..2011-06-30", "--b",
                          "2011-07-01..2011-12-31", "--top", "100", "-F", "json").stdout)
    sides: dict[str, list[tuple[float, set[str]]]] = {"a": [], "b": []}
    for trace in read_xes(RECEIPT):
        start, end = min(e.timestamp for e in trace.events), max(e.timestamp for e in trace.events)
        side = "a" if start.year == 2011 and start.month <= 6 else "b" if start.year == 2011 else None
        if side:
            sides[side].append(((end - start).total_seconds(), {e.activity for e in trace.events}))
    durations = {side: sorted(d for d, _ in cases) for side, cases in sides.items()}
    duration = data["duration"]
    assert (duration["cases_a"], duration["cases_b"]) == (len(durations["a"]), len(durations["b"])) == (627, 530)
    for side in "ab":
        values = durations[side]
        middle = (values[(len(values) - 1) // 2] + values[len(values) // 2]) / 2
        assert abs(duration[f"median_{side}_s"] - middle) < 1e-3
    shares = {row["activity"]: (row["share_a"], row["share_b"]) for row in data["activities"]}
    for activity, (share_a, share_b) in shares.items():
        assert abs(share_a - sum(activity in acts for _, acts in sides["a"]) / len(sides["a"])) < 1e-12
        assert abs(share_b - sum(activity in acts for _, acts in sides["b"]) / len(sides["b"])) < 1e-12
    table = run("mine", "compare", RECEIPT, "--a", "2011-01-01..2011-06-30", "--b", "2011-07-01..2011-12-31").stdout
    assert "Cliff's delta" in table and "share of cases with each activity" in table


def test_compare_by_a_column_and_bad_periods_fail_before_reading() -> None:
    rows = list(csv.DictReader(io.StringIO(run("mine", "compare", RECEIPT, "--by", "org:group", "--a", "EMPTY",
                                               "--b", "Group 1", "-F", "csv").stdout)))
    assert rows[0]["kind"] == "case duration_s" and {r["kind"] for r in rows[1:]} <= {"activity share",
                                                                                       "waiting median_s"}
    # A case's side is the group on its first event (time order, file order on ties).
    firsts = Counter(min(enumerate(t.events), key=lambda p: (p[1].timestamp, p[0]))[1].group for t in read_xes(RECEIPT))
    data = json.loads(run("mine", "compare", RECEIPT, "--by", "org:group", "--a", "EMPTY", "--b", "Group 1",
                          "-F", "json").stdout)
    assert (data["duration"]["cases_a"], data["duration"]["cases_b"]) == (firsts["EMPTY"], firsts["Group 1"])
    failed = run("mine", "compare", DATA / "no-such.xes", "--a", "2011-06-30..2011-01-01",
                 "--b", "2011-07-01..2011-12-31", expect=2)
    assert "ends before it starts" in failed.stderr
    failed = run("mine", "compare", RECEIPT, "--a", "2011-01-01..2011-06-30", "--b", "2011-06-01..2011-12-31",
                 expect=2)
    assert "overlap" in failed.stderr


def test_compare_warns_when_a_period_runs_past_the_end_of_the_log() -> None:
    last = max(e.timestamp for t in read_xes(RECEIPT) for e in t.events)
    inside = json.loads(run("mine", "compare", RECEIPT, "--a", "2011-01-01..2011-03-31", "--b",
                            "2011-04-01..2011-06-30", "-F", "json").stdout)
    assert inside["warnings"] == []
    result = run("mine", "compare", RECEIPT, "--a", "2011-01-01..2011-03-31", "--b", "2011-04-01..2013-12-31",
                 "-F", "json")
    assert json.loads(result.stdout)["warnings"] == [
        f"period b ends after the log's last event ({last.isoformat()}): its cases may not have finished, "
        "so their durations and waits are cut short"]
    assert "warning: period b ends after the log's last event" in result.stderr
