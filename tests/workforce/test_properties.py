"""Properties every queue formula must have, over random inputs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from liucheng.workforce.erlang import erlang_a, erlang_b, erlang_c
from liucheng.workforce.queueing import queue_measures

loads = st.floats(min_value=0.05, max_value=1500.0)
ratios = st.floats(min_value=1e-4, max_value=1e3)
times = st.floats(min_value=0.0, max_value=50.0)


def _agents(load: float, spread: int = 40) -> np.ndarray:
    low = max(1, int(load - 3 * np.sqrt(load)) - 2)
    return np.arange(low, low + spread, dtype=float)


@settings(max_examples=60, deadline=None)
@given(load=loads)
def test_erlang_b_and_c_are_probabilities_falling_with_agents(load: float) -> None:
    n = _agents(load)
    b, c = erlang_b(n, load), erlang_c(n, load)
    assert np.all((b >= 0) & (b <= 1)) and np.all((c >= 0) & (c <= 1))
    assert np.all(np.diff(b) <= 1e-15) and np.all(np.diff(c) <= 1e-15)
    assert np.all(c >= b - 1e-15)


@settings(max_examples=60, deadline=None)
@given(load=loads, r=ratios, t=times)
def test_erlang_a_measures_are_monotone_in_agents(load: float, r: float, t: float) -> None:
    n = _agents(load)
    m = erlang_a(n, load, r)
    for p in (m.p_wait, m.p_abandon, m.service_level(t), m.occupancy):
        assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))
    tol = 1e-9
    assert np.all(np.diff(m.p_wait) <= tol)
    assert np.all(np.diff(m.p_abandon) <= tol)
    assert np.all(np.diff(m.service_level(t)) >= -tol)
    assert np.all(np.diff(m.wait_answered) <= tol * (1 + m.wait_answered[:-1]))


@settings(max_examples=60, deadline=None)
@given(load=loads, r=ratios)
def test_erlang_a_wait_probability_lies_between_erlang_b_and_c(load: float, r: float) -> None:
    """Patience between zero (Erlang B) and infinite (Erlang C) gives a delay between the two."""
    n = _agents(load)
    p = erlang_a(n, load, r).p_wait
    assert np.all(p >= erlang_b(n, load) * (1 - 1e-9))
    assert np.all(p <= erlang_c(n, load) * (1 + 1e-9))


@settings(max_examples=60, deadline=None)
@given(load=st.floats(min_value=0.5, max_value=300.0), r=ratios, extra=st.floats(0.0, 5.0))
def test_service_level_rises_with_the_target_time(load: float, r: float, extra: float) -> None:
    n = np.array([max(1.0, np.ceil(load))])
    ts = np.linspace(0.0, 3.0 + extra, 25)
    m = erlang_a(np.repeat(n, ts.size), load, r)
    sl = m.service_level(ts)
    assert np.all(np.diff(sl) >= -1e-12)
    # At t = 0 only callers who never waited count; as t grows it tends to everyone answered.
    assert abs(sl[0] - (1.0 - m.p_wait[0])) < 1e-12
    assert sl[-1] <= 1.0 - m.p_abandon[0] + 1e-12


@settings(max_examples=40, deadline=None)
@given(volume=st.floats(1.0, 4000.0), aht=st.floats(30.0, 900.0), t=st.floats(0.0, 600.0))
def test_conventions_are_ordered(volume: float, aht: float, t: float) -> None:
    load = volume * aht / 1800
    n = _agents(load, 10)
    sl = {
        conv: queue_measures(
            n, volume=volume, interval_s=1800, aht_s=aht, patience_s=aht, target_s=t, convention=conv
        ).service_level
        for conv in ("all_arrivals", "exclude_short_abandons", "answered_only")
    }
    assert np.all(sl["all_arrivals"] <= sl["exclude_short_abandons"] + 1e-12)
    assert np.all(sl["all_arrivals"] <= sl["answered_only"] + 1e-12)
