"""Two services on one database, each with its own store (as two processes have): the states and
process versions one remembers go stale when the other moves on, and the commands must still
act on what the database holds."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from liucheng.core.clock import FrozenClock
from liucheng.core.errors import ConflictError
from liucheng.engine import EventType, replay
from liucheng.services import CaseService, Platform, deploy
from liucheng.store import open_store
from tests.services.test_services import TWO_STEPS

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
MODEL = TWO_STEPS.replace("B_TARGET", "b")


@pytest.fixture
def services(store_url: str) -> Iterator[tuple[CaseService, CaseService]]:
    """Two case services on one database, sharing nothing but it."""
    first, second = open_store(store_url), open_store(store_url)
    try:
        deploy(Platform(first, clock=FrozenClock(T0)), MODEL)
        yield (
            CaseService(Platform(first, clock=FrozenClock(T0))),
            CaseService(Platform(second, clock=FrozenClock(T0))),
        )
    finally:
        first.close()
        second.close()


def _check_log(service: CaseService, case_id: str) -> None:
    """The stored state is what its stored events replay to, and the row counts them all."""
    events = service.events(case_id)
    with service.platform.store.unit_of_work(read_only=True) as uow:
        [row] = [r for r in uow.cases.list(limit=1000) if r.case_id == case_id]
        stored = uow.cases.get(case_id)
    assert row.event_count == len(events)
    assert replay(events) == stored


def test_services_taking_turns_on_one_case_each_see_the_others_work(services) -> None:
    a, b = services
    state, _ = a.open_case(process_key="two", case_id="C-1")
    first = state.active_tasks()[0].id
    b.claim(first, by="bob")  # a still remembers the case as it opened it
    state, _ = a.complete(first, by="bob", form={"note": "from a"})
    second = state.active_tasks()[0].id
    assert state.tasks[first].status == "completed" and state.tasks[first].assignee == "bob"
    state, _ = b.claim(second, by="carol")  # b remembers version 2, the case is at 3
    assert state.tasks[second].assignee == "carol"
    state, _ = a.complete(second, by="carol")
    assert state.is_closed
    for service in (a, b):
        assert service.get("C-1").is_closed
        _check_log(service, "C-1")
    types = [e.type for e in a.events("C-1")]
    assert types.count(EventType.TASK_CLAIMED) == 2 and types.count(EventType.TASK_COMPLETED) == 2


def test_a_stale_memory_does_not_decide_a_conflict(services) -> None:
    """The engine's verdict on the remembered state does not count, only its verdict on the row."""
    a, b = services
    state, _ = a.open_case(process_key="two", case_id="C-1")
    task = state.active_tasks()[0].id
    a.claim(task, by="ann")
    b.release(task, by="ann")
    # a remembers the task as claimed by ann; it is free again, so bob may take it
    state, _ = a.claim(task, by="bob")
    assert state.tasks[task].assignee == "bob"
    # and the other way round: a remembers its own claim, b's took the task since
    b.release(task, by="bob")
    b.claim(task, by="carol")
    with pytest.raises(ConflictError, match="already claimed by carol"):
        a.claim(task, by="dave")
    assert a.get("C-1").tasks[task].assignee == "carol"
    _check_log(a, "C-1")


def test_a_newer_version_deployed_elsewhere_is_the_one_new_cases_open_on(services) -> None:
    a, b = services
    old, _ = a.open_case(process_key="two")
    assert old.process_version == 1
    deploy(b.platform, MODEL.replace('name="A"', 'name="A (checked)"'))  # a does not hear of it
    new, _ = a.open_case(process_key="two")
    assert new.process_version == 2 and new.active_tasks()[0].name == "A (checked)"
    again, _ = a.open_case(process_key="two")
    assert again.process_version == 2
    with pytest.raises(ConflictError, match="already exists"):
        a.open_case(process_key="two", case_id=new.case_id)


def test_separate_processes_taking_turns_on_one_case(store_url: str, tmp_path: Path) -> None:
    """Each child process opens or steps the case once and remembers it; between its turns the
    other moved the case on."""
    with open_store(store_url) as store:
        deploy(Platform(store, clock=FrozenClock(T0)), MODEL)
    script = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from liucheng.core.clock import FrozenClock\n"
        "from liucheng.services import CaseService, Platform\n"
        "from liucheng.store import open_store\n"
        "clock = FrozenClock(datetime(2026, 3, 2, tzinfo=UTC))\n"
        "service = CaseService(Platform(open_store(sys.argv[1]), clock=clock))\n"
        "for line in sys.stdin:\n"
        "    verb, arg, by = line.split()\n"
        "    try:\n"
        "        if verb == 'open':\n"
        "            state, _ = service.open_case(process_key='two', case_id=arg)\n"
        "            print('ok', state.active_tasks()[0].id, flush=True)\n"
        "            continue\n"
        "        else:\n"
        "            task = service.get(arg).active_tasks()[0].id if verb == 'next' else arg\n"
        "            state, _ = getattr(service, 'complete' if verb == 'next' else verb)(task, by=by)\n"
        "        print('ok', flush=True)\n"
        "    except Exception as exc:\n"
        "        print('error', type(exc).__name__, flush=True)\n"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script, store_url],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        for _ in range(2)
    ]

    def ask(child: subprocess.Popen, line: str) -> str:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(line + "\n")
        child.stdin.flush()
        return child.stdout.readline().strip()

    a, b = children
    try:
        opened, task = ask(a, "open C-1 -").split()
        assert opened == "ok"
        assert ask(b, f"claim {task} bob") == "ok"
        assert ask(a, f"claim {task} ann") == "error ConflictError"  # a's memory says it is free
        assert ask(a, f"release {task} bob") == "ok"
        assert ask(b, f"claim {task} carol") == "ok"  # b's memory says bob has it
        assert ask(a, "next C-1 carol") == "ok"
        assert ask(b, "next C-1 dave") == "ok"  # b never saw task b
    finally:
        for child in children:
            if child.stdin is not None:
                child.stdin.close()
            child.wait(timeout=60)
    with open_store(store_url) as store:
        service = CaseService(Platform(store, clock=FrozenClock(T0)))
        final = service.get("C-1")
        assert final.is_closed
        assert [(t.element_id, t.assignee) for t in final.tasks.values()] == [("a", "carol"), ("b", "dave")]
        _check_log(service, "C-1")
