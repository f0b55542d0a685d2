"""Schedule adherence, conformance, punctuality and leave, from agent-state events and a schedule.

**Agent states** (CSV columns ``agent,state,reason,timestamp``; or an ``EventTable`` with the
agent in ``resource``, the state in ``activity`` and an optional ``reason`` column). Each event
puts the agent in ``state`` until the agent's next event:

=============  ==========================================================
``sign_in``    logged in, not yet ready (counts as worked, not adherent)
``ready``      waiting for a contact
``on_contact`` handling a contact (talk and wrap-up)
``not_ready``  logged in but unavailable; ``reason`` says why (meeting, training, ...)
``break``      on a break or lunch
``sign_out``   logged out: the end of a session
=============  ==========================================================

**Schedule** (CSV columns ``agent,activity,start,end`` and optionally ``leave_type``): one
``shift`` row per agent and day, and rows for planned activities inside it (``break``, ``lunch``
or any offline activity such as ``meeting``, ``training``). A shift row with a ``leave_type`` is
planned leave.

**Rules.** A session (sign-in to sign-out) belongs to the shift of that agent whose span,
widened by ``window`` on both sides, contains its sign-in. A session without a sign-out (the
stream ends, or the agent signs in again) is closed at its shift's end and flagged.

* adherence = time in the scheduled state / scheduled time, over the shift: working time is
  adherent in ``ready`` or ``on_contact``, a break or lunch in ``break``, any other activity in
  ``not_ready``;
* conformance = worked time / scheduled working time, where worked time is logged-in time of the
  shift's sessions outside ``break`` and scheduled working time is the shift less its breaks;
* punctuality: late when the first sign-in is more than ``grace`` after the shift start, early
  out when the last sign-out is more than ``grace`` before its end;
* a shift with no session is a leave record: its ``leave_type``, or ``absent`` when none is given.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from liucheng.core.errors import ValidationError
from liucheng.eventlog.table import ACTIVITY, RESOURCE, TIMESTAMP, EventTable
from liucheng.workforce.intervals import zone_info

STATES = ("sign_in", "ready", "on_contact", "not_ready", "break", "sign_out")
BREAKS = frozenset({"break", "lunch"})
_WORKING = frozenset({"ready", "on_contact"})


@dataclass(frozen=True)
class StateEvent:
    agent: str
    state: str
    timestamp: datetime
    reason: str | None = None


@dataclass(frozen=True)
class Planned:
    """One schedule row: a ``shift`` or an activity inside one."""

    agent: str
    activity: str
    start: datetime
    end: datetime
    leave_type: str | None = None


@dataclass(frozen=True)
class AgentDay:
    """What one agent did in one scheduled shift (seconds, shares in [0, 1] or more for conformance)."""

    agent: str
    day: str
    shift_start: datetime
    shift_end: datetime
    scheduled_s: int
    adherent_s: int
    adherence: float
    scheduled_work_s: int
    worked_s: int
    conformance: float
    first_sign_in: datetime | None
    last_sign_out: datetime | None
    late_s: int
    late: bool
    early_out_s: int
    early_out: bool
    missing_sign_out: bool
    state_s: dict[str, int] = field(default_factory=dict)
    reason_s: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LeaveRecord:
    agent: str
    day: str
    leave_type: str
    scheduled_s: int


@dataclass(frozen=True)
class AdherenceReport:
    days: tuple[AgentDay, ...]
    leave: tuple[LeaveRecord, ...]


@dataclass(frozen=True)
class _Session:
    start: datetime
    end: datetime
    closed_by_rule: bool
    pieces: tuple[tuple[str, str | None, datetime, datetime], ...]  # state, reason, start, end


def adherence_report(events: Iterable[StateEvent], schedule: Iterable[Planned], *,
                     grace: timedelta = timedelta(minutes=5), window: timedelta = timedelta(hours=3),
                     zone: str = "UTC") -> AdherenceReport:
    """Adherence, conformance and punctuality per agent and shift, and the shifts not attended."""
    tz = zone_info(zone)
    by_agent: dict[str, list[StateEvent]] = defaultdict(list)
    for event in events:
        by_agent[event.agent].append(event)
    shifts: dict[str, list[Planned]] = defaultdict(list)
    activities: dict[str, list[Planned]] = defaultdict(list)
    for row in schedule:
        (shifts if row.activity == "shift" else activities)[row.agent].append(row)
    days: list[AgentDay] = []
    leave: list[LeaveRecord] = []
    for agent in sorted(shifts):
        own = sorted(shifts[agent], key=lambda s: s.start)
        stream = sorted(by_agent.get(agent, ()), key=lambda e: e.timestamp)
        assigned = _assign(stream, own, window)
        for shift in own:
            day = shift.start.astimezone(tz).date().isoformat()
            sessions = assigned[id(shift)]
            planned = [a for a in activities[agent] if a.start < shift.end and a.end > shift.start]
            if shift.leave_type or not sessions:
                leave.append(LeaveRecord(agent, day, shift.leave_type or "absent", _secs(shift.end - shift.start)))
                continue
            days.append(_agent_day(agent, day, shift, planned, sessions, grace))
    return AdherenceReport(tuple(days), tuple(leave))


def _assign(stream: list[StateEvent], shifts: list[Planned], window: timedelta) -> dict[int, list[_Session]]:
    """Cut an agent's events into sessions and give each to the shift around its sign-in."""
    out: dict[int, list[_Session]] = {id(s): [] for s in shifts}
    i = 0
    while i < len(stream):
        if stream[i].state == "sign_out":
            i += 1  # a sign-out with no session open: nothing to close
            continue
        start = stream[i].timestamp
        shift = next((s for s in shifts if s.start - window <= start < s.end + window), None)
        j = i + 1
        while j < len(stream) and stream[j].state not in ("sign_out", "sign_in"):
            j += 1
        signed_out = j < len(stream) and stream[j].state == "sign_out"
        if shift is not None:
            end = stream[j].timestamp if signed_out else max(start, shift.end)
            if not signed_out and j < len(stream):
                end = min(end, stream[j].timestamp)
            pieces = []
            for k in range(i, j):
                a = stream[k].timestamp
                b = stream[k + 1].timestamp if k + 1 < j else end
                b = min(b, end)
                if b > a:
                    pieces.append((stream[k].state, stream[k].reason, a, b))
            out[id(shift)].append(_Session(start, end, not signed_out, tuple(pieces)))
        i = j + 1 if signed_out else j
    return out


