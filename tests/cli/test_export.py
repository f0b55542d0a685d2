"""The event-log export streams: case attributes walk alongside the events, memory stays flat."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from liucheng.engine import CaseState, Event, EventType, Lifecycle
from liucheng.eventlog import from_engine_event, read_csv, read_parquet, read_xes
from liucheng.services import Platform
from liucheng.services.export import count_events, export_events
from liucheng.store import open_store
from tests.cli.conftest import as_json, make_cli

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _fill(store, *, cases: int, events_per_case: int) -> None:
    """Cases with comment events whose ``note`` attribute is an int in some events, a string in others."""
    with store.unit_of_work() as uow:
        for n in range(cases):
            case_id = f"C{(n * 7919) % cases:06d}"  # inserted out of id order
            state = CaseState(
                case_id=case_id,
                process_key="demo",
                process_version=1,
                opened_at=T0,
                category="complaint" if n % 2 else "inquiry",
                priority=f"P{n % 4 + 1}",
                customer=f"cust-{n}" if n % 3 else None,
                title=f"case {n}",
            )
            events = [
                Event(
                    case_id=case_id,
                    type=EventType.CASE_OPENED,
                    at=T0,
                    activity="Case opened",
                    lifecycle=Lifecycle.COMPLETE,
                    resource="system",
                )
            ]
            for i in range(1, events_per_case):
                events.append(
                    Event(
                        case_id=case_id,
                        type=EventType.COMMENT_ADDED,
                        at=T0 + timedelta(minutes=i),
                        activity=f"Step {i % 5}",
                        lifecycle=Lifecycle.COMPLETE,
                        resource=f"agent{i % 7}",
                        group="agent",
                        data={"note": i if i % 2 else f"text {i}", "score": 1.5 * i},
                    )
                )
            events.append(Event(case_id=case_id, type=EventType.TOKEN_MOVED, at=T0, data={"token_id": "k1"}))
            uow.cases.insert(state, events, T0)


@pytest.fixture
def platform(store):
    return Platform(store)


def test_iter_summaries_streams_every_case_in_id_order(platform):
    _fill(platform.store, cases=30, events_per_case=2)
    with platform.store.unit_of_work(read_only=True) as uow:
        rows = uow.cases.iter_summaries(batch=7)
        assert iter(rows) is rows  # a generator, not a list
        streamed = list(rows)
        listed = uow.cases.list(limit=1000)
    assert [r.case_id for r in streamed] == sorted(r.case_id for r in listed)
    assert {r.case_id: r for r in streamed} == {r.case_id: r for r in listed}


@pytest.mark.parametrize("fmt", ["xes", "csv", "parquet"])
def test_export_matches_the_store_case_by_case(platform, tmp_path: Path, fmt):
    _fill(platform.store, cases=40, events_per_case=6)
    out = tmp_path / f"log.{fmt}"
    seen = []
    summary = export_events(platform, out, format=fmt, progress=seen.append)
    with platform.store.unit_of_work(read_only=True) as uow:
        expected = [from_engine_event(e, seq=s) for s, e in uow.events.iter_all(order="case")]
        cases = {r.case_id: r for r in uow.cases.list(limit=1000)}
    expected = [e for e in expected if e is not None]
    assert summary.events == len(expected) == 40 * 6 and summary.cases == 40
    assert seen[-1] == count_events(platform)  # the progress ends at the number of events read
    if fmt == "xes":
        got = [(t.case.attributes, e) for t in read_xes(out) for e in t.events]
    elif fmt == "csv":
        got = [(r.case.attributes, r.event) for r in read_csv(out, types={"seq": "int"})]
    else:
        got = [(r.case.attributes, r.event) for r in read_parquet(out)]
    assert [(e.case_id, e.activity, e.timestamp, e.resource, e.attributes["seq"]) for _, e in got] == [
        (e.case_id, e.activity, e.timestamp, e.resource, e.attributes["seq"]) for e in expected
    ]
    for attributes, event in got:
        row = cases[event.case_id]
        assert attributes["category"] == row.category and attributes["priority"] == row.priority
        assert attributes.get("customer") == row.customer and attributes["title"] == row.title
    if fmt == "parquet":
        # an attribute that is an int in some events and a string in others becomes a string column
        schema = pq.read_schema(out)
        assert str(schema.field("note").type) == "string" and str(schema.field("score").type) == "double"


def test_export_includes_internal_events_when_asked(platform, tmp_path: Path):
    _fill(platform.store, cases=5, events_per_case=3)
    summary = export_events(platform, tmp_path / "all.xes.gz", format="xes", include_internal=True)
    assert summary.events == count_events(platform, include_internal=True) == 5 * 4
    assert (tmp_path / "all.xes.gz").read_bytes()[:2] == b"\x1f\x8b"


@pytest.mark.slow
def test_export_of_50k_events_is_streamed(tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path / 'big.db'}")
    _fill(store, cases=2000, events_per_case=25)
    platform = Platform(store)
    assert count_events(platform, include_internal=True) == 2000 * 26
    assert count_events(platform) == 2000 * 25  # an export reads only the events naming an activity

    def peak(action) -> int:
        gc.collect()
        tracemalloc.start()
        try:
            action()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def hold_everything():
        with store.unit_of_work(read_only=True) as uow:
            everything = [from_engine_event(e, seq=s) for s, e in uow.events.iter_all(order="case")]
        assert len(everything) == 2000 * 26

    all_at_once = peak(hold_everything)
    for fmt in ("xes", "csv", "parquet"):
        out = tmp_path / f"big.{fmt}"
        streamed = peak(lambda fmt=fmt, out=out: export_events(platform, out, format=fmt))
        assert streamed < all_at_once / 3, (fmt, streamed, all_at_once)
    assert sum(len(t.events) for t in read_xes(tmp_path / "big.xes")) == 2000 * 25
    store.close()


def test_events_export_command(tmp_path: Path, sqlite_url):
    cli = make_cli(sqlite_url)
    cli("init")
    store = open_store(sqlite_url)
    _fill(store, cases=3, events_per_case=4)
    store.close()
    result = cli("events", "export", "-o", tmp_path / "log.parquet")
    assert "wrote 12 events of 3 cases" in result.stdout
    result = cli("events", "export", "-o", tmp_path / "log.txt", expect=2)
    assert "cannot tell the format" in result.stderr
    cli("events", "export", "-o", tmp_path / "log.txt", "--format", "csv")
    assert len(list(read_csv(tmp_path / "log.txt"))) == 12
    result = cli("events", "export", "-o", tmp_path / "missing" / "log.csv", expect=2)
    assert "does not exist" in result.stderr
    assert as_json(cli("case", "list", "-F", "json"))[0]["case_id"] == "C000000"
