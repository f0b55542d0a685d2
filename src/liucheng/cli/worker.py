"""``liucheng worker``: fire due timers and call webhook service tasks until stopped.

With ``--processes N`` the command starts N OS processes, each with its own platform and
connection pool. They share the work safely on PostgreSQL, where due timers and jobs are taken
with ``FOR UPDATE SKIP LOCKED``; on SQLite they take turns on the write lock.
"""

from __future__ import annotations

import json
import multiprocessing
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Protocol

import typer

from liucheng.cli.output import Format, FormatOption, console, emit, err_console, handle_errors
from liucheng.cli.state import app_state
from liucheng.core.errors import LiuchengError, ValidationError
from liucheng.services import Platform, Worker, WorkerStats
from liucheng.store import open_store


class StopFlag(Protocol):
    def is_set(self) -> bool: ...
    def set(self) -> None: ...
    def wait(self, timeout: float | None = None) -> bool: ...


class ReportingWorker(Worker):
    """A worker that says what each busy round did."""

    def __init__(self, platform: Platform, *, report: Callable[[WorkerStats], None], **options: Any) -> None:
        super().__init__(platform, **options)
        self.report = report
        self.total = WorkerStats()

    def run_once(self) -> WorkerStats:
        stats = super().run_once()
        self.total.add(stats)
        if stats.timers_fired or stats.jobs_done or stats.jobs_failed or stats.errors:
            self.report(stats)
        return stats


def stats_data(stats: WorkerStats, label: str) -> dict[str, Any]:
    return {
        "worker": label,
        "timers_fired": stats.timers_fired,
        "jobs_done": stats.jobs_done,
        "jobs_failed": stats.jobs_failed,
        "errors": list(stats.errors),
    }


def stats_line(stats: WorkerStats) -> str:
    return (
        f"fired {stats.timers_fired} timer(s), {stats.jobs_done} webhook call(s) done, "
        f"{stats.jobs_failed} failed"
    )


def _reporter(fmt: Format, label: str) -> Callable[[WorkerStats], None]:
    def report(stats: WorkerStats) -> None:
        if fmt is Format.JSON:
            # One JSON object per line: a stream scripts can read as it comes.
            sys.stdout.write(json.dumps(stats_data(stats, label)) + "\n")
            sys.stdout.flush()
            return
        console.print(f"[{label}] {stats_line(stats)}", markup=False)
        for error in stats.errors:
            err_console.print(f"[{label}] {error}", style="yellow", markup=False)

    return report


def parse_prefixes(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in values or ():
        old, sep, new = raw.partition("=")
        if not sep or not old or not new:
            raise ValidationError(
                f"{raw!r} is not OLD=NEW",
                where="--webhook-prefix",
                hint="e.g. --webhook-prefix http://localhost:8080=https://hooks.example.com",
            )
        out[old] = new
    return out


@contextmanager
def stop_on_signals(stop: StopFlag) -> Iterator[None]:
    """Ctrl-C and SIGTERM end the current round, then the loop: no transaction is cut short."""

    def handler(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_worker(
    url: str | None, *, poll_s: float, prefixes: dict[str, str], fmt: Format, label: str, stop: StopFlag
) -> WorkerStats:
    platform = Platform(open_store(url, create=False))
    try:
        worker = ReportingWorker(platform, report=_reporter(fmt, label), url_prefixes=prefixes)
        worker.run_forever(poll_s=poll_s, stop=stop)  # type: ignore[arg-type]
        return worker.total
    finally:
        platform.store.close()


def _child(
    url: str | None, poll_s: float, prefixes: dict[str, str], fmt: str, label: str, stop: StopFlag
) -> None:
    """Entry point of each worker process (started with spawn: a fresh interpreter, no shared pool)."""
    try:
        with stop_on_signals(stop):
            total = run_worker(url, poll_s=poll_s, prefixes=prefixes, fmt=Format(fmt), label=label, stop=stop)
    except LiuchengError as exc:
        err_console.print(f"[{label}] error: {exc.message}", style="red", markup=False)
        if exc.hint:
            err_console.print(f"[{label}] hint: {exc.hint}", markup=False)
        sys.exit(1)
    if Format(fmt) is Format.TABLE:
        console.print(f"[{label}] stopped: {stats_line(total)}", markup=False)


@handle_errors
def worker_command(
    once: Annotated[bool, typer.Option("--once", help="Run one round in this process and exit.")] = False,
    poll: Annotated[
        float, typer.Option("--poll", min=0.05, help="Seconds to wait when there is nothing to do.")
    ] = 1.0,
    processes: Annotated[
        int, typer.Option("--processes", "-n", min=1, help="Worker processes to start.")
    ] = 1,
    webhook_prefix: Annotated[
        list[str] | None,
        typer.Option(
            "--webhook-prefix", help="OLD=NEW: call webhooks under OLD at NEW instead (per environment)."
        ),
    ] = None,
    fmt: FormatOption = Format.TABLE,
) -> None:
    """Fire due timers (SLA warnings, breaches, escalations) and call webhooks; Ctrl-C or SIGTERM stops."""
    state = app_state()
    prefixes = parse_prefixes(webhook_prefix)
    platform = state.platform()  # fail fast on a missing or outdated database
    if fmt is Format.TABLE:
        from liucheng.services.config import calendar_warnings

        with platform.store.unit_of_work(read_only=True) as uow:
            for warning in calendar_warnings(uow, platform.clock.now().date()):
                err_console.print(f"warning: {warning}", style="yellow", markup=False)
    if once:
        stats = Worker(platform, url_prefixes=prefixes).run_once()
        emit(fmt, stats_data(stats, "1/1"), lambda: [stats_line(stats), *stats.errors])
        return
    where = platform.store.url
    state.close()
    if fmt is Format.TABLE:
        err_console.print(
            f"worker: {processes} process(es) on {where}, polling every {poll}s; Ctrl-C stops", markup=False
        )
    if processes == 1:
        stop = threading.Event()
        with stop_on_signals(stop):
            total = run_worker(state.url, poll_s=poll, prefixes=prefixes, fmt=fmt, label="1/1", stop=stop)
        if fmt is Format.TABLE:
            console.print(f"stopped: {stats_line(total)}", markup=False)
        return
    ctx = multiprocessing.get_context("spawn")
    stop_all = ctx.Event()
    children = [
        ctx.Process(
            target=_child,
            args=(state.url, poll, prefixes, fmt.value, f"{i + 1}/{processes}", stop_all),
            name=f"liucheng-worker-{i + 1}",
        )
        for i in range(processes)
    ]
    with stop_on_signals(stop_all):
        for child in children:
            child.start()
        for child in children:
            child.join()
    failed = [c.name for c in children if c.exitcode != 0]
    if failed:
        raise LiuchengError(
            f"worker processes ended with an error: {', '.join(failed)}", hint="see their messages above"
        )
