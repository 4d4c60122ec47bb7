"""Survival view: how fast customers churn after their first purchase (Kaplan–Meier, lifelines).

A customer's *active life* runs from the first purchase until the first time ``inactive_days``
pass without a purchase; the churn is *declared* ``inactive_days`` after the last purchase
before that gap. Duration = days from the first purchase to that declaration (so no
one churns before ``inactive_days``). Customers not (yet) churned are censored at the as-of date.
Only the first churn counts: a customer who comes back later does not restart the clock.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from crmlib.churn.features import PurchaseHistory, purchase_history
from crmlib.io import InputError


def churn_durations(data, as_of_date, inactive_days: int = 90) -> pd.DataFrame:
    """Per customer: first_purchase, first_spend, duration_days, churned (event observed)."""
    history = data if isinstance(data, PurchaseHistory) else purchase_history(data)
    end = int(np.datetime64(pd.Timestamp(as_of_date).normalize().date(), "D").astype(np.int64))
    daily = history.daily
    bought = daily[(daily["net"] > 0) & (daily["day"] <= end)]
    code, day = bought["code"].to_numpy(), bought["day"].to_numpy()
    first_row = np.r_[True, code[1:] != code[:-1]]
    last_row = np.r_[code[1:] != code[:-1], True]
    next_day = np.r_[day[1:], end]
    # churn is declared on the day a customer reaches inactive_days without a purchase: a gap
    # between two purchases ends a life when it is longer than that, an open gap when it reached it
    ends_life = np.where(last_row, end - day >= inactive_days, next_day - day > inactive_days)
    codes = code[first_row]
    first = day[first_row]
    frame = pd.DataFrame({"code": code, "day": day, "ends": ends_life})
    lapse = frame[frame["ends"]].groupby("code")["day"].min().reindex(codes)
    churned = lapse.notna().to_numpy()
    duration = np.where(churned, lapse.to_numpy() + inactive_days - first, end - first)
    first_spend = bought["net"].to_numpy()[first_row]
    return pd.DataFrame({
        "customer_id": history.customer_ids[codes],
        "first_purchase": pd.to_datetime(first, unit="D"),
        "first_spend": first_spend,
        "duration_days": duration.astype(float),
        "churned": churned,
    })


def first_spend_tiers(first_spend: pd.Series, labels=("low", "mid", "high")) -> pd.Series:
    """Terciles of the first purchase day's spend (known on day one, so no survivor bias)."""
    ranks = first_spend.rank(method="first")
    return pd.qcut(ranks, len(labels), labels=list(labels))


def segments(durations: pd.DataFrame, customers: pd.DataFrame | None, segment: str = "first_spend"):
    """Segment per customer: ``first_spend`` terciles, or a column of the customers table."""
    if segment == "first_spend":
        return first_spend_tiers(durations["first_spend"])
    if customers is None or segment not in customers:
        have = [] if customers is None else sorted(c for c in customers.columns if c != "customer_id")
        raise InputError(f"churn_survival_segment = {segment!r}: not a column of the customers table; "
                         f"use \"first_spend\" or one of: {', '.join(have) or '(no customers table)'}.")
    table = customers.drop_duplicates("customer_id")
    values = table.set_index(table["customer_id"].astype(str))[segment]
    return durations["customer_id"].map(values)


def kaplan_meier(durations: pd.DataFrame, segment: pd.Series | None = None,
                 times=None, min_customers: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan–Meier survival (share not yet churned) per segment.

    Returns (curves, summary): ``curves`` has one column per segment, indexed by day (``times``,
    default every 30 days up to the longest duration); ``summary`` has customers, churned,
    median_days (NaN when more than half never churn) and survival at 180 and 365 days.
    Segments with fewer than ``min_customers`` customers are left out; when that leaves none,
    one curve ``all`` for every customer is drawn instead (a small base still gets its view).
    """
    if segment is None:
        order, groups = ["all"], pd.Series("all", index=durations.index)
    else:
        segment = pd.Series(segment).reset_index(drop=True)
        order = [str(c) for c in segment.cat.categories] if isinstance(segment.dtype, pd.CategoricalDtype) \
            else sorted(segment.dropna().astype(str).unique())
        groups = pd.Series(segment.astype(object).where(segment.notna(), "missing").astype(str).to_numpy(),
                           index=durations.index)
        order += ["missing"] if (groups == "missing").any() else []
    horizon = float(durations["duration_days"].max())
    times = np.arange(0, horizon + 1, 7.0) if times is None else np.asarray(times, float)
    curves, rows = {}, []
    for name in order:
        part = durations[groups == name]
        if len(part) < min_customers:
            continue
        fitter = KaplanMeierFitter().fit(part["duration_days"], part["churned"], label=str(name))
        curves[str(name)] = fitter.survival_function_at_times(times).to_numpy()
        median = fitter.median_survival_time_
        rows.append({"segment": str(name), "customers": len(part),
                     "churned": int(part["churned"].sum()),
                     "median_days": float(median) if np.isfinite(median) else np.nan,
                     "survival_180": float(fitter.survival_function_at_times(180).iloc[0]),
                     "survival_365": float(fitter.survival_function_at_times(365).iloc[0])})
    if not curves and segment is not None and len(durations) >= min_customers:
        return kaplan_meier(durations, None, times, min_customers)
    curves = pd.DataFrame(curves, index=pd.Index(times, name="days"))
    return curves, pd.DataFrame(rows)
