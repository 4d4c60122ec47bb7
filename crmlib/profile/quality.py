"""Data-quality alerts: what is wrong with the customer database, how bad, and what to do.

Each alert is one row: ``name`` (``check`` or ``check:field``), ``check``, ``table``,
``field``, ``severity`` (``high``/``medium``/``low``), ``count`` (rows, customers or gaps
affected), ``base`` (what ``count`` is out of), ``share``, ``amount`` (money involved, where it
applies). Severity comes from the share affected and the check's thresholds
(:data:`THRESHOLDS`); the advice sentence per check is the label ``profile_advice_<check>``.
Bad values are findings, never errors: nothing here raises on dirty data.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib import validate
from crmlib.arrays import customer_day_keys
from crmlib.io import parse_amounts
from crmlib.privacy import mask_email, mask_phone
from crmlib.profile.cohorts import as_of_day
from crmlib.profile.database import contact_checks, data_categories, is_filled
from crmlib.profile.lines import LineColumns

SEVERITIES = ("high", "medium", "low")

#: (high from, medium from) share affected, per check; below the second threshold: low.
THRESHOLDS: dict[str, tuple[float, float]] = {
    "quarantine_empty_line": (0.05, 0.005),
    "quarantine_missing_customer_id": (0.05, 0.005),
    "quarantine_unparseable_date": (0.01, 0.001),
    "quarantine_unparseable_amount": (0.01, 0.001),
    "quarantine_non_finite_amount": (0.01, 0.001),
    "quarantine_implausible_amount": (0.01, 0.001),
    "quarantine_date_out_of_range": (0.01, 0.001),
    "quarantine_cancelled_order": (0.10, 0.02),
    "quarantine_zero_amount": (0.05, 0.005),
    "quarantine_exact_duplicate_line": (0.02, 0.002),
    "quarantine_future_date": (0.01, 0.001),
    "quarantine_return": (0.10, 0.02),
    "quarantine_other": (0.01, 0.001),
    "missing_values": (0.50, 0.10),
    "missing_values_optional": (1.01, 0.50),
    "invalid_phone": (0.10, 0.01),
    "invalid_email": (0.10, 0.01),
    "duplicate_customers": (0.05, 0.005),
    "duplicate_customer_ids": (0.01, 0.0),
    "buyers_without_record": (0.10, 0.01),
    "order_value_outliers": (0.20, 0.05),
    "near_empty_column": (1.01, 1.01),
    "constant_column": (1.01, 0.0),
    "date_gap": (1.01, 0.0),
    "month_without_data": (0.0, 0.0),
    "stale_data": (0.0, 0.0),
    "future_birth_date": (0.01, 0.001),
    "age_over_110": (0.01, 0.001),
    "future_signup_date": (0.01, 0.001),
    "pre_opening_date": (0.0, 0.0),
}

#: Quarantine reasons of :mod:`crmlib.validate` → check names.
QUARANTINE_CHECKS = {
    validate.EMPTY_LINE: "quarantine_empty_line",
    validate.MISSING_CUSTOMER: "quarantine_missing_customer_id",
    validate.BAD_DATE: "quarantine_unparseable_date",
    validate.DATE_OUT_OF_RANGE: "quarantine_date_out_of_range",
    validate.BAD_AMOUNT: "quarantine_unparseable_amount",
    validate.NON_FINITE: "quarantine_non_finite_amount",
    validate.IMPLAUSIBLE: "quarantine_implausible_amount",
    validate.CANCELLED: "quarantine_cancelled_order",
    validate.ZERO_AMOUNT: "quarantine_zero_amount",
    validate.DUPLICATE: "quarantine_exact_duplicate_line",
    validate.FUTURE: "quarantine_future_date",
    validate.RETURN: "quarantine_return",
}

#: Data categories whose missing values matter most (personal and contact data).
CORE_CATEGORIES = ("personal", "contact")
NEAR_EMPTY_SHARE = 0.05
GAP_DAYS = 7
STALE_DAYS = 31
MAX_AGE_YEARS = 110
IQR_FENCE = 1.5

COLUMNS = ["name", "check", "table", "field", "severity", "count", "base", "share", "amount"]


def severity(check: str, share: float) -> str:
    """``high``/``medium``/``low`` for ``share`` affected, with the check's thresholds."""
    high, medium = THRESHOLDS.get(check, (0.10, 0.01))
    if share is None or not np.isfinite(share) or share <= 0:
        return "low"
    if share >= high:
        return "high"
    if share >= medium:
        return "medium"
    return "low"


