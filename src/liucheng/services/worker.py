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
from datetime import timedelta
from typing import Any

import httpx

from liucheng.core.errors import LiuchengError
from liucheng.engine import CompleteServiceTask, FailServiceTask, FireTimer
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
        """Fire every timer due now, one savepoint each so one bad timer cannot block the rest."""
        stats = WorkerStats()
        now = self.platform.clock.now()
        failed: set[str] = set()
        while True:
            with self.platform.store.unit_of_work() as uow:
                due = [d for d in uow.timers.due(now, self.batch + len(failed)) if d[0] not in failed]
                if not due:
                    return stats
                ctx = self.platform.engine_context(uow)
                for timer_id, case_id in due[: self.batch]:
                    savepoint = uow.connection.begin_nested()
                    try:
                        run_command(uow, ctx, self.platform, case_id, FireTimer(timer_id=timer_id), now)
                    except LiuchengError as exc:
                        savepoint.rollback()
                        failed.add(timer_id)
                        stats.errors.append(f"timer {timer_id} of case {case_id}: {exc}")
                        log.warning("timer %s of case %s failed: %s", timer_id, case_id, exc)
                    else:
                        savepoint.commit()
                        stats.timers_fired += 1

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


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """A JSON object answer is merged into the case data; anything else is ignored."""
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
