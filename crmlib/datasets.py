"""Loaders for the shared public reference datasets (CDNOW, UCI Online Retail).

The files are read in place from :func:`crmlib.paths.shared_dataset`; they are never
copied into the project. Set ``$CRM_DATASETS_DIR`` to read them from another folder.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from crmlib.paths import DATASETS_ENV, shared_dataset

CDNOW_FILES = {"sample": "CDNOW_sample.txt", "master": "CDNOW_master.txt"}
ONLINE_RETAIL_FILE = ("online_retail", "online_retail.csv.gz")

#: Columns of the canonical transactions frame returned by the loaders.
TRANSACTION_COLUMNS = ["customer_id", "date", "amount", "quantity"]


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(
            f"Reference dataset not found: {path}. The shared datasets are read from "
            f"'../shared/datasets' beside the project root; set the environment variable "
            f"{DATASETS_ENV} to the folder that holds them."
        )
    return path


def load_cdnow(which: str = "sample") -> pd.DataFrame:
    """CDNOW transactions as a canonical frame: customer_id (str), date, amount, quantity.

    ``which="sample"`` reads the 1/10th sample (2,357 customers). Its file has two id columns:
    column 1 is the customer's id in the master file (``"00004"``), column 2 the id in the
    sample (``"0001"`` … ``"2357"``). ``customer_id`` is the sample id, as in the BTYD
    walkthrough (``cust.idx = 2``) and lifetimes (``id_sample``); ``master_id`` keeps column 1,
    so a sample customer can be found in the master file. ``which="master"`` reads all 23,570
    customers (5-digit ids). One row per transaction line, in file order: several lines can
    share a customer and a day (the papers merge them into one purchase, see ``crmlib.ltv``).
    """
    if which not in CDNOW_FILES:
        raise ValueError(f"which must be one of {sorted(CDNOW_FILES)}, got {which!r}")
    path = _existing(shared_dataset("cdnow", CDNOW_FILES[which]))
    if which == "sample":
        names = ["master_id", "customer_id", "date", "quantity", "amount"]
        raw = pd.read_csv(path, sep=r"\s+", header=None, names=names,
                          dtype={"master_id": str, "customer_id": str, "date": str})
    else:
        raw = pd.read_csv(path, sep=r"\s+", header=0,
                          dtype={"customer_id": str, "date": str})
        raw = raw.rename(columns={"number_of_cds": "quantity", "dollar_value": "amount"})
    frame = pd.DataFrame({
        "customer_id": raw["customer_id"].astype(str),
        "date": pd.to_datetime(raw["date"], format="%Y%m%d"),
        "amount": raw["amount"].astype(float),
        "quantity": raw["quantity"].astype("int64"),
    })
    if which == "sample":
        frame["master_id"] = raw["master_id"].astype(str)
    return frame


def load_online_retail() -> pd.DataFrame:
    """The raw UCI Online Retail frame (541,909 lines, 8 columns), uncleaned.

    CustomerID is a string without the trailing ``".0"`` that a float round-trip adds;
    missing ids stay missing. InvoiceDate is parsed to datetime64.
    """
    path = _existing(shared_dataset(*ONLINE_RETAIL_FILE))
    frame = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    frame["CustomerID"] = frame["CustomerID"].str.replace(r"\.0$", "", regex=True)
    frame["InvoiceDate"] = pd.to_datetime(frame["InvoiceDate"])
    return frame
