"""The HTML report: every section, numbers that match the analyses, nothing fetched from outside."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import html

from liucheng.eventlog.table import read_xes_table
from liucheng.mining.report import build_report

HELPDESK = Path(__file__).resolve().parents[3] / "shared" / "data" / "helpdesk" / "helpdesk.xes.gz"


@pytest.fixture(scope="module")
def helpdesk():
    return read_xes_table(str(HELPDESK))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_is_self_contained_and_counts_the_log(helpdesk, lang) -> None:
    seen: list[str] = []
    page = build_report(helpdesk, lang=lang, progress=seen.append)
    doc = html.fromstring(page)
    ids = [s.get("id") for s in doc.iter("section")]
    assert ids == ["overview", "map-frequency", "map-performance", "variants", "durations", "volume", "bottlenecks",
                   "rework", "ping-pong", "kpis"]
    assert len(seen) == len(ids)
    # Nothing to fetch: no scripts, no external images, styles or links.
    assert not doc.xpath("//script") and not doc.xpath("//link") and not doc.xpath("//img")
    assert not [a for a in doc.xpath("//@href | //@src") if not a.startswith("#")]
    figures = [b.text for b in doc.xpath("//section[@id='overview']//b")]
    # Counted independently from the raw table: 21,348 events, 4,580 cases, 14 activities.
    table = helpdesk.table
    assert figures[:3] == [f"{table.num_rows:,}", f"{len(set(table['case_id'].to_pylist())):,}",
                           f"{len(set(table['activity'].cast('string').to_pylist())):,}"]
    assert figures[:3] == ["21,348", "4,580", "14"]
    assert doc.xpath("//html/@lang") == (["zh-CN"] if lang == "zh" else ["en"])
    maps = doc.xpath("//section[@id='map-frequency']//*[local-name()='svg']")
    assert len(maps) == 1


def test_unknown_language_is_refused(helpdesk) -> None:
    with pytest.raises(ValueError, match="lang must be"):
        build_report(helpdesk, lang="fr")  # type: ignore[arg-type]
