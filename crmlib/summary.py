"""Customer summary at an as-of date: one row per customer, shared by notebooks 02–05.

Two forms of the same facts:

- :func:`customer_summary` — recency, frequency, monetary value, tenure and breadth
  (the RFM form used by segmentation, clustering and churn);
- :func:`btyd_summary` — repeat frequency, recency ``t_x``, age ``T`` and mean repeat spend
  in days, weeks or months (the Buy-Till-You-Die form used by the lifetime-value models; the
  same numbers as ``lifetimes.utils.summary_data_from_transaction_data`` with ``freq="D"``
  and ``freq_multiplier`` = days per unit).

**What counts as a purchase.** Lines of one customer on one calendar day are one purchase:
their amounts are added (returns, negative amounts, are netted against sales). A day whose
net amount is negative is not a purchase (a return of an earlier purchase); its amount still
counts in ``monetary_total``. A day netting to zero (a free item, as in CDNOW's $0 lines) is a
purchase, as the papers and lifetimes count it. Customers without any purchase day are left out.

**How it is computed.** Customer ids are turned into integer codes (free for a categorical
column); the (customer, day, line) triple is packed into one int64 and sorted once with
numpy's vectorised sort, after which every per-customer figure is a segmented reduction
over contiguous runs. This runs 10 million lines in a fraction of a second
(``bench/bench_summary.py`` measures it against lifetimes and against DuckDB).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib.io import InputError

SUMMARY_COLUMNS = ("customer_id", "first_purchase", "last_purchase", "recency_days", "frequency",
                   "orders", "monetary_total", "monetary_mean", "tenure_days", "n_categories")

#: Days per time unit for the Buy-Till-You-Die summary (no 30-day-month shortcut).
DAYS_PER_UNIT = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}

_NS_PER_DAY = 86_400_000_000_000
_EPOCH = np.datetime64("1970-01-01", "D")
#: Above this many (group × value) cells, distinct counts use a sort instead of a dense table.
_DENSE_CELLS = 1 << 24
#: Bits available to pack (customer, day, line) into one sortable int64 key.
_PACK_BITS = 63


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
def customer_summary(transactions: pd.DataFrame, as_of_date=None) -> pd.DataFrame:
    """Recency, frequency and monetary value per customer, using transactions up to ``as_of_date``.

    - frequency: distinct purchase days (purchases of one customer on one day count once);
      days with a negative net amount (returns) are not purchases;
    - orders: distinct order ids among sale lines (amount ≥ 0); equals frequency when there
      is no ``order_id`` column (or it is empty);
    - recency_days / tenure_days: whole days from the last / first purchase to ``as_of_date``;
    - monetary_total: net spend (all lines up to ``as_of_date``); monetary_mean: net spend per
      purchase day;
    - n_categories: distinct categories among sale lines (NaN without a ``category`` column).

    ``as_of_date`` (inclusive, whole day) defaults to the last transaction date.
    Sorted by ``customer_id``; index 0..n-1.
    """
    _check_transactions(transactions)
    as_of = _as_of(transactions, as_of_date)
    lines = _Lines.from_frame(transactions, last_day=_day_number(as_of))
    daily = lines.daily()
    buyers = daily.purchases()

    index = buyers.customer                      # customer codes, ascending code order
    frequency = buyers.count
    monetary_total = np.bincount(daily.customer, weights=daily.amount,
                                 minlength=lines.n_customers)[index]
    sale = lines.amount >= 0
    sale_customer = lines.customer[sale] if lines.order is not None or lines.category is not None else None
    if lines.order is not None:
        orders = _count_distinct(sale_customer, lines.order[sale], lines.n_customers, lines.n_orders)[index]
    else:
        orders = frequency
    if lines.category is not None:
        n_categories = _count_distinct(sale_customer, lines.category[sale], lines.n_customers,
                                       lines.n_categories)[index].astype(float)
    else:
        n_categories = np.full(len(index), np.nan)

    as_of_day = _day_number(as_of)
    out = pd.DataFrame({
        "customer_id": lines.customer_ids[index],
        "first_purchase": _to_datetime(buyers.first_day),
        "last_purchase": _to_datetime(buyers.last_day),
        "recency_days": (as_of_day - buyers.last_day).astype("int64"),
        "frequency": frequency.astype("int64"),
        "orders": orders.astype("int64"),
        "monetary_total": monetary_total,
        "monetary_mean": monetary_total / frequency,
        "tenure_days": (as_of_day - buyers.first_day).astype("int64"),
        "n_categories": n_categories,
    })
    return _sorted_by_customer(out).reset_index(drop=True)


def btyd_summary(transactions: pd.DataFrame, calibration_end=None, observation_end=None,
                 time_unit: str = "W") -> pd.DataFrame:
    """Buy-Till-You-Die summary (as ``lifetimes.utils.summary_data_from_transaction_data``).

    Per customer with a purchase on or before ``calibration_end`` (default: the last
    transaction date): ``frequency`` = repeat purchase days, ``recency`` = time from the first
    to the last purchase, ``T`` = time from the first purchase to ``calibration_end``,
    ``monetary_value`` = mean spend of the repeat purchase days (0 without repeats), all in
    ``time_unit`` (D, W or M = 365.25/12 days; computed from whole days). With
    ``observation_end``: ``frequency_holdout`` (purchase days in the holdout period
    ``(calibration_end, observation_end]``), ``monetary_value_holdout`` (their mean spend, 0
    without any) and ``duration_holdout``. Indexed by ``customer_id``, sorted.

    Raises :class:`InputError` when the calibration period holds no purchase, when
    ``observation_end`` is not after ``calibration_end``, or when the holdout period holds no
    transaction (a holdout check against nothing).
    """
    if time_unit not in DAYS_PER_UNIT:
        raise InputError(f"time_unit must be one of {tuple(DAYS_PER_UNIT)} (parameter `time_unit`), "
                         f"not {time_unit!r}.")
    _check_transactions(transactions)
    unit = DAYS_PER_UNIT[time_unit]
    cal_end = _day_number(_as_of(transactions, calibration_end))
    obs_end = None if observation_end in (None, "") else _day_number(pd.Timestamp(observation_end))
    cal_text = _day_text(cal_end)
    if obs_end is not None and obs_end <= cal_end:
        raise InputError(f"observation_end ({_day_text(obs_end)}) is not after calibration_end ({cal_text}): "
                         "the holdout period (calibration_end, observation_end] would be empty; set "
                         "observation_end later than calibration_end, or leave it empty for no holdout.")
    lines = _Lines.from_frame(transactions, last_day=obs_end if obs_end is not None else cal_end)
    daily = lines.daily()
    calibration = daily.select(daily.day <= cal_end).purchases()
    if len(calibration.customer) == 0:
        first = f" (the first is on {transactions['date'].min():%Y-%m-%d})" if len(transactions) else ""
        raise InputError(f"no purchase on or before calibration_end {cal_text}{first}: the calibration "
                         "period is empty; set `calibration_end` to a later date.")
    if obs_end is not None and not (daily.day > cal_end).any():
        raise InputError(f"no transaction in the holdout period after calibration_end {cal_text} up to "
                         f"observation_end {_day_text(obs_end)} (the last is on {_day_text(int(daily.day.max()))}); "
                         "set `calibration_end` earlier, or observation_end no later than the last transaction.")

    count = calibration.count
    repeats = count - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(repeats > 0, calibration.repeat_total / np.maximum(repeats, 1), 0.0)
    out = pd.DataFrame({
        "frequency": repeats.astype(float),
        "recency": (calibration.last_day - calibration.first_day) / unit,
        "T": (cal_end - calibration.first_day) / unit,
        "monetary_value": monetary,
    }, index=pd.Index(lines.customer_ids[calibration.customer], name="customer_id"))

    if obs_end is not None:
        holdout = daily.select(daily.day > cal_end).purchases()
        n_hold = np.zeros(lines.n_customers)
        spend_hold = np.zeros(lines.n_customers)
        n_hold[holdout.customer] = holdout.count
        spend_hold[holdout.customer] = holdout.total
        n_hold = n_hold[calibration.customer]
        spend_hold = spend_hold[calibration.customer]
        with np.errstate(invalid="ignore", divide="ignore"):
            out["frequency_holdout"] = n_hold
            out["monetary_value_holdout"] = np.where(n_hold > 0, spend_hold / np.maximum(n_hold, 1), 0.0)
        out["duration_holdout"] = (obs_end - cal_end) / unit
    return _sorted_by_customer(out)


# --------------------------------------------------------------------------------------------
# Internals: integer-coded lines → per (customer, day) purchases → per customer
# --------------------------------------------------------------------------------------------
@dataclass
class _Customers:
    """Per-customer reductions over purchase days (arrays aligned on ``customer`` codes)."""

    customer: np.ndarray
    count: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    total: np.ndarray
    repeat_total: np.ndarray


@dataclass
class _Daily:
    """One row per (customer, day) with the day's net amount, sorted by customer then day."""

    customer: np.ndarray
    day: np.ndarray
    amount: np.ndarray

    def select(self, mask: np.ndarray) -> "_Daily":
        return _Daily(self.customer[mask], self.day[mask], self.amount[mask])

    def purchases(self) -> _Customers:
        """Reduce the purchase days (net amount not negative) to one row per customer."""
        positive = self.amount >= 0
        customer, day, amount = self.customer[positive], self.day[positive], self.amount[positive]
        if len(customer) == 0:
            empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0)
            return _Customers(empty_i, empty_i, empty_i, empty_i, empty_f, empty_f)
        starts = _run_starts(customer)
        ends = np.r_[starts[1:], len(customer)] - 1
        repeat = amount.copy()
        repeat[starts] = 0.0
        return _Customers(customer=customer[starts], count=np.diff(np.r_[starts, len(customer)]),
                          first_day=day[starts], last_day=day[ends],
                          total=np.add.reduceat(amount, starts),
                          repeat_total=np.add.reduceat(repeat, starts))


