"""Process discovery with the inductive miner: a block-structured (hence sound) model from a log.

The miner splits the activities by the first cut that fits the directly-follows graph
(exclusive choice, sequence, parallel, loop), recurses into each part and ends at single
activities; when no cut fits it falls through to a flower model (any order, any number of
times). Two ways to recurse, chosen by ``variant``:

* ``"imd"`` (default): only the directly-follows graph is kept, computed once (``dfg.discover_dfg``); each
  part gets the sub-graph, and a part is made skippable when the graph jumps over it. Speed
  does not depend on the size of the log. The graph forgets which activities occurred together
  in one case, so some cases may not fit the model (an optional branch of a parallel block
  looks mandatory).
* ``"im"``: the distinct traces (variants, from DuckDB) are split along each cut, so every part
  is mined from exactly the behaviour it must allow and every case fits the model (without
  noise filtering). Cost grows with the number of variants, not of events.

``noise`` (0..1) is IMf's filter: when no cut fits, directly-follows edges weaker than ``noise``
times the strongest edge leaving the same activity (and start and end activities weaker than
``noise`` times the strongest one) are dropped and the cuts are tried again; with ``"im"`` a part
is made optional only when more than ``noise`` of its traces skip it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Literal, Protocol

from liucheng.core.errors import LiuchengError
from liucheng.eventlog.table import EventTable
from liucheng.mining._tree import TAU, Operator, ProcessTree, leaf, node, tree_to_definition
from liucheng.mining.conformance import trace_variants
from liucheng.mining.dfg import discover_dfg
from liucheng.process.bpmn_writer import write_bpmn

if TYPE_CHECKING:
    pass

Variant = Literal["imd", "im"]
Groups = list[frozenset[str]]


class DiscoveryError(LiuchengError):
    """Discovery was asked for something it cannot do (an empty log, a noise outside 0..1)."""

    code = "invalid_discovery"


@dataclass(frozen=True)
class Dfg:
    """A directly-follows graph with start and end activities and their counts."""

    activities: frozenset[str]
    edges: Mapping[tuple[str, str], int]
    starts: Mapping[str, int]
    ends: Mapping[str, int]
    successors: dict[str, set[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        succ: dict[str, set[str]] = {a: set() for a in self.activities}
        for a, b in self.edges:
            succ[a].add(b)
        object.__setattr__(self, "successors", succ)

    def restrict(self, part: Iterable[str], starts: Mapping[str, int], ends: Mapping[str, int]) -> Dfg:
        keep = frozenset(part)
        edges = {(a, b): n for (a, b), n in self.edges.items() if a in keep and b in keep}
        return Dfg(keep, edges, dict(starts), dict(ends))

    def filtered(self, noise: float) -> Dfg:
        """IMf's filter: drop edges below ``noise`` times the strongest edge out of the same activity."""
        strongest: Counter[str] = Counter()
        for (a, _), n in self.edges.items():
            strongest[a] = max(strongest[a], n)
        edges = {(a, b): n for (a, b), n in self.edges.items() if n >= noise * strongest[a]}
        top_start = max(self.starts.values(), default=0)
        top_end = max(self.ends.values(), default=0)
        starts = {a: n for a, n in self.starts.items() if n >= noise * top_start}
        ends = {a: n for a, n in self.ends.items() if n >= noise * top_end}
        return Dfg(self.activities, edges, starts, ends)


def directly_follows(table: EventTable) -> Dfg:
    """The directly-follows graph of ``table`` (cases ordered by timestamp, then event_index),
    from ``liucheng.mining.dfg.discover_dfg``: the miner's view of the one graph every analysis uses."""
    graph = discover_dfg(table)
    return Dfg(frozenset(graph.activity_counts()), graph.edge_counts(), graph.start_activities(),
               graph.end_activities())


# -- cuts: each returns the parts (first part first) or None ---------------------------------


def _components(nodes: Iterable[str], linked: Iterable[tuple[str, str]]) -> Groups:
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in linked:
        if a in parent and b in parent:
            parent[find(a)] = find(b)
    groups: dict[str, set[str]] = {}
    for n in parent:
        groups.setdefault(find(n), set()).add(n)
    return sorted((frozenset(g) for g in groups.values()), key=lambda g: min(g))


def _reach(dfg: Dfg) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a in dfg.activities:
        seen: set[str] = set()
        stack = list(dfg.successors[a])
        while stack:
            x = stack.pop()
            if x not in seen:
                seen.add(x)
                stack.extend(dfg.successors[x])
        out[a] = seen
    return out


def xor_cut(dfg: Dfg) -> Groups | None:
    groups = _components(dfg.activities, dfg.edges)
    return groups if len(groups) > 1 else None


