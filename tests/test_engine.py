"""The DuckDB engine gives the very tables and report of the pandas reference, on every kind of export."""
from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmlib import paths
from crmlib.engine import check_engine, duck
from crmlib.io import InputError
from crmlib.validate import load_transactions

MESSY = """No Faktur;ID Pelanggan;Tanggal;Total (Rp);Status
INV1; 00042 ;12/01/2024 10:30;Rp 1.250.000,00;Selesai
INV2;00042;13/01/2024;250.000,50;Selesai
INV3;;14/01/2024;100,00;Selesai
INV4;00043;31/02/2024;100,00;Selesai
INV5;00043;14/01/2024;n/a;Selesai
INV6;00043;15/01/2024;100,00;Batal
INV6b;00043;15/01/2024;100,00;Dibatalkan
INV7;00044;16/01/2024;-50.000,00;Retur
INV8;00044;16/01/2029;50.000,00;Selesai
INV9;00044;16/01/2024;50.000,00;Selesai
INV9;00044;16/01/2024;50.000,00;Selesai
INV10;00045;17/01/2024;0,00;Selesai
INV11;00045;17/01/2024;inf;Selesai
INV12;\u00a000045\u3000;18/01/2024;20.000,00;Refund
INV13;00046;"18/01/2024";"1.000,00";"Sel""esai"
;;;;
INV14;00046;31/12/2024 23:59;1.000,00;Selesai
INV15;00046;01/01/2025 00:00;1.000,00;Selesai
INV16;00047;31/12/9999;1.000,00;Selesai
INV17;00047;01/01/1850;1.000,00;Selesai
INV18;00047;18/01/2024;1e308;Selesai
INV19;00047;18/01/2024;2.000.000.000.000.000,00;Selesai
"""


def outcome(engine_load, path, **options):
    """The result of a load as plain values, or the error it raised."""
    try:
        return engine_load(path, **options)
    except Exception as err:  # noqa: BLE001 - the engines must fail alike, whatever the error
        return f"{type(err).__name__}: {err}"


def assert_same(path, **options):
    expected = outcome(load_transactions, path, **options)
    got = outcome(duck.load_transactions, path, **options)
    if isinstance(expected, str) or isinstance(got, str):
        assert got == expected
        return expected
    pd.testing.assert_frame_equal(got.transactions, expected.transactions, check_exact=True)
    pd.testing.assert_frame_equal(got.rejected, expected.rejected, check_exact=True)
    assert got.report == expected.report
    return expected


@pytest.fixture
def messy(tmp_path):
    path = tmp_path / "messy.csv"
    path.write_bytes(b"\xef\xbb\xbf" + MESSY.encode("utf-8"))
    return path


@pytest.mark.parametrize("options", [
    {"as_of_date": "2024-12-31"},
    {"as_of_date": "2024-12-31", "returns_policy": "quarantine"},
    {"reject_duplicates": False, "reject_zero_amounts": False},
    {"cancel_order_prefix": "INV1", "cancel_statuses": ("selesai",), "return_statuses": ()},
    {"dayfirst": True, "decimal": ","},
    {"decimal": "."},
    {"returns_policy": "keep"},
])
def test_every_rule_and_setting_matches_the_reference(messy, options):
    assert_same(messy, **options)


def test_every_reason_is_exercised(messy):
    result = assert_same(messy, as_of_date="2024-12-31", returns_policy="quarantine")
    assert len(result.report["rejected_by_reason"]) == 12  # every rule, so the comparison covers them all


def test_the_sample_and_its_settings(tmp_path):
    assert_same(paths.SAMPLE_DIR / "transactions.csv", as_of_date="2024-12-31")
    assert_same(paths.SAMPLE_DIR / "transactions.csv", columns={"customer_id": "ID Pelanggan"},
                returns_policy="quarantine")


def test_computed_amounts_and_order_prefix_cancellation(tmp_path):
    path = tmp_path / "retail.csv"
    path.write_text("InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice\n"
                    "1,17850,12/1/2010 8:26,6,2.55\nC2,17850,12/1/2010 8:28,-1,2.55\n"
                    "3,,12/1/2010 9:00,2,1.00\n4,13047,12/2/2010 9:00,x,1.00\n5,13047,12/2/2010 9:01,3,0\n",
                    encoding="utf-8")
    columns = {"customer_id": "CustomerID", "order_id": "InvoiceNo", "date": "InvoiceDate",
               "quantity": "Quantity", "unit_price": "UnitPrice"}
    result = assert_same(path, columns=columns, cancel_order_prefix="C", dayfirst=False)
    assert result.report["rows_kept"] == 1


