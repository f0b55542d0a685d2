"""A discrete-event simulation of the service centre, driven through the real engine and store.

Future happenings (arrivals, people finishing work, timers falling due, customers answering,
webhooks answering) wait in a heap ordered by time. Each one becomes a command sent through
``services.cases.run_command``, the path the API takes, so every stored event is a real engine
event. Many steps share one transaction (``commit_point`` every few hundred), yet each step's
state and events still commit together.

People work only on their shifts: a free person takes the most urgent task assigned to them,
else one from their queue they have the skills for, claims it after a short pick-up delay and
completes it after a lognormal handling time counted on their shift calendar.
"""

from __future__ import annotations

import gc
import heapq
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from liucheng.core.calendar import BusinessCalendar
from liucheng.core.clock import FrozenClock
from liucheng.core.errors import LiuchengError
from liucheng.engine import (
    CancelCase,
    CaseState,
    ClaimTask,
    Command,
    CompleteServiceTask,
    CompleteTask,
    Event,
    EventType,
    FailServiceTask,
    FireTimer,
    OpenCase,
    ReceiveMessage,
    ReopenCase,
    TaskStatus,
)
from liucheng.process.spec import HUMAN_TASK_KINDS, ElementKind, ProcessDefinition
from liucheng.services.cases import run_command
from liucheng.services.platform import Platform
from liucheng.sim import behaviour
from liucheng.sim.arrivals import Arrival
from liucheng.sim.centre import Centre, Person
from liucheng.store import UnitOfWork

Progress = Callable[[int, int], None]
_PRIORITY_RANK = {"P1": 0, "P2": 1, "P3": 2, "P4": 3}
_CLOSED = frozenset({EventType.CASE_COMPLETED, EventType.CASE_TERMINATED, EventType.CASE_CANCELLED})
_TASK_MOVES = frozenset({EventType.TASK_CREATED, EventType.TASK_ASSIGNED, EventType.TASK_RELEASED})


class SimulationError(LiuchengError):
    """The simulated history cannot go on (a command failed after part of it was written)."""

    code = "simulation"


@dataclass
class SimStats:
    """What the simulation saw happen, counted from the events of the steps that committed."""

    cases_opened: int = 0
    steps: int = 0
    events: int = 0
    tasks_created: int = 0
    rejected_steps: int = 0
    by_process: Counter[str] = field(default_factory=Counter)
    escalations_by_level: Counter[int] = field(default_factory=Counter)
    escalated_cases: set[str] = field(default_factory=set)
    #: (case id, clock) -> "met" or "missed" at the clock's latest stop; case clocks only.
    sla_final: dict[tuple[str, str], str] = field(default_factory=dict)
    reopened: set[str] = field(default_factory=set)
    completed: set[str] = field(default_factory=set)
    #: Lane -> seconds of work recorded (claim to completion on the person's shift) and tasks
    #: finished by people.
    busy_s: Counter[str] = field(default_factory=Counter)
    done_tasks: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


@dataclass
class _Worker:
    person: Person
    shift: BusinessCalendar
    skills: frozenset[str]
    task_id: str | None = None
    waking: bool = False


