"""Notebook 01 run headless on the sample: results.json against figures computed here independently.

The independent figures come from the raw CSV files read with pandas, phone and email checks called
directly on ``phonenumbers`` / ``email-validator``, the generator's record of injected dirt
(``truth.json``), and plain set arithmetic on the validated transactions.
"""
import json
import re

import pandas as pd
import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email

from crmlib.data import load_data
from crmlib.params import load_params
from crmlib.paths import PROJECT_ROOT, SAMPLE_DIR
from crmlib.runner import run_workbook

pytestmark = pytest.mark.slow
AS_OF = pd.Timestamp("2024-12-31")


@pytest.fixture(scope="module")
def params():
    if not (SAMPLE_DIR / "transactions.csv").exists():
        pytest.skip("sample data not generated")
    return load_params(PROJECT_ROOT / "params" / "sample.yaml")


@pytest.fixture(scope="module")
def run(params, sample_run):
    assert sample_run.ok, sample_run.notebooks
    folder = sample_run.run_dir / "01_data_profiling"
    return folder, json.loads((folder / "results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def raw_customers():
    return pd.read_csv(SAMPLE_DIR / "customers.csv", sep=";", dtype=str, keep_default_na=False,
                       encoding="utf-8-sig").apply(lambda s: s.str.strip())


@pytest.fixture(scope="module")
def purchase_days(params):
    data = load_data(params["transactions"], None, columns=params["columns"], dayfirst=True, decimal=",",
                     as_of_date=params["as_of_date"])
    tx = data.transactions
    daily = tx.groupby(["customer_id", tx["date"].dt.normalize()])["amount"].sum()
    return daily[daily > 0].reset_index(), tx


def phone_status(text):
    try:
        number = phonenumbers.parse(text, "ID")
    except phonenumbers.NumberParseException:
        return False, False
    valid = phonenumbers.is_valid_number(number)
    mobile = valid and phonenumbers.number_type(number) in (phonenumbers.PhoneNumberType.MOBILE,
                                                            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    return valid, mobile


def email_ok(text):
    try:
        validate_email(text, check_deliverability=False)
        return True
    except EmailNotValidError:
        return False


def test_contact_figures_match_direct_library_checks(run, raw_customers):
    _, results = run
    phones = [phone_status(p) if p else (False, False) for p in raw_customers["No HP"]]
    emails = [bool(e) and email_ok(e) for e in raw_customers["Email"]]
    assert results["customers_total"] == raw_customers["ID Pelanggan"].nunique() == 3003
    assert results["customers_with_phone"] == sum(valid for valid, _ in phones)
    assert results["customers_with_email"] == sum(emails)
    assert results["customers_contactable"] == sum(m or e for (_, m), e in zip(phones, emails))
    gender = raw_customers["Jenis Kelamin (L/P)"]
    assert results["share_female"] == pytest.approx((gender == "P").sum() / gender.isin(["P", "L"]).sum())


def test_buying_figures_match_pandas(run, purchase_days):
    _, results = run
    days, tx = purchase_days
    buyers = days["customer_id"].unique()
    last = days.groupby("customer_id")["date"].max()
    assert results["active_window_days"] == 90
    assert results["customers_active"] == int((last > AS_OF - pd.Timedelta(days=90)).sum())
    assert results["share_repeat"] == pytest.approx((days.groupby("customer_id").size() >= 2).mean())
    categories = tx[tx["amount"] > 0].groupby("customer_id")["category"].nunique().reindex(buyers)
    assert results["share_multi_category"] == pytest.approx((categories > 2).mean())


def test_yearly_retention_by_set_arithmetic(run, purchase_days):
    _, results = run
    days, _ = purchase_days
    active = {year: set(days.loc[days["date"].dt.year == year, "customer_id"]) for year in (2023, 2024)}
    expected = len(active[2023] & active[2024]) / len(active[2023])
    assert results["retention_rate_by_year"] == {"2023": pytest.approx(expected)}
    assert 0.3 < expected < 0.6  # the synthetic base keeps far fewer than the 90 % benchmark


def test_quality_findings_match_the_injected_dirt(run):
    folder, results = run
    truth = json.loads((SAMPLE_DIR / "truth.json").read_text(encoding="utf-8"))["injected_dirt"]
    found = {a["name"]: a for a in results["quality_alerts"]}
    assert found["invalid_phone:phone"]["count"] == truth["customers"]["bad_phone"]
    assert found["duplicate_customers:phone/email"]["count"] == 2 * truth["customers"]["shared_phone"]
    assert found["future_birth_date:birth_date"]["count"] == truth["customers"]["future_birth_date"]
    assert found["age_over_110:birth_date"]["count"] == truth["customers"]["age_over_110"]
    tx = truth["transactions"]
    assert found["quarantine_missing_customer_id"]["count"] == tx["missing_customer_id"]
    assert found["quarantine_cancelled_order"]["count"] == tx["cancelled"]
    assert found["quarantine_exact_duplicate_line"]["count"] == tx["duplicate_line"]
    assert found["quarantine_future_date"]["count"] == tx["future_date"]
    assert {a["severity"] for a in results["quality_alerts"]} <= {"high", "medium", "low"}
    table = pd.read_csv(folder / "quality_alerts.csv")
    assert list(table["name"]) == [a["name"] for a in results["quality_alerts"]]


def test_exports(run, purchase_days, raw_customers):
    folder, results = run
    days, _ = purchase_days
    cohorts = pd.read_csv(folder / "cohort_retention.csv", dtype={"cohort": str})
    assert cohorts["customers"].sum() == days["customer_id"].nunique() == results["buyers"]
    assert (cohorts["month_0"] == 1.0).all()
    first_month = days.groupby("customer_id")["date"].min().dt.strftime("%Y-%m").value_counts()
    assert dict(zip(cohorts["cohort"], cohorts["customers"])) == first_month.to_dict()
    slide = pd.read_csv(folder / "profile.csv").set_index("metric")
    assert slide.loc["customers_with_email", "count"] == results["customers_with_email"]
    assert 3 <= len(results["key_messages"]) <= 5
    html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", (folder / "report.html").read_text(encoding="utf-8"))
    personal = [v for column in ("Email", "No HP", "Nama") for v in raw_customers[column] if len(v) > 6]
    assert personal and not [v for v in personal if v in html]  # only masked personal data in the report


def test_transactions_only_in_bahasa_indonesia(params, tmp_path):
    settings = {**params, "customers": None, "lang": "id", "run_name": "tx_only"}
    result = run_workbook(settings, only=["01"], out_root=tmp_path, progress=False)
    assert result.ok, result.notebooks
    folder = tmp_path / "tx_only" / "01_data_profiling"
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    for key in ("customers_with_phone", "customers_with_email", "customers_contactable", "share_female"):
        assert results[key] is None
    assert results["customers_total"] == results["buyers"]
    assert "2023" in results["retention_rate_by_year"]
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "tidak tersedia" in html and "Tidak ada tabel pelanggan" in html


def test_online_retail_runs_with_its_params_file(tmp_path):
    from crmlib.paths import shared_dataset
    path = shared_dataset("online_retail", "online_retail.csv.gz")
    if not path.exists():
        pytest.skip("UCI Online Retail not available")
    params = load_params(PROJECT_ROOT / "params" / "online_retail.yaml")
    params["transactions"] = str(path)  # wherever the datasets are ($CRM_DATASETS_DIR or beside the project)
    result = run_workbook(params, only=["01"], out_root=tmp_path, progress=False)
    assert result.ok, result.notebooks
    results = json.loads((tmp_path / "online_retail" / "01_data_profiling" / "results.json").read_text(encoding="utf-8"))
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    no_id = raw["CustomerID"] == ""
    cancelled = raw["InvoiceNo"].str.startswith("C")
    amount = raw["Quantity"].astype(float) * raw["UnitPrice"].astype(float)
    found = {a["name"]: a for a in results["quality_alerts"]}
    assert found["quarantine_missing_customer_id"]["count"] == int(no_id.sum()) == 135_080  # published figure
    assert found["quarantine_cancelled_order"]["count"] == int((cancelled & ~no_id).sum())
    assert results["customers_total"] == raw.loc[~no_id & ~cancelled & (amount != 0), "CustomerID"].nunique()
    assert results["customers_with_phone"] is None and results["share_female"] is None
    assert results["retention_complete_by_year"] == {"2010": False}  # December 2010 only
