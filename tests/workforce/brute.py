"""Independent, slow computations of queue measures straight from their definitions.

The birth-death chain is summed term by term (truncated far in the tail); a waiting caller's
fate is solved with the matrix exponential of its own small absorbing Markov chain.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import expm


def erlang_b_by_definition(n: int, a: float) -> float:
    """``(a^n/n!) / sum_{k<=n} a^k/k!`` with log-sum-exp over the terms."""
    logs = [k * math.log(a) - math.lgamma(k + 1) for k in range(n + 1)]
    top = max(logs)
    return math.exp(logs[-1] - top) / sum(math.exp(x - top) for x in logs)


def stationary(n: int, a: float, r: float, tail: int) -> np.ndarray:
    """Stationary law of M/M/n+M (service rate 1, abandonment rate ``r``) on states 0..n+tail."""
    logp = [0.0]
    for j in range(1, n + tail + 1):
        logp.append(logp[-1] + math.log(a) - math.log(min(j, n) + max(j - n, 0) * r))
    p = np.exp(np.array(logp) - max(logp))
    return p / p.sum()


def _tagged_chain(n: int, r: float, ahead: int) -> np.ndarray:
    """Generator of a queued caller with ``ahead`` callers in front: states ahead..0, served, abandoned."""
    size = ahead + 1
    q = np.zeros((size + 2, size + 2))
    for i in range(size):
        others = ahead - i
        move = n + others * r
        q[i, i + 1 if i < size - 1 else size] += move
        q[i, size + 1] += r
        q[i, i] -= move + r
    return q


def erlang_a_by_chain(n: int, a: float, r: float, t: float, short: float, tail: int = 400) -> dict[str, float]:
    """Every Erlang A measure from the truncated chain; times in mean handle times."""
    p = stationary(n, a, r, tail)
    queued = p[n:]
    sl = p[:n].sum()
    short_abandon = 0.0
    answered_wait = 0.0
    served = p[:n].sum()
    for k, weight in enumerate(queued):
        if weight < 1e-16:
            continue
        q = _tagged_chain(n, r, k)
        sl += weight * expm(q * t)[0, k + 1]
        short_abandon += weight * expm(q * short)[0, k + 2]
        rates = n + np.arange(k + 1) * r
        # Hypoexponential time to reach an agent V: E[V e^{-rV}] = E[e^{-rV}] sum 1/(rate + r).
        discount = float(np.prod(rates / (rates + r)))
        served += weight * discount
        answered_wait += weight * discount * float(np.sum(1.0 / (rates + r)))
    return {
        "p_wait": float(queued.sum()),
        "abandon": float(1.0 - served),
        "service_level": float(sl),
        "short_abandon": float(short_abandon),
        "asa": answered_wait / served,
        "queue_length": float(np.sum(np.arange(len(queued)) * queued)),
    }
