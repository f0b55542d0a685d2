"""CSV import: sniffed exports, mappings, encodings and time zones, checked against a plain Python reading."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from liucheng.core.errors import ValidationError
from liucheng.eventlog import LogFormatError
from liucheng.eventlog.importing import import_log, sniff

FIXTURES = Path(__file__).parent / "fixtures"
HOTLINE_MAPPING = {"case_id": "工单编号", "activity": "状态", "timestamp": "更新时间", "resource": "处理人",
                   "group": "班组"}


def _expected(path: Path, mapping: dict[str, str], fmt: str | None, zone: str, *, encoding: str = "utf-8",
              nulls: tuple[str, ...] = ("",)) -> list[tuple[object, ...]]:
    """The core columns as the csv module and datetime read them: the independent answer."""
    with open(path, encoding=encoding, newline="") as text:
        rows = list(csv.DictReader(text))
    out = []
    for row in rows:
        raw = row[mapping["timestamp"]]
        when = datetime.fromisoformat(raw) if fmt is None else datetime.strptime(raw, fmt)
        if when.tzinfo is None:
            when = when.replace(tzinfo=ZoneInfo(zone))

        def cell(key: str, row: dict[str, str] = row) -> str | None:
            value = row.get(mapping.get(key, ""), "")
            return None if value in nulls else value

        out.append((row[mapping["case_id"]], row[mapping["activity"]], when.astimezone(UTC), cell("resource"),
                    cell("group")))
    return out


def _got(result: object) -> list[tuple[object, ...]]:
    table = result.table.table  # type: ignore[attr-defined]
    names = ("case_id", "activity", "timestamp", "resource", "group")
    return list(zip(*(table[n].to_pylist() for n in names), strict=True))


def test_servicenow_export_is_recognised_and_read_like_the_csv_module() -> None:
    path = FIXTURES / "servicenow_incidents.csv"
    result = import_log(path, timezone="Europe/Lisbon")
    report = result.report
    assert report.sniffed == "servicenow"
    assert report.mapping == {"case_id": "number", "activity": "incident_state", "timestamp": "sys_updated_at",
                              "resource": "sys_updated_by", "group": "assignment_group"}
    assert any("%d/%m/%Y %H:%M" in note for note in report.notes)
    assert _got(result) == _expected(path, report.mapping, "%d/%m/%Y %H:%M", "Europe/Lisbon", nulls=("", "?"))
    # '?' is ServiceNow's empty value: group is absent, not the text '?'
    assert result.table.table["group"].null_count == 1
    assert report.cases == 3 and report.events_kept == 16


def test_zendesk_export_keeps_offsets_and_quoted_commas() -> None:
    path = FIXTURES / "zendesk_updates.csv"
    result = import_log(path)
    assert result.report.sniffed == "zendesk"
    assert _got(result) == _expected(path, result.report.mapping, None, "UTC")
    subjects = result.table.table["Ticket subject"].to_pylist()
    assert 'Cannot log in, "account locked" after reset' in subjects


def test_jira_export_needs_a_zone_and_a_user_mapping_overrides_the_sniffed_one() -> None:
    path = FIXTURES / "jira_status_history.csv"
    with pytest.raises(LogFormatError, match="no time zone") as caught:
        import_log(path)
    assert (caught.value.field, caught.value.line, caught.value.row) == ("timestamp", 2, 1)
    result = import_log(path, timezone="Asia/Shanghai", mapping={"resource": "Assignee"})
    assert result.report.sniffed == "jira"
    assert result.report.mapping["resource"] == "Assignee"
    assert _got(result) == _expected(path, result.report.mapping, "%Y-%m-%d %H:%M", "Asia/Shanghai")
    assert "Author" in result.table.table.column_names  # unmapped columns stay as attributes


@pytest.mark.parametrize("encoding", [None, "gb18030", "gbk"])
def test_chinese_export_in_gb18030(encoding: str | None) -> None:
    path = FIXTURES / "hotline_gb18030.csv"
    result = import_log(path, mapping=HOTLINE_MAPPING, timezone="Asia/Shanghai", encoding=encoding)
    assert _got(result) == _expected(path, HOTLINE_MAPPING, None, "Asia/Shanghai", encoding="gb18030")
    assert result.table.table["来电类型"].to_pylist()[0] == "咨询"
    assert (encoding is None) == any("GB18030" in note for note in result.report.notes)


def test_utf8_with_bom_and_gzip(tmp_path: Path) -> None:
    text = (FIXTURES / "hotline_gb18030.csv").read_bytes().decode("gb18030")
    path = tmp_path / "hotline.csv.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8-sig")))
    result = import_log(path, mapping=HOTLINE_MAPPING, timezone="Asia/Shanghai")
    assert result.report.events_kept == 10
    assert result.table.table["case_id"][0].as_py() == "GD-0001"


def test_wrong_encoding_names_the_byte_and_line(tmp_path: Path) -> None:
    path = FIXTURES / "hotline_gb18030.csv"
    with pytest.raises(LogFormatError, match="not utf-8 text: byte 0") as caught:
        import_log(path, mapping=HOTLINE_MAPPING, encoding="utf-8")
    assert caught.value.line == 1 and "gb18030" in (caught.value.hint or "")
    latin = tmp_path / "latin.csv"
    raw = "case_id,activity,timestamp\nc1,Caf\u00e9 ouvert,2024-01-01T00:00:00Z\n".encode("latin-1")
    latin.write_bytes(raw)
    offset = raw.index("é".encode("latin-1"))
    with pytest.raises(LogFormatError, match=f"byte {offset} ") as caught:
        import_log(latin)
    assert caught.value.line == 2
    assert import_log(latin, encoding="latin-1").table.table["activity"][0].as_py() == "Café ouvert"


def _write(tmp_path: Path, text: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BAD_ROWS = """case_id,activity,timestamp,resource
c1,open,2024-03-01T08:00:00+08:00,ann
c1,,2024-03-01T09:00:00+08:00,ann
c2,open,not a date,bob
c2,close,2024-03-01T10:00:00+08:00
,open,2024-03-01T11:00:00+08:00,cy
c3,open,2024-03-01T12:00:00+08:00,cy
"""


def test_fail_stops_at_the_first_bad_row_with_line_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, BAD_ROWS)
    with pytest.raises(LogFormatError) as caught:
        import_log(path)
    assert (caught.value.line, caught.value.row, caught.value.field) == (3, 2, "activity")
    short_first = _write(tmp_path, "case_id,activity,timestamp,resource\nc1,open,2024-03-01T08:00:00Z,ann\n"
                         "c2,close,2024-03-01T10:00:00Z\nc2,open,not a date,bob\n", "short.csv")
    with pytest.raises(LogFormatError, match="3 cells where the header has 4") as caught:
        import_log(short_first)
    assert caught.value.line == 3  # the short row comes before the bad date


def test_skip_imports_the_good_rows_and_lists_the_rest(tmp_path: Path) -> None:
    result = import_log(_write(tmp_path, BAD_ROWS), on_error="skip")
    assert result.table.table["case_id"].to_pylist() == ["c1", "c3"]
    where = sorted((s.line, s.field) for s in result.report.skipped)
    assert where == [(3, "activity"), (4, "timestamp"), (5, None), (6, "case_id")]
    assert result.report.events_read == 6 and result.report.events_kept == 2
    assert "not a date" in result.report.render_text()


def test_missing_columns_and_mapping_sources_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "Ticket,Status,When\nT1,open,2024-03-01T08:00:00Z\n")
    with pytest.raises(LogFormatError, match="no case_id column") as caught:
        import_log(path)
    assert caught.value.line == 1
    with pytest.raises(LogFormatError, match="no column 'Updated'") as caught:
        import_log(path, mapping={"case_id": "Ticket", "activity": "Status", "timestamp": "Updated"})
    assert caught.value.field == "Updated"
    ok = import_log(path, mapping={"case_id": "Ticket", "activity": "Status", "timestamp": "When"})
    assert ok.table.table["timestamp"][0].as_py() == datetime(2024, 3, 1, 8, tzinfo=UTC)


def test_empty_file_and_unknown_zone(tmp_path: Path) -> None:
    with pytest.raises(LogFormatError, match="the file is empty") as caught:
        import_log(_write(tmp_path, ""))
    assert caught.value.line == 1
    path = _write(tmp_path, "case_id,activity,timestamp\nc,a,2024-03-01 08:00\n", "naive.csv")
    with pytest.raises(ValidationError, match="unknown time zone"):
        import_log(path, timezone="Mars/Olympus")


def test_truncated_gzip_csv(tmp_path: Path) -> None:
    data = gzip.compress((FIXTURES / "zendesk_updates.csv").read_bytes())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(LogFormatError, match="truncated or corrupt"):
        import_log(path)


def test_explicit_format_semicolons_and_daylight_saving(tmp_path: Path) -> None:
    path = _write(tmp_path, "case_id;activity;timestamp\nc;a;03/31/2024 01:30\nc;b;03/31/2024 03:30\n")
    result = import_log(path, timezone="Europe/Amsterdam", timestamp_format="%m/%d/%Y %H:%M")
    # 31 March 2024: Amsterdam moves from +01:00 to +02:00 at 02:00
    assert result.table.table["timestamp"].to_pylist() == [datetime(2024, 3, 31, 0, 30, tzinfo=UTC),
                                                          datetime(2024, 3, 31, 1, 30, tzinfo=UTC)]


def test_sniff_proposes_nothing_for_an_unknown_header() -> None:
    assert sniff(["a", "b"]) is None
    header = next(csv.reader(io.StringIO((FIXTURES / "jira_status_history.csv").read_text())))
    profile = sniff(header)
    assert profile is not None and profile.name == "jira"


def test_day_month_ambiguity_is_noted(tmp_path: Path) -> None:
    path = _write(tmp_path, "case_id,activity,timestamp\nc,a,03/04/2024 10:00\nc,b,05/04/2024 10:00\n")
    result = import_log(path, timezone="UTC")
    assert result.table.table["timestamp"][0].as_py() == datetime(2024, 4, 3, 10, tzinfo=UTC)
    assert any(note.startswith("ambiguous: '%m/%d/%Y %H:%M'") for note in result.report.notes)
    clear = _write(tmp_path, "case_id,activity,timestamp\nc,a,13/04/2024 10:00\n", "clear.csv")
    assert not any("ambiguous" in note for note in import_log(clear, timezone="UTC").report.notes)


def test_lines_count_cells_that_span_lines_and_crlf(tmp_path: Path) -> None:
    text = ('case_id,activity,timestamp,comment\r\n'
            'c1,open,2024-03-01T08:00:00Z,"first line\r\nsecond line"\r\n'
            'c1,close,someday,ok\r\n')
    path = tmp_path / "crlf.csv"
    path.write_bytes(text.encode("utf-8"))
    with pytest.raises(LogFormatError) as caught:
        import_log(path)
    assert (caught.value.line, caught.value.row) == (4, 2)
    result = import_log(path, on_error="skip")
    assert result.table.table["comment"].to_pylist() == ["first line\r\nsecond line"]
