"""Deterministic synthetic Indonesian retail customer base.

``generate`` draws a customer file and its order history from a known generative
model (BG/NBD purchasing, Gamma-Gamma spend, Indonesian seasonality), so later
analyses can be checked against the truth.  ``to_client_export`` renders it the
way a client hands it over (``;``-separated, BOM, Indonesian headers and number
formats) with a small, recorded amount of dirt; ``write_sample`` writes the
bundled sample.  The model is documented in ``docs/synthetic_data.md``.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------- vocabularies

CATEGORIES: tuple[str, ...] = (
    "Fashion Wanita",
    "Kecantikan",
    "Elektronik",
    "Rumah Tangga",
    "Makanan & Minuman",
    "Kesehatan",
    "Ibu & Anak",
    "Olahraga",
)
# Preferred-category weights by gender, and the weights used for "exploration" orders.
_CATEGORY_W_FEMALE = (0.24, 0.22, 0.05, 0.12, 0.12, 0.08, 0.13, 0.04)
_CATEGORY_W_MALE = (0.04, 0.05, 0.30, 0.12, 0.18, 0.10, 0.06, 0.15)
_CATEGORY_W_ALL = (0.17, 0.16, 0.12, 0.12, 0.14, 0.09, 0.10, 0.10)

CHANNELS: tuple[str, ...] = ("Online - Aplikasi", "Online - Website", "Marketplace", "Toko")
_CHANNEL_W = (0.25, 0.15, 0.35, 0.25)
_STORE = CHANNELS.index("Toko")

# Orders by hour of day (relative weights): online peaks at lunch and in the evening,
# stores trade 09:00-21:59.
_HOURS_ONLINE = (0.4, 0.2, 0.1, 0.1, 0.1, 0.3, 0.8, 1.5, 2.5, 3.5, 4.0, 4.5,
                 5.5, 5.5, 4.5, 4.0, 4.0, 4.5, 5.0, 6.5, 7.5, 7.5, 6.0, 3.0)
_HOURS_STORE = (0, 0, 0, 0, 0, 0, 0, 0, 0, 2.0, 4.0, 5.0,
                5.5, 5.0, 4.5, 4.5, 5.0, 6.0, 7.0, 7.0, 5.0, 2.5, 0, 0)

# (city, province, weight): Jakarta-heavy, Jabodetabek about two thirds.
CITIES: tuple[tuple[str, str, float], ...] = (
    ("Jakarta Selatan", "DKI Jakarta", 0.11),
    ("Jakarta Barat", "DKI Jakarta", 0.09),
    ("Jakarta Timur", "DKI Jakarta", 0.09),
    ("Jakarta Utara", "DKI Jakarta", 0.05),
    ("Jakarta Pusat", "DKI Jakarta", 0.04),
    ("Bekasi", "Jawa Barat", 0.08),
    ("Tangerang", "Banten", 0.08),
    ("Depok", "Jawa Barat", 0.06),
    ("Bogor", "Jawa Barat", 0.05),
    ("Bandung", "Jawa Barat", 0.08),
    ("Surabaya", "Jawa Timur", 0.08),
    ("Semarang", "Jawa Tengah", 0.04),
    ("Yogyakarta", "DI Yogyakarta", 0.03),
    ("Medan", "Sumatera Utara", 0.05),
    ("Makassar", "Sulawesi Selatan", 0.03),
    ("Denpasar", "Bali", 0.04),
)

OCCUPATIONS: tuple[str, ...] = (
    "Karyawan Swasta", "Wiraswasta", "Ibu Rumah Tangga", "Pelajar/Mahasiswa",
    "PNS", "Profesional", "TNI/Polri", "Lainnya",
)
_OCC_W_ADULT_F = (0.33, 0.15, 0.22, 0.04, 0.09, 0.10, 0.01, 0.06)
_OCC_W_ADULT_M = (0.42, 0.23, 0.00, 0.04, 0.10, 0.10, 0.05, 0.06)
_OCC_W_YOUNG = (0.25, 0.06, 0.03, 0.60, 0.01, 0.02, 0.01, 0.02)  # under 24 at signup
EDUCATION: tuple[str, ...] = ("SMP", "SMA/SMK", "D3", "S1", "S2", "S3")
_EDU_W = (0.05, 0.38, 0.12, 0.37, 0.07, 0.01)

# Synthetic names: common Indonesian given names and family names, combined at random.
_FIRST_F = (
    "Siti", "Dewi", "Sri", "Ayu", "Putri", "Rina", "Wulan", "Indah", "Fitri", "Nur",
    "Ratna", "Maya", "Dian", "Intan", "Nadia", "Anisa", "Rahma", "Yuni", "Eka", "Kartika",
    "Novi", "Citra", "Nabila", "Aulia", "Salsabila", "Amelia", "Vina", "Tari", "Lia",
    "Endah", "Ratih", "Sekar", "Melati", "Larasati", "Winda", "Yulia", "Rini", "Fadhila",
)
_FIRST_M = (
    "Budi", "Agus", "Andi", "Rudi", "Hendra", "Dedi", "Eko", "Yoga", "Rizky", "Fajar",
    "Dimas", "Arief", "Bayu", "Teguh", "Wahyu", "Hadi", "Irfan", "Fikri", "Reza", "Aditya",
    "Bagus", "Ilham", "Taufik", "Galih", "Rangga", "Surya", "Yusuf", "Hafiz", "Rahmat",
    "Doni", "Heru", "Iwan", "Gilang", "Satria", "Hendri", "Kevin", "Ari", "Yosua",
)
_LAST_ANY = (
    "Santoso", "Wijaya", "Pratama", "Kusuma", "Hidayat", "Setiawan", "Nugroho", "Wibowo",
    "Purnomo", "Hakim", "Siregar", "Nasution", "Simanjuntak", "Harahap", "Lubis",
    "Sitompul", "Tanjung", "Gunawan", "Halim", "Hartono", "Permana", "Firmansyah",
    "Kurniawan", "Sembiring", "Tarigan", "Manurung", "Panjaitan", "Fauzi", "Rahman",
    "Suryadi", "Utomo", "Prasetyo", "Hutapea", "Wirawan", "Salim", "Effendi",
)
_LAST_F = ("Rahmawati", "Lestari", "Handayani", "Susanti", "Anggraini", "Maharani", "Putri",
           "Safitri", "Wulandari", "Puspita")
_LAST_M = ("Saputra", "Putra", "Syahputra", "Ramadhan", "Hidayatullah", "Prakoso")

# Reserved example domains (RFC 2606 / RFC 6761): syntactically valid, clearly synthetic.
EMAIL_DOMAINS: tuple[str, ...] = (
    "example.com", "mail.example.com", "example.net", "example.org", "contoh.example",
)
_EMAIL_DOMAIN_W = (0.30, 0.25, 0.15, 0.10, 0.20)

# Indonesian mobile prefixes (Telkomsel, Indosat, XL, Axis, Tri, Smartfren) and weights.
_MOBILE_PREFIXES = (
    ("0811", 3), ("0812", 8), ("0813", 7), ("0821", 6), ("0822", 6), ("0823", 3),
    ("0852", 5), ("0853", 4), ("0814", 1), ("0815", 2), ("0816", 2), ("0855", 1),
    ("0856", 4), ("0857", 4), ("0858", 2), ("0817", 3), ("0818", 3), ("0819", 4),
    ("0859", 2), ("0877", 3), ("0878", 3), ("0831", 1), ("0838", 2), ("0895", 3),
    ("0896", 3), ("0897", 1), ("0898", 2), ("0899", 2), ("0881", 1), ("0882", 1),
    ("0887", 1), ("0888", 1),
)

# Idul Fitri (Lebaran, 1 Syawal) as set by the Indonesian government; later years are
# the expected dates.  Outside this table a 354.367-day lunar-year step is used.
LEBARAN: dict[int, str] = {
    2015: "2015-07-17", 2016: "2016-07-06", 2017: "2017-06-25", 2018: "2018-06-15",
    2019: "2019-06-05", 2020: "2020-05-24", 2021: "2021-05-13", 2022: "2022-05-02",
    2023: "2023-04-22", 2024: "2024-04-10", 2025: "2025-03-31", 2026: "2026-03-20",
    2027: "2027-03-10", 2028: "2028-02-27", 2029: "2029-02-15", 2030: "2030-02-05",
}
_LUNAR_YEAR_DAYS = 354.367

# Base month-of-year level before the event windows (Jan..Dec).
_MONTH_BASE = (0.90, 0.90, 0.95, 1.00, 1.00, 1.00, 1.05, 0.95, 0.95, 1.00, 1.10, 1.25)

# --------------------------------------------------------------------------- columns

#: Canonical transaction columns (``generate`` output, what cleaning should produce).
TRANSACTION_COLUMNS: tuple[str, ...] = (
    "order_id", "customer_id", "date", "amount", "quantity", "category", "channel",
)
#: Canonical customer columns.
CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer_id", "name", "gender", "birth_date", "city", "province", "phone", "email",
    "signup_date", "signup_channel", "occupation", "education", "interest",
)
#: Export header -> canonical column, transactions.csv.
EXPORT_TRANSACTION_COLUMNS: dict[str, str] = {
    "No Faktur": "order_id",
    "ID Pelanggan": "customer_id",
    "Tanggal": "date",
    "Total (Rp)": "amount",
    "Jumlah Barang": "quantity",
    "Kategori": "category",
    "Kanal": "channel",
    "Status": "status",
}
#: Export header -> canonical column, customers.csv.
EXPORT_CUSTOMER_COLUMNS: dict[str, str] = {
    "ID Pelanggan": "customer_id",
    "Nama": "name",
    "Jenis Kelamin (L/P)": "gender",
    "Tanggal Lahir": "birth_date",
    "Kota": "city",
    "Provinsi": "province",
    "No HP": "phone",
    "Email": "email",
    "Tanggal Daftar": "signup_date",
    "Kanal Daftar": "signup_channel",
    "Pekerjaan": "occupation",
    "Pendidikan": "education",
    "Minat": "interest",
}
#: Canonical gender code -> export label (P = perempuan, L = laki-laki).
GENDER_LABELS: dict[str, str] = {"F": "P", "M": "L"}
#: Export ``Status`` values: canonical orders are all completed; the others are injected dirt.
STATUS_COMPLETED = "Selesai"
STATUS_CANCELLED: tuple[str, ...] = ("Batal", "Dibatalkan")
STATUS_RETURNED = "Retur"
EXPORT_DATETIME_FORMAT = "%d/%m/%Y %H:%M"
EXPORT_DATE_FORMAT = "%d/%m/%Y"

#: Kinds of injected dirt, in the order they are reported.
TRANSACTION_DIRT_KINDS: tuple[str, ...] = (
    "missing_customer_id", "bad_date", "bad_amount", "duplicate_line", "cancelled",
    "returned", "future_date",
)
CUSTOMER_DIRT_KINDS: tuple[str, ...] = (
    "bad_phone", "future_birth_date", "age_over_110", "shared_phone",
)

_BAD_DATE_WORDS = ("kemarin", "besok", "########")
_BAD_AMOUNTS = ("n/a", "-", "#N/A")
_BAD_PHONES = ("-", "tidak ada", "08123", "0812-3456", "0812-3456-7890-1234", "000000")


# --------------------------------------------------------------------------- parameters

@dataclass(frozen=True)
class SynthParams:
    """Generative parameters (time unit: weeks; money: Rupiah).

    Purchasing (BG/NBD): each buyer's weekly purchase rate ``lambda ~ Gamma(shape=r,
    rate=alpha)`` (mean ``r/alpha``) and dropout probability ``p ~ Beta(a, b)``; after
    each *repeat* purchase the buyer drops out with probability ``p`` (also after the
    first purchase when ``dropout_at_first``, the MBG/NBD variant).

    Spend (Gamma-Gamma): ``nu ~ Gamma(shape=gg_q, rate=gg_gamma)`` per customer and order
    value ``z ~ Gamma(shape=gg_p, rate=nu)``; mean order value ``gg_p*gg_gamma/(gg_q-1)``.

    ``dirt_*`` are the shares used by ``to_client_export(noise=True)``: transaction kinds
    as a share of clean order lines, customer kinds as a share of customers (at least one
    of each kind is injected).
    """

    # population
    never_buy_share: float = 0.37  #: share of customers on file who never purchase
    acquisition_trend: float = 0.5  #: signup intensity rises linearly by this factor over the period
    # purchasing: BG/NBD
    r: float = 0.35  #: Gamma shape of the weekly purchase rate
    alpha: float = 5.0  #: Gamma rate of the weekly purchase rate (weeks)
    a: float = 0.6  #: Beta a of the dropout probability
    b: float = 4.0  #: Beta b of the dropout probability
    dropout_at_first: bool = False  #: MBG/NBD: allow dropout right after the first purchase
    # spend: Gamma-Gamma (Rupiah)
    gg_p: float = 4.0  #: shape of an order value given the customer
    gg_q: float = 3.5  #: shape of the customer's rate nu
    gg_gamma: float = 220_000.0  #: rate scale of nu (Rupiah)
    amount_rounding: int = 100  #: order values rounded to a multiple of this (Rp)
    min_amount: float = 1_000.0  #: floor of an order value (Rp)
    item_value: float = 150_000.0  #: quantity = 1 + Poisson(0.5 * amount / item_value), capped
    max_items: int = 6
    # behaviour
    category_loyalty: float = 0.6  #: chance an order is in the customer's preferred category
    channel_loyalty: float = 0.75  #: chance an order uses the customer's preferred channel
    preferred_channel_is_signup: float = 0.7  #: chance the preferred channel is the signup channel
    # profile fields
    female_share: float = 0.70
    min_age: int = 18  #: age at signup, lower bound
    max_age: int = 70  #: age at signup, upper bound
    birth_date_missing_share: float = 0.04
    city_missing_share: float = 0.02
    phone_share: float = 0.75
    email_share: float = 0.25
    occupation_share: float = 0.55
    education_share: float = 0.45
    interest_share: float = 0.40
    interest_matches_preference: float = 0.7  #: stated interest equals the preferred category
    # order numbering
    order_id_gap_rate: float = 0.03  #: share of invoice numbers skipped (used by cancelled orders)
    # export dirt (to_client_export, noise=True)
    dirt_missing_customer_id: float = 0.002
    dirt_bad_date: float = 0.0015
    dirt_bad_amount: float = 0.0015
    dirt_duplicate_line: float = 0.003
    dirt_cancelled: float = 0.004
    dirt_returned: float = 0.003
    dirt_future_date: float = 0.001
    dirt_bad_phone: float = 0.003
    dirt_future_birth_date: float = 0.001
    dirt_age_over_110: float = 0.001
    dirt_shared_phone: float = 0.001
    # export style (always applied; not dirt)
    style_rp_prefix: float = 0.12  #: share of amounts written "Rp 1.250.000,00"
    style_padded_id: float = 0.03  #: share of customer ids with surrounding spaces
    style_padded_text: float = 0.02  #: share of category / name / city values with spaces


@dataclass
class SynthData:
    """Generated customer base: canonical frames, the truth summary and per-customer latents."""

    customers: pd.DataFrame
    transactions: pd.DataFrame
    truth: dict
    latent: pd.DataFrame
    params: SynthParams = field(default_factory=SynthParams)


# --------------------------------------------------------------------------- seasonality

def lebaran_dates(first_year: int, last_year: int) -> list[pd.Timestamp]:
    """Idul Fitri dates falling in ``first_year..last_year`` (table, else lunar-year step)."""
    out: list[pd.Timestamp] = []
    for year in range(first_year, last_year + 1):
        if year in LEBARAN:
            out.append(pd.Timestamp(LEBARAN[year]))
    anchor = pd.Timestamp(LEBARAN[2024])
    k_lo = math.floor((first_year - 2025) * 365.2425 / _LUNAR_YEAR_DAYS) - 1
    k_hi = math.ceil((last_year - 2023) * 365.2425 / _LUNAR_YEAR_DAYS) + 1
    for k in range(k_lo, k_hi + 1):
        d = (anchor + pd.Timedelta(days=round(k * _LUNAR_YEAR_DAYS))).normalize()
        if first_year <= d.year <= last_year and d.year not in LEBARAN:
            out.append(d)
    return sorted(set(out))


def seasonal_profile(start: str, end: str, seasonality: float = 1.0) -> pd.Series:
    """Daily purchase-intensity multiplier over the calendar years covering ``start..end``.

    Month-of-year base level x payday (25th-2nd: x1.08) x Ramadan (30 days before
    Lebaran x1.2, last 14 of them x1.74 in total) x Lebaran days (x0.5) x post-Lebaran
    dip (days 2-21 after: x0.75) x Harbolnas (11.11 x2.5, 12.12 x3).  The raw profile is
    scaled to average 1 over each calendar year, shrunk towards 1 by ``seasonality``
    (``m = 1 + s*(raw-1)``, floored at 0.05) and scaled to average 1 per year again.
    """
    if seasonality < 0:
        raise ValueError("seasonality must be >= 0")
    y0, y1 = pd.Timestamp(start).year, pd.Timestamp(end).year
    days = pd.date_range(f"{y0}-01-01", f"{y1}-12-31", freq="D")
    raw = np.asarray(_MONTH_BASE)[days.month - 1].astype(float)
    raw *= np.where((days.day >= 25) | (days.day <= 2), 1.08, 1.0)
    for leb in lebaran_dates(y0 - 1, y1 + 1):
        delta = (days - leb).days.to_numpy()
        raw *= np.where((delta >= -30) & (delta <= -1), 1.2, 1.0)
        raw *= np.where((delta >= -14) & (delta <= -1), 1.45, 1.0)
        raw *= np.where((delta >= 0) & (delta <= 1), 0.5, 1.0)
        raw *= np.where((delta >= 2) & (delta <= 21), 0.75, 1.0)
    raw *= np.where((days.month == 11) & (days.day == 11), 2.5, 1.0)
    raw *= np.where((days.month == 12) & (days.day == 12), 3.0, 1.0)
    years = days.year.to_numpy()

    def per_year_mean_one(x: np.ndarray) -> np.ndarray:
        means = pd.Series(x).groupby(years).transform("mean").to_numpy()
        return x / means

    m = 1.0 + seasonality * (per_year_mean_one(raw) - 1.0)
    m = per_year_mean_one(np.maximum(m, 0.05))
    return pd.Series(m, index=days, name="multiplier")


# --------------------------------------------------------------------------- helpers

def _choice(rng: np.random.Generator, n_options: int, weights, size: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(n_options, size=size, p=w / w.sum())


def _time_of_day_minutes(rng: np.random.Generator, channel_idx: np.ndarray) -> np.ndarray:
    """Minutes after midnight drawn from the channel's hour-of-day profile."""
    n = len(channel_idx)
    hours = _choice(rng, 24, _HOURS_ONLINE, n)
    store = channel_idx == _STORE
    hours[store] = _choice(rng, 24, _HOURS_STORE, int(store.sum()))
    return hours * 60 + rng.integers(0, 60, size=n)


