"""The built-in KPI set asks only for what the log carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from liucheng.eventlog.table import from_arrow
from liucheng.kpi import evaluate
from liucheng.kpi.builtin import builtin_kpis

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _table(event_types: list[str] | None):
    n = len(event_types) if event_types is not None else 4
    columns = {
        "case_id": ["C1"] * n,
        "activity": [f"step {i}" for i in range(n)],
        "timestamp": pa.array([T0 + timedelta(hours=i) for i in range(n)], pa.timestamp("us", tz="UTC")),
        "resource": ["ann"] * n,
    }
    if event_types is not None:
        columns["event_type"] = event_types
    return from_arrow(pa.table(columns))


def names(table) -> list[str]:
    return [k.name for k in builtin_kpis(table)]


def test_another_systems_log_gets_the_kpis_every_log_supports() -> None:
    table = _table(None)
    assert names(table) == ["cycle_time", "throughput", "backlog", "rework_rate", "handoffs_per_case",
                            "ping_pong_rate"]
    assert evaluate(table, builtin_kpis(table), by=[], period="all").values


def test_our_export_without_internal_events_has_no_sla_kpi_but_reopen_and_escalation() -> None:
    table = _table(["case.opened", "task.completed", "escalation.raised", "case.completed"])
    assert names(table)[-2:] == ["reopen_rate", "escalation_rate"]
    assert "resolution_sla" not in names(table)
    report = evaluate(table, builtin_kpis(table), by=[], period="all")
    assert {v.kpi for v in report.values} == set(names(table))


def test_with_sla_outcomes_the_resolution_sla_is_measured() -> None:
    assert "resolution_sla" in names(_table(["case.opened", "sla.met", "case.completed"]))