def _alert(check: str, count: int, base: int, table: str, field: str | None = None,
           amount: float | None = None, rule: str | None = None) -> dict:
    share = count / base if base else np.nan
    return {"name": f"{check}:{field}" if field else check, "check": check, "table": table,
            "field": field, "severity": severity(rule or check, share), "count": int(count),
            "base": int(base), "share": share, "amount": amount}


# --- transactions ---------------------------------------------------------------------------

def rejected_amounts(rejected: pd.DataFrame, report: dict) -> pd.Series:
    """Money of each quarantined row, parsed from its original text (NaN where unparseable)."""
    mapping, decimal = report.get("columns", {}), report.get("decimal")
    if "amount" in mapping and mapping["amount"] in rejected:
        return parse_amounts(rejected[mapping["amount"]].astype(str), decimal)
    if {"quantity", "unit_price"} <= set(mapping) and {mapping["quantity"], mapping["unit_price"]} <= set(rejected):
        return (parse_amounts(rejected[mapping["unit_price"]].astype(str), decimal)
                * parse_amounts(rejected[mapping["quantity"]].astype(str), decimal))
    return pd.Series(np.nan, index=rejected.index)


def quarantine_alerts(rejected: pd.DataFrame, report: dict) -> list[dict]:
    """One alert per quarantine reason: rows and the money they carried (of all rows read)."""
    if rejected is None or rejected.empty:
        return []
    amounts = rejected_amounts(rejected, report).where(lambda a: np.isfinite(a), np.nan)
    alerts = []
    for reason, group in rejected.groupby("reason", sort=True):
        check = QUARANTINE_CHECKS.get(reason, "quarantine_other")
        field = None if check != "quarantine_other" else reason
        alerts.append(_alert(check, len(group), report["rows_in"], "transactions", field,
                             amount=float(amounts.loc[group.index].sum(min_count=1))))
    return alerts


def order_values(transactions: pd.DataFrame) -> np.ndarray:
    """Value of each order (by order id; by customer and day where there is no order id), sales only."""
    sales = LineColumns(transactions, (transactions["amount"] > 0).to_numpy())
    if not len(sales):
        return np.array([], dtype=float)
    if "order_id" in sales:
        codes, order_ids = pd.factorize(sales["order_id"])  # -1 where the order id is missing
    else:
        codes, order_ids = np.full(len(sales), -1, dtype=np.int64), []
    missing = codes < 0
    if missing.any():  # each customer's day is one order, numbered after the order ids
        day = sales["date"].to_numpy()[missing].astype("datetime64[D]").astype(np.int64)
        customer, _ = pd.factorize(sales["customer_id"][missing])
        day_orders, _ = pd.factorize(customer_day_keys(customer, day)[0])
        codes[missing] = len(order_ids) + day_orders
    return np.bincount(codes, weights=sales["amount"].to_numpy(dtype=float))


def order_value_fences(values, k: float = IQR_FENCE) -> tuple[float, float]:
    """Tukey fences on log10 order value, returned as money: ``(low, high)``."""
    values = np.asarray(values, dtype=float)
    logs = np.log10(values[values > 0])
    if logs.size < 4:
        return (0.0, np.inf)
    q1, q3 = np.percentile(logs, [25, 75])
    spread = q3 - q1
    return (float(10 ** (q1 - k * spread)), float(10 ** (q3 + k * spread)))


