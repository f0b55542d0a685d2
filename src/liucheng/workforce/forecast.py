"""Contacts per interval for the days ahead, and how accurate that has been on the past.

Models (``Model``):

* ``naive``: the seasonal naive, the same interval one week earlier. Every model must beat it.
* ``mstl``: statsforecast's MSTL on the interval series with a daily and a weekly season, its trend
  by AutoETS; needs two weeks of history.
* ``ets`` / ``theta``: AutoETS / AutoTheta (weekly season) on daily totals, split into intervals by
  the weekday's intraday profile (its share of the day's contacts per interval over the history).
* ``auto``: whichever of the above had the lowest WAPE in the backtest.

Closed hours: a slot of the week (e.g. Saturday 03:00) with no contact in any week of the
history is closed and forecast as 0; every forecast is clipped at 0.

Special days (``SpecialDays``, e.g. ``SpecialDays.from_calendar(china_mainland())``): in the
history a public holiday or a make-up working day (调休) is *excluded*, its intervals replaced by
the mean of the same weekday's normal days, so it does not distort the seasons. In the horizon a
holiday gets the normal forecast times ``holiday_factor`` (the ratio of contacts on the history's
holidays to their replacements, or 1 when the history has none; pass ``holiday_factor=0.0`` for
a centre closed on holidays), and a make-up day gets the mean of the last four normal days of
the weekday it works like (Monday).

Backtest: rolling origin. Each window cuts the series at a day boundary, forecasts the next
``horizon_days`` from the part before with exactly the code that makes the real forecast (special
days and closed hours included, which is why it is a loop over :func:`predict` and not
statsforecast's ``cross_validation``), and scores it. Accuracy is reported per day ahead and over
the whole horizon: WAPE = sum |error| / sum actual; MAPE = mean |error| / actual over intervals
with actual > 0; sMAPE = mean 2 |error| / (actual + forecast) over intervals where either is > 0.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from liucheng.core.calendar import BusinessCalendar
from liucheng.core.errors import ValidationError
from liucheng.workforce.intervals import IntervalSeries, slot_instants

FloatArray = NDArray[np.float64]


class Model(StrEnum):
    AUTO = "auto"
    MSTL = "mstl"
    ETS = "ets"
    THETA = "theta"
    NAIVE = "naive"


#: Days of history each model needs.
MIN_DAYS = {Model.NAIVE: 7, Model.MSTL: 14, Model.ETS: 14, Model.THETA: 14}
CANDIDATES = (Model.MSTL, Model.ETS, Model.THETA, Model.NAIVE)


@dataclass(frozen=True)
class Accuracy:
    """Forecast errors over a set of intervals; ``None`` where the measure is undefined."""

    wape: float | None
    mape: float | None
    smape: float | None
    intervals: int


@dataclass(frozen=True)
class ModelBacktest:
    model: Model
    per_day: tuple[Accuracy, ...]  # index 0 = first day ahead
    overall: Accuracy


@dataclass(frozen=True)
class Backtest:
    cutoffs: tuple[datetime, ...]
    horizon_days: int
    models: tuple[ModelBacktest, ...]

    def best(self) -> Model:
        scored = [m for m in self.models if m.overall.wape is not None]
        if not scored:
            raise ValidationError("no contacts in the backtest windows", where="backtest",
                                  hint="use a longer history")
        return min(scored, key=lambda m: m.overall.wape).model  # type: ignore[arg-type, return-value]


@dataclass(frozen=True)
class Forecast:
    """Contacts per interval of whole local days from ``first_day`` on, with the model and its backtest."""

    first_day: date
    zone: str
    interval_s: int
    values: FloatArray
    model: Model
    backtest: Backtest | None
    holiday_factor: float

    @property
    def start(self) -> datetime:
        return self.instants()[0]

    def instants(self) -> list[datetime]:
        """UTC start of each forecast interval (local wall-clock slots)."""
        return slot_instants(self.first_day, self.zone, self.interval_s, len(self.values))


def accuracy(actual: ArrayLike, forecast: ArrayLike) -> Accuracy:
    """WAPE, MAPE and sMAPE of ``forecast`` against ``actual`` (same length, counts >= 0)."""
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    if a.shape != f.shape:
        raise ValidationError(f"{a.shape} actuals vs {f.shape} forecasts", where="accuracy",
                              hint="give one forecast per actual")
    err = np.abs(a - f)
    total = a.sum()
    positive = a > 0
    either = (a + f) > 0
    return Accuracy(
        wape=float(err.sum() / total) if total > 0 else None,
        mape=float(np.mean(err[positive] / a[positive])) if positive.any() else None,
        smape=float(np.mean(2 * err[either] / (a[either] + f[either]))) if either.any() else None,
        intervals=int(a.size),
    )


def seasonal_naive(history: ArrayLike, *, season: int, horizon: int) -> FloatArray:
    """Each of the next ``horizon`` values is the value one ``season`` earlier (repeating the last one)."""
    h = np.asarray(history, dtype=float)
    if len(h) < season:
        raise ValidationError(f"{len(h)} values, fewer than one season of {season}", where="history",
                              hint="give at least one full week")
    return np.resize(h[len(h) - season :], horizon)


def closed_slots(series: IntervalSeries) -> NDArray[np.bool_]:
    """Slots of the week (Monday 00:00 local first) with no contact in any week of the history."""
    seen = np.zeros(7 * series.per_day, dtype=bool)
    for d, day in enumerate(series.local_dates()):
        block = series.counts[d * series.per_day : (d + 1) * series.per_day]
        w = day.weekday() * series.per_day
        seen[w : w + series.per_day] |= block > 0
    return ~seen


@dataclass(frozen=True)
class SpecialDays:
    """Local dates that do not behave like their weekday: public holidays, and make-up working
    days (调休) that work like ``makeup_weekday`` (Monday) whatever weekday they fall on."""

    holidays: frozenset[date] = frozenset()
    makeup_days: frozenset[date] = frozenset()
    makeup_weekday: int = 0

    @classmethod
    def from_calendar(cls, calendar: BusinessCalendar) -> SpecialDays:
        """The holidays and make-up days of a business calendar, e.g. ``china_mainland()``."""
        return cls(frozenset(calendar.holidays), frozenset(calendar.makeup_workdays), calendar.makeup_weekday)

    def weekday(self, day: date) -> int:
        """The weekday ``day`` works like."""
        return self.makeup_weekday if day in self.makeup_days else day.weekday()


def exclude_special_days(series: IntervalSeries, special: SpecialDays) -> tuple[FloatArray, float]:
    """Counts with holidays and make-up days replaced by their weekday's mean normal day, and the
    holiday factor (contacts on the holidays / contacts of their replacements; 1 without holidays)."""
    days = series.counts.reshape(series.days, series.per_day).copy()
    dates = series.local_dates()
    flagged = np.array([d in special.holidays or d in special.makeup_days for d in dates])
    if not flagged.any():
        return series.counts.copy(), 1.0
    weekdays = np.array([d.weekday() for d in dates])
    observed = replaced = 0.0
    for i in np.flatnonzero(flagged):
        same = (weekdays == weekdays[i]) & ~flagged
        normal = days[same].mean(axis=0) if same.any() else days[~flagged].mean(axis=0)
        if dates[i] in special.holidays:
            observed += days[i].sum()
            replaced += normal.sum()
        days[i] = normal
    return days.ravel(), float(observed / replaced) if replaced > 0 else 1.0


def _typical_day(cleaned: FloatArray, history: IntervalSeries, weekday: int, special: SpecialDays) -> FloatArray:
    """Mean of the last four normal days of ``weekday`` in the (cleaned) history."""
    days = cleaned.reshape(history.days, history.per_day)
    normal = [i for i, d in enumerate(history.local_dates())
              if d.weekday() == weekday and d not in special.holidays and d not in special.makeup_days]
    return days[normal[-4:]].mean(axis=0) if normal else days.mean(axis=0)


def predict(history: IntervalSeries, model: Model, horizon_days: int, *, special: SpecialDays = SpecialDays(),
            holiday_factor: float | None = None) -> tuple[FloatArray, float]:
    """The next ``horizon_days`` of intervals after ``history`` with one model (not ``auto``).

    Returns the forecast and the holiday factor applied to holidays in the horizon.
    """
    if history.days < MIN_DAYS[model]:
        raise ValidationError(f"{model.value} needs {MIN_DAYS[model]} days of history, got {history.days}",
                              where="history", hint="use --model naive or a longer history")
    counts, factor = exclude_special_days(history, special)
    if holiday_factor is not None:
        factor = holiday_factor
    h = horizon_days * history.per_day
    week = 7 * history.per_day
    if model is Model.NAIVE:
        values = seasonal_naive(counts, season=week, horizon=h)
    elif model is Model.MSTL:
        values = _mstl(counts, history.per_day, h)
    else:
        values = _daily_split(history, counts, model, horizon_days)
    dates = [history.first_day + timedelta(days=history.days + d) for d in range(horizon_days)]
    closed = closed_slots(history)
    shape = values.reshape(horizon_days, history.per_day)
    for d, day in enumerate(dates):
        weekday = special.weekday(day)
        if day in special.makeup_days:
            shape[d] = _typical_day(counts, history, weekday, special)
        w = weekday * history.per_day
        shape[d, closed[w : w + history.per_day]] = 0.0
        if day in special.holidays:
            shape[d] *= factor
    return np.maximum(shape.ravel(), 0.0), factor


def _mstl(counts: FloatArray, per_day: int, h: int) -> FloatArray:
    from statsforecast.models import MSTL, AutoETS  # slow to import: only when used

    fitted = MSTL(season_length=[per_day, 7 * per_day], trend_forecaster=AutoETS(model="ZNN"))
    return np.asarray(fitted.forecast(y=counts, h=h)["mean"], dtype=float)


def _daily_split(history: IntervalSeries, counts: FloatArray, model: Model, horizon_days: int) -> FloatArray:
    """Daily totals forecast with AutoETS/AutoTheta, spread by the weekday's intraday profile."""
    from statsforecast.models import AutoETS, AutoTheta

    days = counts.reshape(history.days, history.per_day)
    daily = days.sum(axis=1)
    fitted = AutoETS(season_length=7) if model is Model.ETS else AutoTheta(season_length=7)
    with warnings.catch_warnings():
        # On a short history ETS's variance estimate divides by zero; the point forecast is unaffected.
        warnings.simplefilter("ignore", RuntimeWarning)
        totals = np.maximum(np.asarray(fitted.forecast(y=daily, h=horizon_days)["mean"], dtype=float), 0.0)
    dates = history.local_dates()
    profile = np.zeros((7, history.per_day))
    for d, day in enumerate(dates):
        profile[day.weekday()] += days[d]
    sums = profile.sum(axis=1, keepdims=True)
    profile = np.divide(profile, sums, out=np.zeros_like(profile), where=sums > 0)
    first = dates[-1] + timedelta(days=1)
    rows = [totals[i] * profile[(first + timedelta(days=i)).weekday()] for i in range(horizon_days)]
    return np.concatenate(rows)