@dataclass
class _Lines:
    """Transaction lines as integer codes: customer, day number, amount, order and category."""

    customer: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    customer_ids: np.ndarray
    order: np.ndarray | None
    n_orders: int
    category: np.ndarray | None
    n_categories: int

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, last_day: int | None) -> "_Lines":
        day = _days(frame["date"])
        amount = frame["amount"].to_numpy(dtype=np.float64)
        keep = None if last_day is None or day.size == 0 or day.max() <= last_day else day <= last_day
        customer, customer_ids = _codes(frame["customer_id"])
        if (customer < 0).any():
            raise InputError("customer_id is missing on some transaction lines; load transactions "
                             "through crmlib.data.load_data, which quarantines them.")
        order, n_orders = _optional_codes(frame, "order_id")
        category, n_categories = _optional_codes(frame, "category")
        if keep is not None:
            day, amount, customer = day[keep], amount[keep], customer[keep]
            order = None if order is None else order[keep]
            category = None if category is None else category[keep]
        return cls(customer, day, amount, customer_ids, order, n_orders, category, n_categories)

    def daily(self) -> _Daily:
        """Sum the lines of each (customer, day): one packed-key sort, then segmented sums."""
        customer, day, amount = _merge_adjacent(self.customer, self.day, self.amount)
        n = len(customer)
        if n == 0:
            return _Daily(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        first_day = int(day.min())
        offset = day - first_day
        day_bits = max(int(offset.max()).bit_length(), 1)
        line_bits = max((n - 1).bit_length(), 1)
        customer_bits = max((self.n_customers - 1).bit_length(), 1)
        if customer_bits + day_bits + line_bits <= _PACK_BITS:
            packed = (customer.astype(np.int64) << (day_bits + line_bits)) \
                | (offset << line_bits) | np.arange(n, dtype=np.int64)
            packed.sort()
            order = packed & ((1 << line_bits) - 1)
            group = packed >> line_bits
        else:  # too many bits to pack: a (slower) stable argsort on the (customer, day) key
            group = (customer.astype(np.int64) << day_bits) | offset
            order = np.argsort(group, kind="stable")
            group = group[order]
        starts = _run_starts(group)
        keys = group[starts]
        return _Daily(customer=keys >> day_bits, day=(keys & ((1 << day_bits) - 1)) + first_day,
                      amount=np.add.reduceat(amount[order], starts))


def _merge_adjacent(customer: np.ndarray, day: np.ndarray, amount: np.ndarray):
    """Add up consecutive lines of one customer and day (the lines of one order, as exports list
    them) before sorting: same sums, a shorter sort. A no-op when few lines are adjacent."""
    if len(customer) < 2:
        return customer, day, amount
    starts = np.flatnonzero(np.r_[True, (customer[1:] != customer[:-1]) | (day[1:] != day[:-1])])
    if len(starts) > 0.9 * len(customer):
        return customer, day, amount
    return customer[starts], day[starts], np.add.reduceat(amount, starts)


def _check_transactions(frame: pd.DataFrame) -> None:
    missing = [c for c in ("customer_id", "date", "amount") if c not in frame]
    if missing:
        raise InputError(f"transactions lack column(s) {missing}; expected canonical transactions "
                         f"(customer_id, date, amount, …) as returned by crmlib.data.load_data.")
    if not pd.api.types.is_datetime64_any_dtype(frame["date"]):
        raise InputError(f"transactions column `date` must hold dates (datetime64), not "
                         f"{frame['date'].dtype}; load transactions through crmlib.data.load_data.")
    if not pd.api.types.is_numeric_dtype(frame["amount"]):
        raise InputError(f"transactions column `amount` must be numeric, not {frame['amount'].dtype}.")


def _as_of(transactions: pd.DataFrame, as_of_date) -> pd.Timestamp:
    if as_of_date in (None, ""):
        if len(transactions) == 0:
            raise InputError("no transactions: give as_of_date explicitly.")
        return transactions["date"].max().normalize()
    try:
        return pd.Timestamp(as_of_date).normalize()
    except (ValueError, TypeError) as err:
        raise InputError(f"as_of_date {as_of_date!r} is not a date; write it as YYYY-MM-DD.") from err


def _day_text(day_number: int) -> str:
    """A day number as YYYY-MM-DD."""
    return str(_EPOCH + np.timedelta64(int(day_number), "D"))


def _day_number(timestamp: pd.Timestamp) -> int:
    """Days since 1970-01-01 of a timestamp's calendar day."""
    return int((pd.Timestamp(timestamp).to_datetime64().astype("datetime64[D]") - _EPOCH).astype(np.int64))


def _days(dates: pd.Series) -> np.ndarray:
    """Calendar day numbers (int64) of a datetime column (time zone: local wall time)."""
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    values = dates.to_numpy(dtype="datetime64[ns]")
    if np.isnat(values).any():
        raise InputError("transactions column `date` has missing values; load transactions through "
                         "crmlib.data.load_data, which quarantines them.")
    return values.view(np.int64) // _NS_PER_DAY


def _to_datetime(day_numbers: np.ndarray) -> np.ndarray:
    return (day_numbers.astype("datetime64[D]")).astype("datetime64[ns]")


def _codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (−1 = missing) and the distinct values; free for a categorical column."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), np.asarray(column.cat.categories.astype(str), dtype=object)
    codes, uniques = pd.factorize(column)
    return codes, np.asarray(uniques.astype(str), dtype=object)


def _optional_codes(frame: pd.DataFrame, name: str) -> tuple[np.ndarray | None, int]:
    """Codes and number of distinct values of an optional column (``None`` when absent or empty)."""
    if name not in frame:
        return None, 0
    column = frame[name]
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes, n_values = column.cat.codes.to_numpy(), len(column.cat.categories)
    else:
        codes, uniques = pd.factorize(column)
        n_values = len(uniques)
    return (codes, n_values) if n_values else (None, 0)


def _run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Positions where a run of equal values starts in a sorted array."""
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def _count_distinct(group: np.ndarray, value: np.ndarray, n_groups: int, n_values: int) -> np.ndarray:
    """Distinct non-missing ``value`` codes per ``group`` code (array of length ``n_groups``)."""
    present = value >= 0
    if len(value) > 1:  # drop repeats of the previous line's pair (lines of one order)
        present[1:] &= (group[1:] != group[:-1]) | (value[1:] != value[:-1])
    group, value = group[present], value[present]
    if n_groups * n_values <= _DENSE_CELLS:
        cells = np.zeros(n_groups * n_values, dtype=bool)
        cells[group.astype(np.int64) * n_values + value] = True
        return cells.reshape(n_groups, n_values).sum(axis=1)
    pairs = group.astype(np.int64) * n_values + value
    pairs.sort()
    distinct = pairs[_run_starts(pairs)] if len(pairs) else pairs
    return np.bincount(distinct // n_values, minlength=n_groups)


def _sorted_by_customer(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in ``customer_id`` order (column or index), skipping the sort when already sorted."""
    ids = frame.index if "customer_id" not in frame else frame["customer_id"]
    values = np.asarray(ids, dtype=object)
    if len(values) < 2 or pd.Index(values).is_monotonic_increasing:
        return frame
    return frame.iloc[np.argsort(values, kind="stable")]
