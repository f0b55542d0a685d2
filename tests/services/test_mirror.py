"""The analytics mirror follows the store: the same events as an export, incremental, all or nothing,
and a transaction that commits late (PostgreSQL) is picked up by the next run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from sqlalchemy import create_engine, insert

from liucheng.core.errors import ValidationError
from liucheng.engine import CaseState, Event, EventType, Lifecycle
from liucheng.eventlog.importing import load_log
from liucheng.eventlog.mirror import MirrorError, read_mirror
from liucheng.mining.dfg import discover_dfg
from liucheng.mining.variants import get_variants
from liucheng.services import Platform
from liucheng.services import mirror as mirror_module
from liucheng.services.export import export_events
from liucheng.services.mirror import GAP_GRACE_S, default_mirror_path, sync_mirror
from liucheng.sim import run_demo
from liucheng.store import open_store
from liucheng.store.tables import events as events_table
from tests.cli.conftest import as_json, make_cli

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
COMPARED = ("case_id", "activity", "lifecycle", "resource", "group", "timestamp", "event_type", "task_id",
            "element_id", "case:process_key", "case:category", "case:priority", "case:status")


def _add_cases(store, first: int, count: int, *, steps: int = 3) -> int:
    """Cases with an opening event, ``steps`` comments and one bookkeeping event; business events added."""
    added = 0
    with store.unit_of_work() as uow:
        for n in range(first, first + count):
            case_id = f"C{n:05d}"
            state = CaseState(case_id=case_id, process_key="demo", process_version=1, opened_at=T0,
                              category="complaint" if n % 2 else "inquiry", priority=f"P{n % 4 + 1}",
                              title=f"case {n}")
            events = [Event(case_id=case_id, type=EventType.CASE_OPENED, at=T0 + timedelta(hours=n),
                            activity="Case opened", lifecycle=Lifecycle.COMPLETE, resource="system")]
            events += [Event(case_id=case_id, type=EventType.COMMENT_ADDED, at=T0 + timedelta(hours=n, minutes=i),
                             activity=f"Step {(n + i) % 3}", lifecycle=Lifecycle.COMPLETE, resource=f"agent{i}",
                             group="first line", data={"note": f"n{i}"}) for i in range(1, steps + 1)]
            events.append(Event(case_id=case_id, type=EventType.TOKEN_MOVED, at=T0, data={"token_id": "k1"}))
            uow.cases.insert(state, events, T0)
            added += steps + 1
    return added


def _same_events(mirrored, exported) -> None:
    """Row for row by seq; a column the export leaves out (no event has it) is empty in the mirror."""
    ours, theirs = mirrored.table.sort_by("seq"), exported.table.sort_by("seq")
    assert ours["seq"].to_pylist() == theirs["seq"].to_pylist()
    for name in COMPARED:
        if name in theirs.column_names:
            assert ours[name].to_pylist() == theirs[name].to_pylist(), name
        else:
            assert ours[name].null_count == len(ours), name


def _exported(platform, folder):
    export_events(platform, folder / "export.parquet", format="parquet")
    return load_log(folder / "export.parquet")


@pytest.fixture
def platform(store):
    return Platform(store)


def test_the_mirror_holds_what_an_export_holds_and_follows_new_events(platform, tmp_path):
    added = _add_cases(platform.store, 0, 30)
    path = tmp_path / "log.duckdb"
    first = sync_mirror(platform, path)
    assert (first.events_added, first.cases_updated, first.events_total) == (added, 30, added)
    _same_events(read_mirror(path), _exported(platform, tmp_path))

    assert sync_mirror(platform, path).events_added == 0  # nothing new, nothing read twice

    more = _add_cases(platform.store, 30, 12, steps=5)
    second = sync_mirror(platform, path)
    assert (second.events_added, second.cases_updated, second.events_total) == (more, 12, added + more)
    mirrored = read_mirror(path)
    _same_events(mirrored, _exported(platform, tmp_path))
    assert load_log(path).n_events == added + more  # what `liucheng analyze FILE.duckdb` reads


def test_an_interrupted_run_leaves_the_mirror_as_it_was(platform, tmp_path, monkeypatch):
    path = tmp_path / "log.duckdb"
    before = _add_cases(platform.store, 0, 5)
    sync_mirror(platform, path)
    _add_cases(platform.store, 5, 5)

    def broken(*args, **kwargs):
        raise RuntimeError("killed between the events and the cases")

    monkeypatch.setattr(mirror_module, "_refresh_cases", broken)
    with pytest.raises(RuntimeError):
        sync_mirror(platform, path)
    assert read_mirror(path).n_events == before
    monkeypatch.undo()
    assert sync_mirror(platform, path).events_total == 2 * before


def test_bad_targets_and_files_are_named(platform, tmp_path, store_url):
    _add_cases(platform.store, 0, 2)
    with pytest.raises(ValidationError, match=r"\*\.duckdb"):
        sync_mirror(platform, tmp_path / "log.parquet")
    with pytest.raises(ValidationError, match="does not exist"):
        sync_mirror(platform, tmp_path / "missing" / "log.duckdb")
    with pytest.raises(MirrorError, match="no mirror at this path"):
        read_mirror(tmp_path / "none.duckdb")
    plain = tmp_path / "plain.duckdb"
    duckdb.connect(str(plain)).close()
    with pytest.raises(MirrorError, match="not a liucheng mirror"):
        read_mirror(plain)
    # A mirror follows one store: syncing another into it is refused, --rebuild starts again.
    path = tmp_path / "log.duckdb"
    sync_mirror(platform, path)
    with open_store(f"sqlite:///{tmp_path / 'other.db'}") as other:
        _add_cases(other, 0, 1)
        with pytest.raises(MirrorError, match="follows"):
            sync_mirror(Platform(other), path)
        assert sync_mirror(Platform(other), path, rebuild=True).events_total == 4


def test_the_default_path_sits_beside_a_sqlite_database(tmp_path):
    assert default_mirror_path(f"sqlite:///{tmp_path / 'centre.db'}") == tmp_path / "centre.mirror.duckdb"
    assert default_mirror_path("postgresql+psycopg://u@h/db").name == "liucheng.mirror.duckdb"


def _insert_event(connection, case_id: str, activity: str) -> None:
    connection.execute(insert(events_table).values(case_id=case_id, type=str(EventType.COMMENT_ADDED),
                                                   at=T0 + timedelta(days=3), activity=activity, lifecycle="complete",
                                                   data="{}"))


@pytest.mark.postgres
def test_a_transaction_that_commits_late_is_picked_up_by_the_next_run(pg_url, tmp_path):
    with open_store(pg_url) as store:
        platform = Platform(store)
        _add_cases(store, 0, 2)
        path = tmp_path / "log.duckdb"
        sync_mirror(platform, path)
        slow = create_engine(pg_url)
        try:
            with slow.connect() as connection:
                transaction = connection.begin()
                _insert_event(connection, "C00000", "Late")  # takes a seq, not yet committed
                with store.engine.begin() as fast:
                    _insert_event(fast, "C00001", "Early")  # a higher seq, committed first
                early = sync_mirror(platform, path, wall=lambda: 1000.0)
                assert early.pending_gaps == 1
                assert "Late" not in read_mirror(path).table["activity"].to_pylist()
                transaction.commit()
            late = sync_mirror(platform, path, wall=lambda: 1010.0)
            assert (late.events_added, late.pending_gaps) == (1, 0)
            activities = read_mirror(path).table["activity"].to_pylist()
            assert activities.count("Late") == 1 and activities.count("Early") == 1

            # A rolled-back transaction leaves a hole for good: it is awaited for the grace period only.
            with slow.connect() as connection:
                transaction = connection.begin()
                _insert_event(connection, "C00000", "Never")
                transaction.rollback()
            with store.engine.begin() as fast:
                _insert_event(fast, "C00001", "After")
            assert sync_mirror(platform, path, wall=lambda: 2000.0).pending_gaps == 1
            assert sync_mirror(platform, path, wall=lambda: 2000.0 + GAP_GRACE_S + 1).pending_gaps == 0
            _same_events(read_mirror(path), _exported(platform, tmp_path))
        finally:
            slow.dispose()


def test_analyses_of_the_mirror_equal_those_of_the_exported_xes(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    run_demo(url, cases=120, seed=11, export_to=tmp_path / "demo.xes.gz")
    with open_store(url, create=False) as store:
        sync_mirror(Platform(store), tmp_path / "demo.duckdb")
    mirrored, exported = load_log(tmp_path / "demo.duckdb"), load_log(tmp_path / "demo.xes.gz")
    assert mirrored.n_events == exported.n_events and mirrored.n_cases == exported.n_cases
    assert discover_dfg(mirrored, performance=True) == discover_dfg(exported, performance=True)
    assert get_variants(mirrored) == get_variants(exported)
    # Case attributes come from the store's case rows; the export writes the same ones.
    def categories(events):
        return dict(zip(events.table["case_id"].to_pylist(), events.table["case:category"].to_pylist(), strict=True))

    assert categories(mirrored) == categories(exported)
    assert len(set(categories(mirrored).values())) > 1


def test_the_cli_keeps_a_mirror_that_analyses_read(tmp_path):
    url = f"sqlite:///{tmp_path / 'centre.db'}"
    cli = make_cli(url)
    cli("init")
    with open_store(url, create=False) as store:
        added = _add_cases(store, 0, 6)
    out = as_json(cli("events", "mirror", "-F", "json"))
    assert out["events_added"] == added and out["path"] == str(tmp_path / "centre.mirror.duckdb")
    dfg = as_json(cli("mine", "dfg", str(tmp_path / "centre.mirror.duckdb"), "--format", "json"))
    assert (dfg["cases"], dfg["events"]) == (6, added)
    assert {(e["source"], e["target"]) for e in dfg["edges"]} >= {("Case opened", "Step 1"), ("Case opened", "Step 2")}
