"""``liucheng worker``: due timers fire once each, in one process or several, and it stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from liucheng.core.clock import FrozenClock
from liucheng.engine import EventType
from liucheng.services import CaseService, Platform, deploy
from liucheng.store import open_store
from tests.cli.conftest import COMPLAINT, URGENT, as_json, make_cli

LIUCHENG = Path(sys.executable).parent / "liucheng"


def _cases_with_overdue_timers(url: str, n: int) -> list[str]:
    """Cases opened three days ago, so their step SLA timers (warnings, breach) are all due now."""
    store = open_store(url)
    try:
        platform = Platform(store, clock=FrozenClock(datetime.now(UTC) - timedelta(days=3)))
        deploy(platform, URGENT)
        deploy(platform, COMPLAINT)
        service = CaseService(platform)
        return [service.open_case(process_key="complaint", category="complaint")[0].case_id for _ in range(n)]
    finally:
        store.close()


def _fired(url: str) -> tuple[list[str], int]:
    """Timer ids of every timer.fired event, and how many timers are still due now."""
    store = open_store(url)
    try:
        with store.unit_of_work(read_only=True) as uow:
            fired = [e.data["timer_id"] for _, e in uow.events.iter_all() if e.type is EventType.TIMER_FIRED]
            now = datetime.now(UTC)
            due = sum(1 for _, _, due_at, _ in uow.timers.list() if due_at <= now)
        return fired, due
    finally:
        store.close()


def test_once_fires_every_due_timer(sqlite_url):
    cli = make_cli(sqlite_url)
    cli("init")
    case_ids = _cases_with_overdue_timers(sqlite_url, 3)
    stats = as_json(cli("worker", "--once", "-F", "json"))
    fired, still_due = _fired(sqlite_url)
    assert still_due == 0
    assert stats["timers_fired"] == len(fired) == len(set(fired)) > 0
    assert stats["errors"] == []
    for case_id in case_ids:
        events = as_json(cli("case", "events", case_id, "--all", "-F", "json"))
        assert EventType.SLA_BREACHED.value in [e["type"] for e in events]
    again = cli("worker", "--once")
    assert "fired 0 timer(s)" in again.stdout


@pytest.mark.slow
@pytest.mark.postgres
def test_several_processes_share_the_timers_and_stop_on_sigterm(pg_url):
    make_cli(pg_url)("init")
    _cases_with_overdue_timers(pg_url, 12)
    env = {**os.environ, "LIUCHENG_DATABASE_URL": pg_url, "COLUMNS": "200"}
    worker = subprocess.Popen(
        [str(LIUCHENG), "worker", "--processes", "3", "--poll", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            fired, still_due = _fired(pg_url)
            if fired and still_due == 0:
                break
            time.sleep(0.5)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    fired, still_due = _fired(pg_url)
    assert still_due == 0
    assert len(fired) == len(set(fired)), "a timer fired twice"
    stopped = [line for line in out.splitlines() if "stopped: fired" in line]
    assert len(stopped) == 3, out
    reported = sum(int(line.split("fired ")[1].split(" ")[0]) for line in stopped)
    assert reported == len(fired)
    assert "Traceback" not in err
