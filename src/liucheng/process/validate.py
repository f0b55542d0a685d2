"""Checks a process definition before it is deployed; every problem names an element id and a fix.

``validate`` runs on any ``ProcessDefinition`` (read from BPMN or built in code). It never
stops at the first problem: a modeler fixes a file in one pass when shown all of them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from liucheng.core.errors import LiuchengError, ValidationError
from liucheng.process.expressions import ConditionSyntaxError, compile_condition
from liucheng.process.spec import (
    ACTIVITY_KINDS,
    BOUNDARY_KINDS,
    HUMAN_TASK_KINDS,
    ElementKind,
    ProcessDefinition,
)
from liucheng.process.timers import check_timer

_TIMER_KINDS = frozenset({ElementKind.TIMER_CATCH, ElementKind.BOUNDARY_TIMER})
_MESSAGE_KINDS = frozenset({ElementKind.MESSAGE_CATCH, ElementKind.BOUNDARY_MESSAGE})
_CHOICE_GATEWAYS = frozenset({ElementKind.EXCLUSIVE_GATEWAY, ElementKind.INCLUSIVE_GATEWAY})
_NO_CONDITION_SOURCES = frozenset({ElementKind.PARALLEL_GATEWAY, ElementKind.EVENT_BASED_GATEWAY})
_HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


class Severity(StrEnum):
    ERROR = "error"  # the model is not deployed
    WARNING = "warning"  # deployed, but cases may get stuck


@dataclass(frozen=True, slots=True)
class Problem:
    element_id: str | None
    message: str
    hint: str
    line: int | None = None
    severity: Severity = Severity.ERROR
    column: int | None = None

    def __str__(self) -> str:
        place = f"line {self.line}" + (f":{self.column}" if self.column else "") if self.line else ""
        where = ", ".join(p for p in (place, self.element_id or "") if p)
        label = "" if self.severity is Severity.ERROR else f"{self.severity}: "
        return f"{label}{where + ': ' if where else ''}{self.message} ({self.hint})"

    def to_dict(self) -> dict[str, object]:
        return {
            "element_id": self.element_id,
            "message": self.message,
            "hint": self.hint,
            "line": self.line,
            "column": self.column,
            "severity": str(self.severity),
        }


class ModelError(LiuchengError):
    """A BPMN file that cannot be deployed; ``problems`` lists everything wrong with it at once."""

    code = "invalid_model"

    def __init__(self, problems: Sequence[Problem], *, filename: str | None = None) -> None:
        self.problems = list(problems)
        self.filename = filename
        errors = sum(p.severity is Severity.ERROR for p in self.problems)
        head = f"{filename}: " if filename else ""
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(
            f"{head}{errors} problem(s) in the process model:\n{lines}",
            hint="fix each listed element in the modeler and deploy again",
        )

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data["problems"] = [p.to_dict() for p in self.problems]
        return data


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)


def validate(definition: ProcessDefinition, *, opaque: Collection[str] = ()) -> list[Problem]:
    """Every problem in ``definition``.

    ``opaque`` names nodes the file has but the definition lacks (unsupported elements already
    reported by the reader): flows may touch them and paths pass through them without more noise.
    """
    checker = _Checker(definition, frozenset(opaque))
    checker.run()
    return checker.problems


class _Checker:
    def __init__(self, definition: ProcessDefinition, opaque: frozenset[str]) -> None:
        self.d = definition
        self.opaque = opaque
        self.problems: list[Problem] = []

    def add(self, element_id: str | None, message: str, hint: str, *, warning: bool = False) -> None:
        line = None
        if element_id in self.d.elements:
            line = self.d.elements[element_id].line
        elif element_id in self.d.flows:
            line = self.d.flows[element_id].line
        severity = Severity.WARNING if warning else Severity.ERROR
        self.problems.append(Problem(element_id, message, hint, line, severity))

    def run(self) -> None:
        self.check_start()
        self.check_flows()
        self.check_elements()
        self.check_lanes_and_process()
        self.check_paths()

    def known(self, node_id: str) -> bool:
        return node_id in self.d.elements or node_id in self.opaque

    def check_start(self) -> None:
        starts = [e for e in self.d.elements.values() if e.kind is ElementKind.START_EVENT]
        if not starts:
            self.add(self.d.key, "process has no start event", "add a (none) start event where cases begin")

    def check_flows(self) -> None:
        for flow in self.d.flows.values():
            if flow.id in self.d.elements:
                self.add(
                    flow.id, "id is used by a flow and an element", "give every element and flow its own id"
                )
            for end, ref in (("source", flow.source), ("target", flow.target)):
                if not self.known(ref):
                    self.add(
                        flow.id,
                        f"sequence flow {end} {ref!r} is not an element of this process",
                        f"reconnect the flow's {end} to an existing element, or delete the flow",
                    )
            source = self.d.elements.get(flow.source)
            if flow.condition is None:
                continue
            if source is not None and source.kind in _NO_CONDITION_SOURCES:
                self.add(
                    flow.id,
                    f"condition on a flow leaving {source.kind} {source.id!r} is ignored",
                    "remove the condition, or use an exclusive/inclusive gateway to choose paths",
                )
            try:
                compile_condition(flow.condition, where=flow.id)
            except ConditionSyntaxError as exc:
                self.add(flow.id, exc.message.split(": ", 1)[-1], exc.hint or "")

    def check_elements(self) -> None:
        for e in self.d.elements.values():
            kind = e.kind
            if not e.outgoing and kind is not ElementKind.END_EVENT and e.id not in self.opaque:
                self.add(
                    e.id,
                    f"{kind} {e.label!r} has no outgoing flow",
                    "connect it onward or end with an end event",
                )
            if e.outgoing and kind is ElementKind.END_EVENT:
                self.add(
                    e.id, "end event has an outgoing flow", "remove the flow or use an intermediate event"
                )
            if e.incoming and kind is ElementKind.START_EVENT:
                self.add(
                    e.id, "start event has an incoming flow", "point the flow at a task or gateway instead"
                )
            if e.incoming and kind in BOUNDARY_KINDS:
                self.add(
                    e.id, "boundary event has an incoming flow", "boundary events are entered from their task"
                )
            if e.default_flow is not None and e.default_flow not in e.outgoing:
                self.add(
                    e.id,
                    f"default flow {e.default_flow!r} does not leave this element",
                    "pick one of its own outgoing flows as the default",
                )
            if kind in _CHOICE_GATEWAYS:
                self.check_choice(e.id)
            if kind is ElementKind.PARALLEL_GATEWAY and e.default_flow is not None:
                self.add(
                    e.id,
                    "parallel gateway has a default flow",
                    "a parallel gateway takes every flow: remove it",
                )
            if kind is ElementKind.EVENT_BASED_GATEWAY:
                self.check_event_gateway(e.id)
            if kind in _TIMER_KINDS:
                self.check_timer(e.id)
            if kind in _MESSAGE_KINDS and not (e.message or "").strip():
                self.add(
                    e.id,
                    "message event has no message name",
                    "set its message (messageRef to a bpmn:message with a name) that the API will deliver",
                )
            if kind is ElementKind.CALL_ACTIVITY and not (e.called_process or "").strip():
                self.add(
                    e.id,
                    "call activity has no called process",
                    "set calledElement (or zeebe:calledElement processId) to the key of a deployed process",
                )
            if kind is ElementKind.SERVICE_TASK:
                self.check_webhook(e.id)
            if kind in BOUNDARY_KINDS:
                self.check_boundary(e.id)

    def check_choice(self, gateway_id: str) -> None:
        e = self.d.elements[gateway_id]
        flows = [self.d.flows[f] for f in e.outgoing if f in self.d.flows]
        conditional = [f for f in flows if f.condition is not None]
        if conditional and e.default_flow is None:
            self.add(
                gateway_id,
                f"gateway without default: {len(conditional)} conditional flow(s) and no default",
                "mark one outgoing flow as the default flow, taken when no condition holds",
            )
        plain = [f.id for f in flows if f.condition is None and f.id != e.default_flow]
        if len(flows) > 1 and plain:
            self.add(
                gateway_id,
                f"outgoing flow(s) {', '.join(plain)} have no condition and are not the default",
                "give each flow a condition or make it the default",
                warning=True,
            )

    def check_event_gateway(self, gateway_id: str) -> None:
        for flow_id in self.d.elements[gateway_id].outgoing:
            flow = self.d.flows.get(flow_id)
            target = self.d.elements.get(flow.target) if flow else None
            if target is not None and target.kind not in (ElementKind.TIMER_CATCH, ElementKind.MESSAGE_CATCH):
                self.add(
                    gateway_id,
                    f"event-based gateway leads to {target.kind} {target.id!r}",
                    "follow an event-based gateway only with timer or message catch events",
                )

    def check_timer(self, element_id: str) -> None:
        timer = self.d.elements[element_id].timer
        if timer is None:
            self.add(
                element_id,
                "timer has no duration, date or cycle",
                "set timeDuration (PT4H), timeDate (2026-03-01T09:00:00+08:00) or timeCycle (R3/PT1H)",
            )
            return
        try:
            check_timer(timer, where=element_id)
        except ValidationError as exc:
            self.add(
                element_id,
                f"timer expression does not parse: {exc.message.split(': ', 1)[-1]}",
                exc.hint or "",
            )

    def check_webhook(self, element_id: str) -> None:
        hook = self.d.elements[element_id].webhook
        if hook is None or not hook.url.strip():
            self.add(
                element_id,
                "service task has no url",
                'add liucheng:url="https://..." (and optionally liucheng:method, retries, timeout)',
            )
            return
        if not hook.url.startswith(("http://", "https://")):
            self.add(
                element_id,
                f"service task url {hook.url!r} is not http(s)",
                "write a full http:// or https:// URL",
            )
        if hook.method.upper() not in _HTTP_METHODS:
            self.add(
                element_id,
                f"HTTP method {hook.method!r} is not supported",
                "use GET, POST, PUT, PATCH or DELETE",
            )
        if hook.retries < 0 or hook.timeout_s <= 0:
            self.add(
                element_id,
                "retries must be >= 0 and timeout positive",
                "e.g. liucheng:retries=3 timeout=PT10S",
            )

    def check_boundary(self, element_id: str) -> None:
        host_id = self.d.elements[element_id].attached_to
        if host_id is None:
            self.add(element_id, "boundary event is not attached to anything", "set attachedToRef to a task")
        elif host_id in self.opaque:
            return
        elif host_id not in self.d.elements:
            self.add(
                element_id,
                f"boundary event is attached to unknown element {host_id!r}",
                "attach it to a task of this process",
            )
        elif self.d.elements[host_id].kind not in ACTIVITY_KINDS:
            host = self.d.elements[host_id]
            self.add(
                element_id,
                f"boundary event is attached to {host.kind} {host_id!r}, not an activity",
                "attach boundary events to a user, manual or service task or a call activity",
            )

    def check_lanes_and_process(self) -> None:
        for lane in self.d.lanes.values():
            for ref in lane.element_ids:
                if not self.known(ref):
                    self.add(
                        lane.id,
                        f"lane {lane.name!r} lists unknown element {ref!r}",
                        "remove the flowNodeRef or restore the element",
                    )
        target = self.d.reopen_target
        if target is not None:
            element = self.d.elements.get(target)
            if element is None or element.kind not in HUMAN_TASK_KINDS:
                self.add(
                    self.d.key,
                    f"reopenTarget {target!r} is not a user or manual task of this process",
                    "set liucheng:reopenTarget to the id of a human task, or remove it",
                )

    def successors(self) -> dict[str, set[str]]:
        nodes = set(self.d.elements) | set(self.opaque)
        out: dict[str, set[str]] = {n: set() for n in nodes}
        for flow in self.d.flows.values():
            if flow.source in out and flow.target in out:
                out[flow.source].add(flow.target)
        for e in self.d.elements.values():
            if e.attached_to in out:
                out[e.attached_to].add(e.id)
        return out

    def check_paths(self) -> None:
        succ = self.successors()
        pred: dict[str, set[str]] = {n: set() for n in succ}
        for node, targets in succ.items():
            for target in targets:
                pred[target].add(node)
        starts = [e.id for e in self.d.elements.values() if e.kind is ElementKind.START_EVENT]
        ends = [e.id for e in self.d.elements.values() if e.kind is ElementKind.END_EVENT]
        reached = _closure(starts, succ)
        finishing = _closure(ends, pred)
        for e in self.d.elements.values():
            if starts and e.id not in reached:
                self.add(
                    e.id,
                    f"{e.kind} {e.label!r} cannot be reached from a start event",
                    "connect a flow into it from the process, or delete it",
                )
            elif e.id not in finishing and e.outgoing:
                self.add(
                    e.id,
                    f"{e.kind} {e.label!r} cannot reach an end event (cases would never finish)",
                    "add a path from it to an end event",
                    warning=True,
                )


def _closure(seeds: Iterable[str], edges: dict[str, set[str]]) -> set[str]:
    seen = set(seeds)
    stack = list(seen)
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen
