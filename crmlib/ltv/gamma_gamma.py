"""Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005; Fader & Hardie 2013,
"The Gamma-Gamma model of monetary value").

A customer's purchase amounts are Gamma(p, nu) (shape p, rate nu) and nu ~ Gamma(q, gamma)
across customers, independent of the purchase process. The model is fitted on the mean
spend m_x of each customer's x >= 1 repeat purchases, whose density is
Gamma(px+q)/(Gamma(px) Gamma(q)) gamma^q m^(px-1) x^(px) / (gamma + m x)^(px+q).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln, polygamma

from crmlib.ltv._base import as_array, output_like
from crmlib.ltv._fit import (
    ModelIdentificationError,
    NotFittedError,
    covariance_from_hessian,
    maximise,
    penalised,
    single_threaded_blas,
    summary_frame,
)

#: Fewer spenders than this cannot identify three parameters.
MIN_SPENDERS = 20


@dataclass
class _GGData:
    x: np.ndarray
    m: np.ndarray
    w: np.ndarray
    log_m: np.ndarray
    log_x: np.ndarray
    total_weight: float
    #: sum of log amounts per customer: set when fitting on individual amounts
    sum_log: np.ndarray | None = None


def gamma_gamma_loglik(theta, d: _GGData, order: int = 0):
    """Weighted Gamma-Gamma log-likelihood, gradient and Hessian.

    Per customer with x amounts of total S = m x, after integrating nu out:
    the mixing part lgamma(px+q) - lgamma(q) + q log(gamma) - (px+q) log(gamma + S), plus
    on the mean spends (classic fit) -lgamma(px) + (px-1) log m + px log x, or on the
    individual amounts z_i (``d.sum_log`` = sum log z_i) (p-1) sum log z_i - x lgamma(p).
    """
    p, q, gamma = theta
    x, w, W = d.x, d.w, d.total_weight
    px = p * x
    log_denominator = np.log(gamma + d.m * x)
    if d.sum_log is None:
        own = -gammaln(px) + (px - 1.0) * d.log_m + px * d.log_x
    else:
        own = (p - 1.0) * d.sum_log - x * gammaln(p)
    rows = gammaln(px + q) - (px + q) * log_denominator + own
    value = w @ rows + W * (q * np.log(gamma) - gammaln(q))
    if order == 0:
        return float(value), None, None
    psi_pq = digamma(px + q)
    inv_den = 1.0 / (gamma + d.m * x)
    if d.sum_log is None:
        own_p = x * (d.log_m + d.log_x - digamma(px))
    else:
        own_p = d.sum_log - x * digamma(p)
    g = np.array([
        w @ (x * (psi_pq - log_denominator) + own_p),
        w @ (psi_pq - log_denominator) + W * (np.log(gamma) - digamma(q)),
        W * q / gamma - w @ ((px + q) * inv_den),
    ])
    if order == 1:
        return float(value), g, None
    tg_pq = polygamma(1, px + q)
    own_pp = -x * x * polygamma(1, px) if d.sum_log is None else -x * polygamma(1, p)
    H = np.empty((3, 3))
    H[0, 0] = w @ (x * x * tg_pq + own_pp)
    H[0, 1] = w @ (x * tg_pq)
    H[0, 2] = -(w @ (x * inv_den))
    H[1, 1] = w @ tg_pq - W * polygamma(1, q)
    H[1, 2] = W / gamma - w @ inv_den
    H[2, 2] = -W * q / gamma**2 + w @ ((px + q) * inv_den**2)
    H = np.triu(H) + np.triu(H, 1).T
    return float(value), g, H


def _q_above_one(loglik):
    """The log-likelihood in (p, q - 1, gamma): a positive second parameter keeps q > 1."""
    def shifted(theta, data, order):
        return loglik(theta + np.array([0.0, 1.0, 0.0]), data, order)
    return shifted


def _coerce_spend(frequency, monetary_value, weights):
    if isinstance(frequency, pd.DataFrame):
        frame = frequency
        frequency, monetary_value = frame["frequency"], frame["monetary_value"]
        if weights is None and "weights" in frame.columns:
            weights = frame["weights"]
    if monetary_value is None:
        raise ValueError("give frequency and monetary_value (or one frame with those columns)")
    x = as_array(frequency, "frequency")
    m = as_array(monetary_value, "monetary_value")
    w = np.ones_like(x) if weights is None else as_array(weights, "weights")
    if not (len(x) == len(m) == len(w)):
        raise ValueError("frequency, monetary_value and weights must have the same length")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must hold non-negative whole numbers")
    return x, m, w


def _check_spread(m: np.ndarray, w: np.ndarray, name: str) -> None:
    if w.sum() < MIN_SPENDERS:
        raise ModelIdentificationError(
            f"{name} needs at least {MIN_SPENDERS} customers with a repeat "
            f"purchase and positive spend; got {w.sum():g}.")
    if np.ptp(m) <= 1e-12 * np.max(m):
        raise ModelIdentificationError(
            "All mean spends are equal: the spread of spend across customers, hence q "
            "and gamma, cannot be identified.")


class GammaGammaModel:
    """Gamma-Gamma spend model: ``GammaGammaModel().fit(frequency, monetary_value)``.

    Customers without repeat purchases (x = 0) or with a non-positive mean spend carry no
    information on spend and are left out of the fit.
    """

    param_names = ("p", "q", "gamma")

    def __init__(self, n_starts: int = 3, warm_start_rows: int = 20_000, random_state: int = 0,
                 penalizer_coef: float = 0.0):
        self.n_starts = n_starts
        self.warm_start_rows = warm_start_rows
        self.random_state = random_state
        self.penalizer_coef = penalizer_coef

    def fit(self, frequency, monetary_value=None, weights=None, q_constraint: bool = False):
        """Maximum-likelihood fit on mean repeat spend; returns self.

        ``q_constraint=True`` searches only q > 1 (as lifetimes), so that the population
        mean spend p gamma / (q - 1) exists. ``penalizer_coef`` (constructor) adds lifetimes'
        L2 penalty on the log-parameters; ``loglik_`` stays the plain log-likelihood.
        """
        x, m, w = _coerce_spend(frequency, monetary_value, weights)
        keep = (x > 0) & (m > 0) & (w > 0) & np.isfinite(m)
        x, m, w = x[keep], m[keep], w[keep]
        _check_spread(m, w, type(self).__name__)
        data = _GGData(x=x, m=m, w=w, log_m=np.log(m), log_x=np.log(x), total_weight=float(w.sum()))
        return self._fit_data(data, q_constraint)

    def _subsample(self, data: _GGData) -> _GGData:
        """Rows for the multi-start search (all of them unless there are many)."""
        if data.x.size <= self.warm_start_rows:
            return data
        rows = np.sort(np.random.default_rng(self.random_state).choice(
            data.x.size, size=self.warm_start_rows, replace=False))
        return _GGData(x=data.x[rows], m=data.m[rows], w=data.w[rows], log_m=data.log_m[rows],
                       log_x=data.log_x[rows], total_weight=float(data.w[rows].sum()),
                       sum_log=None if data.sum_log is None else data.sum_log[rows])

    def _fit_data(self, data: _GGData, q_constraint: bool):
        mean_spend = float(np.average(data.m, weights=data.w))
        shift = np.array([0.0, 1.0 if q_constraint else 0.0, 0.0])
        starts = [np.array([p, q, (q - 1.0) * mean_spend / p]) - shift for p, q in
                  [(2.0, 3.0), (6.0, 4.0), (1.0, 10.0), (10.0, 2.0)][: max(self.n_starts, 1)]]
        log_scale = np.array([0.0, 0.0, np.log(mean_spend)])
        loglik = _q_above_one(gamma_gamma_loglik) if q_constraint else gamma_gamma_loglik
        objective = penalised(loglik, self.penalizer_coef, log_scale)
        try:
            with single_threaded_blas():
                optimum = maximise(objective, data, self._subsample(data), starts,
                                   data.total_weight, self.param_names, log_scale)
        except ModelIdentificationError as error:
            if not q_constraint:
                raise
            raise ModelIdentificationError(
                "With q_constraint the likelihood keeps improving as q falls to its bound 1: "
                "spend varies so much across customers that no finite mean spend fits; fit "
                f"without q_constraint to see the estimates ({error})") from None
        theta = optimum.theta + shift
        self.params_ = dict(zip(self.param_names, map(float, theta)))
        self.loglik_ = float(gamma_gamma_loglik(theta, data, 0)[0])
        self.hessian_ = optimum.hessian  # d/dq = d/d(q - 1): the same in both searches
        self.cov_ = covariance_from_hessian(optimum.hessian)
        self.cov_log_ = self.cov_ / np.outer(theta, theta)
        self.se_ = dict(zip(self.param_names, map(float, np.sqrt(np.diag(self.cov_)))))
        self.n_customers_ = data.total_weight
        self.converged_ = optimum.converged
        return self

    def _theta(self) -> np.ndarray:
        if not hasattr(self, "params_"):
            raise NotFittedError("GammaGammaModel is not fitted yet: call fit() first")
        return np.array([self.params_[n] for n in self.param_names])

    @property
    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% intervals (Wald on the log scale)."""
        return summary_frame(self.param_names, self._theta(), self.cov_log_)

    def sample_params(self, n_draws: int, seed: int = 0) -> np.ndarray:
        """Parameter draws from the asymptotic normal on log-parameters."""
        rng = np.random.default_rng(seed)
        return np.exp(rng.multivariate_normal(np.log(self._theta()), self.cov_log_, size=n_draws))

    def with_params(self, theta) -> "GammaGammaModel":
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.params_ = dict(zip(self.param_names, map(float, theta)))
        return clone

    def expected_spend(self) -> float:
        """Population mean spend per purchase, p gamma / (q - 1) (infinite when q <= 1)."""
        p, q, gamma = self._theta()
        return p * gamma / (q - 1.0) if q > 1 else np.inf

    def conditional_expected_spend(self, frequency, monetary_value):
        """E[spend per purchase | x, m_x] = p (gamma + m_x x) / (p x + q - 1).

        A weighted mean of the population mean and the customer's own mean; customers
        with x = 0 get the population mean.
        """
        p, q, gamma = self._theta()
        x = as_array(frequency, "frequency")
        m = np.where(x > 0, as_array(monetary_value, "monetary_value"), 0.0)
        return output_like(frequency, p * (gamma + m * x) / (p * x + q - 1.0))
