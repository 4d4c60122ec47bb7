"""Tests of crmlib.synth: determinism, realism, recovery of the known model, export and dirt."""
from __future__ import annotations

import csv
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from crmlib import synth
from crmlib.paths import SAMPLE_DIR

END = pd.Timestamp("2024-12-31")
END_OF_DAY = END + pd.Timedelta(hours=23, minutes=59)
SAMPLE_FILES = ("transactions.csv", "customers.csv", "truth.json", "README.md")


@pytest.fixture(scope="module")
def sample() -> synth.SynthData:
    return synth.generate()  # the defaults are the bundled sample's arguments


@pytest.fixture(scope="module")
def pure() -> synth.SynthData:
    """A larger base without seasonality, for parameter recovery."""
    return synth.generate(n_customers=40_000, seed=7, seasonality=0.0)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict:
    return synth.write_sample(tmp_path_factory.mktemp("sample"))


# ----------------------------------------------------------------------------- helpers

def _tolerance(share: float, n: int, z: float = 4.0) -> float:
    """z binomial standard errors of a share estimated from n draws."""
    return z * math.sqrt(share * (1 - share) / n)


def _read_export(path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "export must start with a UTF-8 BOM"
    text = raw.decode("utf-8-sig")
    return list(csv.reader(text.splitlines(), delimiter=";"))


def _amount(text: str) -> float | None:
    t = text.strip()
    t = t[3:] if t.startswith("Rp ") else t
    if not re.fullmatch(r"-?\d{1,3}(\.\d{3})*,\d{2}", t):
        return None
    return float(t.replace(".", "").replace(",", "."))


def _stamp(text: str, fmt: str) -> pd.Timestamp | None:
    try:
        return pd.Timestamp(pd.to_datetime(text.strip(), format=fmt))
    except ValueError:
        return None


def _mobile_e164(text: str) -> str | None:
    """+62... for a plausible Indonesian mobile number written in any common style, else None."""
    digits = re.sub(r"[\s-]", "", text.strip())
    m = re.fullmatch(r"(?:\+62|62|0)(8\d{8,11})", digits)
    return "+62" + m.group(1) if m else None


def _count_dirt(tx_path, cu_path) -> tuple[dict, dict]:
    """Count each kind of dirt in written export files, independently of the generator."""
    tx = _read_export(tx_path)
    header, rows = tx[0], tx[1:]
    assert header == list(synth.EXPORT_TRANSACTION_COLUMNS)
    seen: set[tuple] = set()
    sales: dict[str, tuple] = {}
    t = dict.fromkeys(synth.TRANSACTION_DIRT_KINDS, 0)
    for row in rows:
        order_id, cid, date, amount, _qty, _cat, _chan, status = row
        when = _stamp(date, synth.EXPORT_DATETIME_FORMAT)
        value = _amount(amount)
        if tuple(row) in seen:
            t["duplicate_line"] += 1
            continue
        seen.add(tuple(row))
        if not cid.strip():
            t["missing_customer_id"] += 1
        elif when is None:
            t["bad_date"] += 1
        elif value is None:
            t["bad_amount"] += 1
        elif status in synth.STATUS_CANCELLED:
            t["cancelled"] += 1
        elif status == synth.STATUS_RETURNED:
            sale = sales.get(order_id)
            assert value < 0 and sale is not None and sale[0] == cid.strip() and sale[1] < when, row
            t["returned"] += 1
        elif when > END_OF_DAY:
            t["future_date"] += 1
        if status == synth.STATUS_COMPLETED and when is not None:
            sales[order_id] = (cid.strip(), when)

    cu = _read_export(cu_path)
    assert cu[0] == list(synth.EXPORT_CUSTOMER_COLUMNS)
    c = dict.fromkeys(synth.CUSTOMER_DIRT_KINDS, 0)
    phones: dict[str, int] = {}
    for row in cu[1:]:
        phone, birth_text = row[6], row[3]
        if phone:
            e164 = _mobile_e164(phone)
            if e164 is None:
                c["bad_phone"] += 1
            else:
                phones[e164] = phones.get(e164, 0) + 1
        birth = _stamp(birth_text, synth.EXPORT_DATE_FORMAT) if birth_text else None
        if birth is not None and birth > END:
            c["future_birth_date"] += 1
        if birth is not None and birth < END - pd.DateOffset(years=110):
            c["age_over_110"] += 1
    c["shared_phone"] = sum(k - 1 for k in phones.values())
    return t, c


# ----------------------------------------------------------------------------- determinism

def test_generate_is_deterministic(sample):
    again = synth.generate()
    pd.testing.assert_frame_equal(sample.customers, again.customers)
    pd.testing.assert_frame_equal(sample.transactions, again.transactions)
    pd.testing.assert_frame_equal(sample.latent, again.latent)
    assert sample.truth == again.truth
    other = synth.generate(seed=43)
    assert not other.transactions["amount"].equals(sample.transactions["amount"])


def test_write_sample_is_byte_identical(written, tmp_path):
    again = synth.write_sample(tmp_path)
    for name, path in written.items():
        assert path.read_bytes() == again[name].read_bytes(), name
    assert sorted(p.name for p in written.values()) == sorted(SAMPLE_FILES)


def test_bundled_sample_matches_generator(written):
    """data/sample is exactly what write_sample(3000, seed 42) writes, and small enough to commit."""
    for name in SAMPLE_FILES:
        bundled = SAMPLE_DIR / name
        assert bundled.read_bytes() == (written["truth"].parent / name).read_bytes(), (
            f"{bundled} is stale: regenerate with crmlib.synth.write_sample(SAMPLE_DIR)")
    assert sum((SAMPLE_DIR / n).stat().st_size for n in SAMPLE_FILES) < 3_000_000


def test_truth_is_json_serialisable(sample):
    assert json.loads(json.dumps(sample.truth)) == sample.truth
    assert sample.truth["params"]["r"] == synth.SynthParams().r


# ----------------------------------------------------------------------------- clean data

def test_canonical_frames_are_clean(sample):
    tx, cu = sample.transactions, sample.customers
    assert list(tx.columns) == list(synth.TRANSACTION_COLUMNS)
    assert list(cu.columns) == list(synth.CUSTOMER_COLUMNS)
    assert tx["order_id"].str.fullmatch(r"INV/20\d\d/\d{6}").all() and tx["order_id"].is_unique
    assert (tx["order_id"].str[4:8].astype(int) == tx["date"].dt.year).all()
    assert cu["customer_id"].str.fullmatch(r"0\d{5}").all() and cu["customer_id"].is_unique
    assert set(tx["customer_id"]) <= set(cu["customer_id"])
    assert tx["date"].between(pd.Timestamp("2023-01-01"), END_OF_DAY).all()
    assert tx["date"].is_monotonic_increasing
    assert (tx["amount"] >= 1000).all() and (tx["amount"] % 100 == 0).all()
    assert tx["quantity"].between(1, 6).all()
    assert set(tx["category"]) <= set(synth.CATEGORIES) and set(tx["channel"]) <= set(synth.CHANNELS)
    # every buyer's first order is on the signup day
    first = tx.groupby("customer_id")["date"].min().dt.normalize()
    signup = cu.set_index("customer_id")["signup_date"]
    assert (first == signup.loc[first.index]).all()
    # contact data unique, dates sane, cities match provinces
    assert cu["phone"].dropna().is_unique and cu["email"].dropna().is_unique
    age = (cu["signup_date"] - cu["birth_date"]).dt.days / 365.2425
    assert age.dropna().between(17.99, 70.01).all()
    assert (cu["signup_date"] <= END).all()
    pairs = {(c, p) for c, p, _ in synth.CITIES}
    known = cu.dropna(subset=["city"])
    assert all((c, p) in pairs for c, p in zip(known["city"], known["province"]))
    assert cu.loc[cu["city"].isna(), "province"].isna().all()


def test_phones_and_emails_are_valid(sample):
    phonenumbers = pytest.importorskip("phonenumbers")
    ev = pytest.importorskip("email_validator")
    for phone in sample.customers["phone"].dropna():
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone, "ID")), phone
        assert _mobile_e164(phone) == phone
    for email in sample.customers["email"].dropna():
        ev.validate_email(email, check_deliverability=False)
        assert email.split("@", 1)[1] in synth.EMAIL_DOMAINS


