"""The DuckDB engine (embedded, no set-up): read + validate an export with the SQL of
:mod:`crmlib.engine.rules`, the text conversions of :mod:`crmlib.io` on distinct values only."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from crmlib import validate as v
from crmlib.engine import rules
from crmlib.engine.reader import read_arrow
from crmlib.io import (LINE_COLUMN, TRANSACTION_ALIASES, InputError, dates_out_of_range, detect_dayfirst,
                       detect_decimal, map_unique, parse_amounts, parse_dates, resolve_columns)

#: DuckDB's memory budget (it spills to disk beyond it); ``$CRM_DUCKDB_MEMORY`` overrides it.
MEMORY_LIMIT = os.environ.get("CRM_DUCKDB_MEMORY", "1GB")


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB on every core, within :data:`MEMORY_LIMIT`."""
    con = duckdb.connect(config={"threads": os.cpu_count() or 1, "memory_limit": MEMORY_LIMIT,
                                 "preserve_insertion_order": False})
    try:
        con.execute("SET enable_progress_bar = false")
    except duckdb.InvalidInputException:
        pass  # inside Jupyter without ipywidgets DuckDB refuses the setting (and shows no bar anyway)
    return con


@dataclass
class Classified:
    """An export classified row by row, inside a live DuckDB connection (tables ``raw``, ``classified``)."""

    con: duckdb.DuckDBPyConnection
    plan: rules.Plan
    path: Path
    delimiter: str | None
    encoding: str | None
    decimal: str | None
    dayfirst: bool | None
    as_of: pd.Timestamp | None

    def kept(self) -> pa.Table:
        return self.con.sql(rules.kept_sql(self.plan)).to_arrow_table()

    def rejected(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The quarantine in file order (as :mod:`crmlib.validate` builds it) and each row's amount."""
        table = self.con.sql(rules.rejected_sql(self.plan)).to_arrow_table()
        amounts = table.column("__amount").to_numpy(zero_copy_only=False).astype(float)
        frame = table.drop(["__amount"]).to_pandas()
        frame = frame.astype({c: object for c in frame.columns if c != "line"})
        frame["line"] = frame["line"].astype("int64")
        return frame, amounts


def classify(path, columns: dict | None = None, dayfirst: bool | None = None, decimal: str | None = None,
             delimiter: str | None = None, as_of_date=None, returns_policy: str = "net",
             cancel_statuses=v.DEFAULT_CANCEL_STATUSES, return_statuses=v.DEFAULT_RETURN_STATUSES,
             cancel_order_prefix: str | None = None, reject_duplicates: bool = True,
             reject_zero_amounts: bool = True, encoding: str | None = None,
             con: duckdb.DuckDBPyConnection | None = None) -> Classified:
    """Read ``path`` and classify every row, with the arguments of :func:`crmlib.validate.load_transactions`."""
    if returns_policy not in v.RETURNS_POLICIES:
        raise InputError(f"returns_policy must be one of {v.RETURNS_POLICIES}, not {returns_policy!r}.")
    table, path, delimiter, encoding = read_arrow(path, delimiter, encoding)
    headers = [c for c in table.column_names if c != LINE_COLUMN]
    con = con or connect()
    con.register("raw", table)
    shape = pd.DataFrame(columns=headers)
    mapping = resolve_columns(shape, columns, TRANSACTION_ALIASES, ("customer_id", "date"), path)
    if "amount" not in mapping and not {"quantity", "unit_price"} <= mapping.keys():
        resolve_columns(shape, columns, TRANSACTION_ALIASES, ("amount",), path)  # raises, naming it
    amount_from = "amount" if "amount" in mapping else "unit_price"

    def distinct(name: str) -> pd.Series:
        values = con.sql(rules.distinct_sql(mapping[name])).to_arrow_table().column("text")
        return pd.Series(values.to_numpy(zero_copy_only=False), dtype=object)

    dates_text = distinct("date")
    if dayfirst is None:
        dayfirst = detect_dayfirst(dates_text, mapping["date"])
    dates = parse_dates(dates_text, dayfirst)
    con.register("date_map", pa.table({
        "text": pa.array(dates_text, type=pa.string()),
        "value": pa.array(dates.to_numpy(), type=pa.timestamp("ns"), from_pandas=True),
        "out_of_range": pa.array(dates_out_of_range(dates_text, dates, dayfirst).to_numpy(dtype=bool))}))

    amounts_text = distinct(amount_from)
    if decimal is None:
        decimal = detect_decimal(amounts_text, mapping[amount_from])
    _register(con, "amount_map", amounts_text, _doubles(parse_amounts(amounts_text, decimal)))
    if "quantity" in mapping:
        quantities = distinct("quantity")
        con.register("quantity_map", pa.table({
            "text": pa.array(quantities, type=pa.string()),
            "factor": _doubles(parse_amounts(quantities, decimal)),
            "value": _doubles(parse_amounts(quantities, "."))}))
    if "status" in mapping:
        statuses = distinct("status")
        lower = map_unique(statuses, lambda u: u.str.lower())
        con.register("status_map", pa.table({
            "text": pa.array(statuses, type=pa.string()),
            "is_return": pa.array(lower.isin([s.lower() for s in return_statuses]).to_numpy()),
            "is_cancel": pa.array(lower.isin([s.lower() for s in cancel_statuses]).to_numpy())}))

    as_of = pd.Timestamp(as_of_date) if as_of_date not in (None, "") else None
    plan = rules.Plan(mapping=mapping, original=tuple(headers), amount_from=amount_from,
                      as_of_next=as_of + pd.Timedelta(days=1) if as_of is not None else None,
                      returns_policy=returns_policy, cancel_order_prefix=cancel_order_prefix,
                      reject_duplicates=reject_duplicates, reject_zero_amounts=reject_zero_amounts)
    con.execute(f"CREATE OR REPLACE TEMP TABLE classified AS {rules.classified_sql(plan)}")
    if con.sql(rules.all_rejected_sql()).fetchall()[0][0]:
        _refuse(con, plan, path, as_of)
    return Classified(con=con, plan=plan, path=path, delimiter=delimiter, encoding=encoding, decimal=decimal,
                      dayfirst=dayfirst, as_of=as_of)


def _refuse(con, plan: rules.Plan, path: Path, as_of) -> None:
    """No row can be kept: raise the reference's error (:func:`crmlib.validate._refuse_unusable`)."""
    rows = con.sql(rules.unusable_sql(plan)).to_df()
    flags = {v.EMPTY_LINE: "empty", v.MISSING_CUSTOMER: "missing", v.BAD_DATE: "bad_date",
             v.BAD_AMOUNT: "bad_amount"}
    masks = {rule: rows[column].astype(bool) for rule, column in flags.items()}
    text = {name: rows[name].astype(object) for name in ("customer_id", "date", plan.amount_from)}
    reason = rows["reason"].astype(object).where(rows["reason"].notna(), pd.NA)
    v._refuse_unusable(masks, reason, text, plan.mapping, rows["line"].astype("int64"), path, as_of)


def _doubles(values: pd.Series) -> pa.Array:
    """Floats for SQL: NaN (unparseable) becomes NULL, ±inf stays."""
    array = values.to_numpy(dtype=float)
    return pa.array(array, type=pa.float64(), mask=np.isnan(array))


def _register(con, name: str, text: pd.Series, value: pa.Array) -> None:
    con.register(name, pa.table({"text": pa.array(text, type=pa.string()), "value": value}))


def load_transactions(path, **options) -> v.ValidationResult:
    """:func:`crmlib.validate.load_transactions` on DuckDB: the same tables and report."""
    classified = classify(path, **options)
    kept = v.canonical_dtypes(classified.kept().to_pandas())
    rejected, rejected_amounts = classified.rejected()
    classified.con.close()
    report = v.build_report(kept, rejected, rejected_amounts, path=classified.path,
                            mapping=classified.plan.mapping, delimiter=classified.delimiter,
                            encoding=classified.encoding,
                            decimal=classified.decimal, dayfirst=classified.dayfirst,
                            as_of=classified.as_of, returns_policy=classified.plan.returns_policy)
    v.CANONICAL_TRANSACTIONS.validate(kept)
    return v.ValidationResult(transactions=kept, rejected=rejected, report=report)
