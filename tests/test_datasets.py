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
    assert list(frame.columns) == datasets.TRANSACTION_COLUMNS + ["master_id"]
    assert len(frame) == 6919
    assert frame["customer_id"].nunique() == 2357 == frame["master_id"].nunique()
    assert frame["customer_id"].map(type).eq(str).all()
    # Hardie's read-me: column 1 the id in the master file, column 2 the id in the sample (1-2357)
    assert (frame["customer_id"].iloc[0], frame["master_id"].iloc[0]) == ("0001", "00004")  # zeros kept
    assert frame["customer_id"].astype(int).between(1, 2357).all()
    assert frame["master_id"].astype(int).max() == 23569
    assert frame.groupby("customer_id")["master_id"].nunique().eq(1).all()
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


def test_cdnow_sample_customers_are_the_master_file_customers():
    """Ground truth: each sample customer's lines are the master file's lines of its master id."""
    require_dataset("cdnow", "CDNOW_sample.txt")
    require_dataset("cdnow", "CDNOW_master.txt")
    sample, master = datasets.load_cdnow("sample"), datasets.load_cdnow("master")
    in_master = master[master["customer_id"].isin(sample["master_id"])]
    ours = sample.rename(columns={"customer_id": "sample_id", "master_id": "customer_id"})
    key = ["customer_id", "date", "amount", "quantity"]
    pd.testing.assert_frame_equal(ours[key].sort_values(key).reset_index(drop=True),
                                  in_master[key].sort_values(key).reset_index(drop=True))


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
