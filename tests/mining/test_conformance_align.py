"""Alignments: optimal costs equal PM4Py's and a brute-force edit distance to every run of a tiny net."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tests.mining.test_petri as helpers
from liucheng.eventlog.table import read_xes_table
from liucheng.library import library_paths
from liucheng.mining.conformance_align import Aligner, AlignmentError, MoveKind, align
from liucheng.mining.petri import SINK, SOURCE, PetriNet, Transition, from_definition
from liucheng.process import read_bpmn
from tests.mining.test_conformance import TINY

RECEIPT = helpers.DATA / "receipt_wabo" / "receipt.xes.gz"


def test_costs_and_fitness_equal_pm4py_on_the_top_variants():
    import pm4py

    table = read_xes_table(str(RECEIPT))
    frame = helpers.pm4py_frame(table)
    pm, im, fm = pm4py.discover_petri_net_inductive(frame, noise_threshold=0.5)
    ours = align(table, helpers.from_pm4py(pm, im, fm), top=8)
    traces = frame.groupby("case:concept:name", sort=False)["concept:name"].apply(tuple)
    for a in ours:
        case = traces[traces == a.activities].index[0]
        [theirs] = pm4py.conformance_diagnostics_alignments(frame[frame["case:concept:name"] == case], pm, im, fm)
        silent = sum(m.kind is MoveKind.SILENT for m in a.moves)
        assert 10_000 * a.cost + silent == theirs["cost"]  # PM4Py: 10000 per deviation, 1 per silent move
        assert a.fitness == pytest.approx(theirs["fitness"], abs=1e-9)
    assert [a.cases for a in ours] == sorted((a.cases for a in ours), reverse=True)


def _runs(net: PetriNet, limit: int = 8) -> set[tuple[str, ...]]:
    """Every complete run's labels (the tiny net is acyclic)."""
    out: set[tuple[str, ...]] = set()
    stack = [(tuple(sorted(net.initial.items())), ())]
    while stack:
        marking, labels = stack.pop()
        m = dict(marking)
        if m == dict(net.final):
            out.add(labels)
        for t in net.transitions:
            if all(m.get(p, 0) > 0 for p in t.inputs) and len(labels) < limit:
                m2 = dict(m)
                for p in t.inputs:
                    m2[p] -= 1
                for p in t.outputs:
                    m2[p] = m2.get(p, 0) + 1
                nxt = tuple(sorted((p, k) for p, k in m2.items() if k))
                stack.append((nxt, labels + ((t.label,) if t.label else ())))
    return out


def _indel_distance(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    @cache
    def lcs(i: int, j: int) -> int:
        if i == len(a) or j == len(b):
            return 0
        return lcs(i + 1, j + 1) + 1 if a[i] == b[j] else max(lcs(i + 1, j), lcs(i, j + 1))

    return len(a) + len(b) - 2 * lcs(0, 0)


TINY_RUNS = _runs(TINY)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from("abcjdex"), max_size=8))
def test_optimal_cost_is_the_smallest_edit_distance_to_a_run(trace):
    result = Aligner(TINY).align(tuple(trace))
    assert result.cost == min(_indel_distance(tuple(trace), run) for run in TINY_RUNS)
    synced = [m.activity for m in result.moves if m.kind in (MoveKind.SYNC, MoveKind.LOG)]
    assert synced == trace  # the alignment walks the whole trace in order
    assert result.cost == len(result.deviations)


def test_a_run_of_a_library_model_aligns_without_deviation():
    definition = read_bpmn(next(p for p in library_paths() if p.stem == "feedback"))[0]
    run = next(r for r in helpers.random_runs(from_definition(definition), 20, seed=5) if len(r) > 3)
    [result] = align(helpers.table_of([run]), definition)
    assert result.cost == 0 and result.fitness == 1.0


def test_conformance_module_offers_the_same_alignments():
    from liucheng.mining import conformance

    table = helpers.table_of([list("abcjd"), list("abjd"), list("abjd")])
    assert conformance.align(table, TINY, top=1) == align(table, TINY, top=1)
    assert [a.cases for a in align(table, TINY)] == [2, 1]


def test_unreachable_final_marking_is_reported():
    net = PetriNet((SOURCE, "p", SINK), (Transition("t", "a", (SOURCE,), ("p",)),))
    with pytest.raises(AlignmentError, match="final marking cannot be reached"):
        Aligner(net)