def test_files_the_fast_reader_leaves_to_pandas(tmp_path):
    cases = {
        "blank_lines.csv": "customer_id,date,amount\n1,2024-01-01,5\n\n2,2024-01-02,6\n\n",
        "ragged.csv": "customer_id,date,amount\n1,2024-01-01,5\n2,2024-01-02\n",
        "too_many.csv": "customer_id,date,amount\n1,2024-01-01,5,9\n",
        "twice.csv": "customer_id,date,amount,amount\n1,2024-01-01,5,6\n",
        "spaces.txt": "1 19970101 1 29.33\n2 19970102 2 11.77\n",
        "latin1.csv": "customer_id,date,amount,kota\n1,2024-01-01,5,Bogor\xe9\n".encode("latin-1"),
        "utf16.csv": "customer_id,date,amount\n1,2024-01-01,5\n".encode("utf-16"),
        "binary.csv": b"PK\x03\x04" + bytes(range(256)) * 4,
        "nul.csv": b"customer_id,date,amount\n1,\x00,5\n",
        "amounts_text.csv": "customer_id,date,amount\n1,2024-01-01,five\n2,2024-01-02,six\n",
        "ids_blank.csv": "customer_id,date,amount\n,2024-01-01,5\n ,2024-01-02,6\n",
        "dates_bad.csv": "customer_id,date,amount\n1,someday,5\n2,never,6\n",
        "all_future.csv": "customer_id,date,amount\n1,2031-01-01,5\n2,2032-01-02,6\n",
        "all_empty.csv": "customer_id,date,amount\n,,\n,,\n",
        "bare_cr.csv": "customer_id,date,amount\r1,2024-01-01,5\r2,2024-01-02,6\r",
        "header_only.csv": "customer_id,date,amount\n",
        "quoted_newline.csv": 'customer_id,date,amount,note\n1,2024-01-01,5,"two\nlines"\n2,2024-01-02,6,x\n',
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        options = {"columns": {"customer_id": "column_1", "date": "column_2", "amount": "column_4"},
                   "delimiter": "whitespace"} if name == "spaces.txt" else {"as_of_date": "2024-12-31"}
        assert_same(path, **options)


@pytest.mark.parametrize("quoting", ["none", "quoted_values", "quoted_line_break"])
def test_files_larger_than_the_readers_blocks(tmp_path, quoting):
    """Arrow's threads cut a file into blocks; without a quote below the header they may cut at
    any newline, else only where no quoted value goes on. The tables stay the reference's."""
    rows = [f"INV{i};{i % 977:05d};{1 + i % 28:02d}/0{1 + i % 9}/2024 10:{i % 60:02d};{i % 5000},50;Selesai"
            for i in range(60_000)]  # about 3 MB: several of the reader's 1 MB blocks
    if quoting != "none":
        rows[25_000] = 'INV25000;00001;01/02/2024;"1.000,00";"Selesai"'
    if quoting == "quoted_line_break":
        rows[41_000] = 'INV41000;00002;01/02/2024;100,00;"Sel\nesai"'
    path = tmp_path / "big.csv"
    path.write_text('"No Faktur";ID Pelanggan;Tanggal;Total (Rp);Status\n' + "\n".join(rows) + "\n", encoding="utf-8")
    from crmlib.engine.reader import _fast_csv
    assert (_fast_csv(path, None, None) is None) == (quoting == "quoted_line_break")  # that one goes to pandas
    result = assert_same(path, as_of_date="2024-12-31")
    assert result.report["rows_in"] == 60_000


def test_parquet_and_xlsx_exports(tmp_path):
    frame = pd.DataFrame({"customer_id": ["007", " 8", ""], "date": ["2024-01-01", "2024-13-01", "2024-01-03"],
                          "amount": ["1.5", "2", "3"]})
    frame.to_parquet(tmp_path / "t.parquet")
    frame.to_excel(tmp_path / "t.xlsx", index=False)
    assert_same(tmp_path / "t.parquet")
    assert_same(tmp_path / "t.xlsx")


CELL = st.one_of(st.text(alphabet=list("0123456789 ,.;-/:Rp\"\u00a0xX\t"), max_size=12),
                 st.sampled_from(["2024-01-05", "31/12/2023", "12/31/2023", "inf", "Batal", " retur", "1.250,00"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(CELL, CELL, CELL, CELL), min_size=1, max_size=12),
       delimiter=st.sampled_from([",", ";", "\t", "|"]))
def test_random_hostile_exports_match(tmp_path_factory, rows, delimiter):
    path = tmp_path_factory.mktemp("h") / "export.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(["customer_id", "date", "amount", "status"])
        writer.writerows(rows)
    assert_same(path, delimiter=delimiter, as_of_date="2024-06-30")


def test_unknown_engine_is_a_clear_error():
    with pytest.raises(InputError, match="engine must be one of duckdb, spark, pandas"):
        check_engine("polars")


def test_the_engine_runs_inside_a_jupyter_kernel():
    """DuckDB refuses some settings inside Jupyter (no ipywidgets): notebooks validating on first use."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from crmlib.engine import duck\n"
        f"print(duck.load_transactions({str(paths.SAMPLE_DIR / 'transactions.csv')!r}).report['rows_in'])")]
    NotebookClient(nb, kernel_name="python3", timeout=600).execute()
    assert nb.cells[0].outputs[0]["text"].strip() == str(
        load_transactions(paths.SAMPLE_DIR / "transactions.csv").report["rows_in"])


@pytest.mark.parametrize("text", [" 42", "42 ", "\t42", "42\n", "\x1f42", "42\x1c", "\u00a042", "42\u3000",
                                  "\u200b42", "é42", "42é"])
def test_a_text_that_may_be_padded_is_stripped(text):
    """Python's white space is ASCII below '!' or not ASCII: any such first or last character,
    in any chunk or slice, sends the column through the SQL's strip."""
    plain = ["42", "", "A-7", "x y"]
    assert not duck._may_be_padded(pa.array(plain))
    assert duck._may_be_padded(pa.array(plain + [text]))
    assert duck._may_be_padded(pa.array(["~"] * 3 + [text] + ["~"])[2:4])  # a slice: its own offsets
    assert not duck._may_be_padded(pa.array([text, "42", "43"])[1:])
    assert duck._may_be_padded(pa.array(["42", None]))  # not plain text: strip as always
    backend = duck.DuckBackend()
    try:
        backend.register("raw", pa.table({"a": pa.chunked_array([plain, ["7", text]]), "b": [*plain, "7", "8"]}))
        assert backend.unpadded(["a", "b"]) == {"b"}
    finally:
        backend.close()


def test_one_padded_id_among_many_is_stripped_as_the_reference_does(tmp_path):
    path = tmp_path / "big.csv"
    rows = [f"INV{i};{i % 997:05d};{1 + i % 28:02d}/03/2024;{10 + i % 50}.000,00;Selesai" for i in range(150_000)]
    rows[-2] = rows[-2].replace(";00", ";\u00a000", 1)  # one padded id, far past the first block
    rows[-1] = rows[-1].replace("INV", " INV", 1)  # and one padded order number
    path.write_text("No Faktur;ID Pelanggan;Tanggal;Total (Rp);Status\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = assert_same(path, as_of_date="2024-12-31")
    assert result.transactions["customer_id"].str.strip().eq(result.transactions["customer_id"]).all()
    assert result.transactions["order_id"].str.strip().eq(result.transactions["order_id"]).all()


def test_a_released_table_s_memory_goes_to_duckdb_s_budget():
    """Once the export's text is released, the sort of the kept rows may use its memory."""
    assert duck._size_bytes("953.6 MiB") == int(953.6 * 2**20) and duck._size_bytes("1.5 GB") == 1_500_000_000
    backend = duck.DuckBackend()
    try:
        def shown():
            return duck._size_bytes(backend.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        before = shown()
        table = pa.table({"a": np.zeros(40_000_000)})  # 320 MB, well above the setting's display rounding
        backend.register("raw", table)
        freed = table.nbytes
        del table
        backend.release("raw")
        assert abs(shown() - (before + freed)) < 0.06 * 2**30
    finally:
        backend.close()
