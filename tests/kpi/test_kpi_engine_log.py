"""The catalogue on our own engine's events: a simulated history exported with its internal events."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from liucheng.eventlog.table import from_arrow
from liucheng.kpi import KpiDataError, evaluate, load_kpis, scorecard
from liucheng.services.export import export_events
from liucheng.services.platform import Platform
from liucheng.sim import run_demo
from liucheng.store import open_store

from . import brute
from .helpers import compare_many, kpi

CASES = 150


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("kpi_demo")
    url = f"sqlite:///{folder / 'demo.db'}"
    summary = run_demo(url, cases=CASES, seed=3, export_to=folder / "demo.xes.gz")
    store = open_store(url)
    try:
        platform = Platform(store)
        export_events(platform, folder / "all.parquet", format="parquet", include_internal=True)
        export_events(platform, folder / "business.parquet", format="parquet")
    finally:
        store.close()
    everything = from_arrow(pq.read_table(folder / "all.parquet"))
    business = from_arrow(pq.read_table(folder / "business.parquet"))
    return summary, everything, business


def test_sla_attainment_is_what_the_engine_recorded(history):
    summary, events, _ = history
    report = evaluate(events, [kpi("sla_attainment", "first_response", clock="first_response"),
                               kpi("sla_attainment", "resolution", clock="resolution")], period="all")
    for value in report.values:
        # The simulation counts each clock's last stop; a clock that breached after it (a reopened
        # case still open) is missed now.
        met, missed = summary.sla_counts[value.kpi]["met"], summary.sla_counts[value.kpi]["missed"]
        for stops in _stops_before_a_last_breach(events, value.kpi):
            if stops and stops[-1] == "met":
                met, missed = met - 1, missed + 1
            elif not stops:
                missed += 1
        assert value.n == met + missed
        assert value.value == pytest.approx(met / value.n)


def _stops_before_a_last_breach(events, clock: str) -> list[list[str]]:
    """For each clock whose last outcome event is ``sla.breached``: the statuses of its earlier stops."""
    found = []
    for case_events in brute.load(events).values():
        outcomes = [e for e in case_events if e["clock"] == clock and e["event_type"] in ("sla.met", "sla.breached")]
        if outcomes and outcomes[-1]["event_type"] == "sla.breached":
            found.append([e["status"] for e in outcomes if e["event_type"] == "sla.met"])
    return found


SPECS = {
    "cycle_time": ("cycle_time", {}),
    "waiting_time": ("waiting_time", {}),
    "processing_time": ("processing_time", {"statistic": "p90"}),
    "throughput": ("throughput", {}),
    "backlog": ("backlog", {}),
    "first_response": ("sla_attainment", {"clock": "first_response"}),
    "resolution": ("sla_attainment", {}),
    "step_sla": ("sla_attainment", {"clock": "step"}),
    "fcr": ("first_contact_resolution", {}),
    "one_step": ("first_contact_resolution", {"single": "step"}),
    "reopen_rate": ("reopen_rate", {}),
    "rework_rate": ("rework_rate", {}),
    "handoffs": ("handoffs_per_case", {"level": "group"}),
    "ping_pong": ("ping_pong_rate", {}),
    "escalation_rate": ("escalation_rate", {}),
    "cost": ("cost_per_case", {"per_hour": 120.0}),
}


def test_every_measure_matches_the_brute_force(history):
    _, events, _ = history
    got = compare_many(events, SPECS, period="week", by=("department",), tz="Asia/Shanghai")
    assert got["reopen_rate"] and got["step_sla"] and got["escalation_rate"]


def test_case_attributes_group_by_category_and_priority(history):
    _, events, _ = history
    specs = {k: SPECS[k] for k in ("cycle_time", "backlog", "first_response", "resolution", "escalation_rate")}
    got = compare_many(events, specs, period="day", by=("category", "priority"), tz="Asia/Shanghai")
    assert {key[1][1] for key in got["resolution"]} <= {"P1", "P2", "P3", "P4"}


def test_the_business_export_has_no_clocks_to_read(history):
    _, _, business = history
    with pytest.raises(KpiDataError, match="include_internal"):
        evaluate(business, [kpi("sla_attainment")], period="all")
    # ...but closing, reopening and steps still come from its event_type attribute.
    _, events, _ = history
    kpis = [kpi(SPECS[k][0], k, **SPECS[k][1])
            for k in ("cycle_time", "throughput", "reopen_rate", "rework_rate", "processing_time")]
    full = evaluate(events, kpis, period="all").values
    assert [(v.kpi, v.value, v.n) for v in evaluate(business, kpis, period="all").values] == [
        (v.kpi, pytest.approx(v.value), v.n) for v in full]


def test_the_documented_kpis_run_on_our_history(history, tmp_path):
    _, events, _ = history
    doc = Path(__file__).resolve().parents[2] / "docs" / "kpi.md"
    block = re.findall(r"```toml\n(.*?)```", doc.read_text(encoding="utf-8"), flags=re.S)[0]
    (tmp_path / "kpis.toml").write_text(block, encoding="utf-8")
    report = evaluate(events, load_kpis(tmp_path / "kpis.toml"), period="week", tz="Asia/Shanghai")
    names = {v.kpi for v in report.values}
    assert names == {"first_response_sla", "resolution_time", "first_contact_resolution", "reopen_rate",
                     "handoffs", "cost_per_case"}
    # process = ["inquiry"]: only inquiries count, closed ones as the brute force counts them.
    closed = brute.Log(events).closed()
    inquiries = sum(1 for _, _, _, _, row in closed if row["case:process_key"] == "inquiry")
    assert sum(v.n for v in report.values_of("first_contact_resolution")) == inquiries > 0
    categories = {v.dims["category"] for v in report.values_of("first_response_sla")}
    assert {"complaint", "inquiry"} <= categories
    assert all(v.status in ("ok", "warning", "critical") for v in report.values_of("first_response_sla"))


def test_person_scorecard_counts_step_clocks_of_the_steps_each_held(history):
    _, events, _ = history
    card = scorecard(events, level="person")
    expected = brute.aggregate(brute.sla_attainment(brute.Log(events), clock="step"), period="all",
                               columns=["resource"])
    got = {row.holder: line.value for row in card.rows for line in row.lines if line.kpi == "step_sla"}
    assert {holder: value for (_, (holder,)), (value, _) in expected.items()} == pytest.approx(
        {holder: value / 100 for holder, value in got.items() if value is not None})
    assert [row.rank for row in card.rows] == list(range(1, len(card.rows) + 1))