def _agent_day(agent: str, day: str, shift: Planned, planned: list[Planned], sessions: list[_Session],
               grace: timedelta) -> AgentDay:
    pieces = [p for s in sessions for p in s.pieces]
    scheduled_s = _secs(shift.end - shift.start)
    adherent = timedelta(0)
    for state, _reason, a, b in pieces:
        for activity, s, e in _plan(shift, planned):
            overlap = min(b, e) - max(a, s)
            if overlap > timedelta(0) and _accepts(activity, state):
                adherent += overlap
    break_s = sum(_secs(e - s) for activity, s, e in _plan(shift, planned) if activity in BREAKS)
    scheduled_work_s = scheduled_s - break_s
    state_s: dict[str, int] = defaultdict(int)
    reason_s: dict[str, int] = defaultdict(int)
    for state, reason, a, b in pieces:
        state_s[state] += _secs(b - a)
        if state == "not_ready":
            reason_s[reason or "(none)"] += _secs(b - a)
    worked_s = sum(v for k, v in state_s.items() if k != "break")
    first_in = min(s.start for s in sessions)
    signed_out = [s.end for s in sessions if not s.closed_by_rule]
    last_out = max(signed_out) if signed_out else None
    late_s = max(0, _secs(first_in - shift.start))
    early_s = max(0, _secs(shift.end - last_out)) if last_out is not None else 0
    return AgentDay(
        agent=agent, day=day, shift_start=shift.start, shift_end=shift.end,
        scheduled_s=scheduled_s, adherent_s=_secs(adherent),
        adherence=_secs(adherent) / scheduled_s if scheduled_s else 0.0,
        scheduled_work_s=scheduled_work_s, worked_s=worked_s,
        conformance=worked_s / scheduled_work_s if scheduled_work_s else 0.0,
        first_sign_in=first_in, last_sign_out=last_out,
        late_s=late_s, late=late_s > grace.total_seconds(),
        early_out_s=early_s, early_out=early_s > grace.total_seconds(),
        missing_sign_out=any(s.closed_by_rule for s in sessions),
        state_s=dict(state_s), reason_s=dict(reason_s),
    )


