"""Every process in the shipped library deploys and runs to completion through the real services,
store and worker (webhooks answered by a local HTTP server), on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from liucheng.core.clock import FrozenClock
from liucheng.engine import CaseStatus, EventType, replay
from liucheng.process.spec import HUMAN_TASK_KINDS
from liucheng.services import CaseService, Platform, Worker, deploy

LIBRARY = Path(__file__).parents[2] / "src" / "liucheng" / "library"
CATEGORY = {
    "complaint": "complaint",
    "inquiry": "inquiry",
    "feedback": "feedback",
    "emergency": "emergency",
    "internal_request": "internal_request",
    "urgent_ticket": "complaint",
}


class Hooks(BaseHTTPRequestHandler):
    calls: list[dict] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Hooks.calls.append({"path": self.path, **body})
        payload = json.dumps({"notified": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def hooks():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Hooks.calls = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _form_for(element, rng):
    form = {}
    for field in element.form:
        if field.type == "boolean":
            form[field.id] = rng.random() < 0.5
        elif field.type == "enum":
            form[field.id] = rng.choice(field.values)
        elif field.type == "long":
            form[field.id] = rng.randint(1, 5)
        elif field.type == "date":
            form[field.id] = "2026-03-02"
        else:
            form[field.id] = "ok"
    return form


def drive_to_end(platform, service, worker, clock, case_id, rng, *, max_moves=200):
    """Act like the people and the customer until the case closes."""
    for _ in range(max_moves):
        state = service.get(case_id)
        if state.is_closed:
            return state
        with platform.store.unit_of_work(read_only=True) as uow:
            definition = platform.definition(uow, state.process_key, state.process_version)
        human = [t for t in state.active_tasks() if definition.element(t.element_id).kind in HUMAN_TASK_KINDS]
        if human:
            # the work takes a while, now and then until the next deadline or reminder: timers that
            # fall due meanwhile go off first
            if state.timers and rng.random() < 0.25:
                clock.set(max(clock.now(), min(t.due_at for t in state.timers.values())))
            else:
                clock.advance(timedelta(minutes=rng.randint(1, 40)))
            worker.run_once()
            state = service.get(case_id)
            human = [t for t in state.active_tasks() if definition.element(t.element_id).kind in HUMAN_TASK_KINDS]
        if human:
            task = rng.choice(human)
            service.complete(
                task.id, by=task.assignee or "agent_1", form=_form_for(definition.element(task.element_id), rng)
            )
            continue
        waiting_messages = [
            definition.element(definition.flow(f).target).message
            for token in state.tokens.values()
            for f in (
                definition.element(token.element_id).outgoing
                if definition.element(token.element_id).kind.value == "eventBasedGateway"
                else ()
            )
        ] + [
            definition.element(t.element_id).message
            for t in state.tokens.values()
            if definition.element(t.element_id).kind.value == "intermediateMessageCatchEvent"
        ]
        waiting_messages = [m for m in waiting_messages if m]
        if waiting_messages and rng.random() < 0.5:
            service.message(case_id, waiting_messages[0], data={"customer_reply": "ok"})
            continue
        stats = worker.run_once()
        if stats.timers_fired or stats.jobs_done or stats.jobs_failed:
            continue
        # nothing to do now: jump to the case's next timer, or the children's
        with platform.store.unit_of_work(read_only=True) as uow:
            next_at = uow.timers.next_due_at()
        if next_at is None:
            children = [t.child_case_id for t in state.active_tasks() if t.child_case_id]
            if children:
                drive_to_end(platform, service, worker, clock, children[0], rng, max_moves=max_moves)
                continue
            raise AssertionError(f"case {case_id} is stuck: {state.active_tasks()} {state.tokens}")
        clock.set(max(clock.now(), next_at))
    raise AssertionError(f"case {case_id} did not finish in {max_moves} moves")


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.bpmn")), ids=lambda p: p.stem)
def test_library_process_runs_to_completion(store, hooks, path):
    clock = FrozenClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    platform = Platform(store, clock=clock)
    for bpmn in sorted(LIBRARY.glob("*.bpmn")):
        deploy(platform, bpmn)
    [deployment] = [d for d in deploy(platform, path) if d]
    service = CaseService(platform)
    worker = Worker(platform, url_prefixes={"http://localhost:8080": hooks})
    for seed in range(6):
        rng = random.Random(seed)
        state, _ = service.open_case(
            process_key=deployment.key, category=CATEGORY[deployment.key], priority="P2", customer="13800000000"
        )
        final = drive_to_end(platform, service, worker, clock, state.case_id, rng)
        assert final.status in (CaseStatus.COMPLETED, CaseStatus.TERMINATED)
        events = service.events(state.case_id)
        assert events[0].type is EventType.CASE_OPENED
        assert events[-1].type in (EventType.CASE_COMPLETED, EventType.CASE_TERMINATED)
        # every service task that completed did so because its webhook answered, with the case's data
        webhook_done = {
            e.task_id
            for e in events
            if e.type is EventType.TASK_COMPLETED and final.tasks[e.task_id].kind == "serviceTask"
        }
        called = {c["task_id"] for c in Hooks.calls if c["case_id"] == state.case_id}
        assert webhook_done == called
        assert all(final.data.get("notified") is True for _ in webhook_done)
        # what the store holds rebuilds from the events it holds
        from liucheng.engine import encode_state

        assert encode_state(replay(events)).decode() == encode_state(final).decode()
        clock.advance(timedelta(hours=1))
    if b"serviceTask" in path.read_bytes():
        assert Hooks.calls, "no case of this process reached its webhook"
