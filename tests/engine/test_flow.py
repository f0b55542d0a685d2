"""Tokens through gateways, tasks, timers, messages and call activities."""

from __future__ import annotations

from datetime import timedelta

import pytest

from liucheng.core.errors import ConflictError, InvalidCommandError, ValidationError
from liucheng.engine import (
    CancelCase,
    CaseStatus,
    ChildCaseEnded,
    ClaimTask,
    CompleteServiceTask,
    CompleteTask,
    EventType,
    FailServiceTask,
    FireTimer,
    OpenCase,
    ReassignTask,
    ReceiveMessage,
    ReleaseTask,
    ReopenCase,
    TaskStatus,
    encode_state,
    replay,
    step,
)
from liucheng.engine.flow import ProcessRuntimeError
from liucheng.process.spec import Element, FormField, WebhookSpec
from tests.engine.builders import T0, K, context, definition, simple_task_process, timer


class Driver:
    """Runs commands against one case and keeps every event, checking replay as it goes."""

    def __init__(self, ctx, case_id="C1"):
        self.ctx = ctx
        self.case_id = case_id
        self.state = None
        self.events = []
        self.now = T0

    def do(self, command, *, after: timedelta = timedelta(0)):
        self.now += after
        before = encode_state(self.state) if self.state is not None else None
        new, events = step(self.state, command, self.now, self.ctx)
        if before is not None:
            assert encode_state(self.state) == before, "step mutated its input"
        self.state = new
        self.events.extend(events)
        assert encode_state(replay(self.events)) == encode_state(self.state)
        return events

    def open(self, key, **kw):
        return self.do(OpenCase(case_id=self.case_id, process_key=key, **kw))

    def task(self, element_id, status=None):
        found = [t for t in self.state.tasks.values() if t.element_id == element_id]
        if status:
            found = [t for t in found if t.status == status]
        assert found, f"no task at {element_id}: {[t.element_id for t in self.state.tasks.values()]}"
        return found[-1]

    def active(self):
        return sorted(t.element_id for t in self.state.active_tasks())

    def complete(self, element_id, by="alice", **form):
        return self.do(CompleteTask(task_id=self.task(element_id, TaskStatus.OPEN).id, by=by, form=form))

    def fire_next(self, purpose=None):
        timers = [t for t in self.state.timers.values() if purpose is None or t.purpose == purpose]
        due = min(timers, key=lambda t: t.due_at)
        self.now = max(self.now, due.due_at)
        return self.do(FireTimer(timer_id=due.id))

    def types(self):
        return [e.type for e in self.events]


def test_sequence_runs_to_completion_and_records_who_did_what():
    d = Driver(context(simple_task_process()))
    d.open("simple", category="complaint", priority="P1")
    assert d.active() == ["register"]
    d.complete("register", by="alice", note="called back")
    d.complete("handle", by="bob")
    assert d.state.status is CaseStatus.COMPLETED
    completed = [e for e in d.events if e.type is EventType.TASK_COMPLETED]
    assert [(e.activity, e.resource, e.group) for e in completed] == [
        ("Register", "alice", "agent"),
        ("Handle", "bob", "back_office"),
    ]
    assert d.state.data == {"note": "called back"}
    assert d.events[-1].type is EventType.CASE_COMPLETED


def gateway_process():
    return definition(
        "gw",
        [
            Element("start", K.START_EVENT),
            Element("classify", K.USER_TASK),
            Element("xor", K.EXCLUSIVE_GATEWAY),
            Element("vip", K.USER_TASK),
            Element("normal", K.USER_TASK),
            Element("merge", K.EXCLUSIVE_GATEWAY),
            Element("split", K.PARALLEL_GATEWAY),
            Element("a", K.USER_TASK),
            Element("b", K.USER_TASK),
            Element("join", K.PARALLEL_GATEWAY),
            Element("end", K.END_EVENT),
        ],
        [
            "start->classify",
            "classify->xor",
            'xor->vip: level == "vip" || amount > 1000',
            "xor->normal: default",
            "vip->merge",
            "normal->merge",
            "merge->split",
            "split->a",
            "split->b",
            "a->join",
            "b->join",
            "join->end",
        ],
    )


