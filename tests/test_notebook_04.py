"""Notebook 04 run headless on the sample (in Bahasa Indonesia): results.json against pandas."""
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from crmlib.data import load_data
from crmlib.params import load_params
from crmlib.paths import PROJECT_ROOT
from crmlib.present.numbers import format_date

TEST_CUTOFF = pd.Timestamp("2024-10-02")        # 2024-12-31 − 90 days
AS_OF = pd.Timestamp("2024-12-31")


@pytest.fixture(scope="module")
def run(sample_run_id):
    params = load_params(PROJECT_ROOT / "params" / "sample.yaml", ["lang=id"])
    assert sample_run_id.ok, sample_run_id.notebooks
    folder = sample_run_id.run_dir / "04_churn_prediction"
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return folder, results, params


@pytest.fixture(scope="module")
def purchase_days(run):
    _, _, params = run
    data = load_data(PROJECT_ROOT / params["transactions"], columns=params["columns"],
                     dayfirst=params["dayfirst"], decimal=params["decimal"], as_of_date=params["as_of_date"])
    tx = data.transactions.assign(day=data.transactions["date"].dt.normalize())
    daily = tx.groupby(["customer_id", "day"])["amount"].sum().reset_index()
    return daily[daily["amount"] > 0]


def population(days, cutoff):
    """Customers whose last purchase day is within 365 days on or before the cutoff, with recency."""
    last = days[days["day"] <= cutoff].groupby("customer_id")["day"].max()
    last = last[last >= cutoff - pd.Timedelta(days=365)]
    return (cutoff - last).dt.days


def test_population_churn_rate_and_cutoffs(run, purchase_days):
    _, results, _ = run
    recency = population(purchase_days, TEST_CUTOFF)
    window = purchase_days[(purchase_days["day"] > TEST_CUTOFF)
                           & (purchase_days["day"] <= TEST_CUTOFF + pd.Timedelta(days=90))]
    churned = ~recency.index.isin(window["customer_id"])
    assert results["population"] == len(recency)
    assert results["churn_rate"] == pytest.approx(churned.mean())
    assert results["cutoffs"] == ["2024-01-06", "2024-04-05", "2024-07-04", "2024-10-02"]
    # the recency-only baseline ranks exactly as the raw days since the last purchase
    assert results["metrics"]["recency"]["roc_auc"] == pytest.approx(roc_auc_score(churned, recency), abs=1e-9)


def test_models_metrics_and_profit(run):
    _, results, _ = run
    metrics = results["metrics"]
    assert set(metrics) >= {"recency", "logistic", "gradient_boosting"}
    for values in metrics.values():
        assert set(values) >= {"roc_auc", "pr_auc", "brier", "top_decile_lift"}
    best = results["best_model"]
    assert best in ("logistic", "gradient_boosting")
    assert metrics[best]["roc_auc"] == max(metrics[m]["roc_auc"] for m in ("logistic", "gradient_boosting"))
    assert results["beats_recency"] == (metrics[best]["roc_auc"] > metrics["recency"]["roc_auc"])
    assert metrics[best]["roc_auc"] > metrics["recency"]["roc_auc"]
    if "bgnbd" in metrics:
        assert results["beats_bgnbd"] == (metrics[best]["roc_auc"] > metrics["bgnbd"]["roc_auc"])
    profit = results["profit"]
    assert 0 < profit["best_share_contacted"] < 1
    assert profit["expected_profit"] >= max(profit["profit_contact_all"], 0)
    assert profit["contacted"] == round(profit["best_share_contacted"] * results["population"])


def test_scores_today_and_winback_list(run, purchase_days):
    folder, results, _ = run
    scores = pd.read_csv(folder / "churn_scores.csv", dtype={"customer_id": str})
    recency = population(purchase_days, AS_OF)
    assert sorted(scores["customer_id"]) == sorted(recency.index)
    assert results["scored_customers"] == len(scores)
    np.testing.assert_array_equal(scores.set_index("customer_id").loc[recency.index, "recency_days"],
                                  recency.to_numpy())
    band = np.select([scores["churn_probability"] < 0.3, scores["churn_probability"] < 0.6],
                     ["low", "medium"], "high")
    assert (scores["risk_band"] == band).all()
    lapsed = scores["recency_days"] >= 90
    assert set(scores.loc[scores["action"] == "recovery", "customer_id"]) <= set(scores.loc[lapsed, "customer_id"])
    assert (scores.loc[scores["action"] != "none", "expected_gain"] > 0).all()
    assert results["actions"] == scores["action"].value_counts().reindex(
        ["none", "recovery", "retention"], fill_value=0).to_dict()
    # reasons are written in Bahasa Indonesia for this run
    assert scores["reason_1"].fillna("").str.contains("hari|belanja|jeda|kategori").mean() > 0.5
    winback = pd.read_csv(folder / "winback_list.csv", dtype={"customer_id": str})
    assert results["winback_contactable"] == len(winback) > 0
    assert set(winback["customer_id"]) <= set(scores.loc[scores["action"] == "recovery", "customer_id"])
    assert winback["channel"].isin(["whatsapp", "email"]).all()
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Skor Brier" in html and "periode uji" in html   # tables and verdict in Bahasa Indonesia
    raw = pd.read_csv(PROJECT_ROOT / "data" / "sample" / "customers.csv", sep=";", dtype=str,
                      encoding="utf-8-sig")
    shown = winback["customer_id"].head(10)
    phones = raw.set_index(raw["ID Pelanggan"].str.strip())["No HP"].reindex(shown).dropna()
    assert len(phones) > 0 and not any(p.strip() in html for p in phones)   # masked only


def test_the_appendix_shows_the_parameters_the_run_was_given(run):
    """The appendix reads each parameter's value, not a notebook variable reusing its name (the
    churn features once overwrote `columns`); the backtest cutoffs are dates in the language."""
    import re

    folder, results, params = run
    page = (folder / "report.html").read_text(encoding="utf-8")
    cells = re.findall(r'<td class="txt">([^<]*)</td><td class="txt">([^<]*)</td>', page)
    given = dict(cells)
    assert given["columns"] == "–" or params.get("columns")
    assert "recency_days" not in given["columns"]
    first_cutoff = pd.Timestamp(results["cutoffs"][0])
    assert format_date(first_cutoff, "id") in page and results["cutoffs"][0] not in page
