"""Customer-level forecasts from fitted models: CLV (with bootstrap bands), next purchase,
orders over the next days.

Time: a transaction model works in its own ``time_unit`` (the unit of T it was fitted on).
CLV is summed over ``horizon`` periods of length ``period`` ("D", "W" or "M"), each period
discounted once: with d = (1 + annual_discount_rate)^(1 / periods_per_year) - 1 (365.25
days, 52.1775 weeks or 12 months a year),

    CLV = sum_{i=1..horizon} margin * spend * (E[Y(t_i)] - E[Y(t_{i-1})]) / (1 + d)^i

where t_i is i periods expressed in the model's time unit and E[Y(t)] the expected
purchases in (T, T + t] given the customer's history (as in the lifetimes package, with
explicit units instead of a 30-day month).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.ltv._base import as_array, coerce_rfm, output_like
from crmlib.ltv.gamma_gamma import GammaGammaModel
from crmlib.ltv.units import DAYS_PER_UNIT, check_time_unit, convert_time, per_period_rate

_CLV_CHUNK = 100_000  # customers per block in the bootstrap
#: ``clv_interval(method="auto")`` draws parameters while distinct histories x draws stay within
#: this many evaluations (20,000 histories at 200 draws); above it the band is the delta method's,
#: whose cost grows with the customers alone (about 2 x parameters evaluations per history).
DRAW_BUDGET = 4_000_000
CLV_BAND_METHODS = ("auto", "draws", "delta")


def _expected_spend(spend, frequency, monetary_value) -> np.ndarray:
    if isinstance(spend, GammaGammaModel):
        if monetary_value is None:
            raise ValueError("monetary_value is needed to predict spend with a GammaGammaModel")
        return np.asarray(spend.conditional_expected_spend(frequency, monetary_value), float)
    return np.asarray(spend, float)


def _discounted_purchases(model, x, t_x, T, horizon: int, period: str,
                          annual_discount_rate: float) -> np.ndarray:
    """sum_i (E[Y(t_i)] - E[Y(t_{i-1})]) / (1 + d)^i per customer."""
    if int(horizon) != horizon or horizon < 1:
        raise ValueError("horizon must be a positive whole number of periods")
    step = convert_time(1.0, check_time_unit(period), model.time_unit)
    times = step * np.arange(1, int(horizon) + 1)
    cumulative = model.conditional_expected_purchases_path(times, x, t_x, T)
    increments = np.diff(cumulative, axis=0, prepend=0.0)
    discount = (1.0 + per_period_rate(annual_discount_rate, period)) ** -np.arange(1, int(horizon) + 1)
    return discount @ increments


def customer_lifetime_value(transaction_model, spend, frequency, recency, T, monetary_value=None,
                            horizon: int = 12, period: str = "M",
                            annual_discount_rate: float = 0.10, margin: float = 1.0):
    """Discounted expected value of each customer's purchases over ``horizon`` periods.

    ``transaction_model``: a fitted BetaGeoModel or ParetoNBDModel. ``spend``: a fitted
    GammaGammaModel (then ``monetary_value``, the mean repeat spend, is used) or the
    expected spend per purchase (one number or one per customer). ``margin`` multiplies
    spend (1 = revenue). Returns an array, or a Series when ``frequency`` is one.
    """
    x, t_x, T_, _ = coerce_rfm(frequency, recency, T)
    unit_spend = _expected_spend(spend, x, monetary_value)
    value = margin * unit_spend * _discounted_purchases(transaction_model, x, t_x, T_, horizon,
                                                        period, annual_discount_rate)
    return output_like(frequency, value)


def clv_interval(transaction_model, spend, frequency, recency, T, monetary_value=None,
                 horizon: int = 12, period: str = "M", annual_discount_rate: float = 0.10,
                 margin: float = 1.0, n_draws: int = 200, level: float = 0.90,
                 seed: int = 0, method: str = "auto") -> pd.DataFrame:
    """CLV with a band from the parameters' uncertainty.

    ``method="draws"``, a parametric bootstrap: parameters are drawn from the asymptotic normal
    of the log-parameters (the inverse Hessian at the optimum) of the transaction model and, when
    ``spend`` is a GammaGammaModel, of the spend model; each draw gives a CLV per customer (the
    expected purchases computed once per distinct history (x, t_x, T): day-level data repeat
    many); the band is the draws' quantiles at (1 - level)/2 and (1 + level)/2.
    ``method="delta"``: the same normal on the log-parameters carried to log CLV to first order
    (central differences of each history's log CLV in every log-parameter), the band
    ``clv * exp(± z sd)``; its cost does not grow with ``n_draws``. ``"auto"``: draws while distinct
    histories x ``n_draws`` <= :data:`DRAW_BUDGET`, else delta.
    Columns: ``clv`` (at the estimates), ``clv_low``, ``clv_high``; the method used is in
    ``.attrs["band_method"]``. Deterministic for a given ``seed``.
    """
    if method not in CLV_BAND_METHODS:
        raise ValueError(f"method must be one of {CLV_BAND_METHODS}, not {method!r}")
    x, t_x, T_, _ = coerce_rfm(frequency, recency, T)
    kwargs = dict(horizon=horizon, period=period, annual_discount_rate=annual_discount_rate)
    point = margin * _expected_spend(spend, x, monetary_value) * _discounted_purchases(
        transaction_model, x, t_x, T_, **kwargs)
    if method == "auto":
        histories = len(np.unique(np.column_stack([x, t_x, T_]), axis=0)) if x.size else 0
        method = "draws" if histories * n_draws <= DRAW_BUDGET else "delta"
    index = frequency.index if isinstance(frequency, pd.Series) else None
    if method == "delta":
        low, high = _delta_band(transaction_model, spend, x, t_x, T_, monetary_value, point, level, kwargs)
    else:
        low, high = _draws_band(transaction_model, spend, x, t_x, T_, monetary_value, margin, n_draws,
                                level, seed, kwargs)
    table = pd.DataFrame({"clv": point, "clv_low": low, "clv_high": high}, index=index)
    table.attrs["band_method"] = method
    return table


def _draws_band(transaction_model, spend, x, t_x, T_, monetary_value, margin, n_draws, level, seed, kwargs):
    """The parametric bootstrap's quantiles per customer (see :func:`clv_interval`)."""
    rng = np.random.default_rng(seed)
    tx_draws = transaction_model.sample_params(n_draws, seed=int(rng.integers(2**31)))
    spend_draws = (spend.sample_params(n_draws, seed=int(rng.integers(2**31)))
                   if isinstance(spend, GammaGammaModel) else None)
    quantiles = [(1.0 - level) / 2.0, (1.0 + level) / 2.0]
    low, high = np.empty(x.size), np.empty(x.size)
    for start in range(0, x.size, _CLV_CHUNK):
        rows = slice(start, start + _CLV_CHUNK)
        # customers with the same (x, t_x, T) expect the same purchases: each history once per draw
        histories, same = np.unique(np.column_stack([x[rows], t_x[rows], T_[rows]]), axis=0, return_inverse=True)
        same = same.reshape(-1)
        values = np.empty((n_draws, x[rows].size))
        fixed_spend = np.asarray(spend, float)[rows] if spend_draws is None and np.ndim(spend) == 1 else spend
        m_rows = None if monetary_value is None else as_array(monetary_value, "monetary_value")[rows]
        for i in range(n_draws):
            model_i = transaction_model.with_params(tx_draws[i])
            spend_i = spend.with_params(spend_draws[i]) if spend_draws is not None else fixed_spend
            purchases = _discounted_purchases(model_i, histories[:, 0], histories[:, 1], histories[:, 2], **kwargs)
            values[i] = margin * _expected_spend(spend_i, x[rows], m_rows) * purchases[same]
        low[rows], high[rows] = np.quantile(values, quantiles, axis=0)
    return low, high


def _delta_band(transaction_model, spend, x, t_x, T_, monetary_value, point, level, kwargs, step=1e-4):
    """``point * exp(± z sd)``, sd of log CLV to first order in the log-parameters (see :func:`clv_interval`)."""
    from scipy.stats import norm

    histories, same = np.unique(np.column_stack([x, t_x, T_]), axis=0, return_inverse=True)
    same = same.reshape(-1)

    def log_purchases(theta):
        model = transaction_model.with_params(theta)
        return np.log(_discounted_purchases(model, histories[:, 0], histories[:, 1], histories[:, 2], **kwargs))

    variance = _log_variance(log_purchases, transaction_model, step)[same]
    if isinstance(spend, GammaGammaModel):
        variance = variance + _log_variance(lambda theta: np.log(_expected_spend(spend.with_params(theta), x,
                                                                                  monetary_value)), spend, step)
    spread = np.exp(norm.ppf((1.0 + level) / 2.0) * np.sqrt(variance))
    return point / spread, point * spread


def _log_variance(log_value, model, step: float) -> np.ndarray:
    """g' Σ g per row: g the central-difference gradient of ``log_value`` in the model's
    log-parameters, Σ their covariance (``cov_log_``)."""
    from crmlib.ltv._fit import ModelIdentificationError

    if not np.all(np.isfinite(model.cov_log_)):
        raise ModelIdentificationError("no usable covariance: the Hessian is not definite")
    log_theta = np.log(model._theta())
    gradient = []
    for j in range(log_theta.size):
        shift = np.zeros_like(log_theta)
        shift[j] = step
        gradient.append((log_value(np.exp(log_theta + shift)) - log_value(np.exp(log_theta - shift))) / (2 * step))
    gradient = np.array(gradient)  # parameters x rows
    return np.einsum("ir,ij,jr->r", gradient, model.cov_log_, gradient)


def expected_purchases_in_days(model, frequency, recency, T, days: float = 365.0):
    """Expected purchases in the next ``days`` days given each customer's history."""
    t = convert_time(days, "D", model.time_unit)
    return model.conditional_expected_purchases(t, frequency, recency, T)


def next_purchase_date(model, frequency, recency, T, as_of, statistic: str = "median"):
    """Date of the next purchase of a customer who is still alive, from ``as_of``
    (the end of the calibration period, where T is measured).

    ``statistic="median"``: the day by which an alive customer has bought again with
    probability 1/2; ``"mean"``: the expected waiting time (infinite when r + x <= 1, then
    NaT). See ``time_to_next_purchase`` on the models. A customer's dropout risk is not
    in this date: weigh it with ``probability_alive``.
    """
    waits = np.asarray(model.time_to_next_purchase(frequency, recency, T, statistic=statistic), float)
    days = waits * DAYS_PER_UNIT[model.time_unit]
    finite = np.isfinite(days) & (days < 1e6)
    offsets = pd.to_timedelta(np.where(finite, days, 0.0), unit="D")
    dates = pd.Timestamp(as_of) + offsets
    dates = pd.DatetimeIndex(dates).where(finite, pd.NaT)
    if isinstance(frequency, pd.Series):
        return pd.Series(dates, index=frequency.index)
    return dates.to_numpy()