def test_profile_shares(sample):
    """Shares within 4 binomial standard errors of the parameters (n = 3000 customers)."""
    cu, prm = sample.customers, synth.SynthParams()
    n = len(cu)
    for observed, target in (
        ((cu["gender"] == "F").mean(), prm.female_share),
        (cu["phone"].notna().mean(), prm.phone_share),
        (cu["email"].notna().mean(), prm.email_share),
        (1 - sample.latent["is_buyer"].mean(), prm.never_buy_share),
        (cu["occupation"].notna().mean(), prm.occupation_share),
        (cu["education"].notna().mean(), prm.education_share),
        (cu["interest"].notna().mean(), prm.interest_share),
    ):
        assert abs(observed - target) < _tolerance(target, n), (observed, target)
    jakarta = cu["province"].eq("DKI Jakarta").mean()
    assert 0.30 < jakarta < 0.46  # Jakarta-heavy: 38 % expected


def test_sample_realism(sample):
    """The defaults give the stated shape: 40-55 % of buyers repeat, 4-6 orders per repeater."""
    facts = sample.truth["facts"]
    assert 0.40 <= facts["share_buyers_repeating"] <= 0.55
    assert 4.0 <= facts["mean_orders_per_repeat_buyer"] <= 6.0
    q = facts["order_value_quantiles"]
    assert 150_000 <= q["0.5"] <= 500_000 and q["0.99"] > 4 * q["0.5"]  # heavy right tail
    counts = sample.transactions.groupby("customer_id").size()
    assert facts["n_buyers"] == len(counts) and facts["n_transactions"] == counts.sum()
    assert facts["n_repeat_buyers"] == int((counts > 1).sum())


