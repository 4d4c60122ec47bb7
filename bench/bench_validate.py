"""Bar: read + validate 1 million transaction lines in under 5 s (`make report` is timed by bench_report.py).

The reference run in the same process is a plain ``pandas.read_csv(dtype=str)`` of the same
file (the floor any reader pays), so the ratio says what validation adds on top of reading.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, measure, write_json  # noqa: E402

from crmlib import paths  # noqa: E402
from crmlib.validate import load_transactions  # noqa: E402

LINES = 1_000_000


def write_messy_export(path: Path, lines: int = LINES, seed: int = 7) -> None:
    """An Indonesian-style export: ';', dd/mm/yyyy HH:MM, '1.250.000,00', some 'Rp ' and dirt."""
    rng = np.random.default_rng(seed)
    customers = rng.integers(1, 100_000, lines)
    seconds = rng.integers(0, 2 * 365 * 86400, lines)
    dates = (pd.Timestamp("2023-01-01") + pd.to_timedelta(seconds, unit="s")).strftime("%d/%m/%Y %H:%M")
    amounts = np.round(rng.gamma(2.0, 150_000, lines), -2)
    text = pd.Series(amounts).map(lambda a: f"{a:,.2f}".replace(",", "X").replace(".", ",").replace("X", "."))
    text = text.where(rng.random(lines) > 0.3, "Rp " + text)
    frame = pd.DataFrame({"No Faktur": [f"INV/{i:07d}" for i in range(lines)],
                          "ID Pelanggan": pd.Series(customers).map("{:06d}".format),
                          "Tanggal": dates, "Total (Rp)": text,
                          "Status": np.where(rng.random(lines) < 0.01, "Batal", "Selesai")})
    frame.loc[rng.random(lines) < 0.005, "ID Pelanggan"] = ""
    frame.loc[rng.random(lines) < 0.002, "Tanggal"] = "31/02/2024"
    frame.to_csv(path, sep=";", index=False, encoding="utf-8-sig")


def read_plain(path):
    return len(pd.read_csv(path, sep=";", dtype=str, keep_default_na=False))


def read_validate(path, **kwargs):
    report = load_transactions(path, **kwargs).report
    return {k: report[k] for k in ("rows_in", "rows_kept", "rows_rejected")}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args(argv)
    results = {"machine": machine(), "bars": {}}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export_1m.csv"
        write_messy_export(path)
        reference = measure(read_plain, path)
        ours = measure(read_validate, path, as_of_date="2024-12-31")
    results["bars"]["read_validate_1m"] = {
        "lines": LINES, "seconds": ours["seconds"], "peak_mb": ours["peak_mb"],
        "rows_per_second": round(LINES / ours["seconds"]),
        "reference_read_csv_seconds": reference["seconds"],
        "ratio_to_plain_read_csv": round(ours["seconds"] / reference["seconds"], 2),
        "counts": ours["value"], "target_seconds": 5.0, "pass": ours["seconds"] < 5.0}
    retail = paths.shared_dataset("online_retail", "online_retail.csv.gz")
    if retail.exists():
        columns = {"customer_id": "CustomerID", "order_id": "InvoiceNo", "date": "InvoiceDate",
                   "quantity": "Quantity", "unit_price": "UnitPrice"}
        run = measure(read_validate, retail, columns=columns, cancel_order_prefix="C")
        results["bars"]["read_validate_online_retail"] = {
            "lines": run["value"]["rows_in"], "seconds": run["seconds"], "peak_mb": run["peak_mb"],
            "rows_per_second": round(run["value"]["rows_in"] / run["seconds"]), "counts": run["value"]}
    for name, bar in results["bars"].items():
        print(f"{name:32s} {bar['seconds']:>8} s  " + ("PASS" if bar.get("pass") else
                                                       "" if "pass" not in bar else "FAIL"))
    write_json(args.out, results)
    return results


if __name__ == "__main__":
    main()
