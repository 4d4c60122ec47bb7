"""BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, "Counting your customers
the easy way").

While alive a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha)
(shape r, rate alpha); after each repeat purchase he drops out with probability
p ~ Beta(a, b). Parameters: r, alpha (time unit), a, b.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1, polygamma
from scipy.stats import nbinom

from crmlib.ltv._base import RepeatPurchaseModel, coerce_rfm, output_like


@dataclass
class _BGData:
    x: np.ndarray
    T: np.ndarray
    w: np.ndarray
    unique_x: np.ndarray  # distinct frequencies
    weight_by_x: np.ndarray  # total weight per distinct frequency
    pos_x: np.ndarray  # rows with x > 0
    pos_tx: np.ndarray
    pos_T: np.ndarray
    pos_w: np.ndarray
    total_weight: float
    sum_w: float
    sum_wx: float
    shift: int = 0  # 1 for the MBG/NBD: a dropout chance also right after the first purchase


def _prepare(x, t_x, T, w, shift: int = 0) -> _BGData:
    unique_x, inverse = np.unique(x, return_inverse=True)
    pos = (x > 0) | bool(shift)
    return _BGData(x=x, T=T, w=w, unique_x=unique_x,
                   weight_by_x=np.bincount(inverse, weights=w),
                   pos_x=x[pos], pos_tx=t_x[pos], pos_T=T[pos], pos_w=w[pos],
                   total_weight=float(w.sum()), sum_w=float(w.sum()), sum_wx=float(w @ x),
                   shift=shift)


def bgnbd_loglik(theta, d: _BGData, order: int = 0):
    """Weighted BG/NBD log-likelihood with analytic gradient (order >= 1) and Hessian (2).

    log L = log G(x) + logaddexp(A3, A4): the first part depends on x only,
    A3 = -(r+x) log(alpha+T), A4 = log a - log(b+x-1) - (r+x) log(alpha+t_x) for x > 0.
    With ``d.shift`` = 1 it is the MBG/NBD likelihood (Batislam et al. 2007): b + x - 1
    becomes b + x, B(a, b+x) becomes B(a, b+x+1) and A4 applies to every customer.
    """
    r, alpha, a, b = theta
    ux, wx = d.unique_x, d.weight_by_x
    bx = b + ux + d.shift
    value = wx @ (gammaln(r + ux) + gammaln(bx) - gammaln(a + bx))
    value += d.sum_w * (-gammaln(r) + r * np.log(alpha) + gammaln(a + b) - gammaln(b))
    log_aT = np.log(alpha + d.T)
    value -= d.w @ ((r + d.x) * log_aT)
    # customers with repeat purchases: add softplus(A4 - A3)
    m = r + d.pos_x
    pos_log_aT = np.log(alpha + d.pos_T)
    diff_log = np.log(alpha + d.pos_tx) - pos_log_aT
    b_term = b + d.pos_x - 1.0 + d.shift
    delta = np.log(a) - np.log(b_term) - m * diff_log
    value += d.pos_w @ (np.logaddexp(0.0, delta))
    if order == 0:
        return float(value), None, None

    # gradient of the x-only part
    g = np.empty(4)
    psi_r_x, psi_b_x, psi_ab_x = digamma(r + ux), digamma(bx), digamma(a + bx)
    psi_ab = digamma(a + b)
    g[0] = wx @ psi_r_x + d.sum_w * (np.log(alpha) - digamma(r))
    g[1] = d.sum_w * r / alpha
    g[2] = d.sum_w * psi_ab - wx @ psi_ab_x
    g[3] = wx @ (psi_b_x - psi_ab_x) + d.sum_w * (psi_ab - digamma(b))
    # A3 part over all rows
    inv_aT = 1.0 / (alpha + d.T)
    g[0] -= d.w @ log_aT
    g[1] -= d.w @ ((r + d.x) * inv_aT)
    # softplus part over repeaters: weight sigma = expit(delta)
    sigma = expit(delta)
    ws = d.pos_w * sigma
    inv_atx = 1.0 / (alpha + d.pos_tx)
    pos_inv_aT = 1.0 / (alpha + d.pos_T)
    d_inv = inv_atx - pos_inv_aT
    inv_b = 1.0 / b_term
    dd = np.stack([-diff_log, -m * d_inv, np.full_like(m, 1.0 / a), -inv_b])  # d delta / d theta
    g += dd @ ws
    if order == 1:
        return float(value), g, None

    H = np.zeros((4, 4))
    tg_r_x, tg_ab_x, tg_b_x = polygamma(1, r + ux), polygamma(1, a + bx), polygamma(1, bx)
    tg_ab = polygamma(1, a + b)
    H[0, 0] = wx @ tg_r_x - d.sum_w * polygamma(1, r)
    H[0, 1] = d.sum_w / alpha
    H[1, 1] = -d.sum_w * r / alpha**2
    H[2, 2] = d.sum_w * tg_ab - wx @ tg_ab_x
    H[2, 3] = H[2, 2]
    H[3, 3] = wx @ (tg_b_x - tg_ab_x) + d.sum_w * (tg_ab - polygamma(1, b))
    H[0, 1] -= d.w @ inv_aT
    H[1, 1] += d.w @ ((r + d.x) * inv_aT**2)
    # sigma * second derivatives of delta
    H[0, 1] -= ws @ d_inv
    H[1, 1] += ws @ (m * (inv_atx**2 - pos_inv_aT**2))
    H[2, 2] -= ws.sum() / a**2
    H[3, 3] += ws @ inv_b**2
    H = np.triu(H) + np.triu(H, 1).T
    # sigma (1 - sigma) * outer(d delta / d theta)
    H += (dd * (ws * (1.0 - sigma))) @ dd.T
    return float(value), g, H


class BetaGeoModel(RepeatPurchaseModel):
    """BG/NBD model, fitted by maximum likelihood.

    >>> model = BetaGeoModel().fit(frequency, recency, T)   # doctest: +SKIP
    >>> model.params_, model.se_, model.summary             # doctest: +SKIP
    """

    param_names = ("r", "alpha", "a", "b")
    time_scale_params = ("alpha",)
    #: 1 in the MBG/NBD, where a customer may also drop out right after his first purchase.
    _shift = 0

    def _prepare(self, x, t_x, T, w):
        return _prepare(x, t_x, T, w, self._shift)

    @staticmethod
    def _loglik(theta, data, order):
        return bgnbd_loglik(theta, data, order)

    def _starts(self, time_scale):
        return [np.array([r, alpha * time_scale, a, b])
                for r, alpha, a, b in [(0.5, 1.0, 1.0, 2.0), (1.0, 0.3, 0.5, 1.0),
                                       (0.2, 0.2, 2.0, 6.0), (2.0, 3.0, 0.8, 4.0)][: max(self.n_starts, 1)]]

    # -- predictions -----------------------------------------------------------------
    def probability_alive(self, frequency, recency, T, future_t=0.0):
        """P(alive at T + future_t | x, t_x, T); at T, 1 for customers without repeat purchases.

        ``future_t`` > 0: still alive ``future_t`` later, i.e. no dropout after any purchase
        in between (see :meth:`_survival`).
        """
        x, t_x, T_, _ = coerce_rfm(frequency, recency, T)
        r, alpha, a, b = self._theta()
        with np.errstate(divide="ignore"):
            log_odds = (np.log(a) - np.log(np.maximum(b + x - 1.0 + self._shift, 1e-300))
                        + (r + x) * (np.log(alpha + T_) - np.log(alpha + t_x)))
        alive = np.where((x > 0) | bool(self._shift), expit(-log_odds), 1.0)
        if np.any(np.asarray(future_t) != 0):
            alive = alive * self._survival(future_t, x, T_)
        return output_like(frequency, alive)

    def _posterior(self, x, T):
        """(r + x, alpha + T, a, b + x): the parameters of a customer alive at T."""
        r, alpha, a, b = self._theta()
        return r + x, alpha + T, a, b + x + self._shift

    @staticmethod
    def _alive_pmf(n, t, params):
        """P(n purchases in t | alive now): FHL (2005) eq. (8) for parameters ``params``.

        B(a, b+n)/B(a, b) NB(n; r, alpha/(alpha+t)) + [n > 0] B(a+1, b+n-1)/B(a, b) P(NB >= n),
        NB the negative binomial of a Gamma(r, alpha)-mixed Poisson count in t.
        """
        r, alpha, a, b = params
        p = alpha / (alpha + t)
        stay = np.exp(betaln(a, b + n) - betaln(a, b)) * nbinom.pmf(n, r, p)
        with np.errstate(invalid="ignore", divide="ignore"):
            left = np.exp(betaln(a + 1.0, b + n - 1.0) - betaln(a, b)) * nbinom.sf(n - 1.0, r, p)
        return stay + np.where(n > 0, np.nan_to_num(left), 0.0)

    def _survival(self, t, x, T):
        """P(alive at T + t | alive at T, history) = E[exp(-lambda p t)] over the posterior.

        With lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x) and z = t/(alpha+T+t) this is
        (1-z)^a 2F1(a+b+x-r-x, a; a+b+x; z) (Euler's integral, then Pfaff and Euler).
        """
        r_, alpha_, a, b_ = self._posterior(x, T)
        t = np.asarray(t, float)
        z = t / (alpha_ + t)
        return (1.0 - z) ** a * hyp2f1(a + b_ - r_, a, a + b_, z)

    def expected_purchases(self, t):
        """Unconditional E[X(t)]: expected repeat purchases in (0, t] of a new customer."""
        r, alpha, a, b = self._theta()
        t = np.asarray(t, float)
        return self._prior_alive() * _expected_count(r, alpha, a, b + self._shift, 0.0, t)

    def conditional_expected_purchases(self, t, frequency, recency, T):
        """E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] given the history.

        ``t`` is one horizon or one per customer (model time unit).
        """
        x, t_x, T_, _ = coerce_rfm(frequency, recency, T)
        r, alpha, a, b = self._theta()
        b = b + self._shift
        t = np.broadcast_to(np.asarray(t, float), x.shape)
        alive = np.asarray(self.probability_alive(x, t_x, T_))
        if t.size and np.all(t == t[0]):
            return output_like(frequency, alive * _alive_counts(r, alpha, a, b, x, T_, t[:1])[0])
        counts = np.where(t > 0, _expected_count(r, alpha + T_, a, b + x, x, t), 0.0)
        return output_like(frequency, alive * counts)

    def conditional_expected_purchases_path(self, times, frequency, recency, T) -> np.ndarray:
        """E[Y(t) | history] for each t in ``times``: array (len(times), customers)."""
        x, t_x, T_, _ = coerce_rfm(frequency, recency, T)
        r, alpha, a, b = self._theta()
        counts = _alive_counts(r, alpha, a, b + self._shift, x, T_,
                               np.atleast_1d(np.asarray(times, float)))
        counts *= np.asarray(self.probability_alive(x, t_x, T_))
        return counts


#: Above this z = t / (alpha + T + t) the series needs too many terms: use scipy's hyp2f1.
_SERIES_MAX_Z = 0.95
_SERIES_MIN_ROWS = 64
_BLOCK = 16_384  # values per Horner pass (stays in cache)


def _count_coefficients(r, a, b, c, n_terms):
    """q_k, k = 0..n_terms, with E[Y(t) | alive] = -c sum_k q_k z^k, c = a + b + x - 1.

    1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z) equals the bracket of FHL (2005) eq. (10)
    after Euler's transformation; q_k are the coefficients of (1-z)^(a-1) 2F1(...)
    divided by (a - 1), so the a = 1 case is regular.
    """
    A, B = a + b - 1.0 - r, a - 1.0
    k = np.arange(2, n_terms + 1)
    f = np.zeros(n_terms + 1)  # 2F1 coefficients / (a - 1)
    e = np.zeros(n_terms + 1)  # (1-z)^(a-1) coefficients / (a - 1)
    f[1], e[1] = A / c, -1.0
    f[2:] = A / c * np.cumprod((A + k - 1) * (B + k - 1) / ((c + k - 1) * k))
    e[2:] = -np.cumprod((k - 1 - B) / k)
    q = e + f
    q[2:] += B * np.convolve(e[1:n_terms], f[1:n_terms])[: n_terms - 1]
    return q


def _alive_counts(r, alpha, a, b, x, T, times):
    """E[Y(t) | alive at T, x] for each t in ``times``: array (len(times), customers).

    Grouped by frequency, a power series in z = t/(alpha+T+t) with shared coefficients,
    evaluated by Horner for every time at once; tiny groups and z above 0.95 go to
    :func:`_expected_count` (scipy hyp2f1). A horizon of 0 expects 0 purchases.
    """
    out = np.zeros((times.size, x.size))
    positive = np.flatnonzero(times > 0)  # nothing can happen in no time (and the series has no terms)
    if positive.size == 0:
        return out
    t = times[positive][:, None]
    t_max = float(t.max())
    block_rows = max(1024, _BLOCK // positive.size)  # rows x times per Horner pass stay in cache
    order = np.lexsort((T, x))  # by frequency, then age: z is monotone within a group
    xs, Ts = x[order], T[order]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(xs)) + 1, [xs.size]])
    powers = np.arange(801)
    for lo, hi in zip(starts[:-1], starts[1:]):
        xv = xs[lo]
        c = a + b + xv - 1.0
        if hi - lo < _SERIES_MIN_ROWS or t_max / (alpha + Ts[lo] + t_max) > _SERIES_MAX_Z:
            out[np.ix_(positive, order[lo:hi])] = _expected_count(r, alpha + Ts[lo:hi][None, :], a, b + xv, xv, t)
            continue
        q = _count_coefficients(r, a, b, c, 800)
        abs_q = np.abs(q)
        for block in range(lo, hi, block_rows):  # cache-sized blocks, each with its own length
            Tb = Ts[block:min(block + block_rows, hi)]
            z = t / (alpha + Tb[None, :] + t)
            size = abs_q * (t_max / (alpha + Tb[0] + t_max)) ** powers  # the block's largest z
            keep = np.nonzero(size > 1e-16 * size.max())[0]
            n_terms = max(int(keep[-1]), 1)
            acc = np.full_like(z, q[n_terms])
            for k in range(n_terms - 1, 0, -1):
                acc *= z
                acc += q[k]
            acc *= z
            out[np.ix_(positive, order[block:block + Tb.size])] = acc * -c
    return out


def _expected_count(r, alpha, a, b, x, t):
    """(a+b-1)/(a-1) [1 - (alpha/(alpha+t))^(r+x) 2F1(r+x, b; a+b-1; t/(alpha+t))].

    With ``alpha`` = alpha + T and ``b`` = b + x this is the expected count of an alive
    customer after his history; at a = 1 the limit is taken by symmetric perturbation.
    """
    if abs(a - 1.0) < 1e-7:
        return 0.5 * (_expected_count(r, alpha, 1.0 - 1e-5, b, x, t)
                      + _expected_count(r, alpha, 1.0 + 1e-5, b, x, t))
    shape = r + x
    c = a + b - 1.0
    ratio = t / (alpha + t)
    log_lead = shape * (np.log(alpha) - np.log(alpha + t))
    return c / (a - 1.0) * (1.0 - np.exp(log_lead) * hyp2f1(shape, b, c, ratio))
