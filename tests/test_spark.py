"""Spark in local mode gives what DuckDB gives: validation counts and tables, customer summaries, segments.

Needs the optional extra (``pip install -e ".[spark]"``) and Java 17+; CI installs both.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("pyspark")
pytest.importorskip("sqlglot")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java 17+", allow_module_level=True)

from crmlib import paths  # noqa: E402
from crmlib.data import load_data  # noqa: E402
from crmlib.engine import duck, spark  # noqa: E402
from crmlib.io import InputError  # noqa: E402
from crmlib.rfm.segments import segment_customers  # noqa: E402
from crmlib.summary import btyd_summary, customer_summary  # noqa: E402

sys.path.insert(0, str(paths.PROJECT_ROOT / "bench"))
from generate import write_export  # noqa: E402

MASTER = "local[2]"
AS_OF = "2024-12-31"


@pytest.fixture(scope="module")
def session():
    return spark.session(MASTER)


def assert_same_downstream(path: Path, **options):
    expected = duck.load_transactions(path, **options)
    got = spark.load_transactions(path, master=MASTER, **options)
    pd.testing.assert_frame_equal(got.transactions, expected.transactions, check_exact=True)
    pd.testing.assert_frame_equal(got.rejected, expected.rejected, check_exact=True)
    assert got.report == expected.report
    for summarise in (lambda t: customer_summary(t, AS_OF), lambda t: btyd_summary(t, calibration_end=AS_OF),
                      lambda t: segment_customers(t, AS_OF)):
        pd.testing.assert_frame_equal(summarise(got.transactions), summarise(expected.transactions),
                                      check_exact=True)
    return got


def test_the_sample_on_spark(session):
    got = assert_same_downstream(paths.SAMPLE_DIR / "transactions.csv", as_of_date=AS_OF)
    assert got.report["rows_rejected"] > 0 and len(got.report["rejected_by_reason"]) >= 4


def test_a_generated_export_on_spark(session, tmp_path):
    path = write_export(tmp_path / "export.csv", customers=2_000, lines=20_000, seed=3)
    got = assert_same_downstream(path, as_of_date=AS_OF)
    assert got.report["customers_kept"] > 1_900 and got.report["rejected_by_reason"]


def test_line_numbers_follow_the_file_across_partitions(session, tmp_path):
    """An export read in many partitions (32 KB each here) keeps every row's line in the file."""
    path = write_export(tmp_path / "export.csv", customers=500, lines=5_000, seed=5)
    previous = session.conf.get("spark.sql.files.maxPartitionBytes")
    session.conf.set("spark.sql.files.maxPartitionBytes", str(32 * 1024))
    try:
        raw, *_ = spark.read_raw(session, str(path))
        assert raw.rdd.getNumPartitions() > 5
        assert_same_downstream(path, as_of_date=AS_OF)
    finally:
        session.conf.set("spark.sql.files.maxPartitionBytes", previous)
    lines = sorted(row["_line"] for row in raw.select("_line").collect())
    assert lines == list(range(2, 2 + 5_000))


def test_parquet_on_spark_and_through_load_data(session, tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_CACHE_DIR", str(tmp_path / "cache"))
    frame = pd.read_csv(paths.SAMPLE_DIR / "transactions.csv", sep=";", dtype=str, keep_default_na=False)
    frame.to_parquet(tmp_path / "t.parquet")
    data = load_data(tmp_path / "t.parquet", as_of_date=AS_OF, engine="spark", spark_master=MASTER)
    expected = duck.load_transactions(tmp_path / "t.parquet", as_of_date=AS_OF)
    # load_data hands the notebooks the text columns in Arrow: the same values, the same frame otherwise
    pd.testing.assert_frame_equal(data.transactions, expected.tables().result(arrow_text=True).transactions,
                                  check_exact=True)
    assert data.report == expected.report


def test_files_spark_cannot_read_as_pandas_does_are_refused(session, tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_text('customer_id,date,amount,note\n1,2024-01-01,5,"two\nlines"\n', encoding="utf-8")
    with pytest.raises(InputError, match="engine: duckdb"):
        spark.load_transactions(path, master=MASTER)
