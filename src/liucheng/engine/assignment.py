"""Who gets a new task: pure strategies over candidates the caller gathered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from liucheng.core.errors import ValidationError


class Strategy(StrEnum):
    QUEUE = "queue"  # nobody: members of the queue claim it
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    SKILL = "skill"  # least loaded among those with every required skill


@dataclass(frozen=True, slots=True)
class Candidate:
    user_id: str
    #: Open and claimed tasks the person holds now.
    load: int = 0
    skills: frozenset[str] = frozenset()


def parse_strategy(value: str, *, where: str = "strategy") -> Strategy:
    try:
        return Strategy(value)
    except ValueError:
        raise ValidationError(
            f"unknown assignment strategy {value!r}", where=where, hint=f"use one of {[s.value for s in Strategy]}"
        ) from None


def choose_assignee(
    strategy: Strategy,
    candidates: Sequence[Candidate],
    *,
    required_skills: Sequence[str] = (),
    cursor: int = 0,
) -> str | None:
    """The user id to assign, or None to leave the task in its queue.

    ``cursor`` is the queue's round-robin position (any integer; taken modulo the candidates).
    Candidates are considered in user-id order so the choice does not depend on query order.
    """
    pool = sorted(candidates, key=lambda c: c.user_id)
    if strategy is Strategy.SKILL:
        needed = set(required_skills)
        pool = [c for c in pool if needed <= c.skills]
    if not pool or strategy is Strategy.QUEUE:
        return None
    if strategy is Strategy.ROUND_ROBIN:
        return pool[cursor % len(pool)].user_id
    return min(pool, key=lambda c: (c.load, c.user_id)).user_id