# ----------------------------------------------------------------------------- model recovery

def _rfm(data: synth.SynthData) -> pd.DataFrame:
    """x (repeat orders), t_x and T in weeks from the transactions alone."""
    tx = data.transactions
    end = pd.Timestamp(data.truth["period"]["end"]) + pd.Timedelta(days=1)
    g = tx.groupby("customer_id")["date"]
    first, last = g.min(), g.max()
    return pd.DataFrame({
        "x": g.size() - 1,
        "t_x": (last - first).dt.total_seconds() / 604_800,
        "T": (end - first).dt.total_seconds() / 604_800,
    })


def _bgnbd_nll(log_params, x, t_x, T):
    r, alpha, a, b = np.exp(log_params)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + T)
    a3 = np.where(x > 0, special.betaln(a + 1, b + np.maximum(x, 1) - 1) - special.betaln(a, b)
                  - (r + x) * np.log(alpha + t_x), -np.inf)
    return -np.sum(a1 + np.logaddexp(a2, a3))


def _fit_with_se(nll, start, args):
    """MLE in log space and standard errors (delta method, numerical observed information)."""
    fit = optimize.minimize(nll, np.log(start), args=args, method="Nelder-Mead",
                            options={"xatol": 1e-7, "fatol": 1e-7, "maxiter": 20_000, "maxfev": 20_000})
    phi, k, h = fit.x, len(fit.x), 1e-4
    hess = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            hess[i, j] = (nll(phi + ei + ej, *args) - nll(phi + ei - ej, *args)
                          - nll(phi - ei + ej, *args) + nll(phi - ei - ej, *args)) / (4 * h * h)
    se_phi = np.sqrt(np.diag(np.linalg.inv(hess)))
    return np.exp(phi), np.exp(phi) * se_phi


