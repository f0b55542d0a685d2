"""The benchmark model is valid for both engines and both take the same path through it.

SpiffWorkflow is the independent check: an engine we did not write reads the same file and must
complete the same user tasks in the same order for the same amount.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from benchmarks.six_step import (
    PROCESS_KEY,
    MemorySink,
    amount_for,
    drive_liucheng_case,
    drive_liucheng_in_memory,
    drive_spiff_case,
    expected_path,
    liucheng_definition,
    spiff_spec,
)
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

from liucheng.core.clock import FrozenClock
from liucheng.engine import EngineContext, EventType
from liucheng.engine.context import Definitions
from liucheng.services import CaseService, Platform, Worker, deploy
from liucheng.store import open_store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BPMN = Path(__file__).parents[2] / "benchmarks" / "processes" / "six_step.bpmn"


@pytest.mark.parametrize("amount", [50, 100, 101, 150])
def test_both_engines_complete_the_same_six_tasks(tmp_path: Path, amount: int) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'bench.db'}")
    try:
        clock = FrozenClock(T0)
        platform = Platform(store, clock=clock)
        (deployment,) = deploy(platform, BPMN)
        assert deployment.key == PROCESS_KEY
        service = CaseService(platform)
        ours = drive_liucheng_case(service, Worker(platform), clock, case_id="B-1", amount=amount)
        events = service.events("B-1")
        assert service.get("B-1").status == "completed"
    finally:
        store.close()

    sink = MemorySink()
    theirs = drive_spiff_case(spiff_spec(), sink, case_id="B-1", amount=amount)

    assert ours == theirs == expected_path(amount)
    types = [e.type for e in events]
    assert types.count(EventType.TIMER_FIRED) == 1
    assert types.count(EventType.TASK_COMPLETED) == 6
    assert types[-1] == EventType.CASE_COMPLETED
    # What the Spiff application saved after its last step restores a finished workflow.
    restored = BpmnWorkflowSerializer().deserialize_json(sink.saved["B-1"])
    assert restored.is_completed()


@pytest.mark.parametrize("claim", [False, True])
def test_engine_alone_takes_the_path_the_services_take(claim: bool) -> None:
    definitions = Definitions()
    definitions.add(liucheng_definition())
    ctx = EngineContext(definitions=definitions)
    kept: dict[str, bytes] = {}
    for n in range(4):
        amount = amount_for(n)
        path = drive_liucheng_in_memory(
            ctx, FrozenClock(T0), case_id=f"M-{n}", amount=amount, keep=kept.__setitem__, claim=claim
        )
        assert path == expected_path(amount)
    assert sorted(kept) == ["M-0", "M-1", "M-2", "M-3"]


def test_half_the_cases_need_the_manager() -> None:
    approvals = [expected_path(amount_for(n))[2] for n in range(10)]
    assert approvals.count("manager_approve") == approvals.count("lead_approve") == 5
