"""Validation and quarantine: every row kept or rejected with a reason; counts reconcile."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathlib import Path

from crmlib.io import InputError, ReadResult
from crmlib.validate import (BAD_AMOUNT, BAD_DATE, CANCELLED, DUPLICATE, EMPTY_LINE, FUTURE,
                             MISSING_CUSTOMER,
                             NON_FINITE, RETURN, ZERO_AMOUNT, load_customers, load_transactions,
                             validate_transactions, write_validation)

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
INV12;00045;18/01/2024;20.000,00;Refund
"""


@pytest.fixture
def messy(tmp_path):
    path = tmp_path / "messy.csv"
    path.write_bytes(b"\xef\xbb\xbf" + MESSY.encode("utf-8"))
    return path


def test_every_reason_and_reconciliation(messy):
    result = load_transactions(messy, as_of_date="2024-12-31")
    report = result.report
    assert report["rows_in"] == 14
    assert report["rows_in"] == report["rows_kept"] + report["rows_rejected"]
    assert report["rejected_by_reason"] == {MISSING_CUSTOMER: 1, BAD_DATE: 1, BAD_AMOUNT: 1,
                                            NON_FINITE: 1, CANCELLED: 2, ZERO_AMOUNT: 1,
                                            DUPLICATE: 1, FUTURE: 1}
    kept = result.transactions
    assert kept["customer_id"].tolist() == ["00042", "00042", "00044", "00044", "00045"]
    # the Retur line and the positive "Refund" line are both returns, netted (negative)
    assert kept.loc[kept["is_return"], "amount"].tolist() == [-50_000.0, -20_000.0]
    assert report["amount_kept"] == pytest.approx(1_250_000 + 250_000.5 - 50_000 + 50_000 - 20_000)
    rejected = result.rejected
    assert rejected.loc[rejected["reason"] == BAD_DATE, "line"].tolist() == [5]
    assert rejected.loc[rejected["reason"] == DUPLICATE, "line"].tolist() == [12]
    assert rejected.loc[rejected["reason"] == BAD_DATE, "Tanggal"].tolist() == ["31/02/2024"]


def test_returns_can_be_quarantined(messy):
    result = load_transactions(messy, as_of_date="2024-12-31", returns_policy="quarantine")
    assert result.report["rejected_by_reason"][RETURN] == 2
    assert not result.transactions["is_return"].any()
    assert (result.transactions["amount"] > 0).all()


