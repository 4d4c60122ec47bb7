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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib.arrays import distinct
from crmlib.io import InputError
from crmlib.profile.lines import LineColumns

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


@dataclass(frozen=True)
class PurchaseDays:
    """Purchase days as integer arrays (fast on millions of lines), sorted by day then customer.

    ``ids[code]`` is a customer id (ids sorted); per purchase day: ``code``, ``day``
    (``datetime64[D]``), ``amount`` (net, > 0). ``line_code`` is the customer code of every
    transaction line up to the as-of day (``lines`` marks those lines in the input).
    """

    ids: np.ndarray
    code: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    line_code: np.ndarray
    lines: np.ndarray
    first_day: pd.Timestamp
    as_of: pd.Timestamp


def purchase_arrays(transactions: pd.DataFrame, as_of_date=None) -> PurchaseDays:
    """:class:`PurchaseDays` of ``transactions`` up to the end of ``as_of_date``."""
    as_of = as_of_day(transactions, as_of_date)
    lines = (transactions["date"] < as_of + pd.Timedelta(days=1)).to_numpy()
    tx = LineColumns(transactions, lines)
    line_code, ids = pd.factorize(tx["customer_id"], sort=True)
    day = tx["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    first_day = transactions["date"].min().normalize() if len(transactions) else as_of
    if not len(tx):
        empty = np.array([], dtype=np.int64)
        return PurchaseDays(np.asarray(ids, dtype=object), empty, empty.astype("datetime64[D]"),
                            empty.astype(float), empty, lines, first_day, as_of)
    low = day.min()
    n_ids = max(len(ids), 1)
    key, inverse = np.unique((day - low) * n_ids + line_code, return_inverse=True)
    amount = np.bincount(inverse.ravel(), weights=tx["amount"].to_numpy(dtype=float), minlength=len(key))
    keep = amount > 0
    key = key[keep]
    return PurchaseDays(ids=np.asarray(ids, dtype=object), code=(key % n_ids).astype(np.int64),
                        day=(key // n_ids + low).astype("datetime64[D]"), amount=amount[keep],
                        line_code=line_code.astype(np.int64), lines=lines, first_day=first_day, as_of=as_of)


def purchase_days(transactions: pd.DataFrame, as_of_date=None) -> pd.DataFrame:
    """One row per customer and day with a positive net amount, up to ``as_of_date``.

    Columns ``customer_id, day, amount`` (net amount of the day), sorted by day and customer.
    """
    days = purchase_arrays(transactions, as_of_date)
    return pd.DataFrame({"customer_id": days.ids[days.code], "day": days.day.astype("datetime64[ns]"),
                         "amount": days.amount})


def _check_period(freq: str) -> str:
    if freq not in PERIODS:
        raise InputError(f"period must be one of {tuple(PERIODS)} (year, quarter, month), not {freq!r}.")
    return PERIODS[freq]


def _ordinals(days: np.ndarray, freq: str) -> np.ndarray:
    """Period ordinals of ``datetime64`` days, as pandas numbers them (months/quarters/years since 1970)."""
    months = days.astype("datetime64[M]").astype(np.int64)
    return {"M": months, "Q": months // 3, "Y": months // 12}[freq]


def _period(ordinal: int, freq: str) -> pd.Period:
    return pd.Period(ordinal=int(ordinal), freq=freq)


def _one(day: pd.Timestamp, freq: str) -> int:
    return int(_ordinals(np.array([day.to_datetime64()]), freq)[0])


def retention_by_period(transactions: pd.DataFrame, freq: str = "Y", as_of_date=None,
                        days: PurchaseDays | None = None) -> pd.DataFrame:
    """Period-over-period retention: customers active in N still active in N+1 ÷ active in N.

    ``freq`` is ``"Y"`` (year), ``"Q"`` (quarter) or ``"M"`` (month). One row per period N that
    has a following period on or before ``as_of_date``: ``period, next_period, active,
    retained, lost, retention_rate, complete``. ``complete`` is False when period N starts
    before the first transaction or period N+1 ends after ``as_of_date`` (a partial period
    understates retention). ``retention_rate`` is NaN when nobody was active in N.
    ``days`` is :func:`purchase_arrays` of the same arguments when already computed.
    """
    freq = _check_period(freq)
    days = days if days is not None else purchase_arrays(transactions, as_of_date)
    columns = ["period", "next_period", "active", "retained", "lost", "retention_rate", "complete"]
    if not len(days.code):
        return pd.DataFrame(columns=columns)
    first, last = _one(days.first_day, freq), _one(days.as_of, freq)
    width = last - first + 2  # room for "period + 1" without reaching the next customer
    key = distinct(days.code * width + (_ordinals(days.day, freq) - first))
    active = np.bincount(key % width, minlength=width)
    retained = np.bincount(key[np.isin(key + 1, key)] % width, minlength=width)
    rows = []
    for offset in range(last - first):
        current, nxt = _period(first + offset, freq), _period(first + offset + 1, freq)
        n_active, n_kept = int(active[offset]), int(retained[offset])
        rows.append({
            "period": str(current), "next_period": str(nxt), "active": n_active, "retained": n_kept,
            "lost": n_active - n_kept, "retention_rate": n_kept / n_active if n_active else np.nan,
            "complete": bool(current.start_time >= days.first_day
                             and nxt.end_time < days.as_of + pd.Timedelta(days=1)),
        })
    return pd.DataFrame(rows, columns=columns)


def retention_rates(retention: pd.DataFrame) -> dict[str, float | None]:
    """``{period N: rate}`` from a :func:`retention_by_period` table (NaN → None)."""
    return {str(row.period): (None if pd.isna(row.retention_rate) else float(row.retention_rate))
            for row in retention.itertuples()}


def _first_per_customer(code: np.ndarray, value: np.ndarray, n_ids: int) -> np.ndarray:
    """Smallest ``value`` per customer code (``-1`` for codes without any)."""
    first = np.full(n_ids, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, code, value)
    return np.where(first == np.iinfo(np.int64).max, -1, first)


def cohort_retention(transactions: pd.DataFrame, as_of_date=None, max_months: int | None = None,
                     days: PurchaseDays | None = None) -> pd.DataFrame:
    """Monthly acquisition cohorts: share of each cohort buying in month k after its first purchase.

    Index ``cohort`` (month of first purchase, ``YYYY-MM``; months that acquired nobody are
    left out); column ``customers`` (cohort size)
    then one column per month offset ``0, 1, 2, …`` (month 0 is 1.0 by definition). A cell
    later than the as-of month is NaN (not yet observed); an observed month with no buyers is 0.
    ``days`` is :func:`purchase_arrays` of the same arguments when already computed.
    """
    days = days if days is not None else purchase_arrays(transactions, as_of_date)
    if not len(days.code):
        return pd.DataFrame(columns=["customers"]).rename_axis("cohort")
    month = _ordinals(days.day, "M")
    first_month, last_month = int(month.min()), _one(days.as_of, "M")
    span = last_month - first_month + 1
    key = distinct(days.code * span + (month - first_month))
    code, offset_month = key // span, key % span
    cohort = _first_per_customer(code, offset_month, len(days.ids))[code]
    counts = np.bincount(cohort * span + (offset_month - cohort), minlength=span * span).reshape(span, span)
    last_offset = span - 1 if max_months is None else min(max_months, span - 1)
    counts = counts[:, :last_offset + 1]
    sizes = counts[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / np.where(sizes > 0, sizes, np.nan)[:, None]
    observed = (span - 1) - np.arange(span)
    shares[np.arange(last_offset + 1)[None, :] > observed[:, None]] = np.nan
    out = pd.DataFrame(shares, columns=list(range(last_offset + 1)),
                       index=pd.Index([str(_period(first_month + i, "M")) for i in range(span)], name="cohort"))
    out.insert(0, "customers", sizes.astype("int64"))
    return out.loc[out["customers"] > 0]


def monthly_trends(transactions: pd.DataFrame, as_of_date=None, days: PurchaseDays | None = None) -> pd.DataFrame:
    """Month by month: revenue, orders, active, new and returning customers, average order value.

    - revenue: net amount (returns netted) of the month's transactions;
    - orders: distinct order ids with a positive amount (purchase days when there is no order id);
    - active_customers: customers with a purchase day in the month; new_customers: those whose
      first purchase day falls in the month; returning_customers = active − new;
    - average_order_value = revenue / orders;
    - complete: False for a month cut by the first transaction or the as-of date.
    Months without any transaction appear with zeros (they show coverage gaps).
    ``days`` is :func:`purchase_arrays` of the same arguments when already computed.
    """
    columns = ["month", "revenue", "orders", "active_customers", "new_customers",
               "returning_customers", "average_order_value", "complete"]
    days = days if days is not None else purchase_arrays(transactions, as_of_date)
    tx = LineColumns(transactions, days.lines)
    if not len(tx):
        return pd.DataFrame(columns=columns)
    first_month, last_month = _one(days.first_day, "M"), _one(days.as_of, "M")
    span = last_month - first_month + 1
    line_month = _ordinals(tx["date"].to_numpy().astype("datetime64[D]"), "M") - first_month
    revenue = np.bincount(line_month, weights=tx["amount"].to_numpy(dtype=float), minlength=span)
    day_month = _ordinals(days.day, "M") - first_month
    if "order_id" in tx and tx["order_id"].notna().any():
        sold = ((tx["amount"] > 0) & tx["order_id"].notna()).to_numpy()
        order_code, _ = pd.factorize(tx["order_id"][sold])
        orders = np.bincount(distinct(order_code * span + line_month[sold]) % span, minlength=span)
    else:
        orders = np.bincount(day_month, minlength=span)
    active = np.bincount(distinct(days.code * span + day_month) % span, minlength=span)
    first = _first_per_customer(days.code, day_month, len(days.ids))
    new = np.bincount(first[first >= 0], minlength=span)
    months = [_period(first_month + i, "M") for i in range(span)]
    out = pd.DataFrame({"month": [str(m) for m in months], "revenue": revenue.astype(float),
                        "orders": orders.astype("int64"), "active_customers": active.astype("int64"),
                        "new_customers": new.astype("int64")})
    out["returning_customers"] = out["active_customers"] - out["new_customers"]
    out["average_order_value"] = (out["revenue"] / out["orders"].where(out["orders"] > 0)).astype(float)
    out["complete"] = [bool(m.start_time >= days.first_day and m.end_time < days.as_of + pd.Timedelta(days=1))
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


def headline_retention(retention: pd.DataFrame) -> tuple[str, str, float, bool] | None:
    """``(period, next_period, rate, complete)`` to quote: the last complete pair with a rate,
    else the last pair with a rate (a partial one); None when there is none."""
    rated = retention.dropna(subset=["retention_rate"])
    if rated.empty:
        return None
    complete = rated.loc[rated["complete"]]
    row = (complete if len(complete) else rated).iloc[-1]
    return str(row["period"]), str(row["next_period"]), float(row["retention_rate"]), bool(row["complete"])
