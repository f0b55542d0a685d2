"""Erlang B, C and A against published values, definitions and the birth-death chain."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from liucheng.workforce.erlang import erlang_a, erlang_b, erlang_c
from liucheng.workforce.queueing import queue_measures

from .brute import erlang_a_by_chain, erlang_b_by_definition


def test_call_centre_helper_published_values() -> None:
    """references/erlang.md: A = 10 Erlangs, 20 s target, AHT 180 s."""
    m = queue_measures([14, 15], volume=100, interval_s=1800, aht_s=180, target_s=20)
    assert m.p_wait == pytest.approx([0.1741, 0.1020], abs=5e-5)
    assert m.service_level == pytest.approx([0.8884, 0.9415], abs=5e-5)
    assert m.occupancy[0] == pytest.approx(0.714, abs=5e-4)


def test_erlang_a_with_patience_equal_to_handle_time_is_an_infinite_server_queue() -> None:
    """references/erlang.md: theta = mu makes P(wait) = P(Poisson(A) >= n); 100 Erlangs, 100 agents: 0.5133."""
    assert erlang_a(100, 100.0, 1.0).p_wait == pytest.approx(0.5133, abs=5e-5)
    for n, a in [(5, 3.0), (50, 61.5), (400, 380.0), (1000, 1000.0)]:
        assert erlang_a(n, a, 1.0).p_wait == pytest.approx(stats.poisson.sf(n - 1, a), rel=1e-9)


@pytest.mark.parametrize(("n", "a"), [(1, 0.5), (10, 7.3), (30, 45.0), (200, 180.0), (1000, 980.0), (5, 400.0)])
def test_erlang_b_matches_its_definition(n: int, a: float) -> None:
    assert erlang_b(n, a) == pytest.approx(erlang_b_by_definition(n, a), rel=1e-10)


@pytest.mark.parametrize(("x", "a"), [(0.5, 2.0), (3.7, 2.5), (12.25, 10.0), (99.5, 120.0), (20.4, 900.0)])
def test_fractional_erlang_b_is_the_integral_form(x: float, a: float) -> None:
    """Continuous Erlang B: 1/B(x, a) = a * int_0^inf e^(-a t) (1 + t)^x dt."""
    integral, _ = integrate.quad(lambda t: a * math.exp(-a * t + x * math.log1p(t)), 0, math.inf, limit=200)
    assert erlang_b(x, a) == pytest.approx(1.0 / integral, rel=1e-8)


def test_fractional_agents_agree_at_integers_and_fall_in_between() -> None:
    grid = np.linspace(11.0, 16.0, 51)
    b, c = erlang_b(grid, 10.0), erlang_c(grid, 10.0)
    assert np.all(np.diff(b) < 0) and np.all(np.diff(c) < 0)
    ints = grid[::10]
    assert b[::10] == pytest.approx([erlang_b_by_definition(int(k), 10.0) for k in ints], rel=1e-10)
    sl = queue_measures(grid, volume=100, interval_s=1800, aht_s=180, patience_s=120).service_level
    assert np.all(np.diff(sl) > 0)


@pytest.mark.parametrize(
    ("n", "a", "r", "t", "short"),
    [
        (10, 9.0, 0.5, 0.2, 0.05),
        (5, 6.0, 0.1, 1.0, 0.1),
        (20, 15.0, 2.0, 0.1, 0.02),
        (3, 1.0, 1.0, 5.0, 1.0),
        (8, 12.0, 0.25, 1.67, 0.03),
    ],
)
def test_erlang_a_matches_the_birth_death_chain(n: int, a: float, r: float, t: float, short: float) -> None:
    truth = erlang_a_by_chain(n, a, r, t, short)
    m = erlang_a(n, a, r)
    assert m.p_wait == pytest.approx(truth["p_wait"], rel=1e-9)
    assert m.p_abandon == pytest.approx(truth["abandon"], rel=1e-9)
    assert m.p_abandon == pytest.approx(r * truth["queue_length"] / a, rel=1e-9)
    assert m.service_level(t) == pytest.approx(truth["service_level"], rel=1e-9)
    assert m.p_wait * m.abandon_within_given_wait(short) == pytest.approx(truth["short_abandon"], rel=1e-8)
    assert m.wait_answered == pytest.approx(truth["asa"], rel=1e-8)


@pytest.mark.parametrize(("n", "a"), [(12.0, 10.0), (105.0, 100.0), (1000.0, 980.0)])
def test_erlang_a_tends_to_erlang_c_as_patience_grows(n: float, a: float) -> None:
    t = 0.2
    c = erlang_c(n, a)
    m = erlang_a(n, a, 1e-7)
    assert m.p_wait == pytest.approx(c, rel=1e-5)
    assert m.service_level(t) == pytest.approx(1 - c * math.exp(-(n - a) * t), rel=1e-5)
    assert m.wait_answered == pytest.approx(c / (n - a), rel=1e-4)
    assert m.p_abandon < 1e-5


@pytest.mark.parametrize(("n", "a"), [(12.0, 10.0), (80.0, 100.0), (1000.0, 980.0)])
def test_erlang_a_tends_to_erlang_b_loss_as_patience_vanishes(n: float, a: float) -> None:
    """Callers who hang up at once: everyone who waits is lost, as in Erlang B."""
    b = erlang_b(n, a)
    m = erlang_a(n, a, 1e9)
    assert m.p_wait == pytest.approx(b, rel=1e-5)
    assert m.p_abandon == pytest.approx(b, rel=1e-5)
    assert m.service_level(0.5) == pytest.approx(1 - b, rel=1e-5)


def test_quadrature_fallback_agrees_with_closed_form_where_both_work() -> None:
    """Near the switch (P(b, y) ~ 1e-250) both routes must give the same numbers."""
    from liucheng.workforce import erlang as mod

    n, a, r = np.array([1000.0]), np.array([900.0]), np.array([0.05])
    closed = mod.erlang_a(n, a, r)
    continuous_b = float(erlang_b(700.5, 900.0)[()])
    original = mod._TINY
    try:
        mod._TINY = 1.0  # force the queue sums onto the quadrature route
        quad = mod.ErlangA(n=n, a=a, r=r, log_inv_b=closed.log_inv_b, log_s=mod._log_kummer(n / r, a / r))
        assert quad.log_s == pytest.approx(closed.log_s, rel=1e-10)
        assert quad.service_level(0.1) == pytest.approx(closed.service_level(0.1), rel=1e-10)
        assert quad.abandon_within_given_wait(0.02) == pytest.approx(closed.abandon_within_given_wait(0.02), rel=1e-6)
        assert quad.wait_answered == pytest.approx(closed.wait_answered, rel=1e-6)
        # Erlang B's fallback is for loads far above the agents.
        assert mod.log_inverse_erlang_b(np.array([30.0, 700.5]), np.array([900.0, 900.0])) == pytest.approx(
            [-math.log(erlang_b_by_definition(30, 900.0)), -math.log(continuous_b)], rel=1e-10
        )
    finally:
        mod._TINY = original


def test_stress_thousand_agents_no_overflow() -> None:
    n = np.arange(900, 1101, dtype=float)
    for patience in (None, 30.0, 600.0, 1e7):
        m = queue_measures(n, volume=980 * 1800 / 180, interval_s=1800, aht_s=180, patience_s=patience, target_s=300)
        for values in (m.p_wait, m.service_level, m.abandon_rate, m.occupancy):
            assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1))
        stable = n > 980
        assert np.all(np.isfinite(m.asa_s[stable] if patience is None else m.asa_s))
        assert np.all(np.diff(m.service_level[stable]) >= -1e-12)
    assert np.all(np.isfinite(erlang_b(np.array([3000.0, 10.0]), np.array([10.0, 5000.0]))))


def test_halfin_whitt_square_root_staffing() -> None:
    """references/erlang.md: n = A + beta sqrt(A) gives P(wait) -> 0.2234 for beta = 1 as A grows."""
    a = 10_000.0
    assert erlang_c(a + math.sqrt(a), a) == pytest.approx(0.2234, abs=0.01)
