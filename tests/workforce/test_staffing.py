"""Agents per interval: published example, a linear scan over agents, targets, queues, errors."""

from __future__ import annotations

import numpy as np
import pytest

from liucheng.core.errors import ValidationError
from liucheng.workforce.queueing import ServiceLevelConvention, queue_measures
from liucheng.workforce.staffing import QueueDemand, StaffingTargets, pooled_vs_separate, required_agents


def _day_profile() -> np.ndarray:
    """96 quarter-hours: a night trough and two peaks (mid-morning, mid-afternoon)."""
    hours = np.arange(96) / 4
    return 20 + 400 * np.exp(-(((hours - 10.5) / 2.5) ** 2)) + 300 * np.exp(-(((hours - 15) / 2.5) ** 2))


def _scan(volume: float, aht_s: float, patience_s: float | None, ok) -> int:
    """Smallest agents found by trying 1, 2, 3, ... one at a time."""
    n = 1
    while True:
        m = queue_measures(n, volume=volume, interval_s=900, aht_s=aht_s, patience_s=patience_s, target_s=20)
        stable = patience_s is not None or n > volume * aht_s / 900
        if stable and ok(m):
            return n
        n += 1


def test_call_centre_helper_requirement_and_shrinkage() -> None:
    """references/erlang.md: 80 % in 20 s needs 14 agents; 30 % shrinkage makes 20 positions."""
    r = required_agents(
        100, interval_s=1800, aht_s=180, targets=StaffingTargets(service_level=0.8, target_s=20), shrinkage=0.3
    )
    assert int(r.agents) == 14 and int(r.positions) == 20
    assert float(r.measures.service_level) == pytest.approx(0.8884, abs=5e-5)


@pytest.mark.parametrize("patience_s", [None, 90.0])
def test_requirement_is_the_smallest_number_meeting_each_target(patience_s: float | None) -> None:
    volume = _day_profile()[::8]
    cases = [
        (StaffingTargets(service_level=0.8, target_s=20), lambda m: m.service_level >= 0.8),
        (StaffingTargets(max_asa_s=15), lambda m: m.asa_s <= 15),
        (StaffingTargets(max_occupancy=0.85), lambda m: m.occupancy <= 0.85),
    ]
    if patience_s is not None:
        cases.append((StaffingTargets(max_abandon_rate=0.02), lambda m: m.abandon_rate <= 0.02))
    for targets, ok in cases:
        got = required_agents(volume, interval_s=900, aht_s=240, targets=targets, patience_s=patience_s).agents
        assert got.tolist() == [_scan(v, 240, patience_s, ok) for v in volume]


def test_several_targets_take_the_largest_and_name_it() -> None:
    volume = _day_profile()
    sl = StaffingTargets(service_level=0.8, target_s=20)
    occ = StaffingTargets(max_occupancy=0.9)
    both = StaffingTargets(service_level=0.8, target_s=20, max_occupancy=0.9)
    kw = {"interval_s": 900, "aht_s": 240, "patience_s": 180.0}
    alone = [required_agents(volume, targets=t, **kw).agents for t in (sl, occ)]
    r = required_agents(volume, targets=both, **kw)
    assert np.array_equal(r.agents, np.maximum(*alone))
    assert set(r.binding[alone[1] > alone[0]]) == {"max_occupancy"}
    assert set(r.binding[alone[0] > alone[1]]) == {"service_level"}


def test_conventions_order_the_requirement() -> None:
    """Counting abandons as missed is the strictest convention; over answered only the most lenient."""
    volume = _day_profile()
    need = {
        c: required_agents(
            volume,
            interval_s=900,
            aht_s=240,
            patience_s=60.0,
            targets=StaffingTargets(service_level=0.8, target_s=30, convention=c, short_abandon_s=10),
        ).agents
        for c in ServiceLevelConvention
    }
    assert np.all(need["all_arrivals"] >= need["exclude_short_abandons"])
    assert np.all(need["exclude_short_abandons"] >= need["answered_only"])
    assert np.any(need["all_arrivals"] > need["answered_only"])


def test_convention_given_by_name_is_the_convention() -> None:
    kw = {"interval_s": 900, "aht_s": 240, "patience_s": 60.0}
    by_name = StaffingTargets(service_level=0.8, convention="answered_only")
    by_enum = StaffingTargets(service_level=0.8, convention=ServiceLevelConvention.ANSWERED_ONLY)
    assert by_name == by_enum
    volume = _day_profile()
    assert np.array_equal(
        required_agents(volume, targets=by_name, **kw).agents, required_agents(volume, targets=by_enum, **kw).agents
    )


def test_unstable_erlang_c_reports_no_service() -> None:
    m = queue_measures([9, 10], volume=100, interval_s=1800, aht_s=180)
    assert m.p_wait.tolist() == [1.0, 1.0] and m.service_level.tolist() == [0.0, 0.0]
    assert np.all(np.isinf(m.asa_s)) and np.all(np.isinf(m.queue_length))


