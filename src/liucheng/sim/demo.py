"""``run_demo``: build the demo centre in a fresh database and drive months of history through it.

    summary = run_demo("sqlite:///var/demo.db", cases=20_000, reset=True)
    print(format_summary(summary))

The history ends on a fixed date derived from the seed, so the same seed gives the same
database (up to the wall-clock seconds it took) and the same exported event log.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from liucheng.core.clock import FrozenClock
from liucheng.core.errors import ConflictError
from liucheng.library import library_paths
from liucheng.services.export import export_events
from liucheng.services.platform import Platform
from liucheng.services.processes import deploy
from liucheng.sim.arrivals import ArrivalModel
from liucheng.sim.centre import OFFICE_CALENDAR, ZONE, demo_centre, load_centre
from liucheng.sim.simulation import SimStats, Simulation
from liucheng.store import CaseRow, Store, open_store, resolve_url

DEFAULT_DB = Path("var") / "demo.db"
#: Where ``liucheng demo`` writes unless told otherwise: ``var/demo.db`` under the working directory.
DEFAULT_DEMO_URL = f"sqlite:///{DEFAULT_DB.as_posix()}"
#: The history ends a week before the day this demo was dated, minus a few days chosen by the seed.
HISTORY_END = date(2026, 11, 14)
#: Arrivals on an ordinary weekday when there are enough cases to fill months.
CASES_PER_WEEKDAY = 170.0
#: Fewer cases are spread over at least this many days, so they meet nights, weekends and timers.
MIN_DAYS = 14.0
#: Arrivals stop this long before the end; cases still open then are the live backlog.
DRAIN = timedelta(days=1)


@dataclass(frozen=True)
class DemoSummary:
    db: str
    cases: int
    cases_by_category: dict[str, int]
    cases_by_status: dict[str, int]
    cases_by_process: dict[str, int]
    events: int
    tasks: int
    #: Clock -> share of case clocks that stopped within target ("first_response", "resolution").
    sla_attainment: dict[str, float]
    sla_counts: dict[str, dict[str, int]]
    escalations_by_level: dict[int, int]
    reopen_rate: float
    busiest_department: str
    busiest_department_hours: float
    history_start: datetime
    history_end: datetime
    wall_clock_s: float
    #: Where the time went: "setup", "simulate", "export", "summary" (seconds).
    phases_s: dict[str, float]
    export_path: str | None
    next_commands: list[str] = field(default_factory=list)
    rejected_steps: int = 0


def history_end(seed: int) -> datetime:
    """Midnight in Beijing ending the simulated history (fixed per seed, never today's date)."""
    day = HISTORY_END - timedelta(days=seed % 7)
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def run_demo(
    url: str,
    *,
    cases: int = 20_000,
    seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
    export_to: Path | None = None,
    reset: bool = False,
    commit_every: int = 1000,
) -> DemoSummary:
    """Build the demo centre at ``url`` and simulate until ``cases`` cases have opened.

    The database must be empty unless ``reset`` (then it is wiped first). The event log is
    written as XES to ``export_to``, by default next to a SQLite database (``demo.xes.gz``).
    """
    if cases < 1:
        raise ValueError("cases must be at least 1")
    started = time.perf_counter()
    store = _fresh_store(url, reset=reset)
    try:
        centre = demo_centre()
        model = ArrivalModel(centre.calendars[OFFICE_CALENDAR])
        end = history_end(seed)
        plan = model.plan(cases, end=end - DRAIN, per_day=CASES_PER_WEEKDAY, min_days=MIN_DAYS)
        clock = FrozenClock(plan.start - timedelta(hours=1))
        platform = Platform(store, clock=clock)
        with store.unit_of_work() as uow:
            load_centre(uow, centre)
        for path in library_paths():
            deploy(platform, path, by="demo")
        arrivals = model.arrivals(random.Random(seed), plan, cases=cases)
        sim = Simulation(
            platform,
            centre,
            arrivals,
            total_cases=cases,
            until=end,
            seed=seed,
            commit_every=commit_every,
            progress=progress,
        )
        phases = {"setup": time.perf_counter() - started}
        stats = sim.run()
        phases["simulate"] = time.perf_counter() - started - sum(phases.values())
        export_path = export_to if export_to is not None else _default_export(url)
        if export_path is not None:
            export_path.parent.mkdir(parents=True, exist_ok=True)
            export_events(platform, export_path, format="xes")
        phases["export"] = time.perf_counter() - started - sum(phases.values())
        return _summarise(
            store, stats, start=plan.start, end=end, export_path=export_path, started=started, phases=phases
        )
    finally:
        store.close()


def _default_export(url: str) -> Path | None:
    parsed = resolve_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        db = Path(parsed.database)
        return db.with_name(db.stem + ".xes.gz")
    return None


def _is_empty(store: Store) -> bool:
    with store.unit_of_work(read_only=True) as uow:
        return not (uow.definitions.list() or uow.org.users() or uow.cases.list(limit=1))


def _fresh_store(url: str, *, reset: bool) -> Store:
    parsed = resolve_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and reset:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(path) + suffix).unlink(missing_ok=True)
    store = open_store(url)
    if _is_empty(store):
        return store
    store.close()
    if reset:  # only a SQLite file is wiped here; a server database is never dropped behind one's back
        raise ConflictError(
            f"database {store.url} already holds data and is not a SQLite file the demo may delete",
            hint="drop and recreate it (dropdb/createdb) or use a new schema, then run the demo again",
        )
    raise ConflictError(
        f"database {store.url} already holds data",
        hint="point the demo at a new database, or pass reset=True (liucheng demo --reset) to wipe it",
    )


