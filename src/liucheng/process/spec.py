"""The frozen specification of a process: what the BPMN file says, nothing about running cases.

One flat ``Element`` type with a ``kind`` and the few optional fields each kind uses keeps the
engine's dispatch a plain ``match`` instead of an inheritance tree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property


class ElementKind(StrEnum):
    START_EVENT = "startEvent"
    END_EVENT = "endEvent"
    USER_TASK = "userTask"
    MANUAL_TASK = "manualTask"
    SERVICE_TASK = "serviceTask"
    EXCLUSIVE_GATEWAY = "exclusiveGateway"
    PARALLEL_GATEWAY = "parallelGateway"
    INCLUSIVE_GATEWAY = "inclusiveGateway"
    EVENT_BASED_GATEWAY = "eventBasedGateway"
    TIMER_CATCH = "intermediateTimerCatchEvent"
    MESSAGE_CATCH = "intermediateMessageCatchEvent"
    ESCALATION_THROW = "intermediateEscalationThrowEvent"
    NONE_THROW = "intermediateThrowEvent"
    BOUNDARY_TIMER = "boundaryTimerEvent"
    BOUNDARY_ESCALATION = "boundaryEscalationEvent"
    BOUNDARY_MESSAGE = "boundaryMessageEvent"
    CALL_ACTIVITY = "callActivity"


#: Kinds that create a task someone (a person, a webhook, a sub-case) must finish.
ACTIVITY_KINDS = frozenset(
    {ElementKind.USER_TASK, ElementKind.MANUAL_TASK, ElementKind.SERVICE_TASK, ElementKind.CALL_ACTIVITY}
)
HUMAN_TASK_KINDS = frozenset({ElementKind.USER_TASK, ElementKind.MANUAL_TASK})
GATEWAY_KINDS = frozenset(
    {
        ElementKind.EXCLUSIVE_GATEWAY,
        ElementKind.PARALLEL_GATEWAY,
        ElementKind.INCLUSIVE_GATEWAY,
        ElementKind.EVENT_BASED_GATEWAY,
    }
)
BOUNDARY_KINDS = frozenset(
    {ElementKind.BOUNDARY_TIMER, ElementKind.BOUNDARY_ESCALATION, ElementKind.BOUNDARY_MESSAGE}
)


class TimerKind(StrEnum):
    DURATION = "duration"  # timeDuration: PT4H
    DATE = "date"  # timeDate: an ISO instant with offset
    CYCLE = "cycle"  # timeCycle: R3/PT1H (repeats; for non-interrupting boundaries)


@dataclass(frozen=True, slots=True)
class TimerSpec:
    kind: TimerKind
    expression: str
    #: Seconds for DURATION and for each CYCLE repetition; None for DATE.
    duration_s: int | None = None
    #: Repetitions for CYCLE (None = unbounded); 1 for the others.
    repeat: int | None = 1
    #: Count the duration on the business calendar instead of wall-clock time.
    business_time: bool = False


@dataclass(frozen=True, slots=True)
class WebhookSpec:
    url: str
    method: str = "POST"
    #: Seconds before the call is abandoned and retried.
    timeout_s: int = 10
    retries: int = 3


@dataclass(frozen=True, slots=True)
class FormField:
    id: str
    label: str
    type: str = "string"  # string | long | boolean | enum | date
    required: bool = False
    values: tuple[str, ...] = ()  # allowed values for enum


@dataclass(frozen=True, slots=True)
class Element:
    id: str
    kind: ElementKind
    name: str = ""
    incoming: tuple[str, ...] = ()
    outgoing: tuple[str, ...] = ()
    #: Name of the lane holding the element: a role or department.
    lane: str | None = None
    #: Flow taken when no condition holds (exclusive/inclusive gateways, activities).
    default_flow: str | None = None
    timer: TimerSpec | None = None
    #: Message name for message catch events and boundaries.
    message: str | None = None
    #: Escalation code thrown (end/throw events) or caught (boundaries; None catches any).
    escalation_code: str | None = None
    terminate: bool = False
    attached_to: str | None = None
    cancel_activity: bool = True
    #: Process key a call activity starts.
    called_process: str | None = None
    webhook: WebhookSpec | None = None
    form: tuple[FormField, ...] = ()
    candidate_groups: tuple[str, ...] = ()
    #: A fixed assignee (user id), if the model names one.
    assignee: str | None = None
    skills: tuple[str, ...] = ()
    #: Per-step service level (internal SLA / OLA), business seconds.
    step_sla_s: int | None = None
    #: While a token waits here the case waits on the customer and SLA clocks pause.
    waits_on_customer: bool = False
    documentation: str = ""
    #: Line in the source file, for error messages.
    line: int | None = None

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass(frozen=True, slots=True)
class SequenceFlow:
    id: str
    source: str
    target: str
    name: str = ""
    #: A CEL expression over the case data; None means unconditional.
    condition: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Lane:
    id: str
    name: str
    element_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProcessDefinition:
    """One version of one process. ``version`` is 0 until the store deploys it."""

    key: str
    name: str
    elements: Mapping[str, Element]
    flows: Mapping[str, SequenceFlow]
    lanes: Mapping[str, Lane] = field(default_factory=dict)
    version: int = 0
    owner: str | None = None
    documentation: str = ""
    #: Element id a reopened case returns to; None = the last completed human task.
    reopen_target: str | None = None
    #: Hash of the normalised source, to tell a changed model from a redeploy of the same one.
    source_hash: str = ""

    @cached_property
    def start_events(self) -> tuple[Element, ...]:
        return tuple(
            e for e in self.elements.values() if e.kind is ElementKind.START_EVENT and not e.incoming
        )

    @cached_property
    def boundaries(self) -> Mapping[str, tuple[Element, ...]]:
        """Boundary events by the id of the activity they are attached to."""
        out: dict[str, list[Element]] = {}
        for element in self.elements.values():
            if element.attached_to is not None:
                out.setdefault(element.attached_to, []).append(element)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def reachable(self) -> Mapping[str, frozenset[str]]:
        """Elements reachable from each element along sequence flows (and through boundaries)."""
        successors: dict[str, set[str]] = {eid: set() for eid in self.elements}
        for flow in self.flows.values():
            successors[flow.source].add(flow.target)
        for activity, events in self.boundaries.items():
            successors[activity].update(e.id for e in events)
        result: dict[str, frozenset[str]] = {}
        for start in self.elements:
            seen: set[str] = set()
            stack = list(successors[start])
            while stack:
                node = stack.pop()
                if node not in seen:
                    seen.add(node)
                    stack.extend(successors[node])
            result[start] = frozenset(seen)
        return result

    def element(self, element_id: str) -> Element:
        return self.elements[element_id]

    def flow(self, flow_id: str) -> SequenceFlow:
        return self.flows[flow_id]

    @property
    def ref(self) -> str:
        return f"{self.key}:v{self.version}"
