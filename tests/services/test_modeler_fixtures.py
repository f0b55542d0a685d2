"""Files saved by real modelers (bpmn.io, Camunda Modeler 7 and 8) deploy unchanged and run to the end."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from liucheng.core.clock import FrozenClock
from liucheng.engine import CaseStatus, encode_state, replay
from liucheng.process import read_bpmn
from liucheng.process.spec import ElementKind
from liucheng.services import CaseService, Platform, Worker, deploy
from tests.services.test_library_runs import drive_to_end, hooks  # noqa: F401  (fixture)

FIXTURES = Path(__file__).parents[1] / "process" / "fixtures"
MODELER_FILES = [p for p in sorted(FIXTURES.glob("*.bpmn")) if p.name != "many_faults.bpmn"]
# What the customer or the start form supplies: each seed takes other branches.
OPEN_DATA = [
    {
        "severity": "high",
        "amount": 9000,
        "reason": "damaged",
        "photos_ok": True,
        "needs_laptop": True,
        "employee": {"site": "beijing"},
    },
    {
        "severity": "low",
        "amount": 200,
        "reason": "other",
        "photos_ok": False,
        "needs_laptop": False,
        "employee": {"site": "remote"},
    },
    {"severity": "low", "amount": 6000, "reason": "late", "photos_ok": True, "needs_laptop": True, "employee": {}},
]
STUB = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d_{key}" targetNamespace="x">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="s"/><bpmn:userTask id="t" name="Do it"/><bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.mark.parametrize("path", MODELER_FILES, ids=lambda p: p.stem)
def test_modeler_file_deploys_unchanged_and_every_process_finishes(store, hooks, path):  # noqa: F811
    clock = FrozenClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    platform = Platform(store, clock=clock)
    definitions = read_bpmn(path)
    keys = {d.key for d in definitions}
    called = {
        e.called_process
        for d in definitions
        for e in d.elements.values()
        if e.kind is ElementKind.CALL_ACTIVITY and e.called_process not in keys
    }
    for key in sorted(called):  # a process the file calls but does not contain
        deploy(platform, STUB.format(key=key))
    deployed = deploy(platform, path)
    assert {d.key for d in deployed} == keys
    service = CaseService(platform)
    worker = Worker(
        platform,
        url_prefixes={"https://pay.example.com": hooks, "https://it.example.com": hooks},
    )
    for key in sorted(keys):
        for seed in range(3):
            state, _ = service.open_case(process_key=key, category="inquiry", priority="P3", data=OPEN_DATA[seed])
            final = drive_to_end(platform, service, worker, clock, state.case_id, random.Random(seed))
            assert final.status in (CaseStatus.COMPLETED, CaseStatus.TERMINATED)
            assert encode_state(replay(service.events(state.case_id))) == encode_state(final)
