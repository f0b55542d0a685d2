"""Agents needed per interval to meet service targets, for one queue or several.

The search is a vectorised bisection on the integer number of agents: every interval of a day
moves together, and each step costs one array evaluation of the closed forms in ``erlang.py``.
Each target gives its own requirement; with several targets the requirement is the largest and
``binding`` names the target that set it.

Chat concurrency: an agent handling ``k`` chats at once is modelled as ``k`` independent servers
(M/M/(n k) or M/M/(n k)+M) whose handle time is the chat's handle time *as observed at that
concurrency* (the slowdown of juggling chats is inside ``aht_s``). Occupancy is then the share of
chat slots in use.

Several queues: ``separate`` staffs each queue alone and adds the agents; ``pooled`` staffs one
FCFS queue with all the volume, the volume-weighted mean handle time and the volume-weighted mean
abandonment rate, to the strictest of the queues' targets (in a pooled FCFS queue every queue
sees the same waiting-time distribution). The gap is what cross-skilling would save.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from liucheng.core.errors import ValidationError
from liucheng.workforce.erlang import erlang_a, erlang_c
from liucheng.workforce.queueing import (
    QueueMeasures,
    ServiceLevelConvention,
    check_array,
    offered_load,
    queue_measures,
)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: No contact centre queue needs more agents than this; a target beyond it cannot be met.
_MAX_AGENTS = 10_000_000
#: Measures are compared with this slack so a target met to rounding counts as met.
_SLACK = 1e-12


@dataclass(frozen=True)
class StaffingTargets:
    """What must hold in every interval; ``None`` switches a target off.

    ``service_level`` is the share answered within ``target_s`` under ``convention``;
    ``max_asa_s`` caps the mean wait of answered contacts.
    """

    service_level: float | None = None
    target_s: float = 20.0
    convention: ServiceLevelConvention = ServiceLevelConvention.ALL_ARRIVALS
    short_abandon_s: float = 5.0
    max_asa_s: float | None = None
    max_abandon_rate: float | None = None
    max_occupancy: float | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "convention", ServiceLevelConvention(self.convention))
        except ValueError:
            names = ", ".join(c.value for c in ServiceLevelConvention)
            raise ValidationError(
                f"unknown convention {self.convention!r}", where="targets.convention", hint=f"use one of {names}"
            ) from None
        if self.service_level is not None and not 0.0 < self.service_level < 1.0:
            raise ValidationError(
                f"{self.service_level!r} is not a share strictly between 0 and 1",
                where="targets.service_level",
                hint="write 80 % as 0.8; a service level of 1 can never be guaranteed",
            )
        if self.target_s < 0:
            raise ValidationError(f"{self.target_s!r} is negative", where="targets.target_s", hint="give seconds, >= 0")
        if self.short_abandon_s < 0:
            raise ValidationError(
                f"{self.short_abandon_s!r} is negative", where="targets.short_abandon_s", hint="give seconds, >= 0"
            )
        if self.max_asa_s is not None and self.max_asa_s <= 0:
            raise ValidationError(
                f"{self.max_asa_s!r} is not positive", where="targets.max_asa_s", hint="give seconds, > 0"
            )
        for name in ("max_abandon_rate", "max_occupancy"):
            value = getattr(self, name)
            if value is not None and not 0.0 < value <= 1.0:
                raise ValidationError(
                    f"{value!r} is not a share in (0, 1]", where=f"targets.{name}", hint="write 5 % as 0.05"
                )
        if self.active() == ():
            raise ValidationError(
                "no target set",
                where="targets",
                hint="set service_level, max_asa_s, max_abandon_rate or max_occupancy",
            )

    def active(self) -> tuple[str, ...]:
        """Names of the targets that are switched on."""
        names = ("service_level", "max_asa_s", "max_abandon_rate", "max_occupancy")
        return tuple(name for name in names if getattr(self, name) is not None)


@dataclass(frozen=True)
class StaffingRequirement:
    """Agents per interval: ``agents`` on the queue, ``positions`` to schedule after shrinkage."""

    agents: IntArray
    positions: IntArray
    binding: NDArray[np.str_]
    measures: QueueMeasures


@dataclass(frozen=True)
class QueueDemand:
    """One queue of a multi-queue centre: its volume per interval, handle time and targets."""

    name: str
    volume: ArrayLike
    aht_s: ArrayLike
    targets: StaffingTargets
    patience_s: ArrayLike | None = None


@dataclass(frozen=True)
class MultiQueueRequirement:
    """Agents per interval for each queue staffed alone, their sum, and one pooled team."""

    separate: Mapping[str, StaffingRequirement]
    separate_agents: IntArray
    pooled: StaffingRequirement
    pooling_gain: IntArray = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pooling_gain", self.separate_agents - self.pooled.agents)


def _measure(
    agents: FloatArray,
    targets: StaffingTargets,
    *,
    volume: FloatArray,
    interval_s: FloatArray,
    aht_s: FloatArray,
    patience_s: FloatArray | None,
) -> QueueMeasures:
    return queue_measures(
        agents,
        volume=volume,
        interval_s=interval_s,
        aht_s=aht_s,
        patience_s=patience_s,
        target_s=targets.target_s,
        convention=targets.convention,
        short_abandon_s=targets.short_abandon_s,
    )


def _meets(
    name: str, targets: StaffingTargets, n: FloatArray, a: FloatArray, aht: FloatArray, patience: FloatArray | None
) -> NDArray[np.bool_]:
    """Whether ``n`` servers meet target ``name`` in each interval, computing only that measure.

    Erlang C also needs more servers than load (otherwise the queue grows without bound).
    """
    if patience is None:
        stable = n > a
        spare = np.where(stable, n - a, 1.0)
        if name == "service_level":
            c = erlang_c(n, a)
            ok = 1.0 - c * np.exp(-spare * targets.target_s / aht) >= targets.service_level - _SLACK  # type: ignore[operator]
        elif name == "max_asa_s":
            ok = erlang_c(n, a) * aht / spare <= targets.max_asa_s + _SLACK  # type: ignore[operator]
        elif name == "max_abandon_rate":
            ok = np.ones(n.shape, dtype=bool)
        else:
            ok = a / n <= targets.max_occupancy + _SLACK  # type: ignore[operator]
        return ok & stable
    model = erlang_a(n, a, aht / patience)
    if name == "service_level":
        sl = model.service_level(targets.target_s / aht)
        if targets.convention is ServiceLevelConvention.ANSWERED_ONLY:
            sl = sl / np.maximum(1.0 - model.p_abandon, 1e-300)
        elif targets.convention is ServiceLevelConvention.EXCLUDE_SHORT_ABANDONS:
            short = model.p_wait * model.abandon_within_given_wait(targets.short_abandon_s / aht)
            sl = sl / np.maximum(1.0 - short, 1e-300)
        return sl >= targets.service_level - _SLACK  # type: ignore[operator]
    if name == "max_asa_s":
        return model.wait_answered * aht <= targets.max_asa_s + _SLACK  # type: ignore[operator]
    if name == "max_abandon_rate":
        return model.p_abandon <= targets.max_abandon_rate + _SLACK  # type: ignore[operator]
    return model.occupancy <= targets.max_occupancy + _SLACK  # type: ignore[operator]


def _bisect(name: str, targets: StaffingTargets, servers_per_agent: int, **queue: FloatArray | None) -> IntArray:
    """Smallest integer agents per interval meeting one target (0 where there is no volume)."""
    load = queue["volume"] * queue["aht_s"] / queue["interval_s"]  # type: ignore[operator]
    a = np.maximum(load, 1e-12)

    def meets(agents: FloatArray) -> NDArray[np.bool_]:
        return _meets(name, targets, agents * servers_per_agent, a, queue["aht_s"], queue["patience_s"])  # type: ignore[arg-type]

    lo = np.zeros(load.shape)
    hi = np.ceil((load + 4.0 * np.sqrt(load) + 10.0) / servers_per_agent)
    failing = ~meets(hi)
    while failing.any():
        if hi.max() > _MAX_AGENTS:
            raise ValidationError(
                f"target {name} needs more than {_MAX_AGENTS:,} agents",
                where=f"targets.{name}",
                hint="check the volume, handle time and target for this interval",
            )
        lo = np.where(failing, hi, lo)
        hi = np.where(failing, hi * 2.0, hi)
        failing = ~meets(hi)
    while (hi - lo > 1).any():
        mid = np.floor((lo + hi) / 2.0)
        active = hi - lo > 1
        ok = meets(np.where(active, np.maximum(mid, 1.0), hi))
        hi = np.where(active & ok, mid, hi)
        lo = np.where(active & ~ok, mid, lo)
    return np.where(load > 0, hi, 0.0).astype(np.int64)


def _positions(agents: IntArray, shrinkage: FloatArray) -> IntArray:
    """Scheduled positions so that ``agents`` remain after shrinkage (rounding-safe ceiling)."""
    return np.ceil(agents / (1.0 - shrinkage) - 1e-9).astype(np.int64)


def required_agents(
    volume: ArrayLike,
    *,
    interval_s: ArrayLike,
    aht_s: ArrayLike,
    targets: StaffingTargets | Sequence[StaffingTargets],
    patience_s: ArrayLike | None = None,
    shrinkage: ArrayLike = 0.0,
    concurrency: int = 1,
) -> StaffingRequirement:
    """Agents needed in each interval (Erlang A when ``patience_s`` is given, else Erlang C).

    ``targets`` may be one set or several (e.g. one per queue of a pooled team): the
    requirement meets all of them. ``concurrency`` is the number of chats an agent handles at once.
    """
    offered_load(volume, interval_s=interval_s, aht_s=aht_s)  # validates the three
    shrink = check_array("shrinkage", shrinkage, low=0.0, high=1.0, high_open=True, hint="write 30 % as 0.3")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValidationError(f"{concurrency!r} is not a whole number >= 1", where="concurrency", hint="e.g. 3 chats")
    if patience_s is not None:
        check_array("patience_s", patience_s, low=0.0, low_open=True, hint="give the mean patience in seconds, > 0")
    target_sets = [targets] if isinstance(targets, StaffingTargets) else list(targets)
    if not target_sets:
        raise ValidationError("no targets given", where="targets", hint="give at least one StaffingTargets")
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (volume, interval_s, aht_s)))
    queue: dict[str, FloatArray | None] = {"volume": arrays[0], "interval_s": arrays[1], "aht_s": arrays[2]}
    queue["patience_s"] = (
        None if patience_s is None else np.broadcast_to(np.asarray(patience_s, float), arrays[0].shape)
    )
    needs, names, which = [], [], []
    for index, target_set in enumerate(target_sets):
        for name in target_set.active():
            needs.append(_bisect(name, target_set, concurrency, **queue))
            names.append(name if len(target_sets) == 1 else f"{index}.{name}")
            which.append(target_set)
    stacked = np.stack(needs)
    best = np.argmax(stacked, axis=0)
    agents = np.take_along_axis(stacked, best[None], axis=0)[0]
    # Measures at the requirement, under the first target set's service level definition.
    served = np.maximum(agents, 1) * concurrency
    measures = _measure(served.astype(float), which[0], **queue)  # type: ignore[arg-type]
    return StaffingRequirement(
        agents=agents,
        positions=_positions(agents, np.broadcast_to(shrink, agents.shape)),
        binding=np.asarray(names)[best],
        measures=measures,
    )


def pooled_vs_separate(
    queues: Sequence[QueueDemand],
    *,
    interval_s: ArrayLike,
    shrinkage: ArrayLike = 0.0,
) -> MultiQueueRequirement:
    """Requirement of each queue alone, their sum, and of one team answering all queues."""
    if not queues:
        raise ValidationError("no queues given", where="queues", hint="give at least one QueueDemand")
    with_patience = [q.patience_s is not None for q in queues]
    if any(with_patience) and not all(with_patience):
        raise ValidationError(
            "some queues have a patience and some do not",
            where="queues.patience_s",
            hint="give every queue a mean patience (Erlang A) or none (Erlang C)",
        )
    separate = {
        q.name: required_agents(
            q.volume,
            interval_s=interval_s,
            aht_s=q.aht_s,
            targets=q.targets,
            patience_s=q.patience_s,
            shrinkage=shrinkage,
        )
        for q in queues
    }
    columns = np.broadcast_arrays(*(np.asarray(x, dtype=float) for q in queues for x in (q.volume, q.aht_s)))
    volumes, ahts = np.stack(columns[0::2]), np.stack(columns[1::2])
    weights = volumes / np.maximum(volumes.sum(axis=0), 1e-300)
    aht = np.where(volumes.sum(axis=0) > 0, (weights * ahts).sum(axis=0), ahts.mean(axis=0))
    patience = None
    if all(with_patience):
        rates = np.stack(
            [np.broadcast_to(1.0 / np.asarray(q.patience_s, dtype=float), volumes.shape[1:]) for q in queues]
        )
        patience = 1.0 / np.where(volumes.sum(axis=0) > 0, (weights * rates).sum(axis=0), rates.mean(axis=0))
    pooled = required_agents(
        volumes.sum(axis=0),
        interval_s=interval_s,
        aht_s=aht,
        targets=[q.targets for q in queues],
        patience_s=patience,
        shrinkage=shrinkage,
    )
    total = np.sum([r.agents for r in separate.values()], axis=0).astype(np.int64)
    return MultiQueueRequirement(separate=separate, separate_agents=total, pooled=pooled)
