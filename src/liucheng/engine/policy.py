"""Service-level policies: targets per category and priority, warnings, escalation ladders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from liucheng.core.durations import format_duration_s, parse_duration_s
from liucheng.core.errors import ValidationError

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
CASE_CLOCKS = (FIRST_RESPONSE, RESOLUTION)
PRIORITIES = ("P1", "P2", "P3", "P4")
DEFAULT_CATEGORIES = frozenset(
    {"complaint", "inquiry", "suggestion", "fault", "feedback", "internal_request", "emergency"}
)


@dataclass(frozen=True, slots=True)
class SlaTarget:
    first_response_s: int | None = None
    resolution_s: int | None = None

    def for_clock(self, clock: str) -> int | None:
        return self.first_response_s if clock == FIRST_RESPONSE else self.resolution_s


@dataclass(frozen=True, slots=True)
class EscalationLevel:
    """At ``at_fraction`` of a clock's target the case escalates to ``role``.

    The ladder agent -> team lead -> room manager -> centre is three levels, e.g. at 0.75, 1.0
    and 1.5 of the resolution target. ``reassign`` moves the open human tasks to that role's queue.
    """

    level: int
    role: str
    at_fraction: float
    clock: str = RESOLUTION
    reassign: bool = False


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    name: str
    #: (category, priority) -> target; "*" matches any category or priority.
    targets: Mapping[tuple[str, str], SlaTarget]
    calendar: str = "24x7"
    warn_fractions: tuple[float, ...] = (0.5, 0.75)
    escalation: tuple[EscalationLevel, ...] = ()
    #: Clocks stop while the case waits on the customer.
    pause_on_hold: bool = True
    #: Per-step targets (OLAs) by element id, overriding the model's ``liucheng:stepSla``.
    step_targets_s: Mapping[str, int] = field(default_factory=dict)

    def target(self, category: str, priority: str) -> SlaTarget | None:
        for key in ((category, priority), (category, "*"), ("*", priority), ("*", "*")):
            if key in self.targets:
                return self.targets[key]
        return None

    def thresholds(self, clock: str) -> list[float]:
        fractions = {f for f in self.warn_fractions if 0 < f < 1} | {1.0}
        fractions |= {lvl.at_fraction for lvl in self.escalation if lvl.clock == clock}
        return sorted(fractions)

    def escalations_at(self, clock: str, fraction: float) -> list[EscalationLevel]:
        return [lvl for lvl in self.escalation if lvl.clock == clock and lvl.at_fraction == fraction]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlaPolicy:
        """Build from config such as::

            name = "hotline"
            calendar = "cn-mainland"
            warn_fractions = [0.5, 0.75]
            [[targets]]
            category = "complaint"; priority = "P1"; first_response = "PT30M"; resolution = "PT4H"
            [[escalation]]
            level = 1; role = "team_lead"; at = 0.75
        """
        name = str(data.get("name") or "")
        if not name:
            raise ValidationError("a policy needs a name", where="sla_policy.name")
        targets: dict[tuple[str, str], SlaTarget] = {}
        for i, row in enumerate(data.get("targets", [])):
            where = f"sla_policy[{name}].targets[{i}]"
            priority = str(row.get("priority", "*"))
            if priority != "*" and priority not in PRIORITIES:
                raise ValidationError(f"unknown priority {priority!r}", where=where, hint="use P1..P4 or *")
            first = row.get("first_response")
            resolution = row.get("resolution")
            targets[(str(row.get("category", "*")), priority)] = SlaTarget(
                first_response_s=parse_duration_s(first, where=f"{where}.first_response") if first else None,
                resolution_s=parse_duration_s(resolution, where=f"{where}.resolution") if resolution else None,
            )
        levels = []
        for i, row in enumerate(data.get("escalation", [])):
            where = f"sla_policy[{name}].escalation[{i}]"
            clock = str(row.get("clock", RESOLUTION))
            if clock not in CASE_CLOCKS:
                raise ValidationError(f"unknown clock {clock!r}", where=where, hint=f"use one of {CASE_CLOCKS}")
            at = float(row.get("at", 1.0))
            if at <= 0:
                raise ValidationError("'at' must be a positive fraction of the target", where=where)
            levels.append(
                EscalationLevel(
                    level=int(row["level"]),
                    role=str(row["role"]),
                    at_fraction=at,
                    clock=clock,
                    reassign=bool(row.get("reassign", False)),
                )
            )
        warn = tuple(float(f) for f in data.get("warn_fractions", (0.5, 0.75)))
        if any(not 0 < f < 1 for f in warn):
            raise ValidationError("warning fractions must lie between 0 and 1", where=f"sla_policy[{name}]")
        steps = {
            str(k): parse_duration_s(v, where=f"sla_policy[{name}].steps.{k}")
            for k, v in data.get("steps", {}).items()
        }
        return cls(
            name=name,
            targets=targets,
            calendar=str(data.get("calendar", "24x7")),
            warn_fractions=warn,
            escalation=tuple(sorted(levels, key=lambda lvl: lvl.level)),
            pause_on_hold=bool(data.get("pause_on_hold", True)),
            step_targets_s=steps,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "calendar": self.calendar,
            "warn_fractions": list(self.warn_fractions),
            "pause_on_hold": self.pause_on_hold,
            "targets": [
                {
                    "category": cat,
                    "priority": pri,
                    **({"first_response": format_duration_s(t.first_response_s)} if t.first_response_s else {}),
                    **({"resolution": format_duration_s(t.resolution_s)} if t.resolution_s else {}),
                }
                for (cat, pri), t in self.targets.items()
            ],
            "escalation": [
                {"level": e.level, "role": e.role, "at": e.at_fraction, "clock": e.clock, "reassign": e.reassign}
                for e in self.escalation
            ],
            "steps": {k: format_duration_s(v) for k, v in self.step_targets_s.items()},
        }
