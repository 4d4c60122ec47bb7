"""The profile slide, completeness by data category and key messages on hand-built data."""
import numpy as np
import pandas as pd
import pytest

from crmlib.io import InputError
from crmlib.profile.database import (DEFAULT_DATA_CATEGORIES, completeness, completeness_matrix, customer_profile,
                                     data_categories, profile_table)
from crmlib.profile.report import completeness_rows, key_messages, slide_table

AS_OF = "2024-12-31"


def transactions(rows):
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "category"])
    tx["date"] = pd.to_datetime(tx["date"])
    tx["amount"] = tx["amount"].astype(float)
    return tx


@pytest.fixture
def tx():
    return transactions([
        # a: 3 purchase days, 3 categories, last purchase 89 days before the as-of date -> active
        ("a", "2024-01-10", 100, "Fashion"), ("a", "2024-05-10", 100, "Beauty"), ("a", "2024-10-03", 100, "Home"),
        # b: 2 purchase days, 2 categories, last purchase 90 days before -> not active (window is 90 days)
        ("b", "2024-03-01", 50, "Fashion"), ("b", "2024-10-02", 50, "Home"),
        # c: one purchase day with 4 lines in 4 categories, on the as-of date
        ("c", "2024-12-31", 10, "Fashion"), ("c", "2024-12-31", 10, "Beauty"),
        ("c", "2024-12-31", 10, "Home"), ("c", "2024-12-31", 10, "Toys"),
        # d: bought and returned everything the same day -> not a buyer
        ("d", "2024-12-01", 80, "Toys"), ("d", "2024-12-01", -80, "Toys"),
        # x: buyer without a customer record
        ("x", "2024-12-20", 30, "Toys"),
    ])


@pytest.fixture
def customers():
    return pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e", "e"],
        "name": ["Siti", "Budi", "Ayu", None, "Eko", "Eko"],
        "gender": ["F", "M", "F", "F", None, None],
        "phone": ["0812-3456-7890", "021-5551234", "tidak ada", None, "08123", "+62 813 1111 2222"],
        "email": ["siti@example.com", None, "not-an-email", "dewi@example.org", "  ", None],
        "occupation": [None, None, None, "PNS", None, None],
        "Minat": ["Fashion", None, None, None, None, None],
    })


def test_profile_slide_by_hand(tx, customers):
    figures = customer_profile(tx, customers, AS_OF, active_window_days=90)
    assert figures["customers_total"] == 6  # a b c d e from the file + x from the transactions
    assert figures["customers_in_file"] == 5
    assert figures["buyers"] == 4  # a b c x (d returned everything)
    assert figures["customers_never_bought"] == 2
    assert figures["customers_active"] == 3  # a (89 days before), c (as-of day), x
    assert figures["share_repeat"] == pytest.approx(2 / 4)  # a, b
    assert figures["share_multi_category"] == pytest.approx(2 / 4)  # a (3), c (4)
    assert figures["customers_with_phone"] == 3  # a mobile, b landline, e's second number
    assert figures["customers_whatsapp"] == 2  # a, e (mobile numbers)
    assert figures["customers_with_email"] == 2  # a, d
    assert figures["customers_contactable"] == 3  # a, d (email), e (mobile)
    assert figures["gender_known"] == 4
    assert figures["share_female"] == pytest.approx(3 / 4)


def test_active_window_edges(tx, customers):
    figures = customer_profile(tx, customers, AS_OF, active_window_days=90)
    assert figures["customers_active"] == 3  # a (89 days before), c (as-of day), x (11 days before)
    assert customer_profile(tx, customers, AS_OF, active_window_days=91)["customers_active"] == 4  # + b
    assert customer_profile(tx, customers, AS_OF, active_window_days=1)["customers_active"] == 1  # c
    with pytest.raises(InputError, match="active_window_days"):
        customer_profile(tx, customers, AS_OF, active_window_days=0)


def test_transactions_only_says_not_available(tx):
    figures = customer_profile(tx, None, AS_OF)
    for key in ("customers_with_phone", "customers_with_email", "customers_contactable", "share_female",
                "customers_in_file"):
        assert figures[key] is None
    assert figures["customers_total"] == 5
    shown = slide_table(figures, "en").cells
    assert (shown["Customers"] == "not available").sum() == 3  # phone, email, contactable
    assert (shown["Share"] == "not available").sum() == 4      # the same and the share of women
    assert shown["Customers"].iloc[0] == "5" and shown["Share"].iloc[0] == "100%"
    assert list(slide_table(figures, "id").cells.columns) == ["Ukuran", "Pelanggan", "Porsi"]
    assert completeness(None).empty


def test_without_categories_the_share_is_not_available(tx):
    figures = customer_profile(tx.drop(columns="category"), None, AS_OF)
    assert figures["share_multi_category"] is None


def test_profile_table_shares(tx, customers):
    table = profile_table(customer_profile(tx, customers, AS_OF)).set_index("metric")
    assert table.loc["customers_total", "count"] == 6
    assert table.loc["customers_with_email", "share"] == pytest.approx(2 / 6)
    assert np.isnan(table.loc["share_repeat", "count"])
    assert table.loc["share_repeat", "share"] == pytest.approx(0.5)


