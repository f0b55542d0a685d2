"""Status against thresholds, trends between periods, and the report's JSON and Arrow forms."""

from __future__ import annotations

import json

import msgspec
import pytest

import liucheng.kpi as kpi_package
from liucheng.kpi import (
    KpiDefinition,
    KpiDefinitionError,
    KpiReport,
    Title,
    evaluate,
    meets_target,
    status_of,
    trend_of,
)

from .helpers import table
from .test_kpi_catalogue import CLOSE, ROWS

LOWER = "lower_is_better"
HIGHER = "higher_is_better"


@pytest.mark.parametrize(("value", "direction", "expected"), [
    (10.0, LOWER, "ok"), (24.0, LOWER, "warning"), (47.9, LOWER, "warning"), (48.0, LOWER, "critical"),
    (96.0, HIGHER, "ok"), (90.0, HIGHER, "warning"), (80.1, HIGHER, "warning"), (80.0, HIGHER, "critical"),
])
def test_reaching_a_threshold_counts(value, direction, expected):
    warning, critical = (24.0, 48.0) if direction == LOWER else (90.0, 80.0)
    assert status_of(value, direction=direction, warning=warning, critical=critical) == expected


def test_status_needs_a_value_and_thresholds():
    assert status_of(None, direction=LOWER, warning=1.0, critical=2.0) is None
    assert status_of(5.0, direction=LOWER, warning=None, critical=None) is None
    assert status_of(5.0, direction=LOWER, warning=None, critical=4.0) == "critical"
    assert meets_target(5.0, direction=LOWER, target=5.0) is True
    assert meets_target(5.0, direction=HIGHER, target=5.1) is False
    assert meets_target(5.0, direction=HIGHER, target=None) is None


@pytest.mark.parametrize(("value", "previous", "direction", "expected"), [
    (90.0, 100.0, LOWER, "improving"),
    (90.0, 100.0, HIGHER, "worsening"),
    (110.0, 100.0, HIGHER, "improving"),
    (100.5, 100.0, HIGHER, "flat"),
    (0.0, 0.0, LOWER, "flat"),
    (1.0, 0.0, LOWER, "worsening"),
    (1.0, None, LOWER, None),
])
def test_trend_reads_the_direction(value, previous, direction, expected):
    assert trend_of(value, previous, direction=direction, tolerance=0.01) == expected


@pytest.fixture(scope="module")
def report():
    definitions = [
        KpiDefinition(name="closed", title=Title(zh="结单量", en="Closed"), kind="result", measure="throughput",
                      direction=HIGHER, target=2, warning=1, critical=0),
        KpiDefinition(name="cycle", title=Title(zh="周期", en="Cycle"), kind="efficiency", measure="cycle_time",
                      unit="d", direction=LOWER),
    ]
    return evaluate(table(ROWS), definitions, period="month", log=CLOSE)


def test_trend_compares_with_the_previous_calendar_period(report):
    closed = report.values_of("closed")
    assert [(v.period, v.value, v.status, v.meets_target) for v in closed] == [
        ("2024-01-01", 2.0, "ok", True), ("2024-02-01", 1.0, "warning", False)]
    assert (closed[1].previous, closed[1].change, closed[1].trend) == (2.0, -1.0, "worsening")
    cycle = report.values_of("cycle")
    assert cycle[1].value == pytest.approx(19.0) and cycle[1].trend == "worsening"


def test_the_report_is_json_and_arrow(report):
    assert msgspec.json.decode(report.to_json(), type=KpiReport) == report
    data = json.loads(report.to_json())
    assert data["period"] == "month" and data["kpis"][0]["title_zh"] == "结单量"
    rows = report.to_dicts()
    assert json.loads(json.dumps(rows)) == rows
    assert report.to_arrow().num_rows == len(report.values) == 4


def test_bad_period_or_zone_is_named():
    with pytest.raises(KpiDefinitionError, match="period"):
        evaluate(table(ROWS), [], period="fortnight")
    with pytest.raises(KpiDefinitionError, match="time zone"):
        evaluate(table(ROWS), [], tz="Mars/Olympus")


def test_public_api():
    assert set(kpi_package.__all__) == {
        "MEASURES", "KpiDataError", "KpiDefinition", "KpiDefinitionError", "KpiInfo", "KpiReport", "KpiSet",
        "KpiValue", "LogOptions", "Measure", "ScoreLine", "ScoreRow", "Scorecard", "Title", "check_definition",
        "default_scorecard_kpis", "evaluate", "load_kpis", "meets_target", "parse_kpis", "scorecard", "status_of",
        "trend_of"}
    assert all(hasattr(kpi_package, name) for name in kpi_package.__all__)


def test_a_dimension_named_like_a_field_keeps_both():
    events = table([(case, "Work", "2024-01-01T09:00", "complete", "ann", "G1", state)
                    for case, state in (("A", "closed"), ("B", "open"))],
                   ("case_id", "activity", "timestamp", "lifecycle", "resource", "group", "case:status"))
    definition = KpiDefinition(name="closed", title=Title(zh="结单量", en="Closed"), kind="result",
                               measure="throughput", direction=HIGHER, target=1, warning=0)
    report = evaluate(events, [definition], by=["status"], period="all")
    assert sorted((r["by_status"], r["status"]) for r in report.to_dicts()) == [("closed", "ok"), ("open", "ok")]
    assert "by_status" in report.to_arrow().column_names