@pytest.mark.parametrize(
    ("form", "branch"),
    [
        ({"level": "vip", "amount": 1}, "vip"),
        ({"level": "x", "amount": 5000}, "vip"),
        ({"level": "x", "amount": 5}, "normal"),
    ],
)
def test_exclusive_gateway_takes_first_true_condition_else_default(form, branch):
    d = Driver(context(gateway_process()))
    d.open("gw")
    d.complete("classify", **form)
    assert d.active() == [branch]


def test_parallel_join_waits_for_every_branch():
    d = Driver(context(gateway_process()))
    d.open("gw")
    d.complete("classify", level="x", amount=1)
    d.complete("normal")
    assert d.active() == ["a", "b"]
    d.complete("b")
    assert d.active() == ["a"] and d.state.status is CaseStatus.OPEN
    d.complete("a")
    assert d.state.status is CaseStatus.COMPLETED
    assert sum(e.type is EventType.JOIN_FIRED for e in d.events) == 1


def test_condition_error_names_the_flow_and_leaves_the_case_untouched():
    d = Driver(context(gateway_process()))
    d.open("gw")
    before = encode_state(d.state)
    with pytest.raises(Exception) as info:
        d.complete("classify", other=1)  # `level` and `amount` missing
    assert "xor->vip" in str(info.value) or "f2_xor_vip" in str(info.value)
    assert encode_state(d.state) == before


def inclusive_process():
    return definition(
        "incl",
        [
            Element("start", K.START_EVENT),
            Element("triage", K.USER_TASK),
            Element("or", K.INCLUSIVE_GATEWAY),
            Element("billing", K.USER_TASK),
            Element("network", K.USER_TASK),
            Element("sales", K.USER_TASK),
            Element("orjoin", K.INCLUSIVE_GATEWAY),
            Element("reply", K.USER_TASK),
            Element("end", K.END_EVENT),
        ],
        [
            "start->triage",
            "triage->or",
            "or->billing: billing == true",
            "or->network: network == true",
            "or->sales: default",
            "billing->orjoin",
            "network->orjoin",
            "sales->orjoin",
            "orjoin->reply",
            "reply->end",
        ],
    )


def test_inclusive_gateway_runs_the_true_branches_and_joins_only_those():
    d = Driver(context(inclusive_process()))
    d.open("incl")
    d.complete("triage", billing=True, network=True)
    assert d.active() == ["billing", "network"]
    d.complete("network")
    assert d.active() == ["billing"]  # the join still waits for billing
    d.complete("billing")
    assert d.active() == ["reply"]
    d.complete("reply")
    assert d.state.status is CaseStatus.COMPLETED


def test_inclusive_gateway_default_when_nothing_holds():
    d = Driver(context(inclusive_process()))
    d.open("incl")
    d.complete("triage", billing=False, network=False)
    assert d.active() == ["sales"]
    d.complete("sales")
    assert d.active() == ["reply"]


