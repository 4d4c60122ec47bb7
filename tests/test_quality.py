"""Data-quality alerts: counts, severities and amounts worked out by hand; dirty values never crash."""
import numpy as np
import pandas as pd
import pytest

from crmlib.paths import shared_dataset
from crmlib.profile.report import alerts_table
from crmlib.profile.quality import (alerts_for_results, column_alerts, date_coverage_alerts,
                            duplicate_customer_groups, longest_gaps, masked_duplicates, order_value_fences,
                            quality_alerts, severity)
from crmlib.validate import load_transactions

AS_OF = "2024-03-31"


def tx_frame(rows):
    tx = pd.DataFrame(rows, columns=["customer_id", "order_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    tx["amount"] = tx["amount"].astype(float)
    return tx


def daily_orders(start="2024-01-01", end=AS_OF, skip=()):
    days = [d for d in pd.date_range(start, end) if d.strftime("%Y-%m-%d") not in set(skip)]
    return tx_frame([(f"c{i % 7}", f"o{i}", d, 100.0 + i % 5) for i, d in enumerate(days)])


def by_name(alerts):
    return alerts.set_index("name")


def test_severity_thresholds():
    assert severity("missing_values", 0.75) == "high"
    assert severity("missing_values", 0.10) == "medium"
    assert severity("missing_values", 0.05) == "low"
    assert severity("missing_values_optional", 0.99) == "medium"  # optional fields never high
    assert severity("constant_column", 1.0) == "medium"
    assert severity("duplicate_customers", 0.0) == "low"
    assert severity("anything", float("nan")) == "low"


def test_quarantine_alerts_count_rows_and_money(tmp_path):
    path = tmp_path / "tx.csv"
    path.write_text(
        "order_id;customer_id;date;amount;status\n"
        "1;A;01/03/2024;100.000,00;Selesai\n"
        "2;;02/03/2024;250.000,00;Selesai\n"          # missing customer id
        "3;B;03/03/2024;40.000,00;Batal\n"            # cancelled
        "4;C;04/03/2024;60.000,00;Dibatalkan\n"       # cancelled
        "5;D;kemarin;70.000,00;Selesai\n"             # unparseable date
        "6;E;05/03/2024;n/a;Selesai\n"                # unparseable amount
        "1;A;01/03/2024;100.000,00;Selesai\n",        # exact duplicate
        encoding="utf-8")
    result = load_transactions(path, dayfirst=True, decimal=",", as_of_date=AS_OF)
    alerts = by_name(quality_alerts(result.transactions, None, result.rejected, result.report, AS_OF))
    assert alerts.loc["quarantine_missing_customer_id", "count"] == 1
    assert alerts.loc["quarantine_missing_customer_id", "amount"] == 250_000
    assert alerts.loc["quarantine_missing_customer_id", "base"] == 7
    assert alerts.loc["quarantine_missing_customer_id", "severity"] == "high"  # 1 of 7 rows
    assert alerts.loc["quarantine_cancelled_order", "count"] == 2
    assert alerts.loc["quarantine_cancelled_order", "amount"] == 100_000
    assert alerts.loc["quarantine_unparseable_date", "amount"] == 70_000
    assert np.isnan(alerts.loc["quarantine_unparseable_amount", "amount"])
    assert alerts.loc["quarantine_exact_duplicate_line", "count"] == 1


def test_duplicate_customers_by_normalised_phone_and_lowercased_email():
    customers = pd.DataFrame({
        "customer_id": ["A", "B", "C", "D", "E", "F"],
        "phone": ["0812-3456-7890", "+62 812 3456 7890", None, "tidak ada", "tidak ada", "0813-1111-2222"],
        "email": [None, None, "Budi@Example.com", "budi@example.com ", None, None],
    })
    groups = duplicate_customer_groups(customers)
    assert list(groups["key"]) == ["email", "phone"]
    assert list(groups["customer_ids"]) == ["C, D", "A, B"]
    assert list(groups["value"]) == ["budi@example.com", "+6281234567890"]  # invalid phones never match
    masked = masked_duplicates(groups)
    assert "3456" not in " ".join(masked["value"]) and "budi" not in " ".join(masked["value"])
    tx = tx_frame([("A", "o1", "2024-03-01", 10.0)])
    alerts = by_name(quality_alerts(tx, customers, as_of_date=AS_OF))
    assert alerts.loc["duplicate_customers:phone/email", "count"] == 4
    assert alerts.loc["invalid_phone:phone", "count"] == 2  # the two "tidak ada"
    assert alerts.loc["invalid_phone:phone", "base"] == 5


def test_same_id_twice_is_a_duplicate_id_not_a_duplicate_customer():
    customers = pd.DataFrame({"customer_id": ["A", "A", "B"], "phone": ["0812-3456-7890"] * 2 + [None]})
    assert duplicate_customer_groups(customers).empty
    alerts = by_name(quality_alerts(tx_frame([("A", "o1", "2024-03-01", 10.0)]), customers, as_of_date=AS_OF))
    assert alerts.loc["duplicate_customer_ids:customer_id", "count"] == 1
    assert "duplicate_customers:phone/email" not in alerts.index


def test_outliers_beyond_the_iqr_fence_on_log_value():
    rows = [(f"c{i}", f"o{i}", "2024-03-01", v) for i, v in enumerate([80, 90, 100, 110, 120] * 20)]
    rows += [("big", "o-big", "2024-03-02", 1_000_000.0), ("tiny", "o-tiny", "2024-03-02", 0.5)]
    tx = tx_frame(rows)
    low, high = order_value_fences(pd.Series([80, 90, 100, 110, 120] * 20 + [1e6, 0.5], dtype=float))
    q1, q3 = np.log10(90), np.log10(110)
    assert high == pytest.approx(10 ** (q3 + 1.5 * (q3 - q1)))
    assert low == pytest.approx(10 ** (q1 - 1.5 * (q3 - q1)))
    alerts = by_name(quality_alerts(tx, as_of_date=AS_OF))
    assert alerts.loc["order_value_outliers", "count"] == 2
    assert alerts.loc["order_value_outliers", "amount"] == 1_000_000
    assert alerts.loc["order_value_outliers", "severity"] == "high"  # 99 % of the money


def test_order_lines_are_summed_into_orders_before_the_fence():
    rows = [(f"c{i}", f"o{i}", "2024-03-01", 100.0) for i in range(40)]
    rows += [("x", "o-x", "2024-03-01", 50.0)] * 2  # one order of 100 in two lines
    alerts = quality_alerts(tx_frame(rows), as_of_date=AS_OF)
    assert "order_value_outliers" not in set(alerts["name"])


def test_date_gaps_empty_months_and_stale_data():
    skip = [d.strftime("%Y-%m-%d") for d in pd.date_range("2024-01-10", "2024-01-19")]  # 10 days
    skip += [d.strftime("%Y-%m-%d") for d in pd.date_range("2024-02-01", "2024-02-29")]  # February
    tx = daily_orders(skip=skip)
    gaps = longest_gaps(tx)
    assert list(gaps["days"]) == [29, 10]
    assert gaps.loc[1, "from"] == pd.Timestamp("2024-01-10")
    assert gaps.loc[1, "to"] == pd.Timestamp("2024-01-19")
    alerts = by_name(pd.DataFrame(date_coverage_alerts(tx, pd.Timestamp(AS_OF))))
    assert alerts.loc["date_gap:date", "count"] == 2
    assert alerts.loc["month_without_data:date", "count"] == 1
    assert alerts.loc["month_without_data:date", "severity"] == "high"
    assert "stale_data:date" not in alerts.index
    stale = by_name(pd.DataFrame(date_coverage_alerts(tx, pd.Timestamp("2024-06-30"))))
    assert stale.loc["stale_data:date", "count"] == 91


def test_no_gap_alerts_for_continuous_data():
    assert date_coverage_alerts(daily_orders(), pd.Timestamp(AS_OF)) == []


def test_bad_customer_values_are_findings_not_crashes():
    customers = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e"],
        "phone": ["-", "08123", "000000", None, "0812-3456-7890"],
        "email": ["x@", "ok@example.com", None, "two@@example.com", None],
        "birth_date": pd.to_datetime(["2030-01-01", "1900-01-01", "1985-05-05", None, "1913-12-31"]),
        "signup_date": pd.to_datetime(["2025-01-01", "2020-01-01", "2020-01-01", "2019-06-01", "2020-01-01"]),
        "gender": ["F"] * 5,
        "fax": [None, None, None, None, None],
    })
    tx = tx_frame([("a", "o1", "2024-03-01", 10.0)])
    alerts = by_name(quality_alerts(tx, customers, as_of_date=AS_OF, opening_date="2020-01-01"))
    assert alerts.loc["invalid_phone:phone", "count"] == 3
    assert alerts.loc["invalid_email:email", "count"] == 2
    assert alerts.loc["future_birth_date:birth_date", "count"] == 1
    assert alerts.loc["age_over_110:birth_date", "count"] == 2  # 1900 and 1913 (110 years before 2024-03-31: 1914-03-31)
    assert alerts.loc["future_signup_date:signup_date", "count"] == 1
    assert alerts.loc["pre_opening_date:signup_date", "count"] == 1
    assert alerts.loc["constant_column:gender", "count"] == 5
    assert alerts.loc["near_empty_column:fax", "count"] == 5
    assert "missing_values:fax" not in alerts.index  # reported once, as near-empty