def test_blank_lines_are_counted_not_dropped(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("ID Pelanggan;Tanggal;Total (Rp)\n001;12/01/2024;5,00\n\n002;13/01/2024;6,00\n",
                    encoding="utf-8")
    result = load_transactions(path)
    assert result.report["rejected_by_reason"] == {EMPTY_LINE: 1}
    assert result.rejected["line"].tolist() == [3]
    assert result.transactions["line"].tolist() == [2, 4]


def test_order_prefix_cancellation_and_computed_amount(tmp_path):
    path = tmp_path / "retail.csv"
    path.write_text("InvoiceNo,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
                    "536365,6,2010-12-01 08:26:00,2.55,17850\n"
                    "C536379,-1,2010-12-01 09:41:00,27.50,14527\n"
                    "536366,2,2010-12-01 08:28:00,0,17850\n", encoding="utf-8")
    result = load_transactions(path, cancel_order_prefix="C")
    assert result.report["rejected_by_reason"] == {CANCELLED: 1, ZERO_AMOUNT: 1}
    assert result.transactions["amount"].tolist() == [pytest.approx(15.3)]


def test_missing_required_column_and_bad_policy(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("kode;tanggal;total\n1;12/01/2024;5\n", encoding="utf-8")
    with pytest.raises(InputError, match="columns.customer_id"):
        load_transactions(path)
    with pytest.raises(InputError, match="returns_policy"):
        load_transactions(path, columns={"customer_id": "kode"}, returns_policy="ignore")


def test_write_validation_files(messy, tmp_path):
    result = load_transactions(messy, as_of_date="2024-12-31")
    paths = write_validation(result, tmp_path / "out")
    report = json.loads(paths["validation"].read_text(encoding="utf-8"))
    clean = pd.read_csv(paths["clean"], dtype={"customer_id": str})
    rejected = pd.read_csv(paths["rejected"], dtype=str, keep_default_na=False)
    assert report["rows_in"] == len(clean) + len(rejected)
    assert {"line", "reason", "ID Pelanggan", "Total (Rp)"} <= set(rejected.columns)
    assert clean["customer_id"].iloc[0] == "00042"


def test_customers_table(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("ID Pelanggan;Nama;Jenis Kelamin (L/P);Tanggal Lahir;No HP;Email\n"
                    "00042;Siti Aminah;P;05/03/1990;0812-3456-7890;siti@contoh.co.id\n"
                    "00043;Budi;L;31/02/1990;;\n", encoding="utf-8")
    customers = load_customers(path)
    assert customers["customer_id"].tolist() == ["00042", "00043"]
    assert customers["gender"].tolist() == ["F", "M"]
    assert customers.loc[0, "birth_date"] == pd.Timestamp("1990-03-05")
    assert pd.isna(customers.loc[1, "birth_date"]) and pd.isna(customers.loc[1, "phone"])


# --- properties ---------------------------------------------------------------------------

ids = st.from_regex(r"0[0-9]{3,6}", fullmatch=True)
days = st.dates(min_value=pd.Timestamp("2020-01-01").date(), max_value=pd.Timestamp("2024-12-31").date())
rupiah = st.integers(min_value=1, max_value=10**9)


def indonesian(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + ",00"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(ids, days, rupiah), min_size=1, max_size=40, unique_by=lambda r: r),
       delimiter=st.sampled_from([";", ",", "\t"]), bom=st.booleans())
def test_valid_exports_round_trip(tmp_path_factory, rows, delimiter, bom):
    """Any valid export (any delimiter, BOM or not) is kept whole, values intact."""
    path = tmp_path_factory.mktemp("rt") / "export.csv"
    lines = [delimiter.join(["Order", "ID Pelanggan", "Tanggal", "Total (Rp)"])]
    for n, (cid, day, amount) in enumerate(rows):
        lines.append(delimiter.join([f"INV{n}", cid, day.strftime("%d/%m/%Y"), f'"{indonesian(amount)}"'
                                     if delimiter == "," else indonesian(amount)]))
    path.write_bytes(("\ufeff" if bom else "").encode() + ("\n".join(lines) + "\n").encode("utf-8"))
    result = load_transactions(path, dayfirst=True, decimal=",")
    assert result.report["rows_kept"] == len(rows) and result.report["rows_rejected"] == 0
    got = result.transactions.sort_values("line")
    assert got["customer_id"].tolist() == [r[0] for r in rows]
    assert got["amount"].tolist() == [float(r[2]) for r in rows]
    assert got["date"].dt.date.tolist() == [r[1] for r in rows]


junk = st.one_of(st.text(max_size=12), st.sampled_from(["", "n/a", "-", "31/02/2024", "Rp", "1.2.3", "inf",
                                                         "nan", "Batal", "  ", "0", "-5,00", "99/99/9999"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.tuples(junk, junk, junk, junk), min_size=1, max_size=30))
def test_corruption_never_crashes_nor_loses_rows(tmp_path_factory, cells):
    """Random garbage: either a clear InputError, or every row kept or rejected."""
    frame = pd.DataFrame(cells, columns=["customer_id", "date", "amount", "status"]).astype(str)
    frame = frame.apply(lambda s: s.str.replace(r"[\r\n\x00-\x1f]", " ", regex=True))
    frame["_line"] = np.arange(2, len(frame) + 2)
    raw = ReadResult(frame=frame, path=Path("fuzz.csv"), delimiter=";")
    try:
        result = validate_transactions(raw, dayfirst=True, decimal=",", as_of_date="2024-12-31")
    except InputError:
        return
    report = result.report
    assert report["rows_in"] == len(frame) == report["rows_kept"] + report["rows_rejected"]
    assert sorted(result.transactions["line"].tolist() + result.rejected["line"].tolist()) == \
        frame["_line"].tolist()
    assert np.isfinite(result.transactions["amount"]).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.text(alphabet=st.sampled_from(list("0123456789/;:., -RpBatal\"'x\t")), max_size=40),
                      min_size=1, max_size=25))
def test_corrupted_files_never_crash_nor_lose_rows(tmp_path_factory, lines):
    """Arbitrary lines under a valid header: a clear InputError, or every data line accounted for."""
    path = tmp_path_factory.mktemp("fz") / "export.csv"
    path.write_text("ID Pelanggan;Tanggal;Total (Rp);Status\n" + "\n".join(lines) + "\n", encoding="utf-8")
    try:
        result = load_transactions(path, delimiter=";", dayfirst=True, decimal=",", as_of_date="2024-12-31")
    except InputError as err:
        assert str(err)
        return
    report = result.report
    assert report["rows_in"] == report["rows_kept"] + report["rows_rejected"]
    assert len(result.transactions) + len(result.rejected) == report["rows_in"]
    if not any('"' in line for line in lines):  # without quoted fields, one line = one row
        assert report["rows_in"] == len(lines)


def test_duplicate_and_zero_rules_can_be_switched_off(messy):
    from crmlib.data import load_data
    data = load_data(messy, as_of_date="2024-12-31",
                     validation_rules={"reject_duplicates": False, "reject_zero_amounts": False})
    reasons = data.report["rejected_by_reason"]
    assert DUPLICATE not in reasons and ZERO_AMOUNT not in reasons
    assert data.report["rows_kept"] == 5 + 2  # the duplicate INV9 line and the zero INV10 line kept
    with pytest.raises(InputError, match="reject_dupes"):
        load_data(messy, validation_rules={"reject_dupes": False})


def test_the_schema_refuses_what_the_rules_must_have_quarantined():
    """The pandera contract of the kept table: no empty customer id, finite amounts, unique lines."""
    import numpy as np
    import pandera.errors

    from crmlib.validate import CANONICAL_TRANSACTIONS

    good = pd.DataFrame({"customer_id": ["007", "008"], "date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
                         "amount": [10.0, 20.0], "is_return": [False, False], "line": [2, 3]})
    assert CANONICAL_TRANSACTIONS.validate(good, inplace=True) is good
    for column, values in {"customer_id": ["007", ""], "amount": [10.0, np.inf], "line": [2, 2]}.items():
        with pytest.raises(pandera.errors.SchemaError):
            CANONICAL_TRANSACTIONS.validate(good.assign(**{column: values}))
