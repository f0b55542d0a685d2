"""Optimal alignments of traces with a workflow net (A* over the synchronous product).

An alignment pairs the trace with one complete run of the model: a *synchronous* move performs
an activity in both, a *log move* an activity the model cannot do there, a *model move* a
transition the trace lacks. With the standard costs (log and model moves 1, synchronous and
silent moves 0) the optimal cost counts the deviations; among optimal alignments the one with
the fewest silent moves is returned, as PM4Py does (its costs are 10000 and 1 for the same end).
Fitness is ``1 - cost / (len(trace) + cost of the shortest complete run of the model)``.

The search keeps every visited marking, so it is meant for the most frequent variants
(``align(..., top=10)``), not for millions of distinct traces. Markings with more than
``max_tokens`` tokens in one place are not explored: that keeps the search finite on nets that
can pile up tokens (a non-interrupting boundary event re-arms itself) and loses nothing on safe
nets such as those the inductive miner produces.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from enum import StrEnum
from itertools import count
from typing import Final

from liucheng.core.errors import LiuchengError
from liucheng.eventlog.table import EventTable
from liucheng.mining.conformance import trace_variants
from liucheng.mining.petri import PetriNet, from_definition
from liucheng.process.spec import ProcessDefinition

#: Internal cost of a log or model move; a silent move costs 1 so that ties go to fewer of them.
_DEVIATION: Final = 10_000
MAX_STATES: Final = 500_000
MAX_TOKENS: Final = 3


class MoveKind(StrEnum):
    SYNC = "sync"
    LOG = "log"
    MODEL = "model"
    SILENT = "silent"


@dataclass(frozen=True, slots=True)
class Move:
    kind: MoveKind
    #: The trace's activity (None for model and silent moves).
    activity: str | None
    #: The transition's name (None for log moves).
    transition: str | None


@dataclass(frozen=True, slots=True)
class Alignment:
    activities: tuple[str, ...]
    cases: int
    #: Log plus model moves of an optimal alignment.
    cost: int
    moves: tuple[Move, ...]
    fitness: float

    @property
    def deviations(self) -> tuple[Move, ...]:
        return tuple(m for m in self.moves if m.kind in (MoveKind.LOG, MoveKind.MODEL))


class AlignmentError(LiuchengError):
    """The search gave up: the model's final marking is unreachable or the state space too big."""

    code = "alignment_failed"


class Aligner:
    """Aligns traces with one net; places and transitions are numbered for speed."""

    def __init__(self, net: PetriNet, *, max_states: int = MAX_STATES, max_tokens: int = MAX_TOKENS) -> None:
        self.net = net
        self.max_states = max_states
        self.max_tokens = max_tokens
        index = {p: i for i, p in enumerate(net.places)}
        self.size = len(net.places)
        self.inputs = [tuple(index[p] for p in t.inputs) for t in net.transitions]
        self.outputs = [tuple(index[p] for p in t.outputs) for t in net.transitions]
        self.start = self.marking(net.initial, index)
        self.goal = self.marking(net.final, index)
        self.shortest_run = self.search(())[0] // _DEVIATION

    def marking(self, counts: dict[str, int] | object, index: dict[str, int]) -> tuple[int, ...]:
        out = [0] * self.size
        for p, n in dict(counts).items():  # type: ignore[call-overload]
            out[index[p]] = n
        return tuple(out)

    def fire(self, t: int, m: tuple[int, ...]) -> tuple[int, ...] | None:
        out = list(m)
        for p in self.inputs[t]:
            out[p] -= 1
            if out[p] < 0:
                return None
        for p in self.outputs[t]:
            out[p] += 1
            if out[p] > self.max_tokens:
                return None
        return tuple(out)

    def align(self, trace: tuple[str, ...], cases: int = 1) -> Alignment:
        total, moves = self.search(trace)
        cost = total // _DEVIATION
        denominator = len(trace) + self.shortest_run
        fitness = 1 - cost / denominator if denominator else 1.0
        return Alignment(trace, cases, cost, moves, fitness)

    def search(self, trace: tuple[str, ...]) -> tuple[int, tuple[Move, ...]]:
        """Dijkstra/A* over (marking, position); the heuristic counts activities no transition performs."""
        labels = [t.label for t in self.net.transitions]
        known = set(labels)
        unknown_after = [0] * (len(trace) + 1)
        for i in range(len(trace) - 1, -1, -1):
            unknown_after[i] = unknown_after[i + 1] + (trace[i] not in known)
        start = (self.start, 0)
        best = {start: 0}
        parent: dict[tuple[tuple[int, ...], int], tuple[tuple[tuple[int, ...], int], Move]] = {}
        tie = count()
        queue = [(unknown_after[0] * _DEVIATION, next(tie), 0, start)]
        while queue:
            _, _, g, state = heapq.heappop(queue)
            if g > best.get(state, g):
                continue
            marking, i = state
            if i == len(trace) and marking == self.goal:
                return g, self.moves(parent, state)
            if len(best) > self.max_states:
                raise AlignmentError(f"more than {self.max_states} states explored aligning a trace of "
                                     f"{len(trace)} events", hint="align fewer or shorter variants")
            steps: list[tuple[tuple[tuple[int, ...], int], int, Move]] = []
            if i < len(trace):
                steps.append(((marking, i + 1), _DEVIATION, Move(MoveKind.LOG, trace[i], None)))
            for t, label in enumerate(labels):
                nxt = self.fire(t, marking)
                if nxt is None:
                    continue
                name = self.net.transitions[t].name
                if label is None:
                    steps.append(((nxt, i), 1, Move(MoveKind.SILENT, None, name)))
                    continue
                steps.append(((nxt, i), _DEVIATION, Move(MoveKind.MODEL, None, name)))
                if i < len(trace) and trace[i] == label:
                    steps.append(((nxt, i + 1), 0, Move(MoveKind.SYNC, label, name)))
            for nxt_state, cost, move in steps:
                g2 = g + cost
                if g2 < best.get(nxt_state, g2 + 1):
                    best[nxt_state] = g2
                    parent[nxt_state] = (state, move)
                    h = unknown_after[nxt_state[1]] * _DEVIATION
                    heapq.heappush(queue, (g2 + h, next(tie), g2, nxt_state))
        raise AlignmentError("the final marking cannot be reached from the initial one",
                             hint="check that the model is a sound workflow net")

    @staticmethod
    def moves(parent: dict, state: object) -> tuple[Move, ...]:  # type: ignore[type-arg]
        out: list[Move] = []
        while state in parent:
            state, move = parent[state]
            out.append(move)
        return tuple(reversed(out))


def align(table: EventTable, model: ProcessDefinition | PetriNet, top: int = 10) -> list[Alignment]:
    """Optimal alignments of the ``top`` most frequent variants of ``table`` with ``model``."""
    net = from_definition(model) if isinstance(model, ProcessDefinition) else model
    variants, counts, _ = trace_variants(table)
    aligner = Aligner(net)
    return [aligner.align(v, n) for v, n in zip(variants[:top], counts[:top], strict=True)]
