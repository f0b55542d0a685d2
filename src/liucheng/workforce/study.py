"""The Anonymous Bank study: forecast the last week of February 1999 and staff it with Erlang A.

The file holds four whole weeks (Monday 1 to Sunday 28 February 1999). The first three are the
history, the fourth is forecast and compared with what happened. The forecast then becomes agents
per interval with :func:`liucheng.workforce.staffing.required_agents`:

* handle time: the mean ``ser_time`` of the calls an agent served (``ser_time > 0``);
* patience: exponential patience fitted to the queue times by maximum likelihood with censoring,
  ``mean patience = (sum of queue times of all calls that queued) / (number that abandoned)``.
  A served call's wait is a lower bound of its patience (it was censored by service), an abandoned
  call's wait is its patience; this is the estimator Brown et al. (2005) used on these data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np

from liucheng.core.errors import ValidationError
from liucheng.workforce.callrecords import CallRecords, count_intervals, read_call_records
from liucheng.workforce.forecast import Forecast, Model, forecast
from liucheng.workforce.intervals import BANK_ZONE, count_per_interval, slot_instants
from liucheng.workforce.schedule import ScheduleResult, schedule_shifts
from liucheng.workforce.shifts import ShiftType
from liucheng.workforce.staffing import StaffingRequirement, StaffingTargets, required_agents

#: The February records: under $LIUCHENG_SHARED_DATA, or the ``shared/data`` folder beside a checkout.
BANK_FILE = Path(os.environ.get("LIUCHENG_SHARED_DATA") or Path(__file__).resolve().parents[4] / "shared" / "data") \
    / "callcentre_anonymous_bank" / "data_anonymous_bank_february.txt.gz"
HISTORY_DAYS = 21
HORIZON_DAYS = 7


@dataclass(frozen=True)
class CallParameters:
    """Handle time and patience estimated from call records."""

    aht_s: float
    patience_s: float
    served: int
    abandoned: int


@dataclass(frozen=True)
class BankStudy:
    forecast: Forecast
    actual: np.ndarray
    parameters: CallParameters
    requirement: StaffingRequirement


def call_parameters(calls: CallRecords) -> CallParameters:
    """Mean handle time of served calls and the censored-MLE mean patience (see module doc)."""
    served = calls.service_s > 0
    queued = calls.wait_s > 0
    abandoned = (calls.outcome == "HANG") & queued
    if not served.any() or not abandoned.any():
        raise ValidationError("need served and abandoned calls to estimate handle time and patience",
                              where="call records", hint="give a longer period of calls")
    return CallParameters(
        aht_s=float(calls.service_s[served].mean()),
        patience_s=float(calls.wait_s[queued].sum() / abandoned.sum()),
        served=int(served.sum()),
        abandoned=int(abandoned.sum()),
    )


def anonymous_bank_requirement(
    path: str | Path = BANK_FILE,
    *,
    interval_min: int = 30,
    model: Model = Model.AUTO,
    targets: StaffingTargets | None = None,
    shrinkage: float = 0.0,
) -> BankStudy:
    """Forecast the fourth week from the first three and the agents it needs per interval.

    Handle time and patience come from the three history weeks only, like the forecast.
    The default target is 80 % of calls answered within 20 s.
    """
    calls = read_call_records(path)
    entered = calls.entry_instants(BANK_ZONE)
    series = count_per_interval(entered, interval_min=interval_min, zone=BANK_ZONE)
    if series.days < HISTORY_DAYS + HORIZON_DAYS:
        raise ValidationError(f"{series.days} days of calls, need {HISTORY_DAYS + HORIZON_DAYS}", where=str(path),
                              hint="give the whole February 1999 file")
    history = series.head(HISTORY_DAYS)
    (cut_at,) = slot_instants(history.first_day + timedelta(days=HISTORY_DAYS), BANK_ZONE, series.interval_s, 1)
    cut = np.datetime64(cut_at.replace(tzinfo=None), "us")
    params = call_parameters(calls.select(entered < cut))
    predicted = forecast(history, horizon_days=HORIZON_DAYS, model=model)
    actual = series.counts[HISTORY_DAYS * series.per_day : (HISTORY_DAYS + HORIZON_DAYS) * series.per_day]
    requirement = required_agents(
        predicted.values,
        interval_s=series.interval_s,
        aht_s=params.aht_s,
        patience_s=params.patience_s,
        targets=targets or StaffingTargets(service_level=0.8, target_s=20.0),
        shrinkage=shrinkage,
    )
    return BankStudy(predicted, actual, params, requirement)


#: The centre's eight shifts, an hourly 0/1 table (data_anonymous_bank_shifts.csv).
BANK_SHIFTS_FILE = BANK_FILE.with_name("data_anonymous_bank_shifts.csv")


def read_centre_shifts(path: str | Path = BANK_SHIFTS_FILE) -> tuple[ShiftType, ...]:
    """Shift types from an hourly coverage table: ``Hour,StartTime,Shift1,...``, 1 where the shift works.

    Each shift must cover one run of consecutive hours (it may wrap past midnight).
    """
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if len(rows) != 24:
        raise ValidationError(f"{len(rows)} hour rows, expected 24", where=str(path))
    names = [n for n in rows[0] if n not in ("Hour", "StartTime")]
    shifts = []
    for name in names:
        hours = [h for h, row in enumerate(rows) if row[name].strip() == "1"]
        if not hours:
            raise ValidationError(f"shift {name} covers no hour", where=f"{path} [{name}]")
        # The first hour of the run: the covered hour whose previous hour is not covered.
        start = next(h for h in hours if (h - 1) % 24 not in hours)
        shifts.append(ShiftType(name=name, start=f"{start:02d}:00", length_min=60 * len(hours)))
    return tuple(shifts)


@dataclass(frozen=True)
class BankSchedule:
    """The study carried to the end: the forecast week scheduled with the centre's shifts."""

    study: BankStudy
    schedule: ScheduleResult
    #: Per interval: forecast calls, calls that came, agents scheduled, predicted SL, achieved SL (NaN: no calls).
    predicted_sl: np.ndarray
    predicted_sl_at_actual: np.ndarray
    achieved_sl: np.ndarray
    arrivals: np.ndarray
    answered_in_target: np.ndarray

    def weighted(self, values: np.ndarray, weights: np.ndarray) -> float:
        keep = ~np.isnan(values) & (weights > 0)
        return float(np.sum(values[keep] * weights[keep]) / np.sum(weights[keep]))

    @property
    def week_predicted_sl(self) -> float:
        """Service level the schedule predicts over the week, weighted by the forecast calls."""
        return self.weighted(self.predicted_sl, self.study.forecast.values)

    @property
    def week_predicted_sl_at_actual(self) -> float:
        """The same schedule at the calls that came."""
        return self.weighted(self.predicted_sl_at_actual, self.arrivals.astype(float))

    @property
    def week_achieved_sl(self) -> float:
        """What the records show: calls answered within 20 s over all calls that reached the agents."""
        return float(self.answered_in_target.sum() / self.arrivals.sum())


