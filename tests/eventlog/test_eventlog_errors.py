"""Bad input gives a LogFormatError naming file, line and field; bad export order a LogWriteError."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from liucheng.core.errors import LiuchengError
from liucheng.eventlog import (
    LogCase,
    LogEvent,
    LogFormatError,
    LogWriteError,
    read_csv,
    read_parquet,
    read_xes,
    write_csv,
    write_parquet,
    write_xes,
)
from liucheng.eventlog.importing import import_log

_ROOTS = [Path(__file__).resolve().parents[i] / "shared" / "data" for i in (3, 4)]  # checkout or worktree
RECEIPT = next((r for r in _ROOTS if r.is_dir()), _ROOTS[0]) / "receipt_wabo" / "receipt.xes.gz"
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

XES_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">
<trace>
<string key="concept:name" value="c1"/>
<event>
<string key="concept:name" value="Register"/>
"""
XES_TAIL = "</event>\n</trace>\n</log>\n"


def test_truncated_gzip_is_a_format_error_naming_the_file(tmp_path: Path) -> None:
    data = RECEIPT.read_bytes()
    path = tmp_path / "cut.xes.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(LogFormatError) as caught:
        list(read_xes(path))
    assert caught.value.file == str(path)
    assert "truncated" in caught.value.message
    assert caught.value.hint


def test_corrupt_gzip_is_a_format_error(tmp_path: Path) -> None:
    data = bytearray(RECEIPT.read_bytes())
    data[5000:5100] = b"\x00" * 100
    path = tmp_path / "bad.xes.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(LogFormatError):
        list(read_xes(path))


def test_broken_xml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.xes"
    path.write_text(XES_HEAD + '<date key="time:timestamp" value="2024-03-01T09:00:00Z">\n' + XES_TAIL)
    with pytest.raises(LogFormatError) as caught:
        list(read_xes(path))
    assert caught.value.line == 8  # the </event> that closes an unclosed <date>
    assert "well-formed" in str(caught.value)


def test_an_html_entity_names_its_line_and_the_xml_spelling(tmp_path: Path) -> None:
    path = tmp_path / "nbsp.xes"
    path.write_text(XES_HEAD + '<string key="org:resource" value="Ann&nbsp;Lee"/>\n'
                    '<date key="time:timestamp" value="2024-03-01T09:00:00Z"/>\n' + XES_TAIL)
    with pytest.raises(LogFormatError) as caught:
        list(read_xes(path))
    assert caught.value.line == 7 and "nbsp" in str(caught.value) and "&#160;" in (caught.value.hint or "")
    with pytest.raises(LogFormatError) as imported:  # the importer's fast readers hand it to the same check
        import_log(path)
    assert imported.value.line == 7


def test_naive_timestamp_names_line_field_and_how_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "naive.xes"
    path.write_text(XES_HEAD + '<date key="time:timestamp" value="2024-03-01T09:00:00"/>\n' + XES_TAIL)
    with pytest.raises(LogFormatError) as caught:
        list(read_xes(path))
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), 7, "time:timestamp")
    assert "+08:00" in error.hint
    assert isinstance(error, LiuchengError)
    assert error.to_dict()["line"] == 7


def test_event_without_timestamp_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "untimed.xes"
    path.write_text(XES_HEAD + XES_TAIL)
    with pytest.raises(LogFormatError) as caught:
        list(read_xes(path))
    assert (caught.value.line, caught.value.field) == (5, "time:timestamp")


def test_not_xml_at_all(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    path.write_text("case_id,activity\n")
    with pytest.raises(LogFormatError):
        list(read_xes(path))


def test_csv_without_case_id_column_says_how_to_map_it(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("Case ID,activity,timestamp\nc1,Register,2024-03-01T09:00:00+08:00\n")
    with pytest.raises(LogFormatError) as caught:
        list(read_csv(path))
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), 1, "case_id")
    assert "mapping=" in error.hint
    (row,) = read_csv(path, mapping={"Case ID": "case_id"})
    assert row.event.case_id == "c1" and row.event.timestamp == datetime(2024, 3, 1, 1, tzinfo=UTC)


