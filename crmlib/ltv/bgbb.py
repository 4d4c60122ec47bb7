"""BG/BB model of discrete-time repeat purchasing (Fader, Hardie & Shang 2010, "Customer-base
analysis in a discrete-time noncontractual setting"; lifetimes' ``BetaGeoBetaBinomFitter``).

For settings with one purchase opportunity per period: yearly donations (zakat, alumni
giving), annual renewals, an event held once a year. At each opportunity a living customer
buys with probability p ~ Beta(alpha, beta); at the start of each opportunity he drops out
with probability theta ~ Beta(gamma, delta). Inputs: ``frequency`` x = opportunities with a
purchase, ``recency`` t_x = the last of them (0 without any), ``n_periods`` n = the
opportunities observed after the first purchase. Times are counted in opportunities.

Likelihood (FHS 2010 eq. 5):
L = B(alpha+x, beta+n-x)/B(alpha, beta) B(gamma, delta+n)/B(gamma, delta)
    + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha, beta) B(gamma+1, delta+t_x+i)/B(gamma, delta)
(alive throughout, or dropped out at opportunity t_x + i + 1).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, polygamma

from crmlib.ltv._base import (MIN_CUSTOMERS, MIN_REPEATERS, RepeatPurchaseModel, as_array,
                              output_like)
from crmlib.ltv._fit import ModelIdentificationError, maximise, penalised, single_threaded_blas


def coerce_discrete(frequency, recency=None, n_periods=None, weights=None):
    """Validated float arrays (x, t_x, n, w) from arrays or a frame with columns frequency,
    recency, n_periods (or n) and optionally weights."""
    if isinstance(frequency, pd.DataFrame):
        frame = frequency
        n_col = "n_periods" if "n_periods" in frame.columns else "n"
        missing = {"frequency", "recency", n_col} - set(frame.columns)
        if missing:
            raise ValueError(f"summary frame lacks columns {sorted(missing)}")
        frequency, recency, n_periods = frame["frequency"], frame["recency"], frame[n_col]
        if weights is None and "weights" in frame.columns:
            weights = frame["weights"]
    if recency is None or n_periods is None:
        raise ValueError("give frequency, recency and n_periods (or one frame with those columns)")
    x, t_x, n = (as_array(v, name) for v, name in
                 ((frequency, "frequency"), (recency, "recency"), (n_periods, "n_periods")))
    w = np.ones_like(x) if weights is None else as_array(weights, "weights")
    try:
        x, t_x, n, w = (np.array(a, float) for a in np.broadcast_arrays(x, t_x, n, w))
    except ValueError:
        raise ValueError("frequency, recency, n_periods and weights must have the same length") from None
    for values, name in ((x, "frequency"), (t_x, "recency"), (n, "n_periods")):
        if not np.all(np.isfinite(values)) or np.any(values < 0) or np.any(values != np.round(values)):
            raise ValueError(f"{name} must hold non-negative whole numbers of opportunities")
    if np.any(n < 1):
        raise ValueError("n_periods must be at least 1 (one opportunity after the first purchase)")
    if np.any(x > t_x) or np.any(t_x > n) or np.any((x == 0) != (t_x == 0)):
        raise ValueError("need 0 <= frequency <= recency <= n_periods, and recency 0 exactly "
                         "when frequency is 0")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be non-negative counts")
    keep = w > 0
    return x[keep], t_x[keep], n[keep], w[keep]


@dataclass
class _BBData:
    """Distinct (x, t_x, n) patterns and the terms of their likelihood sums."""

    x: np.ndarray
    t_x: np.ndarray
    n: np.ndarray
    w: np.ndarray
    starts: np.ndarray  # first term of each pattern
    term_row: np.ndarray
    term_x: np.ndarray
    term_m: np.ndarray  # opportunities alive without a purchase
    term_e: np.ndarray  # 1 for "dropped out at the next opportunity", 0 for "alive throughout"
    term_k: np.ndarray  # opportunities survived
    total_weight: float


def _prepare(x, t_x, n, w) -> _BBData:
    patterns = pd.DataFrame({"x": x, "t_x": t_x, "n": n, "w": w}).groupby(
        ["x", "t_x", "n"], as_index=False, sort=True)["w"].sum()
    x, t_x, n, w = (patterns[c].to_numpy(float) for c in ("x", "t_x", "n", "w"))
    extra = (n - t_x).astype(int)  # 1 "alive throughout" term + (n - t_x) dropout terms
    term_row = np.repeat(np.arange(x.size), 1 + extra)
    starts = np.concatenate([[0], np.cumsum(1 + extra)[:-1]])
    position = np.arange(term_row.size) - starts[term_row]  # 0 = alive throughout
    i = position - 1.0
    alive = position == 0
    xr, txr, nr = x[term_row], t_x[term_row], n[term_row]
    return _BBData(x=x, t_x=t_x, n=n, w=w, starts=starts, term_row=term_row, term_x=xr,
                   term_m=np.where(alive, nr - xr, txr - xr + i), term_e=np.where(alive, 0.0, 1.0),
                   term_k=np.where(alive, nr, txr + i), total_weight=float(w.sum()))


def _pattern_loglik(theta, d: _BBData, order: int):
    """log L per pattern and, for order >= 1, its gradient (rows x 4) and the weighted
    Hessian sum (4 x 4, order 2)."""
    a, b, g, dl = theta
    s1 = a + b + d.term_x + d.term_m
    s2 = g + dl + d.term_e + d.term_k
    c = (gammaln(a + d.term_x) + gammaln(b + d.term_m) - gammaln(s1)
         + gammaln(g + d.term_e) + gammaln(dl + d.term_k) - gammaln(s2))
    top = np.maximum.reduceat(c, d.starts)
    share = np.exp(c - top[d.term_row])
    total = np.add.reduceat(share, d.starts)
    constant = betaln(a, b) + betaln(g, dl)
    rows = top + np.log(total) - constant
    if order == 0:
        return rows, None, None
    share /= total[d.term_row]
    psi1, psi2 = digamma(s1), digamma(s2)
    dc = np.stack([digamma(a + d.term_x) - psi1, digamma(b + d.term_m) - psi1,
                   digamma(g + d.term_e) - psi2, digamma(dl + d.term_k) - psi2], axis=1)
    d_const = np.array([digamma(a) - digamma(a + b), digamma(b) - digamma(a + b),
                        digamma(g) - digamma(g + dl), digamma(dl) - digamma(g + dl)])
    grad_rows = np.add.reduceat(share[:, None] * dc, d.starts, axis=0) - d_const
    if order == 1:
        return rows, grad_rows, None
    tw = share * d.w[d.term_row]
    t1, t2 = polygamma(1, s1), polygamma(1, s2)
    H = (dc * tw[:, None]).T @ dc
    H[0, 0] += tw @ (polygamma(1, a + d.term_x) - t1)
    H[0, 1] -= tw @ t1
    H[1, 0] -= tw @ t1
    H[1, 1] += tw @ (polygamma(1, b + d.term_m) - t1)
    H[2, 2] += tw @ (polygamma(1, g + d.term_e) - t2)
    H[2, 3] -= tw @ t2
    H[3, 2] -= tw @ t2
    H[3, 3] += tw @ (polygamma(1, dl + d.term_k) - t2)
    centred = grad_rows + d_const  # sum_k share_k dc_k per row
    H -= (centred * d.w[:, None]).T @ centred
    W = d.total_weight
    tab, tgd = polygamma(1, a + b), polygamma(1, g + dl)
    H -= W * np.array([[polygamma(1, a) - tab, -tab, 0, 0], [-tab, polygamma(1, b) - tab, 0, 0],
                       [0, 0, polygamma(1, g) - tgd, -tgd], [0, 0, -tgd, polygamma(1, dl) - tgd]])
    return rows, grad_rows, H


def bgbb_loglik(theta, d: _BBData, order: int = 0):
    """Weighted BG/BB log-likelihood with analytic gradient (order >= 1) and Hessian (2)."""
    rows, grad_rows, H = _pattern_loglik(np.asarray(theta, float), d, order)
    value = float(d.w @ rows)
    if order == 0:
        return value, None, None
    return value, d.w @ grad_rows, H


class BetaGeoBetaBinomModel(RepeatPurchaseModel):
    """BG/BB model for one purchase opportunity per period, fitted by maximum likelihood.

    >>> model = BetaGeoBetaBinomModel().fit(frequency, recency, n_periods, weights)  # doctest: +SKIP
    """

    param_names = ("alpha", "beta", "gamma", "delta")
    time_scale_params = ()

    def __init__(self, n_starts: int = 3, penalizer_coef: float = 0.0, time_unit: str = "Y"):
        super().__init__(n_starts=n_starts, time_unit=time_unit, penalizer_coef=penalizer_coef)

    def fit(self, frequency, recency=None, n_periods=None, weights=None):
        """Maximum-likelihood fit; returns self with ``params_``, ``loglik_``, ``se_``.

        Identical customers are collapsed into (x, t_x, n) patterns first, so a million
        customers over a few opportunities cost as little as the published 22-row table.
        """
        x, t_x, n, w = coerce_discrete(frequency, recency, n_periods, weights)
        n_customers = float(w.sum())
        if n_customers < MIN_CUSTOMERS:
            raise ModelIdentificationError(
                f"{type(self).__name__} needs at least {MIN_CUSTOMERS} customers; got {n_customers:g}.")
        if float(w[x > 0].sum()) < MIN_REPEATERS:
            raise ModelIdentificationError(
                f"Fewer than {MIN_REPEATERS} customers bought again: purchase and dropout "
                "probabilities cannot be told apart.")
        data = _prepare(x, t_x, n, w)
        starts = [np.array(v) for v in [(1.0, 1.0, 1.0, 3.0), (0.5, 0.5, 0.5, 1.0),
                                        (2.0, 1.0, 0.8, 5.0), (1.0, 3.0, 2.0, 2.0)][: max(self.n_starts, 1)]]
        log_scale = np.zeros(4)
        objective = penalised(bgbb_loglik, self.penalizer_coef, log_scale)
        with single_threaded_blas():
            optimum = maximise(objective, data, data, starts, n_customers, self.param_names, log_scale)
        return self._store_fit(optimum, float(bgbb_loglik(optimum.theta, data, 0)[0]), n_customers)

    def log_likelihood(self, frequency, recency=None, n_periods=None, weights=None) -> float:
        x, t_x, n, w = coerce_discrete(frequency, recency, n_periods, weights)
        return bgbb_loglik(self._theta(), _prepare(x, t_x, n, w), 0)[0]

    def _customer_loglik(self, x, t_x, n) -> np.ndarray:
        """log L of each customer's history (patterns computed once, mapped back)."""
        data = _prepare(x, t_x, n, np.ones_like(x))
        rows = _pattern_loglik(self._theta(), data, 0)[0]
        key = pd.MultiIndex.from_arrays([data.x, data.t_x, data.n])
        return rows[key.get_indexer(pd.MultiIndex.from_arrays([x, t_x, n]))]

    # -- predictions --------------------------------------------------------------------
    def probability_alive(self, frequency, recency, n_periods, future_t=0):
        """P(alive at opportunity n + future_t | x, t_x, n).

        ``future_t=1`` is FHS (2010) table 6's "P(alive in the next year)".
        """
        self._require_fit()
        x, t_x, n, _ = coerce_discrete(frequency, recency, n_periods)
        a, b, g, dl = self._theta()
        future = np.asarray(future_t, float)
        log_alive = (betaln(a + x, b + n - x) - betaln(a, b) + betaln(g, dl + n + future)
                     - betaln(g, dl) - self._customer_loglik(x, t_x, n))
        return output_like(frequency, np.minimum(np.exp(log_alive), 1.0))

    def _posterior(self, x, n):
        """(alpha + x, beta + n - x, gamma, delta + n): parameters of a customer alive at n."""
        a, b, g, dl = self._theta()
        return a + x, b + n - x, g, dl + n

    @staticmethod
    def _alive_pmf(k, t, params):
        """P(k purchases in the next t opportunities | alive now), FHS (2010) eq. (7):
        C(t,k) B(a+k, b+t-k)/B(a,b) B(g, d+t)/B(g,d)
        + sum_{i=k}^{t-1} C(i,k) B(a+k, b+i-k)/B(a,b) B(g+1, d+i)/B(g,d)."""
        a, b, g, dl = (np.asarray(v, float) for v in params)
        k, t, a, b, dl = np.broadcast_arrays(np.asarray(k, float), np.floor(np.asarray(t, float)), a, b, dl)

        def log_choose(top, bottom):
            return gammaln(top + 1.0) - gammaln(bottom + 1.0) - gammaln(top - bottom + 1.0)

        with np.errstate(invalid="ignore"):
            out = np.where(k <= t, np.exp(log_choose(t, np.minimum(k, t)) + betaln(a + k, b + np.maximum(t - k, 0))
                                          - betaln(a, b) + betaln(g, dl + t) - betaln(g, dl)), 0.0)
            for i in range(int(t.max()) if t.size else 0):
                use = (i >= k) & (i < t)
                if use.any():
                    term = np.exp(log_choose(np.float64(i), np.minimum(k, i)) + betaln(a + k, b + np.maximum(i - k, 0))
                                  - betaln(a, b) + betaln(g + 1.0, dl + i) - betaln(g, dl))
                    out = out + np.where(use, term, 0.0)
        return out

    def expected_purchases(self, t):
        """E[X(t)]: expected purchases of a new customer in the next t opportunities,
        alpha/(alpha+beta) sum_{j=1..t} B(gamma, delta+j)/B(gamma, delta)."""
        a, b, g, dl = self._theta()
        t = np.floor(np.asarray(t, float))
        steps = np.arange(1, int(t.max()) + 1 if t.size else 1)
        survive = np.cumsum(np.exp(betaln(g, dl + steps) - betaln(g, dl)))
        survive = np.concatenate([[0.0], survive])
        return a / (a + b) * survive[t.astype(int)]

    def conditional_expected_purchases(self, t, frequency, recency, n_periods):
        """E[purchases in opportunities n+1 .. n+t | x, t_x, n] (FHS 2010 eq. 13):
        P(alive at n) (alpha+x)/(alpha+beta+n) sum_{j=1..t} B(gamma, delta+n+j)/B(gamma, delta+n)."""
        x, t_x, n, _ = coerce_discrete(frequency, recency, n_periods)
        t = np.broadcast_to(np.floor(np.asarray(t, float)), x.shape)
        values = np.zeros(x.size)
        for u in np.unique(t):
            rows = t == u
            values[rows] = self.conditional_expected_purchases_path([u], x[rows], t_x[rows], n[rows])[0]
        return output_like(frequency, values)

    def conditional_expected_purchases_path(self, times, frequency, recency, n_periods) -> np.ndarray:
        """Expected purchases in the next floor(t) opportunities, for each t in ``times``:
        array (len(times), customers). An opportunity falls at every whole time unit."""
        x, t_x, n, _ = coerce_discrete(frequency, recency, n_periods)
        a, b, g, dl = self._theta()
        times = np.floor(np.atleast_1d(np.asarray(times, float)))
        alive = np.asarray(self.probability_alive(x, t_x, n), float)
        rate = alive * (a + x) / (a + b + n)
        steps = np.arange(1, int(times.max()) + 1 if times.size and times.max() >= 1 else 1)
        survive = np.exp(betaln(g, dl + n[None, :] + steps[:, None]) - betaln(g, dl + n)[None, :])
        cumulative = np.vstack([np.zeros(x.size), np.cumsum(survive, axis=0)])
        return rate[None, :] * cumulative[times.astype(int)]

    def conditional_probability_of_n_purchases(self, n, t, frequency, recency, n_periods):
        """P(n purchases in the next t opportunities | x, t_x, n_periods)."""
        self._require_fit()
        x, t_x, periods, _ = coerce_discrete(frequency, recency, n_periods)
        alive = np.asarray(self.probability_alive(x, t_x, periods), float)
        pmf = (alive * self._alive_pmf(n, t, self._posterior(x, periods))
               + (1.0 - alive) * (np.asarray(n) == 0))
        return output_like(frequency, pmf)

    def time_to_next_purchase(self, *args, **kwargs):
        raise NotImplementedError("BG/BB counts opportunities: use conditional_expected_purchases "
                                  "or conditional_probability_of_n_purchases(0, ...)")


DONATIONS_FILE = Path(__file__).resolve().parent / "data" / "donations.csv"


def load_donations() -> pd.DataFrame:
    """FHS (2010) donation data: (frequency, recency, n_periods, weights) of 11,104 donors."""
    return pd.read_csv(DONATIONS_FILE, comment="#", encoding="utf-8")
