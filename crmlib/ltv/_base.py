"""Common sklearn-style behaviour of the repeat-purchase models (BG/NBD, Pareto/NBD).

Inputs follow the BTYD convention, all in one time unit (weeks by default):
``frequency`` x = number of repeat purchases, ``recency`` t_x = time of the last purchase
since the first (0 when x = 0), ``T`` = time from the first purchase to the end of the
calibration period.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.ltv._fit import (
    MAX_EVALUATIONS,
    MAX_SECONDS,
    ModelIdentificationError,
    NotFittedError,
    covariance_from_hessian,
    maximise,
    newton_through,
    penalised,
    single_threaded_blas,
    subsamples,
    summary_frame,
)
from crmlib.ltv.units import check_time_unit

#: Fewer customers than this cannot identify four parameters.
MIN_CUSTOMERS = 20
#: Fewer customers with a repeat purchase than this cannot separate purchasing from dropout.
MIN_REPEATERS = 5


def as_array(values, name: str, dtype=float) -> np.ndarray:
    array = np.asarray(values, dtype=dtype)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def coerce_rfm(frequency, recency, T, weights=None):
    """Validated float arrays (x, t_x, T, w) from arrays, Series or a summary DataFrame."""
    if isinstance(frequency, pd.DataFrame):
        frame = frequency
        missing = {"frequency", "recency", "T"} - set(frame.columns)
        if missing:
            raise ValueError(f"summary frame lacks columns {sorted(missing)}")
        frequency, recency, T = frame["frequency"], frame["recency"], frame["T"]
        if weights is None and "weights" in frame.columns:
            weights = frame["weights"]
    if recency is None or T is None:
        raise ValueError("give frequency, recency and T (or one frame with those columns)")
    x = as_array(frequency, "frequency")
    t_x = as_array(recency, "recency")
    T = as_array(T, "T")
    w = np.ones_like(x) if weights is None else as_array(weights, "weights")
    try:  # a single value (e.g. one T for a grid of customers) applies to all rows
        x, t_x, T, w = (np.array(a) for a in np.broadcast_arrays(x, t_x, T, w))
    except ValueError:
        raise ValueError("frequency, recency, T and weights must have the same length") from None
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(t_x)) and np.all(np.isfinite(T))):
        raise ValueError("frequency, recency and T must be finite")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must hold non-negative whole numbers")
    if np.any(t_x < 0) or np.any(t_x > T * (1 + 1e-12)):
        raise ValueError("recency must lie in [0, T]")
    if np.any(T <= 0):
        raise ValueError("T must be positive")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("recency must be 0 for customers without repeat purchases")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be non-negative counts")
    keep = w > 0
    if not keep.all():
        x, t_x, T, w = x[keep], t_x[keep], T[keep], w[keep]
    return x, np.minimum(t_x, T), T, w


def compress_rows(frequency, recency, T):
    """Identical (x, t_x, T) rows collapsed: returns a frame with a ``weights`` column.

    Fitting on the result with ``weights`` gives the same estimates much faster when
    times are recorded on a coarse grid (e.g. whole days).
    """
    frame = pd.DataFrame({"frequency": as_array(frequency, "frequency"),
                          "recency": as_array(recency, "recency"), "T": as_array(T, "T")})
    return frame.groupby(["frequency", "recency", "T"], as_index=False, sort=True).size() \
        .rename(columns={"size": "weights"})


def output_like(template, values: np.ndarray):
    """Return a Series with the template's index when the input was a Series."""
    if isinstance(template, pd.Series):
        return pd.Series(values, index=template.index)
    return values


