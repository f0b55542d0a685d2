"""One function per benchmark variant; each runs in a fresh process so its peak memory is its own.

A variant returns a dict: per-repeat seconds, completed tasks, cases, and memory figures.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import resource
import tempfile
import time
import traceback
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.six_step import (
    BPMN_PATH,
    MemorySink,
    NoSink,
    amount_for,
    drive_liucheng_case,
    drive_liucheng_in_memory,
    drive_spiff_case,
    liucheng_definition,
    spiff_spec,
)
from liucheng.core.clock import FrozenClock
from liucheng.engine import EngineContext
from liucheng.engine.context import Definitions
from liucheng.services import CaseService, Platform, Worker, deploy
from liucheng.store import Store, open_store

PG_DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WARMUP_CASES = 5
#: Cases run again under tracemalloc (slow) to get the peak Python heap of a run.
HEAP_CASES = 30

#: A case is driven by ``run(case_id, n)``; a variant hands one of these to ``_measure``.
CaseRunner = Callable[[str, int], list[str]]


# -- databases --------------------------------------------------------------------------------------
@contextlib.contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="liucheng-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextlib.contextmanager
def pg_schema_url(server_url: str) -> Iterator[str]:
    """A URL whose connections see only a fresh schema, dropped afterwards."""
    url = make_url(server_url)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        # Keep options the caller gave (e.g. -csynchronous_commit=off) and add the schema.
        options = " ".join(filter(None, [url.query.get("options"), f"-csearch_path={schema}"]))
        scoped = url.update_query_dict({"options": options})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@contextlib.contextmanager
def database(kind: str, pg_url: str) -> Iterator[str]:
    with sqlite_url() if kind == "sqlite" else pg_schema_url(pg_url) as url:
        yield url


_SPIFF_TABLE = "CREATE TABLE spiff_workflows (case_id VARCHAR(64) PRIMARY KEY, state TEXT NOT NULL)"
_SPIFF_UPSERT = text(
    "INSERT INTO spiff_workflows (case_id, state) VALUES (:case_id, :state) "
    "ON CONFLICT (case_id) DO UPDATE SET state = excluded.state"
)


class DatabaseSink(MemorySink):
    """A Spiff application's persistence: the workflow JSON in a row, one transaction per step.

    It uses liucheng's own engine settings (SQLite WAL with synchronous=NORMAL, the same pool on
    PostgreSQL) so both engines pay the same price per commit.
    """

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.engine = store.engine
        with self.engine.begin() as connection:
            connection.execute(text(_SPIFF_TABLE))

    def save(self, case_id: str, workflow: Any) -> None:
        state = self.serializer.serialize_json(workflow)
        with self.engine.begin() as connection:
            connection.execute(_SPIFF_UPSERT, {"case_id": case_id, "state": state})


# -- measuring ------------------------------------------------------------------------------------
def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_cases(run: CaseRunner, prefix: str, count: int) -> int:
    completed = 0
    for n in range(count):
        completed += len(run(f"{prefix}-{n}", n))
    return completed


def _measure(run: CaseRunner, *, cases: int, repeats: int, heap: bool = True) -> dict[str, Any]:
    _run_cases(run, "warm", WARMUP_CASES)
    seconds: list[float] = []
    tasks: list[int] = []
    for r in range(repeats):
        start = time.perf_counter()
        tasks.append(_run_cases(run, f"r{r}", cases))
        seconds.append(time.perf_counter() - start)
    out: dict[str, Any] = {"seconds": seconds, "tasks": tasks, "cases": [cases] * repeats}
    out["rss_peak_mb"] = _rss_mb()
    if heap:
        tracemalloc.start()
        _run_cases(run, "heap", min(cases, HEAP_CASES))
        out["heap_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        out["heap_cases"] = min(cases, HEAP_CASES)
        tracemalloc.stop()
    return out


# -- liucheng -------------------------------------------------------------------------------------
def _liucheng_runner(store: Store, *, claim: bool = False) -> CaseRunner:
    clock = FrozenClock(T0)
    platform = Platform(store, clock=clock)
    service, worker = CaseService(platform), Worker(platform)

    def run(case_id: str, n: int) -> list[str]:
        return drive_liucheng_case(service, worker, clock, case_id=case_id, amount=amount_for(n), claim=claim)

    return run


def _deploy(url: str) -> None:
    with open_store(url) as store:
        deploy(Platform(store, clock=FrozenClock(T0)), BPMN_PATH)


def liucheng_db(kind: str, *, cases: int, repeats: int, pg_url: str, claim: bool = False) -> dict[str, Any]:
    with database(kind, pg_url) as url:
        _deploy(url)
        with open_store(url, create=False) as store:
            return _measure(_liucheng_runner(store, claim=claim), cases=cases, repeats=repeats)


def liucheng_memory(*, cases: int, repeats: int, pg_url: str, claim: bool = False) -> dict[str, Any]:
    definitions = Definitions()
    definitions.add(liucheng_definition())
    ctx = EngineContext(definitions=definitions)
    clock = FrozenClock(T0)
    kept: dict[str, bytes] = {}

    def run(case_id: str, n: int) -> list[str]:
        amount = amount_for(n)
        return drive_liucheng_in_memory(
            ctx, clock, case_id=case_id, amount=amount, keep=kept.__setitem__, claim=claim
        )

    return _measure(run, cases=cases, repeats=repeats)


def _pg_worker(url: str, prefix: str, cases: int, barrier: Any, results: Any) -> None:
    try:
        with open_store(url, create=False) as store:
            run = _liucheng_runner(store)
            _run_cases(run, f"{prefix}-warm", 2)
            barrier.wait()
            start = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes on Linux
            tasks = _run_cases(run, prefix, cases)
            results.put((tasks, start, time.perf_counter(), _rss_mb()))
    except BaseException:
        barrier.abort()  # the siblings stop waiting instead of hanging
        results.put(traceback.format_exc())
        raise


def liucheng_pg_processes(workers: int, *, cases: int, repeats: int, pg_url: str) -> dict[str, Any]:
    """``workers`` OS processes drive disjoint cases on one PostgreSQL database at the same time."""
    context = multiprocessing.get_context("fork")
    per_worker = max(2 * cases // workers, 1)
    seconds: list[float] = []
    tasks: list[int] = []
    rss: list[float] = []
    with pg_schema_url(pg_url) as url:
        _deploy(url)
        for r in range(repeats):
            barrier, results = context.Barrier(workers), context.Queue()
            procs = [
                context.Process(target=_pg_worker, args=(url, f"r{r}w{w}", per_worker, barrier, results))
                for w in range(workers)
            ]
            for proc in procs:
                proc.start()
            rows = [results.get(timeout=600) for _ in procs]
            for proc in procs:
                proc.join()
            failures = [row for row in rows if isinstance(row, str)]
            if failures:
                raise RuntimeError(f"{len(failures)} worker process(es) failed; first:\n{failures[0]}")
            tasks.append(sum(row[0] for row in rows))
            seconds.append(max(row[2] for row in rows) - min(row[1] for row in rows))
            rss.extend(row[3] for row in rows)
    return {
        "seconds": seconds,
        "tasks": tasks,
        "cases": [per_worker * workers] * repeats,
        "rss_peak_mb": max(rss),
        "workers": workers,
    }


# -- SpiffWorkflow --------------------------------------------------------------------------------
def _spiff_runner(sink: Any) -> CaseRunner:
    spec = spiff_spec()

    def run(case_id: str, n: int) -> list[str]:
        return drive_spiff_case(spec, sink, case_id=case_id, amount=amount_for(n))

    return run


def spiff_memory(*, sink: str, cases: int, repeats: int, pg_url: str) -> dict[str, Any]:
    return _measure(_spiff_runner(NoSink() if sink == "none" else MemorySink()), cases=cases, repeats=repeats)


def spiff_db(kind: str, *, cases: int, repeats: int, pg_url: str) -> dict[str, Any]:
    with database(kind, pg_url) as url, open_store(url) as store:
        return _measure(_spiff_runner(DatabaseSink(store)), cases=cases, repeats=repeats)


# -- the catalogue ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    engine: str
    persistence: str
    #: Write transactions per case (liucheng: open, complete x6 (claim x6 more), the timer; Spiff: open, x6).
    writes_per_case: int
    run: Callable[..., dict[str, Any]]


VARIANTS: dict[str, Variant] = {
    "liucheng-memory": Variant("liucheng", "none (step + encode state)", 0, liucheng_memory),
    "liucheng-memory-claim": Variant(
        "liucheng", "none, claim then complete", 0, partial(liucheng_memory, claim=True)
    ),
    "liucheng-sqlite": Variant("liucheng", "SQLite", 8, partial(liucheng_db, "sqlite")),
    "liucheng-pg": Variant("liucheng", "PostgreSQL", 8, partial(liucheng_db, "postgres")),
    "liucheng-pg-claim": Variant(
        "liucheng", "PostgreSQL, claim then complete", 14, partial(liucheng_db, "postgres", claim=True)
    ),
    "liucheng-pg-x2": Variant("liucheng", "PostgreSQL, 2 processes", 8, partial(liucheng_pg_processes, 2)),
    "liucheng-pg-x4": Variant("liucheng", "PostgreSQL, 4 processes", 8, partial(liucheng_pg_processes, 4)),
    "liucheng-pg-x8": Variant("liucheng", "PostgreSQL, 8 processes", 8, partial(liucheng_pg_processes, 8)),
    "spiff-none": Variant("SpiffWorkflow", "none (no serialisation)", 0, partial(spiff_memory, sink="none")),
    "spiff-memory": Variant("SpiffWorkflow", "JSON in memory", 0, partial(spiff_memory, sink="memory")),
    "spiff-sqlite": Variant("SpiffWorkflow", "SQLite", 7, partial(spiff_db, "sqlite")),
    "spiff-pg": Variant("SpiffWorkflow", "PostgreSQL", 7, partial(spiff_db, "postgres")),
}
#: liucheng variant -> the Spiff variant doing the same kind of persistence.
PAIRS = {
    "liucheng-memory": "spiff-memory",
    "liucheng-sqlite": "spiff-sqlite",
    "liucheng-pg": "spiff-pg",
    "liucheng-pg-x4": "spiff-pg",
    "liucheng-pg-x8": "spiff-pg",
}
PG_VARIANTS = frozenset(name for name, v in VARIANTS.items() if "PostgreSQL" in v.persistence)