def test_bgnbd_parameters_recovered(pure):
    """MLE of (r, alpha, a, b) on 40,000 customers without seasonality is within 4 SE of the truth."""
    prm = pure.params
    rfm = _rfm(pure)
    args = (rfm["x"].to_numpy(float), rfm["t_x"].to_numpy(), rfm["T"].to_numpy())
    est, se = _fit_with_se(_bgnbd_nll, [1.0, 1.0, 1.0, 1.0], args)
    truth = np.array([prm.r, prm.alpha, prm.a, prm.b])
    assert np.all(se < 0.25 * truth), se  # the check has teeth
    assert np.all(np.abs(est - truth) < 4 * se), (est, se, truth)


def test_bgnbd_expected_repeat_count(pure):
    """Mean repeat orders equals the BG/NBD closed form E[X(T)] at the true parameters."""
    prm = pure.params
    rfm = _rfm(pure)
    T = rfm["T"].to_numpy()
    r, alpha, a, b = prm.r, prm.alpha, prm.a, prm.b
    z = T / (alpha + T)
    expected = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + T)) ** r * special.hyp2f1(r, b, a + b - 1, z))
    x = rfm["x"].to_numpy()
    assert abs(x.mean() - expected.mean()) < 4 * x.std() / math.sqrt(len(x))
    # latent draws: mean rate r/alpha (method of moments)
    lam = pure.latent["lambda_per_week"]
    assert abs(lam.mean() - r / alpha) < 4 * lam.std() / math.sqrt(len(lam))


def _gg_nll(log_params, x, sum_z, sum_log_z):
    p, q, gamma = np.exp(log_params)
    ll = (special.gammaln(p * x + q) - x * special.gammaln(p) - special.gammaln(q) + q * np.log(gamma)
          + (p - 1) * sum_log_z - (p * x + q) * np.log(gamma + sum_z))
    return -np.sum(ll)


def test_gamma_gamma_parameters_recovered(pure):
    """Gamma-Gamma MLE of (p, q, gamma) from every order's value is within 4 SE of the truth."""
    prm = pure.params
    z = pure.transactions.assign(k=pure.transactions["amount"] / 1000.0)  # thousands of Rp
    g = z.groupby("customer_id")["k"]
    args = (g.size().to_numpy(float), g.sum().to_numpy(), g.apply(lambda s: np.log(s).sum()).to_numpy())
    est, se = _fit_with_se(_gg_nll, [2.0, 2.0, 100.0], args)
    truth = np.array([prm.gg_p, prm.gg_q, prm.gg_gamma / 1000.0])
    assert np.all(se < 0.25 * truth), se
    assert np.all(np.abs(est - truth) < 4 * se), (est, se, truth)
    # the mean of customers' true mean spend is p*gamma/(q-1)
    ev = pure.latent["expected_order_value"]
    model_mean = prm.gg_p * prm.gg_gamma / (prm.gg_q - 1)
    assert abs(ev.mean() - model_mean) < 4 * ev.std() / math.sqrt(len(ev))


def test_dropout_at_first_variant_has_more_one_off_buyers():
    base = synth.generate(n_customers=20_000, seed=3, seasonality=0.0)
    mbg = synth.generate(n_customers=20_000, seed=3, seasonality=0.0,
                         params=synth.SynthParams(dropout_at_first=True))
    # same draws, fewer purchases allowed: P(no repeat) rises
    assert mbg.truth["facts"]["share_buyers_repeating"] < base.truth["facts"]["share_buyers_repeating"] - 0.03


# ----------------------------------------------------------------------------- seasonality

def test_seasonal_profile_shape():
    flat = synth.seasonal_profile("2023-01-01", "2024-12-31", 0.0)
    assert np.allclose(flat.to_numpy(), 1.0)
    prof = synth.seasonal_profile("2023-01-01", "2024-12-31", 1.0)
    assert np.allclose(prof.groupby(prof.index.year).mean(), 1.0)  # thinning keeps lambda the yearly mean
    for year in (2023, 2024):
        assert prof[str(year)].idxmax() == pd.Timestamp(f"{year}-12-12")
    leb = pd.Timestamp(synth.LEBARAN[2024])
    assert prof[leb - pd.Timedelta(days=7)] > 1.4 and prof[leb + pd.Timedelta(days=10)] < 0.9
    half = synth.seasonal_profile("2023-01-01", "2024-12-31", 0.5)
    assert np.allclose(half - 1, 0.5 * (prof - 1))  # no floor reached at 0.5


