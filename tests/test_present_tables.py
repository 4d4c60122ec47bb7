"""The table presenter and the number formats it uses, against the languages' conventions (CLDR)."""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from crmlib.present.numbers import (format_count, format_date, format_idr, format_money, format_month,
                                    format_number, format_percent)
from crmlib.present.tables import infer_kind, show_table

REPRS = re.compile(r"\b(None|NaN|nan|NaT|True|False|<NA>)\b|\d[eE][+-]\d")


@pytest.mark.parametrize("function, args, expected", [
    # CLDR: English groups with "," and marks decimals with "."; Indonesian the other way round.
    (format_number, (1234567.891, 2, "en"), "1,234,567.89"),
    (format_number, (1234567.891, 2, "id"), "1.234.567,89"),
    (format_count, (6139, "en"), "6,139"),
    (format_count, (6139, "id"), "6.139"),
    (format_number, (-7960.1, 1, "id"), "-7.960,1"),
    (format_number, (2.5, 0, "en"), "3"),                 # business rounding: halves up
    (format_number, (-0.04, 1, "en"), "0.0"),             # never "-0.0"
    # CLDR percent pattern "#,##0%" in both languages: no space before the sign.
    (format_percent, (0.125, 1, "en"), "12.5%"),
    (format_percent, (0.125, 1, "id"), "12,5%"),
    (format_percent, (0.53, 0, "en"), "53%"),
    # CLDR dates, medium length.
    (format_date, ("2024-12-31", "en"), "Dec 31, 2024"),
    (format_date, ("2024-12-31", "id"), "31 Des 2024"),
    # The long style of the report covers: day, month written out, year in both languages.
    (format_date, ("2024-12-31", "en", "long"), "31 December 2024"),
    (format_date, (dt.date(2024, 8, 1), "id", "long"), "1 Agustus 2024"),
    (format_month, ("2024-08", "id"), "Agu 2024"),
    (format_month, ("2024-08", "en"), "Aug 2024"),
])
def test_numbers_follow_the_language(function, args, expected):
    assert function(*args) == expected


@pytest.mark.parametrize("value, lang, short, expected", [
    # Indonesian short forms: ribu (rb), juta (jt), miliar (M), triliun (T), as CLDR's compact forms.
    (1_250_000, "id", True, "Rp 1,3 jt"),
    (250_000, "id", True, "Rp 250 rb"),
    (210_088_020, "id", True, "Rp 210 jt"),
    (12_500_000, "id", True, "Rp 12,5 jt"),
    (2_500_000_000, "id", True, "Rp 2,5 M"),
    (1_000_000_000, "id", True, "Rp 1 M"),
    (3e12, "id", True, "Rp 3 T"),
    (950, "id", True, "Rp 950"),
    (-1_550_464, "id", True, "-Rp 1,6 jt"),
    # English short forms: K, M, B, T.
    (1_250_000, "en", True, "Rp 1.3M"),
    (2_500_000_000, "en", True, "Rp 2.5B"),
    (325_000, "en", True, "Rp 325K"),
    # Full amounts: rupiah without decimals.
    (1_250_000, "id", False, "Rp 1.250.000"),
    (210_088_020.0, "en", False, "Rp 210,088,020"),
    (-1_550_464.0, "id", False, "-Rp 1.550.464"),
])
def test_money(value, lang, short, expected):
    assert format_money(value, "IDR", lang, short) == expected


def test_other_currencies_and_the_rupiah_shortcut():
    assert format_money(12.5, "USD", "en", short=False) == "$ 12.50"
    assert format_idr(1_250_000) == "Rp 1,3 jt" and format_idr(-50_000, short=False) == "-Rp 50.000"


def test_missing_values_read_as_a_dash():
    for value in (None, float("nan"), np.nan, pd.NA, pd.NaT, float("inf")):
        assert format_number(value) == format_money(value) == format_percent(value) == "–"
    assert format_date(None) == format_date(pd.NaT, "id", style="long") == format_month(pd.NaT) == "–"


def test_an_unknown_date_style_is_refused():
    with pytest.raises(ValueError, match="medium"):
        format_date("2024-12-31", "en", style="short")


