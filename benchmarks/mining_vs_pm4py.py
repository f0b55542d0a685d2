"""liucheng's process mining against PM4Py on the same logs, side by side in one run.

    .venv/bin/python benchmarks/mining_vs_pm4py.py                    # full run (several minutes)
    .venv/bin/python benchmarks/mining_vs_pm4py.py --logs bpic2012 --repeats 1   # a quick look
    .venv/bin/python benchmarks/mining_vs_pm4py.py --split            # where liucheng's DFG time goes

Logs: BPIC 2012 (262k events), road traffic fines (561k) and a generated 1,000,000-event service
log (``benchmarks/mining_service_log.py``, written once to ``benchmarks/data/``). Each
implementation runs in its own Python process (so peak RSS, from ``getrusage``, is its own); it
imports the log, then runs every task; each step is repeated and the median is reported.

* ``liucheng``: import = ``liucheng.eventlog.importing.load_log`` (what ``liucheng mine`` and
  ``analyze`` call: the Rust reader with our file checks) into an ``EventTable``; every task gets a
  fresh ``EventTable`` object over the same Arrow data, so nothing an earlier call computed (the
  sort by case and time, the DuckDB registration) is reused.
* ``pm4py``: ``pm4py.read_xes`` with its default (the r4pm reader when installed, as here); tasks
  run on the pandas frame it returns.
* ``pm4py-iterparse``: import only, once, with PM4Py's lxml reader (its pure-Python path; its
  other pure-Python default, ``chunk_regex``, fails on BPIC 2012 with an ``IndexError``).

Tasks are a registry (``TASKS``): another module adds one with ``register_task``. Discovery
(``liucheng.mining.discovery.discover_bpmn``) is included when that module is importable.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results" / "mining.json"
DATA = ROOT.parent / "shared" / "data"
#: How many times faster than PM4Py each analysis task must be.
TARGET_RATIO = 10


def log_paths() -> dict[str, Path]:
    from benchmarks.mining_service_log import DEFAULT_PATH

    data = next((p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()), DATA)
    return {"bpic2012": data / "bpic2012" / "bpic2012.xes.gz",
            "road_traffic_fines": data / "road_traffic_fines" / "road_traffic_fines.xes.gz",
            "service_1m": DEFAULT_PATH}


@dataclass(frozen=True)
class Task:
    """One analysis run by both sides: ``ours`` takes the Ibis table, ``pm4py`` the PM4Py frame."""

    name: str
    ours: Callable[[Any], Any]
    pm4py: Callable[[Any], Any] | None


TASKS: dict[str, Task] = {}


def register_task(name: str, ours: Callable[[Any], Any], pm4py: Callable[[Any], Any] | None) -> None:
    """Add a task to the benchmark (the hook for other mining modules)."""
    TASKS[name] = Task(name, ours, pm4py)


def _register_default_tasks() -> None:
    from liucheng.mining.dfg import discover_dfg, discover_performance_dfg
    from liucheng.mining.variants import get_variants

    def pm4py_call(function: str) -> Callable[[Any], Any]:
        def call(frame: Any) -> Any:
            import pm4py

            return getattr(pm4py, function)(frame)
        return call

    register_task("dfg", discover_dfg, pm4py_call("discover_dfg"))
    register_task("performance dfg", discover_performance_dfg, pm4py_call("discover_performance_dfg"))
    register_task("variants", get_variants, pm4py_call("get_variants"))
    if importlib.util.find_spec("liucheng.mining.discovery") is not None:
        from liucheng.mining.discovery import discover_bpmn  # type: ignore[import-not-found]

        register_task("discovery (bpmn)", discover_bpmn, pm4py_call("discover_bpmn_inductive"))


# --- child side -------------------------------------------------------------------------------

def _timed(function: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    seconds, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def run_child(implementation: str, log: str, repeats: int) -> dict[str, Any]:
    path = str(log_paths()[log])
    _register_default_tasks()
    out: dict[str, Any] = {"implementation": implementation, "log": log, "seconds": {}}
    if implementation == "liucheng":
        from liucheng.eventlog.importing import load_log
        from liucheng.eventlog.table import EventTable

        seconds, events = _timed(lambda: load_log(path), repeats)
        out["n_events"] = events.n_events

        def fresh() -> EventTable:
            # A new table object each time: nothing computed by an earlier call (the sorted arrays,
            # the DuckDB registration) is reused, so every timing includes the full work.
            return EventTable(events.table, source=events.source)

        tasks = {name: (lambda task=task: task.ours(fresh())) for name, task in TASKS.items()}
    else:
        import pm4py

        variant = None if implementation == "pm4py" else implementation.removeprefix("pm4py-")
        seconds, frame = _timed(lambda: pm4py.read_xes(path, variant=variant), repeats)
        out["n_events"] = len(frame)
        tasks = {} if variant else {name: (lambda task=task: task.pm4py(frame))
                                    for name, task in TASKS.items() if task.pm4py is not None}
    out["seconds"]["import"] = seconds
    for name, call in tasks.items():
        out["seconds"][name] = _timed(call, repeats)[0]
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_split(log: str, repeats: int) -> dict[str, float]:
    """Where liucheng's time goes: Ibis expression + SQL compile, DuckDB execute (to Arrow), Python assembly."""
    import ibis

    from liucheng.eventlog.table import read_xes_table
    from liucheng.mining.dfg import assemble_dfg, dfg_query

    table = read_xes_table(str(log_paths()[log])).to_ibis()
    con = table.get_backend().con
    split: dict[str, float] = {}
    for performance in (False, True):
        label = "performance dfg" if performance else "dfg"
        sql = ibis.to_sql(dfg_query(table, performance=performance))
        compile_s, _ = _timed(lambda p=performance: ibis.to_sql(dfg_query(table, performance=p)), repeats)
        execute_s, arrow = _timed(lambda sql=sql: con.sql(sql).to_arrow_table(), repeats)
        assemble_s, _ = _timed(lambda a=arrow, p=performance: assemble_dfg(a, performance=p), repeats)
        split.update({f"{label} compile_ms": 1000 * statistics.median(compile_s),
                      f"{label} execute_ms": 1000 * statistics.median(execute_s),
                      f"{label} assemble_ms": 1000 * statistics.median(assemble_s)})
    return split


