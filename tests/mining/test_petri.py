"""BPMN → workflow net: the nets behave like the processes they come from.

Also holds the converters between our nets and PM4Py's that the conformance and discovery
tests use to compare with PM4Py.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from liucheng.eventlog.table import EventTable, from_arrow
from liucheng.library import library_paths
from liucheng.mining.petri import SINK, SOURCE, PetriNet, PetriNetError, Transition, from_definition
from liucheng.process import ElementKind, read_bpmn
from liucheng.process.spec import ACTIVITY_KINDS, Element, ProcessDefinition, SequenceFlow

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: The shared logs, ``../shared/data`` beside the repository (a checkout under /work/wt/* finds /work's).
DATA = next(
    (p for p in (Path(__file__).resolve().parents[3] / "shared" / "data", Path("/work/shared/data")) if p.exists()),
    Path("../shared/data"),
)


# -- helpers shared with the other mining tests ---------------------------------------------


def to_pm4py(net: PetriNet):
    """Our net as PM4Py's (net, initial marking, final marking), same place and transition names."""
    from pm4py.objects.petri_net.obj import Marking
    from pm4py.objects.petri_net.obj import PetriNet as PmNet
    from pm4py.objects.petri_net.utils import petri_utils

    pm = PmNet("net")
    places = {p: PmNet.Place(p) for p in net.places}
    for p in places.values():
        pm.places.add(p)
    for t in net.transitions:
        pt = PmNet.Transition(t.name, t.label)
        pm.transitions.add(pt)
        for p in t.inputs:
            petri_utils.add_arc_from_to(places[p], pt, pm)
        for p in t.outputs:
            petri_utils.add_arc_from_to(pt, places[p], pm)
    return pm, Marking({places[p]: n for p, n in net.initial.items()}), Marking(
        {places[p]: n for p, n in net.final.items()}
    )


def from_pm4py(net, im, fm) -> PetriNet:
    """PM4Py's net as ours."""
    transitions = tuple(
        Transition(t.name, t.label, tuple(a.source.name for a in t.in_arcs), tuple(a.target.name for a in t.out_arcs))
        for t in sorted(net.transitions, key=lambda t: t.name)
    )
    return PetriNet(
        tuple(sorted(p.name for p in net.places)),
        transitions,
        {p.name: n for p, n in im.items()},
        {p.name: n for p, n in fm.items()},
    )


def pm4py_frame(table: EventTable):
    """The table as the pandas frame PM4Py reads, in our event order."""
    df = table.table.select(["case_id", "activity", "timestamp", "event_index"]).to_pandas()
    df["activity"] = df["activity"].astype(str)
    df = df.sort_values(["case_id", "timestamp", "event_index"], kind="stable")
    return df.rename(columns={"case_id": "case:concept:name", "activity": "concept:name",
                              "timestamp": "time:timestamp"})


def table_of(traces: list[list[str]]) -> EventTable:
    """An event table with one case per trace, events a minute apart."""
    rows = [(f"c{i:04d}", a, T0 + timedelta(minutes=j)) for i, tr in enumerate(traces) for j, a in enumerate(tr)]
    return from_arrow(pa.table({
        "case:concept:name": [r[0] for r in rows],
        "concept:name": [r[1] for r in rows],
        "time:timestamp": pa.array([r[2] for r in rows], pa.timestamp("us", tz="UTC")),
    }))


def random_runs(net: PetriNet, n: int, seed: int, max_steps: int = 60) -> list[list[str]]:
    """Labels of random complete runs of the token game (stopped at a dead or final marking)."""
    rng = random.Random(seed)
    runs = []
    for _ in range(n):
        marking = dict(net.initial)
        labels: list[str] = []
        for _ in range(max_steps):
            enabled = [t for t in net.transitions if all(marking.get(p, 0) > 0 for p in t.inputs)]
            if not enabled or marking == dict(net.final):
                break
            t = rng.choice(enabled)
            for p in t.inputs:
                marking[p] -= 1
            for p in t.outputs:
                marking[p] = marking.get(p, 0) + 1
            marking = {p: k for p, k in marking.items() if k}
            if t.label is not None:
                labels.append(t.label)
        runs.append(labels)
    return runs


def _definition(elements: list[Element], flows: list[tuple[str, str, str]]) -> ProcessDefinition:
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for fid, s, t in flows:
        outgoing.setdefault(s, []).append(fid)
        incoming.setdefault(t, []).append(fid)
    els = {
        e.id: Element(e.id, e.kind, e.name, tuple(incoming.get(e.id, ())), tuple(outgoing.get(e.id, ())),
                      attached_to=e.attached_to, cancel_activity=e.cancel_activity)
        for e in elements
    }
    return ProcessDefinition("p", "p", els, {f: SequenceFlow(f, s, t) for f, s, t in flows})


def _play(net: PetriNet, labels: list[str]) -> bool:
    """True when ``labels`` is a complete run (silent steps searched exhaustively, small nets only)."""
    start = tuple(sorted(net.initial.items()))
    frontier = {(start, 0)}
    seen = set(frontier)
    while frontier:
        nxt = set()
        for marking, i in frontier:
            m = dict(marking)
            if i == len(labels) and m == dict(net.final):
                return True
            for t in net.transitions:
                if not all(m.get(p, 0) > 0 for p in t.inputs):
                    continue
                if t.label is not None and (i == len(labels) or t.label != labels[i]):
                    continue
                m2 = dict(m)
                for p in t.inputs:
                    m2[p] -= 1
                for p in t.outputs:
                    m2[p] = m2.get(p, 0) + 1
                state = (tuple(sorted((p, k) for p, k in m2.items() if k)), i + (t.label is not None))
                if state not in seen and sum(k for _, k in state[0]) < 8:
                    seen.add(state)
                    nxt.add(state)
        frontier = nxt
    return False