def _window_ratios(daily: pd.Series) -> dict[str, float]:
    """Harbolnas days vs the week around them; last 14 Ramadan days and days 2-15 after
    Lebaran vs a 14-day window before Ramadan (both years pooled)."""
    peaks = around = ramadan = after = before = 0.0
    for year in (2023, 2024):
        for day in (f"{year}-11-11", f"{year}-12-12"):
            d = pd.Timestamp(day)
            peaks += daily[d]
            around += daily[d - pd.Timedelta(days=7):d + pd.Timedelta(days=7)].drop(d).mean()
        leb = pd.Timestamp(synth.LEBARAN[year])
        ramadan += daily[leb - pd.Timedelta(days=14):leb - pd.Timedelta(days=1)].sum()
        after += daily[leb + pd.Timedelta(days=2):leb + pd.Timedelta(days=15)].sum()
        before += daily[leb - pd.Timedelta(days=51):leb - pd.Timedelta(days=38)].sum()
    return {"harbolnas": peaks / around, "ramadan": ramadan / before, "after_lebaran": after / before}


def _order_ratios(data: synth.SynthData) -> dict[str, float]:
    daily = data.transactions["date"].dt.normalize().value_counts()
    return _window_ratios(daily.reindex(pd.date_range("2023-01-01", "2024-12-31"), fill_value=0))


def test_seasonality_shows_in_orders_and_zero_disables_it():
    """Orders follow the profile: seasonal/flat window ratios match the profile's own ratios.

    Daily orders = multiplier x a slowly growing base (customers at risk plus signups), so
    dividing the seasonal run's ratio by the flat run's removes the growth.  Each window
    holds ~1,000+ orders, so 25 % is several standard errors.
    """
    implied = _window_ratios(synth.seasonal_profile("2023-01-01", "2024-12-31", 1.0))
    seasonal = _order_ratios(synth.generate(n_customers=20_000, seed=11, seasonality=1.0))
    flat = _order_ratios(synth.generate(n_customers=20_000, seed=11, seasonality=0.0))
    assert implied["harbolnas"] > 2 and implied["ramadan"] > 1.5 and implied["after_lebaran"] < 0.85
    for key, target in implied.items():
        assert abs(seasonal[key] / flat[key] / target - 1) < 0.25, (key, seasonal, flat, implied)
    assert 0.7 < flat["harbolnas"] < 1.4  # no spike without seasonality


# ----------------------------------------------------------------------------- export

def test_export_without_noise_round_trips(sample, tmp_path):
    tx_e, cu_e = synth.to_client_export(sample, seed=42, noise=False)
    synth._write_csv(tmp_path / "t.csv", tx_e)
    synth._write_csv(tmp_path / "c.csv", cu_e)
    assert (tmp_path / "t.csv").read_bytes().count(b"\r\n") == len(tx_e) + 1
    counts = _count_dirt(tmp_path / "t.csv", tmp_path / "c.csv")
    assert all(v == 0 for v in counts[0].values()) and all(v == 0 for v in counts[1].values())

    rows = _read_export(tmp_path / "t.csv")[1:]
    back = pd.DataFrame({
        "order_id": [r[0] for r in rows],
        "customer_id": [r[1].strip() for r in rows],
        "date": pd.to_datetime([r[2] for r in rows], format=synth.EXPORT_DATETIME_FORMAT),
        "amount": [_amount(r[3]) for r in rows],
        "quantity": np.array([int(r[4]) for r in rows], dtype=np.int64),
        "category": [r[5].strip() for r in rows],
        "channel": [r[6] for r in rows],
    })
    pd.testing.assert_frame_equal(back, sample.transactions, check_dtype=False)
    assert {r[7] for r in rows} == {synth.STATUS_COMPLETED}
    assert sum(r[3].startswith("Rp ") for r in rows) == tx_e.attrs["style"]["rp_prefix"] > 0
    assert sum(r[1] != r[1].strip() for r in rows) == tx_e.attrs["style"]["padded_customer_id"] > 0

    cu_rows = _read_export(tmp_path / "c.csv")[1:]
    cu = sample.customers
    assert [r[0] for r in cu_rows] == list(cu["customer_id"])
    assert [r[1].strip() for r in cu_rows] == list(cu["name"])
    assert [{"P": "F", "L": "M"}[r[2]] for r in cu_rows] == list(cu["gender"])
    assert [_mobile_e164(r[6]) if r[6] else None for r in cu_rows] == list(cu["phone"])
    birth = pd.to_datetime(pd.Series([r[3] or None for r in cu_rows]), format=synth.EXPORT_DATE_FORMAT)
    pd.testing.assert_series_equal(birth, cu["birth_date"], check_names=False)
    assert [r[12] or None for r in cu_rows] == list(cu["interest"])


