"""Properties over random runs: replay rebuilds the state, save/restore changes nothing, purity."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liucheng.core.errors import LiuchengError
from liucheng.engine import (
    AddComment,
    CancelCase,
    ClaimTask,
    CompleteTask,
    FireTimer,
    PutOnHold,
    ReassignTask,
    ReceiveMessage,
    ReleaseTask,
    ReopenCase,
    Resume,
    TaskStatus,
    decode_state,
    encode_state,
    replay,
    step,
)
from liucheng.engine.state import CaseStatus
from liucheng.process.spec import Element
from tests.engine.builders import T0, K, context, definition, timer
from tests.engine.test_flow import gateway_process, inclusive_process
from tests.engine.test_sla import POLICY

AGENTS = ["alice", "bob", "carol"]


def everything_process():
    return definition(
        "all",
        [
            Element("start", K.START_EVENT),
            Element("register", K.USER_TASK, lane="agent"),
            Element(
                "late", K.BOUNDARY_TIMER, attached_to="register", cancel_activity=False, timer=timer(1800, cycle=2)
            ),
            Element("nudge", K.USER_TASK, lane="team_lead"),
            Element("nudged", K.END_EVENT),
            Element("xor", K.EXCLUSIVE_GATEWAY),
            Element("fix", K.USER_TASK, lane="back_office", step_sla_s=3600),
            Element("kill", K.BOUNDARY_TIMER, attached_to="fix", timer=timer(7200)),
            Element("ebg", K.EVENT_BASED_GATEWAY),
            Element("reply", K.MESSAGE_CATCH, message="reply", waits_on_customer=True),
            Element("wait", K.TIMER_CATCH, timer=timer(86400)),
            Element("split", K.PARALLEL_GATEWAY),
            Element("a", K.USER_TASK, lane="quality"),
            Element("b", K.MANUAL_TASK, lane="agent"),
            Element("join", K.PARALLEL_GATEWAY),
            Element("end", K.END_EVENT),
            Element("end2", K.END_EVENT),
        ],
        [
            "start->register",
            "late->nudge",
            "nudge->nudged",
            "register->xor",
            "xor->fix: pick == 1",
            "xor->ebg: default",
            "fix->split",
            "kill->end2",
            "ebg->reply",
            "ebg->wait",
            "reply->split",
            "wait->split",
            "split->a",
            "split->b",
            "a->join",
            "b->join",
            "join->end",
        ],
    )


PROCESSES = [everything_process(), gateway_process(), inclusive_process()]
CTX = context(*PROCESSES, policy=POLICY)
FORMS = st.fixed_dictionaries(
    {
        "pick": st.integers(0, 1),
        "level": st.sampled_from(["vip", "x"]),
        "amount": st.integers(0, 2000),
        "billing": st.booleans(),
        "network": st.booleans(),
    }
)


def _choices(state, now):
    """Every command that makes sense now (some will still be refused; that is fine)."""
    options = []
    for task in state.active_tasks():
        if task.status is TaskStatus.OPEN:
            options.append(("claim", task.id))
        options.append(("complete", task.id))
        options.append(("reassign", task.id))
        if task.status is TaskStatus.CLAIMED:
            options.append(("release", task.id))
    for timer_ in state.timers.values():
        options.append(("timer", timer_.id))
    options += [("comment", None), ("hold", None), ("resume", None), ("message", None)]
    if state.is_closed:
        options += [("reopen", None)] * 3
    else:
        options.append(("cancel", None))
    return options


def _command(kind, ref, state, data):
    agent = data.draw(st.sampled_from(AGENTS))
    task = state.tasks.get(ref) if ref else None
    match kind:
        case "claim":
            return ClaimTask(task_id=ref, by=agent)
        case "complete":
            by = task.assignee if task and task.assignee else agent
            return CompleteTask(task_id=ref, by=by, form=data.draw(FORMS))
        case "reassign":
            if data.draw(st.booleans()):
                return ReassignTask(task_id=ref, by="lead", to_user=agent)
            return ReassignTask(task_id=ref, by="lead", to_group=data.draw(st.sampled_from(["agent", "team_lead"])))
        case "release":
            return ReleaseTask(task_id=ref, by=task.assignee if task else agent)
        case "timer":
            return FireTimer(timer_id=ref)
        case "comment":
            return AddComment(text="called the customer", by=agent, public=data.draw(st.booleans()))
        case "hold":
            return PutOnHold(by=agent)
        case "resume":
            return Resume(by=agent)
        case "message":
            return ReceiveMessage(name="reply", data={"answer": "yes"}, by="customer")
        case "reopen":
            return ReopenCase(by="customer")
        case _:
            return CancelCase(by="lead")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), process=st.sampled_from([p.key for p in PROCESSES]), n_steps=st.integers(1, 40))
def test_replay_rebuilds_state_and_save_restore_changes_nothing(data, process, n_steps):
    from liucheng.engine import OpenCase

    now = T0
    opened = OpenCase(case_id="P1", process_key=process, category="complaint", priority="P1")
    live, events = step(None, opened, now, CTX)
    restored = decode_state(encode_state(live))
    log = list(events)
    for _ in range(n_steps):
        options = _choices(live, now)
        kind, ref = data.draw(st.sampled_from(options))
        now += timedelta(minutes=data.draw(st.integers(0, 600)))
        if kind == "timer":
            now = max(now, live.timers[ref].due_at)
        command = _command(kind, ref, live, data)
        before = encode_state(live)
        try:
            live_next, live_events = step(live, command, now, CTX)
        except LiuchengError as exc:  # a refused command must leave the state as it was ...
            assert encode_state(live) == before
            # ... and the restored copy must refuse it the same way
            try:
                step(decode_state(encode_state(restored)), command, now, CTX, owned=True)
            except LiuchengError as exc2:
                assert type(exc2) is type(exc) and str(exc2) == str(exc)
            else:
                raise AssertionError("restored state accepted a command the live one refused") from exc
            continue
        assert encode_state(live) == before, "step mutated its input"
        # The restored copy is handed over (owned): working in place must give the same result.
        restored_next, restored_events = step(restored, command, now, CTX, owned=True)
        assert restored_events == live_events
        assert encode_state(restored_next) == encode_state(live_next)
        live, log = live_next, log + live_events
        restored = decode_state(encode_state(restored_next))
        assert encode_state(replay(log)) == encode_state(live)
        # invariants a user would notice
        if live.status in (CaseStatus.COMPLETED, CaseStatus.CANCELLED, CaseStatus.TERMINATED):
            assert not live.active_tasks() and not live.tokens
            assert all(t.purpose == "sla" for t in live.timers.values()) is True
            assert not [t for t in live.timers.values()]
        for clock in live.clocks.values():
            assert sum(clock.held_s.values()) == clock.elapsed_s
