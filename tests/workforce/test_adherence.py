"""Adherence, conformance, punctuality and leave against hand-built timelines checked minute by minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liucheng.core.errors import ValidationError
from liucheng.eventlog.table import from_arrow
from liucheng.workforce.adherence import (
    Planned,
    StateEvent,
    adherence_report,
    agent_states_from_event_table,
    read_agent_states_csv,
    read_schedule_csv,
)

DAY = datetime(2026, 3, 2, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def at(hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return DAY + timedelta(hours=int(hours), minutes=int(minutes))


def events(agent: str, *steps: tuple[str, str] | tuple[str, str, str]) -> list[StateEvent]:
    return [StateEvent(agent, s[1], at(s[0]), s[2] if len(s) > 2 else None) for s in steps]  # type: ignore[misc]


SCHEDULE = [
    Planned("ana", "shift", at("09:00"), at("17:00")),
    Planned("ana", "lunch", at("12:00"), at("13:00")),
    Planned("ana", "meeting", at("15:00"), at("15:30")),
]


def _scheduled_activity(schedule: list[Planned], agent: str, minute: datetime) -> str | None:
    shift = [p for p in schedule if p.agent == agent and p.activity == "shift" and p.start <= minute < p.end]
    if not shift:
        return None
    inner = [p.activity for p in schedule if p.agent == agent and p.activity != "shift" and p.start <= minute < p.end]
    return inner[0] if inner else "work"


def _state(stream: list[StateEvent], minute: datetime, close_at: datetime | None = None) -> str | None:
    """The logged state at ``minute``: the latest event at or before it (None when logged out)."""
    before = [e for e in stream if e.timestamp <= minute]
    if not before or before[-1].state == "sign_out":
        return None
    if close_at is not None and minute >= close_at:
        return None
    return before[-1].state


def _brute(schedule: list[Planned], stream: list[StateEvent], agent: str, close_at: datetime | None = None) -> dict:
    ok = {"work": {"ready", "on_contact"}, "lunch": {"break"}, "break": {"break"}}
    scheduled = adherent = planned_work = worked = 0
    minute = DAY
    while minute < DAY + timedelta(days=1):
        activity = _scheduled_activity(schedule, agent, minute)
        state = _state(stream, minute, close_at)
        if activity is not None:
            scheduled += 1
            planned_work += activity not in ("lunch", "break")
            adherent += state in ok.get(activity, {"not_ready"})
        worked += state is not None and state != "break"
        minute += MINUTE
    return {"scheduled_s": 60 * scheduled, "adherent_s": 60 * adherent, "scheduled_work_s": 60 * planned_work,
            "worked_s": 60 * worked}


def test_a_hand_built_day_minute_by_minute() -> None:
    stream = events(
        "ana", ("09:07", "sign_in"), ("09:08", "ready"), ("09:30", "on_contact"), ("10:00", "ready"),
        ("12:05", "break"), ("13:00", "ready"), ("15:00", "not_ready", "meeting"), ("15:40", "ready"),
        ("16:10", "not_ready", "system"), ("16:20", "on_contact"), ("16:50", "sign_out"),
    )
    report = adherence_report(stream, SCHEDULE)
    (day,) = report.days
    brute = _brute(SCHEDULE, stream, "ana")
    assert (day.scheduled_s, day.adherent_s, day.scheduled_work_s, day.worked_s) == (
        brute["scheduled_s"], brute["adherent_s"], brute["scheduled_work_s"], brute["worked_s"])
    # by hand: working time 09:08-12:00, 13:00-15:00, 15:40-16:10, 16:20-16:50; lunch 12:05-13:00; meeting 30 min
    assert day.adherent_s == 60 * (172 + 120 + 30 + 30 + 55 + 30)
    assert day.adherence == pytest.approx(day.adherent_s / (8 * 3600))
    assert day.late and day.late_s == 7 * 60
    assert day.early_out and day.early_out_s == 10 * 60
    assert not day.missing_sign_out
    assert day.reason_s == {"meeting": 40 * 60, "system": 10 * 60}
    assert day.state_s["break"] == 55 * 60 and day.state_s["sign_in"] == 60
    assert day.conformance == pytest.approx(day.worked_s / (7 * 3600))


def test_grace_period_and_a_missing_sign_out() -> None:
    schedule = [Planned("bo", "shift", at("09:00"), at("17:00"))]
    stream = events("bo", ("09:04", "sign_in"), ("09:05", "ready"))
    (day,) = adherence_report(stream, schedule).days
    assert not day.late and day.late_s == 4 * 60
    assert day.missing_sign_out and day.last_sign_out is None and not day.early_out
    assert day.state_s == {"sign_in": 60, "ready": (17 * 60 - 9 * 60 - 5) * 60}
    assert day.adherent_s == _brute(schedule, stream, "bo", close_at=at("17:00"))["adherent_s"]


def test_days_scheduled_but_absent_are_leave_records() -> None:
    schedule = [
        Planned("cai", "shift", at("09:00"), at("17:00")),
        Planned("dee", "shift", at("09:00"), at("13:00"), leave_type="annual"),
        Planned("eve", "shift", at("09:00"), at("13:00")),
    ]
    stream = events("eve", ("08:58", "sign_in"), ("13:01", "sign_out"))
    report = adherence_report(stream, schedule)
    assert [(r.agent, r.leave_type, r.scheduled_s) for r in report.leave] == [
        ("cai", "absent", 8 * 3600), ("dee", "annual", 4 * 3600)]
    assert [d.agent for d in report.days] == ["eve"]
    assert report.days[0].adherent_s == 0  # signed in but never ready


_STATES = st.sampled_from(["ready", "on_contact", "not_ready", "break"])


@st.composite
def _streams(draw: st.DrawFn) -> list[StateEvent]:
    """One agent's well-formed sessions on a minute grid between 07:00 and 19:00."""
    minutes = sorted(draw(st.sets(st.integers(7 * 60, 19 * 60), min_size=2, max_size=30)))
    out, signed_in = [], False
    for i, m in enumerate(minutes):
        last = i == len(minutes) - 1
        if not signed_in:
            state = "sign_in"
        elif last or draw(st.integers(0, 5)) == 0:
            state = "sign_out"
        else:
            state = draw(_STATES)
        signed_in = state != "sign_out"
        out.append(StateEvent("ana", state, DAY + m * MINUTE, "coaching" if state == "not_ready" else None))
    if out[-1].state != "sign_out":
        out.pop()
    return out


