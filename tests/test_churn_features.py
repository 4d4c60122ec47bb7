"""Churn labels and features at a cutoff: known answers on hand-built timelines, and no leakage."""
import numpy as np
import pandas as pd
import pytest

from crmlib.churn import churn_features, churn_labels, churn_snapshot, purchase_history
from crmlib.churn.backtest import backtest_cutoffs, build_snapshots, time_split
from crmlib.io import InputError
from crmlib.summary import customer_summary


def tx(rows):
    """Transactions from (customer, 'YYYY-MM-DD', amount[, category]) tuples."""
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "category"][:len(rows[0])])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["is_return"] = frame["amount"] < 0
    return frame


# Timelines (cutoff 2024-06-30, horizon 90 days -> label window 2024-07-01 .. 2024-09-28):
#   A buys 2024-01-10, 2024-03-10, 2024-05-10, then 2024-08-01 (inside the window) -> stays
#   B buys 2024-02-01, 2024-06-30 (on the cutoff), then 2024-09-29 (one day after) -> churned
#   C buys only 2022-01-01 (outside the 365-day lookback) -> not in the population
#   D first buys 2024-07-05 (after the cutoff) -> not in the population
#   E buys 2024-06-01, returns it in full 2024-06-02, buys 2024-09-28 (last window day) -> stays
TIMELINES = tx([
    ("A", "2024-01-10", 100.0, "x"), ("A", "2024-03-10", 200.0, "y"), ("A", "2024-05-10", 300.0, "x"),
    ("A", "2024-08-01", 50.0, "z"),
    ("B", "2024-02-01", 80.0, "x"), ("B", "2024-06-30", 40.0, "x"), ("B", "2024-09-29", 10.0, "x"),
    ("C", "2022-01-01", 500.0, "x"), ("C", "2024-12-31", 1.0, "x"),
    ("D", "2024-07-05", 70.0, "x"),
    ("E", "2024-06-01", 90.0, "y"), ("E", "2024-06-02", -90.0, "y"), ("E", "2024-09-28", 20.0, "y"),
])
CUTOFF = "2024-06-30"


def test_labels_known_answers():
    labels = churn_labels(TIMELINES, CUTOFF, horizon_days=90, lookback_days=365)
    assert labels.set_index("customer_id")["churned"].to_dict() == {"A": False, "B": True, "E": False}


def test_population_lookback_none_keeps_everyone_who_bought():
    labels = churn_labels(TIMELINES, CUTOFF, horizon_days=90, lookback_days=None)
    assert labels.set_index("customer_id")["churned"].to_dict() == \
        {"A": False, "B": True, "C": True, "E": False}


def test_label_unknown_past_the_data_is_an_input_error():
    with pytest.raises(InputError, match="runs past the last transaction"):
        churn_labels(TIMELINES, "2024-12-01", horizon_days=90)


def test_features_known_answers():
    f = churn_features(TIMELINES, CUTOFF, inactive_days=90, window_days=90).set_index("customer_id")
    a, b, e = f.loc["A"], f.loc["B"], f.loc["E"]
    # A: purchase days 2024-01-10, 03-10, 05-10; cutoff 06-30
    assert a["recency_days"] == 51 and a["frequency"] == 3 and a["tenure_days"] == 172
    assert a["monetary_total"] == 600 and a["monetary_mean"] == 200
    assert a["ipt_mean_days"] == pytest.approx((121) / 2)       # 01-10 -> 05-10 is 121 days
    assert a["last_gap_days"] == 61                              # 03-10 -> 05-10
    assert a["gap_ratio"] == pytest.approx(51 / 60.5)
    # windows: recent (04-01 .. 06-30] holds 05-10; previous (01-02 .. 04-01] holds 01-10 and 03-10
    assert a["spend_recent"] == 300 and a["spend_previous"] == 300 and a["spend_trend"] == 0
    assert a["freq_recent"] == 1 and a["freq_previous"] == 2
    assert a["freq_trend"] == pytest.approx((1 - 2) / 3)
    assert a["n_categories"] == 2 and a["status"] == "active"
    # B bought on the cutoff day itself
    assert b["recency_days"] == 0 and b["frequency"] == 2 and b["last_gap_days"] == 150
    # E: the purchase was returned the next day -> net 0, return share 100 %
    assert e["frequency"] == 1 and e["monetary_total"] == 0 and e["return_share"] == 1.0
    assert np.isnan(e["ipt_mean_days"]) and np.isnan(e["gap_ratio"])


def test_status_lapsed_from_inactive_days():
    f = churn_features(TIMELINES, "2024-08-08", inactive_days=90).set_index("customer_id")
    assert f.loc["B", "recency_days"] == 39 and f.loc["B", "status"] == "active"
    f = churn_features(TIMELINES, "2024-09-28", inactive_days=90).set_index("customer_id")
    assert f.loc["B", "recency_days"] == 90 and f.loc["B", "status"] == "lapsed"  # 90 days: churned
    assert f.loc["A", "recency_days"] == 58 and f.loc["A", "status"] == "active"


def _random_transactions(seed=1, n_customers=300, n_rows=4000):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "customer_id": rng.integers(0, n_customers, n_rows).astype(str),
        "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n_rows), unit="D")
        + pd.to_timedelta(rng.integers(0, 86_400, n_rows), unit="s"),
        "amount": np.round(rng.lognormal(4, 1, n_rows), 2) * np.where(rng.random(n_rows) < 0.05, -1, 1),
        "category": rng.choice(list("abcde"), n_rows),
        "channel": rng.choice(["app", "store", "web"], n_rows),
    })
    frame["is_return"] = frame["amount"] < 0
    return frame


