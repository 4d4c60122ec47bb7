"""Trends, period-over-period retention and monthly acquisition cohorts.

All three start from *purchase days*: one row per customer and calendar day whose net amount
(sales minus returns that day) is positive — the same definition of a purchase as
:func:`crmlib.summary.customer_summary`. A customer is *active* in a period when they have at
least one purchase day in it.

Retention is measured exactly as practitioners define it: of the customers active in period
N, the share still active in period N+1 (1,000 active in 2017, 600 of them active in 2018 →
60 %).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.formatting import format_number, format_percent
from crmlib.i18n import t
from crmlib.io import InputError

#: Yearly retention of an average company: it loses about 10 % of its customers a year.
AVERAGE_YEARLY_RETENTION = 0.90

#: Period codes accepted by :func:`retention_by_period` and their pandas frequency.
PERIODS = {"Y": "Y", "Q": "Q", "M": "M"}


def as_of_day(transactions: pd.DataFrame, as_of_date) -> pd.Timestamp:
    """The as-of day (midnight; the whole day counts), or the last transaction's day when not given."""
    if as_of_date in (None, ""):
        if transactions.empty:
            raise InputError("no transactions left after validation; nothing to profile.")
        day = transactions["date"].max().normalize()
    else:
        day = pd.Timestamp(as_of_date).normalize()
    return day


def purchase_days(transactions: pd.DataFrame, as_of_date=None) -> pd.DataFrame:
    """One row per customer and day with a positive net amount, up to ``as_of_date``.

    Columns ``customer_id, day, amount`` (net amount of the day), sorted by day and customer.
    """
    as_of = as_of_day(transactions, as_of_date)
    tx = transactions.loc[transactions["date"] < as_of + pd.Timedelta(days=1), ["customer_id", "date", "amount"]]
    daily = (tx.assign(day=tx["date"].dt.normalize())
             .groupby(["customer_id", "day"], sort=False, observed=True)["amount"].sum().reset_index())
    daily = daily.loc[daily["amount"] > 0]
    return daily.sort_values(["day", "customer_id"], kind="mergesort").reset_index(drop=True)


def _check_period(freq: str) -> str:
    if freq not in PERIODS:
        raise InputError(f"period must be one of {tuple(PERIODS)} (year, quarter, month), not {freq!r}.")
    return PERIODS[freq]


def _period_bounds(first_day: pd.Timestamp, as_of: pd.Timestamp, freq: str) -> pd.PeriodIndex:
    return pd.period_range(first_day.to_period(freq), as_of.to_period(freq), freq=freq)


def retention_by_period(transactions: pd.DataFrame, freq: str = "Y", as_of_date=None) -> pd.DataFrame:
    """Period-over-period retention: customers active in N still active in N+1 ÷ active in N.

    ``freq`` is ``"Y"`` (year), ``"Q"`` (quarter) or ``"M"`` (month). One row per period N that
    has a following period on or before ``as_of_date``: ``period, next_period, active,
    retained, lost, retention_rate, complete``. ``complete`` is False when period N starts
    before the first transaction or period N+1 ends after ``as_of_date`` (a partial period
    understates retention). ``retention_rate`` is NaN when nobody was active in N.
    """
    pandas_freq = _check_period(freq)
    as_of = as_of_day(transactions, as_of_date)
    days = purchase_days(transactions, as_of)
    columns = ["period", "next_period", "active", "retained", "lost", "retention_rate", "complete"]
    if days.empty:
        return pd.DataFrame(columns=columns)
    first_day = transactions["date"].min().normalize()
    periods = _period_bounds(first_day, as_of, pandas_freq)
    active = days.assign(period=days["day"].dt.to_period(pandas_freq))[["customer_id", "period"]] \
        .drop_duplicates()
    counts = active.groupby("period").size().reindex(periods, fill_value=0)
    following = active.assign(period=active["period"] - 1)
    retained = active.merge(following, on=["customer_id", "period"]).groupby("period").size() \
        .reindex(periods, fill_value=0)
    rows = []
    for current, nxt in zip(periods[:-1], periods[1:]):
        n_active, n_kept = int(counts[current]), int(retained[current])
        rows.append({
            "period": str(current),
            "next_period": str(nxt),
            "active": n_active,
            "retained": n_kept,
            "lost": n_active - n_kept,
            "retention_rate": n_kept / n_active if n_active else np.nan,
            "complete": bool(current.start_time >= first_day and nxt.end_time < as_of + pd.Timedelta(days=1)),
        })
    return pd.DataFrame(rows, columns=columns)


