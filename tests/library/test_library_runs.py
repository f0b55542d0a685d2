"""Cases run through the library processes on a small token game of our own, not the engine.

The game reads the raw XML (lxml), fills each form with values its fields allow, evaluates
conditions with the ``cel`` library and follows BPMN token rules. It answers what a process
owner would ask: can any case get stuck, can a gateway meet data it cannot decide on, and is
every step reachable by some case?
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cel
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from liucheng.library import library_paths

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}
FILES = library_paths()
MAX_STEPS = 1000
Choose = Callable[[Sequence[Any]], Any]


@dataclass(frozen=True)
class FormField:
    id: str
    type: str
    required: bool
    values: tuple[str, ...]


@dataclass
class Node:
    id: str
    kind: str
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)
    default: str | None = None
    form: list[FormField] = field(default_factory=list)
    boundaries: list[str] = field(default_factory=list)
    attached_to: str | None = None
    cancel: bool = True
    terminate: bool = False


@dataclass
class Model:
    nodes: dict[str, Node]
    #: flow id -> (source, target, CEL condition or None)
    flows: dict[str, tuple[str, str, str | None]]

    def successors(self, node_id: str) -> list[str]:
        node = self.nodes[node_id]
        return [self.flows[f][1] for f in node.outgoing] + node.boundaries

    def can_reach(self, start: str, goal: str) -> bool:
        seen, stack = set(), [start]
        while stack:
            here = stack.pop()
            if here == goal:
                return True
            if here not in seen:
                seen.add(here)
                stack.extend(self.successors(here))
        return False


@functools.cache
def load(path: Path) -> Model:
    process = etree.parse(str(path)).find("bpmn:process", NS)
    nodes: dict[str, Node] = {}
    flows: dict[str, tuple[str, str, str | None]] = {}
    for el in process:
        kind = etree.QName(el).localname
        if kind == "sequenceFlow":
            condition = el.findtext("bpmn:conditionExpression", None, NS)
            flows[el.get("id")] = (el.get("sourceRef"), el.get("targetRef"), condition)
        elif kind not in ("documentation", "laneSet", "extensionElements"):
            form = [
                FormField(
                    f.get("id"),
                    f.get("type"),
                    f.find("camunda:validation/camunda:constraint[@name='required']", NS) is not None,
                    tuple(v.get("id") for v in f.iterfind("camunda:value", NS)),
                )
                for f in el.iterfind("bpmn:extensionElements/camunda:formData/camunda:formField", NS)
            ]
            nodes[el.get("id")] = Node(
                el.get("id"),
                kind,
                [i.text for i in el.iterfind("bpmn:incoming", NS)],
                [o.text for o in el.iterfind("bpmn:outgoing", NS)],
                el.get("default"),
                form,
                attached_to=el.get("attachedToRef"),
                cancel=el.get("cancelActivity", "true") == "true",
                terminate=el.find("bpmn:terminateEventDefinition", NS) is not None,
            )
    for node in nodes.values():
        if node.attached_to:
            nodes[node.attached_to].boundaries.append(node.id)
    return Model(nodes, flows)


def fill(form: Sequence[FormField], choose: Choose) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in form:
        if not f.required and not choose([True, False]):
            continue
        values[f.id] = {
            "boolean": lambda: choose([True, False]),
            "long": lambda: choose([1, 2, 3, 4, 5, 0, 120_00]),
            "enum": lambda f=f: choose(f.values),
            "date": lambda: "2026-03-02",
        }.get(f.type, lambda: choose(["", "已处理 done"]))()
    return values


def decide(model: Model, node: Node, data: dict[str, Any]) -> list[str]:
    """Flows a choice gateway takes; raises if a condition is not a yes/no answer."""
    chosen = []
    for flow_id in node.outgoing:
        condition = model.flows[flow_id][2]
        if condition is not None:
            result = cel.evaluate(condition, data)
            assert isinstance(result, bool), f"{flow_id}: {condition!r} gave {result!r}"
            if result:
                chosen.append(flow_id)
                if node.kind == "exclusiveGateway":
                    break
    return chosen or ([node.default] if node.default else [])


def run(model: Model, choose: Choose) -> set[str]:
    """Play one case to its end; return the nodes it visited. Fails if the case gets stuck."""
    (start,) = (n for n in model.nodes.values() if n.kind == "startEvent")
    tokens: list[tuple[str, str | None]] = [(start.id, None)]  # (node, flow it arrived by)
    data: dict[str, Any] = {}
    visited: set[str] = set()
    fired: set[str] = set()
    for _ in range(MAX_STEPS):
        if not tokens:
            return visited
        ready = [t for t in tokens if is_ready(model, t, tokens)]
        assert ready, f"case stuck with tokens at {sorted(n for n, _ in tokens)}"
        token = choose(ready)
        node = model.nodes[token[0]]
        visited.add(node.id)
        out = step(model, node, token, tokens, data, fired, choose)
        tokens.extend((model.flows[f][1], f) for f in out)
    raise AssertionError(f"no end after {MAX_STEPS} steps")


def is_ready(model: Model, token: tuple[str, str | None], tokens: list[tuple[str, str | None]]) -> bool:
    node = model.nodes[token[0]]
    if len(node.incoming) < 2 or node.kind == "exclusiveGateway":
        return True
    arrived = {flow for at, flow in tokens if at == node.id}
    if node.kind == "parallelGateway":
        return arrived >= set(node.incoming)
    # inclusive join: fire once no token elsewhere can still arrive here
    return not any(at != node.id and model.can_reach(at, node.id) for at, _ in tokens)


def step(model: Model, node: Node, token: tuple[str, str | None], tokens: list[tuple[str, str | None]],
         data: dict[str, Any], fired: set[str], choose: Choose) -> list[str]:
    if node.kind in ("parallelGateway", "inclusiveGateway") and len(node.incoming) > 1:
        for arrived in [t for t in tokens if t[0] == node.id]:
            tokens.remove(arrived)
    else:
        tokens.remove(token)
    if node.kind == "endEvent":
        if node.terminate:
            tokens.clear()
        return []
    if node.kind in ("exclusiveGateway", "inclusiveGateway") and len(node.outgoing) > 1:
        taken = decide(model, node, data)
        assert taken, f"{node.id}: no flow to take with {data}"
        return taken
    if node.kind == "eventBasedGateway":
        return [choose(node.outgoing)]  # the first event to happen wins
    boundary = [b for b in node.boundaries if b not in fired]
    if boundary and choose([False, True]):
        caught = model.nodes[choose(boundary)]
        fired.add(caught.id)
        if not caught.cancel:
            tokens.append(token)  # the activity goes on beside the boundary's path
        return caught.outgoing
    data.update(fill(node.form, choose))
    return node.outgoing


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_case_reaches_an_end_whatever_the_forms_say(path: Path, data: st.DataObject) -> None:
    model = load(path)
    visited = run(model, lambda options: data.draw(st.sampled_from(list(options))))
    assert any(model.nodes[n].kind == "endEvent" for n in visited)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_step_is_taken_by_some_case(path: Path) -> None:
    model = load(path)
    rng = random.Random(path.name)
    seen: set[str] = set()
    for _ in range(400):
        seen |= run(model, rng.choice)
    boundaries = {n for n, node in model.nodes.items() if node.attached_to}
    assert set(model.nodes) - boundaries - seen == set()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_gateway_variables_come_from_a_required_field_of_an_earlier_form(path: Path) -> None:
    model = load(path)
    for gateway in model.nodes.values():
        for flow_id in gateway.outgoing:
            condition = model.flows[flow_id][2]
            if condition is None:
                continue
            for variable in cel.compile(condition).variables():
                earlier = [
                    n for n in model.nodes.values()
                    if any(f.id == variable and f.required for f in n.form)
                    and model.can_reach(n.id, gateway.id)
                ]
                assert earlier, f"{gateway.id} reads {variable!r}, which no earlier form requires"
