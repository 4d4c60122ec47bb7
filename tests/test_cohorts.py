"""Retention, cohorts and trends on hand-built transactions with answers worked out by hand."""
import numpy as np
import pandas as pd
import pytest

from crmlib.profile.cohorts import (AVERAGE_YEARLY_RETENTION, cohort_retention, monthly_trends, purchase_days,
                            retention_by_period, retention_rates, seasonality_index)
from crmlib.io import InputError


def frame(rows):
    """Transactions from (customer_id, date, amount[, order_id]) tuples."""
    columns = ["customer_id", "date", "amount", "order_id"][:len(rows[0])]
    tx = pd.DataFrame(rows, columns=columns)
    tx["date"] = pd.to_datetime(tx["date"], format="ISO8601")
    tx["amount"] = tx["amount"].astype(float)
    return tx


def test_practitioners_example_1000_active_600_still_active_is_60_percent():
    rows = [(f"c{i:04d}", "2017-03-15", 100.0) for i in range(1000)]
    rows += [(f"c{i:04d}", "2018-11-02", 50.0) for i in range(600)]
    rows += [(f"n{i:04d}", "2018-05-01", 80.0) for i in range(250)]  # new in 2018: not in the base
    table = retention_by_period(frame(rows), "Y", as_of_date="2018-12-31")
    assert list(table["period"]) == ["2017"]
    row = table.iloc[0]
    assert (row["active"], row["retained"], row["lost"]) == (1000, 600, 400)
    assert row["retention_rate"] == 0.60
    assert retention_rates(table) == {"2017": 0.60}


def test_real_client_ratio_17_percent():
    # 900,000 active, 153,000 still active -> 17 %; the same ratio at 1/1000 scale
    rows = [(f"c{i}", "2020-06-01", 10.0) for i in range(900)] + [(f"c{i}", "2021-02-01", 10.0) for i in range(153)]
    table = retention_by_period(frame(rows), "Y", as_of_date="2021-12-31")
    assert table.loc[0, "retention_rate"] == pytest.approx(0.17)


def test_a_fully_returned_purchase_is_not_activity():
    rows = [("a", "2017-02-01", 100.0), ("b", "2017-02-01", 100.0),
            ("a", "2018-04-01 10:00", 70.0), ("a", "2018-04-01 16:00", -70.0),  # returned the same day
            ("b", "2018-04-01", 70.0), ("b", "2018-04-09", -20.0)]  # partial return on another day
    table = retention_by_period(frame(rows), "Y", as_of_date="2018-12-31")
    assert table.loc[0, "active"] == 2
    assert table.loc[0, "retained"] == 1
    days = purchase_days(frame(rows), "2018-12-31")
    assert set(zip(days["customer_id"], days["day"].dt.strftime("%Y-%m-%d"))) == {
        ("a", "2017-02-01"), ("b", "2017-02-01"), ("b", "2018-04-01")}


def test_quarterly_retention_and_empty_quarters():
    rows = [("a", "2022-01-10", 1), ("b", "2022-02-10", 1), ("c", "2022-03-10", 1), ("d", "2022-03-11", 1),
            ("a", "2022-04-02", 1), ("b", "2022-06-30", 1),
            ("a", "2022-12-01", 1)]
    table = retention_by_period(frame(rows), "Q", as_of_date="2022-12-31").set_index("period")
    assert list(table.index) == ["2022Q1", "2022Q2", "2022Q3"]
    assert table.loc["2022Q1", "retention_rate"] == 0.5  # a, b of a, b, c, d
    assert table.loc["2022Q2", "retention_rate"] == 0.0  # nobody of a, b bought in Q3
    assert np.isnan(table.loc["2022Q3", "retention_rate"])  # nobody active in Q3
    assert table.loc["2022Q3", "next_period"] == "2022Q4"


def test_partial_periods_are_flagged():
    rows = [("a", "2010-12-01", 1), ("a", "2011-03-01", 1), ("b", "2011-05-01", 1), ("b", "2012-01-05", 1)]
    table = retention_by_period(frame(rows), "Y", as_of_date="2012-06-30").set_index("period")
    # 2010 starts before the data (December only); 2011->2012 ends after the as-of date
    assert not table.loc["2010", "complete"]
    assert not table.loc["2011", "complete"]
    full = retention_by_period(frame(rows), "Y", as_of_date="2012-12-31").set_index("period")
    assert full.loc["2011", "complete"]
    assert full.loc["2011", "retention_rate"] == 0.5