@pytest.fixture
def frame():
    return pd.DataFrame({
        "segment": ["Champions", "At risk", None],
        "programme": ["Reward them with early access to new ranges, invite them to the loyalty club "
                      "and ask them for reviews and referrals; never discount " * 2, "Win back", "x"],
        "customers": [1023, 6139, 5],
        "revenue": [210_088_020.0, -1_550_464.0, np.nan],
        "revenue_share": [0.747, 0.12, None],
        "reachable": [True, False, True],
        "spend": [2.224e5, 1865.0, 3.5],
    }, index=pd.Index([10, 11, 12], name="row"))


def test_the_table_has_no_index_and_translated_headers(frame):
    table = show_table(frame, "id", kinds={"revenue": "money", "revenue_share": "percent"},
                       headers={"segment": "Segmen", "programme": "Program", "revenue_share": "Porsi pendapatan",
                                "reachable": "Bisa dihubungi", "spend": "Belanja"})
    assert list(table.cells.columns) == ["Segmen", "Program", "Pelanggan", "Pendapatan", "Porsi pendapatan",
                                         "Bisa dihubungi", "Belanja"]
    header = re.search(r"<thead>(.*?)</thead>", table.html).group(1)
    assert header.count("<th") == 7 and "row" not in header            # the frame's index is not shown
    first_row = re.search(r"<tbody><tr>(.*?)</tr>", table.html).group(1)
    assert first_row.count("<td") == 7 and ">10<" not in first_row


def test_cells_are_formatted_for_the_language(frame):
    table = show_table(frame, "id", kinds={"revenue": "money", "revenue_share": "percent"})
    assert table.cells.iloc[:, 2].tolist() == ["1.023", "6.139", "5"]
    assert table.cells.iloc[:, 3].tolist() == ["Rp 210.088.020", "-Rp 1.550.464", "–"]
    assert table.cells.iloc[:, 4].tolist() == ["74,7%", "12,0%", "–"]
    assert table.cells.iloc[:, 5].tolist() == ["ya", "tidak", "ya"]
    assert table.cells.iloc[:, 6].tolist() == ["222.400,0", "1.865,0", "3,5"]
    english = show_table(frame, "en", kinds={"revenue": "money", "revenue_share": "percent"})
    assert english.cells.iloc[0, 2:].tolist() == ["1,023", "Rp 210,088,020", "74.7%", "yes", "222,400.0"]


def test_no_python_reprs_and_no_truncation(frame):
    table = show_table(frame, "en")
    text = re.sub(r"<[^>]+>", " ", table.html.split("</style>", 1)[1])
    assert not REPRS.search(text), REPRS.search(text)
    assert "…" not in text and "..." not in text
    assert frame.loc[10, "programme"].strip() in table.cells.iloc[0, 1]      # the whole text, not cut


def test_text_left_numbers_right(frame):
    table = show_table(frame, "en", kinds={"revenue": "money"})
    classes = re.findall(r'<th class="(\w+)"', table.html)
    assert classes == ["txt", "txt", "num", "num", "num", "txt", "num"]
    assert ".crm-table .txt{text-align:left;white-space:normal" in table.html and "nowrap" not in table.html.split(".txt")[1].split("}")[0]
    assert ".crm-table .num{text-align:right" in table.html


def test_text_is_escaped():
    table = show_table(pd.DataFrame({"name": ['<script>alert("x")</script> & co']}), "en")
    assert "<script>" not in table.html and "&lt;script&gt;" in table.html and "&amp; co" in table.html


def test_long_tables_are_capped_with_a_pointer_to_the_file():
    frame = pd.DataFrame({"customer_id": [f"C{i:04d}" for i in range(1234)], "revenue": np.arange(1234.0)})
    table = show_table(frame, "id", max_rows=10, more_in="segments.xlsx")
    assert len(table.cells) == 10 and table.hidden_rows == 1224
    assert "dan 1.224 baris lainnya di segments.xlsx" in table.html
    assert "and 1,224 more rows in segments.xlsx" in show_table(frame, "en", max_rows=10,
                                                                 more_in="segments.xlsx").html
    assert "and 1,224 more rows" in show_table(frame, "en", max_rows=10).html
    assert show_table(frame, "en", max_rows=None).hidden_rows == 0


