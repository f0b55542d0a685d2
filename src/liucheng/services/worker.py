"""The worker: fires due timers and calls webhook service tasks.

Several worker processes may share one PostgreSQL database: due timers and jobs are taken with
``FOR UPDATE SKIP LOCKED``, so each is handled by exactly one of them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from liucheng.core.errors import LiuchengError
from liucheng.engine import CompleteServiceTask, Event, EventType, FailServiceTask, FireTimer
from liucheng.process.spec import ElementKind
from liucheng.services.cases import run_command
from liucheng.services.platform import Platform

log = logging.getLogger("liucheng.worker")


@dataclass
class WorkerStats:
    timers_fired: int = 0
    jobs_done: int = 0
    jobs_failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: WorkerStats) -> None:
        self.timers_fired += other.timers_fired
        self.jobs_done += other.jobs_done
        self.jobs_failed += other.jobs_failed
        self.errors.extend(other.errors)


class Worker:
    def __init__(
        self,
        platform: Platform,
        *,
        batch: int = 50,
        http: httpx.Client | None = None,
        url_prefixes: Mapping[str, str] | None = None,
    ) -> None:
        """``url_prefixes`` routes webhooks per environment, e.g.
        ``{"http://localhost:8080": "https://hooks.staging.example.com"}``."""
        self.platform = platform
        self.batch = batch
        self.http = http or httpx.Client(follow_redirects=False)
        self.url_prefixes = dict(url_prefixes or {})

    def webhook_url(self, url: str) -> str:
        for prefix, replacement in self.url_prefixes.items():
            if url.startswith(prefix):
                return replacement + url[len(prefix) :]
        return url

    def fire_due_timers(self) -> WorkerStats:
        """Fire every timer due now. In a batch each timer gets a savepoint, so one bad timer
        cannot block the rest; a batch of one needs none (the transaction is the savepoint)."""
        stats = WorkerStats()
        now = self.platform.clock.now()
        failed: set[str] = set()
        while True:
            # a step may schedule a timer that is already due (an SLA threshold long passed)
            more_due = False

            def watch(state: Any, events: list[Event]) -> None:
                nonlocal more_due
                for event in events:
                    if event.type is EventType.TIMER_SCHEDULED and _instant(event.data["due_at"]) <= now:
                        more_due = True

            limit = self.batch + len(failed)
            fired = 0
            try:
                with self.platform.store.unit_of_work() as uow:
                    fetched = uow.timers.due(now, limit)
                    due = [d for d in fetched if d[0] not in failed][: self.batch]
                    if not due:
                        return stats
                    ctx = self.platform.engine_context(uow)
                    for timer_id, case_id in due:
                        savepoint = uow.savepoint() if len(due) > 1 else None
                        try:
                            run_command(
                                uow, ctx, self.platform, case_id, FireTimer(timer_id=timer_id), now, observe=watch
                            )
                        except LiuchengError as exc:
                            if savepoint is None:
                                raise _TimerFailed(timer_id, case_id, exc) from exc
                            savepoint.rollback()
                            self._failed(stats, failed, timer_id, case_id, exc)
                        else:
                            if savepoint is not None:
                                savepoint.commit()
                            fired += 1
            except _TimerFailed as failure:
                self._failed(stats, failed, failure.timer_id, failure.case_id, failure.error)
                continue
            stats.timers_fired += fired
            if len(fetched) < limit and not more_due:
                return stats  # nothing else was due: no need for another look

    @staticmethod
    def _failed(stats: WorkerStats, failed: set[str], timer_id: str, case_id: str, exc: LiuchengError) -> None:
        failed.add(timer_id)
        stats.errors.append(f"timer {timer_id} of case {case_id}: {exc}")
        log.warning("timer %s of case %s failed: %s", timer_id, case_id, exc)

    def run_service_jobs(self) -> WorkerStats:
        """Call the webhooks of due service tasks; the call happens outside any transaction."""
        stats = WorkerStats()
        now = self.platform.clock.now()
        with self.platform.store.unit_of_work() as uow:
            jobs = uow.tasks.due_service_jobs(now, self.batch)
            calls: list[tuple[Any, Any, dict[str, Any]]] = []
            for job in jobs:
                state = uow.cases.get(job.case_id)
                definition = self.platform.definition(uow, state.process_key, state.process_version)
                element = definition.element(job.element_id)
                assert element.kind is ElementKind.SERVICE_TASK and element.webhook is not None
                # lease the job so no other worker calls it while this one waits for the answer
                uow.tasks.lease(job.task_id, now + timedelta(seconds=element.webhook.timeout_s * 2))
                payload = {
                    "case_id": state.case_id,
                    "task_id": job.task_id,
                    "element_id": job.element_id,
                    "process": definition.key,
                    "category": state.category,
                    "priority": state.priority,
                    "customer": state.customer,
                    "data": state.data,
                }
                calls.append((job, element.webhook, payload))
        for job, webhook, payload in calls:
            command: CompleteServiceTask | FailServiceTask
            try:
                response = self.http.request(
                    webhook.method, self.webhook_url(webhook.url), json=payload, timeout=webhook.timeout_s
                )
                if response.is_success:
                    body = _json_object(response)
                    command = CompleteServiceTask(task_id=job.task_id, data=body)
                else:
                    command = FailServiceTask(task_id=job.task_id, error=f"HTTP {response.status_code}")
            except httpx.HTTPError as exc:
                command = FailServiceTask(task_id=job.task_id, error=f"{type(exc).__name__}: {exc}")
            try:
                with self.platform.store.unit_of_work() as uow:
                    ctx = self.platform.engine_context(uow)
                    run_command(uow, ctx, self.platform, job.case_id, command, self.platform.clock.now())
            except LiuchengError as exc:  # the case moved on meanwhile (cancelled, interrupted)
                stats.errors.append(f"service task {job.task_id}: {exc}")
                continue
            if isinstance(command, CompleteServiceTask):
                stats.jobs_done += 1
            else:
                stats.jobs_failed += 1
        return stats

    def run_once(self) -> WorkerStats:
        stats = self.fire_due_timers()
        stats.add(self.run_service_jobs())
        return stats

    def run_forever(
        self, *, poll_s: float = 1.0, stop: threading.Event | None = None, reload_s: float = 30.0
    ) -> None:
        """Work until ``stop`` is set; calendars, policies and assignment rules are re-read every
        ``reload_s`` seconds so a long-running worker follows `liucheng config load`."""
        stop = stop or threading.Event()
        reloaded = time.monotonic()
        while not stop.is_set():
            if time.monotonic() - reloaded >= reload_s:
                self.platform.reload()
                reloaded = time.monotonic()
            stats = self.run_once()
            if not (stats.timers_fired or stats.jobs_done or stats.jobs_failed):
                stop.wait(poll_s)


class _TimerFailed(Exception):
    """A lone timer failed: its whole unit of work rolls back, then the worker goes on."""

    def __init__(self, timer_id: str, case_id: str, error: LiuchengError) -> None:
        super().__init__(timer_id)
        self.timer_id, self.case_id, self.error = timer_id, case_id, error


def _instant(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """A JSON object answer is merged into the case data; anything else is ignored."""
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