def _case_rows(store: Store) -> list[CaseRow]:
    rows: list[CaseRow] = []
    with store.unit_of_work(read_only=True) as uow:
        while True:
            page = uow.cases.list(limit=5000, offset=len(rows))
            rows.extend(page)
            if len(page) < 5000:
                return rows


def _summarise(
    store: Store,
    stats: SimStats,
    *,
    start: datetime,
    end: datetime,
    export_path: Path | None,
    started: float,
    phases: dict[str, float],
) -> DemoSummary:
    rows = _case_rows(store)
    with store.unit_of_work(read_only=True) as uow:
        events = uow.events.count()
    sla_counts: dict[str, dict[str, int]] = {}
    for (_, clock), status in stats.sla_final.items():
        sla_counts.setdefault(clock, {"met": 0, "missed": 0})[status] += 1
    attainment = {clock: round(c["met"] / (c["met"] + c["missed"]), 4) for clock, c in sorted(sla_counts.items())}
    busiest, busy_s = max(stats.busy_s.items(), key=lambda kv: (kv[1], kv[0]), default=("", 0))
    reopen_rate = len(stats.reopened) / len(stats.completed) if stats.completed else 0.0
    url = store.url
    db = f"liucheng --db {url}"
    next_commands = [f"{db} case list --status open", f"{db} task list --queue back_office"]
    escalated = min(stats.escalated_cases, default=None)
    if escalated is not None:
        next_commands.append(f"{db} case show {escalated}")
        next_commands.append(f"{db} case events {escalated}")
    next_commands.append(f"{db} events export --out demo.csv")
    next_commands.append(f"{db} events mirror  # then: liucheng analyze / mine / kpi on the .duckdb file")
    if export_path is not None:
        report = Path(export_path).with_name("demo-report.html")
        next_commands.append(f"liucheng analyze {export_path} -o {report}")
        next_commands.append(f"liucheng mine handover {export_path} --by group")
    return DemoSummary(
        db=url,
        cases=len(rows),
        cases_by_category=dict(sorted(Counter(r.category for r in rows).items())),
        cases_by_status=dict(sorted(Counter(r.status for r in rows).items())),
        cases_by_process=dict(sorted(Counter(r.process_key for r in rows).items())),
        events=events,
        tasks=stats.tasks_created,
        sla_attainment=attainment,
        sla_counts=sla_counts,
        escalations_by_level=dict(sorted(stats.escalations_by_level.items())),
        reopen_rate=round(reopen_rate, 4),
        busiest_department=busiest,
        busiest_department_hours=round(busy_s / 3600, 1),
        history_start=start,
        history_end=end,
        wall_clock_s=round(time.perf_counter() - started, 1),
        phases_s={
            k: round(v, 1)
            for k, v in (phases | {"summary": time.perf_counter() - started - sum(phases.values())}).items()
        },
        export_path=str(export_path) if export_path is not None else None,
        next_commands=next_commands,
        rejected_steps=stats.rejected_steps,
    )


def format_summary(summary: DemoSummary) -> str:
    """The summary as a few lines of plain text (the CLI renders its own tables)."""
    sla = ", ".join(f"{clock} {share:.1%}" for clock, share in summary.sla_attainment.items())
    levels = ", ".join(f"L{level} {n}" for level, n in summary.escalations_by_level.items()) or "none"
    lines = [
        f"database      {summary.db}",
        f"history       {summary.history_start:%Y-%m-%d} .. {summary.history_end:%Y-%m-%d} (UTC)",
        f"cases         {summary.cases}  " + ", ".join(f"{k} {v}" for k, v in summary.cases_by_status.items()),
        "categories    " + ", ".join(f"{k} {v}" for k, v in summary.cases_by_category.items()),
        f"events        {summary.events}   tasks {summary.tasks}",
        f"SLA met       {sla}",
        f"escalations   {levels}",
        f"reopened      {summary.reopen_rate:.1%} of completed cases",
        f"busiest       {summary.busiest_department} ({summary.busiest_department_hours} h of work)",
        f"event log     {summary.export_path or '(not exported)'}",
        f"took          {summary.wall_clock_s} s  ("
        + ", ".join(f"{k} {v} s" for k, v in summary.phases_s.items())
        + ")",
        "try next:",
        *(f"  {command}" for command in summary.next_commands),
    ]
    return "\n".join(lines)
