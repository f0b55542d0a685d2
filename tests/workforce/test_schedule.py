"""Shift covering: the published 55-shift example, brute force on tiny instances, wrap-around,
breaks, days-off patterns, under-staffing and the errors bad input gets."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from liucheng.core.errors import ValidationError
from liucheng.workforce.schedule import WeeklyRules, day_patterns, schedule_shifts
from liucheng.workforce.shifts import BreakRule, ShiftType, load_shifts

PUBLISHED = [6, 6, 6, 6, 6, 8, 9, 12, 18, 22, 25, 21, 21, 20, 18, 21, 21, 24, 24, 18, 18, 18, 12, 8]


def test_published_24_hour_covering_needs_55_shifts() -> None:
    shifts = [ShiftType(name=f"h{h}", start=f"{h:02d}:00", length_min=480, cost=1) for h in range(24)]
    result = schedule_shifts(PUBLISHED, shifts, interval_min=60)
    assert result.status == "optimal"
    assert result.cost == pytest.approx(55)
    assert sum(c.agents for c in result.counts) == 55
    assert np.all(result.coverage >= PUBLISHED) and not result.understaffed


def _brute_force(req: list[int], masks: list[np.ndarray], costs: list[float]) -> float:
    best = np.inf
    for counts in itertools.product(range(max(req) + 1), repeat=len(masks)):
        coverage = sum(n * m for n, m in zip(counts, masks, strict=True))
        if np.all(coverage >= req):
            best = min(best, sum(n * c for n, c in zip(counts, costs, strict=True)))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_small_coverings_equal_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    req = rng.integers(0, 4, size=6).tolist()  # a day of 4-hour intervals
    shifts = [
        ShiftType(
            name=f"s{k}",
            start=f"{int(rng.integers(0, 6)) * 4:02d}:00",
            length_min=int(rng.integers(1, 4)) * 240,
            cost=float(rng.integers(1, 6)),
        )
        for k in range(3)
    ]
    shifts.append(ShiftType(name="all-day", start="00:00", length_min=1440, cost=20))  # always feasible
    masks = []
    for s in shifts:
        m = np.zeros(6)
        m[(np.arange(s.length_min // 240) + s.start_min // 240) % 6] = 1
        masks.append(m)
    result = schedule_shifts(req, shifts, interval_min=240)
    assert result.cost == pytest.approx(_brute_force(req, masks, [s.unit_cost for s in shifts]))
    assert np.all(result.coverage >= req)


def _week(per_day: int) -> np.ndarray:
    return np.zeros(7 * per_day, dtype=int)


def test_night_shift_covers_the_next_morning_and_sunday_wraps_to_monday() -> None:
    night = ShiftType(name="night", start="22:00", length_min=480)
    req = _week(24)
    req[24 + 3] = 2  # Tuesday 03:00
    req[2] = 1  # Monday 02:00: only Sunday's night shift reaches it
    result = schedule_shifts(req, [night], interval_min=60)
    assert {(c.day, c.agents) for c in result.counts} == {("mon", 2), ("sun", 1)}
    assert result.coverage[22] == 2 and result.coverage[24 + 5] == 2 and result.coverage[24 + 6] == 0
    assert result.coverage[0] == 1 and result.coverage[6 * 24 + 22] == 1


def test_breaks_reduce_coverage_and_are_staggered() -> None:
    shift = ShiftType(
        name="day", start="08:00", length_min=480, breaks=(BreakRule(length_min=60, earliest_min=180, latest_min=240),)
    )
    req = np.zeros(24, dtype=int)
    req[8:16] = 2
    result = schedule_shifts(req, [shift], interval_min=60)
    # brute force: n agents, a on a break at 11:00 and n - a at 12:00, both hours keep 2 on the phones
    fewest = min(n for n in range(10) for a in range(n + 1) if n - a >= 2 and a >= 2)
    assert sum(c.agents for c in result.counts) == fewest == 4
    assert sum(b.agents for b in result.breaks) == 4
    assert all(b.start in ("11:00", "12:00") for b in result.breaks)
    assert np.all(result.coverage[8:16] >= 2)
    assert result.coverage[8] == 4 and result.coverage[11] == result.coverage[12] == 2


def test_opening_hours_exclude_shifts_that_work_while_closed() -> None:
    early = ShiftType(name="early", start="06:00", length_min=480, cost=1)
    late = ShiftType(name="late", start="09:00", length_min=480, cost=5)
    req = np.zeros(24, dtype=int)
    req[9:17] = 1
    open_mask = np.zeros(24, dtype=bool)
    open_mask[8:18] = True
    result = schedule_shifts(req, [early, late], interval_min=60, open_mask=open_mask)
    assert [c.shift for c in result.counts] == ["late"]
    req[7] = 1
    with pytest.raises(ValidationError, match="required while closed"):
        schedule_shifts(req, [early, late], interval_min=60, open_mask=open_mask)


def test_understaffing_is_reported_not_failed() -> None:
    shift = ShiftType(name="day", start="09:00", length_min=480)
    req = np.zeros(48, dtype=int)
    req[20:26] = 5
    result = schedule_shifts(req, [shift], interval_min=30, max_agents=3)
    assert result.coverage[20] == 3
    assert result.understaffed == [(f"Mon {h:02d}:{m:02d}", 2) for h in (10, 11, 12) for m in (0, 30)]
    assert result.under.sum() == 12


def test_max_understaffing_bounds_the_shortfall() -> None:
    shift = ShiftType(name="day", start="09:00", length_min=480)
    req = np.zeros(24, dtype=int)
    req[10] = 5
    with pytest.raises(ValidationError, match="no solution"):
        schedule_shifts(req, [shift], interval_min=60, max_agents=3, max_understaffing=1)
    assert schedule_shifts(req, [shift], interval_min=60, max_agents=4, max_understaffing=1).under[10] == 1


def test_patterns_have_the_days_and_no_long_runs() -> None:
    patterns = day_patterns(WeeklyRules(days_per_week=5, max_consecutive_days=4))
    brute = [
        p
        for p in itertools.combinations(range(7), 5)
        if all(any((s + k) % 7 not in p for k in range(5)) for s in range(7))
    ]
    assert patterns == brute and len(day_patterns(WeeklyRules())) == 21


def test_days_off_formulation_staffs_a_flat_week_with_ceil_7r_over_5_agents() -> None:
    shift = ShiftType(name="day", start="09:00", length_min=480)
    req = _week(24)
    for d in range(7):
        req[d * 24 + 9 : d * 24 + 17] = 10
    result = schedule_shifts(req, [shift], interval_min=60, weekly=WeeklyRules(days_per_week=5, max_consecutive_days=5))
    assert result.agents == 14  # ceil(7 x 10 / 5): each agent covers 5 of the 70 agent-days
    assert all(len(p.days) == 5 for p in result.patterns)
    assert np.all(result.coverage >= req)
    hours = WeeklyRules(days_per_week=5, max_weekly_hours=35)
    with pytest.raises(ValidationError, match="weekly hour bounds"):
        schedule_shifts(req, [shift], interval_min=60, weekly=hours)


@pytest.mark.parametrize(
    ("shift", "req", "message"),
    [
        (ShiftType(name="z", start="09:00", length_min=0), [1] * 24, "length_min is 0"),
        (ShiftType(name="x", start="25:00", length_min=60), [1] * 24, "outside 00:00-23:59"),
        (
            ShiftType(name="b", start="09:00", length_min=240, breaks=(BreakRule(30, 200, 230),)),
            [1] * 24,
            "outside the 240-minute shift",
        ),
        (ShiftType(name="d", start="09:00", length_min=60), [0] * 9 + [1] + [0] * 14, None),
        (ShiftType(name="d", start="09:00", length_min=60), [0] * 10 + [1] + [0] * 13, "Mon 10:00.*no usable shift"),
        (ShiftType(name="d", start="09:00", length_min=60), [0] * 9 + [-1] + [0] * 14, "Mon 09:00.*negative"),
        (ShiftType(name="d", start="09:00", length_min=60), [1] * 23, "a day has 24"),
        (ShiftType(name="d", start="09:00", length_min=60, days=("monday",)), [1] * 24, "subset of"),
    ],
)
def test_bad_input_names_the_problem(shift: ShiftType, req: list[int], message: str | None) -> None:
    if message is None:
        assert schedule_shifts(req, [shift], interval_min=60).cost == pytest.approx(1)
        return
    with pytest.raises(ValidationError, match=message):
        schedule_shifts(req, [shift], interval_min=60)


def test_shift_files_in_toml_and_json(tmp_path) -> None:
    toml = tmp_path / "shifts.toml"
    toml.write_text(
        '[[shift]]\nname = "early"\nstart = "06:00"\nlength_min = 480\ndays = ["mon", "tue"]\n'
        '[[shift.breaks]]\nname = "lunch"\nlength_min = 30\nearliest_min = 180\nlatest_min = 300\n'
    )
    (shift,) = load_shifts(toml)
    assert shift.breaks[0].name == "lunch" and shift.paid_min == 450 and shift.days == ("mon", "tue")
    js = tmp_path / "shifts.json"
    js.write_text(json.dumps({"shift": [{"name": "late", "start": "14:00", "length_min": 480, "colour": "red"}]}))
    with pytest.raises(ValidationError, match=r"shifts\.json.*colour"):
        load_shifts(js)


def test_large_days_off_model_covers_and_costs_no_less_than_daily_counts() -> None:
    """504 pattern columns: the integer phase keeps a priced subset; the result must still cover,
    give every agent exactly 5 days and cost at least the daily-count optimum (a relaxation)."""
    hours = (np.arange(24) + 0.5)[None, :]
    factors = np.array([1.0, 1.0, 0.9, 0.9, 0.8, 0.5, 0.4])[:, None]
    req = np.ceil(factors * (2 + 10 * np.exp(-(((hours - 11) / 4) ** 2)))).astype(int).ravel()
    shifts = [ShiftType(name=f"h{h}", start=f"{h:02d}:00", length_min=480, cost=8) for h in range(24)]
    daily = schedule_shifts(req, shifts, interval_min=60)
    weekly = schedule_shifts(req, shifts, interval_min=60, weekly=WeeklyRules(days_per_week=5), time_limit_s=3)
    assert weekly.status in ("optimal", "restricted", "time_limit")
    assert np.all(weekly.coverage >= req)
    assert weekly.cost >= daily.cost - 1e-6
    assert sum(c.agents for c in weekly.counts) == 5 * weekly.agents
    assert 0 <= weekly.mip_gap < 0.2


def test_part_time_shifts_get_their_own_days_and_skip_the_minimum_hours() -> None:
    full = ShiftType(name="full", start="09:00", length_min=480, cost=8)
    part = ShiftType(name="part", start="12:00", length_min=240, cost=3, part_time=True)
    req = _week(24)
    for d in range(7):
        req[d * 24 + 9 : d * 24 + 17] = 3
        req[d * 24 + 12 : d * 24 + 16] = 4
    rules = WeeklyRules(days_per_week=5, min_weekly_hours=30, part_time_days_per_week=3)
    result = schedule_shifts(req, [full, part], interval_min=60, weekly=rules)
    assert {len(p.days) for p in result.patterns if p.shift == "part"} == {3}
    assert {len(p.days) for p in result.patterns if p.shift == "full"} == {5}
    assert np.all(result.coverage >= req)
    # 12 hours a week is under the 30-hour minimum, which binds full-time agents only
    assert any(p.shift == "part" for p in result.patterns)


def test_bad_options_are_named() -> None:
    shift = ShiftType(name="d", start="09:00", length_min=60)
    with pytest.raises(ValidationError, match="schedule options: max_understaffing is -1"):
        schedule_shifts([1] * 24, [shift], interval_min=60, max_understaffing=-1)
    with pytest.raises(ValidationError, match="understaffing_penalty is 0"):
        schedule_shifts([1] * 24, [shift], interval_min=60, understaffing_penalty=0)
