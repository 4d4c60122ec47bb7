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

from crmlib.ltv._base import RepeatPurchaseModel, coerce_rfm, output_like
from crmlib.ltv._fit import check_budget
from crmlib.ltv._pareto_nbd_rows import sum_terms

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


def _row_terms(theta, x, t_x, T):
    """u1 = log[(r+x)/c E(T) K(z_T)] and u2 = log[(s/c) E(t_x) H(z_tx)] per row; rows must
    be sorted by frequency x."""
    u1, u2 = np.empty(x.size), np.empty(x.size)
    for start in range(0, x.size, _CHUNK):
        check_budget()
        rows = slice(start, start + _CHUNK)
        _, chunk_bounds = _groups(x[rows])
        sum_terms(np.asarray(theta, float), x[rows], t_x[rows], T[rows], np.ones(x[rows].size),
                  chunk_bounds, 0, u1[rows], u2[rows], np.zeros(4), np.zeros((4, 4)))
    return u1, u2


# (i, j) of the ten unique Hessian entries of the constant part, row-major upper triangle
_PAIRS = [(0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3)]


def _unpack(hess_sum: np.ndarray) -> np.ndarray:
    H = np.zeros((4, 4))
    for value, (i, j) in zip(hess_sum, _PAIRS):
        H[i, j] = H[j, i] = value
    return H


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
    grad_terms, hess_terms = np.zeros(4), np.zeros((4, 4))
    u1, u2 = np.empty(_CHUNK), np.empty(_CHUNK)
    theta = np.asarray(theta, float)
    for start, stop, _, chunk_bounds in d.chunks:
        check_budget()
        rows = slice(start, stop)
        value += sum_terms(theta, d.x[rows], d.t_x[rows], d.T[rows], d.w[rows], chunk_bounds, order,
                           u1, u2, grad_terms, hess_terms)
    if order == 0:
        return float(value), None, None
    if order == 1:
        return float(value), grad + grad_terms, None
    return float(value), grad + grad_terms, _unpack(hess) + hess_terms


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
        u1, u2 = _row_terms(theta, x, t_x, T_)
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

