"""Process trees (what the inductive miner finds) and their translation into a BPMN process definition.

A tree is a leaf (an activity, or the silent step tau) or an operator over children:
``->`` sequence, ``X`` exclusive choice, ``+`` parallel, ``*`` loop (``*(do, redo)``: do, then
any number of times redo followed by do again). In BPMN a choice is a pair of exclusive
gateways, parallel a pair of parallel gateways, and a loop an exclusive join before the do part
and an exclusive split after it whose back edge runs through the redo part.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from itertools import count

from liucheng.process.spec import Element, ElementKind, ProcessDefinition, SequenceFlow


class Operator(StrEnum):
    SEQUENCE = "->"
    XOR = "X"
    PARALLEL = "+"
    LOOP = "*"


@dataclass(frozen=True, slots=True)
class ProcessTree:
    #: None for a leaf.
    operator: Operator | None = None
    children: tuple[ProcessTree, ...] = ()
    #: The activity of a leaf; None (with no operator) is tau, the silent step.
    label: str | None = None

    def __str__(self) -> str:
        if self.operator is None:
            return "tau" if self.label is None else repr(self.label)
        return f"{self.operator}( {', '.join(str(c) for c in self.children)} )"

    @property
    def is_tau(self) -> bool:
        return self.operator is None and self.label is None

    def activities(self) -> set[str]:
        """Labels of the leaves."""
        if self.operator is None:
            return set() if self.label is None else {self.label}
        return set().union(*(c.activities() for c in self.children))


TAU = ProcessTree()


def leaf(label: str) -> ProcessTree:
    return ProcessTree(label=label)


def node(operator: Operator, *children: ProcessTree) -> ProcessTree:
    """An operator node; nested nodes of the same associative operator are flattened."""
    flat: list[ProcessTree] = []
    for child in children:
        if operator is not Operator.LOOP and child.operator is operator:
            flat.extend(child.children)
        else:
            flat.append(child)
    return ProcessTree(operator, tuple(flat))


class _Builder:
    def __init__(self) -> None:
        self.elements: dict[str, dict[str, object]] = {}
        self.flows: dict[str, SequenceFlow] = {}
        self.ids = count(1)
        #: Flows that loop back; listed last at their gateway so an engine taking the first
        #: unconditional flow leaves the loop (choices carry no conditions until a modeler adds them).
        self.back_flows: set[str] = set()

    def element(self, kind: ElementKind, prefix: str, name: str = "") -> str:
        ident = f"{prefix}_{next(self.ids)}"
        self.elements[ident] = {"kind": kind, "name": name, "incoming": [], "outgoing": []}
        return ident

    def flow(self, source: str, target: str) -> None:
        ident = f"Flow_{next(self.ids)}"
        self.flows[ident] = SequenceFlow(ident, source, target)
        self.elements[source]["outgoing"].append(ident)  # type: ignore[union-attr]
        self.elements[target]["incoming"].append(ident)  # type: ignore[union-attr]

    def build(self, tree: ProcessTree, source: str) -> str:
        """Draw ``tree`` after element ``source``; return the element its last flow should leave."""
        if tree.operator is None:
            if tree.label is None:
                return source
            task = self.element(ElementKind.USER_TASK, "Activity", tree.label)
            self.flow(source, task)
            return task
        if tree.operator is Operator.SEQUENCE:
            for child in tree.children:
                source = self.build(child, source)
            return source
        if tree.operator is Operator.LOOP:
            join = self.gateway(ElementKind.EXCLUSIVE_GATEWAY, source)
            split = self.gateway(ElementKind.EXCLUSIVE_GATEWAY, self.build(tree.children[0], join))
            redo = tree.children[1] if len(tree.children) == 2 else node(Operator.XOR, *tree.children[1:])
            self.flow(self.build(redo, split), join)
            self.back_flows.add(self.elements[split]["outgoing"][0])  # type: ignore[index]
            return split
        kind = ElementKind.PARALLEL_GATEWAY if tree.operator is Operator.PARALLEL else ElementKind.EXCLUSIVE_GATEWAY
        split = self.gateway(kind, source)
        join = self.element(kind, "Gateway")
        children = [c for c in tree.children if not c.is_tau]
        if len(children) < len(tree.children):  # all silent branches are one direct flow
            children.append(TAU)
        for child in children:
            self.flow(self.build(child, split), join)
        return join

    def gateway(self, kind: ElementKind, source: str) -> str:
        gateway = self.element(kind, "Gateway")
        self.flow(source, gateway)
        return gateway


def tree_to_definition(tree: ProcessTree, *, key: str, name: str) -> ProcessDefinition:
    """The tree as a BPMN process: one start event, one end event, user tasks named by activity."""
    b = _Builder()
    start = b.element(ElementKind.START_EVENT, "StartEvent", "start")
    last = b.build(tree, start)
    end = b.element(ElementKind.END_EVENT, "EndEvent", "end")
    b.flow(last, end)
    elements = {
        ident: Element(
            ident,
            fields["kind"],  # type: ignore[arg-type]
            name=str(fields["name"]),
            incoming=tuple(fields["incoming"]),  # type: ignore[call-overload]
            outgoing=tuple(sorted(fields["outgoing"], key=lambda f: f in b.back_flows)),  # type: ignore[arg-type]
        )
        for ident, fields in b.elements.items()
    }
    flows = dict(sorted(b.flows.items(), key=lambda item: item[0] in b.back_flows))  # readers go by flow order
    return ProcessDefinition(key=key, name=name, elements=elements, flows=flows)