def sequence_cut(dfg: Dfg) -> Groups | None:
    reach = _reach(dfg)
    groups = _components(dfg.activities, ((a, b) for a in dfg.activities for b in reach[a] if a in reach[b]))

    def reaches(g: frozenset[str], h: frozenset[str]) -> bool:
        return any(reach[a] & h for a in g)

    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                if not reaches(groups[i], groups[j]) and not reaches(groups[j], groups[i]):
                    groups[i] = groups[i] | groups[j]
                    del groups[j]
                    merged = True
                    break
            if merged:
                break
    if len(groups) < 2:
        return None
    later = {g: sum(reaches(g, h) for h in groups if h is not g) for g in groups}
    groups.sort(key=lambda g: (-later[g], min(g)))
    for i, g in enumerate(groups):
        if any(reaches(h, g) for h in groups[i + 1:]):
            return None
    return groups


def parallel_cut(dfg: Dfg) -> Groups | None:
    acts = sorted(dfg.activities)
    apart = [(a, b) for i, a in enumerate(acts) for b in acts[i + 1:]
             if (a, b) not in dfg.edges or (b, a) not in dfg.edges]
    groups = _components(acts, apart)
    valid = [g for g in groups if g & dfg.starts.keys() and g & dfg.ends.keys()]
    if len(valid) < 2:
        return None
    rest = [g for g in groups if g not in valid]
    if rest:
        valid[0] = valid[0].union(*rest)
    return valid


def loop_cut(dfg: Dfg) -> Groups | None:
    starts, ends = set(dfg.starts), set(dfg.ends)
    do = starts | ends
    if not do:
        return None
    redo = _components(dfg.activities - do, dfg.edges)
    changed = True
    while changed:
        changed = False
        for c in list(redo):
            into = {a for (a, b) in dfg.edges if b in c and a not in c}
            out_of = {b for (a, b) in dfg.edges if a in c and b not in c}
            entered = [b for b in c if any((e, b) in dfg.edges for e in ends)]
            leaving = [a for a in c if any((a, s) in dfg.edges for s in starts)]
            bad = (
                not into <= ends
                or not out_of <= starts
                or any(not all((e, b) in dfg.edges for e in ends) for b in entered)
                or any(not all((a, s) in dfg.edges for s in starts) for a in leaving)
            )
            if bad:
                redo.remove(c)
                do |= c
                changed = True
    if not redo:
        return None
    return [frozenset(do), *redo]


CUTS = (
    (Operator.XOR, xor_cut),
    (Operator.SEQUENCE, sequence_cut),
    (Operator.PARALLEL, parallel_cut),
    (Operator.LOOP, loop_cut),
)


# -- the two kinds of (sub)log the recursion works on ---------------------------------------


class _Sublog(Protocol):
    def dfg(self) -> Dfg: ...
    def empty_traces(self) -> bool: ...
    def empty_share(self) -> float: ...
    def without_empty(self) -> _Sublog: ...
    def single(self) -> str | None: ...
    def repeats(self) -> bool: ...
    def split(self, operator: Operator, groups: Groups, dfg: Dfg) -> list[_Sublog]: ...
    def once_per_trace(self) -> str | None: ...
    def without(self, activity: str) -> _Sublog: ...
    def tau_loop(self, dfg: Dfg, *, strict: bool) -> _Sublog | None: ...