def _preferred(rng, own: np.ndarray, loyalty: float, weights, n_options: int) -> np.ndarray:
    """Per-event choice: the owner's preference with prob ``loyalty``, else a population draw."""
    explore = _choice(rng, n_options, weights, len(own))
    return np.where(rng.random(len(own)) < loyalty, own, explore)


def _unique_phones(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct Indonesian mobile numbers in E.164 (+62...), 10-13 national digits."""
    prefixes = [p for p, _ in _MOBILE_PREFIXES]
    weights = [w for _, w in _MOBILE_PREFIXES]
    lengths = (10, 11, 12, 13)
    length_w = (0.08, 0.32, 0.50, 0.10)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        need = n - len(out)
        pre = _choice(rng, len(prefixes), weights, need)
        lens = np.asarray(lengths)[_choice(rng, 4, length_w, need)]
        for pi, length in zip(pre, lens):
            rest = "".join(map(str, rng.integers(0, 10, size=int(length) - 4)))
            national = prefixes[pi] + rest
            if national not in seen:
                seen.add(national)
                out.append("+62" + national[1:])
    return out


def _email_local(name: str, birth_year: int | None, variant: int, rng) -> str:
    parts = ["".join(ch for ch in w.lower() if ch.isalpha()) for w in name.split()]
    first, last = parts[0], parts[-1] if len(parts) > 1 else ""
    suffix = f"{birth_year % 100:02d}" if birth_year else f"{int(rng.integers(1, 100)):02d}"
    if not last:
        return [f"{first}{suffix}", f"{first}.{suffix}", f"{first}_{suffix}", first][variant]
    return [f"{first}.{last}", f"{first}{last}{suffix}", f"{first}_{last}", f"{first}{suffix}"][variant]


def _round_amount(x: np.ndarray, step: int, floor: float) -> np.ndarray:
    return np.maximum(np.round(x / step) * step, floor)


# --------------------------------------------------------------------------- generate

def generate(
    n_customers: int = 3000,
    seed: int = 42,
    start: str = "2023-01-01",
    end: str = "2024-12-31",
    seasonality: float = 1.0,
    params: SynthParams | None = None,
) -> SynthData:
    """Draw a customer file and its completed orders; pure and deterministic in its arguments.

    Time runs from ``start`` 00:00 to ``end`` 23:59 (both days included).  Everyone signs
    up in the period; buyers make their first purchase on the signup day, then purchase
    as a BG/NBD process whose Poisson part is thinned by ``seasonal_profile``.
    """
    prm = params or SynthParams()
    if n_customers < 1:
        raise ValueError("n_customers must be >= 1")
    start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if end_ts < start_ts:
        raise ValueError("end must not be before start")
    rng = np.random.default_rng(seed)
    n = int(n_customers)
    days = pd.date_range(start_ts, end_ts, freq="D")
    n_days = len(days)
    profile = seasonal_profile(str(start_ts.date()), str(end_ts.date()), seasonality)
    m = profile.reindex(days).to_numpy()
    m_max = float(m.max())

    # ---- acquisition: linear trend x seasonal profile, ids in signup order
    u = (np.arange(n_days) + 0.5) / n_days
    signup_day = np.sort(_choice(rng, n_days, (1.0 + prm.acquisition_trend * u) * m, n))
    id_space = int(math.ceil(n * 1.2)) + 10
    width = max(6, len(str(id_space + 1000)))  # room for ids the export adds (shared_phone)
    id_numbers = np.sort(rng.choice(np.arange(1, id_space + 1), size=n, replace=False))
    customer_ids = np.array([str(i).zfill(width) for i in id_numbers], dtype=object)

    # ---- demographics
    female = rng.random(n) < prm.female_share
    age_years = prm.min_age + (prm.max_age - prm.min_age) * rng.beta(2.2, 4.0, size=n)
    signup_dates = days[signup_day]
    birth = signup_dates - pd.to_timedelta(np.round(age_years * 365.2425), unit="D")
    birth = pd.DatetimeIndex(birth).normalize()
    birth_missing = rng.random(n) < prm.birth_date_missing_share
    birth_date = pd.Series(birth, dtype="datetime64[ns]").mask(birth_missing)

    first = np.where(
        female,
        np.asarray(_FIRST_F, dtype=object)[rng.integers(0, len(_FIRST_F), n)],
        np.asarray(_FIRST_M, dtype=object)[rng.integers(0, len(_FIRST_M), n)],
    )
    last_any = np.asarray(_LAST_ANY, dtype=object)[rng.integers(0, len(_LAST_ANY), n)]
    last_g = np.where(
        female,
        np.asarray(_LAST_F, dtype=object)[rng.integers(0, len(_LAST_F), n)],
        np.asarray(_LAST_M, dtype=object)[rng.integers(0, len(_LAST_M), n)],
    )
    last = np.where(rng.random(n) < 0.3, last_g, last_any)
    single = rng.random(n) < 0.12
    names = np.where(single, first, first + " " + last)

    city_idx = _choice(rng, len(CITIES), [c[2] for c in CITIES], n)
    city_missing = rng.random(n) < prm.city_missing_share
    city = np.where(city_missing, None, np.asarray([c[0] for c in CITIES], dtype=object)[city_idx])
    province = np.where(city_missing, None, np.asarray([c[1] for c in CITIES], dtype=object)[city_idx])

    has_phone = rng.random(n) < prm.phone_share
    phone = np.full(n, None, dtype=object)
    phone[has_phone] = _unique_phones(rng, int(has_phone.sum()))

    has_email = rng.random(n) < prm.email_share
    email = np.full(n, None, dtype=object)
    seen_emails: set[str] = set()
    domain_idx = _choice(rng, len(EMAIL_DOMAINS), _EMAIL_DOMAIN_W, n)
    variants = rng.integers(0, 4, n)
    for i in np.flatnonzero(has_email):
        by = None if birth_missing[i] else int(birth[i].year)
        local = _email_local(names[i], by, int(variants[i]), rng)
        addr = f"{local}@{EMAIL_DOMAINS[domain_idx[i]]}"
        while addr in seen_emails:
            addr = f"{local}{int(rng.integers(100, 1000))}@{EMAIL_DOMAINS[domain_idx[i]]}"
        seen_emails.add(addr)
        email[i] = addr

    signup_channel = _choice(rng, len(CHANNELS), _CHANNEL_W, n)
    pref_channel = np.where(
        rng.random(n) < prm.preferred_channel_is_signup,
        signup_channel,
        _choice(rng, len(CHANNELS), _CHANNEL_W, n),
    )
    pref_category = np.where(
        female,
        _choice(rng, len(CATEGORIES), _CATEGORY_W_FEMALE, n),
        _choice(rng, len(CATEGORIES), _CATEGORY_W_MALE, n),
    )

    young = age_years < 24
    occ = np.where(
        young,
        _choice(rng, len(OCCUPATIONS), _OCC_W_YOUNG, n),
        np.where(
            female,
            _choice(rng, len(OCCUPATIONS), _OCC_W_ADULT_F, n),
            _choice(rng, len(OCCUPATIONS), _OCC_W_ADULT_M, n),
        ),
    )
    occ = np.where((occ == OCCUPATIONS.index("Ibu Rumah Tangga")) & ~female, 0, occ)
    occupation = np.where(rng.random(n) < prm.occupation_share,
                          np.asarray(OCCUPATIONS, dtype=object)[occ], None)
    education = np.where(rng.random(n) < prm.education_share,
                         np.asarray(EDUCATION, dtype=object)[_choice(rng, len(EDUCATION), _EDU_W, n)], None)
    interest_idx = np.where(rng.random(n) < prm.interest_matches_preference, pref_category,
                            _choice(rng, len(CATEGORIES), _CATEGORY_W_ALL, n))
    interest = np.where(rng.random(n) < prm.interest_share,
                        np.asarray(CATEGORIES, dtype=object)[interest_idx], None)

    # ---- latent values (drawn for everyone; only buyers purchase)
    lam = rng.gamma(prm.r, 1.0 / prm.alpha, size=n)  # per week
    p_drop = rng.beta(prm.a, prm.b, size=n)
    nu = rng.gamma(prm.gg_q, 1.0 / prm.gg_gamma, size=n)
    is_buyer = rng.random(n) >= prm.never_buy_share

    # ---- purchases of buyers
    buyers = np.flatnonzero(is_buyer)
    nb = len(buyers)
    first_channel = _preferred(rng, pref_channel[buyers], prm.channel_loyalty, _CHANNEL_W, len(CHANNELS))
    first_tod = _time_of_day_minutes(rng, first_channel)
    t0 = signup_day[buyers] + first_tod / 1440.0  # days since start
    span = n_days - t0
    n_cand = rng.poisson(lam[buyers] / 7.0 * m_max * span)
    owner = np.repeat(np.arange(nb), n_cand)
    t_cand = t0[owner] + rng.random(len(owner)) * span[owner]
    order = np.lexsort((t_cand, owner))
    owner, t_cand = owner[order], t_cand[order]
    cand_day = np.minimum(np.floor(t_cand).astype(np.int64), n_days - 1)
    accepted = rng.random(len(owner)) * m_max < m[cand_day]
    owner_a, t_a = owner[accepted], t_cand[accepted]
    starts = np.searchsorted(owner_a, np.arange(nb))
    rank = np.arange(len(owner_a)) - starts[owner_a]
    # repeat purchases allowed before dropout: Geometric(p) >= 1 (BG/NBD); minus 1 for MBG/NBD
    limit = rng.geometric(p_drop[buyers]) - (1 if prm.dropout_at_first else 0)
    keep = rank < limit[owner_a]
    n_possible = np.bincount(owner_a, minlength=nb)
    alive_end = np.zeros(n, dtype=bool)
    alive_end[buyers] = n_possible < limit

    rep_owner = owner_a[keep]
    rep_day = np.floor(t_a[keep]).astype(np.int64)
    rep_channel = _preferred(rng, pref_channel[buyers][rep_owner], prm.channel_loyalty,
                             _CHANNEL_W, len(CHANNELS))
    rep_tod = _time_of_day_minutes(rng, rep_channel)

    o_owner = np.concatenate([np.arange(nb), rep_owner])
    o_cust = buyers[o_owner]
    o_day = np.concatenate([signup_day[buyers], rep_day])
    o_tod = np.concatenate([first_tod, rep_tod])
    o_channel = np.concatenate([first_channel, rep_channel])
    n_orders = len(o_cust)
    o_category = _preferred(rng, pref_category[o_cust], prm.category_loyalty, _CATEGORY_W_ALL,
                            len(CATEGORIES))
    raw_amount = rng.gamma(prm.gg_p, 1.0 / nu[o_cust])
    amount = _round_amount(raw_amount, prm.amount_rounding, prm.min_amount)
    n_items = np.minimum(1 + rng.poisson(0.5 * amount / prm.item_value), prm.max_items)
    order_ts = start_ts + pd.to_timedelta(o_day * 1440 + o_tod, unit="min")

    # chronological invoice numbers per year, with a few skipped numbers
    sort_idx = np.lexsort((customer_ids[o_cust], order_ts.to_numpy()))
    order_ts = order_ts[sort_idx]
    years = order_ts.year.to_numpy()
    step = 1 + (rng.random(n_orders) < prm.order_id_gap_rate)
    seq = np.zeros(n_orders, dtype=np.int64)
    for y in np.unique(years):
        sel = years == y
        seq[sel] = np.cumsum(step[sel])
    seq_width = max(6, len(str(int(seq.max()) if n_orders else 0)))
    order_ids = [f"INV/{y}/{s:0{seq_width}d}" for y, s in zip(years, seq)]

    transactions = pd.DataFrame({
        "order_id": order_ids,
        "customer_id": customer_ids[o_cust][sort_idx],
        "date": order_ts,
        "amount": amount[sort_idx].astype(float),
        "quantity": n_items[sort_idx].astype(np.int64),
        "category": np.asarray(CATEGORIES, dtype=object)[o_category][sort_idx],
        "channel": np.asarray(CHANNELS, dtype=object)[o_channel][sort_idx],
    })
    transactions = transactions.astype({"order_id": object, "customer_id": object,
                                        "category": object, "channel": object})

    customers = pd.DataFrame({
        "customer_id": customer_ids,
        "name": names.astype(object),
        "gender": np.where(female, "F", "M").astype(object),
        "birth_date": birth_date.to_numpy(),
        "city": city,
        "province": province,
        "phone": phone,
        "email": email,
        "signup_date": pd.DatetimeIndex(signup_dates).to_numpy(),
        "signup_channel": np.asarray(CHANNELS, dtype=object)[signup_channel],
        "occupation": occupation,
        "education": education,
        "interest": interest,
    })

    n_orders_by_cust = np.bincount(o_cust, minlength=n)
    t0_all = np.full(n, np.nan)
    t0_all[buyers] = t0
    latent = pd.DataFrame({
        "customer_id": customer_ids,
        "is_buyer": is_buyer,
        "lambda_per_week": lam,
        "p_dropout": p_drop,
        "nu": nu,
        "expected_order_value": prm.gg_p / nu,
        "alive_at_end": alive_end,
        "first_purchase_week": t0_all / 7.0,
        "observed_weeks": (n_days - t0_all) / 7.0,
        "n_orders": n_orders_by_cust,
        "preferred_category": np.asarray(CATEGORIES, dtype=object)[pref_category],
        "preferred_channel": np.asarray(CHANNELS, dtype=object)[pref_channel],
    })

    truth = _truth(prm, seed, n, start_ts, end_ts, seasonality, profile, customers,
                   transactions, latent)
    return SynthData(customers=customers, transactions=transactions, truth=truth,
                     latent=latent, params=prm)


def _f(x, nd: int = 6) -> float:
    return float(round(float(x), nd))


def _truth(prm, seed, n, start_ts, end_ts, seasonality, profile, customers, transactions, latent) -> dict:
    """JSON-serialisable parameters and aggregate facts (no per-customer rows)."""
    buyers = latent[latent["is_buyer"]]
    orders = buyers["n_orders"]
    repeaters = orders[orders > 1]
    amt = transactions["amount"]
    in_period = profile.loc[start_ts:end_ts]
    monthly = in_period.groupby(in_period.index.strftime("%Y-%m")).mean()
    return {
        "generator": "crmlib.synth",
        "seed": int(seed),
        "n_customers": int(n),
        "period": {"start": str(start_ts.date()), "end": str(end_ts.date()),
                   "days": int((end_ts - start_ts).days + 1),
                   "weeks": _f(((end_ts - start_ts).days + 1) / 7.0)},
        "seasonality": float(seasonality),
        "params": {k: (float(v) if isinstance(v, float) else v) for k, v in asdict(prm).items()},
        "model_means": {
            "lambda_per_week": _f(prm.r / prm.alpha),
            "p_dropout": _f(prm.a / (prm.a + prm.b)),
            "order_value": _f(prm.gg_p * prm.gg_gamma / (prm.gg_q - 1.0), 2),
        },
        "facts": {
            "n_buyers": int(len(buyers)),
            "n_never_bought": int(n - len(buyers)),
            "share_never_bought": _f(1 - len(buyers) / n),
            "n_transactions": int(len(transactions)),
            "n_repeat_buyers": int(len(repeaters)),
            "share_buyers_repeating": _f(len(repeaters) / max(len(buyers), 1)),
            "mean_orders_per_buyer": _f(orders.mean() if len(orders) else 0.0),
            "mean_orders_per_repeat_buyer": _f(repeaters.mean() if len(repeaters) else 0.0),
            "share_buyers_alive_at_end": _f(buyers["alive_at_end"].mean() if len(buyers) else 0.0),
            "revenue_total": _f(amt.sum(), 2),
            "order_value_mean": _f(amt.mean() if len(amt) else 0.0, 2),
            "order_value_quantiles": {q: _f(amt.quantile(float(q)) if len(amt) else 0.0, 2)
                                      for q in ("0.1", "0.25", "0.5", "0.75", "0.9", "0.99")},
            "share_female": _f((customers["gender"] == "F").mean()),
            "share_phone": _f(customers["phone"].notna().mean()),
            "share_email": _f(customers["email"].notna().mean()),
        },
        "latent_summary_buyers": {
            col: {"mean": _f(buyers[col].mean()), "median": _f(buyers[col].median())}
            for col in ("lambda_per_week", "p_dropout", "nu", "expected_order_value")
        } if len(buyers) else {},
        "seasonal_multiplier_by_month": {k: _f(v, 4) for k, v in monthly.items()},
        "columns": {"transactions": dict(EXPORT_TRANSACTION_COLUMNS),
                    "customers": dict(EXPORT_CUSTOMER_COLUMNS)},
    }


# --------------------------------------------------------------------------- client export

def format_idr(value: float) -> str:
    """Indonesian number format with two decimals: ``1250000`` -> ``1.250.000,00``."""
    text = f"{value:,.2f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _format_phone(e164: str, style: int) -> str:
    """Render ``+62...`` as 0: ``0812-3456-7890``, 1: ``081234567890``, 2: ``+62 812-3456-7890``,
    3: ``+6281234567890``."""
    national = "0" + e164[3:]
    if style == 0:
        return f"{national[:4]}-{national[4:8]}-{national[8:]}"
    if style == 1:
        return national
    if style == 2:
        return f"+62 {national[1:4]}-{national[4:8]}-{national[8:]}"
    return e164


_PHONE_STYLE_W = (0.40, 0.30, 0.20, 0.10)


def _pad(rng: np.random.Generator, value: str) -> str:
    """Surround ``value`` with spaces in one of three ways."""
    return (f" {value}", f"{value} ", f"  {value} ")[int(rng.integers(0, 3))]


def _dirt_count(rate: float, n: int) -> int:
    """Number of dirty lines of one kind: ``round(rate * n)``, at least 1 when ``n > 0``."""
    return 0 if n == 0 else max(1, int(round(rate * n)))


def to_client_export(data: SynthData, seed: int, noise: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Render ``data`` as a client's (transactions, customers) export, all values text.

    Column headers are the keys of :data:`EXPORT_TRANSACTION_COLUMNS` and
    :data:`EXPORT_CUSTOMER_COLUMNS`.  Style (always): ``dd/mm/yyyy HH:MM`` dates,
    ``1.250.000,00`` amounts (some with ``Rp``), some values padded with spaces, phones in
    mixed local formats.  With ``noise`` a small, recorded amount of dirt is injected (see
    ``docs/synthetic_data.md``); counts and affected ids are in each frame's
    ``attrs["injected_dirt"]`` and ``attrs["dirt_ids"]``, style counts in ``attrs["style"]``.
    """
    prm = data.params
    rng = np.random.default_rng([int(seed), 0x5EED])
    end_ts = pd.Timestamp(data.truth["period"]["end"])
    tx_frame, tx_dirt, tx_ids, tx_style = _export_transactions(data, prm, rng, end_ts, noise)
    cu_frame, cu_dirt, cu_ids, cu_style = _export_customers(data, prm, rng, end_ts, noise)
    tx_frame.attrs.update(injected_dirt=tx_dirt, dirt_ids=tx_ids, style=tx_style)
    cu_frame.attrs.update(injected_dirt=cu_dirt, dirt_ids=cu_ids, style=cu_style)
    return tx_frame, cu_frame


def _export_transactions(data: SynthData, prm: SynthParams, rng, end_ts, noise):
    tx = data.transactions.reset_index(drop=True)
    n = len(tx)
    headers = list(EXPORT_TRANSACTION_COLUMNS)
    stamps = tx["date"]
    date_txt = stamps.dt.strftime(EXPORT_DATETIME_FORMAT).to_list()
    amount_txt = [format_idr(a) for a in tx["amount"]]
    rp = rng.random(n) < prm.style_rp_prefix
    pad_id = rng.random(n) < prm.style_padded_id
    pad_cat = rng.random(n) < prm.style_padded_text
    rows: list[list[str]] = []
    for i in range(n):
        cid = tx.at[i, "customer_id"]
        cat = tx.at[i, "category"]
        rows.append([
            tx.at[i, "order_id"],
            _pad(rng, cid) if pad_id[i] else cid,
            date_txt[i],
            ("Rp " + amount_txt[i]) if rp[i] else amount_txt[i],
            str(int(tx.at[i, "quantity"])),
            _pad(rng, cat) if pad_cat[i] else cat,
            tx.at[i, "channel"],
            STATUS_COMPLETED,
        ])
    # sort key: (timestamp ns, order id, rank) keeps the export chronological
    keys = [(int(t), rows[i][0], 0) for i, t in enumerate(stamps.astype("int64"))]
    style = {"rp_prefix": int(rp.sum()), "padded_customer_id": int(pad_id.sum()),
             "padded_category": int(pad_cat.sum())}
    counts = {k: 0 for k in TRANSACTION_DIRT_KINDS}
    ids: dict[str, list[str]] = {k: [] for k in TRANSACTION_DIRT_KINDS}

    if noise and n:
        want = {k: _dirt_count(getattr(prm, f"dirt_{k}"), n) for k in TRANSACTION_DIRT_KINDS}
        perm = list(rng.permutation(n))
        pools: dict[str, list[int]] = {}
        for kind in ("missing_customer_id", "bad_date", "bad_amount", "duplicate_line"):
            pools[kind], perm = perm[:want[kind]], perm[want[kind]:]
        latest_return_source = end_ts - pd.Timedelta(days=15)
        eligible = [i for i in perm if stamps.iat[i] <= latest_return_source]
        pools["returned"] = eligible[:want["returned"]]

        for i in pools["missing_customer_id"]:
            rows[i][1] = ""
        impossible = ("31/02", "30/02", "31/04", "31/06", "31/09", "31/11")
        for i in pools["bad_date"]:
            t = stamps.iat[i]
            if rng.random() < 0.6:  # a day the month does not have, e.g. 31/02/2024
                rows[i][2] = f"{impossible[int(rng.integers(0, len(impossible)))]}/{t:%Y %H:%M}"
            else:
                rows[i][2] = _BAD_DATE_WORDS[int(rng.integers(0, len(_BAD_DATE_WORDS)))]
        for i in pools["bad_amount"]:
            rows[i][3] = _BAD_AMOUNTS[int(rng.integers(0, len(_BAD_AMOUNTS)))]
        for kind in ("missing_customer_id", "bad_date", "bad_amount", "duplicate_line", "returned"):
            ids[kind] = sorted(tx.at[i, "order_id"] for i in pools[kind])

        extra_rows: list[list[str]] = []
        extra_keys: list[tuple] = []
        for i in pools["duplicate_line"]:
            extra_rows.append(list(rows[i]))
            extra_keys.append((keys[i][0], keys[i][1], 1))
        for i in pools["returned"]:
            chan = CHANNELS.index(tx.at[i, "channel"])
            tod = int(_time_of_day_minutes(rng, np.array([chan]))[0])
            when = (stamps.iat[i].normalize() + pd.Timedelta(days=int(rng.integers(1, 15)))
                    + pd.Timedelta(minutes=tod))  # 1-14 days later, never after the end
            qty = int(tx.at[i, "quantity"])
            amount = float(tx.at[i, "amount"])
            if qty > 1 and rng.random() < 0.3:  # partial return of one item
                back = float(_round_amount(np.array([amount / qty]), prm.amount_rounding, prm.min_amount)[0])
                qty_back = 1
            else:
                back, qty_back = amount, qty
            extra_rows.append([tx.at[i, "order_id"], tx.at[i, "customer_id"],
                               when.strftime(EXPORT_DATETIME_FORMAT), format_idr(-back),
                               str(-qty_back), tx.at[i, "category"], tx.at[i, "channel"],
                               STATUS_RETURNED])
            extra_keys.append((int(when.value), tx.at[i, "order_id"], 2))

        new_rows, new_keys, ids["cancelled"] = _cancelled_rows(data, prm, rng, want["cancelled"])
        extra_rows += new_rows
        extra_keys += new_keys
        new_rows, new_keys, ids["future_date"] = _future_rows(data, prm, rng, want["future_date"], end_ts)
        extra_rows += new_rows
        extra_keys += new_keys
        rows += extra_rows
        keys += extra_keys
        counts = {k: len(ids[k]) for k in TRANSACTION_DIRT_KINDS}

    order = sorted(range(len(rows)), key=keys.__getitem__)
    frame = pd.DataFrame([rows[i] for i in order], columns=headers, dtype=object)
    return frame, counts, ids, style


def _order_draw(data: SynthData, prm: SynthParams, rng, cust_idx: int) -> tuple[float, int, str, str]:
    """A plausible order (amount, quantity, category, channel) for customer row ``cust_idx``."""
    lat = data.latent.iloc[cust_idx]
    amount = float(_round_amount(np.array([rng.gamma(prm.gg_p, 1.0 / lat["nu"])]),
                                 prm.amount_rounding, prm.min_amount)[0])
    qty = int(min(1 + rng.poisson(0.5 * amount / prm.item_value), prm.max_items))
    return amount, qty, lat["preferred_category"], lat["preferred_channel"]


def _cancelled_rows(data: SynthData, prm: SynthParams, rng, k: int):
    """Cancelled orders on skipped invoice numbers, dated between their neighbours."""
    tx = data.transactions
    if not k or tx.empty:
        return [], [], []
    parts = tx["order_id"].str.extract(r"^INV/(\d{4})/(\d+)$")
    year, seq = parts[0].astype(int).to_numpy(), parts[1].astype(int).to_numpy()
    width = len(parts[1].iat[0])
    stamps = tx["date"].to_numpy()
    gaps: list[tuple[int, int, int]] = []  # (year, seq, index of the next order)
    for y in np.unique(year):
        idx = np.flatnonzero(year == y)
        s = seq[idx]
        for pos in range(1, len(idx)):
            for missing in range(s[pos - 1] + 1, s[pos]):
                gaps.append((int(y), int(missing), int(idx[pos])))
    if not gaps:
        return [], [], []
    chosen = sorted(rng.choice(len(gaps), size=min(k, len(gaps)), replace=False))
    signup = data.customers["signup_date"].to_numpy()
    rows, keys, ids = [], [], []
    for g in chosen:
        y, s, nxt = gaps[g]
        lo, hi = pd.Timestamp(stamps[nxt - 1]), pd.Timestamp(stamps[nxt])
        when = (lo + (hi - lo) * float(rng.random())).floor("min")
        who = np.flatnonzero(signup <= when.normalize().to_datetime64())
        ci = int(rng.choice(who)) if len(who) else 0
        amount, qty, cat, chan = _order_draw(data, prm, rng, ci)
        oid = f"INV/{y}/{s:0{width}d}"
        rows.append([oid, data.customers.at[ci, "customer_id"], when.strftime(EXPORT_DATETIME_FORMAT),
                     format_idr(amount), str(qty), cat, chan,
                     STATUS_CANCELLED[int(rng.integers(0, len(STATUS_CANCELLED)))]])
        keys.append((int(when.value), oid, 0))
        ids.append(oid)
    return rows, keys, sorted(ids)


def _future_rows(data: SynthData, prm: SynthParams, rng, k: int, end_ts):
    """Completed-looking orders dated 1-45 days after the end, numbered after the last invoice."""
    tx = data.transactions
    buyers = np.flatnonzero(data.latent["is_buyer"].to_numpy())
    if not k or not len(buyers):
        return [], [], []
    width = len(tx["order_id"].iat[0].rsplit("/", 1)[1]) if len(tx) else 6
    last_seq: dict[int, int] = {}
    for oid in tx["order_id"]:
        _, y, s = oid.split("/")
        last_seq[int(y)] = max(last_seq.get(int(y), 0), int(s))
    tods = _time_of_day_minutes(rng, np.zeros(k, dtype=np.int64))
    whens = sorted(end_ts + pd.Timedelta(days=int(d), minutes=int(m))
                   for d, m in zip(rng.integers(1, 46, size=k), tods))
    rows, keys, ids = [], [], []
    for when in whens:
        ci = int(rng.choice(buyers))
        amount, qty, cat, chan = _order_draw(data, prm, rng, ci)
        last_seq[when.year] = last_seq.get(when.year, 0) + 1
        oid = f"INV/{when.year}/{last_seq[when.year]:0{width}d}"
        rows.append([oid, data.customers.at[ci, "customer_id"], when.strftime(EXPORT_DATETIME_FORMAT),
                     format_idr(amount), str(qty), cat, chan, STATUS_COMPLETED])
        keys.append((int(when.value), oid, 0))
        ids.append(oid)
    return rows, keys, ids


def _export_customers(data: SynthData, prm: SynthParams, rng, end_ts, noise):
    cu = data.customers.reset_index(drop=True)
    n = len(cu)
    headers = list(EXPORT_CUSTOMER_COLUMNS)
    phone_style = _choice(rng, 4, _PHONE_STYLE_W, n)
    pad_name = rng.random(n) < prm.style_padded_text
    pad_city = rng.random(n) < prm.style_padded_text

    def text(v) -> str:
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)

    def day(v) -> str:
        return "" if pd.isna(v) else pd.Timestamp(v).strftime(EXPORT_DATE_FORMAT)

    rows: list[list[str]] = []
    for i in range(n):
        name, city, phone = cu.at[i, "name"], text(cu.at[i, "city"]), cu.at[i, "phone"]
        rows.append([
            cu.at[i, "customer_id"],
            _pad(rng, name) if pad_name[i] else name,
            GENDER_LABELS[cu.at[i, "gender"]],
            day(cu.at[i, "birth_date"]),
            _pad(rng, city) if (pad_city[i] and city) else city,
            text(cu.at[i, "province"]),
            _format_phone(phone, int(phone_style[i])) if isinstance(phone, str) else "",
            text(cu.at[i, "email"]),
            day(cu.at[i, "signup_date"]),
            cu.at[i, "signup_channel"],
            text(cu.at[i, "occupation"]),
            text(cu.at[i, "education"]),
            text(cu.at[i, "interest"]),
        ])
    style = {"padded_name": int(pad_name.sum()),
             "padded_city": int(sum(1 for i in range(n) if pad_city[i] and rows[i][4])),
             "phone_formats": {label: int((phone_style[cu["phone"].notna().to_numpy()] == s).sum())
                               for s, label in enumerate(("0812-3456-7890", "081234567890",
                                                          "+62 812-3456-7890", "+6281234567890"))}}
    counts = {k: 0 for k in CUSTOMER_DIRT_KINDS}
    ids: dict[str, list[str]] = {k: [] for k in CUSTOMER_DIRT_KINDS}
    if noise and n:
        want = {k: _dirt_count(getattr(prm, f"dirt_{k}"), n) for k in CUSTOMER_DIRT_KINDS}
        perm = [int(i) for i in rng.permutation(n)]
        has_phone = cu["phone"].notna().to_numpy()
        has_birth = cu["birth_date"].notna().to_numpy()
        used: set[int] = set()

        def take(k: int, ok) -> list[int]:
            got = [i for i in perm if i not in used and ok(i)][:k]
            used.update(got)
            return got

        bad_phone = take(want["bad_phone"], lambda i: has_phone[i])
        future_birth = take(want["future_birth_date"], lambda i: has_birth[i])
        very_old = take(want["age_over_110"], lambda _: True)
        shared = take(want["shared_phone"], lambda i: has_phone[i])
        for i in bad_phone:
            rows[i][6] = _BAD_PHONES[int(rng.integers(0, len(_BAD_PHONES)))]
        for i in future_birth:
            rows[i][3] = day(end_ts + pd.Timedelta(days=int(rng.integers(30, 3000))))
        oldest = pd.Timestamp("1890-01-01")
        latest_old = end_ts - pd.DateOffset(years=111)
        for i in very_old:
            if rng.random() < 0.4:
                rows[i][3] = "01/01/1900"
            else:
                span = (latest_old - oldest).days
                rows[i][3] = day(oldest + pd.Timedelta(days=int(rng.integers(0, span))))
        ids["bad_phone"] = sorted(cu.at[i, "customer_id"] for i in bad_phone)
        ids["future_birth_date"] = sorted(cu.at[i, "customer_id"] for i in future_birth)
        ids["age_over_110"] = sorted(cu.at[i, "customer_id"] for i in very_old)
        # a second registration of an existing customer: same name and number, new id, no orders
        width = len(cu.at[0, "customer_id"])
        next_id = max(int(c) for c in cu["customer_id"]) + 1
        pairs = []
        for i in sorted(shared):
            new_id = str(next_id).zfill(width)
            next_id += 1
            signup = pd.Timestamp(cu.at[i, "signup_date"])
            later = signup + pd.Timedelta(days=int(rng.integers(1, max(2, (end_ts - signup).days + 1))))
            later = min(later, end_ts)
            style_i = (int(phone_style[i]) + 1 + int(rng.integers(0, 3))) % 4
            rows.append([new_id, cu.at[i, "name"], rows[i][2], rows[i][3], text(cu.at[i, "city"]),
                         text(cu.at[i, "province"]), _format_phone(cu.at[i, "phone"], style_i), "",
                         day(later), CHANNELS[int(rng.integers(0, len(CHANNELS)))], "", "", ""])
            pairs.append(f"{cu.at[i, 'customer_id']}={new_id}")
        ids["shared_phone"] = pairs
        counts = {k: len(ids[k]) for k in CUSTOMER_DIRT_KINDS}
    rows.sort(key=lambda r: r[0])
    frame = pd.DataFrame(rows, columns=headers, dtype=object)
    return frame, counts, ids, style


