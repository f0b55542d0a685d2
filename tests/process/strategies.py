"""Hypothesis strategies for valid process definitions, shaped like what modelers draw."""

from __future__ import annotations

import itertools
from dataclasses import replace

from hypothesis import strategies as st

from liucheng.process import (
    Element,
    ElementKind,
    FormField,
    Lane,
    ProcessDefinition,
    SequenceFlow,
    TimerKind,
    WebhookSpec,
    parse_timer,
)
from liucheng.process.timers import timer_expression

K = ElementKind
CHAIN_KINDS = [
    K.USER_TASK, K.MANUAL_TASK, K.SERVICE_TASK, K.CALL_ACTIVITY, K.EXCLUSIVE_GATEWAY, K.PARALLEL_GATEWAY,
    K.INCLUSIVE_GATEWAY, K.TIMER_CATCH, K.MESSAGE_CATCH, K.NONE_THROW, K.ESCALATION_THROW,
]  # fmt: skip
ACTIVITIES = {K.USER_TASK, K.MANUAL_TASK, K.SERVICE_TASK, K.CALL_ACTIVITY}
CONDITIONS = [
    "amount > 100",
    'region == "east"',
    "'vip' in tags",
    "has(customer.tier) && customer.tier != 'x'",
]

token = st.from_regex(r"[a-z][a-z0-9\-]{0,8}", fullmatch=True)
# Names keep to what survives XML attribute normalisation (no tabs or newlines); markup characters are in.
label = st.text(st.sampled_from("abcXYZ 09&<>\"'受理工单"), max_size=12)
doc = st.text(st.sampled_from("abc xyz.,&<>流程"), max_size=20).map(str.strip)


@st.composite
def timers(draw: st.DrawFn):
    kind = draw(st.sampled_from(list(TimerKind)))
    if kind is TimerKind.DATE:
        expression = draw(st.sampled_from(["2026-03-01T09:00:00+08:00", "2027-12-31T23:59:59Z"]))
    else:
        repeat = draw(st.none() | st.integers(1, 9)) if kind is TimerKind.CYCLE else 1
        expression = timer_expression(kind, duration_s=draw(st.integers(1, 30 * 86400)), repeat=repeat)
    return parse_timer(kind, expression, business_time=draw(st.booleans()), where="t")


@st.composite
def forms(draw: st.DrawFn) -> tuple[FormField, ...]:
    out = []
    for i in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["string", "long", "boolean", "enum", "date"]))
        values = tuple(draw(st.lists(token, min_size=1, max_size=3, unique=True))) if kind == "enum" else ()
        out.append(FormField(f"field{i}", draw(label), kind, draw(st.booleans()), values))
    return tuple(out)


@st.composite
def element_fields(draw: st.DrawFn, kind: ElementKind) -> dict[str, object]:
    data: dict[str, object] = {"name": draw(label), "documentation": draw(doc)}
    if kind in (K.USER_TASK, K.MANUAL_TASK):
        data["candidate_groups"] = tuple(draw(st.lists(token, max_size=3, unique=True)))
        data["assignee"] = draw(st.none() | token)
        data["skills"] = tuple(draw(st.lists(token, max_size=2, unique=True)))
        data["step_sla_s"] = draw(st.none() | st.integers(1, 10 * 86400))
        data["form"] = draw(forms())
    elif kind is K.SERVICE_TASK:
        url = "https://hooks.example.com/" + draw(token)
        method = draw(st.sampled_from(["GET", "POST", "PUT"]))
        data["webhook"] = WebhookSpec(url, method, draw(st.integers(1, 600)), draw(st.integers(0, 9)))
    elif kind is K.CALL_ACTIVITY:
        data["called_process"] = draw(token)
    elif kind in (K.TIMER_CATCH, K.BOUNDARY_TIMER):
        data["timer"] = draw(timers())
    elif kind in (K.MESSAGE_CATCH, K.BOUNDARY_MESSAGE):
        data["message"] = draw(token)
        data["waits_on_customer"] = draw(st.booleans())
    elif kind in (K.ESCALATION_THROW, K.BOUNDARY_ESCALATION):
        data["escalation_code"] = draw(st.none() | token)
    elif kind is K.END_EVENT:
        choice = draw(st.sampled_from(["none", "terminate", "escalation"]))
        data["terminate"] = choice == "terminate"
        data["escalation_code"] = draw(token) if choice == "escalation" else None
    return data


