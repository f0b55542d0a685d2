"""Call-by-call records of a call centre (the Technion "Anonymous Bank" format): read, count per interval.

The file is tab-separated (optionally gzip-compressed), one call per line, with the header
``vru+line call_id customer_id priority type date vru_entry vru_exit vru_time q_start q_exit
q_time outcome ser_start ser_exit ser_time server``. Dates are ``YYMMDD`` (``990201``), times
``H:MM:SS`` (``0:00:00`` means "did not happen": no queue, no service).

A call *reaches the agents* if it joined the queue or was served: calls that hung up in the
voice-response unit (VRU) never asked for an agent. ``PHANTOM`` calls (lost by the switch) are
left out. A reached call arrives at ``q_start`` (or ``ser_start`` when served without queueing),
waits ``q_time`` seconds, and is answered (``AGENT``) or abandons (``HANG``). The service level
is the share of reached calls answered within the target, abandoned calls included in the base.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from liucheng.core.errors import ValidationError

FIELDS = [
    "vru+line",
    "call_id",
    "customer_id",
    "priority",
    "type",
    "date",
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_exit",
    "ser_time",
    "server",
]
OUTCOMES = ("AGENT", "HANG", "PHANTOM")


@dataclass(frozen=True)
class CallRecords:
    """One entry per call that reached the agents (arrays of equal length)."""

    day: NDArray[np.datetime64]
    arrival_s: NDArray[np.float64]  # seconds after midnight
    wait_s: NDArray[np.float64]
    service_s: NDArray[np.float64]
    answered: NDArray[np.bool_]
    call_type: NDArray[np.str_]


def _seconds(text: str, where: str) -> int:
    parts = text.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValidationError(f"time {text!r} is not H:MM:SS", where=where)
    h, m, s = (int(p) for p in parts)
    return h * 3600 + m * 60 + s


def _day(text: str, where: str) -> date:
    if len(text) != 6 or not text.isdigit():
        raise ValidationError(f"date {text!r} is not YYMMDD", where=where)
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    try:
        return date(1900 + yy if yy >= 50 else 2000 + yy, mm, dd)
    except ValueError as exc:
        raise ValidationError(f"date {text!r}: {exc}", where=where) from exc


def read_call_records(path: str | Path) -> CallRecords:
    """Read the calls that reached the agents; bad lines raise ``ValidationError`` naming file:line:column."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    days, arrivals, waits, services, answered, types = [], [], [], [], [], []
    with opener(path, "rt", newline="") as handle:
        header = handle.readline().rstrip("\r\n").split("\t")
        if header != list(FIELDS):
            raise ValidationError(f"header is {header[:4]}..., expected {FIELDS[:4]}...", where=f"{path}:1")
        for line_no, line in enumerate(handle, start=2):
            row = line.rstrip("\r\n").split("\t")
            if row == [""]:
                continue
            where = f"{path}:{line_no}"
            if len(row) != len(FIELDS):
                raise ValidationError(f"{len(row)} fields, expected {len(FIELDS)}", where=where)
            rec = dict(zip(FIELDS, row, strict=True))
            if rec["outcome"] not in OUTCOMES:
                raise ValidationError(f"outcome {rec['outcome']!r} is not one of {OUTCOMES}", where=f"{where}:13")
            q_start = _seconds(rec["q_start"], f"{where}:10")
            ser_start = _seconds(rec["ser_start"], f"{where}:14")
            if rec["outcome"] == "PHANTOM" or (q_start == 0 and ser_start == 0):
                continue
            days.append(_day(rec["date"], f"{where}:6"))
            arrivals.append(q_start or ser_start)
            waits.append(int(rec["q_time"]) if rec["q_time"].isdigit() else 0)
            services.append(int(rec["ser_time"]) if rec["ser_time"].isdigit() else 0)
            answered.append(rec["outcome"] == "AGENT")
            types.append(rec["type"])
    return CallRecords(
        day=np.array(days, dtype="datetime64[D]"),
        arrival_s=np.array(arrivals, dtype=float),
        wait_s=np.array(waits, dtype=float),
        service_s=np.array(services, dtype=float),
        answered=np.array(answered, dtype=bool),
        call_type=np.array(types, dtype=str),
    )


@dataclass(frozen=True)
class IntervalCounts:
    """Per interval of ``n_days`` days from ``first_day``: arrivals, answered within the target,
    abandoned, summed handle and waiting seconds."""

    first_day: date
    interval_min: int
    arrivals: NDArray[np.int64]
    answered_in_target: NDArray[np.int64]
    abandoned: NDArray[np.int64]
    handle_s: NDArray[np.float64]
    wait_s: NDArray[np.float64]

    @property
    def service_level(self) -> NDArray[np.float64]:
        """Share of arrivals answered within the target (NaN where no call arrived)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.answered_in_target / self.arrivals

    @property
    def aht_s(self) -> NDArray[np.float64]:
        """Mean handle time of answered calls (NaN where none)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.handle_s / (self.arrivals - self.abandoned)


def count_intervals(
    records: CallRecords, *, first_day: date, n_days: int, interval_min: int, target_s: float = 20.0
) -> IntervalCounts:
    """Bin the calls of ``n_days`` days from ``first_day`` into ``interval_min`` intervals."""
    if interval_min <= 0 or 1440 % interval_min:
        raise ValidationError(f"interval_min {interval_min} must divide 1440")
    per_day = 1440 // interval_min
    offset = (records.day - np.datetime64(first_day, "D")).astype(np.int64)
    keep = (offset >= 0) & (offset < n_days)
    slot = offset[keep] * per_day + (records.arrival_s[keep] // (interval_min * 60)).astype(np.int64)
    size = n_days * per_day
    answered, wait = records.answered[keep], records.wait_s[keep]

    def total(weights: NDArray) -> NDArray:
        return np.bincount(slot, weights=weights, minlength=size)

    return IntervalCounts(
        first_day=first_day,
        interval_min=interval_min,
        arrivals=np.bincount(slot, minlength=size),
        answered_in_target=total(answered & (wait <= target_s)).astype(np.int64),
        abandoned=total(~answered).astype(np.int64),
        handle_s=total(np.where(answered, records.service_s[keep], 0.0)),
        wait_s=total(wait),
    )


def patience_s(records: CallRecords) -> float:
    """Mean patience under exponential patience: total waiting time over abandonments (the
    maximum-likelihood estimate, answered calls' waits being censored patience)."""
    abandoned = int(np.count_nonzero(~records.answered))
    if abandoned == 0:
        raise ValidationError("no abandoned calls: patience cannot be estimated")
    return float(records.wait_s.sum() / abandoned)


def days_between(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last`` inclusive."""
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]
