"""Turns one ``<bpmn:process>`` element into a ``ProcessDefinition``, collecting problems.

The reader is lenient on purpose: an unsupported start or end event still becomes a start or
end, and other unsupported nodes are kept as *opaque* ids, so one fault is reported once
instead of cascading into "unreachable" and "unknown element" noise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree

from liucheng.core.durations import parse_duration_s
from liucheng.core.errors import ValidationError
from liucheng.process._unsupported import START_HINTS, UNSUPPORTED_EVENTS, UNSUPPORTED_NODES
from liucheng.process._xmlns import BPMN, CAMUNDA, LIUCHENG, ZEEBE, local_name, namespace_of, q
from liucheng.process.expressions import strip_wrappers
from liucheng.process.spec import (
    Element,
    ElementKind,
    FormField,
    Lane,
    ProcessDefinition,
    SequenceFlow,
    TimerKind,
    TimerSpec,
    WebhookSpec,
)
from liucheng.process.timers import parse_timer
from liucheng.process.validate import Problem

#: Children of <process> that carry no behaviour (annotations, data, diagram groups).
IGNORED = frozenset(
    {
        "sequenceFlow",
        "laneSet",
        "documentation",
        "extensionElements",
        "textAnnotation",
        "association",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "group",
        "ioSpecification",
        "property",
        "category",
    }
)
_SUPPORTED = frozenset(
    {
        "startEvent",
        "endEvent",
        "userTask",
        "manualTask",
        "serviceTask",
        "task",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "callActivity",
    }
)
_GATEWAYS = {
    "exclusiveGateway": ElementKind.EXCLUSIVE_GATEWAY,
    "parallelGateway": ElementKind.PARALLEL_GATEWAY,
    "inclusiveGateway": ElementKind.INCLUSIVE_GATEWAY,
    "eventBasedGateway": ElementKind.EVENT_BASED_GATEWAY,
}
_TASKS = {
    "userTask": ElementKind.USER_TASK,
    "manualTask": ElementKind.MANUAL_TASK,
    "task": ElementKind.MANUAL_TASK,
    "serviceTask": ElementKind.SERVICE_TASK,
    "callActivity": ElementKind.CALL_ACTIVITY,
}
_TIMER_TAGS = {"timeDuration": TimerKind.DURATION, "timeDate": TimerKind.DATE, "timeCycle": TimerKind.CYCLE}


@dataclass
class DocumentRefs:
    """Things defined once per file and referenced from processes."""

    messages: Mapping[str, str | None] = field(default_factory=dict)
    escalations: Mapping[str, str | None] = field(default_factory=dict)


@dataclass
class ProcessResult:
    definition: ProcessDefinition
    problems: list[Problem]
    opaque: set[str]


def documentation(el: etree._Element) -> str:
    parts = [(d.text or "").strip() for d in el.findall(q(BPMN, "documentation"))]
    return "\n".join(p for p in parts if p)


def split_list(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


class ProcessReader:
    def __init__(self, el: etree._Element, refs: DocumentRefs, *, name_fallback: str | None) -> None:
        self.el = el
        self.refs = refs
        self.name_fallback = name_fallback
        self.problems: list[Problem] = []
        self.opaque: set[str] = set()

    def problem(self, el: etree._Element, message: str, hint: str) -> None:
        self.problems.append(Problem(el.get("id"), message, hint, el.sourceline))

    def read(self, *, source_hash: str) -> ProcessResult:
        key = self.el.get("id", "")
        fields: dict[str, dict[str, object]] = {}
        flows: dict[str, SequenceFlow] = {}
        for child in self.el:
            tag = local_name(child.tag)
            if namespace_of(child.tag) != BPMN or tag in IGNORED:
                continue
            if tag in _SUPPORTED:
                data = self.element_fields(child, tag)
                if data is not None:
                    fields[child.get("id", "")] = data
            else:
                hint = UNSUPPORTED_NODES.get(tag, "remove it or replace it with a supported element")
                self.unsupported(child, tag, hint)
        for child in self.el.iterfind(q(BPMN, "sequenceFlow")):
            flow = self.flow(child)
            flows[flow.id] = flow
        lanes, lane_of = self.lanes()
        incoming: dict[str, list[str]] = {}
        outgoing: dict[str, list[str]] = {}
        for flow in flows.values():
            outgoing.setdefault(flow.source, []).append(flow.id)
            incoming.setdefault(flow.target, []).append(flow.id)
        elements = {
            eid: Element(
                **data,  # type: ignore[arg-type]
                incoming=tuple(incoming.get(eid, ())),
                outgoing=tuple(outgoing.get(eid, ())),
                lane=lane_of.get(eid),
            )
            for eid, data in fields.items()
        }
        definition = ProcessDefinition(
            key=key,
            name=self.el.get("name") or self.name_fallback or key,
            elements=elements,
            flows=flows,
            lanes=lanes,
            owner=self.el.get(q(LIUCHENG, "owner")),
            documentation=documentation(self.el),
            reopen_target=self.el.get(q(LIUCHENG, "reopenTarget")),
            source_hash=source_hash,
        )
        return ProcessResult(definition, self.problems, self.opaque)

    def unsupported(self, el: etree._Element, what: str, hint: str) -> None:
        self.opaque.add(el.get("id", ""))
        self.problem(el, f"{what} is not supported", hint)

    def flow(self, el: etree._Element) -> SequenceFlow:
        cond_el = el.find(q(BPMN, "conditionExpression"))
        condition = strip_wrappers(cond_el.text or "") if cond_el is not None else ""
        return SequenceFlow(
            id=el.get("id", ""),
            source=el.get("sourceRef", ""),
            target=el.get("targetRef", ""),
            name=el.get("name", ""),
            condition=condition or None,
            line=el.sourceline,
        )

    def lanes(self) -> tuple[dict[str, Lane], dict[str, str]]:
        lanes: dict[str, Lane] = {}
        lane_of: dict[str, str] = {}
        # iter() walks parents before children, so the innermost (most specific) lane wins.
        for el in self.el.iter(q(BPMN, "lane")):
            lane_id = el.get("id", "")
            name = el.get("name") or lane_id
            refs = tuple((r.text or "").strip() for r in el.findall(q(BPMN, "flowNodeRef")))
            lanes[lane_id] = Lane(lane_id, name, refs)
            for ref in refs:
                lane_of[ref] = name
        return lanes, lane_of

    def element_fields(self, el: etree._Element, tag: str) -> dict[str, object] | None:
        data: dict[str, object] = {
            "id": el.get("id", ""),
            "name": el.get("name", ""),
            "documentation": documentation(el),
            "line": el.sourceline,
        }
        if el.get("default"):
            data["default_flow"] = el.get("default")
        if tag in _GATEWAYS:
            data["kind"] = _GATEWAYS[tag]
            return data
        if tag in _TASKS:
            data["kind"] = _TASKS[tag]
            self.activity(el, data)
            return data
        return self.event(el, tag, data)

    def event(self, el: etree._Element, tag: str, data: dict[str, object]) -> dict[str, object] | None:
        defs = [
            c for c in el if local_name(c.tag).endswith("EventDefinition") and namespace_of(c.tag) == BPMN
        ]
        kinds = [local_name(c.tag).removesuffix("EventDefinition") for c in defs]
        if len(defs) > 1:
            self.unsupported(
                el, f"{tag} with several event definitions", "use one event definition per event"
            )
            return None if tag not in ("startEvent", "endEvent") else {**data, "kind": _lenient(tag)}
        kind = kinds[0] if kinds else "none"
        definition = defs[0] if defs else None
        if tag == "startEvent":
            if kind != "none":
                hint = START_HINTS.get(kind) or UNSUPPORTED_EVENTS.get(kind, "use a none start event")
                self.problem(el, f"{kind} start event is not supported", hint)
            return {**data, "kind": ElementKind.START_EVENT}
        if tag == "endEvent":
            data["kind"] = ElementKind.END_EVENT
            if kind == "terminate":
                data["terminate"] = True
            elif kind == "escalation" and definition is not None:
                data["escalation_code"] = self.escalation(definition)
            elif kind != "none":
                hint = UNSUPPORTED_EVENTS.get(kind, "use a none, terminate or escalation end event")
                self.problem(el, f"{kind} end event is not supported", hint)
            return data
        if tag == "boundaryEvent":
            data["attached_to"] = el.get("attachedToRef")
            data["cancel_activity"] = self.flag(el, "cancelActivity", default=True, namespace=None)
            mapping = {
                "timer": ElementKind.BOUNDARY_TIMER,
                "escalation": ElementKind.BOUNDARY_ESCALATION,
                "message": ElementKind.BOUNDARY_MESSAGE,
            }
        elif tag == "intermediateCatchEvent":
            mapping = {"timer": ElementKind.TIMER_CATCH, "message": ElementKind.MESSAGE_CATCH}
        else:
            mapping = {"none": ElementKind.NONE_THROW, "escalation": ElementKind.ESCALATION_THROW}
        if kind not in mapping:
            hint = UNSUPPORTED_EVENTS.get(kind, f"use a {' or '.join(k for k in mapping)} {tag}")
            self.unsupported(el, f"{kind} {tag}", hint)
            return None
        data["kind"] = mapping[kind]
        if kind == "timer" and definition is not None:
            data["timer"] = self.timer(el, definition)
        elif kind == "message" and definition is not None:
            data["message"] = self.refs.messages.get(definition.get("messageRef", ""))
            data["waits_on_customer"] = self.flag(el, "waitsOnCustomer", default=False)
        elif kind == "escalation" and definition is not None:
            data["escalation_code"] = self.escalation(definition)
        return data

    def escalation(self, definition: etree._Element) -> str | None:
        ref = definition.get("escalationRef")
        if ref and ref not in self.refs.escalations:
            self.problem(
                definition.getparent(),
                f"escalationRef {ref!r} names no bpmn:escalation",
                "pick an escalation defined in this file",
            )
        return self.refs.escalations.get(ref or "")

    def timer(self, event: etree._Element, definition: etree._Element) -> TimerSpec | None:
        business = self.flag(event, "businessTime", default=False) or self.flag(
            definition, "businessTime", default=False
        )
        for child in definition:
            kind = _TIMER_TAGS.get(local_name(child.tag))
            text = (child.text or "").strip()
            if kind is None or not text:
                continue
            try:
                return parse_timer(kind, text, business_time=business, where=event.get("id", ""))
            except ValidationError:
                # Kept as written; validate() re-parses it and reports the fault with its hint.
                return TimerSpec(kind, text, None, None, business)
        return None

    def flag(self, el: etree._Element, name: str, *, default: bool, namespace: str | None = LIUCHENG) -> bool:
        raw = el.get(q(namespace, name) if namespace else name)
        if raw is None:
            return default
        if raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        self.problem(el, f"{name}={raw!r} is not true or false", f'write {name}="true" or {name}="false"')
        return default

    def duration(self, el: etree._Element, name: str) -> int | None:
        raw = el.get(q(LIUCHENG, name))
        if raw is None:
            return None
        try:
            return parse_duration_s(raw, where=el.get("id", ""))
        except ValidationError as exc:
            self.problem(el, f"liucheng:{name} {raw!r} is not an ISO 8601 duration", exc.hint or "")
            return None

    def activity(self, el: etree._Element, data: dict[str, object]) -> None:
        ext = el.find(q(BPMN, "extensionElements"))
        loops = [
            c
            for c in el
            if local_name(c.tag) in ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics")
        ]
        if loops:
            self.problem(
                el,
                "loop and multi-instance markers are not supported",
                "draw the loop with an exclusive gateway and a flow back",
            )
        zeebe_assign = ext.find(q(ZEEBE, "assignmentDefinition")) if ext is not None else None
        groups = [
            *split_list(el.get(q(LIUCHENG, "candidateGroups"))),
            *split_list(el.get(q(CAMUNDA, "candidateGroups"))),
        ]
        assignee = el.get(q(LIUCHENG, "assignee")) or el.get(q(CAMUNDA, "assignee"))
        if zeebe_assign is not None:
            for attr in ("candidateGroups", "assignee"):
                if (zeebe_assign.get(attr) or "").startswith("="):
                    self.problem(
                        el,
                        f"zeebe:assignmentDefinition {attr} is an expression",
                        "write a fixed, comma-separated list (liucheng assigns by lane and skills)",
                    )
            groups.extend(split_list(zeebe_assign.get("candidateGroups")))
            assignee = assignee or zeebe_assign.get("assignee") or None
        data["candidate_groups"] = tuple(dict.fromkeys(g for g in groups if not g.startswith("=")))
        if assignee and not assignee.startswith("="):
            data["assignee"] = assignee
        data["skills"] = split_list(el.get(q(LIUCHENG, "skills")))
        data["step_sla_s"] = self.duration(el, "stepSla")
        data["form"] = self.form(ext) if ext is not None else ()
        if data["kind"] is ElementKind.SERVICE_TASK and el.get(q(LIUCHENG, "url")):
            data["webhook"] = self.webhook(el)
        if data["kind"] is ElementKind.CALL_ACTIVITY:
            called = el.get("calledElement")
            zeebe_called = ext.find(q(ZEEBE, "calledElement")) if ext is not None else None
            if not called and zeebe_called is not None:
                called = zeebe_called.get("processId")
                if (called or "").startswith("="):
                    self.problem(
                        el,
                        "zeebe:calledElement processId is an expression",
                        "name the called process key directly",
                    )
                    called = None
            data["called_process"] = called or None

    def webhook(self, el: etree._Element) -> WebhookSpec:
        retries_raw = el.get(q(LIUCHENG, "retries"), "3")
        try:
            retries = int(retries_raw)
        except ValueError:
            self.problem(
                el, f"liucheng:retries {retries_raw!r} is not a whole number", 'e.g. liucheng:retries="3"'
            )
            retries = 3
        timeout_s = self.duration(el, "timeout")
        return WebhookSpec(
            url=el.get(q(LIUCHENG, "url"), ""),
            method=el.get(q(LIUCHENG, "method"), "POST"),
            timeout_s=10 if timeout_s is None else timeout_s,
            retries=retries,
        )

    def form(self, ext: etree._Element) -> tuple[FormField, ...]:
        fields: list[FormField] = []
        for namespace in (LIUCHENG, CAMUNDA):
            for item in ext.iterfind(f"{q(namespace, 'formData')}/{q(namespace, 'formField')}"):
                values = tuple(v.get("id", "") for v in item.iterfind(q(namespace, "value")))
                required = any(
                    c.get("name") == "required"
                    for c in item.iterfind(f"{q(namespace, 'validation')}/{q(namespace, 'constraint')}")
                )
                field_id = item.get("id", "")
                fields.append(
                    FormField(
                        field_id, item.get("label", field_id), item.get("type", "string"), required, values
                    )
                )
        return tuple(fields)


def _lenient(tag: str) -> ElementKind:
    return ElementKind.START_EVENT if tag == "startEvent" else ElementKind.END_EVENT
