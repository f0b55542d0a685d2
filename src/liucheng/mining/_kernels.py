"""Array kernels for the hottest analyses on an in-memory event table.

The Ibis expressions in ``dfg.py`` and ``variants.py`` are the definitions and run on any backend
(DuckDB, PostgreSQL, Spark). For an ``EventTable`` already in memory, the directly-follows graph
and the variants need nothing but the events sorted by case and time, and then neighbouring rows
compared: done here with NumPy on the Arrow columns, they cost a sort of integers and a few
vector passes, an order of magnitude less than a windowed SQL query. Both paths must give the
same results; ``tests/mining/test_kernels.py`` checks that on every shared log.

The sort is computed once per table and kept while the table lives. Most logs need none: when
each case's events are listed together and in time order (XES writes traces whole), the cases are
the runs of equal case ids, found by comparing neighbours and checking that no id heads two runs.
Edge waiting times are grouped by a counting sort of the edge codes, and each edge's median and p90
come from a partial sort of its own times; variants are grouped as one byte string per case (its
activities' ranks in name order) in a hash table that compares the strings themselves.

Finding the case runs and grouping the variants run in a small C module (``_native.c``) when the
install could compile it, and in NumPy and Arrow otherwise; both give identical results.
"""

from __future__ import annotations

import contextlib
import gc
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liucheng.eventlog.table import ACTIVITY, CASE_ID, EVENT_INDEX, TIMESTAMP, EventTable

try:
    from liucheng.mining import _native  # the compiled kernels (_native.c)
except ImportError:  # built without a C compiler: the NumPy versions below give the same results
    _native = None


@dataclass(frozen=True)
class SortedLog:
    """The events ordered by (case, timestamp, event_index), as arrays."""

    #: activity code per event (index into ``names``)
    codes: np.ndarray
    names: list[str]
    #: microseconds since the epoch per event
    time_us: np.ndarray
    #: index of the first event of each case, plus the number of events at the end
    bounds: np.ndarray

    @property
    def n_cases(self) -> int:
        return len(self.bounds) - 1

    @property
    def n_events(self) -> int:
        return len(self.codes)


_CACHE: dict[int, SortedLog] = {}


def sorted_log(events: EventTable) -> SortedLog:
    """``events`` sorted by case and time (stable: ties keep ``event_index`` order), cached per table."""
    key = id(events)
    found = _CACHE.get(key)
    if found is not None:
        return found
    table = events.table
    time_us = _one_chunk(table[TIMESTAMP]).view(pa.int64()).to_numpy(zero_copy_only=False)  # no copy
    index = table[EVENT_INDEX].to_numpy()
    activity = _one_chunk(table[ACTIVITY])
    if not pa.types.is_dictionary(activity.type):
        activity = pc.dictionary_encode(activity)
    codes = activity.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    names = [str(v) for v in activity.dictionary.to_pylist()]
    if len(set(names)) < len(names):  # a dictionary may hold a name twice: one code per name
        listed = names
        names = list(dict.fromkeys(listed))
        renumber = {name: new for new, name in enumerate(names)}
        codes = np.array([renumber[name] for name in listed], dtype=np.int64)[codes]
    starts = _case_runs(table[CASE_ID])
    if starts is None or not _in_time_order(starts, time_us, index):
        # Cases numbered by first appearance: an integer sort key instead of a string one.
        case_codes = _case_codes(table[CASE_ID])
        order = np.lexsort((index, time_us, case_codes))
        codes, time_us, case_codes = codes[order], time_us[order], case_codes[order]
        starts = np.concatenate(([0], np.flatnonzero(case_codes[1:] != case_codes[:-1]) + 1))
    bounds = np.concatenate((starts, [len(codes)])).astype(np.int64) if len(codes) else np.zeros(1, dtype=np.int64)
    result = SortedLog(codes=codes, names=names, time_us=time_us, bounds=bounds)
    _CACHE[key] = result
    weakref.finalize(events, _CACHE.pop, key, None)
    return result


