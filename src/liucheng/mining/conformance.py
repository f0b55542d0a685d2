"""Token-based replay: how well a log fits a process model, per case and for the whole log.

Each case's activities are replayed on a workflow net, counting tokens produced (p), consumed
(c), missing (m: added so that a logged activity could happen) and remaining (r: left over at
the end). Case fitness is ``0.5 * (1 - m / c) + 0.5 * (1 - r / p)`` and log fitness the same
formula over the sums of all cases. The replay follows Berti and van der Aalst, "Reviving
token-based replay" (2019), as PM4Py implements it, so the numbers agree with
``pm4py.fitness_token_based_replay``: before an activity that is not enabled, silent
transitions on the shortest silent paths from marked places to the missing ones are fired; at
the end silent paths towards the final marking are tried; activities the model does not know
are skipped (they do not lower fitness but are reported).

Each distinct trace (variant) is replayed once and weighted by its number of cases.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import pyarrow as pa

from liucheng.eventlog.table import ACTIVITY, CASE_ID, EVENT_INDEX, TIMESTAMP, EventTable
from liucheng.mining.petri import PetriNet, from_definition
from liucheng.process.spec import ProcessDefinition

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from liucheng.mining.conformance_align import Alignment

#: PM4Py's limits: recursion when enabling through silent transitions, rounds towards the final marking.
_MAX_HIDDEN_DEPTH = 2
_FINAL_ROUNDS = 5

Marking = dict[int, int]


@dataclass(frozen=True, slots=True)
class VariantReplay:
    """The replay of one distinct trace; every case with this trace shares it."""

    activities: tuple[str, ...]
    cases: int
    produced: int
    consumed: int
    missing: int
    remaining: int
    #: True when nothing was missing and nothing remained (final-marking tokens aside, as PM4Py).
    is_fit: bool
    #: Activities whose transition lacked tokens (in trace order, with repeats).
    missing_at: tuple[str, ...]
    #: Activities of the trace that no transition of the model performs.
    unknown: tuple[str, ...]

    @property
    def fitness(self) -> float:
        if self.consumed > 0 and self.produced > 0:
            return 0.5 * (1 - self.missing / self.consumed) + 0.5 * (1 - self.remaining / self.produced)
        return 1.0


@dataclass(frozen=True)
class ReplayResult:
    variants: tuple[VariantReplay, ...]
    #: case_id and the index of its variant in ``variants``.
    case_variant: pa.Table

    @cached_property
    def n_cases(self) -> int:
        return sum(v.cases for v in self.variants)

    def _total(self, name: str) -> int:
        return sum(getattr(v, name) * v.cases for v in self.variants)

    @property
    def log_fitness(self) -> float:
        """Fitness over the token sums of all cases (PM4Py's ``log_fitness``)."""
        c, p = self._total("consumed"), self._total("produced")
        if not self.variants or c == 0 or p == 0:
            return 0.0
        return 0.5 * (1 - self._total("missing") / c) + 0.5 * (1 - self._total("remaining") / p)

    @property
    def average_trace_fitness(self) -> float:
        return sum(v.fitness * v.cases for v in self.variants) / self.n_cases if self.variants else 0.0

    @property
    def fit_case_share(self) -> float:
        """Share of cases (0..1) that replay without missing or remaining tokens."""
        return sum(v.cases for v in self.variants if v.is_fit) / self.n_cases if self.variants else 0.0

    def per_case(self) -> pa.Table:
        """One row per case: case_id, fitness, missing, remaining, produced, consumed, is_fit."""
        index = self.case_variant["variant"].to_pylist()
        columns: dict[str, list[object]] = {"case_id": self.case_variant[CASE_ID].to_pylist()}
        for name in ("fitness", "missing", "remaining", "produced", "consumed", "is_fit"):
            values = [getattr(v, name) for v in self.variants]
            columns[name] = [values[i] for i in index]
        return pa.table(columns)

    def deviating_cases(self) -> list[str]:
        """Cases that do not fit, sorted."""
        bad = {i for i, v in enumerate(self.variants) if not v.is_fit}
        cases = self.case_variant[CASE_ID].to_pylist()
        return sorted(c for c, i in zip(cases, self.case_variant["variant"].to_pylist(), strict=True) if i in bad)

    def missing_by_activity(self) -> Counter[str]:
        """How many times (over all cases) each activity had to be forced with missing tokens."""
        out: Counter[str] = Counter()
        for v in self.variants:
            for activity in v.missing_at:
                out[activity] += v.cases
        return out


def run_on_events(table: EventTable, query: Callable[[ir.Table], ir.Table]) -> pa.Table:
    """``query`` over the four ordering columns of ``table`` on a fresh in-memory DuckDB.

    The Arrow columns are scanned in place (an Ibis memtable), not copied into a DuckDB table:
    on a million events that halves the time of a directly-follows count.
    """
    import ibis

    events = ibis.memtable(table.table.select([CASE_ID, ACTIVITY, TIMESTAMP, EVENT_INDEX]))
    return ibis.duckdb.connect().to_pyarrow(query(events))


def _variants_query(t: ir.Table) -> ir.Table:
    traces = t.group_by(CASE_ID).aggregate(trace=t[ACTIVITY].collect(order_by=[t[TIMESTAMP], t[EVENT_INDEX]]))
    return traces.group_by("trace").aggregate(n=traces.count(), cases=traces[CASE_ID].collect())


def trace_variants(table: EventTable) -> tuple[list[tuple[str, ...]], list[int], pa.Table]:
    """Distinct traces (ordered by timestamp, then event_index), their case counts, and case → variant.

    Variants come most frequent first, ties by trace; computed in one DuckDB pass.
    """
    rows = run_on_events(table, _variants_query).to_pylist()
    rows.sort(key=lambda r: (-r["n"], r["trace"]))
    variants = [tuple(r["trace"]) for r in rows]
    counts = [int(r["n"]) for r in rows]
    case_ids = [c for r in rows for c in r["cases"]]
    index = [i for i, r in enumerate(rows) for _ in r["cases"]]
    return variants, counts, pa.table({CASE_ID: case_ids, "variant": pa.array(index, pa.int32())})


def token_replay(table: EventTable, model: ProcessDefinition | PetriNet) -> ReplayResult:
    """Replay every case of ``table`` on ``model`` (a BPMN definition is translated first)."""
    net = from_definition(model) if isinstance(model, ProcessDefinition) else model
    variants, counts, case_variant = trace_variants(table)
    replayer = Replayer(net)
    return ReplayResult(
        tuple(replayer.replay(v, n) for v, n in zip(variants, counts, strict=True)), case_variant
    )


def replay_traces(traces: Sequence[Sequence[str]], net: PetriNet) -> list[VariantReplay]:
    """Replay plain activity sequences (one result each, weight one)."""
    replayer = Replayer(net)
    return [replayer.replay(tuple(trace), 1) for trace in traces]


class Replayer:
    """Token-based replay on one net; places and transitions are numbered for speed."""

    def __init__(self, net: PetriNet) -> None:
        self.net = net
        self.place_index = {p: i for i, p in enumerate(net.places)}
        by_name = sorted(range(len(net.places)), key=lambda i: net.places[i])
        self.rank = {p: r for r, p in enumerate(by_name)}
        self.inputs = [tuple(self.place_index[p] for p in t.inputs) for t in net.transitions]
        self.outputs = [tuple(self.place_index[p] for p in t.outputs) for t in net.transitions]
        self.labels = [t.label for t in net.transitions]
        self.by_label: dict[str, list[int]] = {}
        for i, t in enumerate(net.transitions):
            if t.label is not None:
                self.by_label.setdefault(t.label, []).append(i)
        # The transition tried when none with the label is enabled: the last by name, as PM4Py.
        self.fallback = {
            label: max(ts, key=lambda i: net.transitions[i].name) for label, ts in self.by_label.items()
        }
        self.initial = {self.place_index[p]: n for p, n in net.initial.items()}
        self.final = {self.place_index[p]: n for p, n in net.final.items()}
        self.paths = self.silent_paths()

    def silent_paths(self) -> list[dict[int, tuple[int, ...]]]:
        """For each place, the shortest chains of silent transitions leading to every other place."""
        consumers: list[list[int]] = [[] for _ in self.net.places]
        order = sorted(range(len(self.labels)), key=lambda i: self.net.transitions[i].name)
        for t in order:
            if self.labels[t] is None:
                for p in self.inputs[t]:
                    consumers[p].append(t)
        out: list[dict[int, tuple[int, ...]]] = []
        for start in range(len(self.net.places)):
            found: dict[int, tuple[int, ...]] = {}
            queue: deque[tuple[int, tuple[int, ...]]] = deque([(start, ())])
            while queue:
                place, path = queue.popleft()
                for t in consumers[place]:
                    for nxt in self.outputs[t]:
                        if nxt not in found:
                            found[nxt] = (*path, t)
                            queue.append((nxt, found[nxt]))
            out.append(found)
        return out

    # -- marking semantics (a dict keeps PM4Py's insertion order of places) --

    def enabled(self, t: int, m: Mapping[int, int]) -> bool:
        return all(m.get(p, 0) >= 1 for p in self.inputs[t])

    def fire(self, t: int, m: Marking) -> Marking:
        out = dict(m)
        for p in self.inputs[t]:
            out[p] -= 1
            if out[p] == 0:
                del out[p]
        for p in self.outputs[t]:
            out[p] = out.get(p, 0) + 1
        return out

    def groups(self, m: Mapping[int, int], targets: set[int] | Mapping[int, int]) -> list[tuple[int, ...]]:
        """Silent paths from marked places to ``targets``, shortest first (ties by place names)."""
        found = [
            self.paths[p1][p2]
            for p1 in sorted(m, key=self.rank.__getitem__)
            for p2 in sorted(targets, key=self.rank.__getitem__)
            if p2 in self.paths[p1]
        ]
        return sorted(found, key=len)

    def replay(self, trace: tuple[str, ...], cases: int) -> VariantReplay:
        m: Marking = dict(self.initial)
        produced, consumed, missing = sum(self.initial.values()), 0, 0
        missing_at: list[str] = []
        unknown: list[str] = []
        for activity in trace:
            if activity not in self.by_label:
                unknown.append(activity)
                continue
            t = next((x for x in self.by_label[activity] if self.enabled(x, m)), self.fallback[activity])
            if not self.enabled(t, m):
                fired: list[int] = []
                m = self.enable_through_silent(t, m, 0, set(), fired)
                consumed += sum(len(self.inputs[x]) for x in fired)
                produced += sum(len(self.outputs[x]) for x in fired)
            if not self.enabled(t, m):
                missing_at.append(activity)
                for p in self.inputs[t]:
                    if m.get(p, 0) < 1:
                        missing += 1 - m.get(p, 0)
                        m[p] = m.get(p, 0) + 1
            consumed += len(self.inputs[t])
            produced += len(self.outputs[t])
            m = self.fire(t, m)
        m, extra_c, extra_p = self.towards_final(m)
        consumed += extra_c
        produced += extra_p
        remaining = sum(max(0, n - self.final.get(p, 0)) for p, n in m.items())
        is_fit = missing == 0 and remaining == 0
        consumed += sum(self.final.values())
        missing += sum(max(0, n - m.get(p, 0)) for p, n in self.final.items())
        return VariantReplay(trace, cases, produced, consumed, missing, remaining, is_fit,
                             tuple(missing_at), tuple(unknown))

    def enable_through_silent(self, t: int, m: Marking, depth: int, visited: set[int], fired: list[int]) -> Marking:
        """Fire silent transitions on shortest silent paths until ``t`` is enabled, if they get there."""
        if depth >= _MAX_HIDDEN_DEPTH or t in visited:
            return m
        visited.add(t)
        lacking = {p for p in self.inputs[t] if m.get(p, 0) < 1}
        groups = self.groups(m, lacking)
        if not groups:
            return m
        m = self.sweep(t, m, groups, visited, fired)
        if not self.enabled(t, m):
            for group in self.groups(m, lacking):
                for t4 in group:
                    if t4 == t or t4 in visited:
                        continue
                    if not self.enabled(t4, m):
                        m = self.enable_through_silent(t4, m, depth + 1, visited, fired)
                    if self.enabled(t4, m):
                        m = self.fire(t4, m)
                        fired.append(t4)
                        visited.add(t4)
        return m

    def sweep(self, t: int, m: Marking, groups: list[tuple[int, ...]], visited: set[int],
              fired: list[int]) -> Marking:
        """Walk the paths group by group, firing what is enabled; stop once ``t`` is or a group did nothing."""
        position = [0] * len(groups)
        round_ = 0
        while True:
            g = round_ % len(groups)
            changed = False
            while position[g] < len(groups[g]):
                t3 = groups[g][position[g]]
                if t3 != t and self.enabled(t3, m) and t3 not in visited:
                    m = self.fire(t3, m)
                    fired.append(t3)
                    visited.add(t3)
                    changed = True
                position[g] += 1
                if self.enabled(t, m):
                    break
            if self.enabled(t, m) or not changed:
                return m
            round_ += 1

    def towards_final(self, m: Marking) -> tuple[Marking, int, int]:
        """Fire silent transitions towards the final marking; returns the marking and tokens c, p."""
        consumed = produced = 0

        def reached() -> bool:
            return all(p in m for p in self.final)

        for _ in range(_FINAL_ROUNDS):
            if reached():
                break
            for group in self.groups(m, self.final):
                for t in group:
                    if self.enabled(t, m):
                        m = self.fire(t, m)
                        consumed += len(self.inputs[t])
                        produced += len(self.outputs[t])
                if reached():
                    break
        if not reached() and len(self.final) == 1:
            sink = next(iter(self.final))
            chains = sorted((self.paths[p][sink] for p in m if sink in self.paths[p]), key=len)
            for _ in range(_FINAL_ROUNDS):
                for chain in chains:
                    for t in chain:
                        if not self.enabled(t, m):
                            break
                        m = self.fire(t, m)
                        consumed += len(self.inputs[t])
                        produced += len(self.outputs[t])
        return m, consumed, produced


def align(table: EventTable, model: ProcessDefinition | PetriNet, top: int = 10) -> list[Alignment]:
    """Optimal alignments of the ``top`` most frequent variants (see ``conformance_align``)."""
    from liucheng.mining.conformance_align import align as align_variants

    return align_variants(table, model, top)
