"""OCEL 2.0 import: flattening checked against r4pm's own reading of the same log, JSON and SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import r4pm

from liucheng.core.errors import ValidationError
from liucheng.eventlog import LogFormatError
from liucheng.eventlog.importing import import_log

JSON_LOG = Path(__file__).parent / "fixtures" / "service_desk.jsonocel"


@pytest.fixture(scope="module")
def sqlite_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The same log written as OCEL 2.0 SQLite by r4pm (the Rust process_mining crate), not by us."""
    path = tmp_path_factory.mktemp("ocel") / "service_desk.sqlite"
    r4pm.df.export_ocel(r4pm.df.import_ocel_json(str(JSON_LOG)), str(path))
    yield path


def _r4pm_flattened(object_type: str) -> set[tuple[str, str, datetime]]:
    """(object, activity, time) for each event and related object of the type, from r4pm's tables."""
    relations = r4pm.df.import_ocel_json(str(JSON_LOG))["relations"]
    out = set()
    for row in relations.iter_rows(named=True):
        if row["ocel:type"] == object_type:
            out.add((row["ocel:oid"], row["ocel:activity"], row["ocel:timestamp"].replace(tzinfo=UTC)))
    return out


def _ours(path: Path, object_type: str) -> list[tuple[str, str, datetime]]:
    table = import_log(path, object_type=object_type).table.table
    return list(zip(table["case_id"].to_pylist(), table["activity"].to_pylist(), table["timestamp"].to_pylist(),
                    strict=True))


@pytest.mark.parametrize("object_type", ["ticket", "agent", "customer"])
def test_json_flattening_matches_r4pm(object_type: str) -> None:
    ours = _ours(JSON_LOG, object_type)
    assert len(ours) == len(set(ours))  # an object related twice to one event is one row
    assert set(ours) == _r4pm_flattened(object_type)


@pytest.mark.parametrize("object_type", ["ticket", "agent"])
def test_sqlite_reads_as_the_json_does(sqlite_log: Path, object_type: str) -> None:
    assert _ours(sqlite_log, object_type) == _ours(JSON_LOG, object_type)
    json_table = import_log(JSON_LOG, object_type=object_type).table.table
    sqlite_table = import_log(sqlite_log, object_type=object_type).table.table
    for name in json_table.column_names:
        if name.startswith("case:") or name == "ocel:eid":
            assert sqlite_table[name].to_pylist() == json_table[name].to_pylist(), name


def test_an_event_with_two_tickets_is_in_both_cases_and_attributes_are_kept() -> None:
    result = import_log(JSON_LOG, object_type="ticket")
    rows = result.table.table.to_pylist()
    merge = [r for r in rows if r["activity"] == "merge tickets"]
    assert sorted(r["case_id"] for r in merge) == ["T1", "T2"]
    assert {r["ocel:eid"] for r in merge} == {"e5"}
    assert "shift start" not in {r["activity"] for r in rows}  # no ticket in it
    t1 = [r for r in rows if r["case_id"] == "T1"]
    assert {r["case:priority"] for r in t1} == {"P3"}  # the initial value, not the later P1
    resolve = next(r for r in rows if r["activity"] == "resolve")
    assert resolve["minutes_spent"] == 50
    assert result.table.meta == {"ocel": {"object_type": "ticket"}}
    assert result.report.events_read == 7 and result.report.cases == 3


def test_object_type_is_required_and_listed() -> None:
    with pytest.raises(ValidationError, match="agent, customer, ticket"):
        import_log(JSON_LOG)
    with pytest.raises(ValidationError, match="no object type 'order'"):
        import_log(JSON_LOG, object_type="order")


def test_bad_times_name_the_event(tmp_path: Path) -> None:
    data = json.loads(JSON_LOG.read_text(encoding="utf-8"))
    data["events"][3]["time"] = "2024-03-01 01:30"  # e4, no offset
    path = tmp_path / "bad.jsonocel"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LogFormatError, match="event e4"):
        import_log(path, object_type="ticket")
    result = import_log(path, object_type="ticket", on_error="skip")
    assert [s.element for s in result.report.skipped] == ["event e4"]
    assert "assign" not in result.table.table["activity"].to_pylist()


def test_broken_json_and_missing_tables(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonocel"
    broken.write_text(JSON_LOG.read_text(encoding="utf-8")[:500], encoding="utf-8")
    with pytest.raises(LogFormatError, match="not valid JSON") as caught:
        import_log(broken, object_type="ticket")
    assert caught.value.line is not None
    db = tmp_path / "other.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE event (ocel_id TEXT, ocel_type TEXT)")
    with pytest.raises(LogFormatError, match="no table event_map_type, event_object"):
        import_log(db, object_type="ticket")
