"""Notebook 05 run headless on the sample; results.json checked against independent figures."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from crmlib import paths
from crmlib.data import load_data
from crmlib.params import load_params
from crmlib.runner import run_workbook

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample_params():
    params = load_params(paths.PROJECT_ROOT / "params" / "sample.yaml")
    if not (paths.PROJECT_ROOT / params["transactions"]).exists():
        pytest.skip("sample data not generated")
    return params


@pytest.fixture(scope="module")
def daily(sample_params):
    """Net amount per customer and day of the clean sample, by pandas."""
    p = sample_params
    data = load_data(paths.PROJECT_ROOT / p["transactions"], columns=p["columns"], dayfirst=p["dayfirst"],
                     decimal=p["decimal"], as_of_date=p["as_of_date"], returns_policy=p["returns_policy"])
    tx = data.transactions
    return tx.groupby(["customer_id", tx["date"].dt.normalize()])["amount"].sum().reset_index()


@pytest.fixture(scope="module")
def purchases(daily):
    """Purchase days: customer-days with a positive net amount."""
    return daily[daily["amount"] > 0]


@pytest.fixture(scope="module")
def run(sample_params, daily, tmp_path_factory):
    out_root = tmp_path_factory.mktemp("runs")
    # a hand-made clustering from an earlier run of notebook 03: odd and even ids
    earlier = out_root / sample_params["run_name"] / "03_kmeans_clustering"
    earlier.mkdir(parents=True)
    (earlier.parent / "manifest.json").write_text("{}", encoding="utf-8")  # a finished run may be replaced
    ids = pd.Series(sorted(daily["customer_id"].unique()))
    odd = ids.astype(int) % 2
    pd.DataFrame({"customer_id": ids, "cluster": odd, "persona": np.where(odd == 1, "Odd", "Even")}) \
        .to_csv(earlier / "clusters.csv", index=False)
    # also the BG/BB on quarterly opportunities (the sample itself leaves it off)
    result = run_workbook({**sample_params, "ltv_opportunities": "quarter"}, only=["05"], out_root=out_root,
                          progress=False)
    assert result.ok, [nb.error for nb in result.notebooks]
    folder = result.run_dir / "05_ltv_scenarios"
    return json.loads((folder / "results.json").read_text(encoding="utf-8")), folder


def test_result_keys(run):
    results, folder = run
    assert {"time_unit", "calibration_end", "models", "holdout", "clv", "scenarios"} <= set(results)
    assert set(results["models"]) == {"bgnbd", "pareto_nbd", "gamma_gamma", "mbgnbd", "bgnbd_covariates", "bgbb",
                                      "gamma_gamma_individual"}
    assert set(results["models"]["bgnbd"]["params"]) == {"r", "alpha", "a", "b"}
    assert set(results["models"]["pareto_nbd"]["params"]) == {"r", "alpha", "s", "beta"}
    assert set(results["models"]["gamma_gamma"]["params"]) == {"p", "q", "v"}
    for model in results["models"].values():
        assert set(model) >= {"params", "loglik", "se"}
        assert all(se > 0 for se in model["se"].values())
    assert set(results["holdout"]["predicted_repeat_purchases"]) == {"bgnbd", "pareto_nbd"}
    assert {"total", "mean", "horizon"} <= set(results["clv"])
    assert (folder / "customer_clv.csv").exists() and (folder / "ltv_scenarios.xlsx").exists()


def test_default_split_and_holdout_counts(run, purchases):
    results, _ = run
    cal_end = pd.Timestamp("2024-12-31") - pd.Timedelta(weeks=26)
    assert results["time_unit"] == "W"
    assert results["calibration_end"] == cal_end.strftime("%Y-%m-%d")
    first = purchases.groupby("customer_id")["date"].min()
    calibration_customers = first[first < cal_end].index           # T > 0
    holdout = purchases[(purchases["date"] > cal_end) & purchases["customer_id"].isin(calibration_customers)]
    assert results["holdout"]["customers"] == len(calibration_customers)
    assert results["holdout"]["actual_repeat_purchases"] == len(holdout)
    # the models forecast the holdout's total within 15 % on the sample (synthetic BG/NBD-like data)
    for name in ("bgnbd", "pareto_nbd"):
        predicted = results["holdout"]["predicted_repeat_purchases"][name]
        assert predicted == pytest.approx(len(holdout), rel=0.15)


def test_bgnbd_matches_lifetimes_on_the_same_summary(run, purchases):
    lifetimes = pytest.importorskip("lifetimes")
    results, _ = run
    cal_end = pd.Timestamp(results["calibration_end"])
    cal = purchases[purchases["date"] <= cal_end].groupby("customer_id")["date"].agg(["min", "max", "size"])
    cal = cal[cal["min"] < cal_end]
    frame = pd.DataFrame({"frequency": cal["size"] - 1, "recency": (cal["max"] - cal["min"]).dt.days / 7,
                          "T": (cal_end - cal["min"]).dt.days / 7})
    fitter = lifetimes.BetaGeoFitter().fit(frame["frequency"], frame["recency"], frame["T"])
    ours = results["models"]["bgnbd"]["params"]
    for name in ("r", "alpha", "a", "b"):
        assert ours[name] == pytest.approx(fitter.params_[name], rel=2e-3)


def test_scenarios_against_hand_computation(run, purchases, daily):
    results, _ = run
    scenarios = results["scenarios"]
    in_2023 = set(purchases.loc[purchases["date"].dt.year == 2023, "customer_id"])
    in_2024 = set(purchases.loc[purchases["date"].dt.year == 2024, "customer_id"])
    retention = len(in_2023 & in_2024) / len(in_2023)
    assert scenarios["inputs"]["retention"] == pytest.approx(retention)
    assert scenarios["inputs"]["base_customers"] == len(in_2024)
    # net revenue (returns netted) of the customers active in 2024, per active customer
    revenue = daily.loc[(daily["date"].dt.year == 2024) & daily["customer_id"].isin(in_2024), "amount"].sum() \
        / len(in_2024)
    assert scenarios["inputs"]["yearly_revenue"] == pytest.approx(revenue)
    # LTV = sum_{t=1..10} R m r^(t-1) / 1.1^t as a geometric series
    q = retention / 1.1
    ltv = revenue * 0.3 / 1.1 * (1 - q ** 10) / (1 - q)
    assert scenarios["ltv"]["profit_today"] == pytest.approx(ltv)
    assert scenarios["pak_budi"]["revenue"] == pytest.approx(1e9)
    assert scenarios["pak_budi"]["profit"] == pytest.approx(3e8)
    assert scenarios["pak_budi"]["profit_today"] == pytest.approx(30e6 * (1 - 1.1 ** -10) / 0.1)
    uplift = scenarios["retention_uplift"]
    q_after = (retention + 0.05) / 1.1
    ltv_after = revenue * 0.3 / 1.1 * (1 - q_after ** 10) / (1 - q_after)
    assert uplift["ltv_change"] == pytest.approx(ltv_after / ltv - 1)
    assert uplift["position"] in {"below", "within", "above"}
    cac = {row["multiple"]: row["ratio"] for row in scenarios["ltv_cac"]["by_multiple"]}
    assert cac[5.0] == pytest.approx(2 * cac[10.0])


def test_clv_totals_and_segments(run):
    results, folder = run
    table = pd.read_csv(folder / "customer_clv.csv", dtype={"customer_id": str})
    clv = results["clv"]
    assert clv["horizon"] == 12
    assert clv["total"] == pytest.approx(table["clv"].sum(), rel=1e-6)
    assert clv["mean"] == pytest.approx(table["clv"].mean(), rel=1e-6)
    assert (table["clv"] >= 0).all()
    inside = (table["clv_low"] <= table["clv"] * (1 + 1e-9)) & (table["clv"] <= table["clv_high"] * (1 + 1e-9))
    assert inside.mean() > 0.95
    # CLV over 12 months lies between the undiscounted and the fully year-discounted value
    upper = (0.3 * table["spend_per_purchase"] * table["purchases_next_365_days"]).sum()
    assert upper / 1.1 < clv["total"] < upper * 1.001
    # the hand-made clusters from the earlier run: value by odd/even id
    odd = table["customer_id"].astype(int) % 2 == 1
    by_cluster = {row["segment"]: row for row in clv["by_cluster"]}
    assert by_cluster["1 · Odd"]["clv_total"] == pytest.approx(table.loc[odd, "clv"].sum(), rel=1e-6)
    assert by_cluster["0 · Even"]["clv_total"] == pytest.approx(table.loc[~odd, "clv"].sum(), rel=1e-6)
    assert "(no segment)" not in by_cluster
    assert clv["by_rfm_segment"] is None          # notebook 02 did not run in this run


def test_the_value_by_cluster_table_names_its_column_cluster(run):
    _, folder = run
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert '<th class="txt">Cluster</th>' in page and '<th class="txt">Segment</th>' not in page


def test_model_comparison_and_extra_models(run):
    """Issue 13: every fitted model in results.json, the scorecard and the CLV model it chose."""
    results, _ = run
    comparison = results["model_comparison"]
    rows = {row["model"]: row for row in comparison["table"]}
    assert set(rows) == {"bgnbd", "pareto_nbd", "mbgnbd"}
    for name, row in rows.items():  # AIC and BIC by their definitions
        k, loglik = row["n_params"], row["loglik"]
        assert row["aic"] == pytest.approx(2 * k - 2 * loglik)
        assert row["bic"] == pytest.approx(k * np.log(results["holdout"]["customers"]) - 2 * loglik)
        assert row["holdout_actual"] == results["holdout"]["actual_repeat_purchases"]
    assert comparison["chosen"] in rows and comparison["reason"] in {"holdout", "bic", "default", "only"}
    assert results["clv_model"] == comparison["chosen"]
    assert rows["bgnbd"]["loglik"] == pytest.approx(results["models"]["bgnbd"]["loglik"])
    covariates = results["models"]["bgnbd_covariates"]
    assert covariates["likelihood_ratio_test"]["df"] == 2 * len(covariates["effects"])
    assert covariates["likelihood_ratio_test"]["p_value"] > 0.01  # the sample has no covariate effects
    assert set(results["models"]["bgbb"]["params"]) == {"alpha", "beta", "gamma", "delta"}

