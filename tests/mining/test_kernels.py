"""The in-memory array kernels give exactly what the Ibis definitions give, on every shared log."""

from __future__ import annotations

import math

import pytest

from liucheng.mining.dfg import discover_dfg
from liucheng.mining.variants import get_variants
from tests.mining.conftest import SMALL_LOGS


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


@pytest.mark.parametrize("name", SMALL_LOGS)
def test_dfg_kernel_equals_the_ibis_query(load_log, name) -> None:
    events = load_log(name)
    for performance in (False, True):
        fast, sql = discover_dfg(events, performance=performance), discover_dfg(events.to_ibis(),
                                                                                   performance=performance)
        assert fast.nodes == sql.nodes
        assert [(e.source, e.target, e.count) for e in fast.edges] == [(e.source, e.target, e.count)
                                                                          for e in sql.edges]
        for a, b in zip(fast.edges, sql.edges, strict=True):
            for field in ("mean_s", "median_s", "p90_s", "min_s", "max_s", "total_s"):
                assert _close(getattr(a, field), getattr(b, field)), (a, b, field)
        assert (fast.n_cases, fast.n_events) == (sql.n_cases, sql.n_events)


@pytest.mark.parametrize("name", SMALL_LOGS)
def test_variant_kernel_equals_the_ibis_query(load_log, name) -> None:
    events = load_log(name)
    fast, sql = get_variants(events), get_variants(events.to_ibis())
    assert fast.n_cases == sql.n_cases
    assert [(v.activities, v.count) for v in fast.variants] == [(v.activities, v.count) for v in sql.variants]
    for a, b in zip(fast.variants, sql.variants, strict=True):
        assert _close(a.mean_duration_s, b.mean_duration_s) and _close(a.median_duration_s, b.median_duration_s)