def test_missing_values_of_optional_fields_are_at_most_medium():
    customers = pd.DataFrame({"customer_id": list("abcd"), "email": [None, None, None, "a@example.com"],
                              "occupation": [None, None, None, "PNS"]})
    alerts = column_alerts(customers, "customers", {"email": "contact", "occupation": "potential"})
    found = {a["name"]: a["severity"] for a in alerts}
    assert found == {"missing_values:email": "high", "missing_values:occupation": "medium"}


def test_alert_table_order_display_and_results():
    customers = pd.DataFrame({"customer_id": list("abcd"), "email": [None, None, None, "a@example.com"],
                              "phone": ["-", "0812-3456-7890", "0813-1111-2222", "0813-1111-3333"]})
    tx = tx_frame([("a", "o1", "2024-03-01", 10.0), ("zz", "o2", "2024-03-02", 10.0)])
    alerts = quality_alerts(tx, customers, as_of_date=AS_OF)
    ranks = alerts["severity"].map({"high": 0, "medium": 1, "low": 2})
    assert ranks.is_monotonic_increasing
    assert alerts.loc[0, "name"] == "missing_values:email"
    assert "buyers_without_record:customer_id" in set(alerts["name"])
    shown = alerts_table(alerts, "id").cells
    assert shown.columns[0] == "Tingkat" and shown.iloc[0, 0] == "Tinggi"
    assert shown.iloc[0, 1] == "Nilai kosong di Email"
    results = alerts_for_results(alerts)
    assert results[0] == {"name": "missing_values:email", "severity": "high", "count": 3}