@settings(max_examples=60, deadline=None)
@given(_streams())
def test_random_streams_agree_with_a_minute_by_minute_count(stream: list[StateEvent]) -> None:
    report = adherence_report(stream, SCHEDULE)
    brute = _brute(SCHEDULE, stream, "ana")
    if not report.days:
        assert brute["worked_s"] == 0 and report.leave[0].leave_type == "absent"
        return
    (day,) = report.days
    assert (day.scheduled_s, day.adherent_s, day.scheduled_work_s, day.worked_s) == (
        brute["scheduled_s"], brute["adherent_s"], brute["scheduled_work_s"], brute["worked_s"])
    first = min(e.timestamp for e in stream if e.state == "sign_in")
    assert day.late_s == max(0, int((first - at("09:00")).total_seconds()))


def test_csv_inputs_and_their_errors(tmp_path: Path) -> None:
    states = tmp_path / "states.csv"
    states.write_text("agent,state,reason,timestamp\nana,sign_in,,2026-03-02T09:00:00+00:00\n"
                      "ana,not_ready,meeting,2026-03-02T09:10:00+00:00\nana,sign_out,,2026-03-02T10:00:00Z\n")
    schedule = tmp_path / "schedule.csv"
    schedule.write_text("agent,activity,start,end,leave_type\nana,shift,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z,\n")
    report = adherence_report(read_agent_states_csv(states), read_schedule_csv(schedule))
    assert report.days[0].reason_s == {"meeting": 50 * 60}

    states.write_text("agent,state,reason,timestamp\nana,lunching,,2026-03-02T09:00:00+00:00\n")
    with pytest.raises(ValidationError) as err:
        read_agent_states_csv(states)
    assert err.value.where == f"{states}:2 [state]"
    states.write_text("agent,state,reason,timestamp\nana,ready,,2026-03-02T09:00:00\n")
    with pytest.raises(ValidationError, match="no time zone") as err:
        read_agent_states_csv(states)
    assert err.value.where == f"{states}:2 [timestamp]"
    schedule.write_text("agent,start,end\nana,2026-03-02T09:00:00Z,2026-03-02T10:00:00Z\n")
    with pytest.raises(ValidationError, match="missing column 'activity'"):
        read_schedule_csv(schedule)


def test_agent_states_from_an_event_table() -> None:
    table = pa.table({
        "case_id": ["s1", "s1", "s1"],
        "activity": ["sign_in", "ready", "sign_out"],
        "timestamp": pa.array([at("09:00"), at("09:01"), at("17:00")], pa.timestamp("us", tz="UTC")),
        "resource": ["ana", "ana", "ana"],
    })
    stream = agent_states_from_event_table(from_arrow(table))
    assert [e.state for e in stream] == ["sign_in", "ready", "sign_out"]
    (day,) = adherence_report(stream, SCHEDULE).days
    assert day.adherent_s == _brute(SCHEDULE, stream, "ana")["adherent_s"]
