"""Queue measures for one contact queue per interval, in seconds and contacts.

``queue_measures`` answers "with this many agents, what service do callers get?" for Erlang C
(M/M/n, callers never hang up) or Erlang A (M/M/n+M, exponential patience). Every argument may be
an array; they broadcast, so a whole day of intervals is one call.

Service level conventions (share answered within ``target_s``):

* ``all_arrivals`` (default): over all arriving contacts; abandoned contacts count as missed.
* ``exclude_short_abandons``: contacts that abandon within ``short_abandon_s`` are removed from
  the denominator (they hung up before anyone could reasonably answer).
* ``answered_only``: over answered contacts only.

Without abandonment (Erlang C) the three coincide.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from liucheng.core.errors import ValidationError
from liucheng.workforce.erlang import erlang_a, erlang_c

FloatArray = NDArray[np.float64]


class ServiceLevelConvention(StrEnum):
    """Which contacts the service level counts in its denominator."""

    ALL_ARRIVALS = "all_arrivals"
    EXCLUDE_SHORT_ABANDONS = "exclude_short_abandons"
    ANSWERED_ONLY = "answered_only"


@dataclass(frozen=True)
class QueueMeasures:
    """What callers and agents experience, one value per interval (numpy arrays).

    ``asa_s`` is the mean wait of *answered* contacts (zero waits included), the usual
    average speed of answer; ``mean_wait_s`` averages over all arrivals, abandoned ones with the
    time they waited before hanging up.
    """

    agents: FloatArray
    load_erlangs: FloatArray
    p_wait: FloatArray
    service_level: FloatArray
    asa_s: FloatArray
    mean_wait_s: FloatArray
    abandon_rate: FloatArray
    occupancy: FloatArray
    queue_length: FloatArray


def check_array(
    name: str,
    value: ArrayLike,
    *,
    low: float,
    high: float = np.inf,
    low_open: bool = False,
    high_open: bool = False,
    hint: str,
) -> FloatArray:
    """Return ``value`` as a float array after checking every element lies in the given range.

    Raises ``ValidationError`` naming the parameter, the first offending position and value.
    """
    arr = np.asarray(value, dtype=float)
    bad = np.isnan(arr) | (arr <= low if low_open else arr < low) | (arr >= high if high_open else arr > high)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        position = f"[{', '.join(map(str, index))}]" if index else ""
        raise ValidationError(f"{arr[bad].flat[0]!r} is out of range", where=f"{name}{position}", hint=hint)
    return arr


def offered_load(volume: ArrayLike, *, interval_s: ArrayLike, aht_s: ArrayLike) -> FloatArray:
    """Offered load in Erlangs: contacts per interval x handle time / interval length."""
    volume = check_array("volume", volume, low=0.0, hint="give the number of contacts per interval, >= 0")
    interval = check_array("interval_s", interval_s, low=0.0, low_open=True, hint="give the interval length in s, > 0")
    aht = check_array("aht_s", aht_s, low=0.0, low_open=True, hint="give the mean handle time in seconds, > 0")
    return volume * aht / interval


def _convention(convention: str | ServiceLevelConvention) -> ServiceLevelConvention:
    try:
        return ServiceLevelConvention(convention)
    except ValueError:
        names = ", ".join(c.value for c in ServiceLevelConvention)
        raise ValidationError(
            f"unknown convention {convention!r}", where="convention", hint=f"use one of {names}"
        ) from None


def queue_measures(
    agents: ArrayLike,
    *,
    volume: ArrayLike,
    interval_s: ArrayLike,
    aht_s: ArrayLike,
    patience_s: ArrayLike | None = None,
    target_s: ArrayLike = 20.0,
    convention: str | ServiceLevelConvention = ServiceLevelConvention.ALL_ARRIVALS,
    short_abandon_s: ArrayLike = 5.0,
) -> QueueMeasures:
    """Measures for ``agents`` on a queue; Erlang A when ``patience_s`` (mean patience) is given.

    ``agents`` may be fractional (continuous extension, see docs/workforce.md).
    """
    load = offered_load(volume, interval_s=interval_s, aht_s=aht_s)
    aht = np.asarray(aht_s, dtype=float)
    n = check_array("agents", agents, low=0.0, low_open=True, hint="give at least a fraction of an agent, > 0")
    target = check_array("target_s", target_s, low=0.0, hint="the answer-time target is a duration in s, >= 0")
    conv = _convention(convention)
    short = check_array("short_abandon_s", short_abandon_s, low=0.0, hint="give a duration in seconds, >= 0")
    n, load, aht, target, short = np.broadcast_arrays(n, load, aht, target, short)
    # A zero load is the limit of a tiny one; keeps the logarithms finite.
    a = np.maximum(load, 1e-12)
    if patience_s is None:
        return _erlang_c_measures(n, a, aht, target)
    patience = check_array(
        "patience_s", patience_s, low=0.0, low_open=True, hint="give the mean patience in seconds, > 0 (or None)"
    )
    return _erlang_a_measures(n, a, aht, np.broadcast_to(patience, n.shape), target, conv, short)


def _erlang_c_measures(n: FloatArray, a: FloatArray, aht: FloatArray, target: FloatArray) -> QueueMeasures:
    c = erlang_c(n, a)
    stable = n > a
    spare = np.where(stable, n - a, 1.0)
    sl = np.where(stable, 1.0 - c * np.exp(-spare * target / aht), 0.0)
    asa = np.where(stable, c * aht / spare, np.inf)
    queue = np.where(stable, c * a / spare, np.inf)
    return QueueMeasures(
        agents=n,
        load_erlangs=a,
        p_wait=c,
        service_level=np.clip(sl, 0.0, 1.0),
        asa_s=asa,
        mean_wait_s=asa,
        abandon_rate=np.zeros_like(c),
        occupancy=np.minimum(a / n, 1.0),
        queue_length=queue,
    )


def _erlang_a_measures(
    n: FloatArray,
    a: FloatArray,
    aht: FloatArray,
    patience: FloatArray,
    target: FloatArray,
    convention: ServiceLevelConvention,
    short: FloatArray,
) -> QueueMeasures:
    model = erlang_a(n, a, aht / patience)
    sl_all = model.service_level(target / aht)
    p_abandon = model.p_abandon
    if convention is ServiceLevelConvention.ANSWERED_ONLY:
        sl = sl_all / np.maximum(1.0 - p_abandon, 1e-300)
    elif convention is ServiceLevelConvention.EXCLUDE_SHORT_ABANDONS:
        short_abandons = model.p_wait * model.abandon_within_given_wait(short / aht)
        sl = sl_all / np.maximum(1.0 - short_abandons, 1e-300)
    else:
        sl = sl_all
    return QueueMeasures(
        agents=n,
        load_erlangs=a,
        p_wait=model.p_wait,
        service_level=np.clip(sl, 0.0, 1.0),
        asa_s=model.wait_answered * aht,
        mean_wait_s=model.wait_all * aht,
        abandon_rate=p_abandon,
        occupancy=model.occupancy,
        queue_length=model.queue_length,
    )
