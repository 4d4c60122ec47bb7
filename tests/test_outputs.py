"""What leaves the workbook is safe to open: no live formula in any CSV/XLSX (OWASP CSV injection),
numbers stay numbers, and every JSON is valid JSON."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from crmlib.outputs import ReportOutput, dumps, neutralise, neutralise_frame
from crmlib.validate import load_transactions, write_validation

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"click\")", "=cmd|' /C calc'!A0", "+62 812 000", "-2+3",
           "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "  =1+1", "\u00a0=1+1", "\uff1d1+1", "\n@x"]
HARMLESS = ["Budi Santoso", "Jakarta", "e-mail", "a=b", "C-001", "", "100"]


def _looks_like_formula(text: str) -> bool:
    """What Excel / LibreOffice evaluate: a cell starting with = + - @ (maybe after spaces) or a tab/CR,
    other than a plain number such as -500.0."""
    try:
        float(text)
        return False
    except ValueError:
        pass
    return bool(text) and (text[0] in "\t\r\n" or text.lstrip()[:1] in ("=", "+", "-", "@", "＝", "＋", "－", "＠"))


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_starts_like_a_formula_gets_a_quote(text):
    assert neutralise(text) == "'" + text and not _looks_like_formula(neutralise(text))


@pytest.mark.parametrize("value", HARMLESS + [-5, 3.5, None, np.int64(-7)])
def test_other_values_are_unchanged(value):
    assert neutralise(value) is value or neutralise(value) == value


def _hostile_frame() -> pd.DataFrame:
    n = len(HOSTILE)
    return pd.DataFrame({
        "customer_id": HOSTILE,
        "name": HOSTILE[::-1],
        "city": pd.Categorical(HOSTILE),
        "category": pd.array(HOSTILE, dtype="string"),
        "spend": np.linspace(-500.0, 500.0, n),  # negative numbers stay numbers
        "orders": np.arange(-3, n - 3),
        "=HYPERLINK(\"x\")": ["ok"] * n,         # a hostile column header, e.g. from a customers file
    })


def test_csv_tables_hold_no_formula_and_keep_numbers(tmp_path):
    frame = _hostile_frame()
    path = ReportOutput(tmp_path).table(frame, "campaign_list")
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert not any(_looks_like_formula(cell) for row in rows for cell in row)
    assert header[-1] == "'=HYPERLINK(\"x\")"
    assert [float(r[header.index("spend")]) for r in body] == pytest.approx(frame["spend"].tolist())
    assert [int(r[header.index("orders")]) for r in body] == frame["orders"].tolist()
    # readable, just quoted; a CR inside a cell is written as a (quoted) line feed
    assert [r[0] for r in body] == ["'" + text.replace("\r", "\n") for text in HOSTILE]
    assert frame["customer_id"].tolist() == HOSTILE  # the caller's frame is untouched


def test_xlsx_sheets_hold_no_formula_and_keep_numbers(tmp_path):
    frame = _hostile_frame()
    path = ReportOutput(tmp_path).excel({"WhatsApp": frame, "email": frame.head(2)}, "campaign_lists")
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value}"
                if isinstance(cell.value, str):
                    assert not _looks_like_formula(cell.value), cell.value
    sheet = book["WhatsApp"]
    header = [c.value for c in sheet[1]]
    spend = [row[header.index("spend")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(v, (int, float)) for v in spend) and spend[0] == -500.0  # numbers, not text


def test_the_validation_files_are_neutralised(tmp_path):
    export = tmp_path / "export.csv"
    lines = ["customer_id;date;amount;category"]
    lines += [f"{text.strip()};2024-01-{i + 1:02d};{100 + i};{text.strip()}" for i, text in enumerate(HOSTILE[:5])]
    lines += ["=BAD;not a date;10;x"]  # quarantined: its original values go to rejected_rows.csv
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = load_transactions(export, decimal=".", dayfirst=False)
    written = write_validation(result, tmp_path / "validation")
    for name in ("clean", "rejected"):
        with open(written[name], encoding="utf-8", newline="") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        assert not any(_looks_like_formula(cell) for cell in cells), name
    rejected = written["rejected"].read_text(encoding="utf-8")
    assert "'=BAD" in rejected
    clean = pd.read_csv(written["clean"])
    assert clean["amount"].dtype.kind == "f" or clean["amount"].dtype.kind == "i"


def _strict_json(text: str):
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_json_is_always_valid_json(tmp_path):
    values = {"inf": float("inf"), "nan": np.float64("nan"), "array": np.array([1.0, np.inf]),
              "path": Path("/home/someone/run/03/results.json"), "when": pd.Timestamp("2024-12-31"),
              "nested": [{"x": -np.inf}]}
    parsed = _strict_json(dumps(values))
    assert parsed == {"inf": None, "nan": None, "array": [1.0, None], "path": "results.json",
                      "when": "2024-12-31", "nested": [{"x": None}]}
    out = ReportOutput(tmp_path)
    assert out.results(values) is None  # nothing for a notebook cell to display (no machine path)
    assert _strict_json((tmp_path / "results.json").read_text(encoding="utf-8"))["inf"] is None


def test_neutralise_frame_keeps_index_and_dtypes():
    frame = pd.DataFrame({"n": [1, 2]}, index=pd.Index(["=a", "b"], name="segment"))
    out = neutralise_frame(frame)
    assert out.index.tolist() == ["'=a", "b"] and out.index.name == "segment"
    assert out["n"].dtype == frame["n"].dtype
    assert math.isclose(neutralise_frame(pd.DataFrame({"x": [1.5]}))["x"].iloc[0], 1.5)


def test_xlsx_written_twice_is_the_same_file(tmp_path):
    import time

    import openpyxl

    from crmlib.outputs import PACKAGE_DATE, ReportOutput

    frame = pd.DataFrame({"customer_id": ["007", "008"], "amount": [1.5, 2.0]})
    first = ReportOutput(tmp_path / "a").excel({"Champions": frame}, "lists").read_bytes()
    time.sleep(1.1)  # the zip format dates entries to 2 s, openpyxl stamps "modified" to 1 s
    second = ReportOutput(tmp_path / "b").excel({"Champions": frame}, "lists").read_bytes()
    assert first == second
    book = openpyxl.load_workbook(tmp_path / "b" / "lists.xlsx")
    assert book.properties.modified == PACKAGE_DATE and book["Champions"]["A2"].value == "007"