def _plan(shift: Planned, planned: list[Planned]) -> list[tuple[str, datetime, datetime]]:
    """The shift as consecutive pieces: planned activities where given, ``work`` elsewhere."""
    pieces = []
    at = shift.start
    for row in sorted(planned, key=lambda r: r.start):
        s, e = max(row.start, shift.start), min(row.end, shift.end)
        if s > at:
            pieces.append(("work", at, s))
        if e > max(s, at):
            pieces.append((row.activity, max(s, at), e))
        at = max(at, e)
    if at < shift.end:
        pieces.append(("work", at, shift.end))
    return pieces


def _accepts(activity: str, state: str) -> bool:
    if activity == "work":
        return state in _WORKING
    if activity in BREAKS:
        return state == "break"
    return state == "not_ready"


def _secs(delta: timedelta) -> int:
    return int(delta.total_seconds())


# -- input -------------------------------------------------------------------------------------


def read_agent_states_csv(path: str | Path) -> list[StateEvent]:
    """Agent-state events from a CSV with columns ``agent,state,reason,timestamp``."""
    out = []
    for where, row in _rows(path, ("agent", "state", "timestamp"), optional=("reason",)):
        out.append(state_event(row["agent"], row["state"], row["timestamp"], row.get("reason"), where=where))
    return out


def state_event(agent: str, state: str, timestamp: str | datetime, reason: str | None, *, where: str) -> StateEvent:
    """One checked event: a known state, an agent, an aware time."""
    if not agent:
        raise ValidationError("agent is empty", where=f"{where} [agent]", hint="name the agent")
    if state not in STATES:
        raise ValidationError(
            f"unknown state {state!r}", where=f"{where} [state]", hint="use one of " + ", ".join(STATES)
        )
    return StateEvent(agent, state, _aware(timestamp, f"{where} [timestamp]"), reason or None)


def agent_states_from_event_table(log: EventTable) -> list[StateEvent]:
    """Agent-state events from an event table: agent in ``resource``, state in ``activity``."""
    table = log.table
    reasons = table.column("reason").to_pylist() if "reason" in table.column_names else [None] * table.num_rows
    rows = zip(table.column(RESOURCE).to_pylist(), table.column(ACTIVITY).to_pylist(),
               table.column(TIMESTAMP).to_pylist(), reasons, strict=True)
    source = log.source or "<event table>"
    return [state_event(agent or "", state, ts, reason, where=f"{source} (event {i})")
            for i, (agent, state, ts, reason) in enumerate(rows)]


def read_schedule_csv(path: str | Path) -> list[Planned]:
    """Schedule rows from a CSV with columns ``agent,activity,start,end`` (and ``leave_type``)."""
    out = []
    for where, row in _rows(path, ("agent", "activity", "start", "end"), optional=("leave_type",)):
        start, end = _aware(row["start"], f"{where} [start]"), _aware(row["end"], f"{where} [end]")
        if end <= start:
            raise ValidationError("end is not after start", where=f"{where} [end]", hint="check the times")
        if not row["agent"] or not row["activity"]:
            raise ValidationError("agent and activity must be given", where=where, hint="fill both columns")
        out.append(Planned(row["agent"], row["activity"], start, end, row.get("leave_type") or None))
    return out


def _rows(
    path: str | Path, required: tuple[str, ...], *, optional: tuple[str, ...]
) -> Iterable[tuple[str, dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        for name in required:
            if name not in header:
                raise ValidationError(f"missing column {name!r}", where=f"{path}:1",
                                      hint="the header needs " + ",".join(required + optional))
        for row in reader:
            yield f"{path}:{reader.line_num}", {k: (v or "").strip() for k, v in row.items() if k is not None}


def _aware(value: str | datetime, where: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"{value!r} is not an ISO 8601 instant", where=where,
                                  hint="e.g. 2026-03-02T09:00:00+08:00") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(f"{value.isoformat()} has no time zone", where=where,
                              hint="add the offset, e.g. 2026-03-02T09:00:00+08:00")
    return value
