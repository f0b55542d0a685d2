"""Runs inside the pyworkforce venv (Python 3.12): reads a job as JSON on stdin, prints JSON results.

It imports nothing from liucheng. pyworkforce works in minutes; the job gives minutes too. A job
has an Erlang part (``intervals``), a shift-scheduling part (``scheduling``), or both.
"""

from __future__ import annotations

import json
import sys
import time

from pyworkforce.queuing import ErlangA, ErlangC
from pyworkforce.scheduling import MinRequiredResources


def _timed(fn, repeats):
    seconds, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def scheduling(job):
    """``MinRequiredResources`` (CP-SAT) on the job's days x periods requirement and shift coverage."""
    start = time.perf_counter()
    model = MinRequiredResources(
        num_days=job["num_days"],
        periods=job["periods"],
        shifts_coverage=job["shifts_coverage"],
        required_resources=job["required_resources"],
        max_period_concurrency=job["max_period_concurrency"],
        max_shift_concurrency=job["max_shift_concurrency"],
        cost_dict=job["cost_dict"],
        max_search_time=job["max_search_time"],
        num_search_workers=job["num_search_workers"],
    )
    solution = model.solve()
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "status": solution["status"],
        "cost": solution["cost"],
        "resources_shifts": solution["resources_shifts"],
        "best_bound": model.solver.BestObjectiveBound(),
    }


def erlang(job):
    rows, sl, asa, repeats = job["intervals"], job["service_level"], job["asa_min"], job["repeats"]

    def erlang_c():
        return [
            ErlangC(
                transactions=r["transactions"], aht=r["aht_min"], asa=asa, interval=r["interval_min"]
            ).required_positions(service_level=sl)["raw_positions"]
            for r in rows
        ]

    def erlang_a():
        return [
            ErlangA(
                transactions=r["transactions"],
                aht=r["aht_min"],
                asa=asa,
                interval=r["interval_min"],
                patience=r["patience_min"],
            ).required_positions(service_level=sl)["raw_positions"]
            for r in rows
        ]

    c_seconds, c_positions = _timed(erlang_c, repeats)
    a_seconds, a_positions = _timed(erlang_a, job["repeats_a"])
    checks = []
    for c in job["checks"]:
        model = ErlangA(
            transactions=c["transactions"],
            aht=c["aht_min"],
            asa=c["t_min"],
            interval=c["interval_min"],
            patience=c["patience_min"],
        )
        positions = c["positions"]
        checks.append(
            {
                "service_level": model.service_level(positions, asa=c["t_min"]),
                "abandonment": model.abandonment_probability(positions),
                "waiting_probability": model.waiting_probability(positions),
            }
        )
    return {
        "erlang_c_seconds": c_seconds,
        "erlang_c_positions": c_positions,
        "erlang_a_seconds": a_seconds,
        "erlang_a_positions": a_positions,
        "checks": checks,
    }


def main() -> None:
    job = json.load(sys.stdin)
    out = {"python": sys.version.split()[0]}
    if "intervals" in job:
        out.update(erlang(job))
    if "scheduling" in job:
        out["scheduling"] = scheduling(job["scheduling"])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
