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
come from a partial sort of its own times; variants are grouped by a hash of their activity codes,
confirmed on the codes themselves.
"""

from __future__ import annotations

import contextlib
import gc
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from liucheng.eventlog.table import ACTIVITY, CASE_ID, EVENT_INDEX, TIMESTAMP, EventTable


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
    # Cases numbered by first appearance: an integer sort key instead of a string one.
    case_codes = _case_codes(table[CASE_ID])
    time_us = table[TIMESTAMP].cast(pa.int64()).to_numpy()
    order = _order(case_codes, time_us, table[EVENT_INDEX].to_numpy())
    activity = table[ACTIVITY].combine_chunks() if isinstance(table[ACTIVITY], pa.ChunkedArray) else table[ACTIVITY]
    if not pa.types.is_dictionary(activity.type):
        activity = pc.dictionary_encode(activity)
    codes = activity.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    names = [str(v) for v in activity.dictionary.to_pylist()]
    if order is not None:
        codes, time_us, case_codes = codes[order], time_us[order], case_codes[order]
    starts = np.flatnonzero(case_codes[1:] != case_codes[:-1]) + 1
    bounds = np.concatenate(([0], starts, [len(codes)])) if len(codes) else np.zeros(1, dtype=np.int64)
    result = SortedLog(codes=codes, names=names, time_us=time_us, bounds=bounds.astype(np.int64))
    _CACHE[key] = result
    weakref.finalize(events, _CACHE.pop, key, None)
    return result


def _case_codes(column: pa.ChunkedArray) -> np.ndarray:
    """A number per event naming its case, numbered by first appearance.

    Most logs list each case's events together (XES writes traces whole), so the cases are the
    runs of equal neighbours; that holds when no case id heads two runs, which a hash of the run
    heads alone tells (a sixth of the ids on road traffic fines). Otherwise every id is hashed.
    """
    ids = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    n = len(ids)
    if n >= 2 and ids.null_count == 0 and (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        changes = pc.not_equal(ids.slice(1), ids.slice(0, n - 1)).to_numpy(zero_copy_only=False)
        starts = np.flatnonzero(changes) + 1
        heads = ids.take(pa.array(np.concatenate(([0], starts))))
        import polars  # counts distinct strings several times faster than Arrow here

        if polars.from_arrow(heads).n_unique() == len(heads):
            runs = np.zeros(n, dtype=np.int64)
            runs[starts] = 1
            return np.cumsum(runs, out=runs)
    return pc.dictionary_encode(ids).indices.to_numpy(zero_copy_only=False).astype(np.int64)


def _order(case_codes: np.ndarray, time_us: np.ndarray, index: np.ndarray) -> np.ndarray | None:
    """The sort permutation, or None when the file already lists each case in time order (XES
    writes traces whole; most logs list events in time order), which a linear check tells."""
    if len(case_codes) < 2:
        return None
    step_case, step_time = np.diff(case_codes), np.diff(time_us)
    same = step_case == 0
    if not (step_case >= 0).all() or (same & (step_time < 0)).any():
        return np.lexsort((index, time_us, case_codes))
    ties = np.flatnonzero(same & (step_time == 0))
    if len(ties) and not (index[ties + 1] > index[ties]).all():
        return np.lexsort((index, time_us, case_codes))
    return None


def dfg_rows(log: SortedLog, *, performance: bool) -> list[dict[str, Any]]:
    """The rows ``dfg.assemble_dfg`` takes: per (source, target-or-None) the count and wait statistics."""
    n = max(len(log.names), 1)
    codes = log.codes
    last = np.zeros(len(codes), dtype=bool)
    last[log.bounds[1:] - 1] = True  # the last event of each case
    follow = ~last[:-1]  # row i is followed by row i + 1 of the same case
    pair = (codes[:-1] * n + codes[1:])[follow]
    rows: list[dict[str, Any]] = []
    counts = np.bincount(pair, minlength=n * n)
    stats: dict[int, dict[str, float]] = {}
    if performance and len(pair):
        wait = (log.time_us[1:] - log.time_us[:-1])[follow].astype(np.float64) / 1_000_000
        groups = group_stats(pair, wait)
        stats = {key: dict(zip(_STAT_FIELDS, values, strict=True))
                 for key, *values in zip(groups.keys.tolist(), *(getattr(groups, f).tolist() for f in _STATS),
                                         strict=True)}
    for key in np.flatnonzero(counts).tolist():
        row: dict[str, Any] = {"source": key // n, "target": key % n, "count": int(counts[key])}
        if performance:
            row.update(stats[key])
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


def variant_groups(log: SortedLog) -> list[tuple[tuple[str, ...], int, float, float]]:
    """Per distinct activity sequence, most frequent first (ties by the activity names):
    (activities, cases, mean and median duration in seconds)."""
    with gc_paused():
        return _variant_groups(log)


def _variant_groups(log: SortedLog) -> list[tuple[tuple[str, ...], int, float, float]]:
    if not log.n_cases:
        return []
    bounds = log.bounds
    starts, lengths = bounds[:-1], np.diff(bounds)
    position = np.arange(log.n_events) - np.repeat(starts, lengths)
    # A 64-bit polynomial hash of each case's codes (wrapping arithmetic) mixed with its length:
    # equal sequences always collide; different ones rarely, and _confirm catches that, when a
    # second independent hash decides.
    symbols = log.codes.astype(np.uint64) + np.uint64(1)
    weights = _hash_weights(int(lengths.max()) + 1)
    with np.errstate(over="ignore"):
        h1 = np.add.reduceat(symbols * weights[0][position], starts)
        key = h1 ^ (lengths.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    inverse, first = _factorize(key)
    if not _confirm(log, inverse, first, position):
        with np.errstate(over="ignore"):
            h2 = np.add.reduceat(symbols * weights[1][position], starts)
        keys = np.stack([h1, h2, lengths.astype(np.uint64)], axis=1)
        _, first_sorted, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        inverse, first = _renumber_by_first(inverse.reshape(-1), first_sorted)
        if not _confirm(log, inverse, first, position):
            raise AssertionError("two different variants share a 192-bit key; report this log")
    durations = (log.time_us[bounds[1:] - 1] - log.time_us[starts]).astype(np.float64) / 1_000_000
    stats = group_stats(inverse, durations)  # groups are 0..k-1, so stats arrays line up with ``first``
    # Most frequent first; ties by the activity names (tuples compare as their names' ranks do,
    # and fixed-width big-endian ranks compare bytewise the same way).
    rep_lengths = lengths[first]
    rep_offsets = np.concatenate(([0], np.cumsum(rep_lengths)))
    rep_index = np.arange(rep_offsets[-1]) - np.repeat(rep_offsets[:-1] - starts[first], rep_lengths)
    rep_codes = log.codes[rep_index]
    counts = stats.sizes.tolist()
    ranked = _most_frequent_first(stats.sizes, rep_codes, rep_offsets, log.names).tolist()
    # One tuple of every representative's names; each variant's activities are a slice of it.
    names = tuple(np.array(log.names, dtype=object)[rep_codes].tolist())
    spans = rep_offsets.tolist()
    means, medians = stats.mean.tolist(), stats.median.tolist()
    return [(names[spans[g]:spans[g + 1]], counts[g], means[g], medians[g]) for g in ranked]


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


def _most_frequent_first(counts: np.ndarray, codes: np.ndarray, offsets: np.ndarray, names: list[str]) -> np.ndarray:
    """Group order: most cases first, ties by the activity names, as tuples of names compare.

    Each group becomes one fixed-width byte string: its count's complement (big-endian), its
    names' ranks (one or two bytes per name, never a zero byte, padded with zeros, so a prefix
    sorts first, as with tuples) and its own number. Sorting those strings is a sort by memcmp,
    with no Python comparison of names.
    """
    rank = np.empty(len(names), dtype=np.int64)
    rank[np.argsort(np.array(names, dtype=object), kind="stable")] = np.arange(len(names))
    lengths = np.diff(offsets)
    per_name = 1 if len(names) < 255 else 2
    width = max(int(lengths.max()) * per_name, 1)
    n_groups = len(counts)
    if len(names) >= 255**2 or n_groups * width > 2**26:  # too wide to pack: compare in Python
        packed = rank[codes].astype(">u4").tobytes()
        spans, sizes = (offsets * 4).tolist(), counts.tolist()
        return np.array(sorted(range(len(sizes)), key=lambda g: (-sizes[g], packed[spans[g]:spans[g + 1]])))
    row_bytes = 4 + width + 4
    matrix = np.zeros((n_groups, row_bytes), dtype=np.uint8)
    matrix[:, :4] = (np.uint32(2**32 - 1) - counts.astype(np.uint32)).astype(">u4").view(np.uint8).reshape(-1, 4)
    # Where each code's rank byte(s) go in the flat matrix: its row's name area, then its position.
    at = np.repeat(np.arange(n_groups) * row_bytes + 4 - offsets[:-1] * per_name, lengths)
    at += np.arange(len(codes)) * per_name
    flat = matrix.reshape(-1)
    if per_name == 1:
        flat[at] = rank[codes] + 1
    else:
        flat[at] = rank[codes] // 255 + 1
        flat[at + 1] = rank[codes] % 255 + 1
    matrix[:, -4:] = np.arange(n_groups, dtype=">u4").view(np.uint8).reshape(-1, 4)
    # The group number at the end makes every row distinct, so sorting the rows themselves (bytes
    # compared unsigned, as memcmp does) gives the order; the numbers are read back from the ends.
    ordered = np.sort(matrix.view(f"S{row_bytes}").ravel())
    tail = np.frombuffer(ordered.tobytes(), dtype=np.uint8).reshape(n_groups, row_bytes)[:, -4:]
    return np.ascontiguousarray(tail).view(">u4").ravel().astype(np.int64)


def _hash_weights(length: int) -> np.ndarray:
    """Two rows of random odd 64-bit weights, at least ``length`` long (the same on every call)."""
    global _WEIGHTS
    if _WEIGHTS.shape[1] < length:
        rng = np.random.default_rng(20260321)
        _WEIGHTS = rng.integers(1, 2**63 - 1, size=(2, max(length, 1024)), dtype=np.uint64) | np.uint64(1)
        _WEIGHTS.flags.writeable = False
    return _WEIGHTS


_WEIGHTS = np.ones((2, 0), dtype=np.uint64)


def _factorize(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group number per case (groups numbered by first appearance) and each group's first case."""
    from pandas import factorize  # a hash table: several times faster than np.unique's sort here

    inverse, _ = factorize(key)
    inverse = inverse.astype(np.int64)
    seen = np.maximum.accumulate(inverse)
    first = np.flatnonzero(np.concatenate(([True], inverse[1:] > seen[:-1])))
    return inverse, first


def _renumber_by_first(inverse: np.ndarray, first_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber groups (as np.unique numbers them) by first appearance, as ``_factorize`` does."""
    by_appearance = np.argsort(first_sorted, kind="stable")
    renumber = np.empty_like(by_appearance)
    renumber[by_appearance] = np.arange(len(by_appearance))
    return renumber[inverse], first_sorted[by_appearance]


def _confirm(log: SortedLog, inverse: np.ndarray, first: np.ndarray, position: np.ndarray) -> bool:
    """Every case has the same codes as its group's representative (guards against a hash clash)."""
    bounds = log.bounds
    lengths = np.diff(bounds)
    representative = first[inverse]
    if not np.array_equal(lengths, lengths[representative]):
        return False
    mirrored = log.codes[np.repeat(bounds[representative], lengths) + position]
    return bool(np.array_equal(mirrored, log.codes))