# --------------------------------------------------------------------------- writing

_TX_DIRT_TEXT = {
    "missing_customer_id": ("`ID Pelanggan` empty on a real order (order is in the canonical data)",
                            "reject: missing customer id"),
    "bad_date": ("`Tanggal` unparseable: a day the month lacks (`31/02/2024 10:15`) or a word "
                 "(`kemarin`, `besok`, `########`)", "reject: unparseable date"),
    "bad_amount": ("`Total (Rp)` unparseable: `n/a`, `-` or `#N/A`", "reject: unparseable amount"),
    "duplicate_line": ("exact copy of a clean line, right after it", "reject the copy: exact duplicate line"),
    "cancelled": ("extra order with `Status` `Batal` or `Dibatalkan` on a skipped invoice number",
                  "reject: cancelled order"),
    "returned": ("extra line with `Status` `Retur`, negative `Total (Rp)` and `Jumlah Barang`, "
                 "1-14 days after the order it returns, whose `No Faktur` and `ID Pelanggan` it "
                 "repeats (full return, or one item's worth)", "keep and net, or quarantine"),
    "future_date": ("extra `Selesai` order dated 1-45 days after the end (`INV/<next year>/...`)",
                    "reject: future date"),
}
_CU_DIRT_TEXT = {
    "bad_phone": "`No HP` not a valid number: `-`, `tidak ada`, `08123`, `0812-3456`, "
                 "`0812-3456-7890-1234` or `000000`",
    "future_birth_date": "`Tanggal Lahir` after the end of the period",
    "age_over_110": "`Tanggal Lahir` more than 110 years before the end (`01/01/1900` or 1890-1913)",
    "shared_phone": "extra row: a second registration of an existing customer under a new "
                    "`ID Pelanggan` (same name and number, number written in another format, no orders)",
}


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    """``;``-separated, UTF-8 with BOM, CRLF line ends, fields quoted only when needed."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(list(frame.columns))
    writer.writerows(frame.itertuples(index=False, name=None))
    path.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))


def write_sample(
    out_dir: Path,
    n_customers: int = 3000,
    seed: int = 42,
    start: str = "2023-01-01",
    end: str = "2024-12-31",
    seasonality: float = 1.0,
    params: SynthParams | None = None,
    noise: bool = True,
) -> dict[str, Path]:
    """Generate and write ``transactions.csv``, ``customers.csv``, ``truth.json``, ``README.md``.

    The bytes depend only on the arguments.  Returns the written paths by name.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = generate(n_customers=n_customers, seed=seed, start=start, end=end,
                    seasonality=seasonality, params=params)
    tx, cu = to_client_export(data, seed=seed, noise=noise)
    paths = {
        "transactions": out_dir / "transactions.csv",
        "customers": out_dir / "customers.csv",
        "truth": out_dir / "truth.json",
        "readme": out_dir / "README.md",
    }
    _write_csv(paths["transactions"], tx)
    _write_csv(paths["customers"], cu)
    n_tx, n_cu = len(data.transactions), len(data.customers)
    truth = dict(data.truth)
    truth["injected_dirt"] = {
        "noise": bool(noise),
        "transactions": dict(tx.attrs["injected_dirt"]),
        "customers": dict(cu.attrs["injected_dirt"]),
        "transactions_total": int(sum(tx.attrs["injected_dirt"].values())),
        "customers_total": int(sum(cu.attrs["injected_dirt"].values())),
        "ids": {"transactions": tx.attrs["dirt_ids"], "customers": cu.attrs["dirt_ids"]},
    }
    truth["export"] = {
        "encoding": "utf-8-sig", "delimiter": ";", "line_terminator": "CRLF",
        "datetime_format": EXPORT_DATETIME_FORMAT, "date_format": EXPORT_DATE_FORMAT,
        "decimal": ",", "thousands": ".",
        "transactions_lines": int(len(tx)), "customers_lines": int(len(cu)),
        "canonical_transactions": n_tx, "canonical_customers": n_cu,
        "style": {"transactions": tx.attrs["style"], "customers": cu.attrs["style"]},
    }
    paths["truth"].write_bytes(
        (json.dumps(truth, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
    paths["readme"].write_bytes(_readme(truth, args=dict(n_customers=n_customers, seed=seed, start=start,
                                                         end=end, seasonality=seasonality,
                                                         noise=noise)).encode("utf-8"))
    return paths


def _readme(truth: dict, args: dict) -> str:
    facts, dirt, export = truth["facts"], truth["injected_dirt"], truth["export"]
    call = ", ".join(f"{k}={v!r}" for k, v in args.items())
    q = facts["order_value_quantiles"]
    lines = [
        "# Synthetic sample: an Indonesian retailer's CRM export",
        "",
        f"Written by `crmlib.synth.write_sample(out_dir, {call})`; "
        "regenerate with the same call (the bytes are identical).  Every person, number and "
        "address is synthetic: names are random combinations of common Indonesian names, "
        "phone numbers are random, email domains are reserved example domains.  The model "
        "behind it is described in `docs/synthetic_data.md`.",
        "",
        "| file | what |",
        "| --- | --- |",
        f"| `transactions.csv` | orders export, {export['transactions_lines']} lines |",
        f"| `customers.csv` | customer file export, {export['customers_lines']} lines |",
        "| `truth.json` | generative parameters, headline facts, injected dirt (counts and ids) |",
        "| `README.md` | this file |",
        "",
        "## Headline facts (clean data, before dirt)",
        "",
        f"- period {truth['period']['start']} .. {truth['period']['end']} "
        f"({truth['period']['days']} days), seasonality {truth['seasonality']}",
        f"- customers on file: {truth['n_customers']}; buyers: {facts['n_buyers']}; "
        f"never bought: {facts['n_never_bought']} ({facts['share_never_bought']:.1%})",
        f"- completed orders: {facts['n_transactions']}; buyers with a repeat order: "
        f"{facts['n_repeat_buyers']} ({facts['share_buyers_repeating']:.1%}); mean orders per "
        f"repeat buyer: {facts['mean_orders_per_repeat_buyer']:.2f}",
        f"- order value: mean Rp {facts['order_value_mean']:,.0f}, median Rp {q['0.5']:,.0f}, "
        f"quartiles Rp {q['0.25']:,.0f} .. Rp {q['0.75']:,.0f}, 99th percentile Rp {q['0.99']:,.0f}",
        f"- women {facts['share_female']:.1%}, phone on file {facts['share_phone']:.1%}, "
        f"email on file {facts['share_email']:.1%}",
        "",
        "## Format (both files)",
        "",
        "UTF-8 **with BOM**, delimiter `;`, CRLF line ends, one header line, fields quoted only "
        "when needed (none are).  Empty field = missing.  Dates day-first: `dd/mm/yyyy HH:MM` "
        "(transactions), `dd/mm/yyyy` (customers).  Amounts Indonesian style: `.` thousands, "
        "`,` decimals, always two decimals (`1.250.000,00`); some carry an `Rp ` prefix.  "
        "Customer ids are zero-padded numeric text (`004217`): read them as text.",
        "",
        "### transactions.csv",
        "",
        "| column | canonical | content |",
        "| --- | --- | --- |",
        "| `No Faktur` | `order_id` | `INV/yyyy/nnnnnn`, numbered chronologically per year, a few numbers skipped |",
        "| `ID Pelanggan` | `customer_id` | zero-padded id, some with surrounding spaces |",
        "| `Tanggal` | `date` | `dd/mm/yyyy HH:MM` |",
        "| `Total (Rp)` | `amount` | `1.250.000,00` or `Rp 1.250.000,00`; returns negative |",
        "| `Jumlah Barang` | `quantity` | items, 1-6 (returns negative) |",
        f"| `Kategori` | `category` | {', '.join(CATEGORIES)} (some with surrounding spaces) |",
        f"| `Kanal` | `channel` | {', '.join(CHANNELS)} |",
        "| `Status` | (status) | `Selesai` (completed); dirt: `Batal`, `Dibatalkan`, `Retur` |",
        "",
        "### customers.csv",
        "",
        "| column | canonical | content |",
        "| --- | --- | --- |",
        "| `ID Pelanggan` | `customer_id` | zero-padded id, unique |",
        "| `Nama` | `name` | synthetic name (some with surrounding spaces) |",
        "| `Jenis Kelamin (L/P)` | `gender` | `P` perempuan = F, `L` laki-laki = M |",
        "| `Tanggal Lahir` | `birth_date` | `dd/mm/yyyy`, a few empty |",
        "| `Kota` | `city` | 16 cities, Jakarta-heavy, a few empty |",
        "| `Provinsi` | `province` | province of the city |",
        "| `No HP` | `phone` | mobile: `0812-3456-7890`, `081234567890`, `+62 812-3456-7890` or `+6281234567890`; ~75 % filled |",
        "| `Email` | `email` | ~25 % filled, reserved example domains |",
        "| `Tanggal Daftar` | `signup_date` | `dd/mm/yyyy`; buyers' first order is on this day |",
        f"| `Kanal Daftar` | `signup_channel` | {', '.join(CHANNELS)} |",
        f"| `Pekerjaan` | `occupation` | ~55 % filled: {', '.join(OCCUPATIONS)} |",
        f"| `Pendidikan` | `education` | ~45 % filled: {', '.join(EDUCATION)} |",
        "| `Minat` | `interest` | ~40 % filled: stated interest, one of the categories |",
        "",
        "## Injected dirt",
        "",
        f"{dirt['transactions_total']} of {export['transactions_lines']} transaction lines and "
        f"{dirt['customers_total']} of {export['customers_lines']} customer lines are dirty; "
        "each dirty line has exactly one kind of problem, and the clean data has none of them "
        "(order ids, phones and emails are unique; all dates inside the period; all amounts "
        "positive).  The affected ids are in `truth.json` under `injected_dirt.ids`.",
        "",
        "| transactions: kind | lines | what | expected treatment |",
        "| --- | ---: | --- | --- |",
    ]
    for kind in TRANSACTION_DIRT_KINDS:
        what, treat = _TX_DIRT_TEXT[kind]
        lines.append(f"| `{kind}` | {dirt['transactions'][kind]} | {what} | {treat} |")
    lines += ["", "| customers: kind | lines | what |", "| --- | ---: | --- |"]
    for kind in CUSTOMER_DIRT_KINDS:
        lines.append(f"| `{kind}` | {dirt['customers'][kind]} | {_CU_DIRT_TEXT[kind]} |")
    st_tx, st_cu = export["style"]["transactions"], export["style"]["customers"]
    lines += [
        "",
        "Clean transaction lines = lines - cancelled - returned - duplicate_line - future_date "
        f"= {export['canonical_transactions']} (the canonical orders, of which missing_customer_id, "
        "bad_date and bad_amount lines are damaged).  Customer lines = canonical customers + "
        f"shared_phone = {export['customers_lines']}.",
        "",
        "## Style variations (not dirt; a reader must handle them)",
        "",
        f"- `Rp ` prefix on {st_tx['rp_prefix']} amounts; spaces around {st_tx['padded_customer_id']} "
        f"transaction customer ids and {st_tx['padded_category']} categories; around "
        f"{st_cu['padded_name']} names and {st_cu['padded_city']} cities.",
        "- phone formats: " + ", ".join(f"`{k}` {v}" for k, v in st_cu["phone_formats"].items()) + ".",
        "",
    ]
    return "\n".join(lines)
