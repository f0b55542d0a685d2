"""Parquet import: our canonical files, our event export, PM4Py's dataframes, and mapped tables."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from liucheng.eventlog import LogEvent, LogFormatError, write_parquet
from liucheng.eventlog.importing import detect_format, import_log, load_log

_ROOTS = [Path(__file__).resolve().parents[i] / "shared" / "data" for i in (3, 4)]
DATA = next((root for root in _ROOTS if root.is_dir()), _ROOTS[0])
RECEIPT = DATA / "receipt_wabo" / "receipt.xes.gz"
CORE = ["case_id", "activity", "timestamp", "lifecycle", "resource", "group"]


def test_canonical_table_round_trips_through_parquet(tmp_path: Path) -> None:
    original = import_log(RECEIPT).table.table
    path = tmp_path / "receipt.parquet"
    pq.write_table(original, path)
    assert detect_format(path) == "parquet"
    again = import_log(path).table.table
    assert again.equals(original)


@pytest.mark.slow
def test_pm4py_dataframe_reads_as_our_xes_import(tmp_path: Path) -> None:
    pm4py = pytest.importorskip("pm4py")
    # iterparse: PM4Py's own lxml reader, not the r4pm backend it would pick by default here
    frame = pm4py.read_xes(str(RECEIPT), variant="iterparse")
    path = tmp_path / "pm4py.parquet"
    frame.to_parquet(path)
    ours = import_log(RECEIPT).table.table
    theirs = import_log(path).table.table
    # PM4Py may reorder by case; compare the multiset of core events
    def key(table: pa.Table) -> list[tuple[object, ...]]:
        return sorted(zip(*(table[n].to_pylist() for n in CORE[:5]), strict=True), key=repr)

    assert key(theirs) == key(ours)
    assert "case:responsible" in theirs.column_names


def test_our_event_export_is_read_back(tmp_path: Path) -> None:
    path = tmp_path / "export.parquet"
    at = datetime(2024, 3, 1, 1, tzinfo=UTC)
    events = [LogEvent("c1", "Register", at, "complete", "ann", "desk", {"channel": "phone"}),
              LogEvent("c1", "Close", at.replace(hour=2), "complete", None, None, {})]
    write_parquet(events, None, path)
    table = import_log(path).table.table
    assert table.select(CORE).to_pylist() == [
        {"case_id": "c1", "activity": "Register", "timestamp": at, "lifecycle": "complete", "resource": "ann",
         "group": "desk"},
        {"case_id": "c1", "activity": "Close", "timestamp": at.replace(hour=2), "lifecycle": "complete",
         "resource": None, "group": None},
    ]
    assert table["channel"].to_pylist() == ["phone", None]


def test_mapped_table_with_naive_times_needs_a_zone(tmp_path: Path) -> None:
    path = tmp_path / "tickets.parquet"
    pq.write_table(pa.table({
        "ticket": ["T1", "T1", None],
        "status": ["open", "closed", "open"],
        "at": pa.array([datetime(2024, 3, 1, 9), datetime(2024, 3, 1, 17), datetime(2024, 3, 2, 9)],
                       pa.timestamp("ms")),
    }), path)
    mapping = {"case_id": "ticket", "activity": "status", "timestamp": "at"}
    with pytest.raises(LogFormatError, match="no time zone") as caught:
        import_log(path, mapping=mapping)
    assert caught.value.field == "timestamp"
    with pytest.raises(LogFormatError, match="empty case_id") as caught:
        import_log(path, mapping=mapping, timezone="Asia/Shanghai")
    assert caught.value.row == 3
    result = import_log(path, mapping=mapping, timezone="Asia/Shanghai", on_error="skip")
    assert result.table.table["timestamp"].to_pylist() == [datetime(2024, 3, 1, 1, tzinfo=UTC),
                                                           datetime(2024, 3, 1, 9, tzinfo=UTC)]
    assert [(s.row, s.field) for s in result.report.skipped] == [(3, "case_id")]


def test_not_parquet_is_named(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_bytes(b"case_id,activity\n")
    with pytest.raises(LogFormatError, match="not a readable Parquet file"):
        import_log(path)


def test_load_log_reads_a_raw_log_and_its_imported_parquet_alike(tmp_path: Path) -> None:
    raw = load_log(RECEIPT)
    path = tmp_path / "receipt.parquet"
    pq.write_table(raw.table, path)
    assert load_log(path).table.equals(raw.table)
    assert load_log(path).n_cases == 1434
