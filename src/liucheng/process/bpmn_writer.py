"""Write process definitions as BPMN 2.0 XML that bpmn.io and Camunda Modeler open.

Semantics round-trip through ``read_bpmn``; the diagram (DI) is laid out afresh, left to
right, with a pool per process when there are lanes or several processes.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from liucheng.core.durations import format_duration_s
from liucheng.process._layout import Box, Layout, layout
from liucheng.process._xmlns import BPMN, BPMNDI, DC, DI, LIUCHENG, XSI, q
from liucheng.process.spec import (
    ACTIVITY_KINDS,
    BOUNDARY_KINDS,
    Element,
    ElementKind,
    ProcessDefinition,
    TimerKind,
)

_NSMAP = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "xsi": XSI, "liucheng": LIUCHENG}
_TAGS = {
    ElementKind.TIMER_CATCH: "intermediateCatchEvent",
    ElementKind.MESSAGE_CATCH: "intermediateCatchEvent",
    ElementKind.ESCALATION_THROW: "intermediateThrowEvent",
    ElementKind.NONE_THROW: "intermediateThrowEvent",
    ElementKind.BOUNDARY_TIMER: "boundaryEvent",
    ElementKind.BOUNDARY_ESCALATION: "boundaryEvent",
    ElementKind.BOUNDARY_MESSAGE: "boundaryEvent",
}
_TIMER_TAGS = {TimerKind.DURATION: "timeDuration", TimerKind.DATE: "timeDate", TimerKind.CYCLE: "timeCycle"}
_WITH_DEFAULT = ACTIVITY_KINDS | {ElementKind.EXCLUSIVE_GATEWAY, ElementKind.INCLUSIVE_GATEWAY}


def _sub(
    parent: etree._Element, ns: str, tag: str, attrs: dict[str, str | None] | None = None
) -> etree._Element:
    el = etree.SubElement(parent, q(ns, tag))
    for key, value in (attrs or {}).items():
        if value is not None:
            el.set(key, value)
    return el


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


class _Writer:
    def __init__(self, definitions: Sequence[ProcessDefinition]) -> None:
        self.definitions = list(definitions)
        taken = {i for d in self.definitions for i in (*d.elements, *d.flows, *d.lanes, d.key)}
        self.messages = self._ids(
            "Message",
            sorted({e.message for d in self.definitions for e in d.elements.values() if e.message}),
            taken,
        )
        self.escalations = self._ids(
            "Escalation",
            sorted(
                {
                    e.escalation_code
                    for d in self.definitions
                    for e in d.elements.values()
                    if e.escalation_code
                }
            ),
            taken,
        )
        self.pools = len(self.definitions) > 1 or any(d.lanes for d in self.definitions)

    @staticmethod
    def _ids(prefix: str, names: list[str], taken: set[str]) -> dict[str, str]:
        out = {}
        for i, name in enumerate(names, 1):
            candidate = f"{prefix}_{i}"
            while candidate in taken:
                candidate += "_"
            taken.add(candidate)
            out[name] = candidate
        return out

    def write(self) -> bytes:
        root = etree.Element(q(BPMN, "definitions"), nsmap=_NSMAP)
        root.set("id", "Definitions_liucheng")
        root.set("targetNamespace", "http://liucheng.io/schema/bpmn")
        root.set("exporter", "liucheng")
        root.set("exporterVersion", "1")
        collaboration = (
            _sub(root, BPMN, "collaboration", {"id": "Collaboration_liucheng"}) if self.pools else None
        )
        for d in self.definitions:
            if collaboration is not None:
                _sub(
                    collaboration,
                    BPMN,
                    "participant",
                    {"id": f"Participant_{d.key}", "name": d.name, "processRef": d.key},
                )
            self.process(root, d)
        for name, ident in self.messages.items():
            _sub(root, BPMN, "message", {"id": ident, "name": name})
        for code, ident in self.escalations.items():
            _sub(root, BPMN, "escalation", {"id": ident, "name": code, "escalationCode": code})
        self.diagram(root)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def process(self, root: etree._Element, d: ProcessDefinition) -> None:
        el = _sub(
            root,
            BPMN,
            "process",
            {
                "id": d.key,
                "name": d.name,
                "isExecutable": "true",
                q(LIUCHENG, "owner"): d.owner,
                q(LIUCHENG, "reopenTarget"): d.reopen_target,
            },
        )
        if d.documentation:
            _sub(el, BPMN, "documentation").text = d.documentation
        if d.lanes:
            lane_set = _sub(el, BPMN, "laneSet", {"id": f"LaneSet_{d.key}"})
            for lane in d.lanes.values():
                lane_el = _sub(lane_set, BPMN, "lane", {"id": lane.id, "name": lane.name})
                for ref in lane.element_ids:
                    _sub(lane_el, BPMN, "flowNodeRef").text = ref
        for element in d.elements.values():
            self.element(el, element)
        for flow in d.flows.values():
            flow_el = _sub(
                el,
                BPMN,
                "sequenceFlow",
                {
                    "id": flow.id,
                    "name": flow.name or None,
                    "sourceRef": flow.source,
                    "targetRef": flow.target,
                },
            )
            if flow.condition is not None:
                cond = _sub(flow_el, BPMN, "conditionExpression", {q(XSI, "type"): "bpmn:tFormalExpression"})
                cond.text = flow.condition

    def element(self, parent: etree._Element, e: Element) -> None:
        kind = e.kind
        tag = _TAGS.get(kind, str(kind))
        el = _sub(parent, BPMN, tag, {"id": e.id, "name": e.name or None})
        if e.default_flow and kind in _WITH_DEFAULT:
            el.set("default", e.default_flow)
        if e.documentation:
            _sub(el, BPMN, "documentation").text = e.documentation
        if kind in ACTIVITY_KINDS:
            self.activity(el, e)
        for flow_id in e.incoming:
            _sub(el, BPMN, "incoming").text = flow_id
        for flow_id in e.outgoing:
            _sub(el, BPMN, "outgoing").text = flow_id
        if kind in BOUNDARY_KINDS:
            el.set("attachedToRef", e.attached_to or "")
            if not e.cancel_activity:
                el.set("cancelActivity", "false")
        if e.timer is not None:
            if e.timer.business_time:
                el.set(q(LIUCHENG, "businessTime"), "true")
            timer = _sub(el, BPMN, "timerEventDefinition")
            _sub(
                timer, BPMN, _TIMER_TAGS[e.timer.kind], {q(XSI, "type"): "bpmn:tFormalExpression"}
            ).text = e.timer.expression
        elif kind in (ElementKind.TIMER_CATCH, ElementKind.BOUNDARY_TIMER):
            _sub(el, BPMN, "timerEventDefinition")
        if kind in (ElementKind.MESSAGE_CATCH, ElementKind.BOUNDARY_MESSAGE):
            if e.waits_on_customer:
                el.set(q(LIUCHENG, "waitsOnCustomer"), "true")
            _sub(el, BPMN, "messageEventDefinition", {"messageRef": self.messages.get(e.message or "")})
        escalates = kind in (ElementKind.ESCALATION_THROW, ElementKind.BOUNDARY_ESCALATION)
        if escalates or (kind is ElementKind.END_EVENT and e.escalation_code):
            _sub(
                el,
                BPMN,
                "escalationEventDefinition",
                {"escalationRef": self.escalations.get(e.escalation_code or "")},
            )
        if kind is ElementKind.END_EVENT and e.terminate:
            _sub(el, BPMN, "terminateEventDefinition")

    def activity(self, el: etree._Element, e: Element) -> None:
        attrs = {
            "candidateGroups": ",".join(e.candidate_groups) or None,
            "assignee": e.assignee,
            "skills": ",".join(e.skills) or None,
            "stepSla": format_duration_s(e.step_sla_s) if e.step_sla_s else None,
        }
        if e.webhook is not None:
            attrs.update(
                url=e.webhook.url,
                method=e.webhook.method,
                retries=str(e.webhook.retries),
                timeout=format_duration_s(e.webhook.timeout_s),
            )
        for name, value in attrs.items():
            if value is not None:
                el.set(q(LIUCHENG, name), value)
        if e.called_process:
            el.set("calledElement", e.called_process)
        if e.form:
            form = _sub(_sub(el, BPMN, "extensionElements"), LIUCHENG, "formData")
            for f in e.form:
                field = _sub(form, LIUCHENG, "formField", {"id": f.id, "label": f.label, "type": f.type})
                for value in f.values:
                    _sub(field, LIUCHENG, "value", {"id": value, "name": value})
                if f.required:
                    _sub(_sub(field, LIUCHENG, "validation"), LIUCHENG, "constraint", {"name": "required"})

    def diagram(self, root: etree._Element) -> None:
        diagram = _sub(root, BPMNDI, "BPMNDiagram", {"id": "BPMNDiagram_1"})
        plane_ref = (
            "Collaboration_liucheng" if self.pools else (self.definitions[0].key if self.definitions else "")
        )
        plane = _sub(diagram, BPMNDI, "BPMNPlane", {"id": "BPMNPlane_1", "bpmnElement": plane_ref})
        top = 0.0
        for d in self.definitions:
            drawn = layout(d, top=top, with_pool=self.pools)
            top += drawn.pool.h + 60
            self.draw(plane, d, drawn)

    def draw(self, plane: etree._Element, d: ProcessDefinition, drawn: Layout) -> None:
        if self.pools:
            self.shape(plane, f"Participant_{d.key}", drawn.pool, horizontal=True)
            for lane_id, box in drawn.lanes.items():
                self.shape(plane, lane_id, box, horizontal=True)
        for eid, box in drawn.shapes.items():
            marker = d.elements[eid].kind is ElementKind.EXCLUSIVE_GATEWAY
            self.shape(plane, eid, box, marker=marker)
        for flow_id, points in drawn.edges.items():
            edge = _sub(plane, BPMNDI, "BPMNEdge", {"id": f"{flow_id}_di", "bpmnElement": flow_id})
            for x, y in points:
                _sub(edge, DI, "waypoint", {"x": _fmt(x), "y": _fmt(y)})

    @staticmethod
    def shape(
        plane: etree._Element, ref: str, box: Box, *, horizontal: bool = False, marker: bool = False
    ) -> None:
        shape = _sub(plane, BPMNDI, "BPMNShape", {"id": f"{ref}_di", "bpmnElement": ref})
        if horizontal:
            shape.set("isHorizontal", "true")
        if marker:
            shape.set("isMarkerVisible", "true")
        _sub(
            shape,
            DC,
            "Bounds",
            {"x": _fmt(box.x), "y": _fmt(box.y), "width": _fmt(box.w), "height": _fmt(box.h)},
        )


def write_bpmn(definitions: Sequence[ProcessDefinition]) -> bytes:
    """BPMN 2.0 XML (UTF-8) holding ``definitions``, with liucheng attributes and a diagram."""
    return _Writer(definitions).write()