def _case_runs(column: pa.ChunkedArray) -> np.ndarray | None:
    """Where each case's events start, when every case's events are listed together; else None.

    Most logs list each case's events together (XES writes traces whole), so the cases are the
    runs of equal neighbours; that holds when no case id heads two runs, which counting the
    distinct run heads alone tells (a sixth of the ids on road traffic fines).
    """
    ids = _one_chunk(column)
    n = len(ids)
    if ids.null_count:
        return None
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        return None
    if _native is not None:
        size = 8 if pa.types.is_large_string(ids.type) else 4
        offsets = np.frombuffer(ids.buffers()[1], dtype=f"i{size}", count=n + 1, offset=ids.offset * size)
        data = ids.buffers()[2] if ids.buffers()[2] is not None else b""
        starts = np.empty(n, dtype=np.int64)
        found = _native.case_runs(offsets, size, data, starts)
        return starts[:found] if found >= 0 else None
    starts = pc.indices_nonzero(pc.not_equal(ids.slice(1), ids.slice(0, n - 1))).to_numpy().astype(np.int64)
    starts += 1
    starts = np.concatenate(([0], starts))
    return starts if _n_distinct(ids.take(pa.array(starts))) == len(starts) else None


def _n_distinct(strings: pa.Array) -> int:
    import polars  # counts distinct strings several times faster than Arrow here

    return polars.from_arrow(strings).n_unique()