class Simulation:
    def __init__(
        self,
        platform: Platform,
        centre: Centre,
        arrivals: Iterator[Arrival],
        *,
        total_cases: int,
        until: datetime,
        seed: int,
        commit_every: int = 1000,
        progress: Progress | None = None,
    ) -> None:
        if not isinstance(platform.clock, FrozenClock):
            raise TypeError("the simulation moves time itself: give the platform a FrozenClock")
        self.platform = platform
        self.clock = platform.clock
        self.until = until
        self.total_cases = total_cases
        self.commit_every = commit_every
        self.progress = progress
        self.rng = random.Random(seed * 7919 + 17)
        self.stats = SimStats()
        self._arrivals = arrivals
        self._heap: list[tuple[float, int, str, tuple[Any, ...]]] = []
        self._seq = 0
        self._states: dict[str, CaseState] = {}  # open cases only
        self._closed: dict[str, str] = {}  # case id -> status when closed
        self._workers = {p.user_id: _Worker(p, centre.shifts[p.shift], frozenset(p.skills)) for p in centre.people}
        self._lane_skills: dict[str, frozenset[str]] = {}
        for w in self._workers.values():
            self._lane_skills[w.person.lane] = self._lane_skills.get(w.person.lane, frozenset()) | w.skills
        self._idle: dict[str, dict[str, None]] = {}  # lane -> idle people, oldest idle first
        self._pool: dict[str, list[tuple[int, float, str, str]]] = {}
        self._mine: dict[str, list[tuple[int, float, str, str]]] = {}
        self._agents = [p.user_id for p in centre.people if p.lane == "agent"]
        self._uow: UnitOfWork | None = None
        self._ctx: Any = None
        self._saved: list[tuple[CaseState, list[Event]]] = []

    # -- the loop ---------------------------------------------------------------------------------
    def run(self) -> SimStats:
        self._next_arrival()
        for user in self._workers:
            self._free(user, self.clock.now())
        # Millions of short-lived event objects would set off the cyclic collector constantly;
        # reference counting frees them anyway, so it runs rarely while the history is made.
        thresholds = gc.get_threshold()
        gc.set_threshold(100_000, 50, 100)
        try:
            self._simulate()
        finally:
            gc.set_threshold(*thresholds)
        if self.progress is not None:
            self.progress(self.stats.cases_opened, self.total_cases)
        return self.stats

    def _simulate(self) -> None:
        with self.platform.store.unit_of_work() as uow:
            self._uow, self._ctx = uow, self.platform.engine_context(uow)
            since_commit = 0
            until_ts = self.until.timestamp()
            while self._heap and self._heap[0][0] <= until_ts:
                ts, _, kind, args = heapq.heappop(self._heap)
                now = datetime.fromtimestamp(ts, self.until.tzinfo)
                self.clock.set(now)
                getattr(self, "_on_" + kind)(now, *args)
                since_commit += 1
                if since_commit >= self.commit_every:
                    uow.commit_point()
                    since_commit = 0

    def _push(self, at: datetime, kind: str, *args: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at.timestamp(), self._seq, kind, args))

    def _definition(self, state: CaseState) -> ProcessDefinition:
        assert self._uow is not None
        return self.platform.definition(self._uow, state.process_key, state.process_version)

    def _run(self, case_id: str, command: Command, now: datetime) -> bool:
        """One step and its follow-ups; False if the engine refused it before anything was written.

        The simulation checks its own view of each case first, so refusals are rare; no savepoint
        is taken because a refused first step writes nothing. A follow-up refused after earlier
        steps of the same command were written cannot be undone alone, so it stops the run.
        """
        assert self._uow is not None
        saved = self._saved
        saved.clear()
        try:
            run_command(
                self._uow, self._ctx, self.platform, case_id, command, now,
                observe=lambda state, events: saved.append((state, events)),
            )
        except LiuchengError as exc:
            if saved:
                raise SimulationError(
                    f"{type(command).__name__} on case {case_id} at {now.isoformat()} failed half-way: {exc}",
                    hint="this is a bug in the simulation or the model; rerun with another seed to go on",
                ) from exc
            self.stats.rejected_steps += 1
            if len(self.stats.errors) < 20:
                self.stats.errors.append(f"{now.isoformat()} {case_id} {type(command).__name__}: {exc}")
            return False
        self.stats.steps += 1
        self._observe(now, saved)
        return True

    # -- what happened ----------------------------------------------------------------------------
    def _observe(self, now: datetime, saved: list[tuple[CaseState, list[Event]]]) -> None:
        stats = self.stats
        latest: dict[str, CaseState] = {}
        touched: list[tuple[str, str]] = []
        for state, events in saved:
            case_id = state.case_id
            latest[case_id] = state
            stats.events += len(events)
            for event in events:
                kind = event.type
                if kind is EventType.TIMER_SCHEDULED:
                    due = datetime.fromisoformat(event.data["due_at"])
                    self._push(max(due, now), "timer", case_id, event.data["timer_id"])
                elif kind in _TASK_MOVES:
                    touched.append((case_id, event.task_id or ""))
                    if kind is EventType.TASK_CREATED:
                        stats.tasks_created += 1
                elif kind is EventType.JOB_FAILED:
                    self._push(datetime.fromisoformat(event.data["retry_at"]), "webhook", case_id, event.task_id)
                elif kind is EventType.SLA_MET and event.task_id is None:
                    stats.sla_final[(case_id, event.data["clock"])] = event.data["status"]
                elif kind is EventType.ESCALATION_RAISED:
                    stats.escalations_by_level[int(event.data["level"])] += 1
                    stats.escalated_cases.add(case_id)
                elif kind is EventType.CASE_OPENED:
                    stats.by_process[state.process_key] += 1
                elif kind is EventType.CASE_REOPENED:
                    stats.reopened.add(case_id)
                    self._closed.pop(case_id, None)
                elif kind is EventType.CASE_HELD:
                    self._customer_waits(now, state)
                elif kind in _CLOSED:
                    self._case_closed(now, state, kind)
        for case_id, state in latest.items():
            if state.is_closed:
                self._states.pop(case_id, None)
            else:
                self._states[case_id] = state
        for case_id, task_id in touched:
            self._route(now, latest[case_id], task_id)

    def _case_closed(self, now: datetime, state: CaseState, kind: EventType) -> None:
        self._closed[state.case_id] = state.status.value
        if kind is not EventType.CASE_COMPLETED or state.parent_case_id is not None:
            return
        self.stats.completed.add(state.case_id)
        if (
            state.reopen_count == 0
            and state.category in behaviour.REOPEN_CATEGORIES
            and self.rng.random() < behaviour.REOPEN_RATE
        ):
            self._push(now + timedelta(seconds=behaviour.lognormal_s(self.rng, 1200, 0.8)), "reopen", state.case_id)

    def _customer_waits(self, now: datetime, state: CaseState) -> None:
        definition = self._definition(state)
        messages: list[str] = []
        has_timeout = False
        for token in state.tokens.values():
            here = definition.element(token.element_id)
            targets = [here]
            if here.kind is ElementKind.EVENT_BASED_GATEWAY:
                targets = [definition.element(definition.flow(f).target) for f in here.outgoing]
            for target in targets:
                if target.kind is ElementKind.MESSAGE_CATCH and target.message:
                    messages.append(target.message)
                has_timeout = has_timeout or target.kind is ElementKind.TIMER_CATCH
        if not messages:
            return
        reply = behaviour.customer_reply(self.rng, messages, has_timeout=has_timeout)
        if reply is not None:
            delay = behaviour.lognormal_s(self.rng, behaviour.CUSTOMER_REPLY_MINUTES, 1.0)
            self._push(now + timedelta(seconds=delay), "customer", state.case_id, reply)

    def _route(self, now: datetime, state: CaseState, task_id: str) -> None:
        """Put a new or moved task where someone will pick it up (or its webhook will answer)."""
        task = state.tasks.get(task_id)
        if task is None or task.status is not TaskStatus.OPEN:
            return
        if task.kind == ElementKind.SERVICE_TASK:
            self._push(now + timedelta(seconds=self.rng.randint(2, 40)), "webhook", state.case_id, task_id)
            return
        if task.kind not in HUMAN_TASK_KINDS:
            return
        entry = (_PRIORITY_RANK.get(state.priority, 3), task.created_at.timestamp(), task_id, state.case_id)
        if task.assignee is not None:
            heapq.heappush(self._mine.setdefault(task.assignee, []), entry)
            worker = self._workers.get(task.assignee)
            if worker is not None and worker.task_id is None:
                self._idle.get(worker.person.lane, {}).pop(task.assignee, None)
                self._free(task.assignee, now)
        elif task.lane is not None:
            heapq.heappush(self._pool.setdefault(task.lane, []), entry)
            self._dispatch(task.lane, now)

    # -- people -----------------------------------------------------------------------------------
    def _task_if_takeable(self, user: str, case_id: str, task_id: str, *, own: bool) -> bool:
        state = self._states.get(case_id)
        task = state.tasks.get(task_id) if state is not None else None
        if task is None or task.status is not TaskStatus.OPEN:
            return False
        worker = self._workers[user]
        return task.assignee == user if own else task.assignee is None and task.lane == worker.person.lane

    def _take(self, user: str) -> tuple[str, str] | None:
        """The next task ``user`` works on: their own first, then their queue's, most urgent first."""
        mine = self._mine.get(user)
        while mine:
            _, _, task_id, case_id = heapq.heappop(mine)
            if self._task_if_takeable(user, case_id, task_id, own=True):
                return case_id, task_id
        worker = self._workers[user]
        lane = worker.person.lane
        pool = self._pool.get(lane)
        skipped = []
        found = None
        while pool:
            entry = heapq.heappop(pool)
            _, _, task_id, case_id = entry
            if not self._task_if_takeable(user, case_id, task_id, own=False):
                continue
            needed = self._states[case_id].tasks[task_id].skills
            if needed and not set(needed) <= worker.skills and set(needed) <= self._lane_skills[lane]:
                skipped.append(entry)
                continue
            found = (case_id, task_id)
            break
        for entry in skipped:
            heapq.heappush(pool, entry)  # type: ignore[arg-type]
        return found

    def _free(self, user: str, now: datetime) -> None:
        """``user`` has nothing in hand: start on the next task, or wait idle (or off shift)."""
        worker = self._workers[user]
        worker.task_id = None
        if not worker.shift.is_open(now):
            if not worker.waking:
                worker.waking = True
                self._push(worker.shift.next_open(now), "wake", user)
            return
        picked = self._take(user)
        if picked is None:
            self._idle.setdefault(worker.person.lane, {})[user] = None
            return
        case_id, task_id = picked
        worker.task_id = task_id
        element_id = self._states[case_id].tasks[task_id].element_id
        delay = behaviour.pickup_s(self.rng, worker.person.lane, element_id)
        # The pick-up delay runs on the person's shift: nobody claims work over lunch or at night.
        self._push(worker.shift.add_business_seconds(now, delay), "claim", user, case_id, task_id)

    def _dispatch(self, lane: str, now: datetime) -> None:
        idle = self._idle.get(lane)
        if not idle:
            return
        for user in list(idle):
            if not self._pool.get(lane):
                return
            del idle[user]
            self._free(user, now)

    # -- handlers, one per kind of happening ------------------------------------------------------
    def _on_arrival(self, now: datetime, arrival: Arrival) -> None:
        case_id = f"C{now:%Y%m%d}-{arrival.index + 1:06d}"
        command = OpenCase(
            case_id=case_id,
            process_key=arrival.process_key,
            category=arrival.category,
            priority=arrival.priority,
            customer=arrival.customer,
            title=f"{arrival.category} {arrival.customer[-4:]}",
        )
        if self._run(case_id, command, now):
            self.stats.cases_opened += 1
            if self.rng.random() < behaviour.CANCEL_RATE:
                delay = behaviour.lognormal_s(self.rng, 180, 1.0)
                self._push(now + timedelta(seconds=delay), "cancel", case_id)
        if self.progress is not None and self.stats.cases_opened % 100 == 0:
            self.progress(self.stats.cases_opened, self.total_cases)
        self._next_arrival()

    def _next_arrival(self) -> None:
        arrival = next(self._arrivals, None)
        if arrival is not None:
            self._push(arrival.at, "arrival", arrival)

    def _on_wake(self, now: datetime, user: str) -> None:
        worker = self._workers[user]
        worker.waking = False
        if worker.task_id is None:
            self._idle.get(worker.person.lane, {}).pop(user, None)
            self._free(user, now)

    def _on_claim(self, now: datetime, user: str, case_id: str, task_id: str) -> None:
        worker = self._workers[user]
        own = self._task_if_takeable(user, case_id, task_id, own=True)
        if not (own or self._task_if_takeable(user, case_id, task_id, own=False)):
            self._free(user, now)
            return
        state = self._states[case_id]
        element = self._definition(state).element(state.tasks[task_id].element_id)
        work_s = behaviour.handling_s(self.rng, element)
        done = worker.shift.add_business_seconds(now, work_s)
        # A first step is the form filled in while the customer is on the line: it is completed
        # in one go (the engine records its start and completion together), which also saves a
        # step per case.
        direct = element.id in behaviour.FIRST_STEPS
        if not direct and not self._run(case_id, ClaimTask(task_id=task_id, by=user), now):
            self._free(user, now)
            return
        self._push(done, "done", user, case_id, task_id, 0 if direct else work_s)

    def _on_done(self, now: datetime, user: str, case_id: str, task_id: str, work_s: int) -> None:
        """Complete the task; ``work_s`` is the recorded work (0 for a first step done in one go)."""
        state = self._states.get(case_id)
        task = state.tasks.get(task_id) if state is not None else None
        if state is None or task is None:
            self._free(user, now)  # cancelled meanwhile
            return
        in_hand = task.status is TaskStatus.CLAIMED and task.assignee == user
        direct = work_s == 0 and (
            self._task_if_takeable(user, case_id, task_id, own=True)
            or self._task_if_takeable(user, case_id, task_id, own=False)
        )
        if not (in_hand or direct):
            self._free(user, now)  # taken away (escalated) meanwhile
            return
        element = self._definition(state).element(task.element_id)
        form = behaviour.form_values(self.rng, element, category=state.category, case_id=case_id)
        if self._run(case_id, CompleteTask(task_id=task_id, by=user, form=form), now):
            lane = task.lane or "unassigned"
            self.stats.done_tasks[lane] += 1
            self.stats.busy_s[lane] += work_s
        self._free(user, now)

    def _on_timer(self, now: datetime, case_id: str, timer_id: str) -> None:
        state = self._states.get(case_id)
        if state is not None and timer_id in state.timers and state.timers[timer_id].due_at <= now:
            self._run(case_id, FireTimer(timer_id=timer_id), now)

    def _on_webhook(self, now: datetime, case_id: str, task_id: str) -> None:
        state = self._states.get(case_id)
        task = state.tasks.get(task_id) if state is not None else None
        if state is None or task is None or task.status is not TaskStatus.OPEN:
            return
        element = self._definition(state).element(task.element_id)
        retries = element.webhook.retries if element.webhook else 0
        command: Command
        if task.attempts < retries and self.rng.random() < behaviour.WEBHOOK_FAILURE_RATE:
            command = FailServiceTask(task_id=task_id, error=self.rng.choice(("HTTP 503", "ReadTimeout")))
        else:
            command = CompleteServiceTask(task_id=task_id, data={"notified": True})
        self._run(case_id, command, now)

    def _on_customer(self, now: datetime, case_id: str, message: str) -> None:
        state = self._states.get(case_id)
        if state is None:
            return
        definition = self._definition(state)
        for token in state.tokens.values():
            here = definition.element(token.element_id)
            targets = [here]
            if here.kind is ElementKind.EVENT_BASED_GATEWAY:
                targets = [definition.element(definition.flow(f).target) for f in here.outgoing]
            if any(t.kind is ElementKind.MESSAGE_CATCH and t.message == message for t in targets):
                data = {"customer_reply": message}
                self._run(case_id, ReceiveMessage(name=message, data=data, by="customer"), now)
                return

    def _on_reopen(self, now: datetime, case_id: str) -> None:
        if self._closed.get(case_id) == "completed":
            agent = self.rng.choice(self._agents)
            self._run(case_id, ReopenCase(by=agent, reason="客户回访未解决 customer says not solved"), now)

    def _on_cancel(self, now: datetime, case_id: str) -> None:
        state = self._states.get(case_id)
        if state is None or state.parent_case_id is not None:
            return
        # Cancelling a case whose called case is still running fails in services.cases: the child's
        # cancellation reports back to the parent task that was just cancelled. Customers here
        # withdraw only cases without a running sub-case until that is fixed.
        if not any(t.child_case_id for t in state.active_tasks()):
            agent = self.rng.choice(self._agents)
            self._run(case_id, CancelCase(by=agent, reason="客户撤单 customer withdrew"), now)