def outlier_alert(transactions: pd.DataFrame) -> list[dict]:
    """Orders beyond the IQR fence on log order value; ``amount`` is the money in high outliers."""
    values = order_values(transactions)
    if not values.size:
        return []
    low, high = order_value_fences(values)
    outside = (values < low) | (values > high)
    count = int(outside.sum())
    if not count:
        return []
    alert = _alert("order_value_outliers", count, len(values), "transactions",
                   amount=float(values[values > high].sum()))
    revenue_share = float(values[values > high].sum() / values.sum()) if values.sum() > 0 else 0.0
    alert["severity"] = severity("order_value_outliers", revenue_share)
    return [alert]


def date_coverage_alerts(transactions: pd.DataFrame, as_of: pd.Timestamp, gap_days: int = GAP_DAYS) -> list[dict]:
    """Gaps of ``gap_days`` or more days without any transaction, calendar months without data,
    and data ending more than a month before the as-of date."""
    if transactions.empty:
        return []
    days = _trading_days(transactions)
    first, last = days[0], days[-1]
    alerts = []
    gaps = len(_gaps(days, gap_days))
    if gaps:
        alerts.append(_alert("date_gap", gaps, int((last - first).days) + 1, "transactions", "date"))
    months = pd.period_range(first.to_period("M"), last.to_period("M"), freq="M")
    seen = pd.PeriodIndex(days.to_period("M")).unique()
    empty = int(len(months.difference(seen)))
    if empty:
        alerts.append(_alert("month_without_data", empty, len(months), "transactions", "date"))
    stale = int((as_of - last).days)
    if stale > STALE_DAYS:
        alerts.append(_alert("stale_data", stale, stale, "transactions", "date"))
    return alerts


def _trading_days(transactions: pd.DataFrame) -> pd.DatetimeIndex:
    """Distinct days with at least one transaction, sorted."""
    return pd.DatetimeIndex(transactions["date"].dt.normalize().unique()).sort_values()


def _gaps(days: pd.DatetimeIndex, gap_days: int) -> pd.DataFrame:
    """Runs of ``gap_days`` or more days without a transaction between sorted ``days``: from, to, days."""
    empty = np.diff(days.asi8) // (86_400 * 10**9) - 1 if len(days) > 1 else np.array([], dtype=np.int64)
    idx = np.flatnonzero(empty >= gap_days)
    return pd.DataFrame({"from": days[idx] + pd.Timedelta(days=1), "to": days[idx + 1] - pd.Timedelta(days=1),
                         "days": empty[idx].astype("int64")})


def longest_gaps(transactions: pd.DataFrame, n: int = 5, gap_days: int = GAP_DAYS) -> pd.DataFrame:
    """The ``n`` longest runs of days without transactions (``from, to, days``), longest first."""
    out = _gaps(_trading_days(transactions), gap_days)
    return out.sort_values(["days", "from"], ascending=[False, True], kind="mergesort").head(n) \
        .reset_index(drop=True)


# --- customers --------------------------------------------------------------------------------

def column_alerts(frame: pd.DataFrame, table: str, categories: dict[str, str] | None = None,
                  skip=("customer_id", "line", "is_return", "date", "amount", "order_id")) -> list[dict]:
    """Missing values, near-empty (< 5 % filled) and constant (one distinct value) columns.

    For the customers table, missing values in personal and contact fields use the stricter
    thresholds; potential and business-specific fields are optional (at most ``medium``).
    """
    alerts = []
    n = len(frame)
    if not n:
        return alerts
    for column in frame.columns:
        if column in skip:
            continue
        filled = is_filled(frame[column])
        n_filled = int(filled.sum())
        if n_filled / n < NEAR_EMPTY_SHARE:
            alerts.append(_alert("near_empty_column", n - n_filled, n, table, column))
            continue
        if n_filled < n:
            optional = categories is not None and categories.get(column) not in CORE_CATEGORIES
            alerts.append(_alert("missing_values", n - n_filled, n, table, column,
                                 rule="missing_values_optional" if optional else "missing_values"))
        if n_filled > 1 and frame.loc[filled, column].nunique() == 1:
            alerts.append(_alert("constant_column", n, n, table, column))
    return alerts


