"""Churn labels and features at a cutoff date, without looking past the cutoff.

Definitions (see ``docs/churn.md``):

- a *purchase day* is a day on which a customer's net amount is positive (as in
  :func:`crmlib.summary.customer_summary`);
- the **population** at cutoff ``c`` is every customer with a purchase day on or before ``c``
  whose last purchase is at most ``lookback_days`` before ``c`` (the "active file";
  ``None`` keeps everyone who ever bought). It holds both *active* customers (last purchase
  within ``inactive_days``) and *lapsed* ones, so today's scores cover win-back candidates too;
- the **label** ``churned`` is 1 when the customer has no purchase day in ``(c, c + horizon]``;
  with ``horizon = inactive_days`` that is exactly "churned (``inactive_days`` without a
  purchase) at ``c + horizon``".

Features use only transactions dated on or before ``c``; :class:`PurchaseHistory` is built
once and cut at each cutoff, so many cutoffs on millions of rows stay fast.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib.arrays import customer_day_keys
from crmlib.io import InputError

#: Customer attributes used as features when the customers table has them (free-text and
#: personal columns such as name, phone and email are never used).
ATTRIBUTE_COLUMNS = ("gender", "city", "province", "signup_channel", "occupation", "education")
#: Attributes with more distinct values than this are left out (too sparse to learn from).
MAX_LEVELS = 30

#: Behavioural features, in the order they appear in the feature table.
BEHAVIOUR_FEATURES = (
    "recency_days", "frequency", "monetary_total", "monetary_mean", "tenure_days",
    "purchases_per_year", "spend_last_year", "ipt_mean_days", "last_gap_days", "gap_ratio",
    "spend_recent", "spend_previous", "spend_trend", "freq_recent", "freq_previous",
    "freq_trend", "n_categories", "return_share",
)  # n_categories only when the transactions have a category column


@dataclass
class PurchaseHistory:
    """Transactions condensed once for fast cuts: one row per customer and day.

    ``daily``: code, day (days since 1970-01-01), net, gross, returned.
    ``categories``: code, first day each category was bought (``None`` without categories).
    ``channels``: code, channel, day, orders (``None`` without channels).
    """

    customer_ids: np.ndarray
    daily: pd.DataFrame
    categories: pd.DataFrame | None
    channels: pd.DataFrame | None
    last_day: int

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)


def purchase_history(transactions: pd.DataFrame) -> PurchaseHistory:
    """Condense canonical transactions (customer_id, date, amount [, category, channel, is_return])."""
    missing = [c for c in ("customer_id", "date", "amount") if c not in transactions]
    if missing:
        raise InputError(f"transactions lack the column(s) {', '.join(missing)} needed for churn; "
                         "load them with crmlib.data.load_data.")
    if transactions.empty:
        raise InputError("no transactions to learn churn from: the transactions table is empty.")
    customer_ids = transactions["customer_id"]
    if not isinstance(customer_ids.dtype, pd.StringDtype):  # Arrow text (load_data) is factorised as it is
        customer_ids = customer_ids.astype(str)
    codes, ids = pd.factorize(customer_ids, sort=True)
    day = _days(transactions["date"])
    amount = transactions["amount"].to_numpy(dtype=float)
    is_return = (transactions["is_return"].to_numpy(dtype=bool) if "is_return" in transactions
                 else amount < 0)
    daily = _daily_sums(codes, day, amount, is_return)
    categories = channels = None
    if "category" in transactions and transactions["category"].notna().any():
        cats = pd.DataFrame({"code": codes, "category": transactions["category"].to_numpy(),
                             "day": day})[~is_return & (amount > 0)].dropna(subset=["category"])
        categories = cats.groupby(["code", "category"], sort=True)["day"].min().reset_index()
    if "channel" in transactions and transactions["channel"].notna().any():
        chans = pd.DataFrame({"code": codes, "channel": transactions["channel"].astype("string")
                              .to_numpy(), "day": day})[~is_return & (amount > 0)]
        chans = chans.dropna(subset=["channel"])
        channels = chans.groupby(["code", "channel", "day"], sort=True).size() \
            .rename("orders").reset_index()
    return PurchaseHistory(customer_ids=np.asarray(ids, dtype=object), daily=daily,
                           categories=categories, channels=channels, last_day=int(day.max()))


def _daily_sums(codes: np.ndarray, day: np.ndarray, amount: np.ndarray, is_return: np.ndarray) -> pd.DataFrame:
    """Net, gross and returned amount per customer code and day, sorted by (code, day).

    One int64 key (code, day) (:func:`crmlib.arrays.customer_day_keys`) instead of a two-column
    groupby: the same sums in the same order (on ten million lines about 1 GB less at peak).
    """
    key, first_day, span = customer_day_keys(codes, day)
    sums = pd.DataFrame({"net": amount, "gross": np.where(is_return, 0.0, np.maximum(amount, 0.0)),
                         "returned": np.where(is_return, np.abs(amount), 0.0)}).groupby(key, sort=True).sum()
    key = sums.index.to_numpy()
    return pd.DataFrame({"code": key // span, "day": key % span + first_day, "net": sums["net"].to_numpy(),
                         "gross": sums["gross"].to_numpy(), "returned": sums["returned"].to_numpy()})


def _days(dates: pd.Series) -> np.ndarray:
    """Whole days since 1970-01-01 (the time of day is dropped)."""
    return dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def _day(date) -> int:
    return int(np.datetime64(pd.Timestamp(date).normalize().date(), "D").astype(np.int64))


def _as_history(data) -> PurchaseHistory:
    return data if isinstance(data, PurchaseHistory) else purchase_history(data)


def churn_labels(data, cutoff, horizon_days: int = 90, lookback_days: int | None = 365) -> pd.DataFrame:
    """The population at ``cutoff`` and its label: ``churned`` = no purchase in (cutoff, cutoff + horizon].

    ``data`` is a transactions frame or a :class:`PurchaseHistory`. Raises :class:`InputError`
    when the data end before ``cutoff + horizon`` (the label would be unknown).
    """
    history = _as_history(data)
    c = _day(cutoff)
    if horizon_days < 1:
        raise InputError(f"the churn horizon must be at least 1 day, not {horizon_days}.")
    if c + horizon_days > history.last_day:
        end = pd.Timestamp(np.datetime64(history.last_day, "D"))
        raise InputError(f"cutoff {pd.Timestamp(cutoff):%Y-%m-%d} + {horizon_days} days runs past the "
                         f"last transaction ({end:%Y-%m-%d}): the label is unknown; choose an earlier "
                         "cutoff or a shorter `churn_horizon_days`.")
    codes = _population(history, c, lookback_days)
    daily = history.daily
    bought = daily.loc[(daily["net"] > 0) & (daily["day"] > c) & (daily["day"] <= c + horizon_days),
                       "code"].unique()
    return pd.DataFrame({"customer_id": history.customer_ids[codes],
                         "churned": ~np.isin(codes, bought)})


def _population(history: PurchaseHistory, c: int, lookback_days: int | None) -> np.ndarray:
    """Sorted codes of customers with a purchase day on or before ``c`` (within the lookback)."""
    daily = history.daily
    bought = daily[(daily["net"] > 0) & (daily["day"] <= c)]
    last = bought.groupby("code")["day"].max()
    if lookback_days is not None:
        last = last[last >= c - lookback_days]
    return last.index.to_numpy()


def churn_features(data, cutoff, customers: pd.DataFrame | None = None,
                   lookback_days: int | None = 365, inactive_days: int = 90,
                   window_days: int = 90, attributes=ATTRIBUTE_COLUMNS) -> pd.DataFrame:
    """One row per customer of the population at ``cutoff``, from transactions on or before it.

    Columns: ``customer_id``, ``status`` (``active`` when fewer than ``inactive_days`` days have
    passed since the last purchase, else ``lapsed``), the :data:`BEHAVIOUR_FEATURES`, ``main_channel`` (with a channel column) and
    ``age`` plus the ``attributes`` columns present in ``customers`` (default
    :data:`ATTRIBUTE_COLUMNS`). Trends compare the last
    ``window_days`` with the ``window_days`` before them. Sorted by ``customer_id``.
    """
    history = _as_history(data)
    c = _day(cutoff)
    codes = _population(history, c, lookback_days)
    n = history.n_customers
    daily = history.daily
    past = daily[daily["day"] <= c]
    code, day, net = past["code"].to_numpy(), past["day"].to_numpy(), past["net"].to_numpy()
    bought = net > 0

    def total(weights, mask=None):
        keep = bought if mask is None else mask
        return np.bincount(code[keep], weights=None if weights is None else weights[keep],
                           minlength=n)[codes]

    frequency = total(None)
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, code[bought], day[bought])
    last = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last, code[bought], day[bought])
    first, last = first[codes], last[codes]
    everything = np.ones(len(code), dtype=bool)
    monetary_total = total(net, everything)
    gross = total(past["gross"].to_numpy(), everything)
    returned = total(past["returned"].to_numpy(), everything)
    recent = bought & (day > c - window_days)
    previous = bought & (day > c - 2 * window_days) & (day <= c - window_days)
    spend_recent = total(net, everything & (day > c - window_days))
    spend_previous = total(net, (day > c - 2 * window_days) & (day <= c - window_days))
    freq_recent, freq_previous = total(None, recent), total(None, previous)

    recency = (c - last).astype(float)
    tenure = (c - first).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ipt_mean = np.where(frequency > 1, (last - first) / np.maximum(frequency - 1, 1), np.nan)
        out = pd.DataFrame({
            "customer_id": history.customer_ids[codes],
            "status": np.where(recency < inactive_days, "active", "lapsed"),
            "recency_days": recency,
            "frequency": frequency,
            "monetary_total": monetary_total,
            "monetary_mean": monetary_total / frequency,
            "tenure_days": tenure,
            "purchases_per_year": frequency * 365.0 / np.maximum(tenure, window_days),
            "spend_last_year": total(net, everything & (day > c - 365)),
            "ipt_mean_days": ipt_mean,
            "last_gap_days": _last_gaps(code[bought], day[bought], n)[codes],
            "gap_ratio": recency / ipt_mean,
            "spend_recent": spend_recent,
            "spend_previous": spend_previous,
            "spend_trend": _trend(spend_recent, spend_previous),
            "freq_recent": freq_recent,
            "freq_previous": freq_previous,
            "freq_trend": _trend(freq_recent, freq_previous),
            "return_share": np.where(gross > 0, returned / gross, 0.0),
        })
    if history.categories is not None:
        out.insert(out.columns.get_loc("return_share"), "n_categories",
                   _n_categories(history, c, codes))
    main_channel = _main_channel(history, c, codes)
    if main_channel is not None:
        out["main_channel"] = main_channel
    if customers is not None:
        out = _with_attributes(out, customers, pd.Timestamp(cutoff), attributes)
    return out


def _trend(recent: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """(recent − previous) / (recent + previous): −1 stopped, 0 steady, +1 new; NaN when both 0."""
    both = np.abs(recent) + np.abs(previous)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(both > 0, (recent - previous) / both, np.nan)


def _last_gaps(code: np.ndarray, day: np.ndarray, n: int) -> np.ndarray:
    """Days between each customer's last two purchase days (NaN with fewer than two); input sorted."""
    out = np.full(n, np.nan)
    if len(code) < 2:
        return out
    is_last = np.r_[code[1:] != code[:-1], True]
    has_previous = np.r_[False, code[1:] == code[:-1]]
    rows = np.flatnonzero(is_last & has_previous)
    out[code[rows]] = day[rows] - day[rows - 1]
    return out