def test_unknown_period_is_a_clear_error():
    with pytest.raises(InputError, match="period must be one of"):
        retention_by_period(frame([("a", "2020-01-01", 1)]), "W")


def test_cohort_matrix_by_hand():
    rows = [
        # January cohort: a, b, c, d
        ("a", "2023-01-03", 10), ("a", "2023-01-20", 10), ("a", "2023-02-05", 10),
        ("b", "2023-01-10", 10), ("b", "2023-03-10", 10),
        ("c", "2023-01-15", 10), ("c", "2023-02-15", 10),
        ("d", "2023-01-31", 10),
        # March cohort: e, f  (no February cohort)
        ("e", "2023-03-01", 10), ("f", "2023-03-02", 10),
    ]
    matrix = cohort_retention(frame(rows), as_of_date="2023-03-31")
    assert list(matrix.index) == ["2023-01", "2023-03"]
    assert list(matrix["customers"]) == [4, 2]
    jan = matrix.loc["2023-01"]
    assert jan[0] == 1.0 and jan[1] == 0.5 and jan[2] == 0.25  # a, c in Feb; b in Mar
    march = matrix.loc["2023-03"]
    assert march[0] == 1.0
    assert np.isnan(march[1]) and np.isnan(march[2])  # not observed yet


def test_cohort_zero_is_zero_not_missing():
    rows = [("a", "2023-01-03", 10), ("b", "2023-01-04", 10), ("a", "2023-03-03", 10)]
    matrix = cohort_retention(frame(rows), as_of_date="2023-03-31")
    assert matrix.loc["2023-01", 1] == 0.0
    assert matrix.loc["2023-01", 2] == 0.5


def test_monthly_trends_by_hand():
    rows = [
        ("a", "2023-01-05", 100, "o1"), ("a", "2023-01-05", 50, "o1"),  # one order, two lines
        ("b", "2023-01-20", 300, "o2"),
        ("a", "2023-03-02", 200, "o3"), ("a", "2023-03-09", -40, "o3"),  # partial return
        ("c", "2023-03-15", 60, "o4"),
    ]
    trends = monthly_trends(frame(rows), as_of_date="2023-03-31").set_index("month")
    assert list(trends.index) == ["2023-01", "2023-02", "2023-03"]
    assert list(trends["revenue"]) == [450.0, 0.0, 220.0]
    assert list(trends["orders"]) == [2, 0, 2]
    assert list(trends["active_customers"]) == [2, 0, 2]
    assert list(trends["new_customers"]) == [2, 0, 1]
    assert list(trends["returning_customers"]) == [0, 0, 1]
    assert trends.loc["2023-01", "average_order_value"] == 225.0
    assert np.isnan(trends.loc["2023-02", "average_order_value"])
    assert not trends.loc["2023-01", "complete"]  # data starts on the 5th
    assert trends.loc["2023-03", "complete"]


def test_orders_fall_back_to_purchase_days_without_order_ids():
    rows = [("a", "2023-01-05 09:00", 100), ("a", "2023-01-05 18:00", 50), ("a", "2023-01-06", 10)]
    trends = monthly_trends(frame(rows), as_of_date="2023-01-31")
    assert trends.loc[0, "orders"] == 2


def test_seasonality_index_uses_complete_months():
    months = pd.period_range("2022-01", "2023-12", freq="M")
    rows = [("a", str(m.start_time.date()), 200.0 if m.month == 12 else 100.0) for m in months]
    index = seasonality_index(monthly_trends(frame(rows), as_of_date="2023-12-31")).set_index("calendar_month")
    mean = (11 * 100 + 200) / 12
    assert index.loc[12, "index"] == pytest.approx(200 / mean)
    assert index.loc[1, "index"] == pytest.approx(100 / mean)
    assert set(index["months"]) == {2}


def test_benchmark_is_the_ten_percent_yearly_loss():
    assert AVERAGE_YEARLY_RETENTION == 0.90
