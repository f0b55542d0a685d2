"""The coverage chart: well-formed SVG, one red band per under-staffed interval, escaped text, zh/en."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from liucheng.core.errors import ValidationError
from liucheng.workforce.coverage_chart import render_coverage_svg
from liucheng.workforce.schedule import schedule_shifts
from liucheng.workforce.shifts import ShiftType

NS = "{http://www.w3.org/2000/svg}"


def test_week_chart_marks_exactly_the_understaffed_intervals() -> None:
    req = np.zeros(7 * 48, dtype=int)
    for d in range(7):
        req[d * 48 + 18 : d * 48 + 36] = 4
    result = schedule_shifts(req, [ShiftType(name="d", start="09:00", length_min=540)], interval_min=30, max_agents=3)
    svg = render_coverage_svg(result.requirement, result.coverage, interval_min=30, title="Week <9> & co")
    root = ET.fromstring(svg)
    bands = [r for r in root.iter(f"{NS}rect") if r.get("class") == "under"]
    assert len(bands) == int(np.count_nonzero(result.under)) == 7 * 18
    assert bands[0].find(f"{NS}title").text == "Mon 09:00: short 1"
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "Week <9> & co" in texts and {"Mon", "Sun", "requirement", "under-staffed"} <= set(texts)


def test_day_chart_in_chinese_has_hour_axis_and_no_red_when_covered() -> None:
    req = [1] * 24
    svg = render_coverage_svg(req, [2] * 24, interval_min=60, lang="zh")
    root = ET.fromstring(svg)
    texts = {t.text for t in root.iter(f"{NS}text")}
    assert {"需求人数", "排班人数", "人手不足", "00:00", "12:00", "24:00"} <= texts
    assert not [r for r in root.iter(f"{NS}rect") if r.get("class") == "under"]


def test_chart_rejects_mismatched_series() -> None:
    with pytest.raises(ValidationError, match="equal-length"):
        render_coverage_svg([1] * 24, [1] * 23, interval_min=60)