def retention_rates(retention: pd.DataFrame) -> dict[str, float | None]:
    """``{period N: rate}`` from a :func:`retention_by_period` table (NaN → None)."""
    return {str(row.period): (None if pd.isna(row.retention_rate) else float(row.retention_rate))
            for row in retention.itertuples()}


def cohort_retention(transactions: pd.DataFrame, as_of_date=None, max_months: int | None = None) -> pd.DataFrame:
    """Monthly acquisition cohorts: share of each cohort buying in month k after its first purchase.

    Index ``cohort`` (month of first purchase, ``YYYY-MM``; months that acquired nobody are
    left out); column ``customers`` (cohort size)
    then one column per month offset ``0, 1, 2, …`` (month 0 is 1.0 by definition). A cell
    later than the as-of month is NaN (not yet observed); an observed month with no buyers is 0.
    """
    as_of = as_of_day(transactions, as_of_date)
    days = purchase_days(transactions, as_of)
    if days.empty:
        return pd.DataFrame(columns=["customers"]).rename_axis("cohort")
    month = days["day"].dt.to_period("M")
    active = pd.DataFrame({"customer_id": days["customer_id"].to_numpy(), "month": month.to_numpy()}) \
        .drop_duplicates()
    first = active.groupby("customer_id")["month"].min()
    active["cohort"] = active["customer_id"].map(first)
    active["offset"] = _month_number(active["month"]) - _month_number(active["cohort"])
    counts = active.groupby(["cohort", "offset"]).size().unstack("offset", fill_value=0)
    cohorts = pd.period_range(first.min(), as_of.to_period("M"), freq="M")
    last_offset = len(cohorts) - 1 if max_months is None else min(max_months, len(cohorts) - 1)
    counts = counts.reindex(index=cohorts, columns=range(last_offset + 1), fill_value=0)
    sizes = counts[0]
    shares = counts.div(sizes.where(sizes > 0), axis=0)
    observed = as_of.to_period("M").ordinal - _month_number(cohorts)
    mask = np.arange(last_offset + 1)[None, :] > observed[:, None]
    shares = shares.mask(mask)
    shares.insert(0, "customers", sizes.astype("int64"))
    shares.index = pd.Index([str(c) for c in cohorts], name="cohort")
    shares.columns = ["customers"] + [int(k) for k in range(last_offset + 1)]
    return shares.loc[shares["customers"] > 0]


def _month_number(months) -> np.ndarray:
    """Month ordinals (months since 1970-01) of monthly periods, for month differences."""
    return pd.PeriodIndex(months, freq="M").asi8


def monthly_trends(transactions: pd.DataFrame, as_of_date=None) -> pd.DataFrame:
    """Month by month: revenue, orders, active, new and returning customers, average order value.

    - revenue: net amount (returns netted) of the month's transactions;
    - orders: distinct order ids with a positive amount (purchase days when there is no order id);
    - active_customers: customers with a purchase day in the month; new_customers: those whose
      first purchase day falls in the month; returning_customers = active − new;
    - average_order_value = revenue / orders;
    - complete: False for a month cut by the first transaction or the as-of date.
    Months without any transaction appear with zeros (they show coverage gaps).
    """
    as_of = as_of_day(transactions, as_of_date)
    tx = transactions.loc[transactions["date"] < as_of + pd.Timedelta(days=1)]
    days = purchase_days(tx, as_of)
    columns = ["month", "revenue", "orders", "active_customers", "new_customers",
               "returning_customers", "average_order_value", "complete"]
    if tx.empty:
        return pd.DataFrame(columns=columns)
    first_day = tx["date"].min().normalize()
    months = _period_bounds(first_day, as_of, "M")
    revenue = tx.groupby(tx["date"].dt.to_period("M"))["amount"].sum().reindex(months, fill_value=0.0)
    if "order_id" in tx and tx["order_id"].notna().any():
        sold = tx.loc[(tx["amount"] > 0) & tx["order_id"].notna()]
        orders = sold.groupby(sold["date"].dt.to_period("M"))["order_id"].nunique()
    else:
        orders = days.groupby(days["day"].dt.to_period("M")).size()
    orders = orders.reindex(months, fill_value=0)
    day_month = days["day"].dt.to_period("M")
    active = days.assign(month=day_month).drop_duplicates(["customer_id", "month"]) \
        .groupby("month").size().reindex(months, fill_value=0)
    first = days.groupby("customer_id")["day"].min().dt.to_period("M")
    new = first.value_counts().reindex(months, fill_value=0)
    out = pd.DataFrame({
        "month": [str(m) for m in months],
        "revenue": revenue.to_numpy(dtype=float),
        "orders": orders.to_numpy(dtype="int64"),
        "active_customers": active.to_numpy(dtype="int64"),
        "new_customers": new.to_numpy(dtype="int64"),
    })
    out["returning_customers"] = out["active_customers"] - out["new_customers"]
    out["average_order_value"] = (out["revenue"] / out["orders"].where(out["orders"] > 0)).astype(float)
    out["complete"] = [bool(m.start_time >= first_day and m.end_time < as_of + pd.Timedelta(days=1))
                       for m in months]
    return out


