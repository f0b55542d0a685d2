"""liucheng's engine and services against SpiffWorkflow on one six-step process, side by side.

    .venv/bin/python benchmarks/engine_vs_spiff.py            # full run, a few minutes
    .venv/bin/python benchmarks/engine_vs_spiff.py --quick    # smoke run, about 30 s
    .venv/bin/python benchmarks/engine_vs_spiff.py --profile liucheng-pg   # where the time goes

Each variant runs in its own Python process (so peak RSS is that variant's), drives N cases to
completion R times, and reports the median. Results: a table on stdout and
``benchmarks/results/engine.json``. PostgreSQL comes from ``$LIUCHENG_BENCH_PG_URL``; each variant
works in a schema it creates and drops.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script (`make bench`), not as a module
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from benchmarks.variants import PAIRS, PG_DEFAULT_URL, PG_VARIANTS, VARIANTS  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "engine.json"
PG_ENV = "LIUCHENG_BENCH_PG_URL"
#: Aggregate completed tasks per second liucheng must reach on PostgreSQL with several processes.
TARGET_PG_TASKS_PER_S = 1000
#: How many times faster than SpiffWorkflow doing the same persistence.
TARGET_RATIO = 10


def summarise(raw: dict[str, Any]) -> dict[str, Any]:
    rates = [t / s for t, s in zip(raw["tasks"], raw["seconds"], strict=True)]
    case_rates = [c / s for c, s in zip(raw["cases"], raw["seconds"], strict=True)]
    return raw | {
        "tasks_per_s": statistics.median(rates),
        "cases_per_s": statistics.median(case_rates),
        "tasks_per_s_min": min(rates),
        "tasks_per_s_max": max(rates),
    }


def run_in_child(name: str, *, cases: int, repeats: int, pg_url: str) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--variant", name]
    command += ["--cases", str(cases), "--repeats", str(repeats), "--pg-url", pg_url]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"variant {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def pg_reachable(url: str) -> str | None:
    """The server's version, or None when it cannot be reached."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            return str(connection.exec_driver_sql("SHOW server_version").scalar())
    except OperationalError:
        return None
    finally:
        engine.dispose()