class RepeatPurchaseModel:
    """Fit/summary plumbing; subclasses define the likelihood and the predictions."""

    param_names: tuple[str, ...] = ()
    time_scale_params: tuple[str, ...] = ()

    def __init__(self, n_starts: int = 3, time_unit: str = "W",
                 warm_start_rows: int = 20_000, random_state: int = 0,
                 penalizer_coef: float = 0.0, max_seconds: float | None = MAX_SECONDS,
                 max_evaluations: int = MAX_EVALUATIONS):
        self.n_starts = n_starts
        self.max_seconds = max_seconds
        self.max_evaluations = max_evaluations
        self.penalizer_coef = penalizer_coef
        self.time_unit = time_unit
        self.warm_start_rows = warm_start_rows
        self.random_state = random_state

    # -- subclass hooks -------------------------------------------------------------
    def _prepare(self, x, t_x, T, w):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _loglik(theta, data, order):  # pragma: no cover - abstract
        raise NotImplementedError

    def _starts(self, time_scale: float) -> list[np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    # -- fitting --------------------------------------------------------------------
    def fit(self, frequency, recency=None, T=None, weights=None):
        """Maximum-likelihood fit; returns self with ``params_``, ``loglik_``, ``se_``.

        ``frequency`` may also be a frame with columns frequency, recency, T (and
        optionally weights). ``weights`` counts identical customers per row. With
        ``penalizer_coef`` > 0 the estimates maximise the penalised likelihood (see
        :func:`~crmlib.ltv._fit.penalised`); ``loglik_`` stays the plain log-likelihood.
        """
        check_time_unit(self.time_unit)
        x, t_x, T_, w = coerce_rfm(frequency, recency, T, weights)
        n_customers = float(w.sum())
        if n_customers < MIN_CUSTOMERS:
            raise ModelIdentificationError(
                f"{type(self).__name__} needs at least {MIN_CUSTOMERS} customers to identify "
                f"its {len(self.param_names)} parameters; got {n_customers:g}.")
        n_repeaters = float(w[x > 0].sum())
        if n_repeaters < MIN_REPEATERS:
            raise ModelIdentificationError(
                f"Only {n_repeaters:g} customers made a repeat purchase (at least "
                f"{MIN_REPEATERS} needed): purchase rates and dropout cannot be told apart.")
        # search on a subsample, Newton steps on larger ones, then on all rows (see SUBSAMPLE_GROWTH)
        data = self._prepare(x, t_x, T_, w)
        stages = [self._prepare(x[rows], t_x[rows], T_[rows], w[rows])
                  for rows in subsamples(len(x), self.warm_start_rows, np.random.default_rng(self.random_state))]
        search_data, first, *later = [*stages, data] if stages else [data, data]
        time_scale = float(np.average(T_, weights=w))
        log_scale = np.array([np.log(time_scale) if name in self.time_scale_params else 0.0
                              for name in self.param_names])
        objective = penalised(self._loglik, self.penalizer_coef, log_scale)
        budget = {"max_evaluations": self.max_evaluations, "max_seconds": self.max_seconds}
        with single_threaded_blas():
            optimum = maximise(objective, first, search_data, self._starts(time_scale), first.total_weight,
                               self.param_names, log_scale, **budget)
            if later:
                optimum = newton_through(objective, later, optimum.theta, self.param_names, log_scale, **budget)
        return self._store_fit(optimum, self._unpenalised_loglik(optimum, data), n_customers)

    def _unpenalised_loglik(self, optimum, data) -> float:
        """The plain log-likelihood at the optimum (the search's own value when unpenalised)."""
        if self.penalizer_coef == 0:
            return float(optimum.loglik)
        return float(self._loglik(optimum.theta, data, 0)[0])

    def _store_fit(self, optimum, loglik: float, n_customers: float):
        """Keep the estimates, the plain log-likelihood and the covariance; returns self."""
        self.params_ = dict(zip(self.param_names, map(float, optimum.theta)))
        self.loglik_ = loglik
        self.hessian_ = optimum.hessian
        self.cov_ = covariance_from_hessian(optimum.hessian)
        self.cov_log_ = covariance_from_hessian(optimum.hessian_log)
        self.se_ = dict(zip(self.param_names, map(float, np.sqrt(np.diag(self.cov_)))))
        self.n_customers_ = n_customers
        self.converged_ = optimum.converged
        return self

    def _require_fit(self):
        if not hasattr(self, "params_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit() first")

    @property
    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% intervals (Wald on the log scale)."""
        self._require_fit()
        return summary_frame(self.param_names, [self.params_[n] for n in self.param_names],
                             self.cov_log_)

    def _theta(self) -> np.ndarray:
        self._require_fit()
        return np.array([self.params_[n] for n in self.param_names])

    def sample_params(self, n_draws: int, seed: int = 0) -> np.ndarray:
        """Parameter draws (n_draws x n_params) from the asymptotic normal on log-parameters."""
        self._require_fit()
        if not np.all(np.isfinite(self.cov_log_)):
            raise ModelIdentificationError("no usable covariance: the Hessian is not definite")
        rng = np.random.default_rng(seed)
        draws = rng.multivariate_normal(np.log(self._theta()), self.cov_log_, size=n_draws)
        return np.exp(draws)

    def with_params(self, theta) -> "RepeatPurchaseModel":
        """A copy of this model carrying other parameter values (for bootstraps)."""
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.params_ = dict(zip(self.param_names, map(float, theta)))
        return clone

    def log_likelihood(self, frequency, recency=None, T=None, weights=None) -> float:
        """Weighted log-likelihood of data at the fitted parameters."""
        x, t_x, T_, w = coerce_rfm(frequency, recency, T, weights)
        return float(self._loglik(self._theta(), self._prepare(x, t_x, T_, w), 0)[0])

    # -- shared predictions ---------------------------------------------------------
    def time_to_next_purchase(self, frequency, recency, T, statistic: str = "median"):
        """Waiting time from T to the next purchase of a customer who is still alive.

        Given alive, both models give the purchase rate a Gamma(r + x, alpha + T)
        posterior and purchases arrive as a Poisson process, so the waiting time W has
        P(W > t) = ((alpha + T) / (alpha + T + t))^(r + x). ``statistic="median"`` returns
        (alpha + T)(2^(1/(r+x)) - 1); ``"mean"`` returns (alpha + T)/(r + x - 1), infinite
        when r + x <= 1. In the model's time unit.
        """
        self._require_fit()
        x, t_x, T_, _ = coerce_rfm(frequency, recency, T)
        r, alpha = self.params_["r"], self.params_["alpha"]
        shape = r + x
        if statistic == "median":
            values = (alpha + T_) * np.expm1(np.log(2.0) / shape)
        elif statistic == "mean":
            with np.errstate(divide="ignore"):
                values = np.where(shape > 1, (alpha + T_) / np.maximum(shape - 1, 1e-300), np.inf)
        else:
            raise ValueError("statistic must be 'median' or 'mean'")
        return output_like(frequency, values)

    # -- distribution of purchases ------------------------------------------------------
    # Subclasses give: _posterior(x, T) -> the model's parameters for a customer alive at T
    # after x repeat purchases (the future is then a fresh process with those parameters),
    # _alive_pmf(n, t, params) -> P(n purchases in the next t | alive now), and
    # _prior_alive() -> P(alive just after the first purchase).

    def _prior_alive(self) -> float:
        return 1.0

    def probability_of_n_purchases(self, n, t):
        """P(X(t) = n): a new customer makes exactly ``n`` repeat purchases in (0, t].

        lifetimes' ``probability_of_n_purchases_up_to_time(t, n)``, CLVTools' ``pmf``.
        ``n`` and ``t`` broadcast against each other (model time unit).
        """
        self._require_fit()
        n, t = check_count_and_horizon(n, t)
        prior = self._prior_alive()
        pmf = prior * self._alive_pmf(n, t, self._posterior(np.float64(0.0), np.float64(0.0)))
        return pmf + (1.0 - prior) * (n == 0)

    def conditional_probability_of_n_purchases(self, n, t, frequency, recency, T):
        """P(Y(t) = n | x, t_x, T): exactly ``n`` purchases in (T, T + t] given the history.

        Alive at T, the customer's future is the model's process with the posterior
        parameters; dead, he buys nothing: P = P(alive) P_alive(n) + (1 - P(alive)) [n = 0].
        ``n = 0`` is the probability of no purchase (PyMC-Marketing). ``n`` and ``t`` are
        one value or one per customer.
        """
        self._require_fit()
        x, t_x, T_, _ = coerce_rfm(frequency, recency, T)
        n, t = check_count_and_horizon(n, t)
        alive = np.asarray(self.probability_alive(x, t_x, T_), float)
        pmf = alive * self._alive_pmf(n, t, self._posterior(x, T_)) + (1.0 - alive) * (n == 0)
        return output_like(frequency, pmf)


def check_count_and_horizon(n, t):
    """Whole, non-negative counts ``n`` and non-negative horizons ``t`` as float arrays."""
    n = np.asarray(n, float)
    t = np.asarray(t, float)
    if np.any(n < 0) or np.any(n != np.round(n)):
        raise ValueError("n must hold non-negative whole numbers of purchases")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("t must be a non-negative, finite horizon")
    return n, t

