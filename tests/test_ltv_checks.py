"""Model-check tables: the published CDNOW holdout table, closed forms, and counts by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.ltv.bgnbd import BetaGeoModel
from crmlib.ltv.checks import (frequency_histogram, frequency_recency_matrix, holdout_by_frequency,
                               tracking)
from conftest import require_dataset

#: Fader, Hardie & Lee (2005), CDNOW 1/10 sample, calibration to 1997-09-30 (39 weeks).
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_ACTUAL = [0.237, 0.697, 1.393, 1.560, 2.532, 2.947, 3.862, 6.359]
PUBLISHED_EXPECTED = [0.225, 0.523, 1.044, 1.520, 2.164, 2.654, 3.504, 6.157]


def bgnbd_with(params: dict) -> BetaGeoModel:
    return BetaGeoModel().with_params([params[name] for name in BetaGeoModel.param_names])


@pytest.fixture(scope="module")
def cdnow():
    """CDNOW sample as the papers use it: same-day lines merged, every day a purchase."""
    require_dataset("cdnow", "CDNOW_sample.txt")
    from crmlib.datasets import load_cdnow
    tx = load_cdnow("sample")
    days = tx.assign(day=tx["date"].dt.normalize()).groupby(["customer_id", "day"])["amount"].sum().reset_index()
    cal_end, obs_end = pd.Timestamp("1997-09-30"), pd.Timestamp("1998-06-30")
    cal = days[days["day"] <= cal_end].groupby("customer_id")["day"].agg(["min", "max", "size"])
    hold = days[days["day"] > cal_end].groupby("customer_id").size()
    summary = pd.DataFrame({"frequency": cal["size"] - 1.0, "recency": (cal["max"] - cal["min"]).dt.days / 7,
                            "T": (cal_end - cal["min"]).dt.days / 7,
                            "frequency_holdout": hold.reindex(cal.index).fillna(0.0),
                            "duration_holdout": 39.0})
    return tx, summary


def test_holdout_table_matches_published_cdnow(cdnow):
    _, summary = cdnow
    assert len(summary) == 2357
    table = holdout_by_frequency(summary, {"bgnbd": bgnbd_with(PUBLISHED_BGNBD)})
    assert table.index.tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["customers"].sum() == 2357
    np.testing.assert_allclose(table["actual"], PUBLISHED_ACTUAL, atol=0.0005)
    np.testing.assert_allclose(table["bgnbd"], PUBLISHED_EXPECTED, atol=0.0015)


def test_tracking_totals(cdnow):
    tx, summary = cdnow
    model = bgnbd_with(PUBLISHED_BGNBD)
    table = tracking(tx, "1997-09-30", "1998-06-30", {"bgnbd": model}, time_unit="W")
    assert table.index[0] == pd.Timestamp("1997-01-01")
    assert len(table) == 78                                  # 1997-01-01 .. 1998-06-30 in weeks
    # every repeat purchase of the calibration customers, calibration and holdout, lands once
    assert table["actual"].sum() == summary["frequency"].sum() + summary["frequency_holdout"].sum()
    # the model's total is the sum of E[X(t)] for each customer, t = (end of the last day
    # − first purchase day): every day counts, $0 days included, as btyd_summary counts them
    first = tx.groupby("customer_id")["date"].min()
    ages = (pd.Timestamp("1998-07-01") - first).dt.days / 7
    assert len(first) == len(summary) == 2357
    assert table["bgnbd"].sum() == pytest.approx(np.sum(model.expected_purchases(ages.to_numpy())), rel=1e-9)
    # calibration-period expectations sum to close to the calibration repeats (ML fit property)
    in_cal = table.index <= pd.Timestamp("1997-09-24")
    assert table.loc[in_cal, "bgnbd"].sum() == pytest.approx(summary["frequency"].sum(), rel=0.03)


#: BTYD walkthrough (McCarthy & Wadsworth, "Buy 'Til You Die - A Walkthrough", CDNOW sample,
#: Pareto/NBD fitted to 1997-09-30), ``cum.tracking[,20:25]`` and ``inc.tracking[,20:25]``;
#: lifetimes quotes the same figures in test_expected_cumulative_transactions_equals_r_btyd_walktrough.
BTYD_CUMULATIVE_WEEKS_20_25 = {"actual": [1359, 1414, 1484, 1517, 1573, 1672],
                               "expected": [1309, 1385, 1460, 1533, 1604, 1674]}
BTYD_INCREMENTAL_WEEKS_20_25 = {"actual": [73, 55, 70, 33, 56, 99],
                                "expected": [78.31, 76.42, 74.65, 72.98, 71.41, 69.93]}
#: lifetimes test_expected_cumulative_transactions_date_index: BG/NBD fitted on the daily CDNOW
#: summary to 1997-09-30, cumulative repeat purchases at the end of 1997-01-11 … 1997-01-14.
LIFETIMES_DAILY = {"1997-01-11": (11, 10.67), "1997-01-12": (12, 12.67), "1997-01-13": (15, 14.87),
                   "1997-01-14": (19, 17.24)}


def test_tracking_matches_the_btyd_walkthrough(cdnow):
    from crmlib.ltv.pareto_nbd import ParetoNBDModel
    from crmlib.summary import btyd_summary
    tx, _ = cdnow
    calibration = btyd_summary(tx, "1997-09-30", "1998-06-30", "W")
    model = ParetoNBDModel().fit(calibration)
    table = tracking(tx, "1997-09-30", "1998-06-30", {"pareto_nbd": model}, time_unit="W")
    weeks = slice(19, 25)  # weeks 20-25
    cumulative = table.cumsum().iloc[weeks]
    assert cumulative["actual"].tolist() == BTYD_CUMULATIVE_WEEKS_20_25["actual"]
    assert cumulative["pareto_nbd"].round().tolist() == BTYD_CUMULATIVE_WEEKS_20_25["expected"]
    assert table["actual"].iloc[weeks].tolist() == BTYD_INCREMENTAL_WEEKS_20_25["actual"]
    np.testing.assert_allclose(table["pareto_nbd"].iloc[weeks], BTYD_INCREMENTAL_WEEKS_20_25["expected"],
                               atol=0.015)  # our own fit of the walkthrough's model: within 0.015


def test_daily_tracking_matches_lifetimes(cdnow):
    from crmlib.summary import btyd_summary
    tx, _ = cdnow
    daily = btyd_summary(tx, "1997-09-30", None, "D")
    model = BetaGeoModel().fit(daily["frequency"], daily["recency"], daily["T"])
    for day, (actual, expected) in LIFETIMES_DAILY.items():
        table = tracking(tx, "1997-09-30", day, {"bgnbd": model}, time_unit="D")
        assert table["actual"].sum() == actual, day
        assert table["bgnbd"].sum() == pytest.approx(expected, abs=0.005), day


def test_tracking_counts_purchase_days_as_btyd_summary_does():
    """A day netting to $0 is a purchase, a day netting below 0 a return (crmlib.summary)."""
    from crmlib.summary import btyd_summary
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "a", "b", "b"],
        "date": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-03", "2024-01-05", "2024-01-20",
                                "2024-01-02", "2024-01-09"]),
        "amount": [10.0, 5.0, -5.0, -3.0, 0.0, 4.0, 6.0]})  # a: $0 day, return day, $0 line
    summary = btyd_summary(tx, "2024-01-10", "2024-01-31", "D")
    model = bgnbd_with(PUBLISHED_BGNBD)
    table = tracking(tx, "2024-01-10", "2024-01-31", {"bgnbd": model}, time_unit="D")
    assert summary.loc["a", "frequency"] == 1 and summary.loc["a", "frequency_holdout"] == 1
    assert table["actual"].sum() == (summary["frequency"] + summary["frequency_holdout"]).sum() == 3
    # each customer's expectation runs from his first day to the end of the last: 31 and 30 days
    assert table["bgnbd"].sum() == pytest.approx(float(np.sum(model.expected_purchases(np.array([31.0, 30.0])))))


def test_frequency_histogram_zero_class_matches_closed_form():
    """Under BG/NBD nobody drops out before a repeat purchase: P(X(T) = 0) = (alpha/(alpha+T))^r."""
    rng = np.random.default_rng(1)
    T = rng.uniform(10, 60, size=3000)
    calibration = pd.DataFrame({"frequency": rng.integers(0, 10, size=3000), "T": T})
    model = bgnbd_with(PUBLISHED_BGNBD)
    table = frequency_histogram(calibration, {"bgnbd": model}, repeats=20, seed=3)
    assert table["actual"].sum() == 3000
    assert table["bgnbd"].sum() == pytest.approx(3000)
    expected_zeros = np.sum((4.414 / (4.414 + T)) ** 0.243)
    assert table.loc["0", "bgnbd"] == pytest.approx(expected_zeros, rel=0.02)


def test_frequency_histogram_on_a_big_base_simulates_fewer_bases(monkeypatch):
    """Above MAX_SIMULATED customers per model one simulated base stands for the 20: the counts
    still match the closed form P(X(T) = 0) within the Monte Carlo error of one base."""
    from crmlib.ltv import checks

    rng = np.random.default_rng(2)
    T = rng.uniform(10, 60, size=40_000)
    calibration = pd.DataFrame({"frequency": rng.integers(0, 10, size=T.size), "T": T})
    model = bgnbd_with(PUBLISHED_BGNBD)
    simulated = []
    real = checks._simulate
    monkeypatch.setattr(checks, "_simulate", lambda m, n, t, seed: simulated.append(n) or real(m, n, t, seed))
    monkeypatch.setattr(checks, "MAX_SIMULATED", 50_000)
    table = frequency_histogram(calibration, {"bgnbd": model}, repeats=20, seed=3)
    assert simulated == [40_000]                               # one base, not 20
    assert table["bgnbd"].sum() == pytest.approx(T.size)
    expected_zeros = np.sum((4.414 / (4.414 + T)) ** 0.243)
    sd = np.sqrt(expected_zeros * (1 - expected_zeros / T.size))
    assert abs(table.loc["0", "bgnbd"] - expected_zeros) < 4 * sd
    monkeypatch.setattr(checks, "MAX_SIMULATED", 2_000_000)
    simulated.clear()
    frequency_histogram(calibration, {"bgnbd": model}, repeats=20, seed=3)
    assert simulated == [800_000]                              # a smaller base keeps its 20 bases


def test_frequency_recency_matrix_alive_closed_form():
    model = bgnbd_with(PUBLISHED_BGNBD)
    matrix = frequency_recency_matrix(model, T=38.86, max_frequency=4, what="alive", points=5)
    assert matrix.shape == (5, 5)
    assert (matrix.loc[0] == 1.0).all()
    r, alpha, a, b = (PUBLISHED_BGNBD[k] for k in ("r", "alpha", "a", "b"))
    x, t_x, T = 2, matrix.columns[2], 38.86
    expected = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    assert matrix.loc[2, t_x] == pytest.approx(expected, rel=1e-3)   # columns rounded to 0.01
    # the paper's customer: x=2, t_x=30.43, T=38.86 expects 1.226 purchases in 39 weeks
    expected_matrix = frequency_recency_matrix(model, T=38.86, max_frequency=2, max_recency=30.43,
                                               what="expected", horizon=39, points=2)
    assert expected_matrix.iloc[2, 1] == pytest.approx(1.226, abs=0.001)