def test_claim_conflict_release_and_reassign():
    d = Driver(context(simple_task_process()))
    d.open("simple")
    task = d.task("register")
    d.do(ClaimTask(task_id=task.id, by="alice"))
    with pytest.raises(ConflictError, match="already claimed by alice"):
        d.do(ClaimTask(task_id=task.id, by="bob"))
    with pytest.raises(ConflictError):
        d.do(CompleteTask(task_id=task.id, by="bob"))
    d.do(ReleaseTask(task_id=task.id, by="alice"))
    d.do(ClaimTask(task_id=task.id, by="bob"))
    d.do(ReassignTask(task_id=task.id, by="lead", to_group="team_lead"))
    assert d.state.tasks[task.id].lane == "team_lead" and d.state.tasks[task.id].assignee is None
    d.do(ReassignTask(task_id=task.id, by="lead", to_user="carol"))
    with pytest.raises(ConflictError, match="assigned to carol"):
        d.do(ClaimTask(task_id=task.id, by="alice"))
    d.do(CompleteTask(task_id=task.id, by="carol"))
    lifecycles = [e.lifecycle for e in d.events if e.task_id == task.id and e.lifecycle]
    assert [str(x) for x in lifecycles] == [
        "schedule",
        "start",
        "suspend",
        "start",
        "reassign",
        "assign",
        "start",
        "complete",
    ]


def test_required_form_field_is_named():
    proc = definition(
        "form",
        [
            Element("start", K.START_EVENT),
            Element(
                "rate",
                K.USER_TASK,
                form=(FormField("score", "Score", "long", required=True), FormField("ok", "OK", "boolean")),
            ),
            Element("end", K.END_EVENT),
        ],
        ["start->rate", "rate->end"],
    )
    d = Driver(context(proc))
    d.open("form")
    with pytest.raises(ValidationError, match=r"rate\.form\.score"):
        d.complete("rate", ok="true")
    with pytest.raises(ValidationError, match="not a whole number"):
        d.complete("rate", score="many")
    d.complete("rate", score="5", ok="false")
    assert d.state.data == {"score": 5, "ok": False}


def boundary_process(*, interrupting: bool, cycle: int | None = None):
    return definition(
        "bt",
        [
            Element("start", K.START_EVENT),
            Element("handle", K.USER_TASK),
            Element(
                "late",
                K.BOUNDARY_TIMER,
                attached_to="handle",
                cancel_activity=interrupting,
                timer=timer(3600, cycle=cycle),
            ),
            Element("remind", K.USER_TASK),
            Element("end", K.END_EVENT),
            Element("end2", K.END_EVENT),
        ],
        ["start->handle", "handle->end", "late->remind", "remind->end2"],
    )


def test_interrupting_boundary_timer_cancels_the_task():
    d = Driver(context(boundary_process(interrupting=True)))
    d.open("bt")
    d.fire_next()
    assert d.active() == ["remind"]
    assert d.task("handle").status is TaskStatus.CANCELLED
    assert d.now == T0 + timedelta(hours=1)


def test_non_interrupting_cycle_timer_repeats_then_stops():
    d = Driver(context(boundary_process(interrupting=False, cycle=3)))
    d.open("bt")
    for _ in range(3):
        d.fire_next()
    assert d.active().count("remind") == 3 and "handle" in d.active()
    assert not d.state.timers
    d.complete("handle")
    for task in list(d.state.active_tasks()):
        d.do(CompleteTask(task_id=task.id, by="x"))
    assert d.state.status is CaseStatus.COMPLETED


def test_completing_the_task_cancels_its_boundary_timer():
    d = Driver(context(boundary_process(interrupting=True)))
    d.open("bt")
    d.complete("handle")
    assert d.state.status is CaseStatus.COMPLETED and not d.state.timers
    with pytest.raises(ConflictError):
        d.do(FireTimer(timer_id=next(e.data["timer_id"] for e in d.events if e.type is EventType.TIMER_SCHEDULED)))


def waiting_process():
    return definition(
        "wait",
        [
            Element("start", K.START_EVENT),
            Element("reply", K.USER_TASK),
            Element("ebg", K.EVENT_BASED_GATEWAY),
            Element("confirmed", K.MESSAGE_CATCH, message="customer_confirmed", waits_on_customer=True),
            Element("three_days", K.TIMER_CATCH, timer=timer(3 * 86400)),
            Element("close", K.END_EVENT),
            Element("auto_close", K.END_EVENT),
        ],
        [
            "start->reply",
            "reply->ebg",
            "ebg->confirmed",
            "ebg->three_days",
            "confirmed->close",
            "three_days->auto_close",
        ],
    )


