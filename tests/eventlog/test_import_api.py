"""The public face of the importer: its exported names and the report's two renderings."""

from __future__ import annotations

import json
from pathlib import Path

import liucheng.eventlog.importing as importing
from liucheng.eventlog.importing import ImportReport, Skipped, detect_format

FIXTURES = Path(__file__).parent / "fixtures"


def test_exported_names() -> None:
    assert sorted(importing.__all__) == sorted([
        "FORMATS", "PROFILES", "ExportProfile", "ImportReport", "ImportResult", "Skipped", "detect_format",
        "import_log", "load_log", "sniff",
    ])
    assert all(hasattr(importing, name) for name in importing.__all__)
    assert importing.FORMATS == ("xes", "csv", "ocel", "parquet", "mirror")


def test_report_renders_as_text_and_json() -> None:
    report = ImportReport(source="x.csv", format="csv", events_read=30, events_kept=5, cases=2,
                          skipped=[Skipped(reason=f"bad {i}", line=i + 2, row=i + 1, field="timestamp")
                                   for i in range(25)])
    text = report.render_text()
    assert text.splitlines()[0] == "x.csv (csv): 5 of 30 events kept, 2 cases"
    assert "line 2 row 1 [timestamp]: bad 0" in text
    assert "... and 5 more (see --format json)" in text
    data = json.loads(report.to_json())
    assert data["skipped_count"] == 25 and data["skipped"][24]["line"] == 26


def test_format_detection_by_name_and_by_content(tmp_path: Path) -> None:
    assert detect_format(FIXTURES / "import_edge_cases.xes") == "xes"
    assert detect_format(FIXTURES / "service_desk.jsonocel") == "ocel"
    assert detect_format(FIXTURES / "zendesk_updates.csv") == "csv"
    unnamed = tmp_path / "export"
    unnamed.write_bytes((FIXTURES / "import_edge_cases.xes").read_bytes())
    assert detect_format(unnamed) == "xes"
    unnamed.write_bytes(b'{"objectTypes": []}')
    assert detect_format(unnamed) == "ocel"
    unnamed.write_bytes(b"a,b\n1,2\n")
    assert detect_format(unnamed) == "csv"