def test_csv_naive_timestamp_and_bad_int_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        'case_id,activity,timestamp,note\nc1,Register,2024-03-01T09:00:00Z,"two\nlines"\n'
        "c1,Close,2024-03-01 10:00:00,x\n"
    )
    with pytest.raises(LogFormatError) as caught:
        list(read_csv(path))
    assert (caught.value.line, caught.value.row, caught.value.field) == (4, 2, "timestamp")
    path.write_text("case_id,activity,timestamp,case:priority\nc1,Register,2024-03-01T09:00:00Z,high\n")
    with pytest.raises(LogFormatError) as caught:
        list(read_csv(path, types={"case:priority": "int"}))
    assert (caught.value.line, caught.value.field) == (2, "case:priority")


def test_parquet_garbage_and_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(LogFormatError):
        list(read_parquet(path))
    naive = [datetime(2024, 3, 1, 9)]
    pq.write_table(pa.table({"case": ["c1"], "activity": ["a"], "timestamp": naive}), path)
    with pytest.raises(LogFormatError) as caught:
        list(read_parquet(path))
    assert caught.value.field == "case_id"
    with pytest.raises(LogFormatError) as caught:  # a naive timestamp column is refused too
        list(read_parquet(path, mapping={"case": "case_id"}))
    assert caught.value.field == "timestamp"


def test_xes_writer_refuses_a_case_that_comes_back_and_leaves_no_file(tmp_path: Path) -> None:
    events = [LogEvent("a", "x", T0), LogEvent("b", "x", T0), LogEvent("a", "y", T0)]
    path = tmp_path / "out.xes"
    with pytest.raises(LogWriteError) as caught:
        write_xes(events, {}, path)
    assert caught.value.case_id == "a"
    assert "case id" in caught.value.hint
    assert list(tmp_path.iterdir()) == []


def test_xes_writer_replaces_characters_xml_cannot_hold() -> None:
    out = io.BytesIO()
    summary = write_xes([LogEvent("c\x01", "bell\x07", T0, attributes={"v": "\x0bx"})], None, out)
    assert summary.replaced_chars == 3
    root = ET.fromstring(out.getvalue())  # still a well-formed document
    assert "bell\ufffd" in {a.get("value") for a in root.iter()}
    with pytest.raises(LogWriteError):
        write_xes([LogEvent("c", "bell\x07", T0)], None, io.BytesIO(), invalid_chars="error")


def test_writers_refuse_values_without_a_type_or_zone() -> None:
    with pytest.raises(LogWriteError) as caught:
        write_xes([LogEvent("c", "a", T0, attributes={"tags": ["x"]})], None, io.BytesIO())
    assert caught.value.field == "tags"
    with pytest.raises(LogWriteError):
        write_csv([LogEvent("c", "a", T0, attributes={"due": datetime(2024, 1, 1)})], None, io.BytesIO(),
                  event_attributes=["due"])
    with pytest.raises(LiuchengError):  # naive timestamps never make it into a LogEvent
        LogEvent("c", "a", datetime(2024, 1, 1))


def test_parquet_attribute_first_seen_after_the_first_batch(tmp_path: Path) -> None:
    events = [LogEvent("c", "a", T0), LogEvent("c", "b", T0, attributes={"late": 1})]
    with pytest.raises(LogWriteError) as caught:
        write_parquet(events, None, tmp_path / "x.parquet", batch_rows=1)
    assert caught.value.field == "late" and "event_attributes" in caught.value.hint
    assert list(tmp_path.iterdir()) == []  # no partial file that would look like a complete export
    summary = write_parquet(events, {"c": LogCase("c")}, tmp_path / "x.parquet", batch_rows=1,
                            event_attributes={"late": "int"})
    assert summary.events == 2
    assert [r.event for r in read_parquet(tmp_path / "x.parquet")] == events