def bank_schedule(path: str | Path = BANK_FILE, *, shifts_path: str | Path | None = None,
                  target_s: float = 20.0) -> BankSchedule:
    """Forecast the last week, staff it (Erlang A, 80 % in 20 s), schedule it with the centre's eight
    shifts, and set the schedule's predicted service level beside the one the records show."""
    from datetime import date

    from liucheng.workforce.queueing import queue_measures

    study = anonymous_bank_requirement(path, interval_min=30)
    shifts = read_centre_shifts(shifts_path or Path(path).with_name(BANK_SHIFTS_FILE.name))
    schedule = schedule_shifts(study.requirement.agents, shifts, interval_min=30)
    params = study.parameters
    agents = schedule.coverage.astype(float)

    def sl(volume: np.ndarray) -> np.ndarray:
        measured = queue_measures(np.maximum(agents, 1e-9), volume=volume, interval_s=1800, aht_s=params.aht_s,
                                  patience_s=params.patience_s, target_s=target_s).service_level
        # Nobody scheduled: nobody answered.
        return np.where(agents > 0, measured, np.where(volume > 0, 0.0, np.nan))

    first = date(1999, 2, 1) + timedelta(days=HISTORY_DAYS)
    counts = count_intervals(read_call_records(path), first_day=first, n_days=HORIZON_DAYS, interval_min=30,
                             target_s=target_s)
    with np.errstate(invalid="ignore", divide="ignore"):
        achieved = np.where(counts.arrivals > 0, counts.answered_in_target / counts.arrivals, np.nan)
    return BankSchedule(study=study, schedule=schedule, predicted_sl=sl(study.forecast.values),
                        predicted_sl_at_actual=sl(counts.arrivals.astype(float)), achieved_sl=achieved,
                        arrivals=counts.arrivals, answered_in_target=counts.answered_in_target)
