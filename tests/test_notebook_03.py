"""Notebook 03 end to end on the sample: results.json against figures computed here.

The figures are recomputed from the sample independently of the notebook: the summary with
pandas from the validated transactions, revenue shares from ``clusters.csv``, the ARI with
scikit-learn against the RFM segments, and the saved model's assignments of the customers.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from crmlib import paths
from crmlib.cluster.kmeans import cluster_features, load_model
from crmlib.data import load_data
from crmlib.params import load_params

pytestmark = pytest.mark.slow

NAME = "03_kmeans_clustering"


@pytest.fixture(scope="module")
def run(sample_run):
    params = load_params(paths.PROJECT_ROOT / "params" / "sample.yaml")
    assert sample_run.ok, sample_run.notebooks
    folder = sample_run.run_dir / NAME
    data = load_data(paths.PROJECT_ROOT / params["transactions"], columns=params["columns"],
                     dayfirst=params["dayfirst"], decimal=params["decimal"], as_of_date=params["as_of_date"])
    return {"params": params, "folder": folder, "data": data,
            "results": json.loads((folder / "results.json").read_text(encoding="utf-8")),
            "clusters": pd.read_csv(folder / "clusters.csv", dtype={"customer_id": str}),
            "profiles": pd.read_csv(folder / "cluster_profiles.csv")}


def spend_by_customer(transactions: pd.DataFrame, as_of: str) -> pd.Series:
    """Net spend per customer with a positive purchase day up to the as-of date (pandas only)."""
    tx = transactions[transactions["date"] < pd.Timestamp(as_of) + pd.Timedelta(days=1)]
    daily = tx.groupby(["customer_id", tx["date"].dt.normalize()])["amount"].sum()
    buyers = daily[daily > 0].index.get_level_values("customer_id").unique()
    return daily.groupby(level="customer_id").sum().loc[buyers].sort_index()


def test_results_have_the_issue_keys(run):
    results = run["results"]
    for key in ("k", "k_selection", "clusters", "rfm_agreement_ari"):
        assert key in results
    k = results["k"]
    assert set(results["k_selection"]) == {str(i) for i in range(2, 11)}
    for row in results["k_selection"].values():
        assert set(row) >= {"inertia", "silhouette", "calinski_harabasz", "davies_bouldin", "stability_ari"}
        assert -1 <= row["silhouette"] <= 1 and row["stability_ari"] <= 1 and row["inertia"] > 0
    inertia = [results["k_selection"][str(i)]["inertia"] for i in range(2, 11)]
    assert all(a > b for a, b in zip(inertia, inertia[1:]))      # more clusters, less inertia
    assert set(results["clusters"]) == {str(i) for i in range(1, k + 1)}
    assert results["k_rule"] == "auto" and k in results["k_candidates"]


def test_cluster_sizes_and_revenue_shares_match_the_sample(run):
    spend = spend_by_customer(run["data"].transactions, run["params"]["as_of_date"])
    clusters = run["clusters"].set_index("customer_id")
    assert sorted(clusters.index) == list(spend.index)            # every buyer, once
    results = run["results"]["clusters"]
    counts = clusters["cluster"].value_counts()
    revenue = spend.groupby(clusters["cluster"]).sum() / spend.sum()
    for cluster_id, row in results.items():
        assert row["customers"] == counts[int(cluster_id)]
        assert row["revenue_share"] == pytest.approx(revenue[int(cluster_id)], rel=1e-9)
        assert (clusters.loc[clusters["cluster"] == int(cluster_id), "persona"] == row["persona"]).all()
    # cluster 1 is the most valuable: the highest mean spend, then decreasing
    mean_spend = spend.clip(lower=0).groupby(clusters["cluster"]).mean()
    assert mean_spend.is_monotonic_decreasing
    assert sum(r["customers"] for r in results.values()) == run["results"]["n_customers"]


def test_rfm_agreement_recomputed(run):
    from crmlib import rfm
    from crmlib.summary import customer_summary

    summary = customer_summary(run["data"].transactions, run["params"]["as_of_date"])
    segments = rfm.assign_segments(rfm.rfm_scores(summary)).set_index("customer_id")["segment"]
    clusters = run["clusters"].set_index("customer_id")["cluster"]
    expected = adjusted_rand_score(clusters.loc[segments.index], segments)
    assert run["results"]["rfm_agreement_ari"] == pytest.approx(expected, abs=1e-9)


def test_saved_model_assigns_the_same_clusters(run):
    from crmlib.summary import customer_summary

    data, params = run["data"], run["params"]
    model = load_model(run["folder"] / "cluster_model.joblib")
    summary = customer_summary(data.transactions, params["as_of_date"])
    features = cluster_features(summary, data.transactions, as_of_date=params["as_of_date"])
    predicted = model.predict(features)
    clusters = run["clusters"].set_index("customer_id")["cluster"]
    np.testing.assert_array_equal(predicted.loc[clusters.index].to_numpy(), clusters.to_numpy())


def test_profiles_export(run):
    profiles = run["profiles"]
    assert list(profiles["cluster"]) == list(range(1, run["results"]["k"] + 1))
    assert profiles["revenue_share"].sum() == pytest.approx(1.0)
    assert {"persona", "r", "programme", "median_recency_days"} <= set(profiles.columns)
    assert set(profiles["r"]) <= {"Relationship", "Retention", "Referral", "Recovery"}
