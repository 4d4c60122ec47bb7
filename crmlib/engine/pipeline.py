"""Read + validate on any SQL backend: the steps of :func:`crmlib.validate.validate_transactions`
as the SQL of :mod:`crmlib.engine.rules`, with the text conversions of :mod:`crmlib.io` run on
the distinct values only. A backend (DuckDB, Spark) provides the operations of :class:`Backend`.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crmlib import validate as v
from crmlib.engine import rules
from crmlib.io import (TRANSACTION_ALIASES, InputError, dates_out_of_range, detect_dayfirst, detect_decimal,
                       map_unique, parse_amounts, parse_distinct_dates, resolve_columns)


class Backend(Protocol):
    """What the pipeline needs from an engine. SQL is written in DuckDB's dialect."""

    def register(self, name: str, table: pa.Table) -> None:
        """Make a small Arrow table (a lookup) queryable as ``name``."""

    def materialise(self, name: str, sql: str) -> None:
        """Run ``sql`` once and keep its result as table ``name``."""

    def arrow(self, sql: str) -> pa.Table:
        """The result of ``sql`` as an Arrow table (row order as the SQL's ORDER BY)."""

    def arrow_later(self, sql: str) -> Callable[[], pa.Table]:
        """:meth:`arrow` of ``sql``, asked for now and collected by calling the result (a backend
        may run it while Python works)."""

    def repeated(self, name: str, sql: str) -> None:
        """Keep as table ``name`` (column ``_line``) the lines of ``sql``'s rows (``_line``, ``h``)
        whose ``h`` occurs more than once (what :func:`rules.repeated_sql` selects). It may be
        made in the background: it must be there for the next :meth:`materialise`."""

    def release(self, name: str) -> None:
        """Forget table ``name``: its memory may go."""

    def unpadded(self, names) -> set:
        """Those columns of ``raw`` among ``names`` known to hold no text with surrounding white
        space (the SQL then reads them as they are); an empty set is always right."""

    def close(self) -> None:
        """Release the engine's tables."""


@dataclass
class Export:
    """An export loaded into a backend as table ``raw`` (text columns + ``_line``)."""

    headers: tuple
    path: Path
    delimiter: str | None
    encoding: str | None


