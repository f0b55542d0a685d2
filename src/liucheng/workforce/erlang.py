"""Erlang B, C and A as vectorised closed forms, stable for thousands of agents.

Everything here is in *offered-load units*: ``a`` is the offered load in Erlangs (arrival rate x
mean handle time), ``n`` the number of agents (any real number >= 0: the formulas are analytic in
``n``, so fractional agents get the continuous extension that agrees with the integer values), and
times are in units of the mean handle time. ``queueing.py`` turns seconds and volumes into these
units and validates input; this module assumes it is valid.

Large numbers are kept in log space. Each closed form uses the regularised incomplete gamma
function (``scipy.special.gammainc``/``gammaincc``); where that underflows (far from the
operating point, e.g. 100 agents for 1,000 Erlangs) the same quantity is computed as an integral
``int_0^inf e^-s f(s) ds`` with a smooth, slowly varying ``f`` by Gauss-Laguerre quadrature.

Erlang A (M/M/n+M, exponential patience with rate ``r`` per mean handle time) follows the
birth-death chain: with ``b = n/r`` and ``y = a/r`` the queue part of the stationary law sums to
``S = sum_k y^k / ((b+1)...(b+k)) = e^y y^-b Gamma(b+1) P(b, y)``. A caller who finds ``k``
callers queued ahead reaches an agent after ``-log(U)/r`` with ``U ~ Beta(b, k+1)``, and is
answered if that comes before its own patience; summing over ``k`` gives the incomplete-gamma
forms used below (see docs/workforce.md for the derivation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


class _Special:
    """``scipy.special``, imported at first use: importing SciPy takes a fifth of a second, which
    every CLI command paid before, also the ones that never staff a queue."""

    def __getattr__(self, name: str) -> Any:
        from scipy import special as module

        return getattr(module, name)


special = _Special()

FloatArray = NDArray[np.float64]

#: Below this the incomplete gamma function has lost its relative precision or underflowed.
_TINY = 1e-250
#: Gauss-Laguerre nodes for the fallback integrals.
_LAGUERRE_NODES = 64


@cache
def _laguerre() -> tuple[FloatArray, FloatArray]:
    nodes, weights = np.polynomial.laguerre.laggauss(_LAGUERRE_NODES)
    return nodes, np.log(weights) + nodes


def _log_integral(log_f: Callable[[FloatArray], FloatArray], rate: FloatArray) -> FloatArray:
    """``log int_0^inf exp(log_f(s)) ds`` for integrands decaying roughly like ``e^(-rate s)``.

    ``log_f`` receives an array of shape ``rate.shape + (nodes,)``; substituting ``s = x/rate``
    leaves Gauss-Laguerre a slowly varying function to integrate.
    """
    nodes, log_w = _laguerre()
    rate = np.maximum(rate, 1e-3)[..., None]
    s = nodes / rate
    with np.errstate(all="ignore"):
        terms = log_w + log_f(s) - np.log(rate)
    return special.logsumexp(terms, axis=-1)


def log_inverse_erlang_b(n: ArrayLike, a: ArrayLike) -> FloatArray:
    """``log(1/B(n, a))`` for real ``n >= 0`` and load ``a > 0`` (continuous Erlang B).

    ``1/B = e^a a^-n Gamma(n+1, a) / Gamma(n+1)``; where the upper incomplete gamma underflows
    (``a`` far above ``n``) it is ``int_0^inf e^-u (1 + u/a)^n du`` instead.
    """
    n, a = np.broadcast_arrays(np.asarray(n, dtype=float), np.asarray(a, dtype=float))
    with np.errstate(all="ignore"):
        q = special.gammaincc(n + 1.0, a)
        closed = a - n * np.log(a) + special.gammaln(n + 1.0) + np.log(q)
    fallback = q < _TINY
    if not fallback.any():
        return closed
    nf, af = n[fallback], a[fallback]
    quad = _log_integral(lambda s: -s + nf[..., None] * np.log1p(s / af[..., None]), 1.0 - nf / af)
    out = np.array(closed, dtype=float)
    out[fallback] = quad
    return np.maximum(out, 0.0)


def erlang_b(n: ArrayLike, a: ArrayLike) -> FloatArray:
    """Blocking probability of M/M/n/n with offered load ``a``: the Erlang B formula."""
    return np.exp(-log_inverse_erlang_b(n, a))


def erlang_c(n: ArrayLike, a: ArrayLike) -> FloatArray:
    """Probability of waiting in M/M/n (Erlang C); 1 when ``n <= a`` (the queue never empties)."""
    n, a = np.broadcast_arrays(np.asarray(n, dtype=float), np.asarray(a, dtype=float))
    log_r = log_inverse_erlang_b(n, a)
    stable = n > a
    with np.errstate(all="ignore"):
        # C = n B / (n - a (1 - B)) = n / ((n - a) / B + a), in logs so 1/B may be astronomically large.
        log_c = np.log(n) - np.logaddexp(np.log(n - a) + log_r, np.log(a))
    return np.where(stable, np.exp(np.minimum(log_c, 0.0)), 1.0)


def _log_kummer(b: FloatArray, y: FloatArray) -> FloatArray:
    """``log S(b, y)``, ``S = sum_{k>=0} y^k / ((b+1)(b+2)...(b+k))`` (the Erlang A queue sum)."""
    with np.errstate(all="ignore"):
        p = special.gammainc(b, y)
        closed = y - b * np.log(y) + special.gammaln(b + 1.0) + np.log(p)
    fallback = p < _TINY
    if not fallback.any():
        return closed
    bf, yf = b[fallback], y[fallback]
    quad = _log_integral(
        lambda s: -s - yf[..., None] * np.expm1(-s / bf[..., None]),
        1.0 - yf / bf,
    )
    out = np.array(closed, dtype=float)
    out[fallback] = quad
    return np.maximum(out, 0.0)


def _dlog_kummer_db(b: FloatArray, y: FloatArray) -> FloatArray:
    """``d log S(b, y) / db`` by a fourth-order central difference (S is smooth in ``b``).

    The large smooth parts of the closed form are differentiated exactly (digamma); only
    ``log P(b, y)`` (or the quadrature, where it underflows) is differenced.
    """
    h = 1e-2
    steps = np.array([-2.0, -1.0, 1.0, 2.0]) * h
    coeffs = np.array([1.0, -8.0, 8.0, -1.0]) / (12.0 * h)
    with np.errstate(all="ignore"):
        p = special.gammainc(b, y)
    use_closed = p >= _TINY
    values = []
    for step in steps:
        bs = b + step
        with np.errstate(all="ignore"):
            log_p = np.log(special.gammainc(bs, y))
        values.append(np.where(use_closed, log_p, _log_kummer(bs, y)))
    diff = sum(c * v for c, v in zip(coeffs, values, strict=True))
    return np.where(use_closed, diff - np.log(y) + special.digamma(b + 1.0), diff)


@dataclass(frozen=True)
class ErlangA:
    """The stationary M/M/n+M queue for arrays of ``n`` (agents), ``a`` (Erlangs) and ``r``.

    ``r`` is the abandonment rate per mean handle time (mean handle time / mean patience).
    Use :func:`erlang_a` to build one; its methods give every measure for any target time.
    """

    n: FloatArray
    a: FloatArray
    r: FloatArray
    log_inv_b: FloatArray
    log_s: FloatArray

    @property
    def _b(self) -> FloatArray:
        return self.n / self.r

    @property
    def _y(self) -> FloatArray:
        return self.a / self.r

    @property
    def p_wait(self) -> FloatArray:
        """P(an arriving caller finds all agents busy) = ``S / (1/B - 1 + S)``."""
        with np.errstate(all="ignore"):
            log_r_minus_1 = self.log_inv_b + np.log(-np.expm1(-self.log_inv_b))
            ratio = np.exp(log_r_minus_1 - self.log_s)
        return np.where(self.log_inv_b > 0, 1.0 / (1.0 + ratio), 1.0)

    @property
    def abandon_given_wait(self) -> FloatArray:
        """P(abandon | wait) = ``1 - (n/a)(1 - 1/S)``: each queued caller's Beta mean summed."""
        frac = 1.0 - (self.n / self.a) * -np.expm1(-self.log_s)
        return np.clip(frac, 0.0, 1.0)

    @property
    def p_abandon(self) -> FloatArray:
        """Share of all arrivals that abandon."""
        return self.p_wait * self.abandon_given_wait

    def answered_within_given_wait(self, t: ArrayLike) -> FloatArray:
        """P(answered within ``t`` | wait), ``t`` in mean handle times.

        Exactly ``(n/a) [P(b+1, y) - P(b+1, y e^{-r t})] / P(b, y)``: the caller is answered
        within ``t`` only if an agent frees up before both ``t`` and its own patience.
        """
        m, t = self._broadcast(t)
        b, y = m._b, m._y
        z = np.exp(-m.r * t)
        with np.errstate(all="ignore"):
            p = special.gammainc(b, y)
            closed = (m.n / m.a) * (special.gammainc(b + 1.0, y) - special.gammainc(b + 1.0, y * z)) / p
        fallback = p < _TINY
        if fallback.any():
            closed = np.array(closed, dtype=float)
            closed[fallback] = m._answered_within_quadrature(fallback, t[fallback])
        return np.clip(closed, 0.0, 1.0)

    def _broadcast(self, t: ArrayLike) -> tuple[ErlangA, FloatArray]:
        """This model and ``t`` broadcast to one shape, so ``t`` may be a grid of target times."""
        n, a, r, log_inv_b, log_s, t = np.broadcast_arrays(
            self.n, self.a, self.r, self.log_inv_b, self.log_s, np.asarray(t, dtype=float)
        )
        return ErlangA(n=n, a=a, r=r, log_inv_b=log_inv_b, log_s=log_s), t

    def _answered_within_quadrature(self, mask: NDArray[np.bool_], t: FloatArray) -> FloatArray:
        """The same quantity as answered-ever minus the mass answered after ``t``, by quadrature."""
        b, y, n, a = self._b[mask], self._y[mask], self.n[mask], self.a[mask]
        log_s = self.log_s[mask]
        ever = (n / a) * -np.expm1(-log_s)
        shift = n * t  # -b log(e^{-r t})

        def log_f(s: FloatArray) -> FloatArray:
            u = shift[..., None] + s
            bb = b[..., None]
            return -u * (1.0 + 1.0 / bb) - y[..., None] * np.expm1(-u / bb)

        rate = 1.0 + 1.0 / b - (y / b) * np.exp(-shift / b)
        late = np.exp(_log_integral(log_f, rate) - log_s)
        return ever - late

    def abandon_within_given_wait(self, s: ArrayLike) -> FloatArray:
        """P(abandon before ``s`` | wait), ``s`` in mean handle times (short abandons)."""
        m, s = self._broadcast(s)
        b, y = m._b, m._y
        z = np.exp(-m.r * s)
        with np.errstate(all="ignore"):
            p = special.gammainc(b, y)
            late = (z * special.gammainc(b, y * z) - (m.n / m.a) * special.gammainc(b + 1.0, y * z)) / p
        fallback = p < _TINY
        if fallback.any():
            late = np.array(late, dtype=float)
            late[fallback] = m._late_abandon_quadrature(fallback, s[fallback])
        return np.clip(m.abandon_given_wait - late, 0.0, 1.0)

    def _late_abandon_quadrature(self, mask: NDArray[np.bool_], s: FloatArray) -> FloatArray:
        """``int_T^inf e^-u e^{y(1-e^{-u/b})} (z - e^{-u/b}) du / S`` with ``T = n s``."""
        b, y, n = self._b[mask], self._y[mask], self.n[mask]
        shift = n * s
        z = np.exp(-shift / b)

        def log_f(v: FloatArray) -> FloatArray:
            u = shift[..., None] + v
            bb = b[..., None]
            return -u - y[..., None] * np.expm1(-u / bb) + np.log(z[..., None]) + np.log(-np.expm1(-v / bb))

        rate = 1.0 - (y / b) * z
        return np.exp(_log_integral(log_f, rate) - self.log_s[mask])

    def service_level(self, t: ArrayLike) -> FloatArray:
        """Share of all arrivals answered within ``t`` (mean handle times); abandons count as missed."""
        m, t = self._broadcast(t)
        pw = m.p_wait
        return np.clip(1.0 - pw + pw * m.answered_within_given_wait(t), 0.0, 1.0)

    @property
    def wait_answered(self) -> FloatArray:
        """Mean wait of answered callers (ASA), in mean handle times.

        ``E[W; answered] = (p_wait/S) * M(1) * (1/(b+1) - d log S(b+1, y)/db) / r`` where
        ``M(c) = b/(b+c) S(b+c, y)`` is the queue sum weighted by ``E[exp(-c r V)]``.
        """
        b, y = self._b, self._y
        ever = (self.n / self.a) * -np.expm1(-self.log_s)
        slope = 1.0 / (b + 1.0) - _dlog_kummer_db(b + 1.0, y)
        wait_mass = self.p_wait * ever * slope / self.r
        answered = 1.0 - self.p_abandon
        return np.maximum(wait_mass / answered, 0.0)

    @property
    def wait_all(self) -> FloatArray:
        """Mean time in queue over all arrivals (abandoned included) = P(abandon) / r (Little)."""
        return self.p_abandon / self.r

    @property
    def occupancy(self) -> FloatArray:
        """Busy share of agents: carried load ``a (1 - P(abandon))`` over ``n``."""
        return np.minimum(self.a * (1.0 - self.p_abandon) / self.n, 1.0)

    @property
    def queue_length(self) -> FloatArray:
        """Mean number waiting: ``a`` x mean wait over all arrivals (Little's law)."""
        return self.a * self.wait_all


def erlang_a(n: ArrayLike, a: ArrayLike, r: ArrayLike) -> ErlangA:
    """The M/M/n+M model for ``n`` agents, load ``a`` Erlangs and abandonment ratio ``r > 0``."""
    n, a, r = (np.array(x, dtype=float) for x in np.broadcast_arrays(n, a, r))
    log_inv_b = log_inverse_erlang_b(n, a)
    log_s = _log_kummer(n / r, a / r)
    return ErlangA(n=n, a=a, r=r, log_inv_b=log_inv_b, log_s=log_s)