def test_event_based_gateway_message_wins_and_cancels_the_timer():
    d = Driver(context(waiting_process()))
    d.open("wait")
    d.complete("reply")
    assert d.state.status is CaseStatus.ON_HOLD and len(d.state.timers) == 1
    d.do(ReceiveMessage(name="customer_confirmed", data={"satisfied": True}, by="customer"), after=timedelta(hours=5))
    assert d.state.status is CaseStatus.COMPLETED and not d.state.timers
    assert d.state.data["satisfied"] is True


def test_event_based_gateway_timer_wins():
    d = Driver(context(waiting_process()))
    d.open("wait")
    d.complete("reply")
    d.fire_next()
    assert d.state.status is CaseStatus.COMPLETED
    assert d.now == T0 + timedelta(days=3)
    with pytest.raises(InvalidCommandError, match="is completed"):
        d.do(ReceiveMessage(name="customer_confirmed"))


def test_timer_path_after_customer_wait_resumes_the_case():
    proc = definition(
        "wait2",
        [
            Element("start", K.START_EVENT),
            Element("ebg", K.EVENT_BASED_GATEWAY),
            Element("confirmed", K.MESSAGE_CATCH, message="ok", waits_on_customer=True),
            Element("silence", K.TIMER_CATCH, timer=timer(3600)),
            Element("chase", K.USER_TASK),
            Element("end", K.END_EVENT),
        ],
        ["start->ebg", "ebg->confirmed", "ebg->silence", "confirmed->end", "silence->chase", "chase->end"],
    )
    d = Driver(context(proc))
    d.open("wait2")
    assert d.state.status is CaseStatus.ON_HOLD
    d.fire_next()
    assert d.state.status is CaseStatus.OPEN and d.active() == ["chase"]


def test_unknown_message_is_refused_with_its_name():
    d = Driver(context(waiting_process()))
    d.open("wait")
    with pytest.raises(InvalidCommandError, match="'nobody'"):
        d.do(ReceiveMessage(name="nobody"))


def test_timer_not_due_is_refused():
    d = Driver(context(boundary_process(interrupting=True)))
    d.open("bt")
    timer_id = next(iter(d.state.timers))
    with pytest.raises(InvalidCommandError, match="not due"):
        d.do(FireTimer(timer_id=timer_id), after=timedelta(minutes=59))


def service_process(retries=2):
    return definition(
        "svc",
        [
            Element("start", K.START_EVENT),
            Element("notify", K.SERVICE_TASK, webhook=WebhookSpec("http://127.0.0.1/x", retries=retries)),
            Element("end", K.END_EVENT),
        ],
        ["start->notify", "notify->end"],
    )


def test_service_task_retries_with_backoff_then_raises_an_incident():
    d = Driver(context(service_process(retries=2)))
    d.open("svc")
    task = d.task("notify")
    with pytest.raises(InvalidCommandError):
        d.do(ClaimTask(task_id=task.id, by="alice"))
    d.do(FailServiceTask(task_id=task.id, error="HTTP 503"))
    assert d.state.tasks[task.id].retry_at == d.now + timedelta(seconds=10)
    d.do(FailServiceTask(task_id=task.id, error="HTTP 503"))
    assert d.state.tasks[task.id].retry_at == d.now + timedelta(seconds=20)
    d.do(FailServiceTask(task_id=task.id, error="HTTP 503"))
    assert d.state.tasks[task.id].status is TaskStatus.FAILED
    assert d.events[-1].type is EventType.INCIDENT_RAISED


def test_service_task_result_is_merged_into_case_data():
    d = Driver(context(service_process()))
    d.open("svc")
    d.do(CompleteServiceTask(task_id=d.task("notify").id, data={"ticket": "T-9"}))
    assert d.state.status is CaseStatus.COMPLETED and d.state.data == {"ticket": "T-9"}


