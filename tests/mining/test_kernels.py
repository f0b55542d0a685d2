"""The in-memory array kernels give exactly what the Ibis definitions give, on every shared log."""

from __future__ import annotations

import contextlib
import math
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liucheng.eventlog.table import EventTable, from_arrow
from liucheng.mining import _kernels
from liucheng.mining.dfg import discover_dfg
from liucheng.mining.variants import get_variants
from tests.mining.conftest import LOGS, SMALL_LOGS


@pytest.fixture(params=["compiled", "numpy"])
def kernels(request, monkeypatch) -> str:
    """Run the test with the compiled kernels (``_native.c``) and again with the NumPy ones."""
    if request.param == "numpy":
        monkeypatch.setattr(_kernels, "_native", None)
    elif _kernels._native is None:
        pytest.skip("the compiled kernels are not built (no C compiler at install)")
    return request.param


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


@pytest.mark.parametrize("name", SMALL_LOGS)
def test_the_kernels_equal_the_ibis_queries(load_log, name, kernels) -> None:
    _same_as_sql(load_log(name))


# -- the kernels' own paths: logs not listed case by case, ties, hash clashes, grouping ---------------
def _table(rows: list[tuple[str, str, int, int]]) -> EventTable:
    """Events (case, activity, minute, event_index) in the order given."""
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    return from_arrow(pa.table({
        "case_id": [r[0] for r in rows], "activity": [r[1] for r in rows],
        "timestamp": pa.array([t0 + timedelta(minutes=r[2]) for r in rows], pa.timestamp("us", tz="UTC")),
        "event_index": pa.array([r[3] for r in rows], pa.int64())}))


def _same_as_sql(events: EventTable) -> None:
    """The kernels' DFG (with and without waiting times) and variants equal the Ibis queries'."""
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
    fast_v, sql_v = get_variants(events), get_variants(events.to_ibis())
    assert fast_v.n_cases == sql_v.n_cases
    assert [(v.activities, v.count) for v in fast_v.variants] == [(v.activities, v.count) for v in sql_v.variants]
    for a, b in zip(fast_v.variants, sql_v.variants, strict=True):
        assert _close(a.mean_duration_s, b.mean_duration_s) and _close(a.median_duration_s, b.median_duration_s)


def test_a_case_listed_in_two_places_is_one_case(kernels) -> None:
    events = _table([("a", "A", 0, 0), ("a", "B", 1, 1), ("b", "C", 0, 2), ("a", "D", 5, 3)])
    dfg = discover_dfg(events)
    assert dfg.edge_counts() == {("A", "B"): 1, ("B", "D"): 1}
    assert dfg.n_cases == 2
    assert get_variants(events).counts() == {("A", "B", "D"): 1, ("C",): 1}
    _same_as_sql(events)


def test_equal_times_keep_the_event_index_order_whatever_the_row_order(kernels) -> None:
    # Same minute for B and C; event_index says B before C although the rows say otherwise.
    events = _table([("a", "A", 0, 0), ("a", "C", 3, 2), ("a", "B", 3, 1), ("a", "D", 2, 3)])
    assert get_variants(events).counts() == {("A", "D", "B", "C"): 1}
    _same_as_sql(events)


@pytest.mark.parametrize("name", ["helpdesk", "bpic2013_closed_problems"])
def test_shuffled_rows_give_the_same_results(load_log, name, kernels) -> None:
    events = load_log(name)
    permutation = np.random.default_rng(7).permutation(events.n_events)
    shuffled = EventTable(events.table.take(pa.array(permutation)))
    assert discover_dfg(shuffled, performance=True) == discover_dfg(events, performance=True)
    assert get_variants(shuffled) == get_variants(events)
    _same_as_sql(shuffled)


def test_names_listed_twice_in_the_dictionary_are_one_activity(kernels) -> None:
    # The activity dictionary holds "A" twice (codes 0 and 2) and is not in name order.
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    activity = pa.DictionaryArray.from_arrays(pa.array([0, 1, 2, 1, 1, 0], pa.int32()), pa.array(["A", "B", "A"]))
    events = from_arrow(pa.table({
        "case_id": ["x", "x", "y", "y", "z", "z"], "activity": activity,
        "timestamp": pa.array([t0 + timedelta(minutes=m) for m in range(6)], pa.timestamp("us", tz="UTC"))}))
    assert [(v.activities, v.count) for v in get_variants(events).variants] == [(("A", "B"), 2), (("B", "A"), 1)]
    _same_as_sql(events)


