"""Call-by-call records of a call centre (the Technion "Anonymous Bank" format): read, count per interval.

The file is tab-separated (optionally gzip-compressed), one call per line, with the header
``vru+line call_id customer_id priority type date vru_entry vru_exit vru_time q_start q_exit
q_time outcome ser_start ser_exit ser_time server``. Dates are ``YYMMDD`` (``990201``), times
``H:MM:SS`` (``0:00:00`` means "did not happen": no queue, no service).

A call *asks for an agent* when it reached one (``outcome`` AGENT) or entered the agent queue
(``q_start`` set); calls that hung up in the voice-response unit (VRU) and ``PHANTOM`` records
(lost by the switch) are not demand and are left out. Such a call comes in at ``vru_entry`` (what
a forecast counts), reaches the agents' queue at ``q_start`` (or ``ser_start`` when served without
queueing: what the service level of an interval counts), waits ``q_time`` seconds, and is
answered (``AGENT``) or abandons (``HANG``). The service level is the share of these calls
answered within the target, abandoned calls included in the base. Every read error names the
file, the line and the field.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from liucheng.core.errors import ValidationError

FIELDS = (
    "vru+line", "call_id", "customer_id", "priority", "type", "date", "vru_entry", "vru_exit", "vru_time",
    "q_start", "q_exit", "q_time", "outcome", "ser_start", "ser_exit", "ser_time", "server",
)
OUTCOMES = ("AGENT", "HANG", "PHANTOM")
_NOT_SET = "0:00:00"


@dataclass(frozen=True)
class CallRecords:
    """One entry per call that asked for an agent (arrays of equal length)."""

    day: NDArray[np.datetime64]
    #: Seconds after local midnight when the call came in (at the voice-response unit).
    vru_entry_s: NDArray[np.float64]
    #: Seconds after local midnight when it reached the agents (queue, or service without queueing).
    arrival_s: NDArray[np.float64]
    wait_s: NDArray[np.float64]
    service_s: NDArray[np.float64]
    outcome: NDArray[np.str_]
    call_type: NDArray[np.str_]

    @property
    def answered(self) -> NDArray[np.bool_]:
        return self.outcome == "AGENT"

    def __len__(self) -> int:
        return len(self.day)

    def select(self, keep: NDArray[np.bool_]) -> CallRecords:
        """The calls where ``keep`` is true."""
        return CallRecords(**{f.name: getattr(self, f.name)[keep] for f in fields(self)})

    def entry_instants(self, zone: str) -> NDArray[np.datetime64]:
        """When each call came in, as UTC ``datetime64[us]``, the wall-clock times read in ``zone``
        (a time that a daylight-saving change skips or repeats is taken at its earlier reading)."""
        local = self.day.astype("datetime64[us]") + (self.vru_entry_s * 1_000_000).astype("timedelta64[us]")
        aware = pc.assume_timezone(pa.array(local), zone, ambiguous="earliest", nonexistent="earliest")
        return aware.cast(pa.int64()).to_numpy().astype("datetime64[us]")


def read_call_records(path: str | Path) -> CallRecords:
    """The calls of a file (plain or ``.gz``) that asked for an agent; a bad line raises
    ``ValidationError`` whose ``where`` is ``FILE:LINE [field]``."""
    days, entries, arrivals, waits, services, outcomes, types = [], [], [], [], [], [], []
    for line_no, row in _rows(path):
        where = f"{path}:{line_no}"
        outcome = row["outcome"]
        if outcome not in OUTCOMES:
            raise ValidationError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}",
                                  where=f"{where} [outcome]", hint="the outcome column holds AGENT, HANG or PHANTOM")
        if outcome == "PHANTOM" or (outcome != "AGENT" and row["q_start"] == _NOT_SET):
            continue
        days.append(_day(row["date"], where))
        entries.append(_clock_s(row["vru_entry"], where, "vru_entry"))
        queued = _clock_s(row["q_start"], where, "q_start")
        served = _clock_s(row["ser_start"], where, "ser_start")
        arrivals.append(queued or served or _clock_s(row["vru_exit"], where, "vru_exit"))
        waits.append(_seconds(row["q_time"], where, "q_time"))
        services.append(_seconds(row["ser_time"], where, "ser_time"))
        outcomes.append(outcome)
        types.append(row["type"])
    return CallRecords(
        day=np.array(days, dtype="datetime64[D]"),
        vru_entry_s=np.array(entries, dtype=float),
        arrival_s=np.array(arrivals, dtype=float),
        wait_s=np.array(waits, dtype=float),
        service_s=np.array(services, dtype=float),
        outcome=np.array(outcomes, dtype=str),
        call_type=np.array(types, dtype=str),
    )


def _rows(path: str | Path) -> Iterator[tuple[int, dict[str, str]]]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as raw:
        lines = io.TextIOWrapper(raw, encoding="ascii", newline="")
        header = next(lines, "").rstrip("\r\n").split("\t")
        if tuple(header) != FIELDS:
            wrong = next((h for h, f in zip(header, FIELDS, strict=False) if h != f), "too few fields")
            raise ValidationError(f"header does not match the call-record format at {wrong!r}", where=f"{path}:1",
                                  hint="expected tab-separated: " + ",".join(FIELDS))
        for line_no, line in enumerate(lines, start=2):
            values = line.rstrip("\r\n").split("\t")
            if values == [""]:
                continue
            if len(values) != len(FIELDS):
                raise ValidationError(f"{len(values)} fields, expected {len(FIELDS)}", where=f"{path}:{line_no}",
                                      hint="fields are tab-separated")
            yield line_no, dict(zip(FIELDS, values, strict=True))


def _day(text: str, where: str) -> date:
    try:
        if len(text) != 6 or not text.isdigit():
            raise ValueError(text)
        yy = int(text[:2])
        return date(1900 + yy if yy >= 50 else 2000 + yy, int(text[2:4]), int(text[4:6]))
    except ValueError:
        raise ValidationError(f"{text!r} is not a YYMMDD date", where=f"{where} [date]", hint="e.g. 990201") from None


def _clock_s(text: str, where: str, name: str) -> int:
    parts = text.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValidationError(f"{text!r} is not H:MM:SS", where=f"{where} [{name}]", hint="e.g. 7:02:47")
    hours, minutes, seconds = (int(p) for p in parts)
    return hours * 3600 + minutes * 60 + seconds


def _seconds(text: str, where: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a number of seconds", where=f"{where} [{name}]",
                              hint="e.g. 166") from None
    if value < 0:
        raise ValidationError(f"{text!r} is negative", where=f"{where} [{name}]", hint="seconds are >= 0")
    return value


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