def contact_alerts(customers: pd.DataFrame, region: str = "ID", checks: pd.DataFrame | None = None) -> list[dict]:
    """Filled but invalid phone numbers and emails (of the filled values)."""
    if checks is None:
        checks = contact_checks(customers, region=region)
    alerts = []
    for field, has, valid in (("phone", "has_phone", "phone_valid"), ("email", "has_email", "email_valid")):
        if field not in customers:
            continue
        filled = int(checks[has].sum())
        invalid = int((checks[has] & ~checks[valid]).sum())
        if invalid:
            alerts.append(_alert(f"invalid_{field}", invalid, filled, "customers", field))
    return alerts


def duplicate_customer_groups(customers: pd.DataFrame, region: str = "ID",
                              checks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Customers sharing a phone (normalised to E.164) or an email (lower-cased) under several ids.

    One row per shared value: ``key`` (``phone``/``email``), ``value`` (the normalised value —
    personal data: mask it before showing), ``customer_ids`` (sorted, comma-separated), ``n_ids``.
    ``checks`` is :func:`crmlib.profile.contact_checks` of ``customers`` when already computed.
    """
    frames = []
    if "phone" in customers:
        if checks is None:
            checks = contact_checks(customers, region)
        frames.append(pd.DataFrame({"key": "phone", "value": checks["phone_e164"].to_numpy(),
                                    "customer_id": customers["customer_id"].to_numpy()}))
    if "email" in customers:
        emails = customers["email"].astype("string").str.strip().str.lower()
        frames.append(pd.DataFrame({"key": "email", "value": emails.where(emails.str.len() > 0).to_numpy(dtype=object),
                                    "customer_id": customers["customer_id"].to_numpy()}))
    columns = ["key", "value", "customer_ids", "n_ids"]
    if not frames:
        return pd.DataFrame(columns=columns)
    pairs = pd.concat(frames, ignore_index=True).dropna(subset=["value", "customer_id"]).drop_duplicates()
    shared = pairs.groupby(["key", "value"])["customer_id"].transform("size") > 1
    grouped = pairs.loc[shared].groupby(["key", "value"])["customer_id"].agg(lambda ids: sorted(ids))
    out = pd.DataFrame({"key": grouped.index.get_level_values(0), "value": grouped.index.get_level_values(1),
                        "customer_ids": [", ".join(ids) for ids in grouped], "n_ids": grouped.map(len).to_numpy()})
    return out.sort_values(["key", "customer_ids"], kind="mergesort").reset_index(drop=True)[columns]


def masked_duplicates(groups: pd.DataFrame) -> pd.DataFrame:
    """:func:`duplicate_customer_groups` with the shared phone/email masked, for reports."""
    masked = groups.copy()
    masked["value"] = [mask_phone(v) if k == "phone" else mask_email(v)
                       for k, v in zip(groups["key"], groups["value"])]
    return masked


def duplicate_alerts(customers: pd.DataFrame, groups: pd.DataFrame) -> list[dict]:
    """Customer ids involved in a shared phone/email, and ids appearing twice in the file."""
    alerts = []
    ids = customers["customer_id"].dropna()
    n_ids = int(ids.nunique())
    if len(groups):
        involved = {i for text in groups["customer_ids"] for i in text.split(", ")}
        alerts.append(_alert("duplicate_customers", len(involved), n_ids, "customers", "phone/email"))
    repeated = int(ids.duplicated(keep=False).sum())
    if repeated:
        alerts.append(_alert("duplicate_customer_ids", int(ids[ids.duplicated(keep=False)].nunique()),
                             n_ids, "customers", "customer_id"))
    return alerts


def date_alerts(customers: pd.DataFrame, as_of: pd.Timestamp, opening_date=None) -> list[dict]:
    """Birth dates in the future or more than 110 years back; signups in the future or before opening."""
    alerts = []
    n = len(customers)
    end = as_of + pd.Timedelta(days=1)
    if "birth_date" in customers and pd.api.types.is_datetime64_any_dtype(customers["birth_date"]):
        birth = customers["birth_date"]
        alerts.append(_alert("future_birth_date", int((birth >= end).sum()), n, "customers", "birth_date"))
        oldest = as_of - pd.DateOffset(years=MAX_AGE_YEARS)
        alerts.append(_alert("age_over_110", int((birth < oldest).sum()), n, "customers", "birth_date"))
    if "signup_date" in customers and pd.api.types.is_datetime64_any_dtype(customers["signup_date"]):
        signup = customers["signup_date"]
        alerts.append(_alert("future_signup_date", int((signup >= end).sum()), n, "customers", "signup_date"))
        if opening_date not in (None, ""):
            early = int((signup < pd.Timestamp(opening_date)).sum())
            alerts.append(_alert("pre_opening_date", early, n, "customers", "signup_date"))
    return [a for a in alerts if a["count"]]


def buyers_without_record_alert(transactions: pd.DataFrame, customers: pd.DataFrame) -> list[dict]:
    """Customer ids in the transactions that the customers table does not hold."""
    buyers = pd.Index(transactions["customer_id"].unique())
    missing = int(len(buyers.difference(pd.Index(customers["customer_id"].dropna().unique()))))
    return [_alert("buyers_without_record", missing, len(buyers), "customers", "customer_id")] if missing else []


# --- all together -----------------------------------------------------------------------------

def quality_alerts(transactions: pd.DataFrame, customers: pd.DataFrame | None = None, rejected=None,
                   report: dict | None = None, as_of_date=None, opening_date=None, region: str = "ID",
                   categories: dict | None = None, checks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every data-quality alert, most severe first (then by count).

    ``rejected`` and ``report`` are the validation's quarantined rows and report
    (``data.validation.rejected``, ``data.report``); ``opening_date`` enables the
    pre-opening check; ``categories`` overrides the data-category mapping (see
    :func:`crmlib.profile.data_categories`); ``checks`` is
    :func:`crmlib.profile.contact_checks` of ``customers`` when already computed.
    """
    as_of = as_of_day(transactions, as_of_date)
    alerts: list[dict] = []
    if rejected is not None and report is not None:
        alerts += quarantine_alerts(rejected, report)
    if opening_date not in (None, "") and len(transactions):
        early = transactions["date"] < pd.Timestamp(opening_date)
        if early.any():
            alerts.append(_alert("pre_opening_date", int(early.sum()), len(transactions), "transactions", "date"))
    alerts += outlier_alert(transactions)
    alerts += date_coverage_alerts(transactions, as_of)
    optional = [c for c in ("quantity", "category", "channel") if c in transactions]
    alerts += column_alerts(transactions[optional], "transactions")
    if customers is not None:
        cats = data_categories(customers.columns, categories)
        alerts += column_alerts(customers, "customers", cats)
        if checks is None:
            checks = contact_checks(customers, region)
        alerts += contact_alerts(customers, region, checks)
        alerts += duplicate_alerts(customers, duplicate_customer_groups(customers, region, checks))
        alerts += date_alerts(customers, as_of, opening_date)
        alerts += buyers_without_record_alert(transactions, customers)
    out = pd.DataFrame(alerts, columns=COLUMNS)
    if out.empty:
        return out
    out["_rank"] = out["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    out = out.sort_values(["_rank", "count", "name"], ascending=[True, False, True], kind="mergesort")
    return out.drop(columns="_rank").reset_index(drop=True)


def alerts_for_results(alerts: pd.DataFrame) -> list[dict]:
    """``[{name, severity, count}]`` for results.json, in the table's order."""
    return [{"name": name, "severity": level, "count": int(count)}
            for name, level, count in zip(alerts["name"], alerts["severity"], alerts["count"])]