def test_no_feature_reads_a_transaction_after_the_cutoff():
    """Changing, adding or deleting anything after the cutoff leaves every feature unchanged."""
    base = _random_transactions()
    cutoff = pd.Timestamp("2024-02-15")
    before = churn_features(base, cutoff)
    rng = np.random.default_rng(7)
    after = base["date"] > cutoff + pd.Timedelta(days=1) - pd.Timedelta(1)
    changed = base.copy()
    changed.loc[after, "amount"] = rng.lognormal(8, 2, after.sum())           # other amounts
    changed.loc[after, "category"] = "new category"
    changed.loc[after, "channel"] = "new channel"
    extra = changed[after].sample(500, random_state=0, replace=True).assign(
        customer_id=lambda f: f["customer_id"] + "_x")                       # new late customers
    changed = pd.concat([changed[~after | (rng.random(len(changed)) < 0.5)], extra])  # drop half
    pd.testing.assert_frame_equal(churn_features(changed, cutoff), before)
    # and the check has teeth: a change on the cutoff day itself does show up
    touched = base.copy()
    touched.loc[touched["date"].dt.normalize() == cutoff, "amount"] += 1000.0
    assert not churn_features(touched, cutoff).equals(before)


def test_features_agree_with_customer_summary():
    base = _random_transactions(seed=3)
    cutoff = "2024-03-31"
    ours = churn_features(base, cutoff, lookback_days=None).set_index("customer_id")
    summary = customer_summary(base, cutoff)
    summary = summary[summary["frequency"] > 0].set_index("customer_id")
    assert sorted(ours.index) == sorted(summary.index)
    for column in ("recency_days", "frequency", "monetary_total", "tenure_days", "n_categories"):
        np.testing.assert_allclose(ours[column], summary.loc[ours.index, column], err_msg=column)


def test_main_channel_is_the_most_used_one():
    frame = _random_transactions().iloc[:0]
    rows = [("Z", "2024-01-01", 10.0), ("Z", "2024-01-05", 10.0), ("Z", "2024-01-09", 10.0)]
    frame = pd.DataFrame({"customer_id": ["Z"] * 3, "date": pd.to_datetime([r[1] for r in rows]),
                          "amount": 10.0, "category": "a", "channel": ["web", "store", "store"],
                          "is_return": False})
    assert churn_features(frame, "2024-01-10")["main_channel"].tolist() == ["store"]
    assert churn_features(frame, "2024-01-02")["main_channel"].tolist() == ["web"]


def test_customer_attributes_and_age_at_cutoff():
    customers = pd.DataFrame({"customer_id": ["A", "B", "E"], "gender": ["F", "M", None],
                              "birth_date": pd.to_datetime(["1990-06-30", None, "2020-01-01"]),
                              "phone": ["0812", "0813", "0814"]})
    f = churn_features(TIMELINES, CUTOFF, customers).set_index("customer_id")
    assert f.loc["A", "age"] == pytest.approx(34 * 365 / 365.25 + 9 / 365.25, abs=0.01)
    assert np.isnan(f.loc["B", "age"]) and np.isnan(f.loc["E", "age"])  # age 4 is implausible
    assert f["gender"].tolist()[:2] == ["F", "M"] and "phone" not in f


def test_cutoffs_and_time_split_never_train_on_the_test_window():
    cuts = backtest_cutoffs("2024-12-31", horizon_days=90, n_cutoffs=4)
    assert [f"{c:%Y-%m-%d}" for c in cuts] == ["2024-01-06", "2024-04-05", "2024-07-04", "2024-10-02"]
    cuts = backtest_cutoffs("1998-06-30", 90, 3, test_cutoff="1997-09-30")
    assert [f"{c:%Y-%m-%d}" for c in cuts] == ["1997-04-03", "1997-07-02", "1997-09-30"]
    base = _random_transactions()
    snaps = build_snapshots(purchase_history(base), ["2023-06-30", "2023-08-31", "2023-10-31",
                                                     "2024-01-31"], horizon_days=90)
    train, test = time_split(snaps, 90)
    # 2023-12-29 (10-31 + 90 days) is on or before the test cutoff; 2023-08-31 too; all kept
    assert sorted(f"{c:%Y-%m-%d}" for c in train["cutoff"].unique()) == \
        ["2023-06-30", "2023-08-31", "2023-10-31"]
    train, test = time_split(snaps[snaps["cutoff"] != "2024-01-31"].assign(), 90)
    # test at 10-31: 08-31 + 90 = 11-29 is after it -> only 06-30 may train
    assert [f"{c:%Y-%m-%d}" for c in train["cutoff"].unique()] == ["2023-06-30"]
    assert (test["cutoff"] == pd.Timestamp("2023-10-31")).all()


def test_snapshot_label_matches_a_direct_count():
    base = _random_transactions(seed=5)
    cutoff, horizon = pd.Timestamp("2023-11-15"), 60
    snap = churn_snapshot(base, cutoff, horizon).set_index("customer_id")
    day = base.assign(day=base["date"].dt.normalize()).groupby(["customer_id", "day"])["amount"].sum()
    day = day[day > 0].reset_index()
    window = day[(day["day"] > cutoff) & (day["day"] <= cutoff + pd.Timedelta(days=horizon))]
    expected = ~snap.index.isin(window["customer_id"])
    np.testing.assert_array_equal(snap["churned"].to_numpy(), expected)
