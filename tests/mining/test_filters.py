"""Filters against a brute-force pure-Python computation on real logs."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from liucheng.mining._ibis import MiningInputError
from liucheng.mining.dfg import discover_dfg
from liucheng.mining.filters import (
    filter_activities,
    filter_attribute_values,
    filter_case_duration,
    filter_time_range,
    filter_variants,
    filter_variants_coverage,
)
from liucheng.mining.variants import get_variants


@pytest.fixture(scope="module")
def helpdesk(load_log):
    events = load_log("helpdesk")
    rows = events.table.select(["case_id", "activity", "timestamp", "event_index", "seriousness_2"]).to_pylist()
    traces: dict[str, list[dict]] = {}
    for row in sorted(rows, key=lambda r: (r["timestamp"], r["event_index"])):
        traces.setdefault(row["case_id"], []).append(row)
    return events.to_ibis(), rows, traces


def kept(table) -> tuple[set[str], int]:
    result = table.select("case_id").to_pyarrow()
    return set(result["case_id"].to_pylist()), result.num_rows


def events_of(rows, cases) -> int:
    return sum(row["case_id"] in cases for row in rows)


def ranked_variants(traces):
    counts = Counter(tuple(e["activity"] for e in trace) for trace in traces.values())
    return sorted(counts, key=lambda v: (-counts[v], v)), counts


def cases_with_variants(traces, chosen) -> set[str]:
    return {case for case, trace in traces.items() if tuple(e["activity"] for e in trace) in chosen}


@pytest.mark.parametrize("mode", ["contained", "intersecting", "started", "completed"])
def test_time_range_keeps_the_cases_plain_python_keeps(mode, helpdesk) -> None:
    table, rows, traces = helpdesk
    low, high = datetime(2011, 6, 1, tzinfo=UTC), datetime(2012, 3, 1, tzinfo=UTC)
    test = {"contained": lambda s, e: low <= s and e <= high, "intersecting": lambda s, e: s <= high and e >= low,
            "started": lambda s, e: low <= s <= high, "completed": lambda s, e: low <= e <= high}[mode]
    expected = {case for case, t in traces.items() if test(t[0]["timestamp"], t[-1]["timestamp"])}
    cases, n_events = kept(filter_time_range(table, low, high, mode=mode))
    assert cases == expected and 0 < len(expected) < len(traces)
    assert n_events == events_of(rows, expected)


def test_time_range_events_mode_trims_cases(helpdesk) -> None:
    table, rows, _ = helpdesk
    low, high = datetime(2011, 6, 1, tzinfo=UTC), datetime(2012, 3, 1, tzinfo=UTC)
    _, n_events = kept(filter_time_range(table, low, high, mode="events"))
    assert n_events == sum(low <= row["timestamp"] <= high for row in rows)


@pytest.mark.parametrize("keep", [True, False])
def test_attribute_values_at_event_and_case_level(keep, helpdesk) -> None:
    table, rows, traces = helpdesk
    values = {"Value 4", "Value 3"}
    matching_rows = [row for row in rows if (row["seriousness_2"] in values) == keep]
    _, n_events = kept(filter_attribute_values(table, "seriousness_2", values, level="event", keep=keep))
    assert n_events == len(matching_rows) and 0 < n_events < len(rows)
    with_value = {case for case, t in traces.items() if any(e["seriousness_2"] in values for e in t)}
    expected = with_value if keep else set(traces) - with_value
    cases, n_events = kept(filter_attribute_values(table, "seriousness_2", values, level="case", keep=keep))
    assert cases == expected and n_events == events_of(rows, expected)


@pytest.mark.parametrize(("how", "keep"), [("any", True), ("all", True), ("any", False)])
def test_activity_presence(how, keep, helpdesk) -> None:
    table, rows, traces = helpdesk
    wanted = {"Wait", "Create SW anomaly"}
    test = any if how == "any" else all
    hit = {case for case, t in traces.items() if test(a in {e["activity"] for e in t} for a in wanted)}
    expected = hit if keep else set(traces) - hit
    cases, n_events = kept(filter_activities(table, wanted, how=how, keep=keep))
    assert cases == expected and 0 < len(expected) < len(traces)
    assert n_events == events_of(rows, expected)


def test_case_duration_bounds_are_inclusive(helpdesk) -> None:
    table, rows, traces = helpdesk
    spans = {case: (t[-1]["timestamp"] - t[0]["timestamp"]).total_seconds() for case, t in traces.items()}
    low, high = sorted(spans.values())[100], sorted(spans.values())[3000]
    expected = {case for case, d in spans.items() if low <= d <= high}
    cases, n_events = kept(filter_case_duration(table, min_s=low, max_s=high))
    assert cases == expected and n_events == events_of(rows, expected)
    assert kept(filter_case_duration(table, max_s=low))[0] == {case for case, d in spans.items() if d <= low}


def test_variants_top_k_list_and_coverage(helpdesk) -> None:
    table, rows, traces = helpdesk
    ranked, counts = ranked_variants(traces)
    assert kept(filter_variants(table, top_k=3))[0] == cases_with_variants(traces, set(ranked[:3]))
    chosen = {ranked[1], ranked[7]}
    assert kept(filter_variants(table, chosen))[0] == cases_with_variants(traces, chosen)
    others, n_events = kept(filter_variants(table, chosen, keep=False))
    assert others == set(traces) - cases_with_variants(traces, chosen)
    assert n_events == events_of(rows, others)
    covered, k = 0, 0
    while covered < 0.8 * len(traces):
        covered += counts[ranked[k]]
        k += 1
    assert kept(filter_variants_coverage(table, 0.8))[0] == cases_with_variants(traces, set(ranked[:k]))


def test_top_k_with_tied_counts_follows_get_variants_order(load_log) -> None:
    events = load_log("receipt_wabo").to_ibis()
    variants = get_variants(events)
    counts = [v.count for v in variants.variants]
    k = next(i for i in range(1, len(counts)) if counts[i - 1] == counts[i])  # a cut inside a tie
    assert get_variants(filter_variants(events, top_k=k)).counts() == {
        v.activities: v.count for v in variants.variants[:k]}


def test_filters_chain_and_feed_the_analyses(helpdesk) -> None:
    table, _, traces = helpdesk
    ranked, _ = ranked_variants(traces)
    chained = filter_activities(filter_variants(table, top_k=5), ["Wait"])
    expected = {case for case in cases_with_variants(traces, set(ranked[:5]))
                if "Wait" in {e["activity"] for e in traces[case]}}
    assert discover_dfg(chained).n_cases == len(expected)


def test_bad_filter_input_is_named(helpdesk) -> None:
    table, _, _ = helpdesk
    naive = datetime(2012, 1, 1)  # a naive time is the point of this test
    with pytest.raises(MiningInputError, match="start=2012-01-01T00:00:00 has no time zone"):
        filter_time_range(table, naive, datetime(2013, 1, 1, tzinfo=UTC))
    with pytest.raises(MiningInputError, match="no column colour"):
        filter_attribute_values(table, "colour", ["red"])
    with pytest.raises(MiningInputError, match="give either variants= or top_k="):
        filter_variants(table)
    with pytest.raises(MiningInputError, match=r"share=80 is not in \(0, 1\]"):
        filter_variants_coverage(table, 80)
    with pytest.raises(MiningInputError, match="min_s=10 is larger than max_s=1"):
        filter_case_duration(table, min_s=10, max_s=1)
