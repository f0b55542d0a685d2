"""Cases, their projections and the reference-data repositories, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from liucheng.core.errors import ConflictError, NotFoundError, ValidationError
from liucheng.engine import AddComment, ClaimTask, CompleteServiceTask, FireTimer, replay, step
from liucheng.store import StaleCaseError, Store
from tests.store.engine_cases import CTX, T0, apply, open_case, task_id, work_through

pytestmark = pytest.mark.filterwarnings("error")


def test_a_case_reads_back_exactly_as_the_engine_left_it(store: Store) -> None:
    with store.unit_of_work() as uow:
        opened = open_case(uow, "C-1", T0, title="Printer on fire", customer="acme", priority="P1")
    with store.unit_of_work() as uow:
        assert uow.cases.get("C-1") == opened
        state, version = uow.cases.get_for_update("C-1")
        assert (state, version) == (opened, 1)
        done = work_through(uow, "C-1", T0 + timedelta(minutes=5))
    with store.unit_of_work(read_only=True) as uow:
        assert uow.cases.get("C-1") == done
        events = uow.events.for_case("C-1")
        # The saved state is exactly the fold of the saved events: nothing lost or reordered.
        assert replay(events) == done
        [row] = uow.cases.list()
    assert row.title == "Printer on fire" and row.customer == "acme" and row.priority == "P1"
    assert row.event_count == len(events) and row.row_version == 3
    assert row.updated_at == T0 + timedelta(minutes=5)
    assert row.opened_at.tzinfo is not None and row.opened_at.utcoffset() == timedelta(0)


def test_projections_follow_the_events_of_each_step(store: Store) -> None:
    with store.unit_of_work() as uow:
        state = open_case(uow, "C-1", T0)
        register = task_id(state, "register")
        [timer] = uow.timers.list(case_id="C-1")
        assert timer[2] == T0 + timedelta(hours=1) and timer[3] == "boundary"
        [task] = uow.tasks.list(lane="agent", status="open")
        assert task.task_id == register and task.candidate_groups == ("agent",)
    with store.unit_of_work() as uow:
        state = work_through(uow, "C-1", T0 + timedelta(minutes=5), user="ann")
    with store.unit_of_work() as uow:
        assert uow.timers.list() == []  # completing Register cancelled its reminder
        assert uow.tasks.get(register).status == "completed"
        assert [t.task_id for t in uow.tasks.list(assignee="ann")] == [register]
        [job] = uow.tasks.due_service_jobs(T0 + timedelta(minutes=6), limit=10)
        assert job.element_id == "notify"
        apply(uow, "C-1", CompleteServiceTask(task_id=job.task_id), T0 + timedelta(minutes=7))
    with store.unit_of_work() as uow:
        assert uow.tasks.due_service_jobs(T0 + timedelta(days=1), limit=10) == []
        assert uow.cases.get("C-1").status == "completed"
        assert [r.case_id for r in uow.cases.list(status="completed")] == ["C-1"]
        assert uow.cases.list(status="open") == []


def test_due_timer_fires_through_the_engine_and_leaves_the_queue(store: Store) -> None:
    with store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
        open_case(uow, "C-2", T0 + timedelta(minutes=30))
    with store.unit_of_work() as uow:
        assert uow.timers.due(T0 + timedelta(minutes=59), limit=10) == []
        assert uow.timers.next_due_at() == T0 + timedelta(hours=1)
        [(timer_id, case_id)] = uow.timers.due(T0 + timedelta(hours=1), limit=10)
        assert case_id == "C-1"
        state = apply(uow, case_id, FireTimer(timer_id=timer_id), T0 + timedelta(hours=1))
    assert task_id(state, "escalate")
    with store.unit_of_work() as uow:
        assert [c for _, c in uow.timers.due(T0 + timedelta(days=1), limit=10)] == ["C-2"]
        [escalate] = uow.tasks.list(lane="lead", status="open")
        assert escalate.case_id == "C-1" and escalate.name == "Escalate"


def test_save_with_a_stale_version_changes_nothing(store: Store) -> None:
    with store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
    with store.unit_of_work() as uow:
        apply(uow, "C-1", AddComment(text="one", by="ann"), T0)
    with store.unit_of_work() as uow:
        before = [e.type for e in uow.events.for_case("C-1")]
        tasks_before = uow.tasks.list(status="open")
        state = uow.cases.get("C-1")
        # A real step's writes (an event, a claimed task row) on top of a stale version.
        stale_state, stale_events = step(state, ClaimTask(task_id=task_id(state, "register"), by="bob"), T0, CTX)
        with pytest.raises(StaleCaseError) as caught:
            uow.cases.save(stale_state, stale_events, expected_version=1, now=T0)
        # Nothing of it was written, and the transaction is still usable (PostgreSQL included).
        assert [e.type for e in uow.events.for_case("C-1")] == before
        assert uow.tasks.list(status="open") == tasks_before
    assert caught.value.expected_version == 1 and caught.value.actual_version == 2
    assert isinstance(caught.value, ConflictError) and "reload" in (caught.value.hint or "")
    with store.unit_of_work() as uow:
        assert uow.cases.list()[0].row_version == 2
        assert [e.type for e in uow.events.for_case("C-1")] == before


def test_errors_name_what_is_wrong(store: Store) -> None:
    with store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
        with pytest.raises(NotFoundError, match="C-404"):
            uow.cases.get("C-404")
        with pytest.raises(NotFoundError):
            uow.cases.get_for_update("C-404")
        with pytest.raises(NotFoundError):
            uow.tasks.get("nope")
        opened = len(uow.events.for_case("C-1"))
        with pytest.raises(ConflictError, match="already exists"):
            open_case(uow, "C-1", T0)
        # The transaction is still usable after the refused insert (PostgreSQL included), and
        # the second opening wrote none of its events or task rows.
        assert uow.cases.exists("C-1")
        assert len(uow.events.for_case("C-1")) == opened
        assert len(uow.tasks.list(status="open")) == 1
    with pytest.raises(ValidationError, match="naive"), store.unit_of_work() as uow:
        open_case(uow, "C-2", T0.replace(tzinfo=None))
    with store.unit_of_work() as uow:
        assert not uow.cases.exists("C-2")  # rolled back, not half-written


def test_an_exception_rolls_back_the_whole_unit_of_work(store: Store) -> None:
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
        raise RuntimeError("service failed after the insert")
    with store.unit_of_work() as uow:
        assert uow.cases.list() == [] and uow.events.count() == 0 and uow.tasks.list() == []


def test_case_list_filters_and_pages(store: Store) -> None:
    with store.unit_of_work() as uow:
        for i in range(7):
            open_case(uow, f"C-{i}", T0 + timedelta(minutes=i), priority="P1" if i % 2 else "P3")
    with store.unit_of_work() as uow:
        p1 = [r.case_id for r in uow.cases.list(priority="P1")]
        page = [r.case_id for r in uow.cases.list(limit=3, offset=3)]
        assert uow.cases.list(category="complaint") == []
    assert p1 == ["C-1", "C-3", "C-5"]
    assert page == ["C-3", "C-4", "C-5"]


def test_definitions_keep_every_version(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.definitions.latest_version("ticket") is None
        uow.definitions.add("ticket", 1, "Ticket", "<xml v1/>", "h1", T0, "ann")
        uow.definitions.add("ticket", 2, "Ticket", "<xml v2/>", "h2", T0 + timedelta(days=1), "bob")
        with pytest.raises(ConflictError, match="version 3"):
            uow.definitions.add("ticket", 2, "Ticket", "<xml/>", "h3", T0, "bob")
    with store.unit_of_work() as uow:
        assert uow.definitions.latest_version("ticket") == 2
        assert uow.definitions.get("ticket", 2).source == "<xml v2/>"
        first = uow.definitions.get("ticket", 1)
        assert (first.source, first.deployed_by, first.deployed_at) == ("<xml v1/>", "ann", T0)
        assert [(d.key, d.version) for d in uow.definitions.list()] == [("ticket", 1), ("ticket", 2)]
        with pytest.raises(NotFoundError):
            uow.definitions.get("ticket", 3)


def test_organisation_members_leads_skills_and_load(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.org.add_group("service", "Customer service", kind="department")
        uow.org.add_group("agent", "Agents", kind="team", parent_id="service")
        for user in ("ann", "bob", "cat"):
            uow.org.add_user(user, user.title())
            uow.org.add_membership(user, "agent", is_lead=user == "cat")
        uow.org.set_active("bob", False)
        uow.org.add_skill("ann", "english")
        uow.org.add_skill("cat", "english")
        with pytest.raises(ValidationError):
            uow.org.add_group("x", "X", kind="club")
        open_case(uow, "C-1", T0)
        open_case(uow, "C-2", T0)
        work_through(uow, "C-1", T0, user="ann")  # Register done: no longer ann's load
        state = uow.cases.get("C-2")
        from liucheng.engine import ClaimTask

        apply(uow, "C-2", ClaimTask(task_id=task_id(state, "register"), by="cat"), T0)
    with store.unit_of_work() as uow:
        assert uow.org.members("agent") == ["ann", "cat"]
        assert uow.org.members("agent", active_only=False) == ["ann", "bob", "cat"]
        assert uow.org.leads("agent") == ["cat"]
        assert uow.org.users_with_skill("english") == ["ann", "cat"]
        assert uow.org.skills("ann") == ["english"]
        assert [g.group_id for g in uow.org.groups(kind="team")] == ["agent"]
        assert uow.org.get_user("bob").active is False
        assert uow.tasks.open_load_by_user(["ann", "bob", "cat"]) == {"ann": 0, "bob": 0, "cat": 1}
    with pytest.raises(ConflictError), store.unit_of_work() as uow:
        uow.org.add_membership("ann", "no-such-group")


def test_calendars_policies_and_round_robin(store: Store) -> None:
    config = {"zone": "Asia/Shanghai", "hours": [["09:00", "18:00"]], "holidays": ["2026-10-01"]}
    with store.unit_of_work() as uow:
        uow.calendars.put("cn", config)
        uow.calendars.put("cn", config | {"zone": "Asia/Shanghai"})
        uow.sla_policies.put("default", {"resolution": "P1D"})
        uow.sla_policies.put("tickets", {"resolution": "PT4H"}, process_key="ticket")
        uow.sla_policies.put("other", {"resolution": "PT1H"}, process_key="other")
        positions = [uow.cursors.next("agent", 3) for _ in range(7)]
        assert uow.cursors.next("lead", 2) == 0
    assert positions == [0, 1, 2, 0, 1, 2, 0]
    with store.unit_of_work() as uow:
        assert uow.calendars.get("cn") == config
        assert uow.calendars.list() == {"cn": config}
        assert set(uow.sla_policies.list(process_key="ticket")) == {"default", "tickets"}
        assert uow.sla_policies.get("tickets") == {"resolution": "PT4H"}
        with pytest.raises(NotFoundError):
            uow.calendars.get("mars")
        assert uow.cursors.next("agent", 3) == 1  # the position survived the commit


def test_a_leased_service_job_stays_hidden_until_the_lease_runs_out(store: Store) -> None:
    with store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
        work_through(uow, "C-1", T0)
        [job] = uow.tasks.due_service_jobs(T0, limit=5)
        uow.tasks.lease(job.task_id, T0 + timedelta(seconds=20))
    with store.unit_of_work() as uow:
        assert uow.tasks.due_service_jobs(T0 + timedelta(seconds=19), limit=5) == []
        assert [j.task_id for j in uow.tasks.due_service_jobs(T0 + timedelta(seconds=20), limit=5)] == [
            job.task_id
        ]
        apply(uow, "C-1", CompleteServiceTask(task_id=job.task_id), T0 + timedelta(seconds=21))
        with pytest.raises(NotFoundError, match="open task"):
            uow.tasks.lease(job.task_id, T0 + timedelta(minutes=1))


def test_summaries_stream_in_the_same_order_as_events_by_case(store: Store) -> None:
    ids = ["b-2", "A-1", "a-10", "a-9", "Z", "中-1"]
    with store.unit_of_work() as uow:
        for case_id in ids:
            open_case(uow, case_id, T0)
    with store.unit_of_work(read_only=True) as uow:
        summaries = [row.case_id for row in uow.cases.iter_summaries(batch=2)]
        by_case = list(dict.fromkeys(e.case_id for _, e in uow.events.iter_all(order="case", batch=3)))
    assert sorted(summaries) == sorted(ids)
    assert summaries == by_case


def test_commit_point_makes_earlier_work_durable_even_if_later_work_fails(store: Store) -> None:
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        open_case(uow, "C-1", T0)
        uow.commit_point()
        open_case(uow, "C-2", T0)
        raise RuntimeError("batch job died")
    with store.unit_of_work() as uow:
        assert [r.case_id for r in uow.cases.list()] == ["C-1"]
