"""SLA clocks: warnings, breach, escalation, pauses, departments, business calendars."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liucheng.core.calendar import BusinessCalendar, china_mainland
from liucheng.engine import (
    ClaimTask,
    ClockStatus,
    CompleteTask,
    EventType,
    PutOnHold,
    Resume,
    SlaPolicy,
)
from liucheng.process.spec import Element
from tests.engine.builders import T0, K, context, definition, simple_task_process
from tests.engine.test_flow import Driver

POLICY = SlaPolicy.from_dict(
    {
        "name": "hotline",
        "targets": [
            {"category": "complaint", "priority": "P1", "first_response": "PT30M", "resolution": "PT4H"},
            {"category": "*", "priority": "*", "first_response": "PT2H", "resolution": "P1D"},
        ],
        "warn_fractions": [0.5, 0.75],
        "escalation": [
            {"level": 1, "role": "team_lead", "at": 0.75},
            {"level": 2, "role": "room_manager", "at": 1.0, "reassign": True},
            {"level": 3, "role": "centre", "at": 1.5},
        ],
    }
)


def sla_events(d, clock="resolution"):
    return [
        (e.type, e.data.get("fraction"), e.data.get("level"), e.at - T0)
        for e in d.events
        if e.data.get("clock") == clock
        and e.type in (EventType.SLA_WARNING, EventType.SLA_BREACHED, EventType.ESCALATION_RAISED)
    ]


def test_warnings_breach_and_escalation_ladder_fire_at_their_fractions():
    d = Driver(context(simple_task_process(), policy=POLICY))
    d.open("simple", category="complaint", priority="P1")
    while d.state.timers:
        d.fire_next("sla")
    h = timedelta(hours=1)
    assert sla_events(d) == [
        (EventType.SLA_WARNING, 0.5, None, 2 * h),
        (EventType.SLA_WARNING, 0.75, None, 3 * h),
        (EventType.ESCALATION_RAISED, 0.75, 1, 3 * h),
        (EventType.SLA_BREACHED, None, None, 4 * h),
        (EventType.ESCALATION_RAISED, 1.0, 2, 4 * h),
        (EventType.ESCALATION_RAISED, 1.5, 3, 6 * h),
    ]
    assert d.state.escalation_level == 3
    # level 2 reassigns the open task to the room manager's queue
    assert d.task("register").lane == "room_manager"
    # first response breached at 30 min as well
    assert (EventType.SLA_BREACHED, None, None, timedelta(minutes=30)) in sla_events(d, "first_response")


def test_claim_is_the_first_response_and_completion_meets_resolution():
    d = Driver(context(simple_task_process(), policy=POLICY))
    d.open("simple", category="complaint", priority="P1")
    d.do(ClaimTask(task_id=d.task("register").id, by="alice"), after=timedelta(minutes=20))
    assert d.state.clocks["first_response"].status is ClockStatus.MET
    assert d.state.clocks["first_response"].elapsed_s == 20 * 60
    assert d.state.first_response_at == T0 + timedelta(minutes=20)
    d.do(CompleteTask(task_id=d.task("register").id, by="alice"), after=timedelta(hours=5))
    d.complete("handle", by="bob")
    clock = d.state.clocks["resolution"]
    assert clock.status is ClockStatus.MISSED and clock.elapsed_s == 5 * 3600 + 20 * 60


def test_hold_pauses_every_clock_and_moves_the_deadline():
    d = Driver(context(simple_task_process(), policy=POLICY))
    d.open("simple", category="complaint", priority="P1")
    d.do(PutOnHold(by="alice"), after=timedelta(hours=1))
    assert all(t.purpose != "sla" for t in d.state.timers.values())
    d.do(Resume(by="alice"), after=timedelta(hours=10))
    breach = next(
        t for t in d.state.timers.values() if t.clock == "resolution"
    )  # next threshold 0.5 at 2h business = 1h more
    assert breach.due_at == d.now + timedelta(hours=1)
    assert d.state.clocks["resolution"].elapsed_s == 3600


def test_departments_holding_the_clock_add_up():
    d = Driver(context(simple_task_process(), policy=POLICY))
    d.open("simple", category="inquiry", priority="P3")
    d.now += timedelta(minutes=40)
    d.complete("register", by="alice")
    d.now += timedelta(hours=3)
    d.complete("handle", by="bob")
    clock = d.state.clocks["resolution"]
    assert clock.held_s == {"agent": 40 * 60, "back_office": 3 * 3600}
    assert sum(clock.held_s.values()) == clock.elapsed_s


def test_step_sla_is_an_internal_deadline_on_the_task():
    proc = definition(
        "ola",
        [
            Element("start", K.START_EVENT),
            Element("fix", K.USER_TASK, lane="it_support", step_sla_s=2 * 3600),
            Element("end", K.END_EVENT),
        ],
        ["start->fix", "fix->end"],
    )
    d = Driver(context(proc, policy=POLICY))
    d.open("ola")
    task = d.task("fix")
    assert task.due_at == T0 + timedelta(hours=2)
    clock = d.state.clocks[f"step:{task.id}"]
    assert clock.holder == "it_support"
    while any(t.clock == f"step:{task.id}" for t in d.state.timers.values()):
        d.fire_next("sla")
    breached = [e for e in d.events if e.type is EventType.SLA_BREACHED and e.task_id == task.id]
    assert len(breached) == 1 and breached[0].at == T0 + timedelta(hours=2)


# -- deadlines on a business calendar agree with a minute-by-minute count -----------------------------
BERLIN = BusinessCalendar(
    name="berlin",
    zone="Europe/Berlin",
    weekly_hours={wd: ((time(8), time(12)), (time(13), time(17, 30))) for wd in range(5)} | {5: ((time(9), time(13)),)},
    holidays=frozenset({date(2026, 3, 27), date(2026, 4, 3), date(2026, 4, 6)}),
    makeup_workdays=frozenset({date(2026, 3, 29)}),  # a Sunday worked (DST starts that night)
)
CHINA = china_mainland()


def _minute_open(cal: BusinessCalendar, instant: datetime) -> bool:
    """Independent of the calendar's own arithmetic: look at the local wall clock."""
    local = instant.astimezone(ZoneInfo(cal.zone))
    day = local.date()
    if day in cal.holidays:
        return False
    weekday = cal.makeup_weekday if day in cal.makeup_workdays else day.weekday()
    for start, end in cal.weekly_hours.get(weekday, ()):
        t = local.time().replace(tzinfo=None)
        if start <= t and (end == time(0) or t < end):
            return True
    return False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cal=st.sampled_from([BERLIN, CHINA]),
    start_minutes=st.integers(0, 60 * 24 * 40),
    target_minutes=st.integers(1, 60 * 30),
    holds=st.lists(st.tuples(st.integers(1, 60 * 24 * 3), st.integers(1, 60 * 24 * 3)), max_size=3),
)
def test_breach_lands_where_a_minute_by_minute_count_says(cal, start_minutes, target_minutes, holds):
    policy = SlaPolicy.from_dict(
        {
            "name": "p",
            "calendar": cal.name,
            "warn_fractions": [0.5],
            "targets": [{"category": "*", "priority": "*", "resolution": f"PT{target_minutes}M"}],
        }
    )
    ctx = context(simple_task_process(), policy=policy, calendars={cal.name: cal})
    d = Driver(ctx)
    d.now = datetime(2026, 3, 20, tzinfo=ZoneInfo("UTC")) + timedelta(minutes=start_minutes)
    opened = d.now
    d.open("simple")
    paused: list[tuple[datetime, datetime]] = []
    for wait, length in holds:
        clock = d.state.clocks["resolution"]
        if clock.breached:
            break
        hold_at = d.now + timedelta(minutes=wait)
        due = min(t.due_at for t in d.state.timers.values())
        while due <= hold_at and not d.state.clocks["resolution"].breached:
            d.fire_next("sla")
            due = min((t.due_at for t in d.state.timers.values()), default=hold_at + timedelta(days=999))
        if d.state.clocks["resolution"].breached:
            break
        d.now = hold_at
        d.do(PutOnHold(by="agent"))
        d.do(Resume(by="agent"), after=timedelta(minutes=length))
        paused.append((hold_at, d.now))
    while not d.state.clocks["resolution"].breached:
        d.fire_next("sla")
    breach_at = next(e.at for e in d.events if e.type is EventType.SLA_BREACHED)
    counted = 0
    minute = opened
    while minute < breach_at:
        if _minute_open(cal, minute) and not any(a <= minute < b for a, b in paused):
            counted += 1
        minute += timedelta(minutes=1)
    assert counted == target_minutes
    # and the breach is the earliest such instant: the minute before it was counted
    last = breach_at - timedelta(minutes=1)
    assert _minute_open(cal, last) and not any(a <= last < b for a, b in paused)
