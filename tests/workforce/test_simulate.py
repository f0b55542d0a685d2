"""The formulas against a seeded simulation of the queue, and what only the simulation covers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from liucheng.core.errors import ValidationError
from liucheng.workforce.queueing import queue_measures
from liucheng.workforce.simulate import exponential, simulate_queue

CONFIDENCE = 0.99


@pytest.mark.parametrize(
    ("agents", "per_hour", "aht_s", "patience_s", "targets"),
    [
        (20, 400, 180, 120, (20.0, 60.0, 300.0)),  # load = agents: callers pile up until they hang up
        # Overloaded by 47 %: about 58 callers queue, so only long targets are ever met.
        (50, 1100, 240, 600, (150.0, 300.0, 600.0)),
        (10, 250, 300, 60, (20.0, 60.0, 300.0)),  # impatient callers
        (120, 1500, 270, 300, (20.0, 60.0, 300.0)),  # a large team below its load
    ],
)
def test_erlang_a_inside_the_simulated_confidence_interval(
    agents: int, per_hour: float, aht_s: float, patience_s: float, targets: tuple[float, ...]
) -> None:
    sim = simulate_queue(
        agents=agents,
        arrivals_per_s=per_hour / 3600,
        service=exponential(aht_s),
        patience=exponential(patience_s),
        callers=150_000,
        targets_s=targets,
        seed=7,
        confidence=CONFIDENCE,
    )
    m = queue_measures(
        agents, volume=per_hour, interval_s=3600, aht_s=aht_s, patience_s=patience_s, target_s=np.array(targets)
    )
    # Batch means say nothing about events too rare to be seen: allow the rule of three (3 / callers).
    rare = 3 / sim.callers
    for t, sl in zip(targets, m.service_level, strict=True):
        assert sim.service_level[t].covers(float(sl), slack=rare), (t, sim.service_level[t], sl)
    assert sim.p_wait.covers(float(m.p_wait[0]), slack=rare)
    assert sim.abandon_rate.covers(float(m.abandon_rate[0]), slack=rare)
    assert sim.asa_s.covers(float(m.asa_s[0]))
    assert sim.occupancy.covers(float(m.occupancy[0]), slack=rare)


def test_erlang_c_inside_the_simulated_confidence_interval() -> None:
    sim = simulate_queue(
        agents=14,
        arrivals_per_s=100 / 1800,
        service=exponential(180),
        callers=150_000,
        targets_s=(20.0,),
        seed=3,
        confidence=CONFIDENCE,
    )
    m = queue_measures(14, volume=100, interval_s=1800, aht_s=180, target_s=20)
    assert sim.service_level[20.0].covers(float(m.service_level))
    assert sim.p_wait.covers(float(m.p_wait))
    assert sim.asa_s.covers(float(m.asa_s))
    assert sim.abandon_rate.mean == 0.0


def test_deterministic_patience_single_agent_matches_its_exact_law() -> None:
    """M/M/1+D, outside Erlang A: every caller waits at most D seconds.

    The offered wait V has an atom P0 at 0, density P0 lambda e^{-(mu-lambda)v} below D and
    P0 lambda e^{-(mu-lambda)D} e^{-mu(v-D)} above; a caller abandons when V > D.
    """
    lam, mu, d = 1 / 60, 1 / 50, 120.0
    gap = mu - lam
    p0 = 1 / (1 + lam * (1 - math.exp(-gap * d)) / gap + lam * math.exp(-gap * d) / mu)
    abandon = p0 * lam * math.exp(-gap * d) / mu
    sim = simulate_queue(
        agents=1,
        arrivals_per_s=lam,
        service=exponential(50),
        patience=lambda rng, size: np.full(size, d),
        callers=150_000,
        targets_s=(d,),
        seed=11,
        confidence=CONFIDENCE,
    )
    assert sim.p_wait.covers(1 - p0)
    assert sim.abandon_rate.covers(abandon)
    assert sim.service_level[d].covers(1 - abandon)
    # Erlang A with the same mean patience predicts noticeably more abandons.
    erlang_a = queue_measures(1, volume=lam * 3600, interval_s=3600, aht_s=50, patience_s=d)
    assert float(erlang_a.abandon_rate) > sim.abandon_rate.high


def test_same_seed_same_result_and_bad_input() -> None:
    kw = {"agents": 3, "arrivals_per_s": 0.05, "service": exponential(40), "callers": 2_000}
    assert simulate_queue(**kw, seed=5) == simulate_queue(**kw, seed=5)
    with pytest.raises(ValidationError, match="agents"):
        simulate_queue(**{**kw, "agents": 0})
