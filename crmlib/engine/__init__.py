"""Engines for the row-level work on an export: read, validate, summarise per customer.

``duckdb`` (default) runs embedded with no set-up; ``spark`` runs the same SQL on Apache Spark
(``pip install -e ".[spark]"``, Java 17+); ``pandas`` is the reference implementation the other
two are checked against (:func:`crmlib.validate.load_transactions`). All three give the same
tables and report for the same input and parameters.
"""
from __future__ import annotations

from crmlib.io import InputError

ENGINES = ("duckdb", "spark", "pandas")
DEFAULT_ENGINE = "duckdb"
DEFAULT_SPARK_MASTER = "local[*]"


def check_engine(engine: str) -> str:
    """``engine`` if it is one of :data:`ENGINES`, else an :class:`InputError` saying which are."""
    if engine not in ENGINES:
        raise InputError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}.")
    return engine


def load_tables(path, engine: str = DEFAULT_ENGINE, spark_master: str | None = None, **options):
    """Read and validate ``path`` on ``engine`` (see :func:`crmlib.validate.load_transactions`), as
    :class:`~crmlib.validate.ValidatedTables`: the kept rows stay in Arrow."""
    check_engine(engine)
    if engine == "pandas":
        from crmlib.validate import load_transactions as validate
        return validate(path, **options).tables()
    if engine == "spark":
        from crmlib.engine.spark import load_tables as validate
        return validate(path, master=spark_master or DEFAULT_SPARK_MASTER, **options)
    from crmlib.engine.duck import load_tables as validate
    return validate(path, **options)


def load_transactions(path, engine: str = DEFAULT_ENGINE, spark_master: str | None = None, **options):
    """Read and validate ``path`` on ``engine``; see :func:`crmlib.validate.load_transactions`."""
    check_engine(engine)
    if engine == "pandas":
        from crmlib.validate import load_transactions as validate
        return validate(path, **options)
    return load_tables(path, engine=engine, spark_master=spark_master, **options).result()