def seasonality_index(trends: pd.DataFrame) -> pd.DataFrame:
    """Revenue by calendar month relative to the average month (1.0 = average), complete months only.

    Columns ``calendar_month`` (1–12), ``months`` (how many complete months were averaged),
    ``mean_revenue``, ``index``.
    """
    complete = trends.loc[trends["complete"]].copy()
    if complete.empty:
        return pd.DataFrame(columns=["calendar_month", "months", "mean_revenue", "index"])
    complete["calendar_month"] = pd.PeriodIndex(complete["month"], freq="M").month
    grouped = complete.groupby("calendar_month")["revenue"].agg(["size", "mean"])
    out = pd.DataFrame({"calendar_month": grouped.index.astype("int64"), "months": grouped["size"].to_numpy(),
                        "mean_revenue": grouped["mean"].to_numpy()})
    out["index"] = out["mean_revenue"] / out["mean_revenue"].mean()
    return out.reset_index(drop=True)


def retention_display(retention: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """A :func:`retention_by_period` table for people (partial periods marked)."""
    partial = f" ({t('profile_partial', lang)})"
    return pd.DataFrame({
        t("profile_period", lang): [f"{p} → {n}" + ("" if c else partial)
                                    for p, n, c in zip(retention["period"], retention["next_period"],
                                                       retention["complete"])],
        t("profile_active", lang): [format_number(v, 0, lang) for v in retention["active"]],
        t("profile_retained", lang): [format_number(v, 0, lang) for v in retention["retained"]],
        t("profile_rate", lang): [format_percent(v, 1, lang) for v in retention["retention_rate"]],
    })


def month_name(month: int, lang: str = "en") -> str:
    """Short calendar-month name (1 → Jan; Indonesian May is Mei)."""
    return t("profile_month_names", lang).split()[int(month) - 1]


def so_what_trends(trends: pd.DataFrame, season: pd.DataFrame, lang: str = "en") -> str:
    """One sentence: the peak and low calendar months and the share of returning buyers lately."""
    complete = trends.loc[trends["complete"] & (trends["active_customers"] > 0)]
    if season.empty or complete.empty:
        return ""
    peak = season.loc[season["index"].idxmax()]
    low = season.loc[season["index"].idxmin()]
    last = complete.iloc[-1]
    return t("profile_sowhat_trends", lang, peak=month_name(peak["calendar_month"], lang),
             index=format_number(peak["index"], 2, lang), low=month_name(low["calendar_month"], lang),
             returning=format_percent(last["returning_customers"] / last["active_customers"], 0, lang))


def so_what_retention(yearly: pd.DataFrame, matrix: pd.DataFrame, lang: str = "en") -> str:
    """One sentence: last yearly retention against the benchmark, and month-1 cohort retention."""
    rates = yearly.dropna(subset=["retention_rate"])
    if rates.empty:
        return t("profile_sowhat_retention_none", lang)
    last = rates.iloc[-1]
    month1 = np.nan
    if 1 in matrix:
        seen = matrix[1].notna()
        month1 = float((matrix.loc[seen, 1] * matrix.loc[seen, "customers"]).sum() / matrix.loc[seen, "customers"].sum()) \
            if seen.any() else np.nan
    return t("profile_sowhat_retention", lang, year=last["period"], next=last["next_period"],
             rate=format_percent(last["retention_rate"], 0, lang),
             benchmark=format_percent(AVERAGE_YEARLY_RETENTION, 0, lang),
             month1=format_percent(month1, 0, lang))
