"""Workflow nets: the model that conformance checking replays a log on, and how a BPMN process becomes one.

A ``PetriNet`` holds places, transitions (labelled with an activity, or silent when ``label`` is
None), an initial and a final marking. Arcs have weight one; a transition lists its input and
output places. ``from_definition`` translates a ``ProcessDefinition`` (what our BPMN reader
produces) into a workflow net with one source and one sink place:

* every sequence flow is a place, except that an exclusive or event-based gateway is one place
  that its incoming flows feed and its outgoing flows take from (choosing a path is a place with
  several consumers, merging one with several producers); a flow from one such gateway straight
  into another is a silent transition between their places;
* a task, call activity or intermediate event is a transition from its incoming flow to all its
  outgoing flows (an activity with several incoming flows first merges them into an entry
  place with one silent transition per flow). Tasks and call activities are labelled with the
  element's name (its id if unnamed); intermediate events are silent;
* a parallel gateway is one silent transition from all incoming to all outgoing flows;
* an inclusive gateway fires on any non-empty subset: one silent transition per subset of its
  outgoing flows (a split) or of its incoming flows (a join), for at most ``MAX_INCLUSIVE_FANOUT``
  flows. The OR-join is thus local: it may fire before every branch the split started arrives,
  and the late token is counted as remaining by replay;
* a start event is a silent transition from the source place; an end event a silent transition
  into the sink place (final marking: one token there). Parallel branches that end at separate
  end events therefore leave extra tokens in the sink;
* an interrupting boundary event is a silent transition that takes the token waiting for its
  activity into the boundary's outgoing flow; a non-interrupting one puts that token back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations
from typing import Final

from liucheng.core.errors import LiuchengError
from liucheng.process.spec import ACTIVITY_KINDS, BOUNDARY_KINDS, Element, ElementKind, ProcessDefinition

SOURCE: Final = "source"
SINK: Final = "sink"
#: Inclusive gateways with more flows than this on their branching side are refused (2**n - 1 transitions).
MAX_INCLUSIVE_FANOUT: Final = 5

_CHOICE_KINDS = frozenset({ElementKind.EXCLUSIVE_GATEWAY, ElementKind.EVENT_BASED_GATEWAY})


class PetriNetError(LiuchengError):
    """A model that cannot be turned into (or is not) a workflow net; names the element at fault."""

    code = "invalid_petri_net"

    def __init__(self, message: str, *, element_id: str | None = None, hint: str | None = None) -> None:
        self.element_id = element_id
        super().__init__(f"{element_id}: {message}" if element_id else message, hint=hint)


@dataclass(frozen=True, slots=True)
class Transition:
    """A transition by unique name; it takes one token from each input and puts one in each output."""

    name: str
    #: The activity this transition stands for; None for a silent (invisible) transition.
    label: str | None
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class PetriNet:
    """A labelled Petri net with arc weights one; checked on construction (names, arcs, markings)."""

    places: tuple[str, ...]
    transitions: tuple[Transition, ...]
    initial: Mapping[str, int] = field(default_factory=lambda: {SOURCE: 1})
    final: Mapping[str, int] = field(default_factory=lambda: {SINK: 1})

    def __post_init__(self) -> None:
        known = set(self.places)
        names: set[str] = set()
        for t in self.transitions:
            if t.name in names:
                raise PetriNetError("two transitions share this name", element_id=t.name,
                                    hint="give every transition its own name")
            names.add(t.name)
            stray = [p for p in (*t.inputs, *t.outputs) if p not in known]
            if stray:
                raise PetriNetError(f"arc to unknown place(s) {', '.join(stray)}", element_id=t.name,
                                    hint="list every place of the net in places")
        for marking in (self.initial, self.final):
            stray = [p for p in marking if p not in known]
            if stray:
                raise PetriNetError(f"marking names unknown place(s) {', '.join(stray)}",
                                    hint="mark only places of the net")

    @cached_property
    def labels(self) -> frozenset[str]:
        """The activities the net can perform."""
        return frozenset(t.label for t in self.transitions if t.label is not None)


def from_definition(definition: ProcessDefinition) -> PetriNet:
    """The workflow net of ``definition`` (see the module docstring for the translation)."""
    return _Translator(definition).run()


class _Translator:
    def __init__(self, d: ProcessDefinition) -> None:
        self.d = d
        self.choices = {e.id for e in d.elements.values() if e.kind in _CHOICE_KINDS}
        self.transitions: list[Transition] = []
        self.extra_places: list[str] = []

    def place(self, flow_id: str) -> str:
        """A flow's place: its own, or the place of the choice gateway at either end."""
        flow = self.d.flows[flow_id]
        if flow.source in self.choices:
            return f"g_{flow.source}"
        if flow.target in self.choices:
            return f"g_{flow.target}"
        return f"p_{flow_id}"

    def add(self, name: str, label: str | None, inputs: Iterable[str], outputs: Iterable[str]) -> None:
        self.transitions.append(Transition(name, label, tuple(inputs), tuple(outputs)))

    def run(self) -> PetriNet:
        d = self.d
        if not d.start_events:
            raise PetriNetError("process has no start event", element_id=d.key,
                                hint="add a start event where cases begin")
        entries = {e.id: self.entry(e) for e in d.elements.values() if e.kind in ACTIVITY_KINDS}
        for e in d.elements.values():
            self.element(e, entries)
        places = [SOURCE, SINK, *sorted({self.place(f) for f in d.flows}), *self.extra_places]
        return PetriNet(tuple(dict.fromkeys(places)), tuple(self.transitions))

    def entry(self, e: Element) -> str:
        """The one place an activity consumes from: its flow, or a merge place for several flows."""
        if len(e.incoming) == 1:
            return self.place(e.incoming[0])
        if not e.incoming:
            raise PetriNetError(f"{e.kind} has no incoming flow", element_id=e.id,
                                hint="connect a flow into it or delete it")
        place = f"in_{e.id}"
        self.extra_places.append(place)
        for i, flow_id in enumerate(e.incoming):
            self.add(f"{e.id}_merge_{i}", None, [self.place(flow_id)], [place])
        return place

    def element(self, e: Element, entries: Mapping[str, str]) -> None:
        outs = [self.place(f) for f in e.outgoing]
        ins = [self.place(f) for f in e.incoming]
        kind = e.kind
        if kind is ElementKind.START_EVENT:
            self.add(e.id, None, [SOURCE], outs)
        elif kind is ElementKind.END_EVENT:
            for i, place in enumerate(ins):
                self.add(e.id if len(ins) == 1 else f"{e.id}_{i}", None, [place], [SINK])
        elif kind in ACTIVITY_KINDS:
            self.add(e.id, e.label, [entries[e.id]], outs)
        elif kind in _CHOICE_KINDS:  # a place; a flow straight into another choice is a silent step
            for flow_id in e.outgoing:
                target = self.d.flows[flow_id].target
                if target in self.choices:
                    self.add(flow_id, None, [f"g_{e.id}"], [f"g_{target}"])
        elif kind is ElementKind.PARALLEL_GATEWAY:
            self.add(e.id, None, ins, outs)
        elif kind is ElementKind.INCLUSIVE_GATEWAY:
            self.inclusive(e, ins, outs)
        elif kind in BOUNDARY_KINDS:
            host = entries.get(e.attached_to or "")
            if host is None:
                raise PetriNetError("boundary event is not attached to an activity", element_id=e.id,
                                    hint="attach it to a task or call activity")
            self.add(e.id, None, [host], [*outs, *(() if e.cancel_activity else (host,))])
        else:  # intermediate catch and throw events: silent steps
            for i, place in enumerate(ins or [SOURCE]):
                self.add(e.id if len(ins) <= 1 else f"{e.id}_{i}", None, [place], outs)

    def inclusive(self, e: Element, ins: list[str], outs: list[str]) -> None:
        if len(ins) > 1 and len(outs) > 1:
            raise PetriNetError("inclusive gateway both joins and splits", element_id=e.id,
                                hint="split it into a joining and a splitting gateway")
        branching, fixed = (outs, ins) if len(outs) > 1 else (ins, outs)
        if len(branching) > MAX_INCLUSIVE_FANOUT:
            raise PetriNetError(f"inclusive gateway has {len(branching)} branches (at most "
                                f"{MAX_INCLUSIVE_FANOUT} are translated)", element_id=e.id,
                                hint="use exclusive and parallel gateways for wide choices")
        subsets = [c for size in range(1, len(branching) + 1) for c in combinations(branching, size)]
        for i, subset in enumerate(subsets):
            name = e.id if len(subsets) == 1 else f"{e.id}_{i}"
            if branching is outs:
                self.add(name, None, fixed, subset)
            else:
                self.add(name, None, subset, fixed)