@pytest.mark.slow
def test_online_retail_cancellations_and_missing_ids_are_findings():
    path = shared_dataset("online_retail", "online_retail.csv.gz")
    if not path.exists():
        pytest.skip("UCI Online Retail not available")
    columns = {"customer_id": "CustomerID", "order_id": "InvoiceNo", "date": "InvoiceDate",
               "quantity": "Quantity", "unit_price": "UnitPrice", "category": "StockCode"}
    result = load_transactions(path, columns=columns, decimal=".", as_of_date="2011-12-09",
                               cancel_order_prefix="C")
    alerts = by_name(quality_alerts(result.transactions, None, result.rejected, result.report, "2011-12-09"))
    # published: 135,080 lines without CustomerID (the first quarantine rule, so all of them)
    assert alerts.loc["quarantine_missing_customer_id", "count"] == 135_080
    assert alerts.loc["quarantine_missing_customer_id", "severity"] == "high"
    # 9,288 cancellation lines, of which those without a customer id are counted as missing id
    no_id = result.rejected["CustomerID"].eq("")
    cancelled = result.rejected["InvoiceNo"].str.startswith("C")
    assert alerts.loc["quarantine_cancelled_order", "count"] == int((cancelled & ~no_id).sum())
    assert int(cancelled.sum()) == 9_288
    assert alerts.loc["quarantine_cancelled_order", "amount"] < 0  # cancellations carry negative quantities


def test_every_check_has_a_finding_and_advice_in_both_languages():
    from crmlib.i18n import labels
    from crmlib.profile.quality import QUARANTINE_CHECKS, THRESHOLDS
    from crmlib.validate import REASONS
    assert set(REASONS) <= set(QUARANTINE_CHECKS)  # every quarantine reason has its own check
    texts = labels()
    for check in set(THRESHOLDS) - {"missing_values_optional"}:
        for kind in ("check", "advice"):
            entry = texts.get(f"profile_{kind}_{check}")
            assert entry and entry.get("en") and entry.get("id"), f"profile_{kind}_{check}"


def test_order_values_group_by_order_id_and_by_customer_day_where_it_is_missing():
    from crmlib.profile.quality import order_values
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "b", "b", "c"],
        "order_id": ["o1", "o1", None, None, None, "o2", None],
        "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02",
                                "2024-01-03", "2024-01-02"]),
        "amount": [10.0, 5.0, 7.0, 1.0, 2.0, 4.0, -3.0]})  # the return (-3) is no order
    assert sorted(order_values(tx)) == [3.0, 4.0, 7.0, 15.0]  # o1, o2, a's day, b's day
    assert sorted(order_values(tx.drop(columns="order_id"))) == [3.0, 4.0, 22.0]
