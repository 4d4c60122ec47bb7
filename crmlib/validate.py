"""Validation and quarantine: raw export text → canonical transactions + rejected rows with reasons.

Every input row ends up in exactly one of the two tables: ``rows_in = rows_kept + rows_rejected``.
A row failing several rules is rejected once, for the first rule in :data:`REASONS` order.
The kept table is checked against the pandera schema ``CANONICAL_TRANSACTIONS`` (:func:`canonical_schema`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from crmlib.arrays import all_distinct
from crmlib.io import (CUSTOMER_ALIASES, DATE_YEARS, LINE_COLUMN, TRANSACTION_ALIASES, InputError,
                       ReadResult, dates_out_of_range, detect_dayfirst, detect_decimal, map_unique,
                       parse_amounts, parse_dates, read_export, resolve_columns, strip_text)
from crmlib.outputs import dumps, write_csv

EMPTY_LINE = "empty line"
MISSING_CUSTOMER = "missing customer id"
BAD_DATE = "unparseable date"
DATE_OUT_OF_RANGE = "date out of range"
BAD_AMOUNT = "unparseable amount"
NON_FINITE = "non-finite amount"
IMPLAUSIBLE = "implausible amount"
CANCELLED = "cancelled order"
ZERO_AMOUNT = "zero amount"
DUPLICATE = "exact duplicate line"
FUTURE = "future date"
RETURN = "return (quarantined by returns_policy)"

#: Optional rules a run can set through the ``validation_rules`` parameter.
RULE_OPTIONS = ("reject_duplicates", "reject_zero_amounts", "cancel_statuses", "return_statuses")

#: Rejection reasons in the order they are tested (first match wins).
REASONS = (EMPTY_LINE, MISSING_CUSTOMER, BAD_DATE, DATE_OUT_OF_RANGE, BAD_AMOUNT, NON_FINITE, IMPLAUSIBLE,
           CANCELLED, ZERO_AMOUNT, DUPLICATE, FUTURE, RETURN)

#: Largest plausible amount of one transaction line, in the file's currency: 10^15 (a thousand
#: trillion rupiah) is far above any sale and below 2^53, so every kept amount is exact to the
#: unit and sums of millions of lines stay finite (``1e308`` lines would overflow them).
MAX_ABS_AMOUNT = 1e15

DEFAULT_CANCEL_STATUSES = ("batal", "dibatalkan", "pembatalan", "gagal", "cancelled", "canceled",
                           "cancel", "void", "failed")
DEFAULT_RETURN_STATUSES = ("retur", "dikembalikan", "pengembalian", "returned", "return", "refund",
                           "refunded")
RETURNS_POLICIES = ("net", "quarantine")

@cache
def canonical_schema(text=object):
    """The pandera schema of the kept transactions (built on first use: pandera costs a notebook's
    kernel half a second to import, and the notebooks of a run read rows validated already).

    ``text``: the dtype of the text columns — ``object`` (the canonical frame), or
    ``pd.StringDtype("pyarrow")`` for the Arrow-backed view an engine checks (:func:`arrow_view`).
    """
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {
            # text columns are checked by dtype (pandera's `str` dtype check visits every element);
            # "not empty" compares in C, where str_length would measure 10 million strings in Python
            "customer_id": pa.Column(text, pa.Check.ne("")),
            "order_id": pa.Column(text, nullable=True, required=False),
            "date": pa.Column("datetime64[ns]"),
            "amount": pa.Column(float, pa.Check(np.isfinite, element_wise=False)),
            "quantity": pa.Column(float, nullable=True, required=False),
            "category": pa.Column(text, nullable=True, required=False),
            "channel": pa.Column(text, nullable=True, required=False),
            "is_return": pa.Column(bool),
            "line": pa.Column("int64", [pa.Check.ge(1), pa.Check(_lines_distinct, element_wise=False,
                                                                  error="every line number once")]),
        },
        strict=True,
        name="canonical transactions",
    )


def _lines_distinct(lines: pd.Series) -> bool:
    """The schema's uniqueness check of ``line``, by counting (pandera's ``unique`` hashes
    every value: 1.5 s on ten million rows)."""
    return all_distinct(lines.to_numpy())


def __getattr__(name: str):
    if name == "CANONICAL_TRANSACTIONS":  # the schema under its documented name
        return canonical_schema()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Column dtypes of the canonical transactions (the schema's order).
CANONICAL_DTYPES = {"customer_id": object, "order_id": object, "date": "datetime64[ns]", "amount": float,
                    "quantity": float, "category": object, "channel": object, "is_return": bool,
                    "line": "int64"}


#: Text columns kept in Arrow (:func:`arrow_view`, :meth:`ValidatedTables.result` with ``arrow_text``).
TEXT_DTYPE = pd.StringDtype("pyarrow")


def _arrow_text():
    """``types_mapper`` for pyarrow's ``to_pandas``: Arrow text stays Arrow (:data:`TEXT_DTYPE`)."""
    import pyarrow as pa

    return {pa.string(): TEXT_DTYPE, pa.large_string(): TEXT_DTYPE}.get


