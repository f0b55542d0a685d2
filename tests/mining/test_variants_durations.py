"""Variants and case durations against PM4Py on every shared log, and against plain Python."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import numpy as np
import pm4py
import pytest

from liucheng.mining._ibis import MiningInputError
from liucheng.mining.durations import get_case_durations, get_cases_per_period, get_duration_distribution
from liucheng.mining.variants import get_variants
from tests.mining.conftest import BIG_LOGS, SMALL_LOGS
from tests.mining.test_dfg import brute_force_traces

ALL_LOGS = [*SMALL_LOGS, *(pytest.param(name, marks=pytest.mark.slow) for name in BIG_LOGS)]


@pytest.mark.parametrize("name", ALL_LOGS)
def test_variants_and_case_durations_equal_pm4py(name, load_log, pm4py_frame) -> None:
    frame = pm4py_frame(name)
    events = load_log(name)
    variants = get_variants(events)
    assert variants.counts() == dict(pm4py.get_variants(frame))
    assert variants.n_cases == frame["case:concept:name"].nunique()
    ours = sorted(get_case_durations(events).durations_s().values())
    assert np.allclose(ours, pm4py.get_all_case_durations(frame), rtol=0, atol=1e-6)


def test_variant_order_shares_and_durations_equal_plain_python(load_log, pm4py_frame) -> None:
    traces = brute_force_traces(pm4py_frame("receipt_wabo"))
    by_variant = defaultdict(list)
    for trace in traces.values():
        by_variant[tuple(a for a, _ in trace)].append((trace[-1][1] - trace[0][1]).total_seconds())
    expected = sorted(by_variant, key=lambda v: (-len(by_variant[v]), v))
    variants = get_variants(load_log("receipt_wabo"))
    assert [v.activities for v in variants.variants] == expected
    for variant in variants.variants:
        durations = by_variant[variant.activities]
        assert variant.share == len(durations) / len(traces)
        assert math.isclose(variant.mean_duration_s, statistics.fmean(durations), rel_tol=1e-12)
        assert math.isclose(variant.median_duration_s, statistics.median(durations), rel_tol=1e-12)
    counts = [len(by_variant[v]) for v in expected]
    assert variants.coverage(3) == sum(counts[:3]) / len(traces)
    k = variants.k_for_coverage(0.5)
    assert sum(counts[:k]) >= len(traces) / 2 > sum(counts[: k - 1])
    assert variants.to_arrow()["rank"].to_pylist() == list(range(1, len(expected) + 1))


def test_lifecycle_variants_equal_pm4py_on_the_filtered_frame(load_log, pm4py_frame) -> None:
    frame = pm4py_frame("bpic2012")
    complete = frame[frame["lifecycle:transition"] == "COMPLETE"]
    assert get_variants(load_log("bpic2012"), lifecycle="complete").counts() == dict(pm4py.get_variants(complete))


def test_duration_distribution_equals_numpy(load_log) -> None:
    events = load_log("helpdesk")
    durations = np.array(list(get_case_durations(events).durations_s().values()))
    dist = get_duration_distribution(events, percentiles=(0.25, 0.95), bins=7)
    assert dist.count == len(durations)
    assert math.isclose(dist.mean_s, durations.mean(), rel_tol=1e-12)
    assert math.isclose(dist.median_s, np.median(durations), rel_tol=1e-12)
    assert math.isclose(dist.p90_s, np.quantile(durations, 0.9), rel_tol=1e-12)
    assert dist.percentiles == pytest.approx({0.25: np.quantile(durations, 0.25), 0.95: np.quantile(durations, 0.95)})
    counts, edges = np.histogram(durations, bins=7)
    assert [b.count for b in dist.bins] == counts.tolist()
    assert [b.lower_s for b in dist.bins] == pytest.approx(edges[:-1].tolist())
    assert dist.bins[-1].upper_s == durations.max()


def test_case_durations_table(load_log, pm4py_frame) -> None:
    durations = get_case_durations(load_log("receipt_wabo"))
    traces = brute_force_traces(pm4py_frame("receipt_wabo"))
    rows = durations.to_dicts()
    assert [row["case_id"] for row in rows] == sorted(traces)
    for row in rows:
        trace = traces[row["case_id"]]
        assert (row["start"], row["end"], row["n_events"]) == (trace[0][1], trace[-1][1], len(trace))


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_cases_per_period_equal_plain_python(period, load_log, pm4py_frame) -> None:
    def start_of(ts: datetime) -> datetime:
        day = datetime(ts.year, ts.month, ts.day, tzinfo=UTC)
        if period == "week":
            return day - timedelta(days=day.weekday())
        return day.replace(day=1) if period == "month" else day

    traces = brute_force_traces(pm4py_frame("bpic2013_closed_problems"))
    opened = Counter(start_of(trace[0][1]) for trace in traces.values())
    closed = Counter(start_of(trace[-1][1]) for trace in traces.values())
    result = get_cases_per_period(load_log("bpic2013_closed_problems"), period=period)
    assert {row.period_start: (row.opened, row.closed) for row in result.rows} == {
        start: (opened[start], closed[start]) for start in opened.keys() | closed.keys()}
    assert [row.period_start for row in result.rows] == sorted(opened.keys() | closed.keys())


def test_bad_duration_options_are_named(load_log) -> None:
    events = load_log("helpdesk")
    with pytest.raises(MiningInputError, match="period='year' is not one of"):
        get_cases_per_period(events, period="year")
    with pytest.raises(MiningInputError, match=r"percentiles \[95\] are not fractions"):
        get_duration_distribution(events, percentiles=[95])
    with pytest.raises(MiningInputError, match="bins=0"):
        get_duration_distribution(events, bins=0)
