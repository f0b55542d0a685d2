"""What the engine may read besides the case: process versions, calendars, policies.

Everything here is immutable data handed in by the caller; the engine still does no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from liucheng.core.calendar import BusinessCalendar
from liucheng.core.errors import NotFoundError
from liucheng.engine.policy import DEFAULT_CATEGORIES, PRIORITIES, SlaPolicy
from liucheng.process.expressions import Condition, compile_condition
from liucheng.process.spec import ProcessDefinition, SequenceFlow

#: ``(key, version)`` -> definition; ``version=None`` asks for the latest.
DefinitionLookup = Callable[[str, int | None], ProcessDefinition]


class Definitions:
    """An in-memory registry of deployed versions, usable directly as a ``DefinitionLookup``."""

    def __init__(self, definitions: Mapping[tuple[str, int], ProcessDefinition] | None = None) -> None:
        self._by_ref: dict[tuple[str, int], ProcessDefinition] = dict(definitions or {})

    def add(self, definition: ProcessDefinition) -> None:
        self._by_ref[(definition.key, definition.version)] = definition

    def __call__(self, key: str, version: int | None = None) -> ProcessDefinition:
        if version is None:
            versions = [v for (k, v) in self._by_ref if k == key]
            if not versions:
                raise NotFoundError("process", key, hint="deploy it first: liucheng process deploy FILE.bpmn")
            version = max(versions)
        try:
            return self._by_ref[(key, version)]
        except KeyError:
            raise NotFoundError("process version", f"{key}:v{version}") from None


@dataclass
class EngineContext:
    definitions: DefinitionLookup
    calendars: Mapping[str, BusinessCalendar] = field(default_factory=dict)
    #: SLA policy by process key; "*" applies to every process without its own.
    policies: Mapping[str, SlaPolicy] = field(default_factory=dict)
    categories: frozenset[str] = DEFAULT_CATEGORIES
    priorities: tuple[str, ...] = PRIORITIES
    _conditions: dict[tuple[str, int, str], Condition] = field(default_factory=dict, repr=False)

    def policy_for(self, process_key: str) -> SlaPolicy | None:
        return self.policies.get(process_key) or self.policies.get("*")

    def calendar(self, name: str | None) -> BusinessCalendar:
        if name and name in self.calendars:
            return self.calendars[name]
        if name in (None, "24x7", "UTC"):
            return _ALWAYS_OPEN
        raise NotFoundError("calendar", name, hint="add it with liucheng calendar add or fix the policy")

    def calendar_for(self, process_key: str) -> BusinessCalendar:
        policy = self.policy_for(process_key)
        return self.calendar(policy.calendar if policy else None)

    def evaluate(self, definition: ProcessDefinition, flow: SequenceFlow, data: Mapping[str, Any]) -> bool:
        key = (definition.key, definition.version, flow.id)
        condition = self._conditions.get(key)
        if condition is None:
            assert flow.condition is not None
            condition = compile_condition(flow.condition, where=f"{definition.key}/{flow.id}")
            self._conditions[key] = condition
        return condition.evaluate(data)


_ALWAYS_OPEN = BusinessCalendar.always_open()
