"""Customer summary at an as-of date: one row per customer, shared by notebooks 02–05."""
from __future__ import annotations

import numpy as np
import pandas as pd

SUMMARY_COLUMNS = ("customer_id", "first_purchase", "last_purchase", "recency_days", "frequency",
                   "orders", "monetary_total", "monetary_mean", "tenure_days", "n_categories")


def customer_summary(transactions: pd.DataFrame, as_of_date=None) -> pd.DataFrame:
    """Recency, frequency and monetary value per customer, using transactions up to ``as_of_date``.

    - frequency: distinct purchase days (purchases of one customer on one day count once);
      only days with a positive net amount count as purchases (returns are netted);
    - orders: distinct order ids (equals frequency when there is no order id);
    - recency_days / tenure_days: whole days from the last / first purchase to ``as_of_date``;
    - monetary_total: net spend; monetary_mean: net spend per purchase day.
    ``as_of_date`` defaults to the last transaction date. Sorted by ``customer_id``.
    """
    as_of = _as_of(transactions, as_of_date)
    tx = transactions.loc[transactions["date"] <= as_of + pd.Timedelta(days=1) - pd.Timedelta(1)]
    day = tx["date"].dt.normalize()
    daily = (tx.assign(day=day).groupby(["customer_id", "day"], sort=False)["amount"].sum()
             .reset_index())
    purchases = daily[daily["amount"] > 0]
    grouped = purchases.groupby("customer_id", sort=True)
    out = pd.DataFrame({
        "first_purchase": grouped["day"].min(),
        "last_purchase": grouped["day"].max(),
        "frequency": grouped["day"].size().astype("int64"),
    })
    out["monetary_total"] = daily.groupby("customer_id")["amount"].sum().reindex(out.index)
    if "order_id" in tx and tx["order_id"].notna().any():
        orders = tx.loc[tx["amount"] > 0].groupby("customer_id")["order_id"].nunique()
        out["orders"] = orders.reindex(out.index).fillna(0).astype("int64")
    else:
        out["orders"] = out["frequency"]
    out["monetary_mean"] = out["monetary_total"] / out["frequency"]
    out["recency_days"] = (as_of.normalize() - out["last_purchase"]).dt.days.astype("int64")
    out["tenure_days"] = (as_of.normalize() - out["first_purchase"]).dt.days.astype("int64")
    if "category" in tx:
        out["n_categories"] = tx.groupby("customer_id")["category"].nunique().reindex(out.index)
    else:
        out["n_categories"] = np.nan
    out = out.reset_index()
    return out[list(SUMMARY_COLUMNS)]


def _as_of(transactions: pd.DataFrame, as_of_date) -> pd.Timestamp:
    if as_of_date in (None, ""):
        return transactions["date"].max().normalize()
    return pd.Timestamp(as_of_date)


#: Days per time unit for the Buy-Till-You-Die summary (no 30-day-month shortcut).
DAYS_PER_UNIT = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}


def btyd_summary(transactions: pd.DataFrame, calibration_end=None, observation_end=None,
                 time_unit: str = "W") -> pd.DataFrame:
    """Buy-Till-You-Die summary (as ``lifetimes.utils.summary_data_from_transaction_data``).

    Per customer with a purchase on or before ``calibration_end``: ``frequency`` = repeat purchase
    days, ``recency`` = time from the first to the last purchase, ``T`` = time from the first
    purchase to ``calibration_end``, ``monetary_value`` = mean spend of the repeat purchase days
    (0 without repeats), all in ``time_unit`` (D, W or M; computed from whole days). With
    ``observation_end``: ``frequency_holdout`` (purchase days after calibration) and
    ``monetary_value_holdout`` and ``duration_holdout``. Indexed by ``customer_id``, sorted.
    """
    if time_unit not in DAYS_PER_UNIT:
        raise ValueError(f"time_unit must be one of {tuple(DAYS_PER_UNIT)}, not {time_unit!r}.")
    unit = DAYS_PER_UNIT[time_unit]
    cal_end = _as_of(transactions, calibration_end).normalize()
    day = transactions["date"].dt.normalize()
    daily = (transactions.assign(day=day).groupby(["customer_id", "day"], sort=True)["amount"].sum()
             .reset_index())
    daily = daily[daily["amount"] > 0]
    cal = daily[daily["day"] <= cal_end]
    grouped = cal.groupby("customer_id", sort=True)
    first = grouped["day"].min()
    last = grouped["day"].max()
    count = grouped.size()
    first_spend = cal.loc[cal["day"].eq(cal["customer_id"].map(first)), ["customer_id", "amount"]] \
        .set_index("customer_id")["amount"]
    repeat_total = grouped["amount"].sum() - first_spend
    out = pd.DataFrame({
        "frequency": (count - 1).astype(float),
        "recency": (last - first).dt.days / unit,
        "T": (cal_end - first).dt.days / unit,
    })
    out["monetary_value"] = (repeat_total / (count - 1)).where(count > 1, 0.0)
    if observation_end is not None:
        obs_end = pd.Timestamp(observation_end).normalize()
        hold = daily[(daily["day"] > cal_end) & (daily["day"] <= obs_end)]
        held = hold.groupby("customer_id")
        out["frequency_holdout"] = held.size().reindex(out.index).fillna(0).astype(float)
        out["monetary_value_holdout"] = held["amount"].mean().reindex(out.index).fillna(0.0)
        out["duration_holdout"] = (obs_end - cal_end).days / unit
    out.index.name = "customer_id"
    return out
