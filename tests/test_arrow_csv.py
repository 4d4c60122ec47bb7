"""The Arrow CSV writer gives the very bytes of the pandas writer (outputs.write_csv), hostile text included."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from crmlib.arrow_csv import write_arrow_csv
from crmlib.outputs import write_csv

HOSTILE = ["=1+1", "+62 812", "-5", "@SUM(A1)", " =cmd", "\u00a0\u3000=x", "\t=tab", "\rA", "\nB",
           "＝HYPERLINK()", "a,b", 'say "hi"', "line\r\nbreak", "cr\ronly", "plain", "", "Ünïcode ✓",
           "trailing=", "1e5", None]


def _frame(n: int = 400, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    amounts = np.concatenate([[0.1, 1e16, 1e-5, -0.0, 123456789.125, -1550464.0, np.nan, 2.5e-300],
                              np.round(rng.normal(0, 1e6, n - 8), 2) / 10.0 ** rng.integers(0, 6, n - 8)])
    text = rng.choice(np.array(HOSTILE, dtype=object), n)
    return pd.DataFrame({
        "customer_id": rng.choice(np.array(HOSTILE[:-1], dtype=object), n),
        "order_id": text,
        "date": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**8, n), unit="s")
                + pd.to_timedelta(rng.integers(0, 10**6, n), unit="us"),
        "amount": amounts,
        "quantity": np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 50, n).astype(float)),
        "is_return": rng.random(n) < 0.3,
        "line": np.arange(2, n + 2, dtype="int64"),
    })


def _pandas_bytes(frame: pd.DataFrame, path) -> bytes:
    clean = frame.copy()
    clean["date"] = clean["date"].dt.strftime("%Y-%m-%d %H:%M:%S")
    write_csv(clean, path, float_format=None)
    return path.read_bytes()


def test_same_bytes_as_the_pandas_writer_on_hostile_cells(tmp_path):
    frame = _frame()
    expected = _pandas_bytes(frame, tmp_path / "pandas.csv")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    assert write_arrow_csv(table, tmp_path / "arrow.csv").read_bytes() == expected
    assert b"'=1+1" in expected and b"'\xc2\xa0\xe3\x80\x80=x" in expected  # the check can fail


def test_blocks_and_dictionary_text_change_nothing(tmp_path, monkeypatch):
    import crmlib.arrow_csv as module

    frame = _frame(1000, seed=3)
    expected = _pandas_bytes(frame, tmp_path / "pandas.csv")
    monkeypatch.setattr(module, "_ROWS_PER_BLOCK", 77)
    table = pa.Table.from_pandas(frame.astype({"customer_id": "category"}), preserve_index=False)
    assert write_arrow_csv(table, tmp_path / "arrow.csv").read_bytes() == expected


def test_no_rows_writes_the_header_alone(tmp_path):
    frame = _frame().iloc[:0]
    expected = _pandas_bytes(frame, tmp_path / "pandas.csv")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    assert write_arrow_csv(table, tmp_path / "arrow.csv").read_bytes() == expected == \
        b"customer_id,order_id,date,amount,quantity,is_return,line\n"
