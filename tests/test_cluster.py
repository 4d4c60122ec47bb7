"""k-means clusters: features, k selection, stability, ordering, personas, agreement.

Known answers come from hand calculations and from data generated with known labels
(well-separated Gaussian blobs; an isotropic Gaussian with no clusters at all).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from crmlib import cluster as C
from crmlib.io import InputError

FAST = {"stability_resamples": 5, "silhouette_sample": 1000, "k_min": 2, "k_max": 7}


def blobs(n=1200, k=4, d=4, seed=3, std=0.6):
    X, y = make_blobs(n, n_features=d, centers=k, cluster_std=std, random_state=seed,
                      center_box=(-10, 10))
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(d)],
                         index=pd.Index([f"C{i:05d}" for i in range(n)], name="customer_id"))
    return frame, y


# ----------------------------------------------------------------------------- features

def tx(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).assign(
        date=lambda f: pd.to_datetime(f["date"]))


def test_purchase_regularity_by_hand():
    frame = tx([
        ("A", "2024-01-01", 10), ("A", "2024-01-11", 10), ("A", "2024-01-21", 10),   # gaps 10, 10
        ("B", "2024-01-01", 10), ("B", "2024-01-11", 10), ("B", "2024-02-10", 10),   # gaps 10, 30
        ("C", "2024-01-01", 10), ("C", "2024-01-01", 5),                              # one day
        ("D", "2024-01-01", 10), ("D", "2024-01-05", 10), ("D", "2024-01-05", -10),   # net 0 day
        ("D", "2024-01-09", 10),
        ("E", "2024-01-01", 10), ("E", "2024-01-11", 10), ("E", "2025-03-01", 10),   # after as-of
    ])
    score = C.purchase_regularity(frame, "2024-12-31")
    assert score["A"] == pytest.approx(np.sqrt(2))                    # CV 0
    # gaps 10 and 30: mean 20, sample SD 14.142..., CV 1/sqrt(2)
    assert score["B"] == pytest.approx((1 - 1 / np.sqrt(2)) * np.sqrt(2))
    assert score["C"] == 0.0
    assert score["D"] == 0.0        # the netted-out day is no purchase: one gap only
    assert score["E"] == 0.0        # the 2025 purchase is after the as-of date
    assert list(score.index) == ["A", "B", "C", "D", "E"]


def summary_frame():
    return pd.DataFrame({
        "customer_id": ["1", "2", "3"], "first_purchase": pd.to_datetime(["2024-01-01"] * 3),
        "last_purchase": pd.to_datetime(["2024-06-01"] * 3), "recency_days": [10, 200, 30],
        "frequency": [5, 1, 2], "orders": [5, 1, 2], "monetary_total": [500.0, -20.0, 80.0],
        "monetary_mean": [100.0, -20.0, 40.0], "tenure_days": [300, 200, 100],
        "n_categories": [np.nan] * 3})


def test_cluster_features_from_summary_and_attributes():
    customers = pd.DataFrame({"customer_id": ["1", "2", "3"], "gender": ["F", None, "M"],
                              "birth_date": pd.to_datetime(["1990-01-01", None, "2000-07-01"]),
                              "points": ["12", "7", None]})
    features = C.cluster_features(summary_frame(), customers=customers,
                                  extra_features=["age", "gender", "points"], as_of_date="2020-01-01")
    assert "n_categories" not in features                      # missing for everyone: left out
    assert features.loc["2", "monetary_total"] == 0.0          # net-negative spend counts as 0
    assert features.loc["1", "age"] == pytest.approx(10957 / 365.25)   # 30 years
    assert np.isnan(features.loc["2", "age"])
    assert features["points"].tolist()[:2] == [12.0, 7.0]      # text numbers become numbers
    assert features["gender"].iloc[[0, 2]].tolist() == ["F", "M"] and pd.isna(features.loc["2", "gender"])
    X = C.build_preprocessor(features).fit_transform(features)
    # 5 behaviour + age + points + gender one-hot (F, M, unknown)
    assert X.shape == (3, 10)
    assert not np.isnan(X).any()


def test_cluster_features_errors_name_the_parameter():
    with pytest.raises(InputError, match="customers"):
        C.cluster_features(summary_frame(), extra_features=["age"])
    customers = pd.DataFrame({"customer_id": ["1"], "city": ["Bandung"]})
    with pytest.raises(InputError, match="extra_features.*shoe_size"):
        C.cluster_features(summary_frame(), customers=customers, extra_features=["shoe_size"])
    with pytest.raises(InputError, match="personal data"):
        C.cluster_features(summary_frame(), customers=customers.assign(phone="0812"),
                           extra_features=["phone"])
    with pytest.raises(InputError, match="empty"):
        C.cluster_features(summary_frame().iloc[:0])


# ----------------------------------------------------------------------------- choosing k

def test_knee_point_by_hand():
    # scaled: x = 0, .25, .5, .75, 1; rise = 0, .769, .897, .962, 1 → largest gap at k = 3
    assert C.knee_point([2, 3, 4, 5, 6], [100, 40, 30, 25, 22]) == 3
    assert C.knee_point([2, 3, 4, 5, 6], [100, 90, 80, 20, 10]) == 5
    assert C.knee_point([2, 3], [10, 5]) is None
    assert C.knee_point([2, 3, 4], [5, 5, 5]) is None


def test_choose_k_rule_by_hand():
    table = pd.DataFrame({
        "silhouette":        [0.50, 0.60, 0.90, 0.55],
        "calinski_harabasz": [100., 300., 500., 200.],
        "davies_bouldin":    [0.90, 0.50, 0.30, 0.70],
        "stability_ari":     [0.95, 0.85, 0.60, 0.90],
    }, index=pd.Index([2, 3, 4, 5], name="k"))
    # k = 4 is best on every index but unstable, so it is not a candidate.
    k, candidates, ranks = C.choose_k(table, knee=3)
    assert candidates == [2, 3, 5]
    assert k == 3 and ranks[3] == 1.0
    # nothing reaches 0.8: candidates are within 0.05 of the best (0.95 → 0.90 and up)
    low = table.assign(stability_ari=[0.50, 0.70, 0.60, 0.66])
    k, candidates, _ = C.choose_k(low, knee=None)
    assert candidates == [3, 5] and k == 3
    # ties go to the smaller k
    tie = table.assign(silhouette=[0.6, 0.5, 0.1, 0.1], calinski_harabasz=[100., 300., 1., 1.],
                       davies_bouldin=[0.5, 0.5, 0.9, 0.9], stability_ari=[0.9, 0.9, 0.1, 0.1])
    assert C.choose_k(tie, knee=None)[0] == 2


@pytest.mark.parametrize("true_k", [3, 5])
def test_auto_picks_the_true_k_on_separated_blobs(true_k):
    features, y = blobs(k=true_k, seed=true_k)
    selection = C.select_k(features, **FAST)
    assert selection.k == true_k
    assert selection.rule == "auto"
    assert selection.table.loc[true_k, "stability_ari"] > 0.98
    assert selection.table.loc[true_k, "silhouette"] == selection.table["silhouette"].max()
    assert set(selection.to_results()) == {str(k) for k in range(2, 8)}
    model = C.CustomerClusters(k=selection.k).fit(features)
    assert adjusted_rand_score(y, model.labels_) > 0.99


def test_stability_is_low_without_structure():
    # One isotropic Gaussian: any split into two is arbitrary, so resamples disagree,
    # while four separated blobs are reproduced exactly.
    rng = np.random.default_rng(0)
    noise = pd.DataFrame(rng.normal(size=(1500, 2)), columns=["a", "b"])
    table = C.select_k(noise, k_min=2, k_max=3, stability_resamples=10).table
    assert table.loc[2, "stability_ari"] < 0.8
    separated, _ = blobs(k=4)
    assert C.select_k(separated, k_min=4, k_max=4, stability_resamples=5).table.loc[4, "stability_ari"] > 0.98


def test_fixed_k_outside_the_range_is_added_and_kept():
    features, _ = blobs(k=4)
    selection = C.select_k(features, k=9, **{**FAST, "k_max": 5})
    assert selection.k == 9 and selection.rule == "fixed"
    assert list(selection.table.index) == [2, 3, 4, 5, 9]
    from crmlib.cluster.report import explain_k
    text = explain_k(selection)
    side = "above" if selection.table.loc[9, "stability_ari"] >= C.STABILITY_THRESHOLD else "below"
    assert text.startswith("k = 9 was set by the parameter `k`") and f", {side} 0.80" in text


@pytest.mark.parametrize("bad", [{"k": "five"}, {"k": 1}, {"k": True}, {"k_min": 5, "k_max": 3},
                                 {"k_max": 5000}, {"stability_resamples": 0}])
def test_bad_k_settings_are_input_errors(bad):
    features, _ = blobs(n=300)
    with pytest.raises(InputError):
        C.select_k(features, **{**FAST, **bad})


# ----------------------------------------------------------------------------- fitting

def test_clusters_are_numbered_by_mean_monetary_value():
    # three groups whose spend is known: 10 000 > 1 000 > 100 (log scale separates them)
    rng = np.random.default_rng(1)
    spend = np.concatenate([rng.normal(m, m / 20, 300) for m in (100, 10_000, 1_000)])
    features = pd.DataFrame({"monetary_total": spend,
                             "frequency": np.concatenate([np.full(300, f) for f in (1, 9, 4)])})
    model = C.CustomerClusters(k=3).fit(features)
    means = features["monetary_total"].groupby(model.labels_).mean()
    assert list(means.index) == [1, 2, 3]
    assert means.is_monotonic_decreasing
    assert (model.labels_.iloc[300:600] == 1).all() and (model.labels_.iloc[:300] == 3).all()


def test_fit_is_deterministic_and_predicts_new_customers(tmp_path):
    features, y = blobs(n=1500)
    first = C.CustomerClusters(k=4, random_state=7).fit(features)
    second = C.CustomerClusters(k=4, random_state=7).fit(features)
    pd.testing.assert_series_equal(first.labels_, second.labels_)
    np.testing.assert_array_equal(first.centers_, second.centers_)
    pd.testing.assert_frame_equal(C.select_k(features, **FAST).table, C.select_k(features, **FAST).table)
    # new customers from the same blobs are assigned consistently with the true groups
    X_new, y_new = make_blobs(400, n_features=4, centers=4, cluster_std=0.6, random_state=3,
                              center_box=(-10, 10))
    new = pd.DataFrame(X_new, columns=features.columns)
    assert adjusted_rand_score(y_new, first.predict(new)) > 0.99
    loaded = C.load_model(first.save(tmp_path / "model.joblib"))
    pd.testing.assert_series_equal(loaded.predict(new), first.predict(new))


def test_minibatch_path_above_the_threshold():
    features, y = blobs(n=3000, k=4)
    model = C.CustomerClusters(k=4, minibatch_threshold=1000).fit(features)
    assert model.algorithm_ == "MiniBatchKMeans"
    assert C.CustomerClusters(k=4).fit(features).algorithm_ == "KMeans"
    assert adjusted_rand_score(y, model.labels_) > 0.99
    again = C.CustomerClusters(k=4, minibatch_threshold=1000).fit(features)
    pd.testing.assert_series_equal(model.labels_, again.labels_)
    selection = C.select_k(features, **FAST, minibatch_threshold=1000)
    assert selection.algorithm == "MiniBatchKMeans" and selection.k == 4


# ----------------------------------------------------------------------------- profiles and personas

def test_profiles_sizes_and_revenue_shares_by_hand():
    features = pd.DataFrame({"monetary_total": [10., 20., 30., 40.], "frequency": [1., 1., 3., 5.]},
                            index=list("abcd"))
    clusters = pd.Series([2, 2, 1, 1], index=list("abcd"))
    profile = C.cluster_profiles(features, clusters)
    assert profile["customers"].tolist() == [2, 2]
    assert profile["revenue_share"].tolist() == pytest.approx([0.7, 0.3])
    assert profile.loc[1, "median_frequency"] == 4.0
    revenue = pd.Series([0., 0., 50., 50.], index=list("abcd"))
    assert C.cluster_profiles(features, clusters, revenue)["revenue_share"].tolist() == [1.0, 0.0]


def test_persona_traits_4r_and_programme_keys():
    profile = pd.DataFrame({"median_frequency": [8, 3, 1, 1, 2],
                            "median_recency_days": [20, 300, 30, 400, 40]}, index=[1, 2, 3, 4, 5])
    means = pd.DataFrame({"monetary_total": [1.2, 0.8, -0.1, -0.9, 0.1],
                          "frequency": [1.5, 0.7, -0.6, -0.6, 0.2]}, index=[1, 2, 3, 4, 5])
    personas = C.personas(profile, means)
    assert personas["status"].tolist() == ["active", "lapsed", "active", "lapsed", "active"]
    assert personas["frequency"].tolist() == ["frequent", "frequent", "one_time", "one_time", "occasional"]
    assert personas["spend"].tolist() == ["high", "high", "mid", "low", "mid"]
    assert personas["r"].tolist() == ["Referral", "Recovery", "Relationship", "Recovery", "Retention"]
    assert personas["programme_key"].tolist() == ["vip_referral", "winback", "second_purchase", "reactivate",
                                                  "loyalty"]
    assert personas["trait"].eq("").all()                 # no two clusters share a name
    # a longer inactivity window makes cluster 2 (median recency 300 days) active again
    assert C.personas(profile, means, inactive_days=365).loc[2, "status"] == "active"


def test_clusters_sharing_a_name_get_the_trait_they_differ_on():
    profile = pd.DataFrame({"median_frequency": [6, 6, 1], "median_recency_days": [20, 20, 20]}, index=[1, 2, 3])
    means = pd.DataFrame({"monetary_total": [1.0, 0.9, -1.0], "frequency": [1.0, 1.0, -1.0],
                          "tenure_days": [0.1, 0.0, 0.0], "purchase_regularity": [-0.8, 1.5, 0.0]}, index=[1, 2, 3])
    traits = C.personas(profile, means)["trait"]
    # regularity differs most between clusters 1 and 2 (2.3 SD against 0.1 for tenure); cluster 3 is alone
    assert traits.tolist() == ["irregular", "regular", ""]
    without_secondary = C.personas(profile, means[["monetary_total", "frequency"]])["trait"]
    assert without_secondary.eq("").all()


# ----------------------------------------------------------------------------- agreement

def test_compare_segments_by_hand():
    index = [f"c{i}" for i in range(8)]
    clusters = pd.Series([1, 1, 1, 1, 2, 2, 2, 2], index=index)
    same = pd.Series(["Champions"] * 4 + ["Lost"] * 4, index=index)
    agreement = C.compare_segments(clusters, same)
    assert agreement.ari == pytest.approx(1.0)
    assert agreement.crosstab.loc[1, "Champions"] == 4 and agreement.crosstab.loc[2, "Champions"] == 0
    crossed = pd.Series(["A", "B"] * 4, index=index)
    mixed = C.compare_segments(clusters, crossed)
    assert mixed.ari < 0                     # worse than chance for this balanced crossing
    assert mixed.shares.to_numpy() == pytest.approx(np.full((2, 2), 0.5))
    # only customers present in both are compared
    partial = C.compare_segments(clusters, same.iloc[:6])
    assert partial.n_customers == 6
    assert partial.dominant.loc[1].tolist() == ["Champions", 1.0] and partial.dominant.loc[2].tolist() == ["Lost", 1.0]


def test_compare_segments_finds_the_most_split_segment():
    index = [f"c{i}" for i in range(10)]
    clusters = pd.Series([1, 1, 1, 1, 2, 2, 2, 3, 3, 3], index=index)
    # A: 3 of its 4 customers in cluster 1; B: its 6 customers over clusters 2 (3), 3 (2) and 1 (1)
    segments = pd.Series(["A", "A", "A", "B", "B", "B", "B", "B", "B", "A"], index=index)
    agreement = C.compare_segments(clusters, segments, order=["B", "A"])
    assert agreement.crosstab.columns.tolist() == ["B", "A"]
    assert agreement.dominant["segment"].tolist() == ["A", "B", "B"]
    assert agreement.dominant["share"].tolist() == pytest.approx([0.75, 1.0, 2 / 3])
    assert agreement.most_split == "B"                    # at most 3 of 6 in one cluster, A 3 of 4
    assert agreement.split_parts.index.tolist() == [2, 3, 1]
    assert agreement.split_parts.tolist() == pytest.approx([0.5, 1 / 3, 1 / 6])
    with pytest.raises(InputError):
        C.compare_segments(clusters, pd.Series(["x"], index=["other"]))


@pytest.mark.parametrize("lang, money", [("en", "Rp 229,700"), ("id", "Rp 229.700")])
def test_features_table_shows_spend_in_the_currency(lang, money):
    from crmlib.cluster.report import features_table

    features = pd.DataFrame({"recency_days": [10.0, 40.0, 155.0, 358.0, 400.0],
                             "monetary_total": [100_000.0, 229_700.0, 489_000.0, 1_141_300.0, 2_000_000.0]})
    html = features_table(features, lang, "IDR").html
    assert money in html and "Rp 489" in html
    assert "Rp 40" not in html and "Rp 155" not in html        # days stay days