@dataclass(frozen=True)
class _GraphLog:
    """IMd: only the directly-follows graph, and whether the part may be skipped."""

    graph: Dfg
    skip: bool = False

    def dfg(self) -> Dfg:
        return self.graph

    def empty_traces(self) -> bool:
        return self.skip

    def empty_share(self) -> float:
        return 1.0  # no counts: a skippable part stays skippable

    def without_empty(self) -> _GraphLog:
        return _GraphLog(self.graph)

    def single(self) -> str | None:
        return next(iter(self.graph.activities)) if len(self.graph.activities) == 1 else None

    def repeats(self) -> bool:
        a = next(iter(self.graph.activities))
        return (a, a) in self.graph.edges

    def split(self, operator: Operator, groups: Groups, dfg: Dfg) -> list[_Sublog]:
        if operator is Operator.SEQUENCE:
            return self.split_sequence(groups, dfg)
        if operator is Operator.LOOP:
            do, *redo = groups
            parts: list[_Sublog] = [_GraphLog(dfg.restrict(do, _within(dfg.starts, do), _within(dfg.ends, do)))]
            for c in redo:
                entered = {b: n for (a, b), n in dfg.edges.items() if b in c and a not in c}
                left = {a: n for (a, b), n in dfg.edges.items() if a in c and b not in c}
                parts.append(_GraphLog(dfg.restrict(c, entered, left)))
            return parts
        return [_GraphLog(dfg.restrict(g, _within(dfg.starts, g), _within(dfg.ends, g))) for g in groups]

    def once_per_trace(self) -> str | None:
        return None  # the graph cannot tell

    def without(self, activity: str) -> _GraphLog:
        return self

    def tau_loop(self, dfg: Dfg, *, strict: bool) -> _GraphLog | None:
        """The graph without its edges from end to start activities (a case may restart)."""
        back = {(a, b) for (a, b) in dfg.edges if a in dfg.ends and b in dfg.starts}
        if not strict or not back:
            return None
        edges = {k: n for k, n in dfg.edges.items() if k not in back}
        return _GraphLog(Dfg(dfg.activities, edges, dfg.starts, dfg.ends))

    @staticmethod
    def split_sequence(groups: Groups, dfg: Dfg) -> list[_Sublog]:
        index = {a: i for i, g in enumerate(groups) for a in g}
        skip = [False] * len(groups)
        starts: list[Counter[str]] = [Counter() for _ in groups]
        ends: list[Counter[str]] = [Counter() for _ in groups]
        for a, n in dfg.starts.items():
            starts[index[a]][a] += n
            for j in range(index[a]):
                skip[j] = True
        for a, n in dfg.ends.items():
            ends[index[a]][a] += n
            for j in range(index[a] + 1, len(groups)):
                skip[j] = True
        for (a, b), n in dfg.edges.items():
            i, j = index[a], index[b]
            if i < j:
                ends[i][a] += n
                starts[j][b] += n
                for k in range(i + 1, j):
                    skip[k] = True
        return [_GraphLog(dfg.restrict(g, starts[i], ends[i]), skip[i]) for i, g in enumerate(groups)]


def _within(counts: Mapping[str, int], part: frozenset[str]) -> dict[str, int]:
    return {a: n for a, n in counts.items() if a in part}


@dataclass(frozen=True)
class _TraceLog:
    """IM: the distinct traces of the (sub)log with their counts."""

    traces: Mapping[tuple[str, ...], int]

    def dfg(self) -> Dfg:
        edges: Counter[tuple[str, str]] = Counter()
        starts: Counter[str] = Counter()
        ends: Counter[str] = Counter()
        acts: set[str] = set()
        for trace, n in self.traces.items():
            if not trace:
                continue
            acts.update(trace)
            starts[trace[0]] += n
            ends[trace[-1]] += n
            for a, b in pairwise(trace):
                edges[(a, b)] += n
        return Dfg(frozenset(acts), dict(edges), dict(starts), dict(ends))

    def empty_traces(self) -> bool:
        return () in self.traces

    def empty_share(self) -> float:
        return self.traces.get((), 0) / sum(self.traces.values())

    def without_empty(self) -> _TraceLog:
        return _TraceLog({t: n for t, n in self.traces.items() if t})

    def single(self) -> str | None:
        acts = {a for t in self.traces for a in t}
        return next(iter(acts)) if len(acts) == 1 else None

    def repeats(self) -> bool:
        return any(len(t) > 1 for t in self.traces)

    def split(self, operator: Operator, groups: Groups, dfg: Dfg) -> list[_Sublog]:
        index = {a: i for i, g in enumerate(groups) for a in g}
        parts: list[Counter[tuple[str, ...]]] = [Counter() for _ in groups]
        for trace, n in self.traces.items():
            if operator is Operator.XOR:
                # every event of a fitting trace is in one part; with noise, keep the main part
                main = Counter(index[a] for a in trace).most_common(1)[0][0]
                parts[main][tuple(a for a in trace if index[a] == main)] += n
            elif operator is Operator.LOOP:
                for run in _runs(trace, index):
                    parts[index[run[0]]][run] += n
            else:  # sequence and parallel: each part sees its own events
                for i in range(len(groups)):
                    parts[i][tuple(a for a in trace if index[a] == i)] += n
        return [_TraceLog(dict(p)) for p in parts]

    def once_per_trace(self) -> str | None:
        """An activity that occurs exactly once in every trace (it runs in parallel with the rest)."""
        candidates: set[str] | None = None
        for trace in self.traces:
            once = {a for a, n in Counter(trace).items() if n == 1}
            candidates = once if candidates is None else candidates & once
        return min(candidates) if candidates else None

    def without(self, activity: str) -> _TraceLog:
        out: Counter[tuple[str, ...]] = Counter()
        for trace, n in self.traces.items():
            out[tuple(a for a in trace if a != activity)] += n
        return _TraceLog(dict(out))

    def tau_loop(self, dfg: Dfg, *, strict: bool) -> _TraceLog | None:
        """Traces cut where a start activity follows (an end activity, if ``strict``), or None."""
        out: Counter[tuple[str, ...]] = Counter()
        cut = False
        for trace, n in self.traces.items():
            piece: list[str] = []
            for i, a in enumerate(trace):
                if piece and a in dfg.starts and (not strict or trace[i - 1] in dfg.ends):
                    out[tuple(piece)] += n
                    piece = []
                    cut = True
                piece.append(a)
            out[tuple(piece)] += n
        return _TraceLog(dict(out)) if cut else None