def test_data_categories_defaults_overrides_and_errors():
    cats = data_categories(["customer_id", "name", "phone", "occupation", "Minat", "loyalty_tier", "line"])
    assert cats == {"name": "personal", "phone": "contact", "occupation": "potential", "Minat": "business",
                    "loyalty_tier": "business"}
    assert data_categories(["loyalty_tier", "Phone"], {"loyalty_tier": "potential"}) == \
        {"loyalty_tier": "potential", "Phone": "contact"}
    with pytest.raises(InputError, match="data_categories.phone"):
        data_categories(["phone"], {"phone": "secret"})
    assert set(DEFAULT_DATA_CATEGORIES.values()) == {"personal", "contact", "potential", "business"}


def test_completeness_by_hand(customers):
    table = completeness(customers).set_index("field")
    assert table.loc["email", "filled"] == 3  # blank text "  " is missing
    assert table.loc["email", "share_filled"] == pytest.approx(3 / 6)
    assert table.loc["occupation", "share_filled"] == pytest.approx(1 / 6)
    assert table.loc["Minat", "category"] == "business"
    # expected fields the file lacks are listed as absent
    assert not table.loc["birth_date", "present"]
    assert table.loc["birth_date", "share_filled"] == 0
    assert list(table["category"].drop_duplicates()) == ["personal", "contact", "potential", "business"]


def test_completeness_matrix_by_signup_year():
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "email": ["x@example.com", None, "y@example.com"],
                              "signup_date": pd.to_datetime(["2023-02-01", "2023-05-01", "2024-01-01"])})
    matrix = completeness_matrix(customers)
    assert list(matrix.columns) == ["all", "2023", "2024"]
    assert matrix.loc[("contact", "email"), "all"] == pytest.approx(2 / 3)
    assert matrix.loc[("contact", "email"), "2023"] == 0.5
    assert matrix.loc[("contact", "email"), "2024"] == 1.0


def test_key_messages_say_what_the_figures_say(tx, customers):
    figures = customer_profile(tx, customers, AS_OF)
    alerts = pd.DataFrame({"severity": ["high", "low"]})
    yearly = pd.DataFrame({"period": ["2022", "2023"], "next_period": ["2023", "2024"], "active": [10, 10],
                           "retained": [7, 6], "lost": [3, 4], "retention_rate": [0.7, 0.6],
                           "complete": [True, True]})
    messages = key_messages(figures, yearly, alerts, "en")
    assert 3 <= len(messages) <= 5
    text = " ".join(messages).replace("**", "")  # figures are in bold
    assert "33%" in text  # 2 of 6 reachable by email
    assert "60%" in text and "90%" in text and "70%" not in text  # the last pair against the benchmark
    assert messages[0].startswith("**6** customers")
    partial = key_messages(figures, yearly.assign(complete=[True, False]), alerts, "en")
    assert "active in 2022, 70%" in " ".join(partial).replace("**", "")  # a partial last pair is not the headline
    only_partial = key_messages(figures, yearly.assign(complete=False), alerts, "en")
    assert "2023 (partial period), 60%" in " ".join(only_partial).replace("**", "")
    messages_id = key_messages(figures, yearly, alerts, "id")
    assert messages_id != messages and "pelanggan" in messages_id[0]


def test_key_messages_without_customers(tx):
    messages = key_messages(customer_profile(tx, None, AS_OF), None, None, "en")
    assert len(messages) >= 3
    assert "no customers table" in messages[1]


def test_completeness_matrix_rows_in_bahasa_indonesia():
    customers = pd.DataFrame({"customer_id": ["a"], "email": ["x@example.com"], "occupation": [None]})
    matrix = completeness_matrix(customers)
    assert list(matrix.index) == [("contact", "email"), ("potential", "occupation")]
    assert completeness_rows(matrix, "id") == ["Kontak · Email", "Potensi · Pekerjaan"]


def test_contact_checks_agree_with_contactability(customers):
    from crmlib.contacts import contactability
    from crmlib.profile.database import contact_checks
    checks = contact_checks(customers)
    pd.testing.assert_frame_equal(checks.drop(columns="phone_e164"), contactability(customers))
    assert list(checks["phone_e164"]) == ["+6281234567890", "+62215551234", None, None, None, "+6281311112222"]


def test_contact_columns_the_file_lacks_are_not_available(tx):
    customers = pd.DataFrame({"customer_id": ["a", "b"], "email": ["a@example.com", None]})
    figures = customer_profile(tx, customers, AS_OF)
    assert figures["customers_with_phone"] is None and figures["customers_whatsapp"] is None
    assert figures["customers_with_email"] == 1 and figures["customers_contactable"] == 1
    no_contact = customer_profile(tx, customers.drop(columns="email"), AS_OF)
    assert no_contact["customers_contactable"] is None
    assert "no phone or email column" in key_messages(no_contact, None, None, "en")[1]


@pytest.mark.parametrize("lang, said", [("en", "1.8 ×"), ("id", "1,8 ×")])
def test_trend_title_and_text_give_the_peak_the_same_way(lang, said):
    from crmlib.profile.report import section_titles, so_what_trends

    season = pd.DataFrame({"calendar_month": [1, 12], "index": [0.25, 1.75]})
    trends = pd.DataFrame({"complete": [True], "active_customers": [10], "returning_customers": [7]})
    text = so_what_trends(trends, season, lang)
    figures = {"customers_total": 10, "customers_active": 7, "active_window_days": 90}
    no_years = pd.DataFrame(columns=["period", "next_period", "retention_rate", "complete"])
    title = section_titles(figures, pd.DataFrame(), pd.DataFrame(), trends, season, no_years, lang)["trends"]
    assert said in text and said in title and "1,75" not in text and "1.75" not in text
