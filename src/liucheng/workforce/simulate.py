"""Discrete-event simulation of a FCFS multi-agent queue with abandonment (M/M/n+M and beyond).

Used to check the Erlang formulas independently and to answer what they cannot: patience or
handle times that are not exponential (pass any sampler). Callers are processed in arrival order:
each takes the agent that frees up first, if that happens before its patience runs out; a caller
who hangs up never holds an agent. This is exact for FCFS with abandonment (the Lindley recursion
for G/G/n+G), so the only error is sampling error.

Confidence intervals come from batch means: after a warm-up, the arrivals are cut into equal
batches whose means are nearly independent; the interval is Student's t over the batch means.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from liucheng.core.errors import ValidationError

#: Draws ``size`` positive durations in seconds.
Sampler = Callable[[np.random.Generator, int], NDArray[np.float64]]


@dataclass(frozen=True)
class Estimate:
    """A simulated mean with its two-sided confidence interval."""

    mean: float
    low: float
    high: float

    def covers(self, value: float, *, slack: float = 0.0) -> bool:
        """Whether ``value`` lies in the interval widened by ``slack`` on each side."""
        return self.low - slack <= value <= self.high + slack


@dataclass(frozen=True)
class SimulationResult:
    """Simulated measures; ``service_level`` maps each target (s) to its estimate (all arrivals)."""

    p_wait: Estimate
    abandon_rate: Estimate
    service_level: dict[float, Estimate]
    asa_s: Estimate
    occupancy: Estimate
    callers: int


def exponential(mean_s: float) -> Sampler:
    """Exponential durations with the given mean."""
    return lambda rng, size: rng.exponential(mean_s, size)


def _simulate_callers(
    arrivals: NDArray[np.float64], service: NDArray[np.float64], patience: NDArray[np.float64], agents: int
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Wait and answered flag per caller: FCFS, each caller takes the first agent to free up."""
    free_at = [0.0] * agents
    waits = np.empty(len(arrivals))
    answered = np.empty(len(arrivals), dtype=bool)
    for i, (arrival, work, limit) in enumerate(
        zip(arrivals.tolist(), service.tolist(), patience.tolist(), strict=True)
    ):
        wait = max(free_at[0] - arrival, 0.0)
        if wait <= limit:
            heapq.heapreplace(free_at, arrival + wait + work)
            waits[i], answered[i] = wait, True
        else:
            waits[i], answered[i] = limit, False
    return waits, answered


def _batch_estimate(values: NDArray[np.float64], batches: int, confidence: float) -> Estimate:
    means = values[: len(values) // batches * batches].reshape(batches, -1).mean(axis=1)
    centre = float(means.mean())
    half = float(stats.t.ppf(0.5 + confidence / 2, batches - 1) * means.std(ddof=1) / np.sqrt(batches))
    return Estimate(centre, centre - half, centre + half)


def simulate_queue(
    *,
    agents: int,
    arrivals_per_s: float,
    service: Sampler,
    patience: Sampler | None = None,
    callers: int = 200_000,
    targets_s: Sequence[float] = (20.0,),
    seed: int = 0,
    warmup: float = 0.1,
    batches: int = 20,
    confidence: float = 0.95,
) -> SimulationResult:
    """Simulate ``callers`` Poisson arrivals to ``agents`` FCFS agents; ``patience=None``: never abandon.

    The first ``warmup`` share of callers is discarded (the queue starts empty).
    """
    if agents < 1:
        raise ValidationError(f"{agents!r} agents", where="agents", hint="simulate at least one agent")
    if arrivals_per_s <= 0:
        raise ValidationError(f"{arrivals_per_s!r} is not positive", where="arrivals_per_s", hint="give a rate > 0")
    if callers < 10 * batches:
        raise ValidationError(f"{callers} callers is too few", where="callers", hint=f"use at least {10 * batches}")
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / arrivals_per_s, callers))
    work = service(rng, callers)
    limits = np.full(callers, np.inf) if patience is None else patience(rng, callers)
    waits, answered = _simulate_callers(arrivals, work, limits, agents)
    keep = slice(int(warmup * callers), None)
    waits, answered, work, arrivals = waits[keep], answered[keep], work[keep], arrivals[keep]
    busy = np.where(answered, work, 0.0)
    # Occupancy per batch: work brought in by the batch's answered callers over agent-time of the batch.
    span = (arrivals[-1] - arrivals[0]) / len(arrivals)
    return SimulationResult(
        p_wait=_batch_estimate((waits > 0).astype(float), batches, confidence),
        abandon_rate=_batch_estimate((~answered).astype(float), batches, confidence),
        service_level={
            float(t): _batch_estimate((answered & (waits <= t)).astype(float), batches, confidence) for t in targets_s
        },
        asa_s=_ratio_estimate(np.where(answered, waits, 0.0), answered.astype(float), batches, confidence),
        occupancy=_batch_estimate(busy / (agents * span), batches, confidence),
        callers=len(waits),
    )


def _ratio_estimate(num: NDArray[np.float64], den: NDArray[np.float64], batches: int, confidence: float) -> Estimate:
    """Batch means of a ratio of sums (e.g. total wait of answered over answered callers)."""
    size = len(num) // batches
    ratios = num[: size * batches].reshape(batches, -1).sum(axis=1) / den[: size * batches].reshape(batches, -1).sum(
        axis=1
    )
    centre = float(ratios.mean())
    half = float(stats.t.ppf(0.5 + confidence / 2, batches - 1) * ratios.std(ddof=1) / np.sqrt(batches))
    return Estimate(centre, centre - half, centre + half)
