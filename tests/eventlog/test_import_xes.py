"""XES import: the fast paths agree with our streaming reader, and bad files are named precisely."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from liucheng.core.errors import ValidationError
from liucheng.eventlog import LogFormatError, read_xes
from liucheng.eventlog.importing import import_log

FIXTURES = Path(__file__).parent / "fixtures"
EDGE = FIXTURES / "import_edge_cases.xes"
_ROOTS = [Path(__file__).resolve().parents[i] / "shared" / "data" for i in (3, 4)]
DATA = next((root for root in _ROOTS if root.is_dir()), _ROOTS[0])
SMALL_LOGS = ["bpic2013_closed_problems/bpic2013_closed_problems.xes.gz", "helpdesk/helpdesk.xes.gz",
              "receipt_wabo/receipt.xes.gz"]
BIG_LOGS = ["bpic2013_incidents/bpic2013_incidents.xes.gz", "bpic2012/bpic2012.xes.gz",
            "road_traffic_fines/road_traffic_fines.xes.gz"]
CORE = ("case_id", "activity", "timestamp", "lifecycle", "resource", "group")


def _events_of_table(table: pa.Table) -> list[tuple[object, ...]]:
    columns = [table[name].to_pylist() for name in CORE]
    return list(zip(*columns, strict=True))


def _events_of_reader(path: Path) -> list[tuple[object, ...]]:
    return [(e.case_id, e.activity, e.timestamp, e.lifecycle, e.resource, e.group)
            for trace in read_xes(path) for e in trace.events]


@pytest.mark.parametrize("name", SMALL_LOGS + [pytest.param(n, marks=pytest.mark.slow) for n in BIG_LOGS])
def test_fast_path_gives_the_events_of_our_streaming_reader(name: str) -> None:
    path = DATA / name
    result = import_log(path)
    assert "column reader" in result.report.notes[0]  # every real log has the regular shape
    assert _events_of_table(result.table.table) == _events_of_reader(path)
    assert result.report.events_read == result.report.events_kept == result.table.n_events


def test_offsets_become_utc_as_our_reader_reads_them() -> None:
    # BPIC 2013 writes +01:00 in winter and +02:00 in summer; r4pm's naive datetimes must be UTC.
    path = DATA / "bpic2013_closed_problems/bpic2013_closed_problems.xes.gz"
    with gzip.open(path, "rt", encoding="utf-8") as text:
        head = text.read(200_000)
    assert "+01:00" in head and "+02:00" in head
    table = import_log(path).table.table
    assert table.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    first = next(iter(read_xes(path))).events[0]
    assert table["timestamp"][0].as_py() == first.timestamp


def test_edge_cases_of_the_fast_path() -> None:
    result = import_log(EDGE)
    table = result.table.table
    rows = table.to_pylist()
    assert [r["case_id"] for r in rows] == ["T-1", "T-1", "T-2"]  # the trace without events has no rows
    first = rows[0]
    # trace attributes become case:<name> columns with their types; dates in UTC
    assert first["case:priority"] == "P1" and first["case:reopened"] == 2
    assert first["case:opened"] == datetime(2024, 3, 1, 1, 0, tzinfo=UTC)
    core = (first["activity"], first["lifecycle"], first["resource"], first["group"])
    assert core == ("登记", "complete", "王芳", "一线")
    assert first["timestamp"] == datetime(2024, 3, 1, 1, 0, tzinfo=UTC)
    assert rows[2]["timestamp"] == datetime(2024, 3, 2, 15, 0, tzinfo=UTC)  # -05:00
    assert first["cost"] == 1.5 and first["urgent"] is True and first["ticket"].startswith("0b7d4b3e")
    assert first["note"] == "outer"  # a nested attribute keeps its own value
    assert "tags" not in table.column_names  # list attributes are dropped, as read_xes drops them
    # r4pm fills an event that lacks a global attribute with the declared default
    assert rows[1]["resource"] == "UNKNOWN" and rows[1]["channel"] == "phone"
    assert rows[2]["channel"] == "wechat"
    assert result.table.meta["xes"]


def test_columns_come_in_a_stable_order() -> None:
    names = import_log(EDGE).table.table.column_names
    assert names == import_log(EDGE).table.table.column_names
    attributes = names[7:]
    case_columns = [n for n in attributes if n.startswith("case:")]
    assert attributes[: len(case_columns)] == sorted(case_columns)


def _variant(tmp_path: Path, old: str, new: str, name: str = "bad.xes") -> Path:
    path = tmp_path / name
    path.write_text(EDGE.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


@pytest.mark.parametrize(("old", "new", "field"), [
    ("2024-03-01T01:30:00Z", "2024-03-01T01:30:00", "time:timestamp"),  # no offset
    ("2024-03-01T01:30:00Z", "yesterday", "time:timestamp"),  # not a date
    ('<string key="concept:name" value="派单"/>', "", "concept:name"),  # no activity
])
def test_a_bad_event_fails_with_its_line_or_is_skipped_and_reported(tmp_path: Path, old: str, new: str,
                                                                    field: str) -> None:
    path = _variant(tmp_path, old, new)
    expected_line = _line_of(path, "2024-03-01T01:30:00" if new != "yesterday" else "yesterday")
    if field == "concept:name":
        expected_line = _line_of(path, '"start"') - 3  # the <event> line
    with pytest.raises(LogFormatError) as caught:
        import_log(path)
    assert caught.value.file == str(path) and caught.value.field == field
    assert caught.value.line == expected_line
    result = import_log(path, on_error="skip")
    assert result.report.events_read == 3 and result.report.events_kept == 2
    [skipped] = result.report.skipped
    assert (skipped.line, skipped.field, skipped.element) == (expected_line, field, "event")
    assert [r["activity"] for r in result.table.table.to_pylist()] == ["登记", "登记"]


def test_a_trace_without_case_id_is_skipped_with_its_events(tmp_path: Path) -> None:
    path = _variant(tmp_path, '<string key="concept:name" value="T-2"/>', "")
    with pytest.raises(LogFormatError, match="trace has no concept:name"):
        import_log(path)
    result = import_log(path, on_error="skip")
    assert result.report.events_read == 3 and result.report.events_kept == 2
    assert result.report.skipped[0].element == "trace"


def test_truncated_xml_names_the_line(tmp_path: Path) -> None:
    text = EDGE.read_text(encoding="utf-8")
    path = tmp_path / "cut.xes"
    path.write_text(text[: text.index("</trace>", text.index("T-2"))], encoding="utf-8")
    with pytest.raises(LogFormatError, match="not well-formed XML") as caught:
        import_log(path)
    assert caught.value.line is not None and caught.value.line >= _line_of(path, "T-2")
    # skip keeps the complete traces before the cut and says where the damage is
    result = import_log(path, on_error="skip")
    assert {r["case_id"] for r in result.table.table.to_pylist()} == {"T-1"}
    assert result.report.skipped[-1].element == "the rest of the file"


def test_truncated_gzip_is_caught_although_the_fast_reader_would_accept_it(tmp_path: Path) -> None:
    data = (DATA / "receipt_wabo/receipt.xes.gz").read_bytes()
    path = tmp_path / "cut.xes.gz"
    path.write_bytes(data[: int(len(data) * 0.9)])
    with pytest.raises(LogFormatError, match="truncated or corrupt") as caught:
        import_log(path)
    assert caught.value.file == str(path) and caught.value.line is not None
    result = import_log(path, on_error="skip")
    assert 0 < result.report.events_kept < 8577
    assert "truncated" in result.report.skipped[-1].reason


def test_empty_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "empty.xes"
    path.write_bytes(b"")
    with pytest.raises(LogFormatError, match="the file is empty") as caught:
        import_log(path)
    assert caught.value.line == 1


def test_missing_file_and_bad_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(LogFormatError, match="no such file"):
        import_log(tmp_path / "nope.xes")
    with pytest.raises(ValidationError, match="on_error"):
        import_log(EDGE, on_error="ignore")


def test_the_streaming_fallback_builds_the_same_table_as_the_fast_path(tmp_path: Path) -> None:
    # A date without an offset anywhere sends the file through read_xes; with skip the event
    # carrying it goes, and the other events must read as the fast path reads them, global
    # defaults filled in alike.
    path = _variant(tmp_path, '<float key="cost" value="1.5"/>',
                    '<float key="cost" value="1.5"/><date key="due" value="2024-03-05T00:00:00"/>')
    slow = import_log(path, on_error="skip")
    assert "streaming" in slow.report.notes[0]
    assert slow.report.skipped[0].field == "due"
    fast_table = import_log(EDGE).table.table
    slow_table = slow.table.table
    assert _events_of_table(slow_table) == _events_of_table(fast_table)[1:]
    assert [r[4] for r in _events_of_table(slow_table)] == ["UNKNOWN", "Li"]
    assert slow_table["channel"].to_pylist() == ["phone", "wechat"]
    for name in ("case:opened", "case:priority", "case:reopened", "count"):
        assert slow_table.schema.field(name).type == fast_table.schema.field(name).type, name
        assert slow_table[name].to_pylist() == fast_table[name].to_pylist()[1:], name


def test_trace_globals_are_filled_by_both_readers(tmp_path: Path) -> None:
    text = EDGE.read_text(encoding="utf-8")
    text = text.replace('<global scope="event">', '<global scope="trace"><string key="region" value="north"/>'
                        '</global><global scope="event">')
    text = text.replace('<string key="priority" value="P1"/>', '<string key="priority" value="P1"/>'
                        '<string key="region" value="south"/>')
    fast_path = tmp_path / "fast.xes"
    fast_path.write_text(text, encoding="utf-8")
    slow_path = tmp_path / "slow.xes"
    slow_path.write_text(text.replace("2024-03-01T01:30:00Z", "2024-03-01T01:30:00"), encoding="utf-8")
    fast = import_log(fast_path).table.table
    slow = import_log(slow_path, on_error="skip").table.table
    assert fast["case:region"].to_pylist() == ["south", "south", "north"]
    assert slow["case:region"].to_pylist() == ["south", "north"]