def test_injected_dirt_counts_match_truth(written):
    truth = json.loads(written["truth"].read_text(encoding="utf-8"))
    dirt = truth["injected_dirt"]
    tx_counts, cu_counts = _count_dirt(written["transactions"], written["customers"])
    assert tx_counts == dirt["transactions"]
    assert cu_counts == dirt["customers"]
    assert all(v >= 1 for v in tx_counts.values()) and all(v >= 1 for v in cu_counts.values())
    lines = truth["export"]["transactions_lines"]
    assert 0.01 <= dirt["transactions_total"] / lines <= 0.02  # ~1-2 % of lines
    extra = sum(dirt["transactions"][k] for k in ("duplicate_line", "cancelled", "returned", "future_date"))
    assert lines == truth["facts"]["n_transactions"] + extra
    assert truth["export"]["customers_lines"] == truth["n_customers"] + dirt["customers"]["shared_phone"]
    # the README reports the same numbers
    readme = written["readme"].read_text(encoding="utf-8")
    for kind, count in dirt["transactions"].items():
        assert f"| `{kind}` | {count} |" in readme


def test_dirt_ids_point_at_the_right_lines(written):
    truth = json.loads(written["truth"].read_text(encoding="utf-8"))
    ids = truth["injected_dirt"]["ids"]["transactions"]
    rows = _read_export(written["transactions"])[1:]
    by_id: dict[str, list[list[str]]] = {}
    for row in rows:
        by_id.setdefault(row[0], []).append(row)
    assert all(by_id[o][0][1] == "" for o in ids["missing_customer_id"])
    assert all(_amount(by_id[o][0][3]) is None for o in ids["bad_amount"])
    assert all(by_id[o][-1][7] == synth.STATUS_RETURNED for o in ids["returned"])
    assert all(len(by_id[o]) == 2 and by_id[o][0] == by_id[o][1] for o in ids["duplicate_line"])
    shared = truth["injected_dirt"]["ids"]["customers"]["shared_phone"]
    cu = {r[0]: r for r in _read_export(written["customers"])[1:]}
    for pair in shared:
        old, new = pair.split("=")
        assert cu[old][1].strip() == cu[new][1].strip()
        assert _mobile_e164(cu[old][6]) == _mobile_e164(cu[new][6]) and cu[old][6] != cu[new][6]


def test_small_and_invalid_inputs():
    tiny = synth.generate(n_customers=5, seed=1)
    tx, cu = synth.to_client_export(tiny, seed=1)
    assert len(cu) >= 5 and list(tx.columns) == list(synth.EXPORT_TRANSACTION_COLUMNS)
    with pytest.raises(ValueError):
        synth.generate(n_customers=0)
    with pytest.raises(ValueError):
        synth.generate(start="2024-01-01", end="2023-01-01")
    with pytest.raises(ValueError):
        synth.generate(seasonality=-1)