@dataclass
class Classified:
    """An export classified row by row in a backend (tables ``raw`` and ``classified``)."""

    db: Backend
    plan: rules.Plan
    export: Export
    decimal: str | None
    dayfirst: bool | None
    as_of: pd.Timestamp | None

    def kept(self) -> pa.Table:
        """The canonical kept transactions (Arrow), sorted by date then line; the backend is closed
        once they are out of it (its tables' memory goes back before the checks)."""
        table = self.db.arrow(rules.kept_sql(self.plan))
        self.db.close()
        date = table.schema.field("date").type
        if date.tz is not None:  # Spark's UTC timestamps: the same instants without a zone
            table = table.set_column(table.schema.get_field_index("date"), "date",
                                     table.column("date").cast(pa.timestamp(date.unit)))
        return table

    def rejected(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The quarantine in file order (as :mod:`crmlib.validate` builds it) and each row's amount."""
        table = self.db.arrow(rules.rejected_sql(self.plan))
        amounts = table.column("__amount").to_numpy(zero_copy_only=False).astype(float)
        frame = table.drop_columns(["__amount"]).to_pandas()
        frame = frame.astype({c: object for c in frame.columns if c != "line"})
        frame["line"] = frame["line"].astype("int64")
        return frame, amounts

    def customers_kept(self) -> int:
        """Distinct customers among the kept rows, counted by the engine (hashing ten million
        Python strings in pandas takes seconds)."""
        return int(self.db.arrow(rules.customers_kept_sql()).column(0)[0].as_py())

    def report(self, kept: pd.DataFrame, rejected: pd.DataFrame, rejected_amounts: np.ndarray,
               customers_kept: int | None = None) -> dict:
        return v.build_report(kept, rejected, rejected_amounts, path=self.export.path, mapping=self.plan.mapping,
                              delimiter=self.export.delimiter, encoding=self.export.encoding,
                              decimal=self.decimal, dayfirst=self.dayfirst, as_of=self.as_of,
                              returns_policy=self.plan.returns_policy, customers_kept=customers_kept)

    def tables(self) -> v.ValidatedTables:
        """The kept rows (Arrow, checked against the schema through :func:`~crmlib.validate.arrow_view`),
        the quarantine and the report; the backend is closed once they are out of it."""
        rejected, amounts = self.rejected()  # the last query that reads the export itself
        self.db.release("raw")  # the export's text: the kept rows need only the classified table
        customers = self.customers_kept()
        kept = self.kept()
        view = v.arrow_view(kept)
        v.canonical_schema(text=view["customer_id"].dtype).validate(view, inplace=True)
        return v.ValidatedTables(kept=kept, rejected=rejected, report=self.report(view, rejected, amounts, customers))

    def result(self) -> v.ValidationResult:
        """The :class:`~crmlib.validate.ValidationResult` of the reference, built from :meth:`tables`."""
        return self.tables().result()


def classify(db: Backend, export: Export, columns: dict | None = None, dayfirst: bool | None = None,
             decimal: str | None = None, as_of_date=None, returns_policy: str = "net",
             cancel_statuses=v.DEFAULT_CANCEL_STATUSES, return_statuses=v.DEFAULT_RETURN_STATUSES,
             cancel_order_prefix: str | None = None, reject_duplicates: bool = True,
             reject_zero_amounts: bool = True) -> Classified:
    """Classify every row of ``export`` (already table ``raw`` in ``db``), with the reference's arguments."""
    if returns_policy not in v.RETURNS_POLICIES:
        raise InputError(f"returns_policy must be one of {v.RETURNS_POLICIES}, not {returns_policy!r}.")
    path = export.path
    shape = pd.DataFrame(columns=list(export.headers))
    mapping = resolve_columns(shape, columns, TRANSACTION_ALIASES, ("customer_id", "date"), path)
    if "amount" not in mapping and not {"quantity", "unit_price"} <= mapping.keys():
        resolve_columns(shape, columns, TRANSACTION_ALIASES, ("amount",), path)  # raises, naming it
    amount_from = "amount" if "amount" in mapping else "unit_price"
    as_of = pd.Timestamp(as_of_date) if as_of_date not in (None, "") else None
    plain_text = [mapping[name] for name in mapping if name not in rules.LOOKUPS]
    plan = rules.Plan(mapping=mapping, original=tuple(export.headers), amount_from=amount_from,
                      unpadded=frozenset(db.unpadded(plain_text)),
                      as_of_next=as_of + pd.Timedelta(days=1) if as_of is not None else None,
                      returns_policy=returns_policy, cancel_order_prefix=cancel_order_prefix,
                      reject_duplicates=reject_duplicates, reject_zero_amounts=reject_zero_amounts)
    if reject_duplicates:  # first: a backend may hash the rows while the texts below are parsed
        db.repeated("candidates", rules.row_hashes_sql(plan))

    # the distinct texts of the other converted columns are asked for now (a backend may find
    # them while the dates are parsed); the dates' are needed at once
    asked = {name: db.arrow_later(rules.distinct_sql(mapping[name]))
             for name in (amount_from, "quantity", "status") if name in mapping}
    dates_text = Distinct(db.arrow(rules.distinct_sql(mapping["date"])))
    if dayfirst is None:
        dayfirst = detect_dayfirst(dates_text.stripped, mapping["date"])
    dates = parse_distinct_dates(dates_text.stripped, dayfirst)
    db.register("date_map", dates_text.lookup(
        value=pa.array(dates.to_numpy(), type=pa.timestamp("us"), from_pandas=True),
        out_of_range=pa.array(dates_out_of_range(dates_text.stripped, dates, dayfirst).to_numpy(dtype=bool))))
    amounts_text = Distinct(asked[amount_from]())
    if decimal is None:
        decimal = detect_decimal(amounts_text.stripped, mapping[amount_from])
    db.register("amount_map", amounts_text.lookup(value=_doubles(parse_amounts(amounts_text.stripped, decimal))))
    if "quantity" in mapping:
        quantities = Distinct(asked["quantity"]())
        db.register("quantity_map", quantities.lookup(
            factor=_doubles(parse_amounts(quantities.stripped, decimal)),
            value=_doubles(parse_amounts(quantities.stripped, "."))))
    if "status" in mapping:
        statuses = Distinct(asked["status"]())
        lower = map_unique(statuses.stripped, lambda u: u.str.lower())
        db.register("status_map", statuses.lookup(
            is_return=pa.array(lower.isin([s.lower() for s in return_statuses]).to_numpy()),
            is_cancel=pa.array(lower.isin([s.lower() for s in cancel_statuses]).to_numpy())))

    del dates_text, dates, amounts_text  # the distinct texts as Python objects: a million dates can be
    gc.collect()                         # hundreds of MB, held in cycles until collected
    pa.default_memory_pool().release_unused()  # and the parsers' Arrow arrays, kept by the pool until told
    db.materialise("classified", rules.classified_sql(plan))
    if db.arrow(rules.all_rejected_sql()).column(0)[0].as_py():
        _refuse(db, plan, path, as_of)
    return Classified(db=db, plan=plan, export=export, decimal=decimal, dayfirst=dayfirst, as_of=as_of)


class Distinct:
    """The distinct texts of a column as in the file (first appearance first), and the same texts
    stripped (by the engine, as ``str.strip``) and made distinct again: what the converters of
    :mod:`crmlib.io` are given."""

    def __init__(self, found: pa.Table):
        """``found``: the columns ``text`` and ``stripped`` of :func:`rules.distinct_sql`."""
        self.texts = found.column("text")
        stripped = found.column("stripped")
        as_objects = pd.Series(stripped.to_numpy(zero_copy_only=False), dtype=object)
        if pc.all(pc.equal(self.texts, stripped)).as_py() is not False:  # nothing to strip: distinct already
            self.codes, self.stripped = np.arange(len(as_objects), dtype=np.int64), as_objects
        else:
            self.codes, uniques = pd.factorize(as_objects)
            self.stripped = pd.Series(uniques, dtype=object)

    def lookup(self, **columns: pa.Array) -> pa.Table:
        """A lookup from each text in the file to ``columns`` (given per stripped text) and ``blank``."""
        codes = pa.array(self.codes)
        spread = {name: values.take(codes) for name, values in columns.items()}
        blank = pa.array((self.stripped == "").to_numpy(dtype=bool)).take(codes)
        return pa.table({"text": self.texts.cast(pa.string()), **spread, "blank": blank})


def _doubles(values: pd.Series) -> pa.Array:
    """Floats for SQL: NaN (unparseable) becomes NULL, ±inf stays."""
    array = values.to_numpy(dtype=float)
    return pa.array(array, type=pa.float64(), mask=np.isnan(array))


def _refuse(db: Backend, plan: rules.Plan, path: Path, as_of) -> None:
    """No row can be kept: raise the reference's error (:func:`crmlib.validate._refuse_unusable`)."""
    rows = db.arrow(rules.unusable_sql(plan)).to_pandas()
    flags = {v.EMPTY_LINE: "empty", v.MISSING_CUSTOMER: "missing", v.BAD_DATE: "bad_date",
             v.BAD_AMOUNT: "bad_amount"}
    masks = {rule: rows[column].astype(bool) for rule, column in flags.items()}
    text = {name: rows[name].astype(object) for name in ("customer_id", "date", plan.amount_from)}
    reason = rows["reason"].astype(object).where(rows["reason"].notna(), pd.NA)
    v._refuse_unusable(masks, reason, text, plan.mapping, rows["line"].astype("int64"), path, as_of)