def _one_chunk(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    return column


def _in_time_order(starts: np.ndarray, time_us: np.ndarray, index: np.ndarray) -> bool:
    """Whether, within each case (rows ``starts[i]`` up to the next start), the rows are already
    in (timestamp, event_index) order: a few linear passes."""
    if len(time_us) < 2:
        return True
    step = np.diff(time_us)
    step[starts[1:] - 1] = 1  # from one case into the next: not compared
    if step.min() < 0:
        return False
    if np.diff(index).min() > 0:  # the rows in event_index order (as every importer writes them): ties are too
        return True
    tied = np.flatnonzero(step == 0)
    return bool((index[tied + 1] > index[tied]).all())


def _case_codes(column: pa.ChunkedArray) -> np.ndarray:
    """A number per event naming its case."""
    return pc.dictionary_encode(column).combine_chunks().indices.to_numpy(zero_copy_only=False).astype(np.int64)


def dfg_rows(log: SortedLog, *, performance: bool) -> list[dict[str, Any]]:
    """The rows ``dfg.assemble_dfg`` takes: per (source, target-or-None) the count and wait statistics."""
    n = max(len(log.names), 1)
    codes = log.codes
    last = np.zeros(len(codes), dtype=bool)
    last[log.bounds[1:] - 1] = True  # the last event of each case
    follow = ~last[:-1]  # row i is followed by row i + 1 of the same case
    pair = (codes[:-1] * n + codes[1:])[follow]
    rows: list[dict[str, Any]] = []
    # Edges counted in a table of every (source, target) slot, unless that table would be mostly
    # empty (thousands of activities): then the edges present are numbered first.
    dense = n * n <= max(1 << 22, 8 * len(pair))
    if not dense:
        edge_keys, pair = np.unique(pair, return_inverse=True)
    counts = np.bincount(pair, minlength=n * n if dense else len(edge_keys))
    stats: dict[int, dict[str, float]] = {}
    if performance and len(pair):
        wait = (log.time_us[1:] - log.time_us[:-1])[follow].astype(np.float64) / 1_000_000
        groups = group_stats(pair, wait)
        stats = {key: dict(zip(_STAT_FIELDS, values, strict=True))
                 for key, *values in zip(groups.keys.tolist(), *(getattr(groups, f).tolist() for f in _STATS),
                                         strict=True)}
    for slot in np.flatnonzero(counts).tolist():
        key = slot if dense else int(edge_keys[slot])
        row: dict[str, Any] = {"source": key // n, "target": key % n, "count": int(counts[slot])}
        if performance:
            row.update(stats[slot])
        rows.append(row)
    ends = np.bincount(codes[last], minlength=n)
    for code in np.flatnonzero(ends).tolist():
        row = {"source": code, "target": None, "count": int(ends[code])}
        if performance:
            row.update(dict.fromkeys(_STAT_FIELDS))
        rows.append(row)
    for row in rows:
        row["name"] = log.names[row["source"]]
    return rows


_STATS = ("mean", "median", "p90", "min", "max", "total")
_STAT_FIELDS = tuple(f"{name}_s" for name in _STATS)
_QUANTILES = (0.5, 0.9)


@dataclass(frozen=True)
class GroupStats:
    """Per distinct key (ascending): its size and the mean, median, p90, min, max and sum of its values."""

    keys: np.ndarray
    sizes: np.ndarray
    mean: np.ndarray
    median: np.ndarray
    p90: np.ndarray
    min: np.ndarray
    max: np.ndarray
    total: np.ndarray


def group_stats(keys: np.ndarray, values: np.ndarray) -> GroupStats:
    """Statistics of ``values`` per non-negative integer key; quantiles interpolate linearly (as
    NumPy and DuckDB do).

    The values are grouped by a counting sort of the keys (NumPy radix-sorts 16-bit keys), then
    each group's quantiles come from a partial sort of that group alone; with many small groups a
    sort of everything by (key, value) costs less than a partition per group.
    """
    n_keys = int(keys.max()) + 1
    sizes_all = np.bincount(keys, minlength=n_keys)
    present = np.flatnonzero(sizes_all)
    sizes = sizes_all[present]
    ends = np.cumsum(sizes)
    starts = ends - sizes
    many_groups = len(present) > max(64, len(keys) // 100)
    if many_groups:
        by_value = np.argsort(values)
        order = by_value[_stable_key_order(keys[by_value], n_keys)]
    else:
        order = _stable_key_order(keys, n_keys)
    grouped = values[order]
    totals = np.add.reduceat(grouped, starts)
    quantiles: dict[float, np.ndarray] = {}
    if many_groups:
        minimum, maximum = grouped[starts], grouped[ends - 1]
        for q in _QUANTILES:
            position = q * (sizes - 1)  # within the group, so the fraction keeps its precision
            offset = np.floor(position).astype(np.int64)
            low, high = starts + offset, np.minimum(starts + offset + 1, ends - 1)
            quantiles[q] = grouped[low] + (grouped[high] - grouped[low]) * (position - offset)
    else:
        minimum, maximum = np.minimum.reduceat(grouped, starts), np.maximum.reduceat(grouped, starts)
        quantiles = {q: np.empty(len(sizes)) for q in _QUANTILES}
        for g, (start, size) in enumerate(zip(starts.tolist(), sizes.tolist(), strict=True)):
            wanted = {q: q * (size - 1) for q in _QUANTILES}
            kth = sorted({int(p) for p in wanted.values()} | {min(int(p) + 1, size - 1) for p in wanted.values()})
            part = np.partition(grouped[start:start + size], kth)
            for q, position in wanted.items():
                low = int(position)
                high = min(low + 1, size - 1)
                quantiles[q][g] = part[low] + (part[high] - part[low]) * (position - low)
    return GroupStats(keys=present, sizes=sizes, mean=totals / sizes, median=quantiles[0.5], p90=quantiles[0.9],
                      min=minimum, max=maximum, total=totals)


def _stable_key_order(keys: np.ndarray, n_keys: int) -> np.ndarray:
    small = keys.astype(np.uint16) if n_keys <= 2**16 else keys
    return np.argsort(small, kind="stable")


class VariantGroups(NamedTuple):
    """The distinct activity sequences of a log, most frequent first (ties by the activity names,
    compared as tuples of names compare), as parallel lists."""

    activities: list[tuple[str, ...]]
    counts: list[int]
    mean_duration_s: list[float]
    median_duration_s: list[float]


def variant_groups(log: SortedLog) -> VariantGroups:
    """Group the cases by their activity sequence (compiled, or in NumPy and Arrow without a compiler)."""
    if not log.n_cases:
        return VariantGroups([], [], [], [])
    if _native is None:
        return _variant_groups_arrow(log)
    distinct, rank, durations = _ranks_and_durations(log)
    return VariantGroups(*_native.variant_groups(np.ascontiguousarray(log.bounds, dtype=np.int64),
                                                 np.ascontiguousarray(log.codes, dtype=np.int64),
                                                 rank.astype(np.int64), tuple(distinct.tolist()), durations))


def _ranks_and_durations(log: SortedLog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct names in name order, each code's rank among them (equal names, equal rank) and
    each case's duration in seconds."""
    distinct, rank = np.unique(np.array(log.names, dtype=object), return_inverse=True)
    bounds = log.bounds
    durations = (log.time_us[bounds[1:] - 1] - log.time_us[bounds[:-1]]).astype(np.float64) / 1_000_000
    return distinct, rank, durations


def _variant_groups_arrow(log: SortedLog) -> VariantGroups:
    """``variant_groups`` in NumPy and Arrow.

    Each case becomes one byte string: its activities' ranks in name order, one, two or four bytes
    (big-endian) each. Equal strings are equal sequences, and strings compare (bytewise, a prefix
    first) exactly as the tuples of names do. Arrow's hash table groups the strings, exactly; its
    sort ranks the distinct ones by count and then by the strings themselves.
    """
    distinct, rank, durations = _ranks_and_durations(log)
    width = 1 if len(distinct) <= 2**8 else 2 if len(distinct) <= 2**16 else 4
    data = rank.astype(f">u{width}")[log.codes]
    offsets = log.bounds * width
    large = offsets[-1] >= _BINARY_LIMIT
    binary, offset_type = (pa.large_binary(), np.int64) if large else (pa.binary(), np.int32)
    offsets = offsets.astype(offset_type)
    sequences = pa.Array.from_buffers(binary, log.n_cases, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    encoded = pc.dictionary_encode(sequences)
    group = encoded.indices.to_numpy(zero_copy_only=False)
    counts, means, medians = _count_mean_median(group, durations, len(encoded.dictionary))
    ranked = pc.sort_indices(pa.table({"count": counts, "sequence": encoded.dictionary}),
                             sort_keys=[("count", "descending"), ("sequence", "ascending")])
    ordered = encoded.dictionary.take(ranked)
    starts = np.frombuffer(ordered.buffers()[1], dtype=offset_type, count=len(ordered) + 1,
                           offset=ordered.offset * np.dtype(offset_type).itemsize)
    ranks = np.frombuffer(ordered.buffers()[2], dtype=f">u{width}", count=int(starts[-1] - starts[0]) // width,
                          offset=int(starts[0]))
    # One tuple of every variant's names, in rank order; each variant's activities are a slice of it.
    names = tuple(distinct[ranks].tolist())
    spans = ((starts - starts[0]) // width).tolist()
    ranked_numpy = ranked.to_numpy()
    return VariantGroups(activities=[names[spans[g]:spans[g + 1]] for g in range(len(spans) - 1)],
                         counts=counts[ranked_numpy].tolist(), mean_duration_s=means[ranked_numpy].tolist(),
                         median_duration_s=medians[ranked_numpy].tolist())


#: Sequences of more bytes than this (all cases together) need 64-bit offsets.
_BINARY_LIMIT = 2**31


def _count_mean_median(group: np.ndarray, values: np.ndarray, n_groups: int) -> tuple[np.ndarray, ...]:
    """Per group 0..n_groups-1: its size, and the mean and median (the middle two averaged) of its values."""
    counts = np.bincount(group, minlength=n_groups)
    means = np.bincount(group, weights=values, minlength=n_groups) / counts
    by_value = np.argsort(values)
    ordered = values[by_value[_stable_key_order(group[by_value], n_groups)]]
    ends = np.cumsum(counts)
    first = ends - counts
    medians = (ordered[first + (counts - 1) // 2] + ordered[first + counts // 2]) / 2
    return counts, means, medians


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while building many small acyclic objects (tuples of names,
    result rows): the collector would otherwise run every few hundred of them, over objects that
    cannot form cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
