"""Interval counts, accuracy measures, the seasonal naive, closed hours, holidays and bad input."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liucheng.core.errors import ValidationError
from liucheng.eventlog.table import from_arrow
from liucheng.workforce.forecast import (
    Model,
    SpecialDays,
    accuracy,
    backtest,
    closed_slots,
    exclude_special_days,
    forecast,
    predict,
    seasonal_naive,
)
from liucheng.workforce.intervals import IntervalSeries, count_per_interval, read_counts_csv, series_from_event_table

SHANGHAI = "Asia/Shanghai"


def test_accuracy_against_hand_computation() -> None:
    actual = [10, 0, 5, 20]
    predicted = [8, 2, 5, 25]
    got = accuracy(actual, predicted)
    # |e| = 2, 2, 0, 5 -> 9 over 35 actual
    assert got.wape == pytest.approx(9 / 35)
    # MAPE skips the zero actual: (2/10 + 0/5 + 5/20) / 3
    assert got.mape == pytest.approx((0.2 + 0.0 + 0.25) / 3)
    # sMAPE: 2|e|/(a+f) = 4/18, 4/2, 0/10, 10/45
    assert got.smape == pytest.approx((4 / 18 + 2 + 0 + 10 / 45) / 4)
    assert got.intervals == 4


def test_accuracy_undefined_when_nothing_happened() -> None:
    got = accuracy([0, 0], [0, 0])
    assert (got.wape, got.mape, got.smape) == (None, None, None)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=7, max_size=40), st.integers(1, 7), st.integers(1, 30))
def test_seasonal_naive_is_a_shift_by_one_season(history: list[int], season: int, horizon: int) -> None:
    got = seasonal_naive(history, season=season, horizon=horizon)
    n = len(history)
    for i in range(horizon):
        # brute force: step back whole seasons from the forecast time until inside the history
        t = n + i
        while t >= n:
            t -= season
        assert got[i] == history[t]


def _grid(days: int, per_day: int = 48, *, start: date = date(2026, 3, 2), zone: str = SHANGHAI,
          fill: float = 1.0) -> IntervalSeries:
    return IntervalSeries(start, 86_400 // per_day, np.full(days * per_day, fill), zone)


def test_counts_are_zero_filled_over_whole_local_days() -> None:
    tz = "Asia/Shanghai"  # UTC+8: 2026-03-02 00:00 local is 2026-03-01 16:00Z
    stamps = [datetime(2026, 3, 2, 1, 10, tzinfo=UTC), datetime(2026, 3, 2, 1, 20, tzinfo=UTC),
              datetime(2026, 3, 3, 15, 59, tzinfo=UTC)]
    series = count_per_interval(stamps, interval_min=30, zone=tz)
    assert series.start == datetime(2026, 3, 1, 16, tzinfo=UTC)
    assert series.days == 2 and len(series.counts) == 96
    slot = (9 * 60 + 10) // 30  # 09:10 local
    assert series.counts[slot] == 2
    assert series.counts[-1] == 1  # 23:59 local on the second day
    assert series.counts.sum() == 3


def test_daylight_saving_days_keep_wall_clock_slots() -> None:
    # Amsterdam 2025: 30 March skips 02:00-03:00, 26 October shows 02:00-03:00 twice
    stamps = [datetime(2025, 3, 30, 0, 30, tzinfo=UTC), datetime(2025, 3, 30, 1, 30, tzinfo=UTC),
              datetime(2025, 10, 26, 0, 30, tzinfo=UTC), datetime(2025, 10, 26, 1, 30, tzinfo=UTC),
              datetime(2025, 10, 26, 7, 0, tzinfo=UTC)]
    series = count_per_interval(stamps, interval_min=60, zone="Europe/Amsterdam")
    days = series.counts.reshape(series.days, 24)
    spring = (date(2025, 3, 30) - series.first_day).days
    autumn = (date(2025, 10, 26) - series.first_day).days
    assert days[spring, 1] == 1 and days[spring, 2] == 0 and days[spring, 3] == 1  # 01:30, (02:xx never), 03:30
    assert days[autumn, 2] == 2 and days[autumn, 8] == 1  # 02:30 twice; 07:00Z is 08:00 local (CET)
    assert series.start == datetime(2025, 3, 29, 23, tzinfo=UTC)


def test_cases_opened_counts_each_case_once_at_its_first_event() -> None:
    t0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    table = pa.table({
        "case_id": ["a", "a", "b", "c"],
        "activity": ["open", "close", "open", "open"],
        "timestamp": pa.array([t0, t0 + timedelta(hours=3), t0 + timedelta(minutes=14), t0 + timedelta(hours=2)],
                              pa.timestamp("us", tz="UTC")),
    })
    series = series_from_event_table(from_arrow(table), interval_min=15, zone="UTC")
    assert series.counts.sum() == 3
    assert series.counts[4] == 2 and series.counts[12] == 1  # 01:00-01:15 and 03:00-03:15


def test_counts_csv_sums_rows_of_a_slot(tmp_path: Path) -> None:
    path = tmp_path / "counts.csv"
    path.write_text("timestamp,count\n2026-03-02T09:00:00+08:00,4\n2026-03-02T09:10:00+08:00,3\n"
                    "2026-03-03T10:00:00+08:00,1\n")
    series = read_counts_csv(path, interval_min=30, zone=SHANGHAI)
    assert series.days == 2
    assert series.counts[18] == 7 and series.counts[48 + 20] == 1 and series.counts.sum() == 8


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("timestamp,count\n2026-03-02T09:00:00,4\n", "counts.csv:2 [timestamp]"),
        ("timestamp,count\n2026-03-02T09:00:00+08:00,-4\n", "counts.csv:2 [count]"),
        ("timestamp,calls\n2026-03-02T09:00:00+08:00,4\n", "counts.csv:1"),
    ],
)
def test_bad_counts_csv_names_the_place(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "counts.csv"
    path.write_text(text)
    with pytest.raises(ValidationError) as err:
        read_counts_csv(path, interval_min=30, zone=SHANGHAI)
    assert err.value.where is not None and err.value.where.endswith(where)


def test_naive_timestamps_and_bad_intervals_are_rejected() -> None:
    with pytest.raises(ValidationError, match="no time zone"):
        count_per_interval([datetime(2026, 3, 2, 9)], interval_min=30, zone=SHANGHAI)
    with pytest.raises(ValidationError, match="does not divide a day"):
        count_per_interval([datetime(2026, 3, 2, 9, tzinfo=UTC)], interval_min=7, zone=SHANGHAI)


def test_closed_slots_are_forecast_as_zero() -> None:
    series = _grid(14, per_day=24)
    series.counts.reshape(14, 24)[:, :6] = 0.0  # closed 00:00-06:00 every day
    series.counts.reshape(14, 24)[12, 3] = 2.0  # one night call on the last Saturday
    closed = closed_slots(series)
    assert closed.reshape(7, 24)[:, :6].sum() == 7 * 6 - 1
    assert not closed.reshape(7, 24)[5, 3]
    values, _ = predict(series, Model.NAIVE, 7)
    assert np.all(values.reshape(7, 24)[:, :3] == 0) and values.reshape(7, 24)[5, 3] == 2.0


def test_holidays_are_excluded_from_history_and_scaled_in_the_horizon() -> None:
    series = _grid(21, per_day=24, fill=10.0)  # Monday 2 March 2026 on
    series.counts.reshape(21, 24)[9] = 2.0  # Wednesday 11 March a holiday with a fifth of the volume
    holiday = date(2026, 3, 11)
    cleaned, factor = exclude_special_days(series, SpecialDays(holidays=frozenset({holiday})))
    assert factor == pytest.approx(0.2)
    assert np.all(cleaned == 10.0)
    values, _ = predict(series, Model.NAIVE, 7, special=SpecialDays(holidays=frozenset({holiday, date(2026, 3, 25)})))
    days = values.reshape(7, 24)
    assert np.all(days[2] == pytest.approx(2.0)) and np.all(days[[0, 1, 3, 4, 5, 6]] == 10.0)


def test_make_up_working_days_work_like_a_monday() -> None:
    series = _grid(21, per_day=24, fill=0.0)  # Monday 2 March 2026 on
    days = series.counts.reshape(21, 24)
    for d in range(21):
        weekday = d % 7
        days[d, 9:18] = 0.0 if weekday == 6 else 10.0 + weekday  # closed Sundays; Monday 10, Tuesday 11 ...
    days[6, 9:18] = 30.0  # Sunday 8 March was a make-up working day (busy)
    days[14, 9:18] = 13.0  # Monday 16 March quieter than usual
    special = SpecialDays(makeup_days=frozenset({date(2026, 3, 8), date(2026, 3, 29)}))
    cleaned, factor = exclude_special_days(series, special)
    assert factor == 1.0 and np.all(cleaned.reshape(21, 24)[6] == 0.0)  # replaced by the normal Sundays
    values, _ = predict(series, Model.NAIVE, 7, special=special)
    sunday = values.reshape(7, 24)[6]
    # brute force: the mean of the normal Mondays of the history, 10, 13 and 10, in the open hours
    assert np.allclose(sunday[9:18], 11.0) and np.all(sunday[:9] == 0) and np.all(sunday[18:] == 0)
    assert np.all(values.reshape(7, 24)[0, 9:18] == 13.0)  # the naive copies last Monday


def _weekly_series(weeks: int, seed: int = 7) -> IntervalSeries:
    """Hourly Poisson counts with an intraday and a weekly shape, closed at night."""
    rng = np.random.default_rng(seed)
    hours = np.arange(24)
    day_shape = np.where((hours >= 8) & (hours < 22), 30 + 25 * np.sin((hours - 8) / 14 * math.pi), 0.0)
    week_shape = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.4])
    mean = np.concatenate([day_shape * w for w in week_shape] * weeks)
    series = _grid(7 * weeks, per_day=24)
    return IntervalSeries(series.first_day, series.interval_s, rng.poisson(mean).astype(float), series.zone)


@pytest.mark.slow
def test_backtest_per_day_ahead_matches_a_direct_holdout() -> None:
    series = _weekly_series(5)
    run = backtest(series, horizon_days=7, models=(Model.NAIVE, Model.THETA), windows=2)
    assert len(run.cutoffs) == 2 and run.cutoffs[1] - run.cutoffs[0] == timedelta(days=7)
    naive = next(m for m in run.models if m.model is Model.NAIVE)
    # brute force: both windows' naive forecasts by hand, day 3 ahead pooled over windows
    counts = series.counts.reshape(35, 24)
    actual = np.concatenate([counts[21 + 2], counts[28 + 2]])
    predicted = np.concatenate([counts[14 + 2], counts[21 + 2]])
    assert naive.per_day[2].wape == pytest.approx(np.abs(actual - predicted).sum() / actual.sum())
    theta = next(m for m in run.models if m.model is Model.THETA)
    assert theta.overall.wape < naive.overall.wape  # smoothing beats a noisy copy of last week


def test_forecast_with_too_little_history_says_so() -> None:
    with pytest.raises(ValidationError, match="too few"):
        forecast(_grid(8), horizon_days=7)
    with pytest.raises(ValidationError, match="mstl needs 14 days"):
        predict(_grid(10), Model.MSTL, 7)
    with pytest.raises(ValidationError, match="horizon"):
        forecast(_grid(21), horizon_days=0)


@pytest.mark.slow
def test_backtest_forecasts_equal_statsforecast_cross_validation() -> None:
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import MSTL, AutoETS, SeasonalNaive

    rng = np.random.default_rng(11)
    hours = np.arange(24 * 21)
    mean = 40 + 20 * np.sin(hours % 24 / 24 * 2 * math.pi) + 10 * (hours // 24 % 7 < 5)
    series = _grid(21, per_day=24)
    series = IntervalSeries(series.first_day, 3600, rng.poisson(mean).astype(float), series.zone)
    frame = pd.DataFrame({"unique_id": "s", "ds": pd.date_range("2026-03-02", periods=len(hours), freq="h"),
                          "y": series.counts})
    models = [MSTL(season_length=[24, 168], trend_forecaster=AutoETS(model="ZNN")), SeasonalNaive(season_length=168)]
    theirs = StatsForecast(models=models, freq="h").cross_validation(df=frame, h=48, n_windows=1)
    for ours, column in ((Model.MSTL, "MSTL"), (Model.NAIVE, "SeasonalNaive")):
        values, _ = predict(series.head(19), ours, 2)
        assert np.allclose(values, np.maximum(theirs[column].to_numpy(), 0.0), rtol=1e-6, atol=1e-6), column