# --- parent side ------------------------------------------------------------------------------

IMPLEMENTATIONS = ("liucheng", "pm4py", "pm4py-iterparse")
#: Slow pure-Python readers are timed once.
SINGLE_RUN = ("pm4py-iterparse",)


def run_in_child(implementation: str, log: str, repeats: int) -> dict[str, Any]:
    repeats = 1 if implementation in SINGLE_RUN else repeats
    command = [sys.executable, str(Path(__file__).resolve()), "--child", implementation, "--logs", log,
               "--repeats", str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        error = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        print(f"{implementation} on {log} failed: {error}", file=sys.stderr)
        return {"implementation": implementation, "log": log, "seconds": {}, "error": error}
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(results: list[dict[str, Any]]) -> dict[str, Any]:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Process mining: liucheng vs PM4Py (median seconds; peak RSS of the process)")
    for column in ("log", "task", "liucheng", "pm4py", "pm4py iterparse", "pm4py / liucheng"):
        table.add_column(column, justify="left" if column in ("log", "task") else "right")
    ratios: dict[str, dict[str, float]] = {}
    by_key = {(r["log"], r["implementation"]): r for r in results}
    for log in dict.fromkeys(r["log"] for r in results):
        ours, theirs = by_key.get((log, "liucheng")), by_key.get((log, "pm4py"))
        slow = by_key.get((log, "pm4py-iterparse"))
        for task in (ours or theirs or {}).get("seconds", {}):
            a, b = _median(ours, task), _median(theirs, task)
            ratio = b / a if a and b else None
            if ratio is not None:
                ratios.setdefault(log, {})[task] = ratio
            table.add_row(log, task, _fmt(a), _fmt(b), _fmt(_median(slow, task)),
                          f"{ratio:.1f}x" if ratio else "-")
        table.add_row(log, "peak RSS (MB)", *(f"{r['peak_rss_mb']:.0f}" if r and "peak_rss_mb" in r else "-"
                                              for r in (ours, theirs, slow)),
                      "", end_section=True)
    Console().print(table)
    return ratios


def _median(result: dict[str, Any] | None, task: str) -> float | None:
    if not result or task not in result["seconds"]:
        return None
    return statistics.median(result["seconds"][task])


def _fmt(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", default="bpic2012,road_traffic_fines,service_1m")
    parser.add_argument("--implementations", default=",".join(IMPLEMENTATIONS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--split", action="store_true", help="time compile / execute / convert of liucheng's DFG")
    args = parser.parse_args()
    logs = args.logs.split(",")
    if args.child:
        print(json.dumps(run_child(args.child, logs[0], args.repeats)))
        return
    from benchmarks.mining_service_log import ensure_log

    if "service_1m" in logs:
        ensure_log()
    if args.split:
        for log in logs:
            print(log, json.dumps(run_split(log, args.repeats)))
        return
    load_before = os.getloadavg()
    results = [run_in_child(impl, log, args.repeats) for log in logs for impl in args.implementations.split(",")]
    ratios = report(results)
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min) before {load_before}, after {load_after} on {os.cpu_count()} cores")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "pm4py": version("pm4py"), "duckdb": version("duckdb"), "ibis": version("ibis-framework"),
                    "r4pm": version("r4pm"), "cores": os.cpu_count(),
                    "load_average_before": load_before, "load_average_after": load_after},
        "repeats": args.repeats, "target_ratio": TARGET_RATIO, "results": results, "ratios": ratios,
    }, indent=2) + "\n")
    print(f"written {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
