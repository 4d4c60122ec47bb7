"""Customer summary and BTYD summary: known answers by hand, an independent pandas reference,
and lifetimes' summary on the CDNOW data (when lifetimes and the data set are available)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib import summary as summary_module
from crmlib.io import InputError
from crmlib.paths import shared_dataset
from crmlib.summary import SUMMARY_COLUMNS, btyd_summary, customer_summary


def tx(rows):
    """Canonical transactions from (customer_id, datetime text, amount, order_id, category)."""
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "order_id", "category"])
    frame["date"] = pd.to_datetime(frame["date"], format="ISO8601")
    frame["amount"] = frame["amount"].astype(float)
    return frame


HAND = tx([
    # customer 0012: two lines on 1 Jan (one purchase, 150), two orders and a partial return on
    # 10 Jan (one purchase, net 150), a return-only day on 1 Feb (not a purchase, net -80).
    ("0012", "2024-01-01 09:00", 100, "A1", "food"),
    ("0012", "2024-01-01 17:30", 50, "A1", "beauty"),
    ("0012", "2024-01-10 10:00", 120, "A2", "food"),
    ("0012", "2024-01-10 11:00", 80, "A3", "food"),
    ("0012", "2024-01-10 12:00", -50, "R1", "food"),
    ("0012", "2024-02-01 08:00", -80, "R2", "home"),
    # customer 012: one late-evening purchase on leap day; a line after the as-of date is ignored
    ("012", "2024-02-29 23:59", 1000, "B1", "home"),
    ("012", "2024-03-02 10:00", 500, "B2", "home"),
    # customer 7: returns only -> not a buyer, left out
    ("7", "2024-01-05", -30, "C1", "food"),
    # customer 8: buys only after the as-of date -> left out
    ("8", "2024-03-05", 70, "D1", "food"),
    # customer 9: buys on the as-of date itself (inclusive, whole day)
    ("9", "2024-03-01 18:00", 40, "E1", None),
])


def test_customer_summary_known_answers():
    got = customer_summary(HAND, "2024-03-01").set_index("customer_id")
    assert list(got.reset_index().columns) == list(SUMMARY_COLUMNS)
    assert list(got.index) == ["0012", "012", "9"]          # sorted, leading zeros kept

    a = got.loc["0012"]
    assert a["frequency"] == 2                                # 1 Jan and 10 Jan; 1 Feb is a return
    assert a["orders"] == 3                                   # A1, A2, A3 (return orders excluded)
    assert a["first_purchase"] == pd.Timestamp("2024-01-01")
    assert a["last_purchase"] == pd.Timestamp("2024-01-10")
    assert a["recency_days"] == 51                            # 10 Jan -> 1 Mar 2024 (leap year)
    assert a["tenure_days"] == 60                             # 31 (Jan) + 29 (Feb)
    assert a["monetary_total"] == 150 + 150 - 80              # returns netted
    assert a["monetary_mean"] == pytest.approx(220 / 2)
    assert a["n_categories"] == 2                             # food, beauty (home only returned)

    b = got.loc["012"]
    assert (b["frequency"], b["orders"], b["recency_days"], b["tenure_days"]) == (1, 1, 1, 1)
    assert b["monetary_total"] == 1000                        # the 2 March line is after as-of

    c = got.loc["9"]
    assert (c["recency_days"], c["tenure_days"], c["frequency"]) == (0, 0, 1)
    assert c["n_categories"] == 0


def test_customer_summary_without_optional_columns():
    got = customer_summary(HAND[["customer_id", "date", "amount"]], "2024-03-01").set_index("customer_id")
    assert (got["orders"] == got["frequency"]).all()
    assert got["n_categories"].isna().all()


def test_default_as_of_is_last_transaction_day():
    got = customer_summary(HAND).set_index("customer_id")
    assert got.loc["012", "recency_days"] == 3                # 2 Mar -> 5 Mar
    assert got.loc["8", "frequency"] == 1


def test_empty_window_gives_empty_summary_with_columns():
    got = customer_summary(HAND, "2023-01-01")
    assert got.empty and list(got.columns) == list(SUMMARY_COLUMNS)


def test_bad_input_raises_clear_errors():
    with pytest.raises(InputError, match="amount"):
        customer_summary(HAND.drop(columns="amount"))
    with pytest.raises(InputError, match="datetime64"):
        customer_summary(HAND.assign(date=HAND["date"].astype(str)))
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        customer_summary(HAND, "2024-13-45")
    with pytest.raises(InputError, match="time_unit"):
        btyd_summary(HAND, time_unit="fortnight")
    with pytest.raises(InputError, match="missing"):
        customer_summary(HAND.assign(customer_id=HAND["customer_id"].where(HAND.index != 3)))


# --- an independent reference: plain pandas groupby, written from the definitions -----------
def reference_summary(frame: pd.DataFrame, as_of: str) -> pd.DataFrame:
    end = pd.Timestamp(as_of)
    frame = frame[frame["date"].dt.normalize() <= end]
    daily = frame.groupby(["customer_id", frame["date"].dt.normalize().rename("day")])["amount"].sum()
    daily = daily.reset_index()
    buys = daily[daily["amount"] >= 0].groupby("customer_id")
    sales = frame[frame["amount"] >= 0].groupby("customer_id")
    out = pd.DataFrame({"first_purchase": buys["day"].min(), "last_purchase": buys["day"].max(),
                        "frequency": buys.size()})
    out["orders"] = sales["order_id"].nunique().reindex(out.index)
    out["monetary_total"] = daily.groupby("customer_id")["amount"].sum().reindex(out.index)
    out["monetary_mean"] = out["monetary_total"] / out["frequency"]
    out["recency_days"] = (end - out["last_purchase"]).dt.days
    out["tenure_days"] = (end - out["first_purchase"]).dt.days
    out["n_categories"] = sales["category"].nunique().reindex(out.index)
    return out.sort_index()


def random_transactions(seed: int, n: int = 6000, customers: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_orders = n // 3
    order_customer = rng.integers(0, customers, n_orders)
    order_time = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 600 * 24 * 60, n_orders),
                                                               unit="min")
    line_order = np.sort(rng.integers(0, n_orders, n))     # lines of an order are adjacent
    sign = np.where(rng.random(n) < 0.12, -1.0, 1.0)
    return pd.DataFrame({
        "customer_id": pd.Series(order_customer[line_order]).map("{:05d}".format),
        "order_id": pd.Series(line_order).map("INV{:06d}".format),
        "date": order_time[line_order],
        "amount": sign * rng.integers(1, 500, n) * 1000.0,
        "category": rng.choice(np.array(["food", "home", "beauty", "toys", None], dtype=object), n),
    })


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("layout", ["as exported", "shuffled", "categorical"])
def test_matches_independent_pandas_reference(seed, layout):
    frame = random_transactions(seed)
    if layout == "shuffled":
        frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    if layout == "categorical":
        frame = frame.astype({"customer_id": "category", "order_id": "category", "category": "category"})
    got = customer_summary(frame, "2024-06-30").set_index("customer_id")
    want = reference_summary(random_transactions(seed), "2024-06-30")
    assert list(got.index) == list(want.index)
    for column in want.columns:
        np.testing.assert_allclose(got[column].to_numpy(dtype=float), want[column].to_numpy(dtype=float),
                                   rtol=1e-12, err_msg=column)


def test_unpackable_keys_fall_back_to_argsort(monkeypatch):
    frame = random_transactions(3).sample(frac=1.0, random_state=3)
    want = customer_summary(frame, "2024-06-30")
    monkeypatch.setattr(summary_module, "_PACK_BITS", 8)
    got = customer_summary(frame, "2024-06-30")
    pd.testing.assert_frame_equal(got, want)


# --- Buy-Till-You-Die form ------------------------------------------------------------------
BTYD = tx([
    ("x", "2024-01-01 08:00", 10, "1", None), ("x", "2024-01-01 20:00", 20, "2", None),  # day 0: 30
    ("x", "2024-01-08", 40, "3", None),                                                  # day 7
    ("x", "2024-01-22", 70, "4", None), ("x", "2024-01-22", -10, "5", None),             # day 21: 60
    ("x", "2024-02-05", 5, "6", None), ("x", "2024-02-05", 5, "7", None),                 # day 35: 10
    ("x", "2024-02-12", 30, "8", None),                                                  # day 42
    ("x", "2024-03-15", 99, "9", None),                                                  # after obs end
    ("y", "2024-01-29", 15, "10", None),                                                 # day 28 = cal end
    ("z", "2024-02-01", 15, "11", None),                                                 # first buy in holdout
])


def test_btyd_known_answers_in_weeks_and_days():
    weeks = btyd_summary(BTYD, "2024-01-29", "2024-02-26", time_unit="W")
    assert list(weeks.index) == ["x", "y"]                   # z starts after calibration
    x = weeks.loc["x"]
    assert x["frequency"] == 2                               # days 7 and 21 repeat day 0
    assert x["recency"] == pytest.approx(21 / 7)
    assert x["T"] == pytest.approx(28 / 7)
    assert x["monetary_value"] == pytest.approx((40 + 60) / 2)
    assert x["frequency_holdout"] == 2                       # days 35 (two lines) and 42
    assert x["monetary_value_holdout"] == pytest.approx((10 + 30) / 2)
    assert x["duration_holdout"] == pytest.approx(4)
    y = weeks.loc["y"]
    assert (y["frequency"], y["recency"], y["T"], y["monetary_value"]) == (0, 0, 0, 0)
    assert (y["frequency_holdout"], y["monetary_value_holdout"]) == (0, 0)

    days = btyd_summary(BTYD, "2024-01-29", time_unit="D")
    assert (days.loc["x", "recency"], days.loc["x", "T"]) == (21, 28)
    assert "frequency_holdout" not in days


def test_btyd_rejects_holdout_before_calibration():
    with pytest.raises(InputError, match=r"observation_end \(2024-01-01\) is not after calibration_end"):
        btyd_summary(BTYD, "2024-02-01", "2024-01-01")


def test_btyd_says_what_is_wrong_with_an_empty_period():
    """Instead of an empty frame or a holdout of length 0: what is wrong and what to set."""
    last = BTYD["date"].max().normalize()
    with pytest.raises(InputError, match=r"is not after calibration_end.*holdout period .* would be empty"):
        btyd_summary(BTYD, last, last)
    with pytest.raises(InputError, match=r"no purchase on or before calibration_end 2023-06-30 \(the first is on "
                                         r"2024-01-01\).*`calibration_end` to a later date"):
        btyd_summary(BTYD, "2023-06-30", "2024-03-31")
    with pytest.raises(InputError, match="calibration period is empty"):
        btyd_summary(BTYD, "2023-06-30")
    with pytest.raises(InputError, match=r"no transaction in the holdout period after calibration_end "
                                         r"2024-03-31 up to observation_end 2024-06-30"):
        btyd_summary(BTYD, "2024-03-31", "2024-06-30")


def read_cdnow_master() -> pd.DataFrame:
    path = shared_dataset("cdnow", "CDNOW_master.txt")
    if not path.is_file():
        pytest.skip("shared CDNOW data set not available")
    raw = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
    frame = pd.DataFrame({"customer_id": raw["customer_id"],
                          "date": pd.to_datetime(raw["date"], format="%Y%m%d"),
                          "amount": raw["dollar_value"].astype(float)})
    return frame[frame["amount"] > 0]    # zero-amount lines are quarantined by validation


def test_btyd_equals_lifetimes_on_cdnow():
    utils = pytest.importorskip("lifetimes.utils")
    frame = read_cdnow_master()
    want = utils.summary_data_from_transaction_data(
        frame, "customer_id", "date", "amount", observation_period_end="1997-09-30",
        freq="D", freq_multiplier=7).sort_index()
    got = btyd_summary(frame, "1997-09-30", time_unit="W")
    assert len(got) == len(want) > 23_000
    assert list(got.index) == list(want.index)
    for column in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(got[column].to_numpy(), want[column].to_numpy(), err_msg=column)
    np.testing.assert_allclose(got["monetary_value"], want["monetary_value"], rtol=1e-12)

    holdout = utils.calibration_and_holdout_data(
        frame, "customer_id", "date", "1997-09-30", "1998-06-30", freq="D", freq_multiplier=7
    ).sort_index()
    got = btyd_summary(frame, "1997-09-30", "1998-06-30", time_unit="W")
    np.testing.assert_array_equal(got["frequency_holdout"].to_numpy(), holdout["frequency_holdout"].to_numpy())
    np.testing.assert_array_equal(got["duration_holdout"].to_numpy(), holdout["duration_holdout"].to_numpy())


def test_btyd_cdnow_published_calibration_totals():
    """The CDNOW cohort made its first purchase in weeks 1-12 of 1997 (from 1 January), so with
    calibration ending 30 Sep 1997 every T lies in [27, 272/7] weeks; the holdout is 39 weeks."""
    frame = read_cdnow_master()
    got = btyd_summary(frame, "1997-09-30", "1998-06-30", time_unit="W")
    assert got["T"].between(27, 272 / 7).all()
    assert got["duration_holdout"].iloc[0] == pytest.approx(273 / 7)    # 1 Oct 1997 .. 30 Jun 1998


def test_btyd_summary_reproduces_the_published_cdnow_fit():
    """The package's own summary of the CDNOW 1/10 sample gives the papers' data and BG/NBD fit
    (Fader, Hardie & Lee 2005: 2,357 customers, 946 with repeats, r 0.243, α 4.414, a 0.793,
    b 2.426, log-likelihood −9582.4); $0 purchase days count as purchases, as in the papers."""
    from crmlib.datasets import load_cdnow
    from crmlib.ltv import BetaGeoModel
    if not shared_dataset("cdnow", "CDNOW_sample.txt").exists():
        pytest.skip("CDNOW sample not available")
    summary = btyd_summary(load_cdnow("sample"), "1997-09-30", "1998-06-30", "W")
    assert len(summary) == 2357 and int((summary["frequency"] > 0).sum()) == 946
    model = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert float(f"{model.params_[name]:.3g}") == pytest.approx(value, rel=2e-3), name
    assert model.loglik_ == pytest.approx(-9582.4, abs=0.05)


def test_customer_summary_for_people():
    from crmlib.rfm.report import summary_table
    tx = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                       "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]),
                       "amount": [100_000.0, 200_000.0, 1_250_000.0, 400_000.0]})
    table = summary_table(customer_summary(tx, "2024-01-10"), "id").cells
    spend = table.set_index("Ukuran").loc["Total belanja"]
    assert spend["Median"] == "Rp 300.000"   # median of 100k, 200k, 400k, 1.25 mn


def test_computing_modules_do_not_format_or_word():
    """Computing returns plain numbers: these modules import neither the presenters nor the labels."""
    from crmlib.paths import PROJECT_ROOT
    for module in ("summary.py", "profile/database.py", "profile/quality.py", "profile/cohorts.py"):
        source = (PROJECT_ROOT / "crmlib" / module).read_text(encoding="utf-8")
        assert "crmlib.present" not in source and "crmlib.i18n" not in source, module
