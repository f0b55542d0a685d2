"""Inductive miner: every case of every shared log fits the discovered BPMN, which reads, validates and deploys."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from itertools import permutations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tests.mining.test_petri as helpers
from liucheng.eventlog.table import read_xes_table
from liucheng.mining._tree import Operator, ProcessTree
from liucheng.mining.conformance import token_replay, trace_variants
from liucheng.mining.discovery import (
    DiscoveryError,
    _mine,
    _TraceLog,
    directly_follows,
    discover_bpmn,
    discover_tree,
    sequence_cut,
    xor_cut,
)
from liucheng.mining.petri import from_definition
from liucheng.process import read_bpmn
from liucheng.process.validate import Severity, validate

DATA = helpers.DATA
SMALL = {
    "helpdesk": DATA / "helpdesk" / "helpdesk.xes.gz",
    "receipt": DATA / "receipt_wabo" / "receipt.xes.gz",
    "bpic2013_closed": DATA / "bpic2013_closed_problems" / "bpic2013_closed_problems.xes.gz",
}
LARGE = {
    "bpic2013_incidents": DATA / "bpic2013_incidents" / "bpic2013_incidents.xes.gz",
    "bpic2012": DATA / "bpic2012" / "bpic2012.xes.gz",
    "road_traffic_fines": DATA / "road_traffic_fines" / "road_traffic_fines.xes.gz",
}


@pytest.fixture(scope="module")
def tables():
    return {name: read_xes_table(str(path)) for name, path in SMALL.items()}


#: IMd's log fitness on the shared logs (measured; the directly-follows graph cannot promise 1.0).
IMD_FLOOR = 0.999


def check_discovered(table, variant: str) -> None:
    xml = discover_bpmn(table, variant=variant, process_id="found", name="Found")
    [definition] = read_bpmn(xml)  # raises ModelError on any error
    assert not [p for p in validate(definition) if p.severity is Severity.ERROR]
    variants, _, _ = trace_variants(table)
    labels = {e.name for e in definition.elements.values() if e.kind == "userTask"}
    assert labels == {a for v in variants for a in v}
    result = token_replay(table, definition)
    if variant == "im":  # the inductive miner on the traces guarantees perfect fitness
        assert result.log_fitness == 1.0 and result.fit_case_share == 1.0
    else:
        assert result.log_fitness >= IMD_FLOOR


@pytest.mark.parametrize("variant", ["imd", "im"])
@pytest.mark.parametrize("log", sorted(SMALL))
def test_discovered_bpmn_fits_every_case(tables, log, variant):
    check_discovered(tables[log], variant)


@pytest.mark.slow
@pytest.mark.parametrize("log", sorted(LARGE))
def test_discovered_bpmn_fits_every_case_of_the_larger_logs(log):
    table = read_xes_table(str(LARGE[log]))
    for variant in ("imd", "im"):
        check_discovered(table, variant)


def test_pm4py_replays_our_discovered_model_without_deviation_and_finds_the_same_activities(tables):
    import pm4py

    table = tables["helpdesk"]
    net = from_definition(read_bpmn(discover_bpmn(table, variant="im"))[0])
    pm, im, fm = helpers.to_pm4py(net)
    frame = helpers.pm4py_frame(table)
    assert pm4py.fitness_token_based_replay(frame, pm, im, fm)["log_fitness"] == 1.0
    theirs = pm4py.discover_process_tree_inductive(frame, noise_threshold=0.0)
    assert {leaf.label for leaf in theirs._get_leaves() if leaf.label} == discover_tree(table).activities()


def test_only_the_variant_miner_sees_an_optional_branch_of_a_parallel_block():
    table = helpers.table_of([list("abcd"), list("acbd"), list("abd")])
    assert str(discover_tree(table, variant="imd")) == "->( 'a', +( 'b', 'c' ), 'd' )"  # abd does not fit
    assert str(discover_tree(table, variant="im")) == "->( 'a', +( 'b', X( tau, 'c' ) ), 'd' )"
    imd = token_replay(table, read_bpmn(discover_bpmn(table, variant="imd"))[0])
    assert imd.deviating_cases() == ["c0002"]


def test_noise_filtering_drops_a_rare_order_instead_of_a_flower():
    table = helpers.table_of([list("abcde")] * 90 + [list("aedb")] * 5)
    assert str(discover_tree(table)) == "->( 'a', *( X( 'b', 'c', 'd', 'e' ), tau ) )"
    assert str(discover_tree(table, noise=0.2)) == "->( 'a', 'b', 'c', *( ->( 'd', 'e' ), tau ) )"
    fitness = token_replay(table, read_bpmn(discover_bpmn(table, noise=0.2))[0]).log_fitness
    assert 0.9 < fitness < 1.0


def test_noise_filtering_keeps_a_step_that_few_cases_skip_mandatory():
    table = helpers.table_of([list("abc")] * 95 + [list("ac")] * 5)
    assert str(discover_tree(table, variant="im")) == "->( 'a', X( tau, 'b' ), 'c' )"
    assert str(discover_tree(table, noise=0.1, variant="im")) == "->( 'a', 'b', 'c' )"


def test_bad_arguments_are_refused(tables):
    with pytest.raises(DiscoveryError, match="noise must be between 0 and 1"):
        discover_tree(tables["helpdesk"], noise=1.5)
    with pytest.raises(DiscoveryError, match="unknown variant"):
        discover_tree(tables["helpdesk"], variant="alpha")  # type: ignore[arg-type]
    empty = helpers.table_of([])
    with pytest.raises(DiscoveryError, match="has no events"):
        discover_tree(empty)


def test_cuts_on_small_graphs():
    dfg = directly_follows(helpers.table_of([list("abd"), list("acd"), list("ef")]))
    assert xor_cut(dfg) == [frozenset("abcd"), frozenset("ef")]
    seq = directly_follows(helpers.table_of([list("abcd"), list("acbd")]))
    assert sequence_cut(seq) == [frozenset("a"), frozenset("bc"), frozenset("d")]
    skips = helpers.table_of([list("abd"), list("acd"), list("acbd")])
    assert sequence_cut(directly_follows(skips)) == [frozenset(x) for x in "acbd"]
    for variant in ("imd", "im"):
        assert str(discover_tree(skips, variant=variant)) == "->( 'a', X( tau, 'c' ), X( tau, 'b' ), 'd' )"


# -- brute force: the language of the tree contains every trace of the log ------------------


def language(tree: ProcessTree, limit: int) -> set[tuple[str, ...]]:
    """All traces of ``tree`` up to ``limit`` events (loops unrolled as far as that allows)."""
    if tree.operator is None:
        return {()} if tree.label is None else {(tree.label,)}
    kids = [language(c, limit) for c in tree.children]
    if tree.operator is Operator.XOR:
        return set().union(*kids)
    if tree.operator is Operator.SEQUENCE:
        out = {()}
        for k in kids:
            out = {a + b for a in out for b in k if len(a) + len(b) <= limit}
        return out
    if tree.operator is Operator.PARALLEL:
        out = {()}
        for k in kids:
            out = {s for a in out for b in k if len(a) + len(b) <= limit for s in _shuffles(a, b)}
        return out
    do, redo = kids[0], set().union(*kids[1:])
    out = set(do)
    frontier = set(do)
    while frontier:
        frontier = {a + r + d for a in frontier for r in redo for d in do if len(a) + len(r) + len(d) <= limit} - out
        out |= frontier
    return out


def _shuffles(a: tuple[str, ...], b: tuple[str, ...]) -> set[tuple[str, ...]]:
    if not a or not b:
        return {a + b}
    return {(a[0], *s) for s in _shuffles(a[1:], b)} | {(b[0], *s) for s in _shuffles(a, b[1:])}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from("abcd"), min_size=1, max_size=5), min_size=1, max_size=6))
def test_inductive_miner_on_variants_accepts_every_trace(traces):
    tree = _mine(_TraceLog(Counter(tuple(t) for t in traces)), 0.0)  # what discover_tree(variant="im") runs
    accepted = language(tree, max(len(t) for t in traces))
    assert all(tuple(t) in accepted for t in traces), str(tree)


def test_the_language_check_itself_rejects_what_a_tree_forbids():
    seq = ProcessTree(Operator.SEQUENCE, (ProcessTree(label="a"), ProcessTree(label="b")))
    assert language(seq, 3) == {("a", "b")}
    par = ProcessTree(Operator.PARALLEL, seq.children)
    assert language(par, 3) == set(permutations("ab"))


# -- the engine takes it --------------------------------------------------------------------


def test_the_engine_deploys_and_runs_a_discovered_process(tables, tmp_path):
    from liucheng.core.clock import FrozenClock
    from liucheng.services import CaseService, Platform, deploy
    from liucheng.store import open_store

    table = tables["bpic2013_closed"]
    xml = discover_bpmn(table, process_id="closed_problems", name="Closed problems")
    store = open_store(f"sqlite:///{tmp_path / 'liucheng.db'}")
    try:
        platform = Platform(store, clock=FrozenClock(datetime(2026, 1, 5, 9, tzinfo=UTC)))
        [deployment] = deploy(platform, xml)
        assert deployment.key == "closed_problems" and deployment.version == 1
        service = CaseService(platform)
        state, _ = service.open_case(process_key="closed_problems")
        done: list[str] = []
        for _ in range(50):  # choices have no conditions: the engine takes the first flow, leaving loops
            tasks = state.active_tasks()
            if not tasks:
                break
            done.append(tasks[0].name)
            state, _ = service.complete(tasks[0].id, by="alice")
        assert not state.active_tasks() and done, done
        assert set(done) <= discover_tree(table).activities()
    finally:
        store.close()


# -- tree → BPMN → workflow net keeps the language ------------------------------------------

_shapes = st.recursive(
    st.sampled_from(["leaf", "leaf", "tau"]),
    lambda inner: st.tuples(st.sampled_from(list(Operator)), st.lists(inner, min_size=2, max_size=3)),
    max_leaves=5,
)


def _label(shape, names) -> ProcessTree:
    if shape == "tau":
        return ProcessTree()
    if shape == "leaf":
        return ProcessTree(label=next(names))
    operator, children = shape
    kids = tuple(_label(c, names) for c in children)
    return ProcessTree(operator, kids[:2] if operator is Operator.LOOP else kids)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_shapes, st.lists(st.lists(st.sampled_from("abcde"), max_size=4), max_size=6))
def test_a_tree_drawn_as_bpmn_accepts_exactly_the_trees_traces(shape, probes):
    from liucheng.mining._tree import tree_to_definition

    tree = _label(shape, iter("abcde"))
    definition = tree_to_definition(tree, key="t", name="t")
    assert not [p for p in validate(definition) if p.severity is Severity.ERROR]
    net = from_definition(definition)
    allowed = language(tree, 4)
    for trace in sorted(allowed)[:12]:
        assert helpers._play(net, list(trace)), (str(tree), trace)
    for probe in probes:
        assert helpers._play(net, probe) == (tuple(probe) in allowed), (str(tree), probe)
