"""Benchmark exports that look like a big client's: Indonesian format, distinct customers, heavy buyers,
more than one buying regime.

Each customer follows the BG/NBD story in continuous time (a purchase rate λ ~ Gamma(r, α) per week,
a drop-out probability p ~ Beta(a, b) after each purchase, a first purchase somewhere in the first
year) and a Gamma–Gamma spend. Three groups of customers have their own parameters (see
:data:`REGIMES`): occasional buyers who drop out, steady loyal buyers, and a 1 % of heavy buyers
with 100+ repeat purchases. Every customer keeps the first purchase; repeat purchases are then
sampled to the requested number of lines, so the file has exactly ``customers`` distinct ids and
``lines`` lines.

The file is what a point-of-sale system exports: ``;`` separated, ``dd/mm/yyyy HH:MM`` dates,
``1.250.000,00`` amounts (some with ``Rp``), an order number, a status (a few ``Batal`` and
``Retur``), and a little dirt (blank ids, impossible dates, doubled lines, padded ids).

    python bench/generate.py --lines 1000000 --customers 100000 --out data/raw/bench_1m.csv
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

WEEKS = 104.0          # two years of history
START = np.datetime64("2023-01-01T00:00")
AS_OF = "2024-12-31"   # the export's as_of_date (the history ends on it)


@dataclass(frozen=True)
class Regime:
    """One group of customers: share of the base and its BG/NBD + Gamma–Gamma parameters (weeks, IDR)."""

    share: float
    r: float
    alpha: float
    a: float
    b: float
    spend_shape: float = 4.0       # Gamma–Gamma p
    spend_q: float = 3.0           # Gamma–Gamma q
    spend_gamma: float = 600_000.0  # Gamma–Gamma γ (IDR)


REGIMES = {
    "occasional": Regime(share=0.60, r=0.6, alpha=4.0, a=1.2, b=6.0),
    "loyal": Regime(share=0.39, r=2.0, alpha=7.0, a=0.4, b=12.0, spend_gamma=900_000.0),
    "heavy": Regime(share=0.01, r=6.0, alpha=2.5, a=0.3, b=300.0, spend_gamma=300_000.0),
}


def simulate(customers: int, lines: int, seed: int = 12, regimes: dict = REGIMES):
    """Per line: customer index, time in weeks since START, amount (IDR); plus each customer's regime."""
    rng = np.random.default_rng(seed)
    names = list(regimes)
    group = rng.choice(len(names), size=customers, p=[regimes[n].share for n in names])
    lam = np.empty(customers)
    drop = np.empty(customers)
    nu = np.empty(customers)
    shape = np.empty(customers)
    for g, name in enumerate(names):
        reg, idx = regimes[name], np.flatnonzero(group == g)
        lam[idx] = rng.gamma(reg.r, 1.0 / reg.alpha, idx.size)
        drop[idx] = rng.beta(reg.a, reg.b, idx.size)
        nu[idx] = rng.gamma(reg.spend_q, 1.0 / reg.spend_gamma, idx.size)
        shape[idx] = reg.spend_shape
    birth = rng.uniform(0.0, 52.0, customers)
    # repeat purchases before drop-out: geometric; the number of exponential gaps to draw
    alive_for = rng.geometric(np.clip(drop, 1e-6, 1.0)) - 1
    expected = lam * (WEEKS - birth)
    draws = np.minimum(alive_for, np.ceil(expected * 1.5 + 10 * np.sqrt(expected) + 5)).astype(np.int64)
    owner = np.repeat(np.arange(customers), draws)
    gaps = rng.exponential(1.0, owner.size) / lam[owner]
    ends = np.cumsum(draws)
    cumulative = np.cumsum(gaps)
    offsets = np.concatenate(([0.0], cumulative[ends[:-1] - 1])) if customers > 1 else np.zeros(1)
    offsets = np.where(draws > 0, offsets, 0.0)
    times = birth[owner] + cumulative - np.repeat(offsets, draws)
    inside = times < WEEKS
    owner, times = owner[inside], times[inside]
    repeats_needed = lines - customers
    if repeats_needed < 0 or repeats_needed > owner.size:
        raise ValueError(f"{lines} lines cannot be drawn for {customers} customers "
                         f"({owner.size} repeat purchases simulated)")
    chosen = np.sort(rng.choice(owner.size, size=repeats_needed, replace=False))
    customer = np.concatenate([np.arange(customers), owner[chosen]])
    week = np.concatenate([birth, times[chosen]])
    spend = rng.gamma(shape[customer], 1.0 / nu[customer])
    amount = np.maximum(np.round(spend, -2), 1_000.0)
    order = rng.permutation(lines)
    return customer[order], week[order], amount[order], np.array(names)[group]


