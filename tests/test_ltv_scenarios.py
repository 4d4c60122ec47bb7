"""Scenario LTV: known answers worked out by hand (the workshop's "Pak Budi" among them)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crmlib.io import InputError
from crmlib.ltv.scenarios import (
    LTVInputs, cash_flows, client_scenario, lifetime_value, ltv_to_cac, observed_inputs, perpetuity_ltv,
    practitioners_position, project_base, retention_uplift, scenario_inputs, sensitivity_grid,
    tornado, with_retention,
)

MILLION = 1e6


def test_pak_budi_nominal():
    """Rp 100 million a year, Rp 30 million profit, kept 10 years, no discount."""
    budi = LTVInputs(yearly_revenue=100 * MILLION, margin=0.3, retention=1.0, years=10)
    value = lifetime_value(budi)
    assert value.revenue == pytest.approx(1_000 * MILLION)
    assert value.profit == pytest.approx(300 * MILLION)
    assert value.profit_today == pytest.approx(300 * MILLION)
    assert value.discount_loss == pytest.approx(0.0)


def test_pak_budi_discounted_is_an_annuity():
    """At 10 % a year, 10 end-of-year payments of Rp 30 million are worth 30 mn x 6.1446 today."""
    budi = LTVInputs(yearly_revenue=100 * MILLION, margin=0.3, years=10, discount_rate=0.10)
    annuity_factor = (1 - 1.1 ** -10) / 0.10          # 6.144567...
    value = lifetime_value(budi)
    assert annuity_factor == pytest.approx(6.144567, rel=1e-6)
    assert value.profit_today == pytest.approx(30 * MILLION * annuity_factor)
    assert value.revenue_today == pytest.approx(100 * MILLION * annuity_factor)
    assert value.profit == pytest.approx(300 * MILLION)          # nominal unchanged
    assert value.discount_loss == pytest.approx(1 - annuity_factor / 10)   # ~38.6 % less today


def test_retention_adjusted_matches_geometric_sum():
    r, d, n, profit = 0.6, 0.1, 7, 250.0
    q = r / (1 + d)
    expected = profit / (1 + d) * (1 - q ** n) / (1 - q)
    value = lifetime_value(LTVInputs(yearly_revenue=1000.0, margin=0.25, retention=r, years=n,
                                     discount_rate=d))
    assert value.profit_today == pytest.approx(expected)
    # nominal profit: 250 * (1 + .6 + .36 + ...) over 7 years
    assert value.profit == pytest.approx(profit * (1 - r ** n) / (1 - r))


def test_long_horizon_tends_to_perpetuity():
    inputs = LTVInputs(yearly_revenue=100.0, margin=0.3, retention=0.6, years=400, discount_rate=0.1)
    assert lifetime_value(inputs).profit_today == pytest.approx(30 / (1 + 0.1 - 0.6))
    assert perpetuity_ltv(30.0, 0.6, 0.1) == pytest.approx(60.0)


def test_cash_flows_first_year_counts_in_full():
    flows = cash_flows(LTVInputs(yearly_revenue=100.0, margin=0.5, retention=0.5, years=3))
    assert flows["year"].tolist() == [1, 2, 3]
    assert flows["profit"].tolist() == pytest.approx([50.0, 25.0, 12.5])


@pytest.mark.parametrize("field, value", [("margin", 30), ("retention", 1.5), ("years", 0),
                                          ("years", 2.5), ("discount_rate", -0.1),
                                          ("yearly_revenue", float("nan"))])
def test_bad_inputs_name_the_input(field, value):
    kwargs = {"yearly_revenue": 100.0, "margin": 0.3, "retention": 0.5, "years": 5, "discount_rate": 0.1}
    kwargs[field] = value
    with pytest.raises(InputError, match=field):
        LTVInputs(**kwargs)


def test_retention_uplift_long_horizon_known_ratios():
    """With a long horizon and no discount LTV ~ 1/(1-r): 60 % -> 65 % is 0.4/0.35 - 1 = +14.3 %."""
    inputs = LTVInputs(yearly_revenue=100.0, margin=0.3, retention=0.6, years=400)
    uplift = retention_uplift(inputs, points=0.05, base_customers=1000)
    assert uplift["ltv_change"] == pytest.approx(0.4 / 0.35 - 1, rel=1e-9)
    assert uplift["base_profit_change"] == pytest.approx(0.4 / 0.35 - 1, rel=1e-9)
    assert uplift["base_profit_before"] == pytest.approx(1000 * 30 / 0.4)
    assert uplift["position"] == "below"
    # Loyal bases gain most: 85 % -> 90 % halves churn from 15 to 10 points: +50 %, within 25-85 %.
    loyal = retention_uplift(inputs.replace(retention=0.85), points=0.05)
    assert loyal["ltv_change"] == pytest.approx(0.15 / 0.10 - 1, rel=1e-9)
    assert loyal["position"] == "within"
    # 90 % -> 95 % doubles the expected lifetime: +100 %, above the band.
    assert retention_uplift(inputs.replace(retention=0.9))["position"] == "above"


def test_retention_uplift_with_acquisitions_dilutes_the_base_change():
    inputs = LTVInputs(yearly_revenue=100.0, margin=0.3, retention=0.6, years=5, discount_rate=0.1)
    alone = retention_uplift(inputs, base_customers=1000)
    with_new = retention_uplift(inputs, base_customers=1000, new_customers_per_year=500)
    # new customers buy in their first year whatever the retention, so the base gains less in %
    assert 0 < with_new["base_profit_change"] < alone["base_profit_change"]
    assert alone["base_profit_change"] == pytest.approx(alone["ltv_change"])


def test_retention_is_capped():
    assert with_retention(LTVInputs(100.0, 0.3, retention=0.97), 1.02).retention == 0.99


def test_practitioners_position_edges():
    assert practitioners_position(0.2499) == "below"
    assert practitioners_position(0.25) == "within"
    assert practitioners_position(0.85) == "within"
    assert practitioners_position(0.86) == "above"


def test_project_base_by_hand():
    inputs = LTVInputs(yearly_revenue=10.0, margin=0.5, retention=0.5, years=3)
    frame = project_base(inputs, base_customers=100, new_customers_per_year=10)
    assert frame["active"].tolist() == pytest.approx([110.0, 65.0, 42.5])
    assert frame["retained"].tolist() == pytest.approx([100.0, 55.0, 32.5])
    assert frame["profit"].tolist() == pytest.approx([550.0, 325.0, 212.5])


def test_project_base_without_acquisition_is_base_times_ltv():
    inputs = LTVInputs(yearly_revenue=120.0, margin=0.3, retention=0.7, years=8, discount_rate=0.1,
                       retention_cost=4.0)
    frame = project_base(inputs, base_customers=250)
    assert frame["pv_profit"].sum() == pytest.approx(250 * lifetime_value(inputs).net_profit_today)


def test_ltv_to_cac_by_hand():
    inputs = LTVInputs(yearly_revenue=1000.0, margin=0.3, retention=1.0, years=1, retention_cost=50.0)
    table = ltv_to_cac(inputs, acquisition_cost_multiple=7.0)
    assert table["multiple"].tolist() == [5.0, 7.0, 10.0]
    assert table["cac"].tolist() == [250.0, 350.0, 500.0]
    assert table["ratio"].tolist() == pytest.approx([1.0, 250 / 350, 0.5])
    assert table.loc[table["chosen"], "multiple"].item() == 7.0
    with pytest.raises(InputError, match="retention cost"):
        ltv_to_cac(inputs.replace(retention_cost=0.0))


def test_sensitivity_grid_cells_and_monotone():
    inputs = LTVInputs(yearly_revenue=100.0, margin=0.33, retention=0.45, years=5, discount_rate=0.1)
    grid = sensitivity_grid(inputs)
    assert 0.45 in grid.index and 0.33 in grid.columns
    q = 0.5 / 1.1
    assert grid.loc[0.5, 0.2] == pytest.approx(20 / 1.1 * (1 - q ** 5) / (1 - q))
    assert (np.diff(grid.to_numpy(), axis=0) > 0).all()     # more retention, more value
    assert (np.diff(grid.to_numpy(), axis=1) > 0).all()     # more margin, more value


def test_tornado_by_hand():
    inputs = LTVInputs(yearly_revenue=100.0, margin=0.5, retention=1.0, years=10, discount_rate=0.0)
    table = tornado(inputs, swing=0.2).set_index("input")
    # base: 10 years x 50 = 500; revenue and margin -/+20 % -> 400 / 600; years 8 / 12 -> 400 / 600
    for name in ("yearly_revenue", "margin", "years"):
        assert (table.loc[name, "ltv_low"], table.loc[name, "ltv_high"]) == pytest.approx((400.0, 600.0))
    # retention 90 % / 99 % (capped): 50 * (1 - r^10) / (1 - r)
    assert table.loc["retention", "ltv_low"] == pytest.approx(50 * (1 - 0.9 ** 10) / 0.1)
    assert table.loc["retention", "high"] == 0.99
    # discount 0 -> 0 .. 10 %: 50 x annuity factor at 10 %
    assert table.loc["discount_rate", "ltv_high"] == pytest.approx(50 * (1 - 1.1 ** -10) / 0.1)
    assert table.loc["retention_cost", "swing"] == 0.0
    swings = tornado(inputs)["swing"].tolist()
    assert swings == sorted(swings, reverse=True)


def _tx(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def test_observed_inputs_two_full_years():
    tx = _tx([("A", "2023-01-05", 100), ("B", "2023-03-01", 50), ("C", "2023-12-31", 70),
              ("A", "2024-02-01", 200), ("B", "2024-12-31", 100), ("D", "2024-06-01", 300),
              ("D", "2024-06-01", -300),      # D's only day nets to zero: no purchase
              ("E", "2024-07-01", 100)])
    seen = observed_inputs(tx, "2024-12-31")
    assert seen.period_months == 12
    assert (seen.active_previous, seen.retained, seen.active_current, seen.new_current) == (3, 2, 3, 1)
    assert seen.retention == pytest.approx(2 / 3)
    assert seen.yearly_revenue == pytest.approx(400 / 3)
    assert seen.new_customers_per_year == 1


def test_observed_inputs_short_data_annualises():
    """Nine months of data fit two 4-month periods: retention r4 ** 3, revenue x 3."""
    tx = _tx([("A", "2024-01-10", 10), ("B", "2024-02-01", 10), ("C", "2024-03-01", 10),
              ("D", "2024-04-15", 10), ("A", "2024-06-01", 30), ("B", "2024-08-01", 10),
              ("F", "2024-09-30", 20)])
    seen = observed_inputs(tx, "2024-09-30")
    assert seen.period_months == 4
    # previous period (2024-01-30, 2024-05-30]: B, C, D; current (2024-05-30, 2024-09-30]: A, B, F
    assert (seen.active_previous, seen.retained, seen.active_current) == (3, 1, 3)
    assert seen.retention == pytest.approx((1 / 3) ** 3)
    assert seen.yearly_revenue == pytest.approx(60 / 3 * 3)
    assert seen.new_current == 1 and seen.new_customers_per_year == 3


def test_observed_inputs_too_short():
    with pytest.raises(InputError, match="retention"):
        observed_inputs(_tx([("A", "2024-01-01", 10), ("A", "2024-01-20", 10)]))


def test_scenario_inputs_parameters_override_data():
    tx = _tx([("A", "2023-01-05", 100), ("B", "2023-03-01", 50), ("A", "2024-02-01", 200),
              ("B", "2024-12-31", 100)])
    seen = observed_inputs(tx, "2024-12-31")
    scenario = scenario_inputs(seen, margin=0.3, years=10, discount_rate=0.1)
    inputs, sources = scenario.inputs, scenario.sources
    assert inputs.retention == 0.99          # observed 100 %, capped
    assert inputs.yearly_revenue == pytest.approx(150.0)
    assert inputs.retention_cost == pytest.approx(7.5)
    assert (scenario.base_customers, scenario.new_customers_per_year) == (2, 0)
    assert sources["retention"] == "data" and sources["retention_cost"] == "share_of_revenue"
    scenario = scenario_inputs(seen, margin=0.3, years=10, discount_rate=0.1, retention=0.4,
                               yearly_revenue=1e6, retention_cost=1000, base_customers=50,
                               new_customers_per_year=5)
    inputs = scenario.inputs
    assert (inputs.retention, inputs.yearly_revenue, inputs.retention_cost) == (0.4, 1e6, 1000)
    assert (scenario.base_customers, scenario.new_customers_per_year) == (50, 5)
    assert set(scenario.sources.values()) == {"parameter"}
    assert math.isfinite(lifetime_value(inputs).profit_today)


def test_client_scenario_short_data_needs_parameters():
    short = _tx([("A", "2024-01-01", 10), ("A", "2024-01-20", 10)])
    with pytest.raises(InputError, match="scenario_retention"):
        client_scenario(short, margin=0.3, years=10, discount_rate=0.1)
    scenario = client_scenario(short, margin=0.3, years=10, discount_rate=0.1, retention=0.5,
                               yearly_revenue=100.0, base_customers=10, new_customers_per_year=2)
    assert scenario.observed is None and scenario.inputs.retention == 0.5


# --------------------------------------------------------------------------- calibration split
def test_calibration_split_default_is_last_half_year():
    from crmlib.ltv.split import calibration_split
    tx = _tx([("A", "2023-01-01 10:00", 1), ("A", "2024-12-31 23:00", 1)])
    assert calibration_split(tx, time_unit="W") == (pd.Timestamp("2024-07-02"), pd.Timestamp("2024-12-31"))
    assert calibration_split(tx, time_unit="M")[0] == pd.Timestamp("2024-06-30")
    # a year of data: holdout shrinks to the last third so calibration stays twice as long
    short = _tx([("A", "2024-01-01", 1), ("A", "2024-12-31", 1)])
    cal_end, end = calibration_split(short)
    assert (cal_end - pd.Timestamp("2024-01-01")).days == pytest.approx(2 * (end - cal_end).days, abs=1)


def test_calibration_split_of_an_export_ending_before_as_of_date():
    """The holdout is judged where the export has data: it ends at the last transaction day,
    not at a later as_of_date (whose days after the export would count as 'no purchases')."""
    from crmlib.ltv.split import calibration_split
    from crmlib.summary import btyd_summary
    tx = _tx([("A", "2023-01-01", 1), ("A", "2024-03-01", 1), ("B", "2023-02-01", 1), ("B", "2024-05-31", 1)])
    cal_end, end = calibration_split(tx, as_of_date="2024-12-31", time_unit="W")
    assert (cal_end, end) == (pd.Timestamp("2023-12-11"), pd.Timestamp("2024-05-31"))  # 2/3 : 1/3
    summary = btyd_summary(tx, cal_end, end, "W")  # a holdout with transactions: no error
    assert summary["frequency_holdout"].sum() == 2
    assert calibration_split(tx, as_of_date="2024-04-30")[1] == pd.Timestamp("2024-04-30")


def test_calibration_split_checks_the_date():
    from crmlib.ltv.split import calibration_split
    tx = _tx([("A", "2023-01-01", 1), ("A", "2024-12-31", 1)])
    assert calibration_split(tx, "2024-03-31")[0] == pd.Timestamp("2024-03-31")
    with pytest.raises(InputError, match="calibration_end"):
        calibration_split(tx, "2025-03-31")
    with pytest.raises(InputError, match="calibration_end"):
        calibration_split(tx, "end of march")
    with pytest.raises(InputError, match="time_unit"):
        calibration_split(tx, time_unit="Q")


# --------------------------------------------------------------------------- segment value
def test_segment_clv_by_hand():
    from crmlib.ltv.segment_value import NO_SEGMENT, segment_clv
    clv = pd.DataFrame({"customer_id": ["1", "2", "3", "4"], "clv": [100.0, 300.0, 60.0, 40.0]})
    segments = pd.DataFrame({"customer_id": ["1", "2", "3", "5"],
                             "segment": ["Champions", "Champions", "At risk", "At risk"]})
    table = segment_clv(clv, segments).set_index("segment")
    assert table.index.tolist() == ["Champions", "At risk", NO_SEGMENT]
    assert table.loc["Champions", "clv_total"] == 400.0
    assert table.loc["At risk", "customers"] == 2          # customer 5 never bought: CLV 0
    assert table.loc["At risk", "clv_mean"] == 30.0
    assert table.loc["Champions", "share_of_value"] == pytest.approx(0.8)
    assert table.loc["Champions", "share_of_customers"] == pytest.approx(0.4)
    assert table.loc["Champions", "value_index"] == pytest.approx(2.0)


def test_find_segments_reads_sibling_folder(tmp_path):
    from crmlib.ltv.segment_value import find_segments
    own = tmp_path / "run" / "05_ltv_scenarios"
    own.mkdir(parents=True)
    assert find_segments(own, "rfm") is None
    rfm = tmp_path / "run" / "02_rfm_segmentation"
    rfm.mkdir()
    (rfm / "segment_summary.csv").write_text("segment,customers\nChampions,3\n", encoding="utf-8")
    assert find_segments(own, "rfm") is None              # no per-customer table yet
    (rfm / "zz_customers.csv").write_text("customer_id,recency,segment\n0007,3,Champions\n0008,9,Lost\n",
                                          encoding="utf-8")
    table, name = find_segments(own, "rfm")
    assert name == "zz_customers.csv"
    assert table.to_dict("list") == {"customer_id": ["0007", "0008"], "segment": ["Champions", "Lost"]}


def test_find_segments_joins_cluster_and_persona(tmp_path):
    from crmlib.ltv.segment_value import find_segments
    own = tmp_path / "run" / "05_ltv_scenarios"
    clusters = tmp_path / "run" / "03_kmeans_clustering"
    clusters.mkdir(parents=True)
    (clusters / "clusters.csv").write_text("customer_id,cluster,persona\n01,1,Loyal\n02,2,Lapsed\n",
                                           encoding="utf-8")
    table, name = find_segments(own, "cluster")
    assert name == "clusters.csv"
    assert table["segment"].tolist() == ["1 · Loyal", "2 · Lapsed"]
    assert table["customer_id"].tolist() == ["01", "02"]


@pytest.mark.parametrize("name, value", [("margin", 30), ("annual_discount_rate", "10%"),
                                         ("clv_horizon_months", 0), ("clv_horizon_months", 1.5),
                                         ("acquisition_cost_multiple", -5), ("scenario_retention", 60)])
def test_check_parameters_names_the_parameter(name, value):
    from crmlib.ltv.scenarios import check_parameters
    with pytest.raises(InputError, match=name):
        check_parameters(**{name: value})


def test_check_parameters_accepts_defaults():
    from crmlib.ltv.scenarios import check_parameters
    check_parameters(margin=0.3, annual_discount_rate=0.1, clv_horizon_months=12, clv_interval_draws=200,
                     scenario_years=10, projection_years=5, retention_uplift_points=0.05,
                     retention_cost_share=0.05, acquisition_cost_multiple=5, scenario_retention=None)
