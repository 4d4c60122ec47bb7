"""Bar: the notebook-01 profile of 1 million transaction lines with 100k customers in under 10 s.

"Profile" is everything notebook 01 computes once the data is loaded: contact checks
(phonenumbers / email-validator on every distinct phone and email), the profile slide,
completeness by data category, every data-quality alert (duplicates, outliers, gaps, dates…),
monthly trends and seasonality, yearly and quarterly retention, the monthly cohort matrix and
the key messages. Reading and validating the file is measured by ``bench_validate.py``.

The data is drawn with :func:`crmlib.synth.generate` (100,000 customers on file, purchase rates
raised so the history reaches 1 million lines; the first 1 million lines are kept). The
reference run in the same process is :func:`crmlib.summary.customer_summary` on the same
transactions (one per-customer aggregation pass, what notebooks 02–05 start from), so the ratio
says how many such passes the profile costs. Peak memory is the child process's peak RSS,
which includes the data (``data_mb`` is the process size before the profile started), and
``peak_allocated_by_profile_mb`` is what the profile itself allocates at most (tracemalloc,
in a second run).
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, measure, write_json  # noqa: E402

from crmlib import profile  # noqa: E402
from crmlib.profile import cohorts, quality, report  # noqa: E402
from crmlib.summary import customer_summary  # noqa: E402
from crmlib.synth import SynthParams, generate  # noqa: E402

LINES = 1_000_000
CUSTOMERS = 100_000
TARGET_SECONDS = 10.0


def build_data(lines: int = LINES, customers: int = CUSTOMERS, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical transactions (``lines`` rows) and customers from the synthetic generator."""
    drawn = generate(n_customers=customers, seed=seed,
                     params=SynthParams(alpha=0.8, b=12.0, never_buy_share=0.1))
    tx = drawn.transactions.sort_values("date", kind="mergesort").head(lines).reset_index(drop=True)
    if len(tx) < lines:
        raise RuntimeError(f"the generator drew only {len(tx)} lines; raise the purchase rate")
    tx = tx.assign(quantity=tx["quantity"].astype(float), is_return=False,
                   line=np.arange(2, len(tx) + 2, dtype=np.int64))
    tx = tx[["customer_id", "order_id", "date", "amount", "quantity", "category", "channel", "is_return", "line"]]
    people = drawn.customers.assign(line=np.arange(2, customers + 2, dtype=np.int64))
    return tx, people


def profile_everything(tx: pd.DataFrame, customers: pd.DataFrame, as_of) -> dict:
    """Run notebook 01's computations; return seconds per step and a few counts (as a check)."""
    steps, cpu, start, start_cpu = {}, {}, time.perf_counter(), time.process_time()

    def lap(name):
        nonlocal start, start_cpu
        now, now_cpu = time.perf_counter(), time.process_time()
        steps[name], cpu[name] = round(now - start, 3), round(now_cpu - start_cpu, 3)
        start, start_cpu = now, now_cpu

    checks = profile.contact_checks(customers)
    lap("contact_checks")
    days = cohorts.purchase_arrays(tx, as_of)
    lap("purchase_days")
    figures = profile.customer_profile(tx, customers, as_of, 90, checks=checks, days=days)
    lap("profile_slide")
    fields = profile.completeness(customers)
    profile.completeness_matrix(customers)
    lap("completeness")
    alerts = quality.quality_alerts(tx, customers, None, None, as_of, checks=checks)
    lap("quality_alerts")
    trends = cohorts.monthly_trends(tx, as_of, days=days)
    cohorts.seasonality_index(trends)
    lap("trends")
    yearly = cohorts.retention_by_period(tx, "Y", as_of, days=days)
    cohorts.retention_by_period(tx, "Q", as_of, days=days)
    lap("retention")
    matrix = cohorts.cohort_retention(tx, as_of, days=days)
    lap("cohort_matrix")
    report.key_messages(figures, yearly, alerts)
    lap("key_messages")
    return {"steps": steps, "cpu": cpu, "customers_total": figures["customers_total"], "alerts": len(alerts),
            "cohorts": len(matrix), "fields": len(fields)}


def resident_mb() -> float | None:
    """Current resident memory of this process in MB (Linux ``/proc``; None elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * resource.getpagesize() / 2**20


def traced_profile(tx: pd.DataFrame, customers: pd.DataFrame, as_of) -> float:
    """Peak MB allocated by the profile on top of its input (tracemalloc; numpy reports to it)."""
    tracemalloc.start()
    profile_everything(tx, customers, as_of)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return round(peak / 2**20, 1)


def reference_summary(tx: pd.DataFrame, as_of) -> int:
    return len(customer_summary(tx, as_of))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the figures as JSON here")
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    args = parser.parse_args(argv)

    tx, customers = build_data(args.lines, args.customers)
    as_of = tx["date"].max().normalize()
    data_mb = resident_mb()
    reference = measure(reference_summary, tx, as_of)
    ours = measure(profile_everything, tx, customers, as_of)
    allocated = measure(traced_profile, tx, customers, as_of)["value"]
    steps = ours["value"]["steps"]
    bar = {
        "lines": len(tx), "customers_on_file": len(customers), "buyers": int(tx["customer_id"].nunique()),
        "seconds": ours["seconds"], "peak_mb": ours["peak_mb"], "peak_allocated_by_profile_mb": allocated,
        "data_mb": None if data_mb is None else round(data_mb, 1),
        "rows_per_second": round(len(tx) / ours["seconds"]),
        "reference_customer_summary_seconds": reference["seconds"],
        "ratio_to_customer_summary": round(ours["seconds"] / reference["seconds"], 2),
        "cpu_seconds": round(sum(ours["value"]["cpu"].values()), 3),
        "steps_seconds": steps, "steps_cpu_seconds": ours["value"]["cpu"], "quality_alerts": ours["value"]["alerts"],
        "target_seconds": TARGET_SECONDS, "pass": ours["seconds"] < TARGET_SECONDS,
    }
    results = {"machine": machine(), "bars": {"profile_1m_lines_100k_customers": bar},
               "note": "shared 2-core machine: expect ±20 % noise between runs"}

    print(f"profile of {bar['lines']:,} lines, {bar['customers_on_file']:,} customers on file "
          f"({bar['buyers']:,} buyers)")
    print(f"  {'step':20s} {'wall':>8s}   {'cpu':>8s}")
    for name, seconds in steps.items():
        print(f"  {name:20s} {seconds:8.2f} s {ours['value']['cpu'][name]:8.2f} s")
    print(f"  {'total':20s} {bar['seconds']:8.2f} s {bar['cpu_seconds']:8.2f} s   target < {TARGET_SECONDS:.0f} s   "
          + ("PASS" if bar["pass"] else "FAIL"))
    print(f"  memory: the profile allocates at most {allocated:.0f} MB on top of its input; peak RSS of the "
          f"process {bar['peak_mb']:.0f} MB (it held {bar['data_mb']} MB before profiling)")
    print(f"  speed: "
          f"{bar['ratio_to_customer_summary']}x one customer_summary pass "
          f"({bar['reference_customer_summary_seconds']:.2f} s)")
    write_json(args.out, results)
    return results


if __name__ == "__main__":
    main()
