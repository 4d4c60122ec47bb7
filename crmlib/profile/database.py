"""The customer-database profile: the slide practitioners show, completeness by data category,
and the key messages for the workshop room.

Definitions (see ``docs/profile.md``):

- *customers on file*: distinct ids in the customers table and in the kept transactions;
- *buyers*: customers with at least one purchase day (positive net amount) up to the as-of date;
- *with a valid phone / email*: checked with :mod:`crmlib.contacts` (``phonenumbers``,
  ``email-validator``); *contactable*: reachable by WhatsApp/SMS (valid mobile) or email;
- *actively buying*: a purchase day in the ``active_window_days`` days ending on the as-of date;
- *multi-category*: buyers who bought in more than 2 distinct categories (products when the
  category column holds product codes); *repeat*: buyers with 2 or more purchase days.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib import contacts
from crmlib.arrays import distinct
from crmlib.profile.cohorts import PurchaseDays, purchase_arrays
from crmlib.profile.lines import LineColumns
from crmlib.io import InputError

#: The four kinds of customer data practitioners distinguish.
DATA_CATEGORIES = ("personal", "contact", "potential", "business")

#: Default category of the usual customer fields (canonical names, plus common Indonesian
#: headers kept under their own names). Fields not listed are business-specific.
DEFAULT_DATA_CATEGORIES: dict[str, str] = {
    "name": "personal", "gender": "personal", "birth_date": "personal", "religion": "personal",
    "agama": "personal", "blood_type": "personal", "golongan darah": "personal",
    "marital_status": "personal", "status pernikahan": "personal",
    "phone": "contact", "email": "contact", "address": "contact", "alamat": "contact",
    "city": "contact", "province": "contact", "postal_code": "contact", "kode pos": "contact",
    "social_media": "contact", "instagram": "contact", "facebook": "contact",
    "occupation": "potential", "education": "potential", "income": "potential",
    "penghasilan": "potential", "organisation": "potential", "organisasi": "potential",
    "signup_date": "business", "signup_channel": "business", "interest": "business",
    "minat": "business",
}

#: Fields every customer file is expected to have: shown as missing when the file lacks them.
EXPECTED_FIELDS = ("name", "gender", "birth_date", "phone", "email", "city", "occupation", "education")

#: Columns that are identifiers or bookkeeping, not customer data.
NOT_DATA = ("customer_id", "line")


def data_categories(columns, overrides: dict | None = None) -> dict[str, str]:
    """Category of each customer column: ``overrides`` first, then the defaults, else ``business``.

    Matching ignores case. Raises :class:`InputError` for an override naming an unknown category.
    """
    overrides = dict(overrides or {})
    for column, category in overrides.items():
        if category not in DATA_CATEGORIES:
            raise InputError(f"data_categories.{column}: {category!r} is not a data category; "
                             f"use one of {', '.join(DATA_CATEGORIES)}.")
    lowered = {str(k).lower(): v for k, v in overrides.items()}
    out = {}
    for column in columns:
        if column in NOT_DATA:
            continue
        key = str(column).lower()
        out[column] = lowered.get(key) or DEFAULT_DATA_CATEGORIES.get(key, "business")
    return out


def is_filled(values: pd.Series) -> pd.Series:
    """True where a value is present (not missing, not blank text); text checked once per distinct value."""
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        codes, uniques = pd.factorize(values)
        blank = np.array([not str(u).strip() for u in uniques], dtype=bool)
        present = codes >= 0
        present[present] = ~blank[codes[present]]
        return pd.Series(present, index=values.index)
    return values.notna().astype(bool)


def completeness(customers: pd.DataFrame | None, overrides: dict | None = None) -> pd.DataFrame:
    """Which customer fields exist and how filled they are, by data category.

    One row per field: ``category, field, present, filled, customers, share_filled``. The
    expected fields (:data:`EXPECTED_FIELDS`) a file lacks appear with ``present=False`` and
    share 0. Sorted by category (personal, contact, potential, business), then field order.
    """
    columns = ["category", "field", "present", "filled", "customers", "share_filled"]
    if customers is None:
        return pd.DataFrame(columns=columns)
    categories = data_categories(customers.columns, overrides)
    n = len(customers)
    rows = []
    for field, category in categories.items():
        filled = int(is_filled(customers[field]).sum())
        rows.append((category, field, True, filled, n, filled / n if n else np.nan))
    lowered = {c.lower() for c in customers.columns}
    for field in EXPECTED_FIELDS:
        if field not in lowered:
            category = (overrides or {}).get(field) or DEFAULT_DATA_CATEGORIES[field]
            rows.append((category, field, False, 0, n, 0.0))
    out = pd.DataFrame(rows, columns=columns)
    out["_order"] = out["category"].map({c: i for i, c in enumerate(DATA_CATEGORIES)})
    out = out.sort_values("_order", kind="mergesort").drop(columns="_order").reset_index(drop=True)
    return out


def completeness_matrix(customers: pd.DataFrame | None, overrides: dict | None = None,
                        by: str = "signup_date") -> pd.DataFrame:
    """Share filled per field (rows indexed ``(category, field)``) for all customers and per year of ``by``.

    The columns are ``all`` and, when ``by`` is a date column of the table, one per year (so a
    heatmap shows whether data capture improved). Only fields present in the file.
    """
    if customers is None:
        return pd.DataFrame()
    categories = data_categories(customers.columns, overrides)
    order = sorted(categories, key=lambda f: DATA_CATEGORIES.index(categories[f]))
    filled = pd.DataFrame({f: is_filled(customers[f]) for f in order}, index=customers.index)
    table = pd.DataFrame({"all": filled.mean()})
    if by in customers and pd.api.types.is_datetime64_any_dtype(customers[by]):
        years = customers[by].dt.year
        per_year = filled.groupby(years).mean().T
        per_year.columns = [str(int(y)) for y in per_year.columns]
        table = table.join(per_year)
    table.index = pd.MultiIndex.from_tuples([(categories[f], f) for f in order], names=["category", "field"])
    return table


def customer_profile(transactions: pd.DataFrame, customers: pd.DataFrame | None = None,
                     as_of_date=None, active_window_days: int = 90, region: str = "ID",
                     checks: pd.DataFrame | None = None, days: PurchaseDays | None = None) -> dict:
    """The figures of the profile slide, as a flat dict (``None`` where the data lacks them).

    Keys: ``customers_total, customers_in_file, buyers, customers_never_bought,
    customers_with_phone, customers_with_email, customers_contactable, customers_whatsapp,
    customers_active, active_window_days, gender_known, share_female, share_male,
    share_multi_category, multi_category_basis, share_repeat, share_active``.
    Contact figures count distinct customer ids with at least one valid value;
    ``checks`` is :func:`contact_checks` of ``customers`` and ``days`` is
    :func:`crmlib.profile.cohorts.purchase_arrays` of the transactions, when already computed.
    """
    if int(active_window_days) < 1:
        raise InputError(f"active_window_days must be a positive number of days, not {active_window_days!r}.")
    days = days if days is not None else purchase_arrays(transactions, as_of_date)
    per_buyer = np.bincount(days.code, minlength=len(days.ids))
    n_buyers = int((per_buyer > 0).sum())
    later = transactions.loc[~days.lines, "customer_id"].unique()  # after the as-of date
    known_ids = pd.Index(days.ids).union(pd.Index(later))
    file_ids = pd.Index([]) if customers is None else pd.Index(customers["customer_id"].dropna().unique())
    total = len(known_ids.union(file_ids))

    window_start = (days.as_of - pd.Timedelta(days=int(active_window_days) - 1)).to_datetime64()
    active = len(distinct(days.code[days.day >= window_start.astype("datetime64[D]")]))
    figures = {
        "customers_total": total,
        "customers_in_file": None if customers is None else len(file_ids),
        "buyers": n_buyers,
        "customers_never_bought": total - n_buyers,
        "customers_active": int(active),
        "active_window_days": int(active_window_days),
        "share_active": active / total if total else None,
        "share_repeat": float((per_buyer >= 2).sum() / n_buyers) if n_buyers else None,
    }
    figures.update(_multi_category(transactions, days, per_buyer > 0))
    figures.update(_contact_figures(customers, region, checks))
    figures.update(_gender_figures(customers))
    return figures


def _multi_category(transactions: pd.DataFrame, days: PurchaseDays, is_buyer: np.ndarray) -> dict:
    """Share of buyers with purchases in more than 2 distinct categories (None without categories)."""
    n_buyers = int(is_buyer.sum())
    if "category" not in transactions or transactions["category"].isna().all() or not n_buyers:
        return {"share_multi_category": None, "multi_category_basis": None}
    tx = LineColumns(transactions, days.lines)
    sold = ((tx["amount"] > 0) & tx["category"].notna()).to_numpy()
    category, names = pd.factorize(tx["category"][sold])
    pairs = distinct(days.line_code[sold] * max(len(names), 1) + category)
    categories_bought = np.bincount(pairs // max(len(names), 1), minlength=len(days.ids))
    multi = int(((categories_bought > 2) & is_buyer).sum())
    return {"share_multi_category": multi / n_buyers, "multi_category_basis": "category"}


def contact_checks(customers: pd.DataFrame, region: str = "ID") -> pd.DataFrame:
    """Per customer row: the columns of :func:`crmlib.contacts.contactability` plus ``phone_e164``.

    Same rules (valid phone via ``phonenumbers``, mobile for WhatsApp/SMS, email via
    ``email-validator``), but each distinct number is parsed once
    (:func:`crmlib.contacts.phone_details`), about three times faster on large files.
    """
    phone = customers["phone"] if "phone" in customers else pd.Series(None, index=customers.index, dtype=object)
    email = customers["email"] if "email" in customers else pd.Series(None, index=customers.index, dtype=object)
    phone_text = phone.astype("string").str.strip()
    email_text = email.astype("string").str.strip()
    details = contacts.phone_details(phone_text, region)
    emails = email_text[email_text.fillna("").str.len() > 0].unique()
    email_valid = pd.Series({e: contacts.is_valid_email(e) for e in emails}, dtype=bool)
    out = pd.DataFrame({"customer_id": customers["customer_id"].to_numpy()})
    out["has_phone"] = (phone_text.fillna("").str.len() > 0).to_numpy()
    out["phone_valid"] = phone_text.map(details["valid"]).eq(True).to_numpy(dtype=bool)
    out["phone_mobile"] = phone_text.map(details["mobile"]).eq(True).to_numpy(dtype=bool)
    e164 = phone_text.map(details["e164"]).astype(object)
    out["phone_e164"] = e164.where(e164.notna(), None).to_numpy()
    out["has_email"] = (email_text.fillna("").str.len() > 0).to_numpy()
    out["email_valid"] = email_text.map(email_valid).eq(True).to_numpy(dtype=bool)
    out["whatsapp"] = out["phone_mobile"]
    out["sms"] = out["phone_mobile"]
    out["email"] = out["email_valid"]
    out["contactable"] = out["whatsapp"] | out["email"]
    return out


def _contact_figures(customers: pd.DataFrame | None, region: str, checks: pd.DataFrame | None) -> dict:
    keys = ("customers_with_phone", "customers_with_email", "customers_contactable", "customers_whatsapp")
    if customers is None:
        return dict.fromkeys(keys)
    if checks is None:
        checks = contact_checks(customers, region=region)
    per_customer = checks.groupby("customer_id")[["phone_valid", "email_valid", "contactable", "whatsapp"]].any()
    has_phone, has_email = "phone" in customers, "email" in customers
    return {  # a column the file lacks is "not available", not zero
        "customers_with_phone": int(per_customer["phone_valid"].sum()) if has_phone else None,
        "customers_with_email": int(per_customer["email_valid"].sum()) if has_email else None,
        "customers_contactable": int(per_customer["contactable"].sum()) if has_phone or has_email else None,
        "customers_whatsapp": int(per_customer["whatsapp"].sum()) if has_phone else None,
    }


def _gender_figures(customers: pd.DataFrame | None) -> dict:
    if customers is None or "gender" not in customers:
        return {"gender_known": None, "share_female": None, "share_male": None}
    gender = customers.drop_duplicates("customer_id")["gender"]
    known = int(gender.isin(["F", "M"]).sum())
    return {
        "gender_known": known,
        "share_female": float((gender == "F").sum() / known) if known else None,
        "share_male": float((gender == "M").sum() / known) if known else None,
    }


#: Rows of the profile slide: (figure key, label key, base key for the share or None).
SLIDE_ROWS = (
    ("customers_total", "profile_customers_total", None),
    ("customers_with_phone", "profile_customers_with_phone", "customers_total"),
    ("customers_with_email", "profile_customers_with_email", "customers_total"),
    ("customers_contactable", "profile_customers_contactable", "customers_total"),
    ("customers_active", "profile_customers_active", "customers_total"),
    ("buyers", "profile_buyers", "customers_total"),
    ("share_female", "profile_share_female", None),
    ("share_multi_category", "profile_share_multi_category", None),
    ("share_repeat", "profile_share_repeat", None),
)


def profile_table(figures: dict) -> pd.DataFrame:
    """The slide as a table: ``metric, count, share`` (share of customers on file, or the share itself;
    1.0 for the customers on file).

    A figure the data cannot give (no customers table, no categories) has empty count and share.
    """
    rows = []
    for key, _label, base in SLIDE_ROWS:
        value = figures.get(key)
        if key.startswith("share_"):
            rows.append((key, None, value))
        elif value is None:
            rows.append((key, None, None))
        else:
            share = value / figures[base] if base and figures.get(base) else None
            rows.append((key, int(value), 1.0 if base is None else share))
    return pd.DataFrame(rows, columns=["metric", "count", "share"])