def canonical_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the canonical dtypes (e.g. after a Parquet round trip: microsecond dates);
    text columns already in :data:`TEXT_DTYPE` stay so."""
    wanted = {c: d for c, d in CANONICAL_DTYPES.items()
              if c in frame.columns and not (d is object and frame[c].dtype == TEXT_DTYPE)}
    if "date" in frame and isinstance(frame["date"].dtype, pd.DatetimeTZDtype):  # Spark's UTC timestamps
        frame = frame.assign(date=frame["date"].dt.tz_convert("UTC").dt.tz_localize(None))
    out = frame.astype(wanted)
    for name in ("order_id", "category", "channel"):
        if name in out and out[name].dtype != TEXT_DTYPE:
            out[name] = out[name].where(out[name].notna(), None)
    return out


def arrow_view(table) -> pd.DataFrame:
    """A pyarrow table of canonical transactions as pandas without a Python object per text value
    (text columns ``string[pyarrow]``, dates in nanoseconds), for checks and the report."""
    return table.to_pandas(types_mapper=_arrow_text(), coerce_temporal_nanoseconds=True)


@dataclass
class ValidatedTables:
    """A validation as an engine leaves it: the kept rows as a pyarrow table (canonical columns,
    checked against :func:`canonical_schema`), the quarantine and the report."""

    kept: object  # pyarrow.Table
    rejected: pd.DataFrame
    report: dict

    def result(self, arrow_text: bool = False) -> "ValidationResult":
        """The :class:`ValidationResult` (kept rows as the canonical pandas frame).

        ``arrow_text``: the text columns (customer and order ids, category, channel) as
        ``string[pyarrow]`` instead of Python objects — the same values in a tenth of the memory
        (ten million rows: about 1 GB less), which is what the notebooks load."""
        kept = canonical_dtypes(self.kept.to_pandas(split_blocks=True, coerce_temporal_nanoseconds=True,
                                                    types_mapper=_arrow_text() if arrow_text else None))
        return ValidationResult(transactions=kept, rejected=self.rejected, report=self.report)


@dataclass
class ValidationResult:
    """Canonical kept transactions, quarantined rows and the reconciling report."""

    transactions: pd.DataFrame
    rejected: pd.DataFrame
    report: dict = field(default_factory=dict)

    def tables(self) -> ValidatedTables:
        """The same validation as :class:`ValidatedTables` (kept rows in Arrow)."""
        import pyarrow as pa

        kept = pa.Table.from_pandas(self.transactions, preserve_index=False)
        return ValidatedTables(kept=kept.replace_schema_metadata(None), rejected=self.rejected, report=self.report)


def validate_transactions(raw: ReadResult, columns: dict | None = None, dayfirst: bool | None = None,
                          decimal: str | None = None, as_of_date=None, returns_policy: str = "net",
                          cancel_statuses=DEFAULT_CANCEL_STATUSES,
                          return_statuses=DEFAULT_RETURN_STATUSES,
                          cancel_order_prefix: str | None = None, reject_duplicates: bool = True,
                          reject_zero_amounts: bool = True) -> ValidationResult:
    """Type, check and split a raw export into canonical transactions and rejected rows.

    ``columns`` maps canonical names to the file's headers (aliases are tried for the rest);
    ``dayfirst``/``decimal`` are detected when ``None``; rows dated after ``as_of_date`` are
    rejected as future; negative amounts (returns) are kept and netted against sales when
    ``returns_policy="net"`` or quarantined when ``"quarantine"``. ``reject_duplicates`` and
    ``reject_zero_amounts`` switch those two rules off for data where identical lines or free
    items are genuine (e.g. CDNOW: no order id, several identical lines per customer and day).
    """
    if returns_policy not in RETURNS_POLICIES:
        raise InputError(f"returns_policy must be one of {RETURNS_POLICIES}, not {returns_policy!r}.")
    frame, path = raw.frame, raw.path
    mapping = resolve_columns(frame, columns, TRANSACTION_ALIASES, ("customer_id", "date"), path)
    if "amount" not in mapping and not {"quantity", "unit_price"} <= mapping.keys():
        resolve_columns(frame, columns, TRANSACTION_ALIASES, ("amount",), path)  # raises, naming it
    text = {name: strip_text(frame[source]) for name, source in mapping.items()}

    if dayfirst is None:
        dayfirst = detect_dayfirst(text["date"], mapping["date"])
    dates = parse_dates(text["date"], dayfirst)
    out_of_range = dates_out_of_range(text["date"], dates, dayfirst)
    amount, decimal = _amounts(text, mapping, decimal)

    status = map_unique(text["status"], lambda u: u.str.lower()) if "status" in text else None
    is_return = amount < 0
    if status is not None:
        is_return |= status.isin([s.lower() for s in return_statuses])
    amount = amount.where(~is_return, -amount.abs())

    cancelled = pd.Series(False, index=frame.index)
    if status is not None:
        cancelled |= status.isin([s.lower() for s in cancel_statuses])
    if cancel_order_prefix and "order_id" in text:
        cancelled |= text["order_id"].str.startswith(cancel_order_prefix)

    as_of = pd.Timestamp(as_of_date) if as_of_date not in (None, "") else None
    original = [c for c in frame.columns if c != LINE_COLUMN]
    rules = {
        EMPTY_LINE: pd.Series(np.logical_and.reduce([values.to_numpy() == "" for values in text.values()]),
                              index=frame.index),
        MISSING_CUSTOMER: pd.Series(text["customer_id"].to_numpy() == "", index=frame.index),
        BAD_DATE: dates.isna() & ~out_of_range,
        DATE_OUT_OF_RANGE: out_of_range,
        BAD_AMOUNT: amount.isna(),
        NON_FINITE: ~np.isfinite(amount.fillna(0.0)),
        IMPLAUSIBLE: amount.abs() > MAX_ABS_AMOUNT,
        CANCELLED: cancelled,
        ZERO_AMOUNT: (amount == 0) & reject_zero_amounts,
        DUPLICATE: frame.duplicated(subset=original, keep="first") if reject_duplicates
        else pd.Series(False, index=frame.index),
        FUTURE: dates > (as_of + pd.Timedelta(days=1) - pd.Timedelta(1)) if as_of is not None
        else pd.Series(False, index=frame.index),
        RETURN: is_return if returns_policy == "quarantine" else pd.Series(False, index=frame.index),
    }
    reason = pd.Series(pd.NA, index=frame.index, dtype=object)
    for name in REASONS:
        reason = reason.mask(reason.isna() & rules[name].to_numpy(), name)
    rejected_mask = reason.notna()
    _refuse_unusable(rules, reason, text, mapping, frame[LINE_COLUMN], path, as_of)

    kept = _canonical(text, dates, amount, is_return, frame[LINE_COLUMN], ~rejected_mask)
    canonical_schema().validate(kept, inplace=True)  # checks only: no copy of the table
    rejected = frame.loc[rejected_mask, original].copy()
    rejected.insert(0, "reason", reason[rejected_mask].astype(str))
    rejected.insert(0, "line", frame.loc[rejected_mask, LINE_COLUMN])
    rejected = rejected.reset_index(drop=True)

    report = build_report(kept, rejected, amount[rejected_mask].to_numpy(dtype=float), path=path,
                          mapping=mapping, delimiter=raw.delimiter, encoding=raw.encoding, decimal=decimal,
                          dayfirst=dayfirst, as_of=as_of, returns_policy=returns_policy)
    assert report["rows_in"] == len(frame)
    return ValidationResult(transactions=kept, rejected=rejected, report=report)


def build_report(kept: pd.DataFrame, rejected: pd.DataFrame, rejected_amounts: np.ndarray, *, path: Path,
                 mapping: dict, delimiter, encoding, decimal, dayfirst, as_of, returns_policy: str,
                 customers_kept: int | None = None) -> dict:
    """The reconciling report of one validation (``rows_in = rows_kept + rows_rejected``), from the kept
    table, the quarantine (file order) and the parsed amount of each quarantined row (NaN if none).
    ``customers_kept``: the distinct customers when an engine has counted them already."""
    counts = rejected["reason"].value_counts()
    plausible = rejected_amounts[np.abs(rejected_amounts) <= MAX_ABS_AMOUNT]
    return {
        "source": Path(path).name,
        "rows_in": int(len(kept) + len(rejected)),
        "rows_kept": int(len(kept)),
        "rows_rejected": int(len(rejected)),
        "rejected_by_reason": {r: int(counts.get(r, 0)) for r in REASONS if counts.get(r, 0)},
        "amount_kept": round(float(kept["amount"].sum()), 2),
        "amount_rejected_parseable": round(float(pd.Series(plausible, dtype=float).sum()), 2),
        "returns_policy": returns_policy,
        "returns_kept": int(kept["is_return"].sum()),
        "returns_amount_kept": round(float(kept.loc[kept["is_return"], "amount"].sum()), 2),
        "customers_kept": int(kept["customer_id"].nunique()) if customers_kept is None else int(customers_kept),
        "date_min": kept["date"].min().isoformat() if len(kept) else None,
        "date_max": kept["date"].max().isoformat() if len(kept) else None,
        "as_of_date": as_of.date().isoformat() if as_of is not None else None,
        "columns": mapping,
        "delimiter": delimiter,
        "encoding": encoding,
        "decimal": decimal,
        "dayfirst": dayfirst,
    }


def _refuse_unusable(rules: dict, reason: pd.Series, text: dict, mapping: dict, line: pd.Series,
                     path: Path, as_of) -> None:
    """Raise :class:`InputError` when a whole column is unusable, or no row at all can be kept.

    Rules, in order, over the non-empty lines: every customer id blank; every amount text that is
    not a number; every date unreadable; then any other way of rejecting every row.
    """
    filled = ~rules[EMPTY_LINE].to_numpy(dtype=bool)
    if not filled.any():
        raise InputError(f"{path.name}: every data row is empty; export the data again.")
    amount_column = mapping["amount"] if "amount" in mapping else mapping["unit_price"]
    whole_column = (
        (MISSING_CUSTOMER, mapping["customer_id"], "customer_id", "is blank on every row",
         "map `columns.customer_id` to the column that holds the customer ids, or export them"),
        (BAD_AMOUNT, amount_column, "amount" if "amount" in mapping else "unit_price",
         "is text, not a number, on every row",
         f"map `columns.{'amount' if 'amount' in mapping else 'unit_price'}` to the column that holds "
         "the amounts, or check the `decimal` parameter"),
        (BAD_DATE, mapping["date"], "date", "holds no date that can be read",
         "map `columns.date` to the column that holds the dates, or set `dayfirst`"),
    )
    for rule, column, canonical, what, remedy in whole_column:
        failing = rules[rule].to_numpy(dtype=bool)
        if failing[filled].all():
            values = text[canonical][filled]
            examples = ", ".join(repr(v) for v in pd.unique(values[values != ""])[:3])
            raise InputError(f"{path.name}: column '{column}' {what} (lines {_lines(line[filled])}"
                             f"{'; values ' + examples if examples else ''}); nothing can be analysed. "
                             f"To fix: {remedy}.")
    reasons = reason[filled]
    if reasons.notna().all():
        most = reasons.value_counts().index[0]
        hint = f" (is `as_of_date` {as_of.date().isoformat()} right?)" if most == FUTURE else ""
        raise InputError(f"{path.name}: every row is rejected (most as '{most}'{hint}), lines "
                         f"{_lines(line[filled])}; nothing can be analysed. Run `crm validate` on the file "
                         "to see each row's reason, then fix the export or the parameters.")


def _lines(line: pd.Series) -> str:
    shown = ", ".join(str(int(n)) for n in line.iloc[:3])
    return shown + (f" … {int(line.iloc[-1])}" if len(line) > 3 else "")


def _amounts(text: dict, mapping: dict, decimal: str | None) -> tuple[pd.Series, str | None]:
    """Parsed amounts (quantity × unit_price when there is no amount column) and the decimal mark."""
    column = "amount" if "amount" in mapping else "unit_price"
    if decimal is None:
        decimal = detect_decimal(text[column], mapping[column])
    amount = parse_amounts(text[column], decimal)
    if column == "unit_price":
        amount = amount * parse_amounts(text["quantity"], decimal)
    return amount.astype(float), decimal


def _canonical(text: dict, dates: pd.Series, amount: pd.Series, is_return: pd.Series,
               line: pd.Series, keep: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame({"customer_id": text["customer_id"][keep].astype(str)})
    if "order_id" in text:
        out["order_id"] = text["order_id"][keep].replace("", None).astype(object)
    out["date"] = dates[keep].astype("datetime64[ns]")
    out["amount"] = amount[keep].astype(float)
    if "quantity" in text:
        qty = parse_amounts(text["quantity"][keep], ".")
        out["quantity"] = qty.astype(float)
    for name in ("category", "channel"):
        if name in text:
            out[name] = text[name][keep].replace("", None).astype(object)
    out["is_return"] = is_return[keep].astype(bool)
    out["line"] = line[keep].astype("int64")
    return out.sort_values(["date", "line"], kind="mergesort").reset_index(drop=True)


def load_transactions(path: str | Path, columns: dict | None = None, dayfirst: bool | None = None,
                      decimal: str | None = None, delimiter: str | None = None, as_of_date=None,
                      returns_policy: str = "net", cancel_order_prefix: str | None = None,
                      encoding: str | None = None, **rules) -> ValidationResult:
    """Read and validate a transactions export in one call (see :func:`validate_transactions`)."""
    raw = read_export(path, delimiter=delimiter, encoding=encoding)
    return validate_transactions(raw, columns=columns, dayfirst=dayfirst, decimal=decimal,
                                 as_of_date=as_of_date, returns_policy=returns_policy,
                                 cancel_order_prefix=cancel_order_prefix, **rules)


_GENDER = {"f": "F", "p": "F", "perempuan": "F", "wanita": "F", "female": "F", "woman": "F",
           "m": "M", "l": "M", "laki-laki": "M", "laki laki": "M", "pria": "M", "male": "M", "man": "M"}


def load_customers(path: str | Path, columns: dict | None = None, dayfirst: bool | None = None,
                   delimiter: str | None = None, encoding: str | None = None) -> pd.DataFrame:
    """Read a customers export into canonical columns (text kept; dates parsed, NaT if unparseable).

    Gender is normalised to ``F``/``M`` (Indonesian ``P``/``L`` recognised); unknown values become
    missing. Every row is kept: quality problems are findings for the profile, not rejections.
    """
    raw = read_export(path, delimiter=delimiter, encoding=encoding)
    mapping = resolve_columns(raw.frame, columns, CUSTOMER_ALIASES, ("customer_id",), raw.path,
                              parameter="customer_columns")
    out = pd.DataFrame({name: strip_text(raw.frame[source]) for name, source in mapping.items()})
    extra = [c for c in raw.frame.columns if c not in mapping.values() and c != LINE_COLUMN]
    for column in extra:
        out[column] = strip_text(raw.frame[column])
    out = out.replace("", None)
    for name in ("birth_date", "signup_date"):
        if name in out:
            values = out[name].fillna("")
            first = dayfirst if dayfirst is not None else _detect_or_default(values)
            out[name] = parse_dates(values, first)
    if "gender" in out:
        out["gender"] = out["gender"].str.lower().map(_GENDER)
    out["line"] = raw.frame[LINE_COLUMN]
    return out


def _detect_or_default(values: pd.Series) -> bool:
    try:
        return bool(detect_dayfirst(values))
    except InputError:
        return True


def write_validation(result, out_dir: str | Path) -> dict[str, Path]:
    """Write ``validation.json``, ``clean_transactions.csv`` and ``rejected_rows.csv`` (UTF-8) of
    ``result``, a :class:`ValidatedTables` or :class:`ValidationResult`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "validation": out_dir / "validation.json",
        "clean": out_dir / "clean_transactions.csv",
        "rejected": out_dir / "rejected_rows.csv",
    }
    from crmlib.arrow_csv import write_arrow_csv

    paths["validation"].write_text(dumps(result.report, sort_keys=False), encoding="utf-8")
    tables = result.tables() if isinstance(result, ValidationResult) else result
    write_arrow_csv(tables.kept, paths["clean"])  # text cells neutralised for spreadsheets, as write_csv
    write_csv(result.rejected, paths["rejected"], float_format=None)
    return paths
