"""Loaders of the shared reference datasets (skipped when the folder is absent)."""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import require_dataset
from crmlib import datasets
from crmlib.paths import DATASETS_ENV


def test_cdnow_sample_canonical_frame():
    require_dataset("cdnow", "CDNOW_sample.txt")
    frame = datasets.load_cdnow("sample")
    assert list(frame.columns) == datasets.TRANSACTION_COLUMNS
    assert len(frame) == 6919
    assert frame["customer_id"].nunique() == 2357
    assert frame["customer_id"].map(type).eq(str).all()
    assert frame["customer_id"].iloc[0] == "00004"  # leading zeros kept
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    assert frame["date"].min() == pd.Timestamp("1997-01-01")
    assert frame["date"].max() <= pd.Timestamp("1998-06-30")
    assert frame["amount"].dtype == float and frame["quantity"].dtype.kind == "i"
    first = frame.iloc[0]
    assert (first["date"], first["quantity"], first["amount"]) == (pd.Timestamp("1997-01-01"), 2, 29.33)


def test_cdnow_master_canonical_frame():
    require_dataset("cdnow", "CDNOW_master.txt")
    frame = datasets.load_cdnow("master")
    assert list(frame.columns) == datasets.TRANSACTION_COLUMNS
    assert len(frame) == 69659
    assert frame["customer_id"].nunique() == 23570
    assert frame["customer_id"].str.fullmatch(r"\d{5}").all()
    assert frame["customer_id"].iloc[0] == "00001"


def test_cdnow_rejects_unknown_file():
    with pytest.raises(ValueError, match="sample"):
        datasets.load_cdnow("full")


def test_online_retail_raw_frame():
    require_dataset(*datasets.ONLINE_RETAIL_FILE)
    frame = datasets.load_online_retail()
    assert list(frame.columns) == ["InvoiceNo", "StockCode", "Description", "Quantity",
                                   "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
    assert len(frame) == 541909
    assert frame["CustomerID"].isna().sum() == 135080
    ids = frame["CustomerID"].dropna()
    assert ids.nunique() == 4372
    assert not ids.str.endswith(".0").any() and ids.str.fullmatch(r"\d+").all()
    assert pd.api.types.is_datetime64_any_dtype(frame["InvoiceDate"])


def test_missing_folder_names_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(DATASETS_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match=DATASETS_ENV):
        datasets.load_cdnow("sample")
    with pytest.raises(FileNotFoundError, match=DATASETS_ENV):
        datasets.load_online_retail()
