"""The notebooks' single entry to data: read + validate transactions, read customers."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from crmlib import engine as engines, validated
from crmlib.i18n import t
from crmlib.io import InputError
from crmlib.validate import RETURN, RULE_OPTIONS, ValidatedTables, ValidationResult, load_customers


@dataclass
class WorkbookData:
    """Validated transactions, the optional customers table, and the validation outcome."""

    transactions: pd.DataFrame | None  # None once handed over by pop_transactions()
    customers: pd.DataFrame | None
    validation: ValidationResult

    @property
    def report(self) -> dict:
        return self.validation.report

    def pop_transactions(self) -> pd.DataFrame:
        """Hand over the transactions and drop them from here (and from ``validation``), for a
        notebook that condenses them once and needs only customer-level tables afterwards: ten
        million lines hold about 600 MB."""
        if self.transactions is None:
            raise RuntimeError("the transactions were already handed over by pop_transactions()")
        transactions, self.transactions, self.validation.transactions = self.transactions, None, None
        return transactions


def load_data(transactions: str | Path, customers: str | Path | None = None, columns: dict | None = None,
              customer_columns: dict | None = None, dayfirst: bool | None = None,
              decimal: str | None = None, delimiter: str | None = None, as_of_date=None,
              returns_policy: str = "net", cancel_order_prefix: str | None = None,
              validation_rules: dict | None = None, encoding: str | None = None,
              engine: str = engines.DEFAULT_ENGINE, spark_master: str | None = None) -> WorkbookData:
    """Load a run's data exactly as every notebook and ``crm validate`` do.

    ``customers`` may be ``None`` or empty: the workbook then runs on transactions only.
    ``validation_rules`` sets optional rules (see :data:`crmlib.validate.RULE_OPTIONS`);
    ``encoding`` (both files) is detected when ``None`` (see :data:`crmlib.io.DETECTED_ENCODINGS`).
    The export is validated once per input and settings (:mod:`crmlib.validated`): in a run, every
    notebook reads the run's ``validation/transactions.parquet``; on its own, a notebook reuses
    ``outputs/.cache``. ``engine`` (``duckdb``, ``spark`` or ``pandas``) does the row-level work;
    all give the same result.
    """
    validation = validate_export(transactions, columns=columns, dayfirst=dayfirst, decimal=decimal,
                                 delimiter=delimiter, as_of_date=as_of_date, returns_policy=returns_policy,
                                 cancel_order_prefix=cancel_order_prefix, validation_rules=validation_rules,
                                 encoding=encoding, engine=engine, spark_master=spark_master).result(arrow_text=True)
    _release_arrow_memory()
    table = None
    if customers:
        table = load_customers(customers, columns=customer_columns or None, dayfirst=dayfirst,
                               encoding=encoding)
    return WorkbookData(transactions=validation.transactions, customers=table, validation=validation)


def _release_arrow_memory() -> None:
    """Give Arrow's freed blocks back to the system: its allocator keeps them for reuse, but
    what follows a load is pandas and numpy work (ten million rows: about 600 MB held)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def validate_export(transactions: str | Path, columns: dict | None = None, dayfirst: bool | None = None,
                    decimal: str | None = None, delimiter: str | None = None, as_of_date=None,
                    returns_policy: str = "net", cancel_order_prefix: str | None = None,
                    validation_rules: dict | None = None, encoding: str | None = None,
                    engine: str = engines.DEFAULT_ENGINE, spark_master: str | None = None) -> ValidatedTables:
    """The validation of an export (arguments of :func:`load_data`) as
    :class:`~crmlib.validate.ValidatedTables`: what ``crm run`` and ``crm validate`` write, the kept
    rows left in Arrow (ten million rows as Python objects would cost minutes and gigabytes)."""
    rules = dict(validation_rules or {})
    unknown = sorted(set(rules) - set(RULE_OPTIONS))
    if unknown:
        raise InputError(f"validation_rules: unknown rule(s) {', '.join(unknown)}; "
                         f"the rules are: {', '.join(RULE_OPTIONS)}.")
    options = dict(columns=columns or None, dayfirst=dayfirst, decimal=decimal, delimiter=delimiter,
                   as_of_date=as_of_date, returns_policy=returns_policy,
                   cancel_order_prefix=cancel_order_prefix, encoding=encoding, **rules)
    engines.check_engine(engine)
    return validated.cached_tables(
        transactions, {**options, "engine": engine},
        lambda: engines.load_tables(transactions, engine=engine, spark_master=spark_master, **options))


def check_run_data(transactions: str | Path, customers: str | Path | None = None,
                   customer_columns: dict | None = None, **options) -> ValidatedTables:
    """What ``crm run`` checks before any notebook: the export validated (:func:`validate_export`,
    ``options`` as there) and the customers file, if any, readable."""
    tables = validate_export(transactions, **options)
    if customers:
        load_customers(customers, columns=customer_columns or None, dayfirst=options.get("dayfirst"),
                       encoding=options.get("encoding"))
    return tables


def validation_table(report: dict, lang: str = "en") -> pd.DataFrame:
    """The validation report for people: rows read, kept, quarantined, rows per reason, and how
    returns were treated (``returns_policy``)."""
    rows = [(t(key, lang), report[key]) for key in ("rows_in", "rows_kept", "rows_rejected")]
    rows += [(f"– {t(reason, lang)}", count) for reason, count in report["rejected_by_reason"].items()]
    if report.get("returns_policy") == "net":
        rows.append((t("returns_net", lang), report.get("returns_kept", 0)))
    elif report.get("returns_policy") == "quarantine":
        rows.append((t("returns_quarantine", lang), report["rejected_by_reason"].get(RETURN, 0)))
    return pd.DataFrame(rows, columns=[t("check_item", lang), t("rows", lang)])