def test_sequences_past_32_bit_offsets_use_64_bit_ones(monkeypatch, load_log) -> None:
    monkeypatch.setattr(_kernels, "_native", None)  # the Arrow path's offsets
    events = load_log("helpdesk")
    expected = get_variants(events)
    monkeypatch.setattr(_kernels, "_BINARY_LIMIT", 100)  # as if the cases held over 2 GB of codes
    assert get_variants(EventTable(events.table)) == expected


def test_variants_are_most_frequent_first_then_by_activity_names(load_log, kernels) -> None:
    variants = get_variants(load_log("bpic2013_incidents")).variants
    assert list(variants) == sorted(variants, key=lambda v: (-v.count, v.activities))


@pytest.mark.parametrize("groups", [3, 40, 5000])
def test_group_stats_equal_numpy_per_group(groups) -> None:
    rng = np.random.default_rng(groups)
    keys = rng.integers(0, groups, 20_000) * 3  # gaps between the keys, as edge codes have
    values = np.round(rng.exponential(3600, 20_000), 3)
    stats = _kernels.group_stats(keys, values)
    assert stats.keys.tolist() == sorted(set(keys.tolist()))
    for i, key in enumerate(stats.keys.tolist()):
        mine = values[keys == key]
        assert stats.sizes[i] == len(mine)
        assert math.isclose(stats.mean[i], mine.mean(), rel_tol=1e-12)
        assert stats.median[i] == pytest.approx(np.quantile(mine, 0.5), rel=1e-12)
        assert stats.p90[i] == pytest.approx(np.quantile(mine, 0.9), rel=1e-12)
        assert (stats.min[i], stats.max[i]) == (mine.min(), mine.max())


@pytest.mark.parametrize("n_names", [300, 70_000])
def test_variant_order_with_more_names_than_one_byte_holds(n_names, kernels) -> None:
    # 300 activities: each name's rank takes two bytes in the sequences; 70,000 take four.
    rng = np.random.default_rng(5)
    rows, index = [], 0
    n_cases = 400 if n_names < 2**16 else n_names // 2
    for case in range(n_cases):
        for minute, code in enumerate(rng.integers(0, n_names, rng.integers(1, 6)).tolist()):
            rows.append((f"c{case}", f"act {code:05d}", minute, index))
            index += 1
    for case in range(n_cases, n_cases + 60):  # some repeated variants, so counts differ
        for minute, name in enumerate(("act 00007", "act 00250", "act 00007")):
            rows.append((f"c{case}", name, minute, index))
            index += 1
    events = _table(rows)
    assert len(get_variants(events).variants) > 1 and discover_dfg(events).nodes
    variants = get_variants(events).variants
    assert list(variants) == sorted(variants, key=lambda v: (-v.count, v.activities))
    _same_as_sql(events)


# -- the compiled kernels: built, equal to the NumPy ones bit for bit, strict about their input -------
def test_the_compiled_kernels_are_built() -> None:
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler on this machine: the NumPy kernels run")
    assert _kernels._native is not None, "reinstall (make install) to build liucheng/mining/_native.c"


@pytest.mark.parametrize("name", sorted(LOGS))
def test_compiled_and_numpy_kernels_agree_exactly(load_log, name, monkeypatch) -> None:
    if _kernels._native is None:
        pytest.skip("the compiled kernels are not built")
    events = load_log(name)
    compiled = (_kernels._case_runs(events.table["case_id"]), _kernels.variant_groups(_kernels.sorted_log(events)))
    monkeypatch.setattr(_kernels, "_native", None)
    numpy = (_kernels._case_runs(events.table["case_id"]), _kernels.variant_groups(_kernels.sorted_log(events)))
    assert np.array_equal(compiled[0], numpy[0])
    assert compiled[1] == numpy[1]  # the same floats, not merely close: same sums in the same order


def test_a_case_id_heading_two_runs_is_found_by_both(kernels) -> None:
    ids = pa.chunked_array([pa.array(["a", "a", "bb", "a", "ccc"])])
    assert _kernels._case_runs(ids) is None
    runs = _kernels._case_runs(pa.chunked_array([pa.array(["a", "a", "bb", "", "ccc", "ccc"])]))
    assert runs.tolist() == [0, 2, 3, 4]


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_case_runs_on_sliced_and_chunked_columns(kernels, kind) -> None:
    ids = pa.array(["zz", "a", "a", "b", "b", "b", "c", "a"], kind)
    assert _kernels._case_runs(pa.chunked_array([ids.slice(1, 6)])).tolist() == [0, 2, 5]  # a a b b b c
    assert _kernels._case_runs(pa.chunked_array([ids.slice(1, 3), ids.slice(4, 3)])).tolist() == [0, 2, 5]
    assert _kernels._case_runs(pa.chunked_array([ids])) is None  # "a" heads two runs


