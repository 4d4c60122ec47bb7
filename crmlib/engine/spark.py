"""The Spark engine: the pipeline of :mod:`crmlib.engine.pipeline` on Apache Spark, its DuckDB SQL
transpiled to Spark SQL by sqlglot — one expression of the logic for both engines.

Spark reads the export itself (CSV or Parquet, a local path or cluster storage such as
``hdfs://`` or ``s3a://``); only the lookups of distinct values and the result tables travel
between Spark and the driver. Needs ``pip install -e ".[spark]"`` and Java 17+.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

import pyarrow as pa

from crmlib import validate as v
from crmlib.engine import pipeline, rules
from crmlib.engine.reader import physical_lines, sniff_csv
from crmlib.io import LINE_COLUMN, InputError


def _spark_sql(sql: str) -> str:
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


#: Memory of the Spark driver, where the kept rows come back (``$CRM_SPARK_DRIVER_MEMORY``
#: overrides it; read when the session starts): 10 million kept rows take about 2 GB there.
DRIVER_MEMORY = os.environ.get("CRM_SPARK_DRIVER_MEMORY", "4g")


@functools.lru_cache(maxsize=2)
def session(master: str = "local[*]"):
    """The Spark session for ``master`` (started once per process)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError("engine: spark needs PySpark; install it with pip install -e \".[spark]\" "
                         "(and Java 17+), or use engine: duckdb.") from None
    builder = (SparkSession.builder.master(master).appName("crmlib")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.shuffle.partitions", "8")
               .config("spark.driver.memory", DRIVER_MEMORY)
               .config("spark.driver.maxResultSize", DRIVER_MEMORY)
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false"))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class SparkBackend:
    """Temporary views in a Spark session (see :class:`pipeline.Backend`)."""

    def __init__(self, spark):
        self.spark = spark
        self._views = []

    def register(self, name: str, table: pa.Table) -> None:
        self.spark.createDataFrame(table.to_pandas()).createOrReplaceTempView(name)
        self._views.append(name)

    def materialise(self, name: str, sql: str) -> None:
        frame = self.spark.sql(_spark_sql(sql)).cache()
        frame.createOrReplaceTempView(name)
        self._views.append(name)

    def repeated(self, name: str, sql: str) -> None:
        self.materialise(name, rules.repeated_sql(sql))

    def arrow(self, sql: str) -> pa.Table:
        frame = self.spark.sql(_spark_sql(sql))
        try:
            return frame.toArrow()
        except AttributeError:  # PySpark < 4
            return pa.Table.from_pandas(frame.toPandas(), preserve_index=False)

    def arrow_later(self, sql: str):
        return lambda: self.arrow(sql)  # Spark runs a query when its rows are asked for

    def release(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        self._views.remove(name)

    def unpadded(self, names) -> set:
        return set()  # checking would be one more pass over the data: the SQL strips every text

    def close(self) -> None:
        for name in self._views:
            self.spark.catalog.dropTempView(name)
        self._views.clear()


def read_raw(spark, path: str, delimiter: str | None = None, encoding: str | None = None):
    """The export as a Spark DataFrame of text plus ``_line``, and how it was read.

    CSV must be UTF-8 with one record per line (the DuckDB engine also reads other encodings and
    quoted line breaks); the delimiter is detected from a local file, else give ``delimiter``.
    """
    from pyspark.sql import functions as F

    name = Path(str(path)).name
    if str(path).lower().endswith(".parquet"):
        frame = spark.read.parquet(str(path))
        frame = frame.select([F.col(f"`{c}`").cast("string").alias(c) for c in frame.columns])
        first, delimiter, encoding = 1, None, None
    else:
        local = Path(path)
        if local.is_file():
            sniffed = sniff_csv(local, delimiter, encoding)
            if sniffed is None:
                raise InputError(f"{name}: engine spark reads UTF-8 CSV with a plain header, or Parquet; "
                                 "use engine: duckdb for this file (or export it as Parquet).")
            delimiter = sniffed[0]
        elif delimiter is None:
            raise InputError(f"{name}: set `delimiter` for a file on cluster storage.")
        reader = spark.read.options(header=True, sep=delimiter, quote='"', escape='"', multiLine=False,
                                    inferSchema=False, mode="FAILFAST", encoding="UTF-8",
                                    ignoreLeadingWhiteSpace=False, ignoreTrailingWhiteSpace=False,
                                    enforceSchema=False)
        frame = reader.csv(str(path))
        frame = frame.toDF(*[c.strip().lstrip("\ufeff") for c in frame.columns])
        first, encoding = 2, "utf-8"
        if local.is_file() and frame.count() + 1 != physical_lines(local):
            raise InputError(f"{name}: some records span several lines (quoted line breaks) or lines are "
                             "blank; engine spark reads one record per line: use engine: duckdb.")
    columns = list(frame.columns)
    frame = frame.select([F.coalesce(F.col(f"`{c}`"), F.lit("")).alias(c) for c in columns])
    return with_line_numbers(frame, first), columns, delimiter, encoding


def with_line_numbers(frame, first: int):
    """``frame`` with ``_line``: ``first`` for its first row, then one more per row, in file order.

    Computed on the cluster (no row passes through Python): each row's place in its partition
    (``monotonically_increasing_id`` holds it in its low 33 bits) plus the rows of the partitions
    before it, counted in one pass; the partitions of one file scan follow the file's order.
    """
    from pyspark.sql import functions as F

    tagged = frame.withColumn("__part", F.spark_partition_id()).withColumn("__id", F.monotonically_increasing_id())
    counts = sorted((row["__part"], row["count"]) for row in tagged.groupBy("__part").count().collect())
    offsets, before = [], 0
    for part, count in counts:
        offsets += [F.lit(part), F.lit(before)]
        before += count
    offset = F.element_at(F.create_map(*offsets), F.col("__part")) if offsets else F.lit(0)
    in_part = F.col("__id") - F.shiftleft(F.col("__part").cast("long"), 33)
    line = (F.lit(first).cast("long") + offset.cast("long") + in_part).alias(LINE_COLUMN)
    return tagged.select(*[F.col(f"`{c}`") for c in frame.columns], line)


def classify(path, master: str = "local[*]", delimiter: str | None = None, encoding: str | None = None,
             **options) -> pipeline.Classified:
    """Classify every row of ``path`` on Spark (arguments of :func:`crmlib.validate.load_transactions`)."""
    spark = session(master)
    raw, headers, delimiter, encoding = read_raw(spark, path, delimiter, encoding)
    db = SparkBackend(spark)
    raw.cache().createOrReplaceTempView("raw")
    db._views.append("raw")
    export = pipeline.Export(headers=tuple(headers), path=Path(str(path)), delimiter=delimiter, encoding=encoding)
    try:
        return pipeline.classify(db, export, **options)
    except BaseException:
        db.close()
        raise


def load_transactions(path, master: str = "local[*]", **options) -> v.ValidationResult:
    """:func:`crmlib.validate.load_transactions` on Spark: the same tables and report."""
    return load_tables(path, master=master, **options).result()


def load_tables(path, master: str = "local[*]", **options) -> v.ValidatedTables:
    """The validation of ``path`` on Spark as :class:`~crmlib.validate.ValidatedTables`.

    A file Spark's CSV reader refuses (FAILFAST: a malformed record) is an :class:`InputError`.
    """
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    try:
        classified = classify(path, master=master, **options)
        try:
            return classified.tables()
        finally:
            classified.db.close()
    except (Py4JJavaError, PySparkException) as err:
        java = getattr(err, "java_exception", None)
        first = (str(java) if java is not None else str(err)).splitlines()[0]
        text = str(err)  # py4j's text holds the Java causes ("Caused by: …OutOfMemoryError")
        if "OutOfMemory" in text or "UNABLE_TO_ACQUIRE_MEMORY" in text or "maxResultSize" in text:
            raise InputError(f"{Path(str(path)).name}: Spark ran out of memory ({first[:160]}); start it with "
                             f"more driver memory (CRM_SPARK_DRIVER_MEMORY, now {DRIVER_MEMORY}) or use "
                             "engine: duckdb.") from None
        raise InputError(f"{Path(str(path)).name}: Spark could not read the file ({first[:200]}); records "
                         "spanning lines or unbalanced quotes need engine: duckdb.") from None
