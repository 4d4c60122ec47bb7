"""A corpus of malformed exports, each generated here: a clear error (what, where, what to do,
exit 2) or a run where every row is kept or quarantined with its reason."""
from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from crmlib.cli import main
from crmlib.i18n import t
from crmlib.io import DATE_YEARS, InputError, read_export
from crmlib.profile.quality import QUARANTINE_CHECKS, THRESHOLDS
from crmlib.validate import (BAD_DATE, DATE_OUT_OF_RANGE, IMPLAUSIBLE, MAX_ABS_AMOUNT, NON_FINITE, REASONS,
                             load_transactions, write_validation)

HEADER = "ID Pelanggan;Nama;Tanggal;Total (Rp)\n"


def write(tmp_path, data: bytes, name="export.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def reconciles(report: dict) -> bool:
    return report["rows_in"] == report["rows_kept"] + report["rows_rejected"]


def strict_json(text: str) -> dict:
    """json.loads that refuses NaN / Infinity, which are not JSON."""
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")
    return json.loads(text, parse_constant=refuse)


# --- encodings ------------------------------------------------------------------------------

LATIN1 = HEADER + "001;Muñoz Peña;12/01/2024;5,00\n002;Chloé Brontë;13/01/2024;6,00\n"


def test_latin1_export_is_decoded_and_the_encoding_recorded(tmp_path):
    path = write(tmp_path, LATIN1.encode("latin-1"))
    result = load_transactions(path)
    assert reconciles(result.report) and result.report["rows_kept"] == 2
    assert result.report["encoding"] == "cp1252"
    assert read_export(path).frame["Nama"].tolist() == ["Muñoz Peña", "Chloé Brontë"]


def test_latin1_byte_after_the_sample_still_reads(tmp_path):
    """The first 64 KB are plain ASCII; the first Latin-1 byte comes near the end of the file."""
    rows = "".join(f"{i:05d};Budi;12/01/2024;5,00\n" for i in range(4000))
    path = write(tmp_path, (HEADER + rows).encode("ascii") + "99999;Gonçalves;13/01/2024;6,00\n".encode("latin-1"))
    result = load_transactions(path)
    assert result.report["rows_kept"] == 4001 and result.report["encoding"] == "cp1252"


def test_utf8_is_default_and_utf16_with_bom_reads(tmp_path):
    utf8 = load_transactions(write(tmp_path, LATIN1.encode("utf-8"), "u8.csv"))
    assert utf8.report["encoding"] == "utf-8"
    tab = LATIN1.replace(";", "\t")
    utf16 = load_transactions(write(tmp_path, tab.encode("utf-16"), "u16.txt"))  # Excel "Unicode Text"
    assert utf16.report["encoding"] == "utf-16" and utf16.report["rows_kept"] == 2


def test_wrong_or_unknown_encoding_parameter_is_a_clear_error(tmp_path):
    path = write(tmp_path, LATIN1.encode("latin-1"))
    with pytest.raises(InputError, match=r"export\.csv: the file is not utf-8 text.*`encoding`"):
        load_transactions(path, encoding="utf-8")
    with pytest.raises(InputError, match=r"'klingon' is not a known text encoding"):
        load_transactions(path, encoding="klingon")
    assert load_transactions(path, encoding="latin-1").report["encoding"] == "iso8859-1"


# --- binary files ---------------------------------------------------------------------------

def test_binary_file_renamed_csv_is_a_clear_error(tmp_path):
    noise = bytes((i * 37 + 11) % 256 for i in range(5000))
    with pytest.raises(InputError, match=r"noise\.csv: this is a binary file, not a text CSV.*export"):
        read_export(write(tmp_path, noise, "noise.csv"))
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    with pytest.raises(InputError, match="binary file"):
        read_export(write(tmp_path, png, "chart.csv"))


def test_workbook_renamed_csv_says_so(tmp_path):
    pd.DataFrame({"customer_id": ["1"], "amount": ["5"]}).to_excel(tmp_path / "book.xlsx", index=False)
    renamed = write(tmp_path, (tmp_path / "book.xlsx").read_bytes(), "book.csv")
    with pytest.raises(InputError, match=r"book\.csv: this is not a text CSV but an Excel workbook.*\.xlsx"):
        read_export(renamed)


# --- whole columns unusable -----------------------------------------------------------------

def test_every_amount_text_is_an_error_naming_the_column(tmp_path):
    path = write(tmp_path, (HEADER + "001;A;12/01/2024;lima ribu\n002;B;13/01/2024;enam\n").encode())
    with pytest.raises(InputError, match=r"column 'Total \(Rp\)' is text, not a number, on every row "
                                         r"\(lines 2, 3; values 'lima ribu', 'enam'\).*columns\.amount"):
        load_transactions(path)


def test_every_customer_id_blank_is_an_error(tmp_path):
    path = write(tmp_path, (HEADER + ";A;12/01/2024;5,00\n  ;B;13/01/2024;6,00\n\n").encode())
    with pytest.raises(InputError, match=r"column 'ID Pelanggan' is blank on every row \(lines 2, 3\)"
                                         r".*columns\.customer_id"):
        load_transactions(path)


def test_every_date_unreadable_and_every_row_rejected_are_errors(tmp_path):
    path = write(tmp_path, (HEADER + "001;A;kemarin;5,00\n002;B;besok;6,00\n").encode())
    with pytest.raises(InputError, match=r"column 'Tanggal' holds no date.*dayfirst"):
        load_transactions(path)
    future = write(tmp_path, (HEADER + "001;A;12/01/2030;5,00\n002;B;13/01/2030;6,00\n").encode(), "f.csv")
    with pytest.raises(InputError, match=r"every row is rejected \(most as 'future date' \(is `as_of_date` "
                                         r"2024-12-31 right\?\)\), lines 2, 3"):
        load_transactions(future, as_of_date="2024-12-31")


def test_cli_exits_2_with_the_message_not_a_traceback(tmp_path, capsys):
    path = write(tmp_path, bytes(range(256)) * 10, "noise.csv")
    assert main(["validate", str(path), "--out", str(tmp_path / "out")]) == 2
    stderr = capsys.readouterr().err
    assert "noise.csv: this is a binary file" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "out").exists()


