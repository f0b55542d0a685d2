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

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np

from liucheng.core.errors import ValidationError
from liucheng.workforce.forecast import Forecast, Model, forecast
from liucheng.workforce.intervals import (
    BANK_ZONE,
    CallRecords,
    count_per_interval,
    read_call_records,
    slot_instants,
)
from liucheng.workforce.staffing import StaffingRequirement, StaffingTargets, required_agents

BANK_FILE = Path("/work/shared/data/callcentre_anonymous_bank/data_anonymous_bank_february.txt.gz")
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
    queued = calls.queue_s > 0
    abandoned = (calls.outcome == "HANG") & queued
    if not served.any() or not abandoned.any():
        raise ValidationError("need served and abandoned calls to estimate handle time and patience",
                              where="call records", hint="give a longer period of calls")
    return CallParameters(
        aht_s=float(calls.service_s[served].mean()),
        patience_s=float(calls.queue_s[queued].sum() / abandoned.sum()),
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
    calls = read_call_records(path, zone=BANK_ZONE)
    series = count_per_interval(calls.arrival, interval_min=interval_min, zone=BANK_ZONE)
    if series.days < HISTORY_DAYS + HORIZON_DAYS:
        raise ValidationError(f"{series.days} days of calls, need {HISTORY_DAYS + HORIZON_DAYS}", where=str(path),
                              hint="give the whole February 1999 file")
    history = series.head(HISTORY_DAYS)
    (cut_at,) = slot_instants(history.first_day + timedelta(days=HISTORY_DAYS), BANK_ZONE, series.interval_s, 1)
    cut = np.datetime64(cut_at.replace(tzinfo=None), "us")
    before = calls.arrival < cut
    past = CallRecords(calls.arrival[before], calls.outcome[before], calls.queue_s[before], calls.service_s[before])
    params = call_parameters(past)
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