def backtest(series: IntervalSeries, *, horizon_days: int, models: Sequence[Model] = CANDIDATES,
             windows: int = 1, step_days: int | None = None, special: SpecialDays = SpecialDays(),
             progress: Callable[[int, int], None] | None = None) -> Backtest:
    """Rolling-origin accuracy of each model: ``windows`` cutoffs ``step_days`` apart, the last
    one ``horizon_days`` before the end. Models without enough history at a cutoff are left out."""
    _check_horizon(horizon_days)
    if isinstance(windows, bool) or not isinstance(windows, int) or windows < 1:
        raise ValidationError(f"{windows!r} is not a whole number >= 1", where="windows", hint="e.g. 3")
    step = horizon_days if step_days is None else step_days
    cutoffs = [series.days - horizon_days - k * step for k in range(windows)][::-1]
    if cutoffs[0] < MIN_DAYS[Model.NAIVE]:
        raise ValidationError(
            f"{series.days} days of history leave too little before the first backtest cutoff",
            where="history", hint=f"need {MIN_DAYS[Model.NAIVE] + horizon_days + (windows - 1) * step} days; "
            "use fewer windows or a shorter horizon")
    usable = [m for m in models if m is not Model.AUTO and cutoffs[0] >= MIN_DAYS[m]]
    per = series.per_day
    results = []
    done = 0
    for model in usable:
        actual, predicted = [], []
        for cut in cutoffs:
            values, _ = predict(series.head(cut), model, horizon_days, special=special)
            actual.append(series.counts[cut * per : (cut + horizon_days) * per])
            predicted.append(values)
            done += 1
            if progress is not None:
                progress(done, len(usable) * len(cutoffs))
        a = np.stack(actual).reshape(len(cutoffs), horizon_days, per)
        f = np.stack(predicted).reshape(len(cutoffs), horizon_days, per)
        per_day = tuple(accuracy(a[:, d].ravel(), f[:, d].ravel()) for d in range(horizon_days))
        results.append(ModelBacktest(model, per_day, accuracy(a.ravel(), f.ravel())))
    starts = tuple(slot_instants(series.first_day + timedelta(days=c), series.zone, series.interval_s, 1)[0]
                   for c in cutoffs)
    return Backtest(starts, horizon_days, tuple(results))