@st.composite
def definitions(draw: st.DrawFn, key: str = "p") -> ProcessDefinition:
    chain = draw(st.lists(st.sampled_from(CHAIN_KINDS), min_size=1, max_size=7))
    kinds = {
        f"{key}_s": K.START_EVENT,
        **{f"{key}_n{i}": k for i, k in enumerate(chain)},
        f"{key}_e": K.END_EVENT,
    }
    order = list(kinds)
    flows: dict[str, SequenceFlow] = {}
    default: dict[str, str] = {}

    def connect(source: str, target: str, condition: str | None = None) -> str:
        flow_id = f"{key}_f{len(flows)}"
        flows[flow_id] = SequenceFlow(flow_id, source, target, draw(label), condition)
        return flow_id

    for source, target in itertools.pairwise(order):
        flow_id = connect(source, target)
        if kinds[source] in (K.EXCLUSIVE_GATEWAY, K.INCLUSIVE_GATEWAY):
            default[source] = flow_id
    for node in order[1:-1]:
        if kinds[node] in (K.EXCLUSIVE_GATEWAY, K.INCLUSIVE_GATEWAY, K.PARALLEL_GATEWAY) and draw(
            st.booleans()
        ):
            # An extra branch, forward or back (a rework loop), like the diagrams people draw.
            target = draw(st.sampled_from([n for n in order[1:] if n != node]))
            parallel = kinds[node] is K.PARALLEL_GATEWAY
            connect(node, target, None if parallel else draw(st.sampled_from(CONDITIONS)))
    boundary_kinds = {}
    for node in order:
        if kinds[node] in ACTIVITIES and draw(st.booleans()):
            bid = f"{node}_b"
            boundary_kinds[bid] = draw(
                st.sampled_from([K.BOUNDARY_TIMER, K.BOUNDARY_ESCALATION, K.BOUNDARY_MESSAGE])
            )
            connect(bid, f"{key}_e")
    kinds.update(boundary_kinds)
    lane_names = draw(st.sampled_from([(), ("Front office", "Back office"), ("客服",)]))
    lane_of = {n: draw(st.sampled_from(lane_names)) if lane_names else None for n in kinds}
    elements = {}
    for node, kind in kinds.items():
        fields = draw(element_fields(kind))
        if node in boundary_kinds:
            host = node.removesuffix("_b")
            fields.update(attached_to=host, cancel_activity=draw(st.booleans()))
        elements[node] = Element(
            node,
            kind,
            incoming=tuple(f.id for f in flows.values() if f.target == node),
            outgoing=tuple(f.id for f in flows.values() if f.source == node),
            lane=lane_of[node],
            default_flow=default.get(node),
            **fields,  # type: ignore[arg-type]
        )
    lanes = {
        f"{key}_lane{i}": Lane(f"{key}_lane{i}", name, tuple(n for n in kinds if lane_of[n] == name))
        for i, name in enumerate(lane_names)
    }
    humans = [n for n, k in kinds.items() if k in (K.USER_TASK, K.MANUAL_TASK)]
    return ProcessDefinition(
        key=key,
        name=draw(label.filter(lambda s: s.strip() != "")),
        elements=elements,
        flows=flows,
        lanes=lanes,
        owner=draw(st.none() | token),
        documentation=draw(doc),
        reopen_target=draw(st.sampled_from([None, *humans])),
    )


def semantic(definition: ProcessDefinition) -> tuple[object, ...]:
    """Everything that must survive a write and a read: all fields but lines, hash and version."""
    return (
        definition.key,
        definition.name,
        definition.owner,
        definition.documentation,
        definition.reopen_target,
        {k: replace(e, line=None) for k, e in definition.elements.items()},
        {k: replace(f, line=None) for k, f in definition.flows.items()},
        dict(definition.lanes),
    )