# --- quoted multi-line fields ---------------------------------------------------------------

def test_quoted_multiline_fields_parse_with_original_line_numbers(tmp_path):
    text = ('customer_id,date,amount,note\n'
            '001,2024-01-12,5,"first line\nsecond line"\n'       # lines 2-3
            '002,2024-01-13,6,plain\n'                            # line 4
            '003,2024-01-14,n/a,"a\r\nb\nc, with comma"\n'        # lines 5-7
            '004,2024-01-15,7,"said ""hi""\n"\n')                 # lines 8-9
    result = load_transactions(write(tmp_path, text.encode()))
    assert reconciles(result.report) and result.report["rows_in"] == 4
    assert result.transactions["line"].tolist() == [2, 4, 8]
    assert result.rejected[["line", "reason"]].values.tolist() == [[5, "unparseable amount"]]
    assert result.rejected["note"].tolist() == ["a\r\nb\nc, with comma"]


def test_multiline_fields_in_a_semicolon_export_with_crlf(tmp_path):
    text = HEADER + '001;"Siti\r\nAminah";12/01/2024;5,00\r\n002;Budi;13/01/2024;n/a\r\n'
    result = load_transactions(write(tmp_path, text.encode("utf-8-sig")))
    assert result.report["delimiter"] == ";"
    assert result.rejected["line"].tolist() == [4] and result.transactions["line"].tolist() == [2]


# --- implausible amounts and out-of-range dates ---------------------------------------------

def test_1e308_amounts_are_quarantined_and_the_json_stays_valid(tmp_path):
    lines = ["001;A;12/01/2024;1e308", "002;B;12/01/2024;1e308", "003;C;13/01/2024;-1e16",
             "004;D;13/01/2024;inf", f"005;E;14/01/2024;{MAX_ABS_AMOUNT:.0f}", "006;F;14/01/2024;5"]
    path = write(tmp_path, (HEADER + "\n".join(lines) + "\n").encode())
    result = load_transactions(path, decimal=".")
    report = result.report
    assert reconciles(report)
    assert report["rejected_by_reason"] == {NON_FINITE: 1, IMPLAUSIBLE: 3}
    assert result.rejected.loc[result.rejected["reason"] == IMPLAUSIBLE, "line"].tolist() == [2, 3, 4]
    assert report["amount_kept"] == MAX_ABS_AMOUNT + 5  # the bound itself is plausible
    assert all(math.isfinite(report[k]) for k in ("amount_kept", "amount_rejected_parseable"))
    written = write_validation(result, tmp_path / "out")
    assert strict_json(written["validation"].read_text(encoding="utf-8"))["rows_in"] == 6


def test_years_9999_and_0001_are_out_of_range_not_unparseable(tmp_path):
    lines = ["001;A;31/12/9999;5,00", "002;B;01/01/0001;5,00", "003;C;31/12/1899;5,00",
             "004;D;01/01/2200;5,00", "005;E;31/02/2024;5,00", "006;F;01/01/1900;5,00",
             "007;G;31/12/2199;5,00", "008;H;12/01/2024;5,00"]
    result = load_transactions(write(tmp_path, (HEADER + "\n".join(lines) + "\n").encode()), dayfirst=True)
    by_line = dict(zip(result.rejected["line"], result.rejected["reason"]))
    assert by_line == {2: DATE_OUT_OF_RANGE, 3: DATE_OUT_OF_RANGE, 4: DATE_OUT_OF_RANGE,
                       5: DATE_OUT_OF_RANGE, 6: BAD_DATE}
    assert result.transactions["line"].tolist() == [7, 9, 8]  # sorted by date: 1900, 2024, 2199
    assert DATE_YEARS == (1900, 2199)
    iso = write(tmp_path, b"customer_id,date,amount\n1,9999-12-31,5\n2,0001-01-01,5\n3,2024-01-01,5\n", "iso.csv")
    assert load_transactions(iso).report["rejected_by_reason"] == {DATE_OUT_OF_RANGE: 2}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_every_reason_is_labelled_and_has_a_quality_check(lang):
    for reason in REASONS:
        label = t(reason, lang)
        assert label and label != reason or lang == "en"
        assert QUARANTINE_CHECKS[reason] in THRESHOLDS
        check = f"profile_check_{QUARANTINE_CHECKS[reason]}"
        assert t(check, lang) != check
    assert "1900" in t(DATE_OUT_OF_RANGE, lang) and "10^15" in t(IMPLAUSIBLE, lang)