def _runs(trace: tuple[str, ...], index: Mapping[str, int]) -> list[tuple[str, ...]]:
    """Maximal stretches of a trace inside one part."""
    runs: list[list[str]] = []
    for a in trace:
        if runs and index[runs[-1][-1]] == index[a]:
            runs[-1].append(a)
        else:
            runs.append([a])
    return [tuple(r) for r in runs]


# -- the recursion --------------------------------------------------------------------------


def _mine(log: _Sublog, noise: float) -> ProcessTree:
    if log.empty_traces():
        rest = log.without_empty()
        inner = _mine(rest, noise) if rest.dfg().activities else TAU
        if inner.is_tau or log.empty_share() > noise:
            return TAU if inner.is_tau else node(Operator.XOR, TAU, inner)
        return inner  # IMf: too few empty traces to make the part optional
    dfg = log.dfg()
    if not dfg.activities:
        return TAU
    single = log.single()
    if single is not None:
        return node(Operator.LOOP, leaf(single), TAU) if log.repeats() else leaf(single)
    for graph in (dfg, dfg.filtered(noise)) if noise > 0 else (dfg,):
        for operator, cut in CUTS:
            groups = cut(graph)
            if groups is not None:
                children = [_mine(part, noise) for part in log.split(operator, groups, graph)]
                if operator is Operator.LOOP:
                    do, *redo = children
                    back = redo[0] if len(redo) == 1 else node(Operator.XOR, *redo)
                    if isinstance(log, _GraphLog) and any((e, s) in dfg.edges for e in dfg.ends for s in dfg.starts):
                        back = node(Operator.XOR, TAU, back)
                    return ProcessTree(Operator.LOOP, (do, back))
                return node(operator, *children)
    return _fall_through(log, dfg, noise)


def _fall_through(log: _Sublog, dfg: Dfg, noise: float) -> ProcessTree:
    """No cut fits: an activity in parallel with the rest, a loop back to the start, or a flower."""
    once = log.once_per_trace()
    if once is not None:
        return node(Operator.PARALLEL, leaf(once), _mine(log.without(once), noise))
    for strict in (True, False):
        pieces = log.tau_loop(dfg, strict=strict)
        if pieces is not None:
            return ProcessTree(Operator.LOOP, (_mine(pieces, noise), TAU))
    flower = node(Operator.XOR, *(leaf(a) for a in sorted(dfg.activities)))
    return ProcessTree(Operator.LOOP, (flower, TAU))


def discover_tree(table: EventTable, noise: float = 0.0, *, variant: Variant = "imd") -> ProcessTree:
    """A process tree for ``table`` by the inductive miner (see the module docstring)."""
    if not 0.0 <= noise <= 1.0:
        raise DiscoveryError(f"noise must be between 0 and 1, not {noise}", hint="e.g. noise=0.2 (IMf's default)")
    if table.n_events == 0:
        raise DiscoveryError(f"{table.source or 'the log'} has no events", hint="discover from a non-empty log")
    if variant == "imd":
        return _mine(_GraphLog(directly_follows(table)), noise)
    if variant == "im":
        variants, counts, _ = trace_variants(table)
        return _mine(_TraceLog(dict(zip(variants, counts, strict=True))), noise)
    raise DiscoveryError(f"unknown variant {variant!r}", hint='use "imd" or "im"')


def discover_bpmn(table: EventTable, noise: float = 0.0, *, process_id: str = "discovered",
                  name: str = "Discovered process", variant: Variant = "imd") -> str:
    """BPMN 2.0 XML (with a diagram) of the tree ``discover_tree`` finds; our reader accepts it."""
    tree = discover_tree(table, noise, variant=variant)
    return write_bpmn([tree_to_definition(tree, key=process_id, name=name)]).decode("utf-8")


__all__ = [
    "CUTS",
    "Dfg",
    "DiscoveryError",
    "ProcessTree",
    "directly_follows",
    "discover_bpmn",
    "discover_tree",
    "loop_cut",
    "parallel_cut",
    "sequence_cut",
    "xor_cut",
]
