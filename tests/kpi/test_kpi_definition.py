"""KPI definitions from TOML: what loads, and how each mistake is reported."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from liucheng.kpi import KpiDefinitionError, LogOptions, check_definition, evaluate, load_kpis, parse_kpis

from .helpers import kpi, table
from .test_kpi_catalogue import ROWS

DOC = Path(__file__).resolve().parents[2] / "docs" / "kpi.md"

GOOD = """
[log]
end_activities = ["Close"]

[[kpi]]
name = "resolution_time"
title = { zh = "解决时长", en = "Resolution time" }
kind = "efficiency"
measure = "cycle_time"
params = { statistic = "median" }
unit = "h"
direction = "lower_is_better"
target = 24
warning = 36
critical = 48
by = ["department"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kpis.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_loads_and_evaluates(tmp_path):
    kpis = load_kpis(write(tmp_path, GOOD))
    assert kpis.log == LogOptions(end_activities=["Close"])
    (definition,) = kpis.kpi
    assert (definition.title.zh, definition.unit, definition.scale) == ("解决时长", "h", 1 / 3600)
    report = evaluate(table(ROWS), kpis, period="all")
    # G1 closed A (3 h) and B (10 min); G3 closed C after 19 days.
    medians = {v.dims["department"]: v.value for v in report.values}
    assert medians == pytest.approx({"G1": (3 + 1 / 6) / 2, "G3": 19 * 24.0})
    assert {v.dims["department"]: v.status for v in report.values} == {"G1": "ok", "G3": "critical"}


def test_the_example_in_the_documentation_loads(tmp_path):
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 2
    ours, theirs = (load_kpis(write(tmp_path, block)) for block in blocks)
    assert len(ours.kpi) == 6 and theirs.log.end_activities == ["Closed"]


@pytest.mark.parametrize(("change", "field", "words"), [
    (("cycle_time", "cycle_tme"), "measure", "unknown measure 'cycle_tme'"),
    (('statistic = "median"', 'statistc = "median"'), "params", "statistc"),
    (('statistic = "median"', 'statistic = "p99"'), "params", "p99"),
    (('unit = "h"', 'unit = "%"'), "unit", "does not fit a duration"),
    (("critical = 48", "critical = 30"), "critical", "better than warning"),
    (('name = "resolution_time"', 'name = "Resolution Time"'), "name", "lower-case"),
])
def test_mistakes_name_the_kpi_and_field(tmp_path, change, field, words):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(KpiDefinitionError) as caught:
        load_kpis(path)
    error = caught.value
    assert error.file == str(path) and error.field == field
    assert words in str(error)
    assert error.to_dict()["kpi"] == error.kpi


def test_unknown_keys_and_types_are_refused(tmp_path):
    with pytest.raises(KpiDefinitionError, match="formula") as caught:
        load_kpis(write(tmp_path, GOOD.replace('measure = "cycle_time"', 'measure = "cycle_time"\nformula = "a/b"')))
    assert caught.value.kpi == "resolution_time"
    with pytest.raises(KpiDefinitionError, match="direction"):
        load_kpis(write(tmp_path, GOOD.replace('"lower_is_better"', '"down"')))


def test_a_name_twice_broken_toml_and_a_missing_file(tmp_path):
    twice = GOOD + GOOD.split("[log]\nend_activities = [\"Close\"]\n")[1]
    with pytest.raises(KpiDefinitionError, match="defined twice"):
        load_kpis(write(tmp_path, twice))
    with pytest.raises(KpiDefinitionError, match="not valid TOML") as caught:
        load_kpis(write(tmp_path, "[[kpi]\nname = 1"))
    assert caught.value.file.endswith("kpis.toml")
    with pytest.raises(KpiDefinitionError, match="cannot read"):
        load_kpis(tmp_path / "missing.toml")


def test_definitions_built_in_python_are_checked_too():
    with pytest.raises(KpiDefinitionError, match="unknown measure"):
        check_definition(kpi("nothing"))
    with pytest.raises(KpiDefinitionError, match="level"):
        parse_kpis({"kpi": [{"name": "h", "title": {"zh": "转", "en": "h"}, "kind": "efficiency",
                             "measure": "handoffs_per_case", "direction": "lower_is_better",
                             "params": {"level": "floor"}}]})