def forecast(series: IntervalSeries, *, horizon_days: int, model: Model = Model.AUTO, windows: int = 1,
             special: SpecialDays = SpecialDays(), holiday_factor: float | None = None,
             progress: Callable[[int, int], None] | None = None) -> Forecast:
    """Forecast the ``horizon_days`` after ``series``; ``auto`` picks the best model in a backtest."""
    _check_horizon(horizon_days)
    model = Model(model)
    run: Backtest | None = None
    if series.days >= MIN_DAYS[Model.NAIVE] + horizon_days * windows:
        # The chosen model is always backtested next to the baseline it has to beat.
        compared = CANDIDATES if model is Model.AUTO else tuple(dict.fromkeys((model, Model.NAIVE)))
        run = backtest(series, horizon_days=horizon_days, models=compared, windows=windows, special=special,
                       progress=progress)
    elif model is Model.AUTO:
        raise ValidationError(f"{series.days} days of history are too few to choose a model",
                              where="history", hint="give a longer history or pick --model")
    if model is Model.AUTO:
        model = run.best()  # type: ignore[union-attr]
    values, factor = predict(series, model, horizon_days, special=special, holiday_factor=holiday_factor)
    first = series.first_day + timedelta(days=series.days)
    return Forecast(first, series.zone, series.interval_s, values, model, run, factor)


def _check_horizon(days: int) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValidationError(f"{days!r} is not a whole number of days >= 1", where="horizon", hint="e.g. 7d")