def test_kinds_are_inferred_and_checked():
    assert infer_kind(pd.Series([1, 2])) == "count"
    assert infer_kind(pd.Series([1.0, np.nan])) == "count"
    assert infer_kind(pd.Series([1.5])) == "number"
    assert infer_kind(pd.Series([True])) == "yesno"
    assert infer_kind(pd.to_datetime(pd.Series(["2024-01-02"]))) == "date"
    assert infer_kind(pd.Series(["a"])) == "text"
    with pytest.raises(KeyError, match="no column"):
        show_table(pd.DataFrame({"a": [1]}), "en", kinds={"b": "money"})
    with pytest.raises(ValueError, match="kind"):
        show_table(pd.DataFrame({"a": [1]}), "en", kinds={"a": "euros"})
    with pytest.raises(ValueError, match="lang"):
        show_table(pd.DataFrame({"a": [1]}), "fr")


def test_dates_and_months():
    frame = pd.DataFrame({"day": pd.to_datetime(["2024-12-31", None]), "month": ["2024-08", "2024-09"]})
    table = show_table(frame, "id", kinds={"month": "month"})
    assert table.cells.iloc[:, 0].tolist() == ["31 Des 2024", "–"]
    assert table.cells.iloc[:, 1].tolist() == ["Agu 2024", "Sep 2024"]


def test_parameters_table_shows_file_names_and_words():
    from crmlib.present.tables import parameters_table
    namespace = {"transactions": "/home/someone/data/sample/transactions.csv", "customers": None,
                 "lang": "id", "validation_rules": {}, "active_window_days": 90, "output_dir": "/tmp/x",
                 "columns": {"date": "Tanggal"}}
    table = parameters_table(namespace, "01_data_profiling", "id")
    shown = dict(zip(table.cells.iloc[:, 0], table.cells.iloc[:, 1]))
    assert shown["transactions"] == "transactions.csv"          # no machine path
    assert shown["customers"] == "–" and shown["validation_rules"] == "–"
    assert shown["columns"] == "date: Tanggal" and shown["active_window_days"] == "90"
    assert "output_dir" not in shown and not REPRS.search(" ".join(shown.values()))


@pytest.mark.parametrize("lang, as_of, earlier", [("en", "Dec 31, 2024", "Jun 30, 2024"),
                                                  ("id", "31 Des 2024", "30 Jun 2024")])
def test_parameters_table_writes_dates_as_the_language_does(lang, as_of, earlier):
    from crmlib.present.tables import parameters_table
    namespace = {"as_of_date": "2024-12-31", "earlier_date": "2024-06-30", "run_name": "2024-12-31"}
    shown = dict(zip(*parameters_table(namespace, "02_rfm_segmentation", lang).cells.T.to_numpy()))
    assert (shown["as_of_date"], shown["earlier_date"]) == (as_of, earlier)
    assert shown["run_name"] == "2024-12-31"                   # a name, not a date parameter
    cutoffs = parameters_table({"churn_cutoffs": ["2024-01-06", "2024-10-02"], "calibration_end": None},
                               "04_churn_prediction", lang).cells
    shown = dict(zip(*cutoffs.T.to_numpy()))
    assert shown["churn_cutoffs"] == {"en": "Jan 6, 2024; Oct 2, 2024", "id": "6 Jan 2024; 2 Okt 2024"}[lang]
    assert shown["calibration_end"] == "–"


def test_narrative_numbers_sections_and_escapes_text():
    from crmlib.present.narrative import appendix, section, so_what
    assert section(2, "Champions hold 53% of revenue", "Intro.").data == "## 2. Champions hold 53% of revenue\n\nIntro."
    assert so_what("read it <script>").data == "> Read it &lt;script&gt;"
    assert appendix("id").data == "## Lampiran teknis"


def test_a_table_of_many_columns_is_marked_to_print_smaller():
    """A segment matrix (12 columns) carries the class the print stylesheet sets in smaller type."""
    from crmlib.present.report import STYLESHEET
    from crmlib.present.tables import WIDE_COLUMNS, show_table

    narrow = pd.DataFrame({f"c{i}": [i] for i in range(WIDE_COLUMNS)})
    wide = pd.DataFrame({f"c{i}": [i] for i in range(WIDE_COLUMNS + 4)})
    assert "crm-table-wide" not in show_table(narrow, "en")._repr_html_()
    assert 'class="crm-table crm-table-wide"' in show_table(wide, "en")._repr_html_()
    assert "table.crm-table-wide" in STYLESHEET.read_text(encoding="utf-8")
