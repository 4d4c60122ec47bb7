"""Notebook 02 end to end on the sample: results.json and the exports against figures computed here.

The reference figures are recomputed from the validated sample with pandas (purchase days,
net spend, first purchase, spend ranks); only the score → segment step reuses the package's
tested lower-level functions (``rfm_scores``, ``assign_segments``) on that pandas summary.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from crmlib import paths, rfm
from crmlib.data import load_data
from crmlib.params import load_params

pytestmark = pytest.mark.slow

NAME = "02_rfm_segmentation"
EARLIER = "2024-06-30"   # the notebook's default earlier_date


@pytest.fixture(scope="module")
def run(sample_run):
    params = load_params(paths.PROJECT_ROOT / "params" / "sample.yaml")
    assert sample_run.ok, sample_run.notebooks
    folder = sample_run.run_dir / NAME
    data = load_data(paths.PROJECT_ROOT / params["transactions"], paths.PROJECT_ROOT / params["customers"],
                     columns=params["columns"], dayfirst=params["dayfirst"], decimal=params["decimal"],
                     as_of_date=params["as_of_date"])
    return {"params": params, "folder": folder, "data": data,
            "results": json.loads((folder / "results.json").read_text(encoding="utf-8"))}


def pandas_summary(transactions: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """Customer summary from the definitions, with plain pandas."""
    end = pd.Timestamp(as_of)
    tx = transactions[transactions["date"].dt.normalize() <= end]
    daily = tx.groupby(["customer_id", tx["date"].dt.normalize().rename("day")])["amount"].sum().reset_index()
    buys = daily[daily["amount"] > 0].groupby("customer_id")
    out = pd.DataFrame({"first": buys["day"].min(), "last": buys["day"].max(), "frequency": buys.size()})
    out["orders"] = tx[tx["amount"] > 0].groupby("customer_id")["order_id"].nunique().reindex(out.index)
    out["monetary_total"] = daily.groupby("customer_id")["amount"].sum().reindex(out.index)
    out["monetary_mean"] = out["monetary_total"] / out["frequency"]
    out["recency_days"] = (end - out["last"]).dt.days
    return out.sort_index().reset_index()


def reference_segments(transactions, as_of):
    summary = pandas_summary(transactions, as_of)
    return summary, rfm.assign_segments(rfm.rfm_scores(summary), rfm.load_segment_rules())


def test_results_keys_and_headcount(run):
    results, data = run["results"], run["data"]
    for key in ("as_of_date", "n_customers", "segments", "tiers", "migration_matrix"):
        assert key in results
    assert results["as_of_date"] == "2024-12-31"
    summary = pandas_summary(data.transactions, "2024-12-31")
    assert results["n_customers"] == len(summary)
    assert sum(s["customers"] for s in results["segments"].values()) == len(summary)
    total = summary["monetary_total"].sum()
    assert sum(s["revenue"] for s in results["segments"].values()) == pytest.approx(total)
    assert sum(s["revenue_share"] for s in results["segments"].values()) == pytest.approx(1)


def test_segments_match_reference(run):
    _, table = reference_segments(run["data"].transactions, "2024-12-31")
    rules = rfm.load_segment_rules()
    counts = table["segment"].value_counts()
    revenue = table.groupby("segment")["revenue"].sum()
    assert set(run["results"]["segments"]) == set(rules.names)
    for name, got in run["results"]["segments"].items():
        assert got["customers"] == counts.get(name, 0), name
        assert got["revenue"] == pytest.approx(revenue.get(name, 0.0)), name
        assert got["r_of_4r"] == rules[name].r_of_4r
    exported = pd.read_csv(run["folder"] / "customer_segments.csv", dtype={"customer_id": str})
    merged = exported.merge(table[["customer_id", "segment"]], on="customer_id", suffixes=("", "_ref"))
    assert len(merged) == len(table) and (merged["segment"] == merged["segment_ref"]).all()


def test_tiers_by_spend_rank(run):
    summary = pandas_summary(run["data"].transactions, "2024-12-31")
    spend = summary["monetary_total"].to_numpy()
    n = len(spend)
    above = np.array([(spend > s).sum() for s in spend])      # customers who spent strictly more
    platinum, gold = above / n < 0.05, (above / n >= 0.05) & (above / n < 0.20)
    tiers = run["results"]["tiers"]
    assert tiers["Platinum"]["customers"] == platinum.sum()
    assert tiers["Gold"]["customers"] == gold.sum()
    assert tiers["Regular"]["customers"] == n - platinum.sum() - gold.sum()
    assert tiers["Platinum"]["revenue_share"] == pytest.approx(spend[platinum].sum() / spend.sum())


def test_migration_matrix_margins(run):
    tx = run["data"].transactions
    _, before = reference_segments(tx, EARLIER)
    _, now = reference_segments(tx, "2024-12-31")
    matrix = pd.DataFrame(run["results"]["migration_matrix"]).T     # rows: before, columns: now
    assert matrix.to_numpy().sum() == len(now)
    assert matrix.loc[rfm.NOT_YET].sum() == len(now) - len(before)  # first purchase after EARLIER
    rows = matrix.drop(index=rfm.NOT_YET).sum(axis=1)
    assert rows.to_dict() == before["segment"].value_counts().reindex(rows.index, fill_value=0).to_dict()
    cols = matrix.sum(axis=0)
    assert cols.to_dict() == now["segment"].value_counts().reindex(cols.index, fill_value=0).to_dict()
    # customers who stayed Champions, by hand
    both = before.merge(now, on="customer_id", suffixes=("_b", "_n"))
    stayed = ((both["segment_b"] == "Champions") & (both["segment_n"] == "Champions")).sum()
    assert matrix.loc["Champions", "Champions"] == stayed
    slipping = pd.read_csv(run["folder"] / "slipping_high_value.csv", dtype={"customer_id": str})
    assert len(slipping) == run["results"]["slipping_high_value"] > 0
    assert set(slipping["segment_before"]) <= {"Champions", "Loyal", "Can't Lose Them"}


def test_campaign_lists_hold_only_reachable_customers(run):
    lists = pd.read_csv(run["folder"] / "campaign_lists.csv", dtype=str)
    counts = run["results"]["campaign_counts"]
    assert len(lists) == sum(c["whatsapp"] + c["sms"] + c["email"] for c in counts.values())
    # CSV cells starting with "+" carry a leading "'" so a spreadsheet never runs them as a formula
    phones = lists.loc[lists["channel"].isin(["whatsapp", "sms"]), "phone"]
    assert phones.str.match(r"^'\+62\d{8,13}$").all()
    assert lists.loc[lists["channel"] == "email", "email"].str.contains("@").all()
    customers = run["data"].customers.set_index("customer_id")
    assert set(lists["customer_id"]) <= set(customers.index)
    sheets = pd.ExcelFile(run["folder"] / "campaign_lists.xlsx").sheet_names
    reachable = [name for name, c in counts.items() if c["reachable"] > 0]
    assert sorted(sheets) == sorted(reachable)
