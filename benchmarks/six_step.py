"""The six-step benchmark process and how each engine's application drives one case through it.

Both drivers do what an application does on every user action: one persisted step per action.
liucheng goes through ``CaseService`` (claim, then complete: two units of work per task) and lets
the ``Worker`` fire the cooling-off timer after the frozen clock moves past it. SpiffWorkflow has
no claim and no injectable clock, so its driver completes each ready task and serialises the
whole workflow after every step into a ``Sink`` (nothing, memory, or a database row).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from liucheng.core.clock import FrozenClock
from liucheng.engine import ClaimTask, CompleteTask, EngineContext, FireTimer, OpenCase, encode_state, step
from liucheng.process.bpmn import read_bpmn
from liucheng.process.spec import ProcessDefinition
from liucheng.services import CaseService, Worker

BPMN_PATH = Path(__file__).parent / "processes" / "six_step.bpmn"
PROCESS_KEY = "six_step"
TASKS_PER_CASE = 6
#: More than the cooling-off timer (PT1S), so one move of the frozen clock makes it due.
TIMER_STEP = timedelta(seconds=2)
USER = "ann"
#: Polls of an idle case before giving up (about five seconds with the 1 ms pauses).
MAX_IDLE_ROUNDS = 5000


def amount_for(n: int) -> int:
    """Half the cases go to the manager (amount > 100), half to the team lead (the default flow)."""
    return 150 if n % 2 else 50


def expected_path(amount: int) -> list[str]:
    approval = "manager_approve" if amount > 100 else "lead_approve"
    return ["register", "assess", approval, "fulfil", "verify", "close"]


def _form(element_id: str, amount: int) -> dict[str, Any]:
    return {"amount": amount} if element_id == "assess" else {}


# -- liucheng -------------------------------------------------------------------------------------
def drive_liucheng_case(
    service: CaseService, worker: Worker, clock: FrozenClock, *, case_id: str, amount: int, claim: bool = False
) -> list[str]:
    """Open one case and work it to the end; returns the element ids of the completed tasks.

    With ``claim`` each task is claimed in its own transaction before it is completed (what a
    queue UI does); without, ``complete`` claims it in the same transaction (as Spiff's ``run``)."""
    state, _ = service.open_case(process_key=PROCESS_KEY, case_id=case_id, title=f"bench {case_id}")
    done: list[str] = []
    idle_rounds = 0
    while not state.is_closed:
        tasks = state.active_tasks()
        if not tasks:
            # Only the cooling-off timer holds the case. Another worker process may be firing it
            # (its row is locked and skipped here); wait for that commit as a poller would.
            idle_rounds += 1
            if idle_rounds > MAX_IDLE_ROUNDS:
                raise RuntimeError(f"case {case_id} waits with no task and no due timer")
            if idle_rounds > 1:
                time.sleep(0.001)
            clock.advance(TIMER_STEP)
            worker.fire_due_timers()
            state = service.get(case_id)
            continue
        idle_rounds = 0
        task = tasks[0]
        if claim:
            service.claim(task.id, by=USER)
        state, _ = service.complete(task.id, by=USER, form=_form(task.element_id, amount))
        done.append(task.element_id)
    return done


def liucheng_definition() -> ProcessDefinition:
    """The model as version 1, as ``deploy`` would store it the first time."""
    (definition,) = read_bpmn(BPMN_PATH.read_bytes(), filename=str(BPMN_PATH))
    return replace(definition, version=1)


def drive_liucheng_in_memory(
    ctx: EngineContext,
    clock: FrozenClock,
    *,
    case_id: str,
    amount: int,
    keep: Callable[[str, bytes], None],
    claim: bool = False,
) -> list[str]:
    """The engine alone: ``step`` plus ``encode_state`` per command, no database (cf. Spiff + memory).

    As in ``drive_liucheng_case``, ``complete`` claims the task on the way unless ``claim`` asks
    for a separate claim step first (two steps and two encodings per task)."""
    state, _ = step(None, OpenCase(case_id=case_id, process_key=PROCESS_KEY), clock.now(), ctx)
    keep(case_id, encode_state(state))
    done: list[str] = []
    while not state.is_closed:
        tasks = state.active_tasks()
        if tasks:
            task = tasks[0]
            commands: list[Any] = [CompleteTask(task_id=task.id, by=USER, form=_form(task.element_id, amount))]
            if claim:
                commands.insert(0, ClaimTask(task_id=task.id, by=USER))
            done.append(task.element_id)
        else:
            clock.advance(TIMER_STEP)
            commands = [FireTimer(timer_id=t.id) for t in state.timers.values() if t.due_at <= clock.now()]
            if not commands:
                raise RuntimeError(f"case {case_id} waits with no task and no due timer")
        for command in commands:
            # The driver keeps only the result, as an application holding the case in memory would.
            state, _ = step(state, command, clock.now(), ctx, owned=True)
            keep(case_id, encode_state(state))
    return done


# -- SpiffWorkflow --------------------------------------------------------------------------------
_TIMER_DURATION = re.compile(r"(<bpmn:timeDuration[^>]*>)[^<]*(</bpmn:timeDuration>)")


def spiff_source(text: str) -> str:
    """The same model in SpiffWorkflow's dialect.

    Spiff evaluates timer text as a Python expression, so an ISO literal must be quoted. It also
    reads the wall clock and cannot be given a frozen one: a zero duration takes the same path
    (the timer is scheduled, waits, and fires on the next look) without sleeping through it.
    Gateway conditions need no change: ``amount > 100`` is CEL and Python alike.
    """
    return _TIMER_DURATION.sub(r'\1"PT0S"\2', text)


def spiff_spec() -> Any:
    """Parse once; every case reuses the spec, as an application caches it."""
    from lxml import etree
    from SpiffWorkflow.bpmn.parser import BpmnParser

    parser = BpmnParser()
    tree = etree.fromstring(spiff_source(BPMN_PATH.read_text()).encode())
    parser.add_bpmn_xml(tree, filename=str(BPMN_PATH))
    return parser.get_spec(PROCESS_KEY)


class Sink(Protocol):
    """Where a Spiff application puts the workflow after each step."""

    def save(self, case_id: str, workflow: Any) -> None: ...


class NoSink:
    """The engine alone: nothing is serialised (a crash loses every case)."""

    def save(self, case_id: str, workflow: Any) -> None:
        return None


@dataclass
class MemorySink:
    """Serialise to JSON and keep the text in a dict: the serialiser's cost without a database."""

    serializer: Any = None
    saved: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.serializer is None:
            from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

            self.serializer = BpmnWorkflowSerializer()

    def save(self, case_id: str, workflow: Any) -> None:
        self.saved[case_id] = self.serializer.serialize_json(workflow)


def drive_spiff_case(spec: Any, sink: Sink, *, case_id: str, amount: int) -> list[str]:
    """Create a workflow, complete each ready user task, save after every step; returns task names."""
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    workflow = BpmnWorkflow(spec)
    workflow.do_engine_steps()
    sink.save(case_id, workflow)
    done: list[str] = []
    idle_rounds = 0
    while not workflow.is_completed():
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            # What an application's poller does for waiting timers.
            idle_rounds += 1
            if idle_rounds > 3:
                raise RuntimeError(f"Spiff case {case_id} waits with no ready task")
            workflow.refresh_waiting_tasks()
            workflow.do_engine_steps()
            sink.save(case_id, workflow)
            continue
        idle_rounds = 0
        task = ready[0]
        task.data.update(_form(task.task_spec.name, amount))
        task.run()
        workflow.do_engine_steps()
        sink.save(case_id, workflow)
        done.append(task.task_spec.name)
    return done