# -- tests ----------------------------------------------------------------------------------


def E(ident: str, kind: ElementKind, name: str = "", **kw) -> Element:
    return Element(ident, kind, name, **kw)


def test_gateways_give_the_runs_bpmn_allows():
    d = _definition(
        [E("s", ElementKind.START_EVENT), E("a", ElementKind.USER_TASK, "A"),
         E("x1", ElementKind.EXCLUSIVE_GATEWAY), E("b", ElementKind.USER_TASK, "B"),
         E("c", ElementKind.USER_TASK, "C"), E("x2", ElementKind.EXCLUSIVE_GATEWAY),
         E("p1", ElementKind.PARALLEL_GATEWAY), E("d", ElementKind.USER_TASK, "D"),
         E("f", ElementKind.USER_TASK, "F"), E("p2", ElementKind.PARALLEL_GATEWAY),
         E("o1", ElementKind.INCLUSIVE_GATEWAY), E("g", ElementKind.SERVICE_TASK, "G"),
         E("h", ElementKind.USER_TASK), E("o2", ElementKind.INCLUSIVE_GATEWAY),
         E("t", ElementKind.TIMER_CATCH), E("e", ElementKind.END_EVENT)],
        [("f1", "s", "a"), ("f2", "a", "x1"), ("f3", "x1", "b"), ("f4", "x1", "c"), ("f5", "b", "x2"),
         ("f6", "c", "x2"), ("f7", "x2", "p1"), ("f8", "p1", "d"), ("f9", "p1", "f"), ("f10", "d", "p2"),
         ("f11", "f", "p2"), ("f12", "p2", "o1"), ("f13", "o1", "g"), ("f14", "o1", "h"), ("f15", "g", "o2"),
         ("f16", "h", "o2"), ("f17", "o2", "t"), ("f18", "t", "e"), ("f19", "x2", "a")],
    )
    net = from_definition(d)
    assert net.labels == {"A", "B", "C", "D", "F", "G", "h"}
    assert _play(net, ["A", "B", "D", "F", "G"])
    assert _play(net, ["A", "C", "A", "B", "F", "D", "h", "G"])  # loop back through x2 -> a
    assert _play(net, ["A", "C", "F", "D", "G", "h"])
    assert not _play(net, ["A", "B", "D", "G"])  # F missing
    assert not _play(net, ["A", "B", "C", "D", "F", "G"])  # both sides of a choice
    assert not _play(net, ["A", "B", "D", "F"])  # the inclusive split needs one branch


def test_boundary_events_leave_or_keep_the_activity():
    d = _definition(
        [E("s", ElementKind.START_EVENT), E("a", ElementKind.USER_TASK, "A"), E("e", ElementKind.END_EVENT),
         E("b", ElementKind.BOUNDARY_TIMER, attached_to="a"), E("x", ElementKind.USER_TASK, "X"),
         E("e2", ElementKind.END_EVENT)],
        [("f1", "s", "a"), ("f2", "a", "e"), ("f3", "b", "x"), ("f4", "x", "e2")],
    )
    net = from_definition(d)
    assert _play(net, ["A"]) and _play(net, ["X"]) and not _play(net, ["X", "A"])


@pytest.mark.parametrize("path", library_paths(), ids=lambda p: p.stem)
def test_library_processes_translate_with_every_task_labelled(path):
    for definition in read_bpmn(path):
        net = from_definition(definition)
        tasks = {e.label for e in definition.elements.values() if e.kind in ACTIVITY_KINDS}
        assert net.labels == tasks
        assert net.initial == {SOURCE: 1} and net.final == {SINK: 1}
        runs = random_runs(net, 30, seed=1)
        assert any(runs), "some run performs a task"


def test_wide_inclusive_gateway_is_refused_with_its_id():
    branches = [E(f"t{i}", ElementKind.USER_TASK, f"T{i}") for i in range(6)]
    d = _definition(
        [E("s", ElementKind.START_EVENT), E("or", ElementKind.INCLUSIVE_GATEWAY), *branches,
         E("e", ElementKind.END_EVENT)],
        [("f0", "s", "or"), *((f"a{i}", "or", f"t{i}") for i in range(6)),
         *((f"b{i}", f"t{i}", "e") for i in range(6))],
    )
    with pytest.raises(PetriNetError, match="or: inclusive gateway has 6 branches"):
        from_definition(d)


def test_a_net_with_an_arc_to_nowhere_is_refused():
    with pytest.raises(PetriNetError, match="t1: arc to unknown place"):
        PetriNet((SOURCE, SINK), (Transition("t1", "a", (SOURCE,), ("nowhere",)),))


def test_pm4py_round_trip_keeps_the_net():
    net = from_definition(read_bpmn(library_paths()[0])[0])
    assert from_pm4py(*to_pm4py(net)) == PetriNet(
        tuple(sorted(net.places)), tuple(sorted(net.transitions, key=lambda t: t.name)), net.initial, net.final
    )
