"""How well the repeat-purchase models describe the data: the tables behind the model checks.

- :func:`frequency_histogram`: customers by calibration repeat purchases, actual vs model
  (the model's distribution simulated at each customer's own observation length ``T``);
- :func:`holdout_by_frequency`: mean holdout purchases by calibration frequency, actual vs
  the models' conditional expectations (the classic validation table);
- :func:`tracking`: repeat purchases per period over calibration and holdout, actual vs the
  models' expectation for the same customers (the tracking plot);
- :func:`frequency_recency_matrix`: P(alive) or expected purchases over a grid of
  frequency and recency at a given age ``T``.

``models`` are fitted BG/NBD or Pareto/NBD models (``crmlib.ltv.bgnbd``, ``crmlib.ltv.pareto_nbd``)
keyed by a short name (``{"bgnbd": ..., "pareto_nbd": ...}``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.ltv.bgnbd import BetaGeoModel
from crmlib.ltv.pareto_nbd import ParetoNBDModel
from crmlib.ltv.simulate import simulate_bgnbd, simulate_pareto_nbd
from crmlib.ltv.units import DAYS_PER_UNIT, check_time_unit
from crmlib.ltv.validation import holdout_table


def _bucket(frequency: pd.Series, max_bucket: int) -> pd.Series:
    labels = [str(i) for i in range(max_bucket)] + [f"{max_bucket}+"]
    values = np.minimum(frequency.to_numpy(dtype=float), max_bucket).astype(int)
    return pd.Series(pd.Categorical.from_codes(values, labels), index=frequency.index)


def _simulate(model, n_customers: int, T: np.ndarray, seed: int) -> np.ndarray:
    if isinstance(model, BetaGeoModel):
        return simulate_bgnbd(n_customers, model.params_, T, seed=seed)["frequency"].to_numpy()
    if isinstance(model, ParetoNBDModel):
        return simulate_pareto_nbd(n_customers, model.params_, T, seed=seed)["frequency"].to_numpy()
    raise TypeError(f"no simulator for {type(model).__name__}")


#: Simulated customers per model in :func:`frequency_histogram` at most (fewer repeats on big bases).
MAX_SIMULATED = 2_000_000


def frequency_histogram(calibration: pd.DataFrame, models: dict, max_bucket: int = 7,
                        repeats: int = 20, seed: int = 0) -> pd.DataFrame:
    """Customers per calibration repeat-purchase count (0, 1, …, ``max_bucket``+).

    Each model's column is the mean count over ``repeats`` simulated bases with the
    customers' own ``T``; on bases above :data:`MAX_SIMULATED` / ``repeats`` customers, over as
    many bases as keep the simulation within :data:`MAX_SIMULATED` customers (at least one: a
    base of a million has a Monte Carlo error of about a thousandth of each count). Index:
    bucket labels; columns ``actual`` then the models.
    """
    table = pd.DataFrame({"actual": _bucket(calibration["frequency"], max_bucket).value_counts(sort=False)})
    repeats = max(1, min(repeats, MAX_SIMULATED // max(len(calibration), 1)))
    T = np.tile(calibration["T"].to_numpy(dtype=float), repeats)
    for offset, (name, model) in enumerate(models.items()):
        simulated = pd.Series(_simulate(model, len(T), T, seed + offset))
        counts = _bucket(simulated, max_bucket).value_counts(sort=False) / repeats
        table[name] = counts.reindex(table.index).to_numpy()
    table.index.name = "frequency"
    return table


def holdout_by_frequency(calibration: pd.DataFrame, models: dict, max_bucket: int = 7) -> pd.DataFrame:
    """Mean holdout purchases per calibration-frequency bucket: actual and each model.

    ``calibration`` needs ``frequency``, ``recency``, ``T``, ``frequency_holdout`` and
    ``duration_holdout`` (as from :func:`crmlib.summary.btyd_summary` with an observation end).
    :func:`crmlib.ltv.validation.holdout_table` for several models side by side; columns
    ``customers``, ``actual``, then one per model.
    """
    missing = {"frequency_holdout", "duration_holdout"} - set(calibration.columns)
    if missing:
        raise ValueError(f"calibration summary lacks {sorted(missing)}: build it with an observation end")
    x, t_x, T = calibration["frequency"], calibration["recency"], calibration["T"]
    duration = calibration["duration_holdout"].to_numpy(dtype=float)
    table = None
    for name, model in models.items():
        predicted = np.asarray(model.conditional_expected_purchases(duration, x, t_x, T), dtype=float)
        one = holdout_table(x, calibration["frequency_holdout"], predicted, max_freq=max_bucket)
        if table is None:
            table = one[["customers", "actual"]].copy()
        table[name] = one["predicted"]
    return table


def tracking(transactions: pd.DataFrame, calibration_end, observation_end, models: dict,
             time_unit: str = "W") -> pd.DataFrame:
    """Repeat purchases per period of the customers who bought by ``calibration_end``.

    Periods are weeks (time unit D or W) or 30.4375-day months (M), counted back from
    ``observation_end`` to the first purchase day in the data (the first may be partial).
    ``actual`` counts purchase days after each customer's first, as
    :func:`crmlib.summary.btyd_summary` counts them (a customer's day netting to zero or more;
    a day netting below zero is a return). Each model's column is the expected number for the
    same customers: a customer whose first purchase is on day ``f`` contributes
    ``E[X(edge − f)]`` up to a period's end ``edge`` (the day after its last day), the age
    BTYD's ``pnbd.ExpectedCumulativeTransactions`` and lifetimes'
    ``expected_cumulative_transactions`` use. Index: period start dates.
    """
    unit_days = DAYS_PER_UNIT[check_time_unit(time_unit)]
    period_days = 7.0 if time_unit in ("D", "W") else DAYS_PER_UNIT["M"]
    cal_end = pd.Timestamp(calibration_end).normalize()
    obs_end = pd.Timestamp(observation_end).normalize()
    # customers as integer codes in the ids' sort order (so every group-by below meets them in
    # the same order as the ids): grouping millions of rows by code is many times faster than by text
    codes, _ = pd.factorize(transactions["customer_id"], sort=True)
    daily = (pd.DataFrame({"customer_id": codes, "day": transactions["date"].dt.normalize(),
                           "amount": transactions["amount"]})
             .groupby(["customer_id", "day"], sort=False)["amount"].sum().reset_index())
    daily = daily[(daily["amount"] >= 0) & (daily["day"] <= obs_end)]  # btyd_summary's purchase days
    first = daily.groupby("customer_id")["day"].transform("min")
    daily = daily[first <= cal_end].assign(first=first[first <= cal_end])
    start = daily["day"].min()
    span = (obs_end - start).days + 1
    # whole periods ending on observation_end; the first one may be partial
    edges_days = np.unique(np.ceil(np.clip(span - np.arange(0.0, span + period_days, period_days)[::-1], 0.0, None)))
    repeat_days = (daily.loc[daily["day"] > daily["first"], "day"] - start).dt.days.to_numpy()
    actual, _ = np.histogram(repeat_days, bins=edges_days)
    index = pd.DatetimeIndex(start + pd.to_timedelta(np.ceil(edges_days[:-1]), unit="D"), name="period")
    table = pd.DataFrame({"actual": actual.astype(float)}, index=index)
    cohorts = daily.groupby("customer_id")["first"].first().value_counts()
    offsets = (cohorts.index - start).days.to_numpy(dtype=float)
    sizes = cohorts.to_numpy(dtype=float)
    # a purchase on day k falls in period j when edges[j] <= k < edges[j+1]; expected repeats
    # before day `edge` for a customer who started on day f: E[X((edge - f) / unit)]
    for name, model in models.items():
        ages = np.clip(edges_days[None, :] - offsets[:, None], 0.0, None) / unit_days
        cumulative = np.asarray(model.expected_purchases(ages.ravel()), dtype=float).reshape(ages.shape)
        table[name] = np.diff(sizes @ cumulative)
    return table


def frequency_recency_matrix(model, T: float, max_frequency: int | None = None,
                             max_recency: float | None = None, what: str = "alive",
                             horizon: float = 1.0, points: int = 40) -> pd.DataFrame:
    """P(alive) (``what="alive"``) or expected purchases in the next ``horizon``
    (``what="expected"``) for a customer of age ``T`` with each frequency (rows, 0 …
    ``max_frequency``) and recency (columns, ``points`` values from 0 to ``max_recency`` ≤ T).
    Customers with no repeat purchase have recency 0: their row repeats the x = 0 value.
    """
    max_frequency = int(max_frequency if max_frequency is not None else 20)
    max_recency = float(T if max_recency is None else min(max_recency, T))
    recency = np.linspace(0.0, max_recency, points)
    x, t_x = np.meshgrid(np.arange(max_frequency + 1, dtype=float), recency, indexing="ij")
    t_x = np.where(x == 0, 0.0, t_x)
    age = np.full(x.size, float(T))
    if what == "alive":
        values = model.probability_alive(x.ravel(), t_x.ravel(), age)
    elif what == "expected":
        values = model.conditional_expected_purchases(horizon, x.ravel(), t_x.ravel(), age)
    else:
        raise ValueError("what must be 'alive' or 'expected'")
    return pd.DataFrame(np.asarray(values, dtype=float).reshape(x.shape),
                        index=pd.Index(np.arange(max_frequency + 1), name="frequency"),
                        columns=pd.Index(np.round(recency, 2), name="recency"))
