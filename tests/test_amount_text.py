"""The Arrow path of the amount parsers equals the pandas one (Python regular expressions)."""
import numpy as np
import pandas as pd
import pytest

from crmlib import io

# characters where Python's and RE2's regular expressions could part: white space RE2's \s lacks
# (\v, \x1c-\x1f), case, brackets, currency words, marks, exponents
_ALPHABET = list("0123456789.,-+()$eEiInNfF ") + ["\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1f",
                                                 "Rp", "rP", "IDR", "usd", "US$", "eur", "GBP", "x"]


def _hostile_texts(n: int, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    texts = ["".join(rng.choice(_ALPHABET, size=rng.integers(0, 9))) for _ in range(n)]
    texts += ["Rp 1.250.000,00", " rp.-5", "-Rp 10", "(1.250,50)", "(12)", "\x1c12\x1f", "1e5", "+inf",
              "-INF", "IDR\x0b7", ".5", "5.", "1,234.56", "Rp 1.250.000", "", "  ", "usd$3", "US$ 4"]
    return pd.Series(texts, dtype=object)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_strip_currency_arrow_equals_python(seed):
    texts = _hostile_texts(3000, seed)
    assert io.strip_currency(texts).tolist() == io._strip_currency_python(texts).tolist()


@pytest.mark.parametrize("decimal", [",", ".", None])
@pytest.mark.parametrize("seed", [0, 1])
def test_amounts_arrow_equal_python(decimal, seed):
    texts = _hostile_texts(3000, seed)
    expected = pd.to_numeric(io._number_text_python(texts, decimal), errors="coerce").to_numpy(float)
    got = io.parse_amounts(texts, decimal).to_numpy(float)
    np.testing.assert_array_equal(got, expected)
    assert np.isfinite(got).sum() > 200  # the texts include many numbers, not only refusals


def test_non_ascii_texts_take_the_python_path():
    # non-breaking and ideographic spaces, Arabic-Indic digits and the euro sign: Python's rules
    texts = pd.Series(["Rp\u00a01.250,00", "€ 12,50", "\u0661\u0662", "1\u30002,5", "Rp 7,00"], dtype=object)
    got = io.parse_amounts(texts, ",").to_numpy(float)
    expected = pd.to_numeric(io._number_text_python(texts, ","), errors="coerce").to_numpy(float)
    np.testing.assert_array_equal(got, expected)
    assert got[0] == 1250.0 and got[1] == 12.5 and got[4] == 7.0