def test_long_ids_near_the_end_of_the_buffer_compare_exactly(kernels) -> None:
    # Ids of 1-40 bytes, differing only in their last byte, some ending at the buffer's very end.
    ids = []
    for length in range(1, 41):
        base = "x" * (length - 1)
        ids += [base + "a", base + "a", base + "b"]
    runs = _kernels._case_runs(pa.chunked_array([pa.array(ids)]))
    assert runs.tolist() == [i for i in range(len(ids)) if i == 0 or ids[i] != ids[i - 1]]


def test_the_compiled_kernels_reject_inconsistent_arrays() -> None:
    native = _kernels._native
    if native is None:
        pytest.skip("the compiled kernels are not built")
    bounds, codes = np.array([0, 2, 3]), np.array([0, 1, 0])
    durations, names = np.array([1.0, 2.0]), ("A", "B")
    with pytest.raises(ValueError, match="row 1 has activity code 5"):
        native.variant_groups(bounds, np.array([0, 5, 0]), np.array([0, 1]), names, durations)
    with pytest.raises(ValueError, match="do not fit together"):
        native.variant_groups(np.array([0, 2, 4]), codes, np.array([0, 1]), names, durations)
    with pytest.raises(ValueError, match="ends before it starts"):
        native.variant_groups(np.array([0, 3, 2, 3]), codes, np.array([0, 1]), names, np.ones(3))
    with pytest.raises(ValueError, match="out of order"):
        native.case_runs(np.array([0, 2, 1, 3], dtype=np.int32), 4, b"abc", np.empty(3, dtype=np.int64))
    with pytest.raises(ValueError, match="outside the data"):
        native.case_runs(np.array([0, 2, 9], dtype=np.int32), 4, b"abc", np.empty(2, dtype=np.int64))
    with pytest.raises(ValueError, match="4 or 8"):
        native.case_runs(np.array([0, 1]), 2, b"a", np.empty(1, dtype=np.int64))
    activities, counts, means, medians = native.variant_groups(bounds, codes, np.array([1, 0]), ("A", "B"), durations)
    assert (activities, counts, means, medians) == ([("B",), ("B", "A")], [1, 1], [2.0, 1.0], [2.0, 1.0])


@contextlib.contextmanager
def _numpy_kernels() -> Iterator[None]:
    """The NumPy kernels for the duration (hypothesis tests cannot take the ``kernels`` fixture)."""
    native, _kernels._native = _kernels._native, None
    try:
        yield
    finally:
        _kernels._native = native


@settings(max_examples=150, deadline=None)
@given(ids=st.lists(st.sampled_from(["", "a", "ab", "abcdefgh", "abcdefghi", "x" * 17, "案例-1", "案例-2"]),
                    min_size=0, max_size=60))
def test_case_runs_compiled_equal_numpy_on_any_ids(ids) -> None:
    if _kernels._native is None:
        pytest.skip("the compiled kernels are not built")
    column = pa.chunked_array([pa.array(ids, pa.string())])
    compiled = _kernels._case_runs(column)
    with _numpy_kernels():
        expected = _kernels._case_runs(column)
    assert (compiled is None) == (expected is None)
    if compiled is not None:
        assert compiled.tolist() == expected.tolist()


@settings(max_examples=150, deadline=None)
@given(cases=st.lists(st.lists(st.integers(0, 5), min_size=1, max_size=12), min_size=1, max_size=40),
       names=st.lists(st.sampled_from(["A", "B", "b", "Ä", "审批", "A "]), min_size=6, max_size=6),
       minutes=st.lists(st.integers(0, 10_000), min_size=40, max_size=40))
def test_variant_groups_compiled_equal_numpy_on_any_log(cases, names, minutes) -> None:
    if _kernels._native is None:
        pytest.skip("the compiled kernels are not built")
    bounds = np.concatenate(([0], np.cumsum([len(c) for c in cases])))
    codes = np.array([code for case in cases for code in case], dtype=np.int64)
    time_us = np.zeros(len(codes), dtype=np.int64)
    time_us[bounds[1:] - 1] = np.array(minutes[:len(cases)]) * 60_000_000  # durations of 0 to a week
    log = _kernels.SortedLog(codes=codes, names=names, time_us=time_us, bounds=bounds.astype(np.int64))
    compiled = _kernels.variant_groups(log)
    with _numpy_kernels():
        expected = _kernels.variant_groups(log)
    assert compiled == expected