def call_process():
    return definition(
        "parent",
        [
            Element("start", K.START_EVENT),
            Element("call", K.CALL_ACTIVITY, called_process="child"),
            Element("esc", K.BOUNDARY_ESCALATION, attached_to="call", escalation_code="MEDIA", cancel_activity=False),
            Element("notify_centre", K.USER_TASK),
            Element("end", K.END_EVENT),
            Element("end2", K.END_EVENT),
        ],
        ["start->call", "call->end", "esc->notify_centre", "notify_centre->end2"],
    )


def test_call_activity_requests_a_child_and_catches_its_escalation():
    d = Driver(context(call_process()))
    events = d.open("parent")
    request = next(e for e in events if e.type is EventType.CHILD_REQUESTED)
    assert request.data["process_key"] == "child"
    child_id = request.data["child_case_id"]
    task = d.task("call")
    d.do(ChildCaseEnded(task_id=task.id, child_case_id=child_id, outcome="escalated", escalation_code="MEDIA"))
    assert d.active() == ["call", "notify_centre"]
    d.do(ChildCaseEnded(task_id=task.id, child_case_id=child_id, outcome="completed", data={"ok": 1}))
    d.complete("notify_centre")
    assert d.state.status is CaseStatus.COMPLETED and d.state.data == {"ok": 1}


def test_terminate_end_cancels_the_other_branches():
    proc = definition(
        "term",
        [
            Element("start", K.START_EVENT),
            Element("split", K.PARALLEL_GATEWAY),
            Element("a", K.USER_TASK),
            Element("b", K.USER_TASK),
            Element("stop", K.END_EVENT, terminate=True),
            Element("end", K.END_EVENT),
        ],
        ["start->split", "split->a", "split->b", "a->stop", "b->end"],
    )
    d = Driver(context(proc))
    d.open("term")
    d.complete("a")
    assert d.state.status is CaseStatus.TERMINATED
    assert d.task("b").status is TaskStatus.CANCELLED and not d.state.tokens


def test_cancel_and_reopen():
    d = Driver(context(simple_task_process()))
    d.open("simple")
    d.complete("register")
    d.complete("handle", by="bob")
    d.do(ReopenCase(by="customer", reason="not fixed"), after=timedelta(days=1))
    assert d.state.status is CaseStatus.OPEN and d.active() == ["handle"] and d.state.reopen_count == 1
    d.do(CancelCase(by="lead", reason="duplicate"))
    assert d.state.status is CaseStatus.CANCELLED and not d.state.active_tasks()
    with pytest.raises(InvalidCommandError):
        d.do(CancelCase(by="lead"))


def test_loop_without_wait_state_is_reported_not_hung():
    proc = definition(
        "loop",
        [Element("start", K.START_EVENT), Element("g1", K.EXCLUSIVE_GATEWAY), Element("g2", K.EXCLUSIVE_GATEWAY)],
        ["start->g1", "g1->g2", "g2->g1"],
    )
    with pytest.raises(ProcessRuntimeError, match="loops without ever waiting"):
        Driver(context(proc)).open("loop")


def test_unknown_category_and_priority_are_named():
    d = Driver(context(simple_task_process()))
    with pytest.raises(ValidationError, match="category"):
        d.open("simple", category="gossip")
    with pytest.raises(ValidationError, match="priority"):
        d.open("simple", priority="P9")


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [("case_id", {"case_id": "x" * 65}), ("case_id", {"case_id": "has space"}), ("customer", {"customer": "9" * 201})],
)
def test_ids_the_store_cannot_hold_are_refused_by_name(field, kwargs):
    from liucheng.engine import OpenCase

    command = OpenCase(**{"case_id": "C1", "process_key": "simple", **kwargs})
    with pytest.raises(ValidationError, match=field):
        step(None, command, T0, context(simple_task_process()))
