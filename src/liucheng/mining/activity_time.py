"""Service time and waiting time per activity: the activity instances the performance analyses share.

Where a log records ``start`` and ``complete`` lifecycle transitions, an *activity instance* is a
start paired with the next complete of the same activity in the case, first in first out (the
oldest open start is closed first; a complete with no open start is left alone). Its service time
runs from start to complete; its waiting time from the latest completion of any activity earlier
in the case to the start (``None`` for an instance no completion precedes). Complete events with
no start (atomic steps) are not instances in this mode; a start never completed is one with
unknown service time.

Logs without those transitions (one event per step, as most ticketing exports) only tell when a
step was recorded, so each event is an instance whose waiting time is its *sojourn* time: the
time since the previous event of the case. Service time is then unknown (``None``).

Within a case, events are ordered by ``(timestamp, event_index)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

import ibis
import msgspec

from liucheng.eventlog.table import (
    ACTIVITY,
    CASE_ID,
    EVENT_INDEX,
    GROUP,
    LIFECYCLE,
    RESOURCE,
    TIMESTAMP,
)
from liucheng.mining._ibis import EventsLike, Rows, as_ibis, case_window, fetch, seconds_between

if TYPE_CHECKING:
    import ibis.expr.types as ir

START: Final = "start"
COMPLETE: Final = "complete"


def has_lifecycle_pairs(events: EventsLike) -> bool:
    """True when the log records both ``start`` and ``complete`` transitions (any case)."""
    t = as_ibis(events)
    kinds = t.filter(t[LIFECYCLE].lower().isin([START, COMPLETE]))[LIFECYCLE].lower().nunique()
    return bool(kinds.execute() == 2)


def activity_instances(events: EventsLike, *, mode: Literal["auto", "lifecycle", "sojourn"] = "auto") -> ir.Table:
    """One row per activity instance: case_id, activity, resource, group, start, complete,
    service_s, waiting_s (see the module docstring for both modes).

    ``mode="auto"`` pairs lifecycles when the log has start and complete events, else sojourn.
    """
    t = as_ibis(events)
    if mode == "auto":
        mode = "lifecycle" if has_lifecycle_pairs(t) else "sojourn"
    if mode == "sojourn":
        previous = t[TIMESTAMP].lag().over(case_window())
        return t.select(
            CASE_ID, ACTIVITY, RESOURCE, GROUP, start=t[TIMESTAMP], complete=t[TIMESTAMP],
            service_s=ibis.null("float64"), waiting_s=seconds_between(t[TIMESTAMP], previous),
        )
    return _paired_instances(t)


def _paired_instances(t: ir.Table) -> ir.Table:
    """FIFO pairing of start and complete events per (case, activity), in SQL windows.

    With S and C the running counts of starts and completes, D = S - C and M its running
    minimum, the completes left unmatched so far are U = max(0, -M). A complete is matched when U
    did not grow at it, and then closes the start numbered C - U.
    """
    kind = t[LIFECYCLE].lower()
    last_completion = (
        ibis.ifelse(kind == COMPLETE, t[TIMESTAMP], ibis.null("timestamp"))
        .max().over(case_window(rows=(None, -1)))
    )
    t = t.mutate(_kind=kind, _last_completion=last_completion).filter(kind.isin([START, COMPLETE]))
    per_activity = ibis.window(group_by=[CASE_ID, ACTIVITY], order_by=[TIMESTAMP, EVENT_INDEX])
    t = t.mutate(
        _s=(t._kind == START).cast("int64").cumsum().over(per_activity),
        _c=(t._kind == COMPLETE).cast("int64").cumsum().over(per_activity),
    )
    t = t.mutate(_u=ibis.greatest(0, -(t._s - t._c).cummin().over(per_activity)))
    t = t.mutate(_u_before=t._u.lag(default=0).over(per_activity))
    starts = t.filter(t._kind == START).select(
        CASE_ID, ACTIVITY, RESOURCE, GROUP, _k=t._s, start=t[TIMESTAMP], _last_completion=t._last_completion,
    )
    completes = t.filter((t._kind == COMPLETE) & (t._u == t._u_before)).select(
        _case=t[CASE_ID], _activity=t[ACTIVITY], _kc=t._c - t._u, complete=t[TIMESTAMP],
    )
    joined = starts.left_join(
        completes,
        [starts[CASE_ID] == completes._case, starts[ACTIVITY] == completes._activity, starts._k == completes._kc],
    )
    return joined.select(
        CASE_ID, ACTIVITY, RESOURCE, GROUP, "start", "complete",
        service_s=seconds_between(joined.complete, joined.start),
        waiting_s=seconds_between(joined.start, joined._last_completion),
    )


class ActivityTime(msgspec.Struct, frozen=True, kw_only=True):
    """Service and waiting time of one activity over all its instances (seconds)."""

    activity: str
    instances: int
    service_total_s: float | None
    service_mean_s: float | None
    service_median_s: float | None
    waiting_total_s: float | None
    waiting_mean_s: float | None
    waiting_median_s: float | None
    waiting_p90_s: float | None


def activity_times(events: EventsLike, *, mode: Literal["auto", "lifecycle", "sojourn"] = "auto") -> Rows[ActivityTime]:
    """Per activity: instances, total/mean/median service time, total/mean/median/p90 waiting time.

    Sorted by total waiting time, longest first. Medians and percentiles interpolate linearly.
    """
    inst = activity_instances(events, mode=mode)
    summary = inst.group_by(ACTIVITY).aggregate(
        instances=inst.count(),
        service_total_s=inst.service_s.sum(),
        service_mean_s=inst.service_s.mean(),
        service_median_s=inst.service_s.median(),
        waiting_total_s=inst.waiting_s.sum(),
        waiting_mean_s=inst.waiting_s.mean(),
        waiting_median_s=inst.waiting_s.median(),
        waiting_p90_s=inst.waiting_s.quantile(0.9),
    )
    ordered = summary.order_by([summary.waiting_total_s.desc(nulls_first=False), ACTIVITY])
    return fetch(ordered, ActivityTime)
