"""Small process definitions built in code, for engine tests that need exact shapes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from liucheng.engine import Definitions, EngineContext, SlaPolicy
from liucheng.process.spec import Element, ElementKind, ProcessDefinition, SequenceFlow, TimerKind, TimerSpec

K = ElementKind
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai


def timer(duration_s: int, *, cycle: int | None = None, business: bool = False) -> TimerSpec:
    if cycle is not None:
        return TimerSpec(TimerKind.CYCLE, f"R{cycle}/PT{duration_s}S", duration_s, cycle, business)
    return TimerSpec(TimerKind.DURATION, f"PT{duration_s}S", duration_s, 1, business)


def definition(key: str, elements: list[Element], flows: list[str], *, version: int = 1, **kw) -> ProcessDefinition:
    """``flows`` are ``"a->b"``, ``"a->b: cond"`` or ``"a->b: default"``."""
    by_id = {e.id: e for e in elements}
    seq: dict[str, SequenceFlow] = {}
    incoming: dict[str, list[str]] = {e.id: [] for e in elements}
    outgoing: dict[str, list[str]] = {e.id: [] for e in elements}
    defaults: dict[str, str] = {}
    for i, text in enumerate(flows):
        edge, _, cond = text.partition(":")
        source, target = (s.strip() for s in edge.split("->"))
        flow_id = f"f{i}_{source}_{target}"
        cond = cond.strip() or None
        if cond == "default":
            defaults[source] = flow_id
            cond = None
        seq[flow_id] = SequenceFlow(flow_id, source, target, condition=cond)
        outgoing[source].append(flow_id)
        incoming[target].append(flow_id)
    final = {
        eid: replace(
            e,
            incoming=tuple(incoming[eid]),
            outgoing=tuple(outgoing[eid]),
            default_flow=defaults.get(eid, e.default_flow),
        )
        for eid, e in by_id.items()
    }
    return ProcessDefinition(key=key, name=key, elements=final, flows=seq, version=version, **kw)


def context(*defs: ProcessDefinition, policy: SlaPolicy | None = None, calendars=None) -> EngineContext:
    registry = Definitions()
    for d in defs:
        registry.add(d)
    return EngineContext(
        definitions=registry,
        policies={"*": policy} if policy else {},
        calendars=calendars or {},
    )


def simple_task_process(key: str = "simple") -> ProcessDefinition:
    return definition(
        key,
        [
            Element("start", K.START_EVENT),
            Element("register", K.USER_TASK, name="Register", lane="agent"),
            Element("handle", K.USER_TASK, name="Handle", lane="back_office"),
            Element("end", K.END_EVENT),
        ],
        ["start->register", "register->handle", "handle->end"],
    )
