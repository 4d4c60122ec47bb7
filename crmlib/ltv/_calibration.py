"""Calibration/holdout summary of CDNOW-style transactions, as in the BTYD papers.

A stop-gap for the tests and examples until the team's customer-summary module offers
``btyd_summary``; kept private on purpose.
"""
from __future__ import annotations

import pandas as pd

DAYS_PER_WEEK = 7.0


def _cdnow_calibration_frame(
    transactions: pd.DataFrame,
    calibration_end: str = "1997-09-30",
    holdout_end: str = "1998-06-30",
    days_per_unit: float = DAYS_PER_WEEK,
) -> pd.DataFrame:
    """One row per customer (first purchase within the calibration period).

    Same-day transactions are merged into one purchase (amounts added). Times are in
    units of ``days_per_unit`` days (weeks by default), measured on daily dates:

    - ``frequency``: repeat purchases (distinct purchase days - 1) up to ``calibration_end``;
    - ``recency``: (last - first calibration purchase day) / 7;
    - ``T``: (calibration_end - first purchase day) / 7;
    - ``monetary_value``: mean spend of the repeat calibration purchases (0 without any);
    - ``holdout_frequency``: purchases in (calibration_end, holdout_end];
    - ``holdout_length``: (holdout_end - calibration_end) / 7.
    """
    cal_end = pd.Timestamp(calibration_end)
    hold_end = pd.Timestamp(holdout_end)
    daily = (
        transactions.assign(day=transactions["date"].dt.normalize())
        .groupby(["customer_id", "day"], as_index=False)["amount"].sum()
        .sort_values(["customer_id", "day"])
    )
    calibration = daily[daily["day"] <= cal_end]
    first = calibration.groupby("customer_id")["day"].transform("min")
    repeat = calibration[calibration["day"] > first]
    per_customer = calibration.groupby("customer_id").agg(
        first=("day", "min"), last=("day", "max"), n_days=("day", "size"))
    frame = pd.DataFrame(index=per_customer.index)
    frame["frequency"] = (per_customer["n_days"] - 1).astype("int64")
    frame["recency"] = (per_customer["last"] - per_customer["first"]).dt.days / days_per_unit
    frame["T"] = (cal_end - per_customer["first"]).dt.days / days_per_unit
    spend = repeat.groupby("customer_id")["amount"].mean()
    frame["monetary_value"] = spend.reindex(frame.index).fillna(0.0)
    holdout = daily[(daily["day"] > cal_end) & (daily["day"] <= hold_end)]
    counts = holdout.groupby("customer_id").size()
    frame["holdout_frequency"] = counts.reindex(frame.index).fillna(0).astype("int64")
    frame["holdout_length"] = (hold_end - cal_end).days / days_per_unit
    return frame