def _indonesian(values: np.ndarray) -> pa.Array:
    """Whole rupiah amounts as ``1.250.000,00`` text (formatted once per distinct value)."""
    distinct, index = np.unique(values.astype(np.int64), return_inverse=True)
    text = [f"{v:,}".replace(",", ".") + ",00" for v in distinct]
    return pc.take(pa.array(text), pa.array(index))


def _dates(weeks: np.ndarray) -> pa.Array:
    minutes = np.floor(weeks * 7 * 24 * 60).astype(np.int64)
    stamps = START + minutes.astype("timedelta64[m]")
    days = stamps.astype("datetime64[D]")
    distinct_days, day_index = np.unique(days, return_inverse=True)
    day_text = [np.datetime_as_string(d).split("-") for d in distinct_days]
    day_text = pa.array([f"{d}/{m}/{y}" for y, m, d in day_text])
    minute_of_day = (stamps - days).astype(np.int64)
    clock = pa.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)])
    return pc.binary_join_element_wise(pc.take(day_text, pa.array(day_index)),
                                       pc.take(clock, pa.array(minute_of_day)), " ")


def export_table(customers: int, lines: int, seed: int = 12) -> pa.Table:
    """The export as an Arrow table of text (see the module docstring)."""
    customer, week, amount, _ = simulate(customers, lines, seed)
    rng = np.random.default_rng(seed + 1)
    ids = pc.utf8_lpad(pa.array(customer + 1).cast(pa.string()), width=7, padding="0")
    pad = rng.random(lines) < 0.002
    ids = pc.if_else(pa.array(pad), pc.binary_join_element_wise(ids, pa.scalar(" "), ""), ids)
    ids = pc.if_else(pa.array(rng.random(lines) < 0.003), pa.scalar(""), ids)
    dates = _dates(week)
    dates = pc.if_else(pa.array(rng.random(lines) < 0.001), pa.scalar("31/02/2024 10:00"), dates)
    status_draw = rng.random(lines)
    status = np.where(status_draw < 0.01, "Batal", np.where(status_draw < 0.015, "Retur", "Selesai"))
    money = _indonesian(amount)
    money = pc.if_else(pa.array(rng.random(lines) < 0.3), pc.binary_join_element_wise(
        pa.scalar("Rp "), money, ""), money)
    orders = pc.binary_join_element_wise(pa.scalar("INV/"), pc.utf8_lpad(
        pa.array(np.arange(1, lines + 1)).cast(pa.string()), width=8, padding="0"), "")
    table = pa.table({"No Faktur": orders, "ID Pelanggan": ids, "Tanggal": dates, "Total (Rp)": money,
                      "Status": pa.array(status)})
    doubled = np.flatnonzero(rng.random(lines) < 0.001)  # the same line exported twice
    doubled = doubled[doubled + 1 < lines]
    source = np.arange(lines)
    source[doubled + 1] = doubled
    table = table.take(pa.array(source))
    return table


def write_export(path: str | Path, customers: int, lines: int, seed: int = 12) -> Path:
    """Write the export (UTF-8, ``;``) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = export_table(customers, lines, seed)
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(delimiter=";", quoting_style="none"))
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    print(write_export(args.out, args.customers, args.lines, args.seed))


if __name__ == "__main__":
    main()
