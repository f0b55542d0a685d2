"""Use cases against the real store: versions, races between agents, assignment, the worker."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from liucheng.core.clock import FrozenClock
from liucheng.core.errors import ConflictError
from liucheng.engine import EventType
from liucheng.services import CaseService, Platform, Worker, deploy, save_assignment_rules
from liucheng.store import open_store

LIBRARY = Path(__file__).parents[2] / "src" / "liucheng" / "library"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

TWO_STEPS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="two" name="Two steps" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="agent"><bpmn:flowNodeRef>a</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>b</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="a" name="A"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="b" name="B"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
    <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="B_TARGET"/>
    <bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def platform(store):
    return Platform(store, clock=FrozenClock(T0))


def test_changed_model_is_a_new_version_and_running_cases_keep_theirs(platform):
    v1 = TWO_STEPS.replace("B_TARGET", "b")
    [first] = deploy(platform, v1)
    assert (first.version, first.created) == (1, True)
    assert deploy(platform, v1)[0].created is False  # same model: no new version
    service = CaseService(platform)
    old_case, _ = service.open_case(process_key="two")
    # version 2 renames task A; moving shapes alone would not make a version
    v2 = v1.replace('name="A"', 'name="A (checked)"')
    [second] = deploy(platform, v2)
    assert (second.version, second.created) == (2, True)
    new_case, _ = service.open_case(process_key="two")
    assert new_case.process_version == 2 and old_case.process_version == 1
    assert new_case.active_tasks()[0].name == "A (checked)"
    # the old case still walks version 1
    state, _ = service.complete(old_case.active_tasks()[0].id, by="alice")
    assert state.process_version == 1
    assert [t.name for t in state.tasks.values()] == ["A", "B"]


def test_two_agents_claiming_one_task_exactly_one_wins(platform):
    deploy(platform, TWO_STEPS.replace("B_TARGET", "b"))
    service = CaseService(platform)
    for _ in range(5):
        state, _ = service.open_case(process_key="two")
        task_id = state.active_tasks()[0].id
        barrier = threading.Barrier(4)
        results: list[object] = []

        def claim(
            agent: str, task_id: str = task_id, barrier: threading.Barrier = barrier, results: list = results
        ) -> None:
            barrier.wait()
            try:
                service.claim(task_id, by=agent)
                results.append(agent)
            except ConflictError as exc:
                results.append(exc)

        threads = [threading.Thread(target=claim, args=(f"agent{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [r for r in results if isinstance(r, str)]
        losers = [r for r in results if isinstance(r, ConflictError)]
        assert len(winners) == 1 and len(losers) == 3
        assert all("already claimed by" in str(e) for e in losers)
        final = service.get(state.case_id)
        assert final.tasks[task_id].assignee == winners[0]
        claimed = [e for e in service.events(state.case_id) if e.type is EventType.TASK_CLAIMED]
        assert len(claimed) == 1


def _org(platform, members):
    with platform.store.unit_of_work() as uow:
        uow.org.add_group("agent", "Agents", kind="role")
        for user, skills in members.items():
            uow.org.add_user(user, user)
            uow.org.add_membership(user, "agent")
            for skill in skills:
                uow.org.add_skill(user, skill)


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("round_robin", ["ann", "bo", "cy", "ann", "bo", "cy"]),
        ("least_loaded", ["ann", "bo", "cy", "ann", "bo", "cy"]),
        ("queue", [None] * 6),
    ],
)
def test_assignment_strategies_give_new_tasks_to_the_right_people(platform, strategy, expected):
    deploy(platform, TWO_STEPS.replace("B_TARGET", "b"))
    _org(platform, {"ann": [], "bo": [], "cy": []})
    with platform.store.unit_of_work() as uow:
        save_assignment_rules(uow, {"agent": strategy})
    service = CaseService(platform)
    got = [service.open_case(process_key="two")[0].active_tasks()[0].assignee for _ in range(6)]
    assert got == expected


def test_least_loaded_counts_open_work_and_skill_routing_needs_every_skill(platform):
    xml = TWO_STEPS.replace("B_TARGET", "b").replace(
        '<bpmn:userTask id="a" name="A">',
        '<bpmn:userTask id="a" name="A" xmlns:liucheng="http://liucheng.io/schema/bpmn" liucheng:skills="vip,billing">',
    )
    deploy(platform, xml)
    _org(platform, {"ann": ["vip"], "bo": ["vip", "billing"], "cy": ["vip", "billing"]})
    service = CaseService(platform)
    with platform.store.unit_of_work() as uow:
        save_assignment_rules(uow, {"agent": "skill"})
    platform.reload()
    got = [service.open_case(process_key="two")[0].active_tasks()[0].assignee for _ in range(4)]
    # ann lacks billing; bo and cy share the work by load
    assert got == ["bo", "cy", "bo", "cy"]


def test_worker_fires_each_due_timer_once_with_concurrent_workers(pg_url):
    store = open_store(pg_url)
    clock = FrozenClock(T0)
    platform = Platform(store, clock=clock)
    deploy(platform, TWO_STEPS.replace("B_TARGET", "b"))
    with store.unit_of_work() as uow:
        uow.sla_policies.put(
            "p",
            {
                "name": "p",
                "targets": [{"category": "*", "priority": "*", "first_response": "PT1H", "resolution": "PT4H"}],
            },
        )
    service = CaseService(platform)
    for _ in range(30):
        service.open_case(process_key="two", category="complaint", priority="P1")
    clock.advance(timedelta(days=30))
    stats = []

    def work():
        stats.append(Worker(Platform(store, clock=clock), batch=5).fire_due_timers())

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with store.unit_of_work(read_only=True) as uow:
        fired = [e for _, e in uow.events.iter_all() if e.type is EventType.TIMER_FIRED]
    counts = Counter(e.data["timer_id"] for e in fired)
    assert counts and max(counts.values()) == 1
    # warnings at 50 % and 75 % and the breach, for both clocks of every case
    assert sum(s.timers_fired for s in stats) == len(fired) == 30 * 6
    assert sum(1 for s in stats if s.timers_fired) >= 2  # the work was shared
    assert all(not s.errors for s in stats)


PARENT_CHILD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="child" isExecutable="true">
    <bpmn:startEvent id="cs"/><bpmn:userTask id="fix" name="Fix"/><bpmn:endEvent id="ce"/>
    <bpmn:sequenceFlow id="c1" sourceRef="cs" targetRef="fix"/>
    <bpmn:sequenceFlow id="c2" sourceRef="fix" targetRef="ce"/>
  </bpmn:process>
  <bpmn:process id="parent" isExecutable="true">
    <bpmn:startEvent id="ps"/><bpmn:callActivity id="call" calledElement="child"/>
    <bpmn:boundaryEvent id="late" attachedToRef="call" cancelActivity="true">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="chase" name="Chase"/><bpmn:endEvent id="pe"/><bpmn:endEvent id="pe2"/>
    <bpmn:sequenceFlow id="p1" sourceRef="ps" targetRef="call"/>
    <bpmn:sequenceFlow id="p2" sourceRef="call" targetRef="pe"/>
    <bpmn:sequenceFlow id="p3" sourceRef="late" targetRef="chase"/>
    <bpmn:sequenceFlow id="p4" sourceRef="chase" targetRef="pe2"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_call_activity_child_finishes_and_the_parent_goes_on(platform):
    deploy(platform, PARENT_CHILD)
    service = CaseService(platform)
    parent, _ = service.open_case(process_key="parent")
    [call] = parent.active_tasks()
    child = service.get(call.child_case_id)
    assert child.parent_case_id == parent.case_id and child.process_key == "child"
    service.complete(child.active_tasks()[0].id, by="bob", form={"fixed": True})
    assert service.get(child.case_id).status.value == "completed"
    final = service.get(parent.case_id)
    assert final.status.value == "completed" and final.data == {"fixed": True}


def test_cancelling_a_parent_cancels_its_running_child_in_the_same_transaction(platform):
    deploy(platform, PARENT_CHILD)
    service = CaseService(platform)
    parent, _ = service.open_case(process_key="parent")
    child_id = parent.active_tasks()[0].child_case_id
    service.cancel(parent.case_id, by="lead", reason="duplicate")
    assert service.get(parent.case_id).status.value == "cancelled"
    assert service.get(child_id).status.value == "cancelled"


def test_an_interrupting_timer_on_a_call_activity_cancels_the_child(platform):
    deploy(platform, PARENT_CHILD)
    service = CaseService(platform)
    parent, _ = service.open_case(process_key="parent")
    child_id = parent.active_tasks()[0].child_case_id
    platform.clock.advance(timedelta(hours=2))
    assert Worker(platform).fire_due_timers().timers_fired == 1
    after = service.get(parent.case_id)
    assert [t.element_id for t in after.active_tasks()] == ["chase"]
    assert service.get(child_id).status.value == "cancelled"


TIMER_THEN_CHOICE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="wait_then_choose" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:exclusiveGateway id="big" default="small_path"/>
    <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="big"/>
    <bpmn:sequenceFlow id="big_path" sourceRef="big" targetRef="e1">
      <bpmn:conditionExpression>amount &gt; 100</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="small_path" sourceRef="big" targetRef="e2"/>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.parametrize("batch", [1, 50])
def test_a_timer_that_fails_is_reported_and_the_others_still_fire(platform, batch):
    deploy(platform, TIMER_THEN_CHOICE)
    service = CaseService(platform)
    good = [service.open_case(process_key="wait_then_choose", data={"amount": 500})[0].case_id for _ in range(3)]
    bad, _ = service.open_case(process_key="wait_then_choose")  # no amount: the condition cannot be read
    platform.clock.advance(timedelta(hours=2))
    stats = Worker(platform, batch=batch).fire_due_timers()
    assert stats.timers_fired == 3
    assert len(stats.errors) == 1 and bad.case_id in stats.errors[0] and "amount" in stats.errors[0]
    assert all(service.get(c).status.value == "completed" for c in good)
    assert service.get(bad.case_id).status.value == "open"  # untouched, still waiting for its timer
    again = Worker(platform, batch=batch).fire_due_timers()  # reported again, never a hang
    assert again.timers_fired == 0 and len(again.errors) == 1
