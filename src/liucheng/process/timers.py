"""Timer expressions as BPMN writes them: ``timeDuration``, ``timeDate`` and ``timeCycle``.

Only literal values are accepted. Camunda lets a timer read a variable (``${due}``, ``=due``);
a timer the engine cannot schedule at deploy time would fail later inside a running case.
"""

from __future__ import annotations

import re

from liucheng.core.clock import parse_instant
from liucheng.core.durations import format_duration_s, parse_duration_s
from liucheng.core.errors import ValidationError
from liucheng.process.spec import TimerKind, TimerSpec

_CYCLE = re.compile(r"^R(?P<repeat>\d*)/(?P<period>P[^/]+)$")


def parse_timer(kind: TimerKind, expression: str, *, business_time: bool = False, where: str) -> TimerSpec:
    """Build a ``TimerSpec``; raise ``ValidationError`` naming ``where`` when the text is not literal ISO."""
    text = expression.strip()
    if kind is TimerKind.DURATION:
        return TimerSpec(kind, text, parse_duration_s(text, where=where), 1, business_time)
    if kind is TimerKind.DATE:
        parse_instant(text, where)
        return TimerSpec(kind, text, None, 1, business_time)
    match = _CYCLE.match(text)
    if not match:
        raise ValidationError(
            f"timer cycle {expression!r} is not of the form R<n>/<duration>",
            where=where,
            hint="write e.g. R3/PT1H (three times, hourly) or R/PT1H (no limit); cron is not supported",
        )
    repeat = int(match["repeat"]) if match["repeat"] else None
    if repeat == 0:
        raise ValidationError(
            f"timer cycle {expression!r} repeats zero times",
            where=where,
            hint="use R1 or more, or R for no limit",
        )
    return TimerSpec(kind, text, parse_duration_s(match["period"], where=where), repeat, business_time)


def check_timer(timer: TimerSpec, *, where: str) -> None:
    """Re-check a spec built elsewhere (e.g. by hand or by a reader that kept a bad expression)."""
    parsed = parse_timer(timer.kind, timer.expression, business_time=timer.business_time, where=where)
    if parsed.duration_s != timer.duration_s or parsed.repeat != timer.repeat:
        raise ValidationError(
            f"timer {timer.expression!r} says {parsed.duration_s}s x{parsed.repeat} "
            f"but the spec holds {timer.duration_s}s x{timer.repeat}",
            where=where,
            hint="build timers with parse_timer so the numbers match the expression",
        )


def timer_expression(kind: TimerKind, *, duration_s: int | None, repeat: int | None, date: str = "") -> str:
    """The ISO text for a timer given as numbers (the inverse of ``parse_timer``)."""
    if kind is TimerKind.DATE:
        return date
    if duration_s is None:
        raise ValueError("duration and cycle timers need duration_s")
    period = format_duration_s(duration_s)
    if kind is TimerKind.DURATION:
        return period
    return f"R{'' if repeat is None else repeat}/{period}"
