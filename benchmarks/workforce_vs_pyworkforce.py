"""Staffing (Erlang C and Erlang A) and shift scheduling against pyworkforce 0.5.4: time, and who gets
the numbers right.

pyworkforce runs in its own Python 3.12 venv under ``benchmarks/.peers/`` (created on first use:
its newest release needs Python >= 3.12 and its ortools clashes with highspy in our process); a
subprocess runs ``benchmarks/pyworkforce_peer.py`` there and returns JSON. Where the two
disagree, the birth-death chain solved directly (truncated, term by term) and a seeded
simulation decide.

    .venv/bin/python benchmarks/workforce_vs_pyworkforce.py            # about a minute
    .venv/bin/python benchmarks/workforce_vs_pyworkforce.py --quick    # fewer repeats
    .venv/bin/python benchmarks/workforce_vs_pyworkforce.py --part scheduling   # shift scheduling only

Scheduling: a week of 672 quarter-hours (Erlang A requirement of the day profile scaled by day of
week) and 384 shift types (96 start times x 4 lengths), minimum paid quarter-hours. pyworkforce's
``MinRequiredResources`` (CP-SAT) sees each day alone, so its shifts stop at midnight; ours solves
the same truncated problem, then the real one: shifts wrap past midnight, agents work 5-day
patterns, and shifts of 6 hours or more get a 30-minute lunch.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from liucheng.workforce.queueing import queue_measures
from liucheng.workforce.schedule import WeeklyRules, schedule_shifts
from liucheng.workforce.shifts import DAYS, BreakRule, ShiftType
from liucheng.workforce.simulate import exponential, simulate_queue
from liucheng.workforce.staffing import StaffingTargets, required_agents

HERE = Path(__file__).resolve().parent
PEER_DIR = HERE / ".peers" / "pyworkforce"
PEER_VERSION = "0.5.4"
RESULTS = HERE / "results" / "workforce.json"
SCHEDULING_RESULTS = HERE / "results" / "scheduling.json"

INTERVAL_S = 900
AHT_S = 240.0
PATIENCE_S = 180.0
TARGET = StaffingTargets(service_level=0.8, target_s=20)


def intraday_volume() -> np.ndarray:
    """Contacts per quarter-hour over a day: night trough, a morning and an afternoon peak (~20,000/day)."""
    hours = (np.arange(96) + 0.5) / 4
    shape = 0.04 + np.exp(-(((hours - 10.5) / 2.0) ** 2)) + 0.8 * np.exp(-(((hours - 15.0) / 2.5) ** 2))
    return np.round(shape / shape.sum() * 20_000)


def _python312() -> str:
    found = glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")) or [shutil.which("python3.12")]
    if not found or found[0] is None:
        sys.exit("pyworkforce needs Python 3.12: install it (e.g. pyenv install 3.12) and rerun")
    return sorted(found)[-1]


def peer_python() -> Path:
    """The venv's interpreter, creating the venv and installing pyworkforce on first use."""
    python = PEER_DIR / "bin" / "python"
    if not python.exists():
        subprocess.run([_python312(), "-m", "venv", str(PEER_DIR)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", f"pyworkforce=={PEER_VERSION}"], check=True)
    return python


def _ours(volume: np.ndarray, patience_s: float | None, repeats: int) -> tuple[list[float], np.ndarray]:
    seconds, agents = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        agents = required_agents(volume, interval_s=INTERVAL_S, aht_s=AHT_S, targets=TARGET, patience_s=patience_s)
        seconds.append(time.perf_counter() - start)
    return seconds, agents.agents  # type: ignore[union-attr]


#: A quarter-hour of a large centre (533 Erlangs), beyond the day profile.
LARGE_VOLUME = 2000.0


def _checks(volume: np.ndarray, agents_a: np.ndarray) -> list[dict]:
    """Erlang A service levels to check at our requirement: night, shoulder and peak intervals of
    the day and one quarter-hour of a large centre, for 20 s, 2 min and 5 min targets."""
    picks = [int(np.argmin(volume)), int(np.argsort(volume)[len(volume) // 2]), int(np.argmax(volume))]
    rows = [(f"{i // 4:02d}:{i % 4 * 15:02d}", float(volume[i]), int(agents_a[i])) for i in picks]
    large = required_agents(LARGE_VOLUME, interval_s=INTERVAL_S, aht_s=AHT_S, targets=TARGET, patience_s=PATIENCE_S)
    rows.append(("large centre", LARGE_VOLUME, int(large.agents)))
    return [
        {"interval": label, "volume": v, "positions": n, "t_s": t, "seed": k}
        for k, (label, v, n) in enumerate(rows)
        for t in (20.0, 120.0, 300.0)
    ]


def _truth(check: dict, callers: int) -> dict:
    m = queue_measures(
        check["positions"],
        volume=check["volume"],
        interval_s=INTERVAL_S,
        aht_s=AHT_S,
        patience_s=PATIENCE_S,
        target_s=check["t_s"],
    )
    sim = simulate_queue(
        agents=check["positions"],
        arrivals_per_s=check["volume"] / INTERVAL_S,
        service=exponential(AHT_S),
        patience=exponential(PATIENCE_S),
        callers=callers,
        targets_s=(check["t_s"],),
        seed=check["seed"],
    )
    est = sim.service_level[check["t_s"]]
    return {
        "ours": float(m.service_level),
        "simulated": est.mean,
        "simulated_ci": [est.low, est.high],
        "ours_abandon": float(m.abandon_rate),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 repeat of pyworkforce, shorter simulations")
    parser.add_argument("--part", choices=("all", "erlang", "scheduling"), default="all", help="what to run")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per scheduling solve (both sides)")
    args = parser.parse_args()
    if args.part in ("all", "erlang"):
        erlang_part(args)
    if args.part in ("all", "scheduling"):
        scheduling_part(args.time_limit)


def _run_peer(job: dict) -> dict:
    proc = subprocess.run(
        [str(peer_python()), str(HERE / "pyworkforce_peer.py")], input=json.dumps(job), capture_output=True, text=True
    )
    if proc.returncode != 0:
        sys.exit(f"pyworkforce run failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


def erlang_part(args: argparse.Namespace) -> None:
    repeats = 3 if args.quick else 20
    volume = intraday_volume()

    _ours(volume, None, 2)  # warm-up (imports, caches)
    c_seconds, c_agents = _ours(volume, None, repeats)
    a_seconds, a_agents = _ours(volume, PATIENCE_S, repeats)

    checks = _checks(volume, a_agents)
    job = {
        "intervals": [
            {
                "transactions": float(v),
                "aht_min": AHT_S / 60,
                "interval_min": INTERVAL_S / 60,
                "patience_min": PATIENCE_S / 60,
            }
            for v in volume
        ],
        "service_level": TARGET.service_level,
        "asa_min": TARGET.target_s / 60,
        "repeats": 3 if args.quick else 5,
        "repeats_a": 1,
        "checks": [
            {
                "transactions": c["volume"],
                "aht_min": AHT_S / 60,
                "interval_min": INTERVAL_S / 60,
                "patience_min": PATIENCE_S / 60,
                "positions": c["positions"],
                "t_min": c["t_s"] / 60,
            }
            for c in checks
        ],
    }
    peer = _run_peer(job)

    callers = 100_000 if args.quick else 400_000
    for check, theirs in zip(checks, peer["checks"], strict=True):
        check.update(_truth(check, callers), pyworkforce=theirs["service_level"])

    c_theirs = np.array(peer["erlang_c_positions"])
    a_theirs = np.array(peer["erlang_a_positions"])
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "pyworkforce": {"version": PEER_VERSION, "python": peer["python"]},
        "intervals": len(volume),
        "daily_volume": float(volume.sum()),
        "peak_load_erlangs": float(volume.max() * AHT_S / INTERVAL_S),
        "erlang_c": {
            "ours_ms": statistics.median(c_seconds) * 1e3,
            "theirs_ms": statistics.median(peer["erlang_c_seconds"]) * 1e3,
            "agent_hours_ours": float(c_agents.sum() / 4),
            "intervals_differing": int(np.sum(c_agents != c_theirs)),
        },
        "erlang_a": {
            "ours_ms": statistics.median(a_seconds) * 1e3,
            "theirs_ms": statistics.median(peer["erlang_a_seconds"]) * 1e3,
            "agent_hours_ours": float(a_agents.sum() / 4),
            "agent_hours_theirs": float(a_theirs.sum() / 4),
            "intervals_differing": int(np.sum(a_agents != a_theirs)),
            "max_difference": int(np.max(np.abs(a_agents - a_theirs))),
        },
        "service_level_checks": checks,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    _print(result)


def _print(r: dict) -> None:
    print(
        f"{r['intervals']} quarter-hours, {r['daily_volume']:,.0f} contacts, peak {r['peak_load_erlangs']:.0f} Erlangs"
    )
    print("| requirement for 96 intervals | liucheng ms | pyworkforce ms | speed-up | intervals differing |")
    print("|---|---:|---:|---:|---:|")
    for name in ("erlang_c", "erlang_a"):
        x = r[name]
        print(
            f"| {name} | {x['ours_ms']:.1f} | {x['theirs_ms']:.1f} | {x['theirs_ms'] / x['ours_ms']:.0f}x "
            f"| {x['intervals_differing']} |"
        )
    print("\n| interval | contacts | agents | target | liucheng | simulated (95 % CI) | pyworkforce |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for c in r["service_level_checks"]:
        lo, hi = c["simulated_ci"]
        print(
            f"| {c['interval']} | {c['volume']:.0f} | {c['positions']} | {c['t_s']:.0f} s | {c['ours']:.4f} "
            f"| {c['simulated']:.4f} ({lo:.4f}–{hi:.4f}) | {c['pyworkforce']:.4f} |"
        )
    a = r["erlang_a"]
    print(
        f"\nErlang A agent-hours: liucheng {a['agent_hours_ours']:.2f}, pyworkforce {a['agent_hours_theirs']:.2f} "
        f"(max {a['max_difference']} agents apart in one interval)"
    )


#: Volume of each day of the week relative to the day profile (Monday busiest, weekend quiet).
DAY_FACTORS = (1.10, 1.00, 0.95, 0.95, 0.90, 0.55, 0.45)
SHIFT_LENGTHS_MIN = (240, 360, 480, 540)
PER_DAY = 96


def weekly_requirement() -> np.ndarray:
    """Agents per quarter-hour of a week: Erlang A staffing of the day profile scaled per day."""
    volume = np.concatenate([intraday_volume() * f for f in DAY_FACTORS])
    return required_agents(volume, interval_s=INTERVAL_S, aht_s=AHT_S, targets=TARGET, patience_s=PATIENCE_S).agents


def shift_types(*, truncate: bool, lunch: bool = False) -> list[ShiftType]:
    """96 start times x 4 lengths; cost = paid quarter-hours. ``truncate`` stops shifts at midnight."""
    lunch_rule = (BreakRule(length_min=30, earliest_min=120, latest_min=240, name="lunch"),)
    out = []
    for k in range(PER_DAY):
        start = k * 15
        for planned in SHIFT_LENGTHS_MIN:
            length = min(planned, 1440 - start) if truncate else planned
            breaks = lunch_rule if lunch and length >= 360 else ()
            paid = length - sum(b.length_min for b in breaks)
            out.append(
                ShiftType(
                    name=f"{start // 60:02d}{start % 60:02d}-{planned}",
                    start=f"{start // 60:02d}:{start % 60:02d}",
                    length_min=length,
                    cost=paid // 15,
                    breaks=breaks,
                )
            )
    return out


def coverage_of(counts: list[tuple[str, int, int]], shifts: list[ShiftType]) -> np.ndarray:
    """Agents on duty per quarter-hour from (shift, day, agents) rows, breaks ignored; recomputed
    here from the shift definitions, independently of either solver."""
    by_name = {s.name: s for s in shifts}
    coverage = np.zeros(7 * PER_DAY, dtype=np.int64)
    for name, day, agents in counts:
        s = by_name[name]
        first = day * PER_DAY + s.start_min // 15
        coverage[np.arange(first, first + s.length_min // 15) % coverage.size] += agents
    return coverage


def _ours_schedule(
    req: np.ndarray, shifts: list[ShiftType], time_limit_s: float, weekly: WeeklyRules | None = None
) -> dict:
    """Our covering, timed from the shift types to the result (model building included)."""
    began = time.perf_counter()
    result = schedule_shifts(req, shifts, interval_min=15, weekly=weekly, time_limit_s=time_limit_s)
    seconds = time.perf_counter() - began
    rows = [(c.shift, DAYS.index(c.day), c.agents) for c in result.counts]
    on_duty = coverage_of(rows, shifts)
    return {
        "seconds": seconds,
        "solve_s": result.solve_s,
        "status": result.status,
        "cost_quarter_hours": result.cost,
        "mip_gap": result.mip_gap,
        "shifts_worked": int(sum(c.agents for c in result.counts)),
        "agents": result.agents if result.patterns else None,
        "covers": bool(np.all(result.coverage >= req)),
        "covers_ignoring_breaks": bool(np.all(on_duty >= req)),
        "intervals_short": int(np.count_nonzero(result.under)),
        "agent_quarter_hours_short": int(result.under.sum()),
    }


def scheduling_part(time_limit_s: float) -> None:
    req = weekly_requirement()
    truncated = shift_types(truncate=True)
    job = {
        "scheduling": {
            "num_days": 7,
            "periods": PER_DAY,
            "shifts_coverage": {
                s.name: [int(s.start_min <= p * 15 < s.start_min + s.length_min) for p in range(PER_DAY)]
                for s in truncated
            },
            "required_resources": req.reshape(7, PER_DAY).tolist(),
            "max_period_concurrency": int(req.max() * 10),
            "max_shift_concurrency": int(req.max()),
            "cost_dict": {s.name: int(s.unit_cost) for s in truncated},
            "max_search_time": time_limit_s,
            "num_search_workers": 2,
        }
    }
    theirs = _run_peer(job)["scheduling"]
    rows = [(r["shift"], r["day"], r["resources"]) for r in theirs["resources_shifts"] if r["resources"] > 0]
    their_cover = coverage_of(rows, truncated)
    weekly = WeeklyRules(days_per_week=5, max_consecutive_days=5, min_weekly_hours=20, max_weekly_hours=45)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "intervals": int(req.size),
        "shift_types": len(truncated),
        "agent_quarter_hours_required": int(req.sum()),
        "peak_agents": int(req.max()),
        "time_limit_s": time_limit_s,
        "pyworkforce": {
            "seconds": theirs["seconds"],
            "status": theirs["status"],
            "cost_quarter_hours": theirs["cost"],
            "best_bound": theirs["best_bound"],
            "shifts_worked": int(sum(r[2] for r in rows)),
            "covers": bool(np.all(their_cover >= req)),
        },
        "liucheng_same_problem": _ours_schedule(req, truncated, time_limit_s),
        "liucheng_weekly_rules": _ours_schedule(req, shift_types(truncate=False), time_limit_s, weekly),
        "liucheng_weekly_rules_lunch": _ours_schedule(
            req, shift_types(truncate=False, lunch=True), time_limit_s, weekly
        ),
    }
    SCHEDULING_RESULTS.parent.mkdir(exist_ok=True)
    SCHEDULING_RESULTS.write_text(json.dumps(result, indent=2))
    _print_scheduling(result)


def _print_scheduling(r: dict) -> None:
    print(
        f"\n{r['intervals']} quarter-hours, {r['shift_types']} shift types, {r['agent_quarter_hours_required']:,} "
        f"agent-quarter-hours required, peak {r['peak_agents']} agents"
    )
    print("| model | solver | s | status | paid hours | gap | shifts | agents | covers |")
    print("|---|---|---:|---|---:|---:|---:|---:|---|")
    t = r["pyworkforce"]
    print(
        f"| daily counts, shifts cut at midnight | pyworkforce CP-SAT | {t['seconds']:.1f} | {t['status']} "
        f"| {t['cost_quarter_hours'] / 4:,.2f} | bound {t['best_bound'] / 4:,.2f} | {t['shifts_worked']} | – "
        f"| {t['covers']} |"
    )
    names = {
        "liucheng_same_problem": "daily counts, shifts cut at midnight",
        "liucheng_weekly_rules": "5-day patterns, shifts wrap midnight",
        "liucheng_weekly_rules_lunch": "5-day patterns, wrap, 30-min lunch",
    }
    for key, label in names.items():
        o = r[key]
        print(
            f"| {label} | liucheng HiGHS | {o['seconds']:.1f} | {o['status']} | {o['cost_quarter_hours'] / 4:,.2f} "
            f"| {o['mip_gap']:.2e} | {o['shifts_worked']} | {o['agents'] or '–'} | {o['covers']} |"
        )


if __name__ == "__main__":
    main()
