"""Races between real connections: threads in one process and separate OS processes."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from liucheng.core.errors import ConflictError
from liucheng.engine import AddComment, FireTimer, step
from liucheng.store import Store, head_revision, open_store
from tests.store.engine_cases import CTX, T0, apply, open_case

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 60  # a generous ceiling for a stuck peer, never a timing assumption


def test_two_threads_save_the_same_version_and_exactly_one_wins(store: Store) -> None:
    with store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
        opening_events = uow.events.count()
    racers = 6
    loaded = threading.Barrier(racers, timeout=WAIT_S)

    def race(n: int) -> str:
        with store.unit_of_work() as uow:
            state, version = uow.cases.get_for_update("C-1")
        new_state, events = step(state, AddComment(text=f"racer {n}", by=f"u{n}"), T0, CTX)
        loaded.wait()  # everyone holds version 1 before anyone saves
        try:
            with store.unit_of_work() as uow:
                uow.cases.save(new_state, events, expected_version=version, now=T0)
        except ConflictError:
            return "conflict"
        return f"won {n}"

    with ThreadPoolExecutor(racers) as pool:
        results = list(pool.map(race, range(racers)))
    winners = [r for r in results if r.startswith("won")]
    assert len(winners) == 1 and results.count("conflict") == racers - 1
    with store.unit_of_work() as uow:
        comments = [e for e in uow.events.for_case("C-1") if e.type == "comment.added"]
        [row] = uow.cases.list()
    assert [e.data["text"] for e in comments] == [f"racer {winners[0].split()[1]}"]
    assert row.row_version == 2 and row.event_count == opening_events + 1


def test_two_processes_save_the_same_version_and_exactly_one_wins(store_url: str, tmp_path: Path) -> None:
    with open_store(store_url) as store, store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.store.worker", "conflict", store_url, "C-1", str(tmp_path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for _ in range(WAIT_S * 100):
            if len(list(tmp_path.glob("loaded-*"))) == 2 or any(c.poll() is not None for c in children):
                break
            threading.Event().wait(0.01)
        (tmp_path / "go").touch()
        outputs = sorted(c.communicate(timeout=WAIT_S)[0].strip() for c in children)
    finally:
        for child in children:
            child.kill()
    assert outputs == ["conflict", "won"]
    with open_store(store_url) as store, store.unit_of_work() as uow:
        [row] = uow.cases.list()
        assert row.row_version == 2 and row.event_count == len(uow.events.for_case("C-1"))


def test_concurrent_timer_workers_claim_disjoint_timers(store: Store) -> None:
    with store.unit_of_work() as uow:
        for i in range(40):
            open_case(uow, f"C-{i:02d}", T0)
    due_at = T0 + timedelta(hours=1)
    a_claimed, b_claimed = threading.Event(), threading.Event()
    overlap = store.dialect == "postgresql"  # SQLite writers queue instead of overlapping

    def worker(name: str) -> list[str]:
        mine, theirs = (a_claimed, b_claimed) if name == "a" else (b_claimed, a_claimed)
        if name == "b" and overlap:
            assert a_claimed.wait(WAIT_S)
        with store.unit_of_work() as uow:
            claimed = uow.timers.due(due_at, limit=25)
            mine.set()
            if name == "a" and overlap:
                # Hold the locks until b has picked its share, so the two really overlap.
                assert theirs.wait(WAIT_S)
            for timer_id, case_id in claimed:
                apply(uow, case_id, FireTimer(timer_id=timer_id), due_at)
        return [timer_id for timer_id, _ in claimed]

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(worker, ["a", "b"])
    assert len(first) == 25 and len(second) == 15
    assert not set(first) & set(second)
    assert len(set(first) | set(second)) == 40
    with store.unit_of_work() as uow:
        assert uow.timers.due(due_at + timedelta(days=1), limit=100) == []
        assert len(uow.tasks.list(lane="lead", status="open", limit=100)) == 40


def test_concurrent_writers_keep_every_case_in_order(store: Store) -> None:
    cases, steps = 4, 25
    with store.unit_of_work() as uow:
        for c in range(cases):
            open_case(uow, f"C-{c}", T0)
        opening_events = uow.events.count() // cases

    def writer(c: int) -> None:
        for i in range(steps):
            with store.unit_of_work() as uow:
                apply(uow, f"C-{c}", AddComment(text=str(i), by="ann"), T0 + timedelta(seconds=i))

    with ThreadPoolExecutor(cases) as pool:
        list(pool.map(writer, range(cases)))
    with store.unit_of_work() as uow:
        seqs = [s for s, _ in uow.events.iter_all()]
        for c in range(cases):
            texts = [e.data["text"] for e in uow.events.for_case(f"C-{c}") if e.type == "comment.added"]
            assert texts == [str(i) for i in range(steps)]
        rows = {r.case_id: r for r in uow.cases.list()}
        assert all(r.row_version == steps + 1 for r in rows.values())
        assert {event.case_id for _, event in uow.events.iter_all(order="case")} == set(rows)
    assert seqs == sorted(set(seqs)) and len(seqs) == cases * (opening_events + steps)


@pytest.mark.parametrize("racers", [6])
def test_parallel_open_store_migrates_once(store_url: str, racers: int) -> None:
    """Several processes starting on an empty database: all succeed, one schema, one version row."""
    code = "import sys; from liucheng.store import open_store; open_store(sys.argv[1]).close(); print('ok')"
    children = [
        subprocess.Popen([sys.executable, "-c", code, store_url], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(racers)
    ]
    outputs = [c.communicate(timeout=WAIT_S * 2)[0].strip() for c in children]
    assert outputs == ["ok"] * racers
    with open_store(store_url, create=False) as store, store.engine.connect() as connection:
        versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    assert versions == [head_revision()]
