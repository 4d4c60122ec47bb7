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


def gamma_gamma_loglik(theta, d: _GGData, order: int = 0):
    """Weighted Gamma-Gamma log-likelihood of mean spends, gradient and Hessian."""
    p, q, gamma = theta
    x, m, w = d.x, d.m, d.w
    px = p * x
    log_denominator = np.log(gamma + m * x)
    rows = (gammaln(px + q) - gammaln(px) + (px - 1.0) * d.log_m + px * d.log_x
            - (px + q) * log_denominator)
    value = w @ rows + d.total_weight * (q * np.log(gamma) - gammaln(q))
    if order == 0:
        return float(value), None, None
    psi_pq, psi_p = digamma(px + q), digamma(px)
    inv_den = 1.0 / (gamma + m * x)
    g = np.array([
        w @ (x * (psi_pq - psi_p + d.log_m + d.log_x - log_denominator)),
        w @ (psi_pq - log_denominator) + d.total_weight * (np.log(gamma) - digamma(q)),
        d.total_weight * q / gamma - w @ ((px + q) * inv_den),
    ])
    if order == 1:
        return float(value), g, None
    tg_pq, tg_p = polygamma(1, px + q), polygamma(1, px)
    H = np.empty((3, 3))
    H[0, 0] = w @ (x * x * (tg_pq - tg_p))
    H[0, 1] = w @ (x * tg_pq)
    H[0, 2] = -(w @ (x * inv_den))
    H[1, 1] = w @ tg_pq - d.total_weight * polygamma(1, q)
    H[1, 2] = d.total_weight / gamma - w @ inv_den
    H[2, 2] = -d.total_weight * q / gamma**2 + w @ ((px + q) * inv_den**2)
    H = np.triu(H) + np.triu(H, 1).T
    return float(value), g, H


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


class GammaGammaModel:
    """Gamma-Gamma spend model: ``GammaGammaModel().fit(frequency, monetary_value)``.

    Customers without repeat purchases (x = 0) or with a non-positive mean spend carry no
    information on spend and are left out of the fit.
    """

    param_names = ("p", "q", "gamma")

    def __init__(self, n_starts: int = 3, warm_start_rows: int = 20_000, random_state: int = 0):
        self.n_starts = n_starts
        self.warm_start_rows = warm_start_rows
        self.random_state = random_state

    def fit(self, frequency, monetary_value=None, weights=None):
        """Maximum-likelihood fit on mean repeat spend; returns self."""
        x, m, w = _coerce_spend(frequency, monetary_value, weights)
        keep = (x > 0) & (m > 0) & (w > 0) & np.isfinite(m)
        x, m, w = x[keep], m[keep], w[keep]
        if w.sum() < MIN_SPENDERS:
            raise ModelIdentificationError(
                f"GammaGammaModel needs at least {MIN_SPENDERS} customers with a repeat "
                f"purchase and positive spend; got {w.sum():g}.")
        if np.ptp(m) <= 1e-12 * np.max(m):
            raise ModelIdentificationError(
                "All mean spends are equal: the spread of spend across customers, hence q "
                "and gamma, cannot be identified.")
        data = _GGData(x=x, m=m, w=w, log_m=np.log(m), log_x=np.log(x), total_weight=float(w.sum()))
        mean_spend = float(np.average(m, weights=w))
        starts = [np.array([p, q, (q - 1.0) * mean_spend / p]) for p, q in
                  [(2.0, 3.0), (6.0, 4.0), (1.0, 10.0), (10.0, 2.0)][: max(self.n_starts, 1)]]
        log_scale = np.array([0.0, 0.0, np.log(mean_spend)])
        start_data = data
        if x.size > self.warm_start_rows:  # starts on a subsample, Newton on all rows
            rows = np.sort(np.random.default_rng(self.random_state).choice(
                x.size, size=self.warm_start_rows, replace=False))
            start_data = _GGData(x=x[rows], m=m[rows], w=w[rows], log_m=data.log_m[rows],
                                 log_x=data.log_x[rows], total_weight=float(w[rows].sum()))
        with single_threaded_blas():
            optimum = maximise(gamma_gamma_loglik, data, start_data, starts, data.total_weight,
                               self.param_names, log_scale)
        self.params_ = dict(zip(self.param_names, map(float, optimum.theta)))
        self.loglik_ = optimum.loglik
        self.hessian_ = optimum.hessian
        self.cov_ = covariance_from_hessian(optimum.hessian)
        self.cov_log_ = covariance_from_hessian(optimum.hessian_log)
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
