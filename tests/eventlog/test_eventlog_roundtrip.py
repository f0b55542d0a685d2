"""Write then read each format: the same events and case attributes come back."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from uuid import UUID

import pyarrow.parquet as pq
import pytest
from eventlog_strategies import attribute_types, logs
from hypothesis import given, settings
from hypothesis import strategies as st

from liucheng.eventlog import (
    LogCase,
    LogEvent,
    Trace,
    read_csv,
    read_parquet,
    read_xes,
    write_csv,
    write_parquet,
    write_xes,
)

Log = tuple[dict[str, LogCase], list[LogEvent]]


def expected_traces(cases: dict[str, LogCase], events: list[LogEvent]) -> list[Trace]:
    return [Trace(cases[case_id], list(group)) for case_id, group in groupby(events, key=lambda e: e.case_id)]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("roundtrip")


@settings(max_examples=150, deadline=None)
@given(log=logs(), compressed=st.booleans())
def test_xes_round_trip_keeps_every_event_and_case_attribute(
    workdir: Path, log: Log, compressed: bool
) -> None:
    cases, events = log
    path = workdir / ("log.xes.gz" if compressed else "log.xes")
    summary = write_xes(events, cases, path)
    assert (summary.cases, summary.events, summary.replaced_chars) == (len(cases), len(events), 0)
    assert list(read_xes(path)) == expected_traces(cases, events)


@settings(max_examples=150, deadline=None)
@given(log=logs(empty_strings=False), excel=st.booleans())
def test_csv_round_trip_with_declared_types(workdir: Path, log: Log, excel: bool) -> None:
    cases, events = log
    case_types, event_types = attribute_types(cases, events)
    path = workdir / "log.csv"
    summary = write_csv(events, cases, path, case_attributes=list(case_types),
                        event_attributes=list(event_types), excel=excel)
    assert (summary.cases, summary.events) == (len(cases), len(events))
    types = {**{f"case:{k}": t for k, t in case_types.items()}, **event_types}
    rows = list(read_csv(path, types=types))
    assert [row.event for row in rows] == events
    assert [row.case for row in rows] == [cases[e.case_id] for e in events]


@settings(max_examples=100, deadline=None)
@given(log=logs(), declare=st.booleans(), batch_rows=st.integers(min_value=1, max_value=5))
def test_parquet_round_trip_in_batches(workdir: Path, log: Log, declare: bool, batch_rows: int) -> None:
    cases, events = log
    case_types, event_types = attribute_types(cases, events)
    path = workdir / "log.parquet"
    if declare:
        summary = write_parquet(events, cases, path, batch_rows=batch_rows,
                                case_attributes=case_types, event_attributes=event_types)
    else:  # inferred from the first batch, so the batch must hold the whole log
        summary = write_parquet(events, cases, path)
    assert (summary.cases, summary.events) == (len(cases), len(events))
    rows = list(read_parquet(path, batch_rows=batch_rows))
    assert [row.event for row in rows] == events
    assert [row.case for row in rows] == [cases[e.case_id] for e in events]


# A fixed example checked with readers we did not write: ElementTree (expat), csv, pyarrow.
SHANGHAI_NINE = datetime(2024, 3, 1, 1, 0, 0, 123456, tzinfo=UTC)  # 09:00:00.123456 in Shanghai
CASE = LogCase("工单-1 <&>", {"priority": 2, "vip": True, "opened": datetime(2024, 3, 1, tzinfo=UTC)})
EVENT = LogEvent(
    "工单-1 <&>", "登记 \"Register\"\n& check", SHANGHAI_NINE, "complete", "张三", "客服一组",
    {"cost": 12.5, "ref": UUID("12345678-1234-5678-1234-567812345678"), "note": "a\tb\r\nc"},
)


def test_xes_is_read_the_same_by_an_independent_xml_parser(tmp_path: Path) -> None:
    path = tmp_path / "one.xes"
    write_xes([EVENT], {CASE.case_id: CASE}, path)
    ns = {"x": "http://www.xes-standard.org/"}
    root = ET.parse(path).getroot()
    extensions = {e.get("prefix") for e in root.findall("x:extension", ns)}
    assert extensions == {"concept", "time", "lifecycle", "org"}
    assert root.get("xes.version") == "1849-2016"
    (trace,) = root.findall("x:trace", ns)
    trace_attrs = {(a.tag.split("}")[1], a.get("key")): a.get("value") for a in trace if a.get("key")}
    assert trace_attrs == {
        ("string", "concept:name"): "工单-1 <&>", ("int", "priority"): "2", ("boolean", "vip"): "true",
        ("date", "opened"): "2024-03-01T00:00:00.000+00:00",
    }
    (event,) = trace.findall("x:event", ns)
    event_attrs = {(a.tag.split("}")[1], a.get("key")): a.get("value") for a in event}
    assert event_attrs == {
        ("string", "concept:name"): "登记 \"Register\"\n& check",
        ("date", "time:timestamp"): "2024-03-01T01:00:00.123456+00:00",
        ("string", "lifecycle:transition"): "complete",
        ("string", "org:resource"): "张三",
        ("string", "org:group"): "客服一组",
        ("float", "cost"): "12.5",
        ("id", "ref"): "12345678-1234-5678-1234-567812345678",
        ("string", "note"): "a\tb\r\nc",
    }


def test_csv_is_read_the_same_by_the_csv_module(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    write_csv([EVENT], {CASE.case_id: CASE}, path, case_attributes=["priority", "vip", "missing"],
              event_attributes=["cost", "note"], excel=True)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to see UTF-8
    (row,) = csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    assert row == {
        "case_id": "工单-1 <&>", "activity": "登记 \"Register\"\n& check",
        "timestamp": "2024-03-01T01:00:00.123456+00:00", "lifecycle": "complete", "resource": "张三",
        "group": "客服一组", "case:priority": "2", "case:vip": "true", "case:missing": "",
        "cost": "12.5", "note": "a\tb\r\nc",
    }
    # Offsets in the file are honoured on the way back in.
    path.write_text("case_id,activity,timestamp\nc1,Register,2024-03-01T09:00:00.123456+08:00\n")
    (back,) = read_csv(path)
    assert back.event.timestamp == SHANGHAI_NINE


def test_parquet_columns_are_typed_and_dictionary_encoded(tmp_path: Path) -> None:
    path = tmp_path / "one.parquet"
    write_parquet([EVENT], {CASE.case_id: CASE}, path)
    table = pq.read_table(path)
    types = {f.name: str(f.type) for f in table.schema}
    assert types["timestamp"] == "timestamp[us, tz=UTC]"
    for name in ("activity", "lifecycle", "resource", "group"):
        assert types[name].startswith("dictionary<values=string")
    assert types["case:priority"] == "int64" and types["cost"] == "double" and types["case:vip"] == "bool"
    row = table.to_pylist()[0]
    assert row["timestamp"] == SHANGHAI_NINE and row["activity"] == EVENT.activity and row["ref"] == str(
        EVENT.attributes["ref"])
    column_chunk = pq.ParquetFile(path).metadata.row_group(0).column(1)
    assert "RLE_DICTIONARY" in column_chunk.encodings or "PLAIN_DICTIONARY" in column_chunk.encodings
