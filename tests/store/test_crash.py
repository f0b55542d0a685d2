"""A writer killed with SIGKILL mid-stream leaves only whole, consistent units of work behind."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from liucheng.engine import EventType, replay
from liucheng.store import open_store
from liucheng.store.cases import task_params
from liucheng.store.tables import cases, events

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
@pytest.mark.parametrize("seed", [1, 2])
def test_sigkill_mid_load_leaves_a_consistent_store(store_url: str, seed: int) -> None:
    rng = random.Random(seed)
    open_store(store_url).close()  # migrate before the child starts
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.store.worker", "load", store_url, f"S{seed}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    done: list[str] = []
    try:
        assert child.stdout is not None
        wanted = rng.randint(3, 12)
        while len(done) < wanted:
            line = child.stdout.readline()
            assert line, f"worker died early with {child.wait()}"
            done.append(line.strip())
        # Somewhere inside the next case's units of work, not on a boundary we chose.
        time.sleep(rng.uniform(0, 0.05))
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    with open_store(store_url, create=False) as store, store.unit_of_work(read_only=True) as uow:
        case_ids = list(uow.connection.execute(select(cases.c.case_id)).scalars())
        orphans = uow.connection.execute(
            select(events.c.seq).where(events.c.case_id.not_in(select(cases.c.case_id)))
        ).all()
        assert orphans == []
        assert set(done) <= set(case_ids)  # everything reported as committed survived
        assert len(case_ids) >= len(done)
        rows = {r.case_id: r for r in uow.cases.list(limit=10_000)}
        for case_id in case_ids:
            state = uow.cases.get(case_id)
            stored = uow.events.for_case(case_id)
            assert stored[0].type is EventType.CASE_OPENED
            assert rows[case_id].event_count == len(stored)
            # The state row is the fold of exactly the events committed with it.
            assert replay(stored) == state
            projected = {t.task_id: t for t in uow.tasks.list(case_id=case_id)}
            assert set(projected) == set(state.tasks)
            for task in state.tasks.values():
                expected = task_params(case_id, task)
                row = projected[task.id]
                assert (row.status, row.assignee, row.ended_at) == (
                    expected["status"],
                    expected["assignee"],
                    expected["ended_at"],
                )
            assert {t[0] for t in uow.timers.list(case_id=case_id)} == set(state.timers)
        for case_id in done:
            assert rows[case_id].row_version == 4