def test_zero_volume_needs_nobody() -> None:
    r = required_agents([0, 10], interval_s=900, aht_s=240, targets=StaffingTargets(service_level=0.8))
    assert r.agents[0] == 0 and r.agents[1] >= 1


def test_chat_concurrency_staffs_slots() -> None:
    """Three chats per agent: agents = smallest n whose 3n slots meet the target."""
    volume = _day_profile()[::8]
    targets = StaffingTargets(service_level=0.8, target_s=60)
    got = required_agents(volume, interval_s=900, aht_s=600, targets=targets, concurrency=3).agents
    for v, n in zip(volume, got, strict=True):
        slots = queue_measures(np.array([3 * n - 3, 3 * n]), volume=v, interval_s=900, aht_s=600, target_s=60)
        ok = (slots.service_level >= 0.8) & (slots.agents > slots.load_erlangs)
        assert ok.tolist() == [False, True]


def test_pooling_never_needs_more_than_separate_queues() -> None:
    volume = _day_profile()
    queues = [
        QueueDemand("billing", volume, 240, StaffingTargets(service_level=0.8, target_s=20)),
        QueueDemand("faults", volume / 3, 420, StaffingTargets(service_level=0.9, target_s=30)),
        QueueDemand("sales", volume / 5, 300, StaffingTargets(max_asa_s=10)),
    ]
    result = pooled_vs_separate(queues, interval_s=900, shrinkage=0.25)
    alone = [required_agents(q.volume, interval_s=900, aht_s=q.aht_s, targets=q.targets).agents for q in queues]
    assert np.array_equal(result.separate_agents, np.sum(alone, axis=0))
    assert np.all(result.pooling_gain >= 0) and result.pooling_gain.sum() > 0
    assert np.all(result.pooled.positions >= result.pooled.agents)
    # The pooled team meets every queue's target on the pooled queue.
    total = volume * (1 + 1 / 3 + 1 / 5)
    aht = (240 * volume + 420 * volume / 3 + 300 * volume / 5) / total
    m = queue_measures(result.pooled.agents, volume=total, interval_s=900, aht_s=aht, target_s=30)
    assert np.all(m.service_level >= 0.9) and np.all(m.asa_s <= 10)


def test_pooling_with_abandonment_uses_the_mean_abandonment_rate() -> None:
    volume = _day_profile()[::4]
    targets = StaffingTargets(service_level=0.8, target_s=20)
    queues = [QueueDemand("a", volume, 240, targets, 120.0), QueueDemand("b", volume, 240, targets, 360.0)]
    result = pooled_vs_separate(queues, interval_s=900)
    # Equal volumes: abandonment rate (1/120 + 1/360) / 2, i.e. mean patience 180 s.
    alone = required_agents(2 * volume, interval_s=900, aht_s=240, targets=targets, patience_s=180.0)
    assert np.array_equal(result.pooled.agents, alone.agents)
    assert np.all(result.pooling_gain >= 0)
    with pytest.raises(ValidationError, match="patience"):
        pooled_vs_separate([queues[0], QueueDemand("c", volume, 240, targets)], interval_s=900)


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"volume": -1}, "volume"),
        ({"aht_s": 0}, "aht_s"),
        ({"patience_s": 0.0}, "patience_s"),
        ({"shrinkage": 1.0}, "shrinkage"),
        ({"concurrency": 0}, "concurrency"),
    ],
)
def test_bad_inputs_name_the_parameter(kwargs: dict, where: str) -> None:
    args = {"volume": [10, 20], "interval_s": 900, "aht_s": 240, "targets": StaffingTargets(service_level=0.8)}
    args.update(kwargs)
    with pytest.raises(ValidationError) as err:
        required_agents(**args)
    assert err.value.where.startswith(where) and err.value.hint


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"service_level": 1.2}, "targets.service_level"),
        ({"service_level": 0.8, "target_s": -1}, "targets.target_s"),
        ({"max_abandon_rate": 0.0}, "targets.max_abandon_rate"),
        ({}, "targets"),
        ({"service_level": 0.8, "convention": "most"}, "targets.convention"),
    ],
)
def test_bad_targets_name_the_field(kwargs: dict, where: str) -> None:
    with pytest.raises(ValidationError) as err:
        StaffingTargets(**kwargs)
    assert err.value.where == where


def test_bad_measure_inputs_point_at_the_element() -> None:
    with pytest.raises(ValidationError) as err:
        queue_measures(10, volume=[5, -3], interval_s=900, aht_s=240)
    assert err.value.where == "volume[1]"
    with pytest.raises(ValidationError, match="target_s"):
        queue_measures(10, volume=5, interval_s=900, aht_s=240, target_s=-5)
    with pytest.raises(ValidationError, match="convention"):
        queue_measures(10, volume=5, interval_s=900, aht_s=240, convention="half")
