"""Discrete-time histories for the BG/BB: one purchase opportunity per calendar period.

A customer's first purchase falls in period 0; opportunities are the complete periods after
it, up to the last period that has ended by ``observation_end``. Per customer:
``frequency`` = opportunities with a purchase, ``recency`` = the last of them (0 without
any), ``n_periods`` = opportunities observed. Purchase days as in
``crmlib.summary.btyd_summary`` (same-day lines one purchase; a negative-net day is not one).
Customers whose first purchase is in the last complete period or later have no opportunity
yet: they are not in the table and are counted in ``attrs["without_opportunity"]``; customers
with no purchase day (only returns) in ``attrs["without_purchase"]``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

#: Names of the opportunity periods (pandas period aliases).
PERIODS = {"year": "Y", "quarter": "Q", "month": "M"}


def opportunity_summary(transactions: pd.DataFrame, observation_end=None, period: str = "year") -> pd.DataFrame:
    """(frequency, recency, n_periods) per customer, indexed by customer_id (sorted)."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {sorted(PERIODS)}, not {period!r}")
    for column in ("customer_id", "date"):
        if column not in transactions.columns:
            raise ValueError(f"transactions lack the column {column!r}")
    freq = PERIODS[period]
    frame = pd.DataFrame({"customer_id": transactions["customer_id"].astype(str),
                          "day": pd.to_datetime(transactions["date"]).dt.normalize(),
                          "amount": transactions["amount"] if "amount" in transactions.columns else 0.0})
    end = frame["day"].max() if observation_end in (None, "") else pd.Timestamp(observation_end).normalize()
    frame = frame[frame["day"] <= end]
    daily = frame.groupby(["customer_id", "day"], sort=True)["amount"].sum().reset_index()
    daily = daily[daily["amount"] >= 0]
    last_complete = pd.Period(end, freq)
    if (last_complete + 1).start_time.normalize() - pd.Timedelta(days=1) != end:
        last_complete -= 1  # the period holding ``end`` has not ended yet
    periods = daily["day"].dt.to_period(freq)
    daily = daily.assign(index=(periods - periods.min()).map(lambda offset: offset.n).astype("int64"))
    base = periods.min()
    end_index = (last_complete - base).n
    first = daily.groupby("customer_id")["index"].min()
    n_periods = end_index - first
    later = daily[(daily["index"] > daily["customer_id"].map(first)) & (daily["index"] <= end_index)]
    opportunity = later.drop_duplicates(["customer_id", "index"])
    counts = opportunity.groupby("customer_id")["index"].size()
    last = opportunity.groupby("customer_id")["index"].max()
    table = pd.DataFrame({"frequency": counts.reindex(first.index).fillna(0).astype("int64"),
                          "recency": (last - first.reindex(last.index)).reindex(first.index).fillna(0).astype("int64"),
                          "n_periods": n_periods.astype("int64")})
    table.index.name = "customer_id"
    kept = table[table["n_periods"] >= 1].sort_index()
    kept.attrs["without_opportunity"] = int((table["n_periods"] < 1).sum())
    kept.attrs["without_purchase"] = int(frame["customer_id"].nunique() - first.size)
    kept.attrs["period"] = period
    kept.attrs["last_complete_period"] = str(last_complete)
    return kept
