"""Reading client exports: delimiters, BOM, local numbers and dates, leading zeros, errors."""
from __future__ import annotations

import pandas as pd
import pytest

from crmlib.io import (InputError, detect_dayfirst, detect_decimal, detect_delimiter, parse_amounts,
                       parse_dates, read_export, resolve_columns, strip_text,
                       TRANSACTION_ALIASES)


def write(tmp_path, text: str, name="export.csv", bom=False) -> object:
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode("utf-8") + text.encode("utf-8"))
    return path


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_delimiter_detected(tmp_path, delim):
    text = delim.join(["id", "tanggal", "total"]) + "\n" + delim.join(["001", "12/01/2024", "5"]) + "\n"
    result = read_export(write(tmp_path, text))
    assert list(result.frame.columns) == ["id", "tanggal", "total", "_line"]
    assert result.delimiter == delim


def test_bom_whitespace_and_leading_zeros_kept(tmp_path):
    path = write(tmp_path, "ID Pelanggan;Total\n  00042 ; Rp 1.250.000,00 \n", bom=True)
    frame = read_export(path).frame
    assert frame.columns[0] == "ID Pelanggan"
    assert frame.loc[0, "ID Pelanggan"] == "  00042 "  # original text kept for the quarantine table
    assert strip_text(frame["ID Pelanggan"]).tolist() == ["00042"]
    assert parse_amounts(frame["Total"], ",").tolist() == [1_250_000.0]
    assert frame.loc[0, "_line"] == 2


def test_whitespace_delimited_file(tmp_path):
    path = write(tmp_path, " customer_id  date number_of_cds  dollar_value\n 00001 19970101  1   11.77\n")
    frame = read_export(path).frame
    assert frame.loc[0, "customer_id"] == "00001" and frame.loc[0, "dollar_value"] == "11.77"


def test_xlsx_and_parquet_read_as_text(tmp_path):
    frame = pd.DataFrame({"customer_id": ["00042", "00043"], "amount": ["1.250,50", "10,00"]})
    frame.to_excel(tmp_path / "x.xlsx", index=False)
    frame.to_parquet(tmp_path / "x.parquet")
    for name in ("x.xlsx", "x.parquet"):
        read = read_export(tmp_path / name).frame
        assert read["customer_id"].tolist() == ["00042", "00043"]
    assert read_export(tmp_path / "x.xlsx").frame["_line"].tolist() == [2, 3]


def test_empty_file_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="empty"):
        read_export(write(tmp_path, ""))
    with pytest.raises(InputError, match="no data rows"):
        read_export(write(tmp_path, "a;b\n"))
    with pytest.raises(InputError, match="not found"):
        read_export(tmp_path / "missing.csv")


def test_ambiguous_delimiter_asks_for_parameter():
    with pytest.raises(InputError, match="delimiter"):
        detect_delimiter("a,b;c\n1,2;3\n", path=__import__("pathlib").Path("x.csv"))


@pytest.mark.parametrize("text, decimal, expected", [
    ("1.250.000,00", ",", 1_250_000.0),
    ("Rp 1.250.000", ",", 1_250_000.0),
    ("Rp1.250.000,50", ",", 1_250_000.5),
    ("IDR 250.000", ",", 250_000.0),
    ("-50.000,00", ",", -50_000.0),
    ("(50.000)", ",", -50_000.0),
    ("1,250,000.75", ".", 1_250_000.75),
    ("11.77", ".", 11.77),
    ("$ 12.00", ".", 12.0),
    ("n/a", ",", None),
    ("-", ",", None),
    ("", ",", None),
    ("1.2.3,4,5", ",", None),
])
def test_parse_amounts(text, decimal, expected):
    value = parse_amounts(pd.Series([text]), decimal).iloc[0]
    assert (pd.isna(value) if expected is None else value == pytest.approx(expected))


def test_detect_decimal():
    assert detect_decimal(pd.Series(["1.250.000,00", "Rp 300.000"])) == ","
    assert detect_decimal(pd.Series(["11.77", "1,250.00"])) == "."
    assert detect_decimal(pd.Series(["100", "2500"])) is None
    with pytest.raises(InputError, match="decimal"):
        detect_decimal(pd.Series(["1.250", "2.500"]))
    with pytest.raises(InputError, match="mixes"):
        detect_decimal(pd.Series(["1.250,00", "1,250.00"]))


def test_dates_day_first_with_and_without_time_iso_and_compact():
    values = pd.Series(["12/01/1997", "13/01/1997 10:30", "2024-02-29", "19970101", "31/02/2024", "kemarin"])
    parsed = parse_dates(values, dayfirst=True)
    assert parsed.iloc[0] == pd.Timestamp("1997-01-12")
    assert parsed.iloc[1] == pd.Timestamp("1997-01-13 10:30")
    assert parsed.iloc[2] == pd.Timestamp("2024-02-29")
    assert parsed.iloc[3] == pd.Timestamp("1997-01-01")
    assert parsed.iloc[4:].isna().all()
    assert parse_dates(pd.Series(["01/12/1997"]), dayfirst=False).iloc[0] == pd.Timestamp("1997-01-12")


def test_detect_dayfirst():
    assert detect_dayfirst(pd.Series(["12/01/2024", "25/01/2024"])) is True
    assert detect_dayfirst(pd.Series(["01/25/2024"])) is False
    assert detect_dayfirst(pd.Series(["2024-01-25"])) is None
    with pytest.raises(InputError, match="dayfirst"):
        detect_dayfirst(pd.Series(["01/02/2024", "03/04/2024"]))


def test_missing_column_names_parameter(tmp_path):
    frame = read_export(write(tmp_path, "kode;tgl_beli;nilai\n1;12/01/2024;5\n")).frame
    with pytest.raises(InputError, match=r"columns\.customer_id"):
        resolve_columns(frame, None, TRANSACTION_ALIASES, ("customer_id", "date", "amount"), tmp_path / "x")
    mapping = resolve_columns(frame, {"customer_id": "kode", "date": "tgl_beli", "amount": "nilai"},
                              TRANSACTION_ALIASES, ("customer_id", "date", "amount"), tmp_path / "x")
    assert mapping == {"customer_id": "kode", "date": "tgl_beli", "amount": "nilai"}
    with pytest.raises(InputError, match="'Kode' .* not in the file"):
        resolve_columns(frame, {"customer_id": "Kode"}, TRANSACTION_ALIASES, ("customer_id",), tmp_path / "x")


def test_single_column_file(tmp_path):
    frame = read_export(write(tmp_path, "customer_id\n00042\n00043\n")).frame
    assert frame["customer_id"].tolist() == ["00042", "00043"]
