"""RFM scores (tie rule, edges), segment rules (coverage, known codes), tiers and migration."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import yaml

from crmlib import rfm
from crmlib.io import InputError
from crmlib.summary import customer_summary


# --- scores ---------------------------------------------------------------------------------
def test_quantile_scores_distinct_values_fill_each_fifth():
    assert rfm.quantile_scores(np.arange(1, 11)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_quantile_scores_ties_share_the_lowest_position():
    # 6 of 10 bought once: nobody beats them -> all F = 1; value 2 has 6 worse -> 1 + floor(3) = 4
    values = [1, 1, 1, 1, 1, 1, 2, 2, 3, 5]
    assert rfm.quantile_scores(values).tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    # order of the input does not matter, equal values always get equal scores
    shuffled = np.random.default_rng(0).permutation(values)
    scores = rfm.quantile_scores(shuffled)
    assert {v: s for v, s in zip(shuffled, scores)} == {1: 1, 2: 4, 3: 5, 5: 5}


def test_recency_is_reversed():
    recency = np.arange(0, 100, 10)  # 0 days = most recent
    assert rfm.quantile_scores(recency, higher_is_better=False).tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_edge_scores_use_upper_bounds():
    assert rfm.edge_scores([1, 2, 3, 4, 5, 8, 9], [1, 2, 4, 8]).tolist() == [1, 2, 3, 3, 4, 4, 5]
    recency = [0, 30, 31, 90, 200, 365, 366]
    assert rfm.edge_scores(recency, [30, 90, 180, 365], higher_is_better=False).tolist() == [5, 5, 4, 4, 2, 2, 1]


def small_summary():
    return pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e"],
        "recency_days": [5, 40, 100, 200, 400],
        "frequency": [6, 1, 3, 1, 2],
        "orders": [9, 1, 3, 2, 2],
        "monetary_total": [900.0, 50.0, 300.0, 80.0, 120.0],
        "monetary_mean": [150.0, 50.0, 100.0, 80.0, 60.0],
    })


def test_rfm_scores_table_and_code():
    scores = rfm.rfm_scores(small_summary())
    assert list(scores.columns) == ["customer_id", "recency_days", "frequency", "monetary", "revenue",
                                    "R", "F", "M", "RFM"]
    # recency 5 is best of 5 -> R5; frequency ranks 6>3>2>1=1; monetary 900>300>120>80>50
    assert scores["R"].tolist() == [5, 4, 3, 2, 1]
    assert scores["F"].tolist() == [5, 1, 4, 1, 3]
    assert scores["M"].tolist() == [5, 1, 4, 2, 3]
    assert scores["RFM"].tolist() == ["555", "411", "344", "212", "133"]


def test_rfm_scores_bases_and_edges():
    by_orders = rfm.rfm_scores(small_summary(), frequency_basis="orders", monetary_basis="mean")
    assert by_orders["frequency"].tolist() == [9, 1, 3, 2, 2]
    assert by_orders["F"].tolist() == [5, 1, 4, 2, 2]
    assert by_orders["monetary"].tolist() == [150, 50, 100, 80, 60]
    assert by_orders["revenue"].tolist() == [900, 50, 300, 80, 120]   # revenue stays net spend
    fixed = rfm.rfm_scores(small_summary(), bins=3, edges={"r": [30, 180], "F": [1, 3]})
    assert fixed["R"].tolist() == [3, 2, 2, 1, 1]
    assert fixed["F"].tolist() == [3, 1, 2, 1, 2]       # 6 > 3; 1 ≤ 1; 3 ≤ 3; 2 ≤ 3


@pytest.mark.parametrize("kwargs, message", [
    ({"bins": 1}, "rfm_bins"), ({"bins": 5.5}, "rfm_bins"),
    ({"frequency_basis": "weeks"}, "rfm_frequency_basis"),
    ({"monetary_basis": "median"}, "rfm_monetary_basis"),
    ({"edges": {"F": [1, 2, 3]}}, "4 increasing"),
    ({"edges": {"F": [1, 3, 2, 4]}}, "increasing"),
    ({"edges": {"X": [1, 2, 3, 4]}}, "unknown score"),
])
def test_rfm_scores_reject_bad_parameters(kwargs, message):
    with pytest.raises(InputError, match=message):
        rfm.rfm_scores(small_summary(), **kwargs)


# --- segment rules --------------------------------------------------------------------------
RULES = rfm.load_segment_rules()
ALL_CODES = list(itertools.product(range(1, 6), repeat=3))
ELEVEN = ["Champions", "Loyal", "Potential Loyalist", "New", "Promising", "Need Attention",
          "About To Sleep", "Can't Lose Them", "At Risk", "Hibernating", "Lost"]


def test_default_rules_cover_all_125_codes_with_exactly_one_segment():
    r, f, m = np.array(ALL_CODES).T
    names = RULES.assign(r, f, m)
    assert len(names) == 125 and all(name in ELEVEN for name in names)
    assert RULES.uncovered() == []
    assert set(names) == set(ELEVEN)                      # every segment is reachable
    assert sorted(RULES.names) == sorted(ELEVEN) and RULES.names[0] == "Champions"


@pytest.mark.parametrize("code, segment", [
    ("555", "Champions"), ("444", "Champions"), ("353", "Loyal"), ("233", "At Risk"),
    ("155", "Can't Lose Them"), ("145", "Can't Lose Them"), ("135", "At Risk"),
    ("515", "New"), ("511", "New"), ("411", "Promising"), ("315", "Promising"),
    ("521", "Potential Loyalist"), ("452", "Potential Loyalist"), ("322", "Need Attention"),
    ("252", "Need Attention"), ("331", "About To Sleep"), ("211", "About To Sleep"),
    ("121", "Hibernating"), ("152", "Hibernating"), ("111", "Lost"), ("115", "Lost"),
])
def test_known_codes(code, segment):
    r, f, m = (np.array([int(c)]) for c in code)
    assert RULES.assign(r, f, m)[0] == segment


def test_every_segment_has_4r_and_texts_in_both_languages():
    for segment in RULES.segments:
        assert segment.r_of_4r in rfm.FOUR_R
        assert segment.label["en"].strip() and segment.label["id"].strip()
        for texts in (segment.description, segment.programme):
            assert texts["en"].strip() and texts["id"].strip() and texts["en"] != texts["id"]
    assert {s.r_of_4r for s in RULES.segments} == set(rfm.FOUR_R)


def write_rules(tmp_path, segments):
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"scale": 5, "segments": segments}), encoding="utf-8")
    return path


def rule(name, when, r4="Retention", rank=1):
    return {"name": name, "when": when, "rank": rank, "r_of_4r": r4,
            "description": {"en": "d", "id": "d"}, "programme": {"en": "p", "id": "p"}}


def test_custom_rules_must_cover_the_grid(tmp_path):
    path = write_rules(tmp_path, [rule("Best", {"R": [4, 5]}), rule("Rest", {"R": [2, 3]}, rank=2)])
    with pytest.raises(InputError, match="no rule matches the score codes 111"):
        rfm.load_segment_rules(path)
    ok = write_rules(tmp_path, [rule("Best", {"R": [4, 5]}), rule("Rest", {}, rank=2)])
    assert rfm.load_segment_rules(ok).names == ["Best", "Rest"]


def test_custom_rules_errors_name_file_and_segment(tmp_path):
    with pytest.raises(InputError, match=r"rules.yaml, segment #1 \(Best\).*r_of_4r"):
        rfm.load_segment_rules(write_rules(tmp_path, [rule("Best", {}, r4="Rescue")]))
    with pytest.raises(InputError, match="low ≤ high"):
        rfm.load_segment_rules(write_rules(tmp_path, [rule("Best", {"R": [4, 6]})]))
    with pytest.raises(InputError, match="not found"):
        rfm.load_segment_rules(tmp_path / "nope.yaml")


def test_other_bin_counts_are_mapped_onto_the_rules_scale():
    assert rfm.to_scale(np.array([1, 2, 3]), 3, 5).tolist() == [1, 3, 5]
    assert rfm.to_scale(np.array([1, 2, 3, 4]), 4, 5).tolist() == [1, 2, 4, 5]  # 2.33->2, 3.67->4
    scores = rfm.rfm_scores(small_summary(), bins=3)
    segmented = rfm.assign_segments(scores, RULES)           # bins=3 remembered by rfm_scores
    assert segmented.loc[0, "segment"] == "Champions"        # a: 333 -> 555


def test_segment_summary_counts_and_shares():
    table = rfm.assign_segments(rfm.rfm_scores(small_summary()), RULES)
    summary = rfm.segment_summary(table, RULES)
    assert summary.columns.tolist() == ["segment", "customers", "customer_share", "revenue", "revenue_share",
                                        "recency_mean", "frequency_mean", "monetary_mean", "r_of_4r"]  # no words
    assert summary["segment"].tolist() == RULES.names       # value order, empty segments kept
    assert summary["customers"].sum() == 5 and summary["customer_share"].sum() == pytest.approx(1)
    assert summary["revenue_share"].sum() == pytest.approx(1)
    champions = summary.set_index("segment").loc["Champions"]
    assert (champions["customers"], champions["revenue"]) == (1, 900)
    assert champions["revenue_share"] == pytest.approx(900 / 1450)


def test_rf_grid_means():
    table = rfm.rfm_scores(small_summary())
    grid = rfm.rf_grid(table)
    assert grid.index.tolist() == [5, 4, 3, 2, 1] and grid.columns.tolist() == [1, 2, 3, 4, 5]
    assert grid.loc[5, 5] == 900 and grid.loc[2, 1] == 80 and np.isnan(grid.loc[5, 1])


# --- tiers ----------------------------------------------------------------------------------
def test_tiers_top_5_next_15_rest():
    revenue = pd.Series(np.arange(1, 101, dtype=float))
    tiers = rfm.assign_tiers(revenue)
    assert tiers[revenue >= 96].eq("Platinum").all() and (tiers == "Platinum").sum() == 5
    assert tiers[(revenue >= 81) & (revenue <= 95)].eq("Gold").all() and (tiers == "Gold").sum() == 15
    assert (tiers == "Regular").sum() == 80


def test_tiers_ties_go_up_and_cutoffs_are_checked():
    revenue = pd.Series([50.0, 50, 50, 10, 10, 10, 10, 10, 10, 5])
    tiers = rfm.assign_tiers(revenue, cutoffs=(0.1, 0.3))
    assert tiers.tolist()[:3] == ["Platinum"] * 3                 # nobody spent more than 50
    assert tiers.tolist()[3:9] == ["Regular"] * 6                 # 3 of 10 spent more: 0.3 ≥ 0.3
    with pytest.raises(InputError, match="tier_cutoffs"):
        rfm.assign_tiers(revenue, cutoffs=(0.3, 0.1))


def test_tier_summary():
    table = pd.DataFrame({"revenue": np.arange(1, 101, dtype=float)})
    table["tier"] = rfm.assign_tiers(table["revenue"])
    summary = rfm.tier_summary(table).set_index("tier")
    assert summary.loc["Platinum", "revenue"] == sum(range(96, 101))
    assert summary.loc["Gold", "min_revenue"] == 81
    assert summary["revenue_share"].sum() == pytest.approx(1)


# --- migration on a crafted two-date example --------------------------------------------------
EDGES = {"R": [30, 60, 90, 120], "F": [1, 2, 3, 4], "M": [100, 200, 300, 400]}


def crafted_transactions():
    rows = []
    for day in pd.date_range("2024-05-01", periods=6, freq="7D"):    # a: weekly, 100 each
        rows.append(("a", day, 100.0))
    rows.append(("b", pd.Timestamp("2024-06-25"), 50.0))             # b: one small purchase...
    for day in pd.date_range("2024-12-01", periods=5, freq="4D"):    # ...then five more in Dec
        rows.append(("b", day, 100.0))
    rows.append(("c", pd.Timestamp("2024-12-20"), 80.0))             # c: first purchase in Dec
    rows.append(("d", pd.Timestamp("2024-01-10"), 50.0))             # d: once, long ago
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def test_migration_crafted():
    tx = crafted_transactions()
    before = rfm.segment_customers(tx, "2024-06-30", RULES, edges=EDGES)
    after = rfm.segment_customers(tx, "2024-12-31", RULES, edges=EDGES)
    # by hand at 30 Jun: a = R5 (last 5 Jun: 25 d) F5 (6) M5 (600) -> Champions;
    # b = R5 F1 M1 -> New; d = R1 (172 d) F1 M1 -> Lost
    assert dict(zip(before["customer_id"], before["segment"])) == {"a": "Champions", "b": "New", "d": "Lost"}
    # at 31 Dec: a = R1 (209 d) F5 M5 -> Can't Lose Them; b = R5 F5 M5 (550) -> Champions;
    # c = R5 F1 M1 -> New; d -> Lost
    assert dict(zip(after["customer_id"], after["segment"])) == {
        "a": "Can't Lose Them", "b": "Champions", "c": "New", "d": "Lost"}

    moves = rfm.movements(before, after, RULES)
    assert dict(zip(moves["customer_id"], moves["move"])) == {"a": "down", "b": "up", "c": "new", "d": "same"}
    matrix = rfm.migration_matrix(moves, RULES)
    assert matrix.loc["Champions", "Can't Lose Them"] == 1
    assert matrix.loc["New", "Champions"] == 1
    assert matrix.loc[rfm.NOT_YET, "New"] == 1
    assert matrix.loc["Lost", "Lost"] == 1
    assert matrix.to_numpy().sum() == 4
    assert matrix.index.tolist() == RULES.names + [rfm.NOT_YET]
    slipping = rfm.slipping_high_value(moves, RULES)
    assert slipping["customer_id"].tolist() == ["a"]
    assert slipping.loc[0, "revenue_now"] == 600


def test_segment_customers_matches_manual_pipeline():
    tx = crafted_transactions()
    manual = rfm.assign_segments(rfm.rfm_scores(customer_summary(tx, "2024-12-31")), RULES)
    pd.testing.assert_frame_equal(rfm.segment_customers(tx, "2024-12-31", RULES), manual)


def test_slipping_list_keeps_only_slips_out_of_safety():
    moves = pd.DataFrame({
        "customer_id": ["1", "2", "3", "4", "5"],
        "segment_before": ["Champions", "Champions", "Loyal", "At Risk", "Champions"],
        "segment_now": ["Loyal", "Can't Lose Them", "About To Sleep", "Lost", "Champions"],
        "revenue_now": [10.0, 20.0, 30.0, 40.0, 50.0]})
    moves["move"] = ["down", "down", "down", "down", "same"]
    slipping = rfm.slipping_high_value(moves, RULES)
    assert slipping["customer_id"].tolist() == ["3", "2"]   # At Risk was not high-value; biggest first


def test_earlier_date_defaults_to_six_months_before():
    from crmlib.rfm.segments import resolve_earlier_date
    assert resolve_earlier_date(None, "2024-12-31") == "2024-06-30"
    assert resolve_earlier_date(None, "1998-06-30") == "1997-12-30"
    assert resolve_earlier_date("2024-01-15", "2024-12-31") == "2024-01-15"