def profile(name: str, *, cases: int, pg_url: str, top: int = 25) -> str:
    """Run one variant under cProfile; time per area and the functions with the most own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    VARIANTS[name].run(cases=cases, repeats=1, pg_url=pg_url)
    profiler.disable()
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in entries.values())
    areas: dict[str, float] = {}
    for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers) in entries.items():
        areas[_area(filename, func)] = areas.get(_area(filename, func), 0.0) + tottime
    lines = [f"profile of {name}, {cases} cases, {total:.2f} s of own time", "", "by area (own time):"]
    lines += [f"  {t / total:6.1%}  {area}" for area, t in sorted(areas.items(), key=lambda kv: -kv[1])]
    lines += ["", f"top {top} functions by own time:"]
    ranked = sorted(entries.items(), key=lambda kv: -kv[1][2])[:top]
    for (filename, line, func), (_cc, calls, tottime, cumtime, _callers) in ranked:
        where = f"{_short(filename)}:{line} {func}"
        lines.append(f"  {tottime / total:6.1%}  {calls:8d} calls  cum {cumtime:6.2f}s  {where}")
    return "\n".join(lines)


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/src/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def _area(filename: str, func: str) -> str:
    path = _short(filename)
    if path.startswith("sqlalchemy/sql/") or "sqlalchemy/dialects" in path:
        return "SQLAlchemy: building and compiling SQL"
    if path.startswith("sqlalchemy/"):
        return "SQLAlchemy: connections, execution, results"
    if path.startswith(("psycopg", "sqlite3")) or "sqlite3" in func or "psycopg" in func:
        return "database driver and server round trips"
    if func.startswith("<method 'commit'") or func.startswith("<method 'execute"):
        return "database driver and server round trips"
    if path.startswith("liucheng/engine") or path.startswith("liucheng/process"):
        return "liucheng engine"
    if path.startswith("liucheng/"):
        return "liucheng services and store"
    if path.startswith(("msgspec", "SpiffWorkflow", "json")):
        return path.split("/", 1)[0]
    return "other (stdlib, builtins)"


def table(results: dict[str, dict[str, Any]], ratios: dict[str, float]) -> Table:
    grid = Table(title="Six-step process: completed user tasks per second (median)")
    columns = ("variant", "persistence", "tasks/s", "cases/s", "range tasks/s", "writes/case")
    columns += ("RSS MB", "heap MB")
    for column in columns:
        grid.add_column(column, justify="left" if column in ("variant", "persistence") else "right")
    grid.add_column("vs Spiff", justify="right")
    for name, r in results.items():
        v = VARIANTS[name]
        grid.add_row(
            name,
            v.persistence,
            f"{r['tasks_per_s']:,.0f}",
            f"{r['cases_per_s']:,.1f}",
            f"{r['tasks_per_s_min']:,.0f}–{r['tasks_per_s_max']:,.0f}",
            str(v.writes_per_case),
            f"{r['rss_peak_mb']:.0f}",
            f"{r['heap_peak_mb']:.2f}" if "heap_peak_mb" in r else "",
            f"{ratios[name]:.2f}x" if name in ratios else "",
        )
    return grid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a ~30 s smoke run (fewer cases, one repeat)")
    parser.add_argument("--cases", type=int, help="cases per repeat (default 200, quick 20)")
    parser.add_argument("--repeats", type=int, help="timed repeats; the median is shown (3, quick 1)")
    parser.add_argument("--pg-url", default=os.environ.get(PG_ENV, PG_DEFAULT_URL), help=f"or ${PG_ENV}")
    parser.add_argument("--only", nargs="+", choices=sorted(VARIANTS), help="run these variants only")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON results go")
    parser.add_argument("--variant", choices=sorted(VARIANTS), help=argparse.SUPPRESS)
    parser.add_argument("--profile", choices=sorted(VARIANTS), help="profile one variant instead of timing")
    args = parser.parse_args(argv)
    cases = args.cases or (20 if args.quick else 200)
    repeats = args.repeats or (1 if args.quick else 3)

    if args.variant:  # child mode: one variant, JSON on the last line of stdout
        print(json.dumps(VARIANTS[args.variant].run(cases=cases, repeats=repeats, pg_url=args.pg_url)))
        return 0
    if args.profile:
        print(profile(args.profile, cases=cases, pg_url=args.pg_url))
        return 0

    console = Console(width=150)  # the table stays readable when piped to a file
    pg_version = pg_reachable(args.pg_url)
    names = args.only or list(VARIANTS)
    if pg_version is None:
        console.print(f"[yellow]PostgreSQL at {args.pg_url} is unreachable: its variants are skipped")
        names = [n for n in names if n not in PG_VARIANTS]
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        with console.status(f"{name}: {cases} cases x {repeats}"):
            results[name] = summarise(run_in_child(name, cases=cases, repeats=repeats, pg_url=args.pg_url))
    ratios = {
        ours: results[ours]["tasks_per_s"] / results[theirs]["tasks_per_s"]
        for ours, theirs in PAIRS.items()
        if ours in results and theirs in results
    }
    console.print(table(results, ratios))
    best_pg = max((results[n]["tasks_per_s"] for n in results if n.startswith("liucheng-pg")), default=None)
    verdicts = {
        "pg_tasks_per_s": {"target": TARGET_PG_TASKS_PER_S, "best": best_pg},
        "ratio_vs_spiff": {"target": TARGET_RATIO, "ratios": ratios},
    }
    if best_pg is not None:
        met = "met" if best_pg >= TARGET_PG_TASKS_PER_S else "MISSED"
        console.print(f"PostgreSQL target {TARGET_PG_TASKS_PER_S} tasks/s: best {best_pg:,.0f} ({met})")
    for ours, ratio in ratios.items():
        met = "met" if ratio >= TARGET_RATIO else "MISSED"
        console.print(f"{ours} vs {PAIRS[ours]}: {ratio:.2f}x (target {TARGET_RATIO}x, {met})")
    report = {
        "command": " ".join(["python", "benchmarks/engine_vs_spiff.py", *(argv or sys.argv[1:])]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "postgresql": pg_version,
            "spiffworkflow": version("SpiffWorkflow"),
            "sqlalchemy": version("SQLAlchemy"),
        },
        "config": {"cases": cases, "repeats": repeats, "tasks_per_case": 6},
        "variants": {n: r | {"engine": VARIANTS[n].engine, "persistence": VARIANTS[n].persistence}
                     for n, r in results.items()},
        "targets": verdicts,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
