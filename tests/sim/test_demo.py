"""The demo: a small simulated history, checked against the store it wrote.

Every figure the summary reports is recounted here from the stored rows and events, and each
sampled case's stored state is rebuilt from its events alone.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from liucheng.core.errors import ConflictError
from liucheng.engine import EventType, replay
from liucheng.engine.policy import DEFAULT_CATEGORIES
from liucheng.eventlog import read_xes
from liucheng.library import PROCESS_FILES, library_paths
from liucheng.process.bpmn import read_bpmn
from liucheng.process.spec import GATEWAY_KINDS, ElementKind
from liucheng.sim import DemoSummary, run_demo
from liucheng.store import open_store
from liucheng.store.tables import cases as cases_table
from liucheng.store.tables import events as events_table
from liucheng.store.tables import tasks as tasks_table

SMALL = 300
CLOSING = {str(EventType.CASE_COMPLETED), str(EventType.CASE_TERMINATED), str(EventType.CASE_CANCELLED)}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, DemoSummary]:
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'demo.db'}"
    calls: list[tuple[int, int]] = []
    summary = run_demo(url, cases=SMALL, seed=7, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (SMALL, SMALL)
    return url, summary


def _all_events(url: str) -> list:
    store = open_store(url)
    try:
        with store.unit_of_work(read_only=True) as uow:
            return list(uow.events.iter_all())
    finally:
        store.close()


def test_counts_agree_with_the_store(small):
    url, summary = small
    store = open_store(url)
    try:
        with store.unit_of_work(read_only=True) as uow:
            conn = uow.connection
            n_cases = conn.execute(select(func.count()).select_from(cases_table)).scalar_one()
            n_events = conn.execute(select(func.count()).select_from(events_table)).scalar_one()
            n_tasks = conn.execute(select(func.count()).select_from(tasks_table)).scalar_one()
            statuses = dict(
                conn.execute(select(cases_table.c.status, func.count()).group_by(cases_table.c.status)).all()
            )
            categories = dict(
                conn.execute(
                    select(cases_table.c.category, func.count()).group_by(cases_table.c.category)
                ).all()
            )
            closed = set(
                conn.execute(
                    select(cases_table.c.case_id).where(cases_table.c.closed_at.is_not(None))
                ).scalars()
            )
            with_closing_event = set(
                conn.execute(select(events_table.c.case_id).where(events_table.c.type.in_(CLOSING))).scalars()
            )
    finally:
        store.close()
    assert summary.cases == n_cases and n_cases >= SMALL  # called sub-cases count as cases too
    assert summary.events == n_events
    assert summary.tasks == n_tasks
    assert summary.cases_by_status == statuses
    assert summary.cases_by_category == categories
    assert sum(summary.cases_by_process.values()) == n_cases
    assert closed and closed <= with_closing_event
    assert summary.rejected_steps == 0


def test_stored_state_is_the_fold_of_stored_events(small):
    url, _ = small
    store = open_store(url)
    try:
        with store.unit_of_work(read_only=True) as uow:
            ids = [row.case_id for row in uow.cases.list(limit=10_000)]
            for case_id in random.Random(1).sample(ids, 40):
                assert replay(uow.events.for_case(case_id)) == uow.cases.get(case_id), case_id
    finally:
        store.close()


def test_sla_attainment_and_reopen_rate_match_a_recount_from_events(small):
    url, summary = small
    latest: dict[tuple[str, str], str] = {}
    completed: set[str] = set()
    reopened: set[str] = set()
    escalations: Counter[int] = Counter()
    parents: dict[str, str | None] = {}
    for _, event in _all_events(url):
        if event.type is EventType.CASE_OPENED:
            parents[event.case_id] = event.data.get("parent_case_id")
        elif event.type is EventType.SLA_MET and event.task_id is None:
            latest[(event.case_id, event.data["clock"])] = event.data["status"]
        elif event.type is EventType.CASE_COMPLETED and parents[event.case_id] is None:
            completed.add(event.case_id)
        elif event.type is EventType.CASE_REOPENED:
            reopened.add(event.case_id)
        elif event.type is EventType.ESCALATION_RAISED:
            escalations[event.data["level"]] += 1
    for clock in ("first_response", "resolution"):
        statuses = Counter(status for (_, c), status in latest.items() if c == clock)
        assert summary.sla_counts[clock] == {"met": statuses["met"], "missed": statuses["missed"]}
        share = statuses["met"] / (statuses["met"] + statuses["missed"])
        assert summary.sla_attainment[clock] == pytest.approx(share, abs=1e-4)
    assert summary.reopen_rate == pytest.approx(len(reopened) / len(completed), abs=1e-4)
    assert summary.escalations_by_level == dict(escalations)


def test_the_history_shows_every_process_category_escalation_and_reopening(small):
    _, summary = small
    assert set(summary.cases_by_process) == set(PROCESS_FILES)
    assert set(summary.cases_by_category) == set(DEFAULT_CATEGORIES)
    assert set(summary.escalations_by_level) == {1, 2, 3}
    assert 0 < summary.reopen_rate < 0.1
    assert 0.5 < summary.sla_attainment["resolution"] <= 1
    # the backlog at the end of the history
    assert summary.cases_by_status.get("open", 0) + summary.cases_by_status.get("on_hold", 0) > 0


def test_the_exported_log_holds_every_business_event(small):
    url, summary = small
    business = [e for _, e in _all_events(url) if e.activity is not None]
    traces = list(read_xes(Path(summary.export_path)))
    assert sum(len(t.events) for t in traces) == len(business)
    assert {t.case.case_id for t in traces} == {e.case_id for e in business}


def test_people_work_only_on_their_shifts_and_the_busiest_department_is_recounted(small):
    from liucheng.sim.centre import demo_centre

    url, summary = small
    centre = demo_centre()
    shift_of = {p.user_id: centre.shifts[p.shift] for p in centre.people}
    claims: dict[str, tuple[str, object]] = {}
    work_s: Counter[str] = Counter()
    off_shift = []
    for _, e in _all_events(url):
        if e.resource not in shift_of:
            continue
        if e.type is EventType.TASK_CLAIMED:
            claims[e.task_id] = (e.resource, e.at)
            if not shift_of[e.resource].is_open(e.at):
                off_shift.append(e)
        elif e.type is EventType.TASK_COMPLETED and claims.get(e.task_id, (None,))[0] == e.resource:
            work_s[e.group] += shift_of[e.resource].business_seconds(claims[e.task_id][1], e.at)
    assert claims and off_shift == []
    busiest, seconds = work_s.most_common(1)[0]
    assert summary.busiest_department == busiest
    assert summary.busiest_department_hours == pytest.approx(seconds / 3600, abs=0.1)


def _digest(url: str) -> str:
    h = hashlib.sha256()
    for seq, e in _all_events(url):
        h.update(
            repr((seq, e.case_id, str(e.type), e.at.isoformat(), e.activity, e.resource, e.data)).encode()
        )
    return h.hexdigest()


def test_same_seed_same_history_other_seed_other_history(tmp_path):
    urls = [f"sqlite:///{tmp_path / name}" for name in ("a.db", "b.db", "c.db")]
    for url, seed in zip(urls, (3, 3, 4), strict=True):
        run_demo(url, cases=60, seed=seed)
    first, second, other = (_digest(url) for url in urls)
    assert first == second
    assert first != other


def test_refuses_a_database_that_holds_data_unless_reset(tmp_path):
    url = f"sqlite:///{tmp_path / 'var' / 'demo.db'}"
    run_demo(url, cases=20, seed=1)
    with pytest.raises(ConflictError) as info:
        run_demo(url, cases=20, seed=1)
    assert "reset" in str(info.value)
    summary = run_demo(url, cases=25, seed=2, reset=True)
    assert summary.cases_by_process and sum(summary.cases_by_process.values()) == summary.cases


@pytest.mark.slow
def test_every_gateway_branch_of_the_library_occurs_and_some_customers_withdraw(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    summary = run_demo(url, cases=2500, seed=7, export_to=tmp_path / "log.xes.gz")
    assert summary.export_path == str(tmp_path / "log.xes.gz")
    assert 0 < summary.cases_by_status.get("cancelled", 0) < 0.05 * summary.cases
    taken = {e.data.get("flow_id") for _, e in _all_events(url)}
    branches = [
        (definition.key, flow)
        for path in library_paths()
        for definition in read_bpmn(path.read_bytes())
        for element in definition.elements.values()
        if element.kind in GATEWAY_KINDS and element.kind is not ElementKind.PARALLEL_GATEWAY
        for flow in element.outgoing
        if len(element.outgoing) > 1
    ]
    assert branches
    assert [b for b in branches if b[1] not in taken] == []


@pytest.mark.postgres
def test_the_demo_runs_on_postgresql(pg_url):
    summary = run_demo(pg_url, cases=150, seed=7)
    store = open_store(pg_url)
    try:
        with store.unit_of_work(read_only=True) as uow:
            assert uow.events.count() == summary.events
            rows = uow.cases.list(limit=10_000)
            assert len(rows) == summary.cases
            for row in rows[:: max(1, len(rows) // 25)]:
                assert replay(uow.events.for_case(row.case_id)) == uow.cases.get(row.case_id)
    finally:
        store.close()
    assert summary.export_path is None
    assert set(summary.cases_by_process) == set(PROCESS_FILES)
    with pytest.raises(ConflictError):
        run_demo(pg_url, cases=10, seed=7, reset=True)