def _n_categories(history: PurchaseHistory, c: int, codes: np.ndarray) -> np.ndarray:
    seen = history.categories
    return np.bincount(seen.loc[seen["day"] <= c, "code"], minlength=history.n_customers)[codes] \
        .astype(float)


def _main_channel(history: PurchaseHistory, c: int, codes: np.ndarray):
    """The channel with the most purchase days on or before ``c`` (ties: alphabetical first)."""
    if history.channels is None:
        return None
    chans = history.channels[history.channels["day"] <= c]
    counts = chans.groupby(["code", "channel"], sort=True).size().rename("n").reset_index()
    counts = counts.sort_values(["code", "n", "channel"], ascending=[True, False, True], kind="stable")
    top = counts.drop_duplicates("code").set_index("code")["channel"]
    return _plain(top.reindex(codes))


def _plain(values: pd.Series) -> np.ndarray:
    """Text values as a plain object array with ``nan`` for missing (what scikit-learn expects)."""
    values = values.astype(object)
    return values.where(values.notna(), np.nan).to_numpy()


def _with_attributes(features: pd.DataFrame, customers: pd.DataFrame, cutoff: pd.Timestamp,
                     attributes=ATTRIBUTE_COLUMNS):
    """Add age at the cutoff and the low-cardinality customer attributes present."""
    if "customer_id" not in customers:
        raise InputError("the customers table has no customer_id column; map it with "
                         "`customer_columns.customer_id`.")
    table = customers.drop_duplicates("customer_id").copy()
    table["customer_id"] = table["customer_id"].astype(str)
    table = table.set_index("customer_id")
    keep = pd.DataFrame(index=features["customer_id"])
    if "birth_date" in table:
        birth = pd.to_datetime(table["birth_date"], errors="coerce")
        age = (cutoff - birth).dt.days / 365.25
        keep["age"] = age.where((age >= 10) & (age <= 100)).reindex(keep.index)
    for column in attributes:
        if column in table:
            values = table[column].astype("string").str.strip().replace("", pd.NA)
            if 1 < values.nunique() <= MAX_LEVELS:
                keep[column] = _plain(values.reindex(keep.index))
    return pd.concat([features.reset_index(drop=True), keep.reset_index(drop=True)], axis=1)


def churn_snapshot(data, cutoff, horizon_days: int = 90, customers: pd.DataFrame | None = None,
                   lookback_days: int | None = 365, inactive_days: int = 90,
                   window_days: int = 90, attributes=ATTRIBUTE_COLUMNS) -> pd.DataFrame:
    """Features and label at one cutoff: :func:`churn_features` + ``churned`` + ``cutoff``."""
    history = _as_history(data)
    labels = churn_labels(history, cutoff, horizon_days, lookback_days)
    features = churn_features(history, cutoff, customers, lookback_days, inactive_days, window_days,
                              attributes)
    snap = features.merge(labels, on="customer_id", how="left", validate="one_to_one")
    snap.insert(0, "cutoff", pd.Timestamp(cutoff).normalize())
    return snap


def feature_columns(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(numeric, categorical) feature columns present in a snapshot or feature table."""
    skip = {"cutoff", "customer_id", "churned", "status", "p_alive", "p_churn_bgnbd"}
    numeric = [c for c in frame.columns if c not in skip and pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [c for c in frame.columns if c not in skip and c not in numeric]
    return numeric, categorical
