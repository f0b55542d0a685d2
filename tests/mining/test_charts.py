"""SVG charts: well-formed, proportional, escaped."""

from __future__ import annotations

import math

import pytest
from lxml import etree

from liucheng.mining.charts import bar_chart, histogram, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> etree._Element:
    return etree.fromstring(svg.encode())


def test_bars_are_proportional_to_their_values_and_labels_escaped() -> None:
    items = [("登记 <A&B>", 40.0), ("处理", 10.0), ("zero", 0.0)]
    root = _parse(bar_chart(items, title="Top", fmt=lambda v: f"{v:.0f} h"))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")][1:]  # the first is the background
    assert widths[0] / widths[1] == pytest.approx(4.0)
    assert widths[2] == 0
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "登记 <A&B>" in texts and "40 h" in texts and "Top" in texts


def test_histogram_has_a_column_per_bin_scaled_to_the_tallest() -> None:
    bins = [(0.0, 1.0, 5), (1.0, 2.0, 10), (2.0, 3.0, 0)]
    root = _parse(histogram(bins, height=240))
    columns = [r for r in root.iter(f"{SVG}rect")][1:]
    heights = [float(r.get("height")) for r in columns]
    assert len(columns) == 3 and heights[1] == pytest.approx(2 * heights[0]) and heights[2] == 0


def test_lines_share_x_labels_and_break_at_missing_points() -> None:
    series = {"SLA": [("2026-01", 0.9), ("2026-02", math.nan), ("2026-03", 0.7), ("2026-04", 0.8)]}
    root = _parse(line_chart(series, target=0.85, title="达成率"))
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    polylines = list(root.iter(f"{SVG}polyline"))
    assert len(polylines) == 1 and len(polylines[0].get("points").split()) == 2  # the gap splits the line
    assert any(line.get("stroke-dasharray") for line in root.iter(f"{SVG}line"))
    with pytest.raises(ValueError, match="other x labels"):
        line_chart({"a": [("x", 1.0)], "b": [("y", 1.0)]})
