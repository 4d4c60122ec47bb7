"""Pareto/NBD model of repeat purchasing (Schmittlein, Morrison & Colombo 1987; likelihood
as in Fader & Hardie 2005, "A note on deriving the Pareto/NBD model and related
expressions").

While alive a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); his
lifetime is exponential with rate mu ~ Gamma(s, beta). Parameters: r, alpha, s, beta
(alpha and beta in the time unit).

Likelihood. With E(t) = (alpha+t)^-(r+x) (beta+t)^-s and c = r + s + x,

    L = Gamma(r+x) alpha^r beta^s / Gamma(r) * [E(T) (r+x)/c K(z_T) + (s/c) E(t_x) H(z_tx)]

where, if alpha >= beta, z_t = (alpha-beta)/(alpha+t), H = 2F1(1, r+x; c+1; z) and
K = (1-z) 2F1(1, r+x+1; c+1; z); otherwise z_t = (beta-alpha)/(beta+t),
H = (1-z) 2F1(1, s+1; c+1; z) and K = 2F1(1, s; c+1; z). This is the note's expression
(A0 with the Gauss hypergeometric function) after Euler's transformation, rearranged so
that both terms are positive: no difference of hypergeometric functions is taken, and
the series have positive, decreasing coefficients (see ``_hyp2f1_series``). The first
term over the total is P(alive).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, exprel, gammaln, polygamma, xlogy

from crmlib.ltv import _hyp2f1_series as series
from crmlib.ltv._base import RepeatPurchaseModel, coerce_rfm, output_like

_CHUNK = 1 << 16  # rows per block: blocks small enough to reuse memory between calls


@dataclass
class _PNData:
    x: np.ndarray  # sorted by frequency
    t_x: np.ndarray
    T: np.ndarray
    w: np.ndarray
    group_x: np.ndarray  # distinct frequencies
    bounds: np.ndarray  # group g is rows bounds[g]:bounds[g+1]
    chunks: list  # (start, stop, distinct x in block, group bounds within block)
    total_weight: float


def _groups(sorted_x: np.ndarray):
    """Distinct values of a sorted array and the bounds of their runs."""
    starts = np.concatenate([[0], np.flatnonzero(np.diff(sorted_x)) + 1])
    return sorted_x[starts], np.append(starts, sorted_x.size)


def _prepare(x, t_x, T, w) -> _PNData:
    order = np.argsort(x, kind="stable")
    x, t_x, T, w = x[order], t_x[order], T[order], w[order]
    group_x, bounds = _groups(x)
    chunks = [(start, min(start + _CHUNK, x.size)) + _groups(x[start:start + _CHUNK])
              for start in range(0, x.size, _CHUNK)]
    return _PNData(x=x, t_x=t_x, T=T, w=w, group_x=group_x, bounds=bounds, chunks=chunks,
                   total_weight=float(w.sum()))


def _log_term(t, x, theta, group_x, bounds, kind: str, order: int):
    """One of the two terms of the bracketed likelihood, in logs, with derivatives.

    ``kind="K"``: log[(r+x)/c E(t) K(z_t)]; ``kind="H"``: log[(s/c) E(t) H(z_t)], with
    E(t) = (alpha+t)^-(r+x) (beta+t)^-s. Rows are grouped by frequency (``group_x``,
    ``bounds``). Returns (value, gradient (n x 4), unique second derivatives (n x 10,
    order of ``_PAIRS``)) with respect to theta = (r, alpha, s, beta).
    """
    r, alpha, s, beta = theta
    c_group = r + s + group_x
    if alpha >= beta:
        base = alpha + t
        z = (alpha - beta) / base
        b, b_on_r = (r + group_x + (kind == "K"), True)
        with_factor = kind == "K"
    else:
        base = beta + t
        z = (beta - alpha) / base
        b, b_on_r = (np.full_like(group_x, s + (kind == "H")), False)
        with_factor = kind == "H"
    cols = series.evaluate_groups(z, bounds, b, c_group, b_on_r, order)
    rx, c = r + x, r + s + x
    log_at, log_bt = np.log(alpha + t), np.log(beta + t)
    G = cols[:, 0]
    value = np.log(G) - rx * log_at - s * log_bt
    value += np.log(rx if kind == "K" else s) - np.log(c)
    if with_factor:
        value += np.log1p(-z)
    if order == 0:
        return value, None, None
    inv_G = 1.0 / G
    inv_c = 1.0 / c
    inv_at, inv_bt = 1.0 / (alpha + t), 1.0 / base if alpha < beta else 1.0 / (beta + t)
    L_r, L_s, G_z = cols[:, 1] * inv_G, cols[:, 2] * inv_G, cols[:, 6 if order == 2 else 3] * inv_G
    L_z = G_z - 1.0 / (1.0 - z) if with_factor else G_z
    # derivatives of z with respect to alpha and beta
    if alpha >= beta:
        z_a, z_b = (beta + t) * inv_at**2, -inv_at
    else:
        z_a, z_b = -inv_bt, (alpha + t) * inv_bt**2
    grad = np.empty((t.size, 4), order="F")
    grad[:, 0] = L_r - log_at - inv_c
    grad[:, 1] = L_z * z_a - rx * inv_at
    grad[:, 2] = L_s - log_bt - inv_c
    grad[:, 3] = L_z * z_b - s * inv_bt
    if kind == "K":
        grad[:, 0] += 1.0 / rx
    else:
        grad[:, 2] += 1.0 / s
    if order == 1:
        return value, grad, None
    L_zz = cols[:, 9] * inv_G - G_z**2
    if with_factor:
        L_zz -= 1.0 / (1.0 - z) ** 2
    L_rz = cols[:, 7] * inv_G - L_r * G_z
    L_sz = cols[:, 8] * inv_G - L_s * G_z
    inv_c2 = inv_c**2
    hess = np.empty((t.size, 10), order="F")
    hess[:, 0] = cols[:, 3] * inv_G - L_r**2 + inv_c2
    hess[:, 1] = L_rz * z_a - inv_at
    hess[:, 2] = cols[:, 4] * inv_G - L_r * L_s + inv_c2
    hess[:, 3] = L_rz * z_b
    hess[:, 5] = L_sz * z_a
    hess[:, 7] = cols[:, 5] * inv_G - L_s**2 + inv_c2
    hess[:, 8] = L_sz * z_b - inv_bt
    if alpha >= beta:  # z_aa = -2 (beta+t)/(alpha+t)^3, z_ab = 1/(alpha+t)^2, z_bb = 0
        hess[:, 4] = L_zz * z_a**2 + L_z * (-2.0 * z_a * inv_at)
        hess[:, 6] = L_zz * z_a * z_b + L_z * inv_at**2
        hess[:, 9] = L_zz * z_b**2
    else:  # z_aa = 0, z_ab = 1/(beta+t)^2, z_bb = -2 (alpha+t)/(beta+t)^3
        hess[:, 4] = L_zz * z_a**2
        hess[:, 6] = L_zz * z_a * z_b + L_z * inv_bt**2
        hess[:, 9] = L_zz * z_b**2 + L_z * (-2.0 * z_b * inv_bt)
    hess[:, 4] += rx * inv_at**2
    hess[:, 9] += s * inv_bt**2
    if kind == "K":
        hess[:, 0] -= 1.0 / rx**2
    else:
        hess[:, 7] -= 1.0 / s**2
    return value, grad, hess


# (i, j) of the ten unique Hessian entries, row-major upper triangle
_PAIRS = [(0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3)]


def _unpack(hess_sum: np.ndarray) -> np.ndarray:
    H = np.zeros((4, 4))
    for value, (i, j) in zip(hess_sum, _PAIRS):
        H[i, j] = H[j, i] = value
    return H


def _row_terms(theta, x, t_x, T, order, groups=None):
    """u1 = log[(r+x)/c E(T) K(z_T)] and u2 = log[(s/c) E(t_x) H(z_tx)] per row.

    Rows must be sorted by frequency x (``groups``: its distinct values and run bounds,
    computed when not given). Returns (u1, u2, grad u1, grad u2, hess u1, hess u2);
    derivative parts are None below the requested order.
    """
    n = x.size
    group_x, bounds = _groups(x) if groups is None else groups
    u1, g1, h1 = _log_term(T, x, theta, group_x, bounds, "K", order)
    # at t_x: customers without repeat purchases all have t_x = 0, so one evaluation
    n_zero = int(bounds[1]) if group_x[0] == 0 else 0
    if n_zero == 0:
        u2, g2, h2 = _log_term(t_x, x, theta, group_x, bounds, "H", order)
        return u1, u2, g1, g2, h1, h2
    zero_part = _log_term(np.zeros(1), np.zeros(1), theta, np.zeros(1), np.array([0, 1]),
                          "H", order)
    shapes = [(n,), (n, 4), (n, 10)][: order + 1]
    parts = [np.empty(shape, order="F") for shape in shapes]
    for target, part in zip(parts, zero_part):
        target[:n_zero] = part
    if n_zero < n:
        pos = slice(n_zero, n)
        pos_part = _log_term(t_x[pos], x[pos], theta, group_x[1:], bounds[1:] - n_zero,
                             "H", order)
        for target, part in zip(parts, pos_part):
            target[pos] = part
    u2, g2, h2 = parts + [None] * (3 - len(parts))
    return u1, u2, g1, g2, h1, h2


def pareto_nbd_loglik(theta, d: _PNData, order: int = 0):
    """Weighted Pareto/NBD log-likelihood with analytic gradient (order 1) and Hessian (2)."""
    r, alpha, s, beta = theta
    W = d.total_weight
    wx = np.add.reduceat(d.w, d.bounds[:-1])
    gx = d.group_x
    # log C = lgamma(r+x) - lgamma(r) + r log alpha + s log beta
    value = wx @ gammaln(r + gx) + W * (-gammaln(r) + r * np.log(alpha) + s * np.log(beta))
    grad = np.array([wx @ digamma(r + gx) + W * (np.log(alpha) - digamma(r)),
                     W * r / alpha, W * np.log(beta), W * s / beta])
    hess = np.array([wx @ polygamma(1, r + gx) - W * polygamma(1, r), W / alpha, 0.0, 0.0,
                     -W * r / alpha**2, 0.0, 0.0, 0.0, W / beta, -W * s / beta**2])
    outer = np.zeros((4, 4))
    for start, stop, chunk_x, chunk_bounds in d.chunks:
        rows = slice(start, stop)
        w = d.w[rows]
        u1, u2, g1, g2, h1, h2 = _row_terms(theta, d.x[rows], d.t_x[rows], d.T[rows], order,
                                                (chunk_x, chunk_bounds))
        m = np.logaddexp(u1, u2)
        value += w @ m
        if order == 0:
            continue
        w1 = np.exp(u1 - m)
        ww1, ww2 = w * w1, w * (1.0 - w1)
        grad += ww1 @ g1 + ww2 @ g2
        if order == 2:
            hess += ww1 @ h1 + ww2 @ h2
            delta = g1 - g2
            outer += (delta * (ww1 * (1.0 - w1))[:, None]).T @ delta
    if order == 0:
        return float(value), None, None
    if order == 1:
        return float(value), grad, None
    return float(value), grad, _unpack(hess) + outer


class ParetoNBDModel(RepeatPurchaseModel):
    """Pareto/NBD model, fitted by maximum likelihood with analytic derivatives.

    >>> model = ParetoNBDModel().fit(frequency, recency, T)   # doctest: +SKIP
    """

    param_names = ("r", "alpha", "s", "beta")
    time_scale_params = ("alpha", "beta")

    def _prepare(self, x, t_x, T, w):
        return _prepare(x, t_x, T, w)

    @staticmethod
    def _loglik(theta, data, order):
        return pareto_nbd_loglik(theta, data, order)

    def _starts(self, time_scale):
        return [np.array([r, alpha * time_scale, s, beta * time_scale])
                for r, alpha, s, beta in [(0.5, 1.0, 0.5, 1.0), (1.0, 0.3, 1.0, 3.0),
                                          (0.3, 0.3, 0.3, 0.3), (2.0, 3.0, 2.0, 1.0)][: max(self.n_starts, 1)]]

    # -- predictions -----------------------------------------------------------------
    def probability_alive(self, frequency, recency, T, future_t=0.0):
        """P(alive at T + future_t | x, t_x, T).

        Alive at T, the posterior dropout rate is Gamma(s, beta + T), so the customer is
        still alive ``future_t`` later with probability ((beta+T)/(beta+T+future_t))^s.
        """
        x, t_x, T_, _ = coerce_rfm(frequency, recency, T)
        theta = self._theta()
        T_given = T_
        order = np.argsort(x, kind="stable")
        x, t_x, T_ = x[order], t_x[order], T_[order]
        u1, u2, *_ = _row_terms(theta, x, t_x, T_, 0)
        r, alpha, s, beta = theta
        log_e = -(r + x) * np.log(alpha + T_) - s * np.log(beta + T_)
        out = np.empty_like(T_)
        # a probability: rounding in the log-sum can overshoot 1 by ~1e-14 when t_x = T
        out[order] = np.clip(np.exp(log_e - np.logaddexp(u1, u2)), 0.0, 1.0)
        if np.any(np.asarray(future_t) != 0):
            out = out * self._survival(future_t, x, T_given)
        return output_like(frequency, out)

    def _survival(self, t, x, T):
        """P(alive at T + t | alive at T) = ((beta + T)/(beta + T + t))^s."""
        _, _, s, beta = self._theta()
        return np.exp(-s * np.log1p(np.asarray(t, float) / (beta + T)))

    def _posterior(self, x, T):
        """(r + x, alpha + T, s, beta + T): the parameters of a customer alive at T."""
        r, alpha, s, beta = self._theta()
        return r + x, alpha + T, s, beta + T

    @staticmethod
    def _alive_pmf(n, t, params):
        """P(n purchases in t | alive now) for parameters (r, alpha, s, beta).

        Alive through t: (beta/(beta+t))^s NB(n; r, alpha/(alpha+t)); dropping out at tau < t
        (density s beta^s/(beta+tau)^(s+1)): NB(n; r, alpha/(alpha+tau)). With u =
        (beta/(beta+tau))^s the second part is the integral of NB(n; r, alpha/(alpha+tau(u)))
        over u in [(beta/(beta+t))^s, 1], a smooth bounded integrand, done by Gauss-Legendre
        quadrature. Matches Fader & Hardie's closed form (notes 012 and 028) without its
        difference of hypergeometric terms.
        """
        r, alpha, s, beta = (np.asarray(v, float) for v in params)
        n, t, r, alpha, beta = np.broadcast_arrays(n, t, r, alpha, beta)
        shape = n.shape
        n, t, r, alpha, beta = (np.ravel(v) for v in (n, t, r, alpha, beta))
        out = np.empty(n.size)
        for lo in range(0, n.size, _PMF_CHUNK):
            rows = slice(lo, lo + _PMF_CHUNK)
            out[rows] = _pareto_alive_pmf(n[rows], t[rows], r[rows], alpha[rows], float(s), beta[rows])
        return out.reshape(shape)

    def expected_purchases(self, t):
        """Unconditional E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]."""
        r, alpha, s, beta = self._theta()
        t = np.asarray(t, float)
        return r * beta / alpha * _power_ratio(beta / (beta + t), s)

    def conditional_expected_purchases(self, t, frequency, recency, T):
        """E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] given the history.

        P(alive) (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)];
        ``t`` is one horizon or one per customer (model time unit).
        """
        x, t_x, T_, _ = coerce_rfm(frequency, recency, T)
        return output_like(frequency, self._path(np.asarray(t, float)[None], x, t_x, T_)[0])

    def conditional_expected_purchases_path(self, times, frequency, recency, T) -> np.ndarray:
        """E[Y(t) | history] for each t in ``times``: array (len(times), customers)."""
        x, t_x, T_, _ = coerce_rfm(frequency, recency, T)
        return self._path(np.atleast_1d(np.asarray(times, float)), x, t_x, T_)

    def _path(self, times, x, t_x, T_):
        r, alpha, s, beta = self._theta()
        alive = np.asarray(self.probability_alive(x, t_x, T_))
        rate = alive * (r + x) * (beta + T_) / (alpha + T_)
        return np.stack([rate * _power_ratio((beta + T_) / (beta + T_ + t), s) for t in times])


def _power_ratio(y, s):
    """(1 - y^(s-1)) / (s-1), continuous at s = 1 (where it is -log y)."""
    log_y = np.log(y)
    return (0.0 - log_y) * exprel((s - 1.0) * log_y)  # 0.0 - 0.0 is +0: a zero horizon gives 0, not -0


_PMF_CHUNK = 8_192
_NODES, _NODE_WEIGHTS = np.polynomial.legendre.leggauss(96)


def _log_nb(n, r, alpha, tau):
    """log NB(n; r, alpha/(alpha+tau)): the Gamma(r, alpha)-mixed Poisson count in tau."""
    total = alpha + tau
    return (gammaln(r + n) - gammaln(r) - gammaln(n + 1.0) + r * np.log(alpha / total)
            + xlogy(n, tau / total))


def _pareto_alive_pmf(n, t, r, alpha, s, beta):
    alive_through = np.exp(-s * np.log1p(t / beta) + _log_nb(n, r, alpha, t))
    u_t = np.exp(-s * np.log1p(t / beta))
    u = u_t[:, None] + (1.0 - u_t)[:, None] * (_NODES + 1.0) / 2.0
    tau = beta[:, None] * np.expm1(-np.log(u) / s)
    inner = np.exp(_log_nb(n[:, None], r[:, None], alpha[:, None], tau))
    return alive_through + (1.0 - u_t) / 2.0 * (inner @ _NODE_WEIGHTS)

