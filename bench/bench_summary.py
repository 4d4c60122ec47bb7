"""Bar: customer summary of 10 million transaction lines (~100k customers) in at most 0.5 s,
at least 10x faster than ``lifetimes.utils.summary_data_from_transaction_data`` on the same
frame with identical numbers; peak memory reported (2-core machine).

The frame is what the workbook holds after validation, built the way exports list lines:
orders in date order, the lines of one order adjacent. Id and category columns are pandas
categoricals (as read from Parquet, or from CSV with ``dtype="category"``); the same frame
with plain Python-string columns and with shuffled rows is timed too, for reference.
All amounts are sales here: lifetimes counts every day with a line as a purchase, while
crmlib counts only days with a positive net amount, so the two agree only without returns.
lifetimes gets the customer ids as Python strings: with categorical ids its groupbys
(observed=False) build every customer × day cell, which is slower and miscounts.

Measured in forked child processes that each build the frame themselves, so every peak RSS
is that of one job (frame included). Timings are the best of several repeats; the machine is
shared, so the load average at the start is recorded as a noise indicator.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, measure, write_json  # noqa: E402

from crmlib.summary import btyd_summary, customer_summary  # noqa: E402

LINES = 10_000_000
CUSTOMERS = 100_000
AS_OF = "2024-12-31"
TARGET_SECONDS = 0.5
TARGET_RATIO = 10.0
REPEATS = 7
CATEGORIES = np.array(["Fashion Wanita", "Kecantikan", "Elektronik", "Rumah Tangga", "Makanan & Minuman",
                       "Kesehatan", "Ibu & Anak", "Olahraga"], dtype=object)


def synthetic_lines(lines: int = LINES, customers: int = CUSTOMERS, seed: int = 7,
                    layout: str = "categorical") -> pd.DataFrame:
    """Transaction lines of ``customers`` with gamma-distributed activity over 2023-2024.

    ``layout``: ``categorical`` (ids and category as pandas categoricals), ``strings`` (Python
    strings, as ``load_data`` returns them) or ``shuffled`` (categorical, rows in random order).
    """
    rng = np.random.default_rng(seed)
    per_order = 1 + rng.geometric(0.35, size=lines // 2)          # 1-… lines, mean ~3.9
    ends = np.cumsum(per_order)
    n_orders = int(np.searchsorted(ends, lines)) + 1
    order_of_line = np.repeat(np.arange(n_orders), per_order[:n_orders])[:lines]
    activity = rng.gamma(0.8, 1.0, customers)
    order_customer = rng.choice(customers, size=n_orders, p=activity / activity.sum())
    seconds = np.sort(rng.integers(0, 731 * 86_400, n_orders))    # exports list orders by date
    start = np.datetime64("2023-01-01T00:00:00", "s")
    order_time = (start + seconds.astype("timedelta64[s]")).astype("datetime64[ns]")
    frame = pd.DataFrame({
        "customer_id": pd.Categorical.from_codes(order_customer[order_of_line],
                                                 [f"C{i:06d}" for i in range(customers)]),
        "order_id": pd.Categorical.from_codes(order_of_line, [f"INV{i:08d}" for i in range(n_orders)]),
        "date": order_time[order_of_line],
        "amount": np.round(rng.lognormal(11.5, 0.9, lines), -2) + 100.0,
        "category": pd.Categorical.from_codes(rng.integers(0, len(CATEGORIES), lines), CATEGORIES),
    })
    if layout == "strings":
        for column in ("customer_id", "order_id", "category"):
            frame[column] = frame[column].astype(object)
    elif layout == "shuffled":
        frame = frame.iloc[rng.permutation(lines)].reset_index(drop=True)
    return frame


def best_of(func, repeats: int) -> dict:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return {"best": round(min(times), 3), "median": round(float(np.median(times)), 3)}


def extra_peak_mb(func) -> float:
    """Peak memory allocated by ``func`` above what was held before (tracemalloc sees numpy)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return round((peak - before) / 2**20, 1)


def job_crmlib(lines: int, customers: int, layout: str, repeats: int) -> dict:
    frame = synthetic_lines(lines, customers, layout=layout)
    out = {"frame_mb": round(frame.memory_usage(deep=True).sum() / 2**20, 1),
           "customer_summary_s": best_of(lambda: customer_summary(frame, AS_OF), repeats),
           "btyd_summary_s": best_of(lambda: btyd_summary(frame, AS_OF, time_unit="W"), repeats)}
    if layout == "categorical":
        out["customer_summary_extra_peak_mb"] = extra_peak_mb(lambda: customer_summary(frame, AS_OF))
        out["summary"] = customer_summary(frame, AS_OF)
        out["btyd"] = btyd_summary(frame, AS_OF, time_unit="W")
    return out


DUCKDB_SQL = """
WITH lines AS (SELECT * FROM codes WHERE day <= {as_of_day}),
daily AS (SELECT customer, day, SUM(amount) AS amount FROM lines GROUP BY customer, day),
buyers AS (
    SELECT customer,
           MIN(day) FILTER (WHERE amount > 0) AS first_day,
           MAX(day) FILTER (WHERE amount > 0) AS last_day,
           COUNT(*) FILTER (WHERE amount > 0) AS frequency,
           SUM(amount) AS monetary_total
    FROM daily GROUP BY customer),
sales AS (
    SELECT customer, COUNT(DISTINCT order_code) AS orders, COUNT(DISTINCT category) AS n_categories
    FROM lines WHERE amount > 0 GROUP BY customer)
SELECT b.customer, first_day, last_day, {as_of_day} - last_day AS recency_days, frequency, orders,
       monetary_total, monetary_total / frequency AS monetary_mean,
       {as_of_day} - first_day AS tenure_days, n_categories
FROM buyers b JOIN sales s ON b.customer = s.customer
WHERE frequency > 0 ORDER BY b.customer
"""


def duckdb_summary(con, frame: pd.DataFrame) -> pd.DataFrame:
    """The customer summary in SQL over integer codes (DuckDB reads numpy columns zero-copy;
    handing it the categoricals directly makes 2.5M-value ENUM types and is ~30x slower)."""
    codes = pd.DataFrame({  # noqa: F841 (scanned by DuckDB by name)
        "customer": frame["customer_id"].cat.codes.to_numpy(),
        "day": (frame["date"].to_numpy().view(np.int64) // 86_400_000_000_000).astype(np.int32),
        "amount": frame["amount"].to_numpy(),
        "order_code": frame["order_id"].cat.codes.to_numpy(),
        "category": frame["category"].cat.codes.to_numpy()})
    as_of_day = int((np.datetime64(AS_OF, "D") - np.datetime64("1970-01-01", "D")).astype(int))
    out = con.sql(DUCKDB_SQL.format(as_of_day=as_of_day)).df()
    out.insert(0, "customer_id", frame["customer_id"].cat.categories.to_numpy()[out.pop("customer")])
    return out


def job_duckdb(lines: int, customers: int, repeats: int) -> dict:
    import duckdb

    frame = synthetic_lines(lines, customers)
    con = duckdb.connect()
    timing = best_of(lambda: duckdb_summary(con, frame), repeats)
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    return {"seconds": timing, "threads": int(threads), "version": duckdb.__version__,
            "summary": duckdb_summary(con, frame)}


def job_lifetimes(lines: int, customers: int) -> dict:
    """lifetimes on the same frame, ids as Python strings: with categorical ids its groupbys
    (observed=False) build every customer × day cell, which is slow and gives wrong counts."""
    from lifetimes.utils import summary_data_from_transaction_data

    frame = synthetic_lines(lines, customers)[["customer_id", "date", "amount"]]
    frame = frame.astype({"customer_id": object})
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = summary_data_from_transaction_data(
            frame, "customer_id", "date", "amount", observation_period_end=AS_OF, freq="D", freq_multiplier=7)
    return {"seconds": round(time.perf_counter() - start, 3), "btyd": result.sort_index()}


def compare_btyd(ours: pd.DataFrame, reference: pd.DataFrame) -> dict:
    same_customers = list(ours.index) == list(reference.index.astype(str))
    out = {"customers": len(ours), "same_customers": same_customers}
    if same_customers:
        for column in ("frequency", "recency", "T"):
            out[f"{column}_identical"] = bool(np.array_equal(ours[column].to_numpy(), reference[column].to_numpy()))
        diff = np.abs(ours["monetary_value"].to_numpy() - reference["monetary_value"].to_numpy())
        out["monetary_value_max_rel_diff"] = float(np.max(diff / np.maximum(np.abs(reference["monetary_value"]), 1)))
        out["monetary_value_identical"] = out["monetary_value_max_rel_diff"] < 1e-12
    return out


def compare_summary(ours: pd.DataFrame, duck: pd.DataFrame) -> dict:
    if list(ours["customer_id"]) != list(duck["customer_id"]):
        return {"same_customers": False}
    columns = ["recency_days", "frequency", "orders", "monetary_total", "tenure_days", "n_categories"]
    return {"same_customers": True,
            "identical_columns": all(np.allclose(ours[c].to_numpy(float), duck[c].to_numpy(float), rtol=1e-12)
                                     for c in columns)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the figures as JSON here")
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--skip-lifetimes", action="store_true", help="no reference runs (they take minutes)")
    args = parser.parse_args(argv)
    load_before = round(os.getloadavg()[0], 2)

    ours = measure(job_crmlib, args.lines, args.customers, "categorical", args.repeats)
    strings = measure(job_crmlib, args.lines, args.customers, "strings", max(args.repeats // 3, 1))
    shuffled = measure(job_crmlib, args.lines, args.customers, "shuffled", max(args.repeats // 3, 1))
    duck = measure(job_duckdb, args.lines, args.customers, max(args.repeats // 2, 1))
    value = ours["value"]
    summary_s = value["customer_summary_s"]["best"]
    btyd_s = value["btyd_summary_s"]["best"]
    result = {
        "bar": {"lines": args.lines, "customers": args.customers, "target_seconds": TARGET_SECONDS,
                "target_ratio_vs_lifetimes": TARGET_RATIO},
        "frame": {"layout": "categorical ids, orders in date order, lines of an order adjacent",
                  "memory_mb": value["frame_mb"], "customers_with_purchases": len(value["summary"])},
        "crmlib_numpy": {
            "customer_summary_seconds": value["customer_summary_s"],
            "btyd_summary_seconds": value["btyd_summary_s"],
            "lines_per_second": round(args.lines / summary_s),
            "extra_peak_mb_tracemalloc": value["customer_summary_extra_peak_mb"],
            "job_peak_rss_mb": ours["peak_mb"]},
        "crmlib_numpy_string_columns": {"customer_summary_seconds": strings["value"]["customer_summary_s"],
                                        "btyd_summary_seconds": strings["value"]["btyd_summary_s"],
                                        "frame_mb": strings["value"]["frame_mb"]},
        "crmlib_numpy_shuffled_rows": {"customer_summary_seconds": shuffled["value"]["customer_summary_s"],
                                       "btyd_summary_seconds": shuffled["value"]["btyd_summary_s"]},
        "duckdb_sql": {"customer_summary_seconds": duck["value"]["seconds"], "threads": duck["value"]["threads"],
                       "version": duck["value"]["version"], "job_peak_rss_mb": duck["peak_mb"],
                       "numbers_vs_crmlib": compare_summary(value["summary"], duck["value"]["summary"])},
        "load_average_at_start": load_before,
        "machine": machine(),
    }
    passed = summary_s <= TARGET_SECONDS
    if not args.skip_lifetimes:
        reference = measure(job_lifetimes, args.lines, args.customers)
        lifetimes_s = reference["value"]["seconds"]
        numbers = compare_btyd(value["btyd"], reference["value"]["btyd"])
        result["lifetimes_reference"] = {
            "summary_data_from_transaction_data_seconds": lifetimes_s, "job_peak_rss_mb": reference["peak_mb"],
            "ids": "Python strings (lifetimes miscounts with categorical ids)",
            "ratio_customer_summary": round(lifetimes_s / summary_s, 1),
            "ratio_btyd_summary": round(lifetimes_s / btyd_s, 1),
            "numbers": numbers}
        identical = all(v for k, v in numbers.items() if k.endswith(("identical", "same_customers")))
        passed = passed and lifetimes_s / max(summary_s, btyd_s) >= TARGET_RATIO and identical
    result["pass"] = bool(passed)
    _print(result)
    write_json(args.out, result)
    return result


def _print(result: dict) -> None:
    crm = result["crmlib_numpy"]
    rows = [("crmlib customer_summary (categorical)", crm["customer_summary_seconds"]),
            ("crmlib btyd_summary (categorical)", crm["btyd_summary_seconds"]),
            ("crmlib customer_summary (string columns)",
             result["crmlib_numpy_string_columns"]["customer_summary_seconds"]),
            ("crmlib customer_summary (shuffled rows)",
             result["crmlib_numpy_shuffled_rows"]["customer_summary_seconds"]),
            ("DuckDB SQL customer summary", result["duckdb_sql"]["customer_summary_seconds"])]
    print(f"{result['bar']['lines']:,} lines, {result['frame']['customers_with_purchases']:,} customers "
          f"(load average at start {result['load_average_at_start']})")
    print(f"{'method':45s} {'best s':>8s} {'median s':>9s}")
    for name, timing in rows:
        print(f"{name:45s} {timing['best']:8.3f} {timing['median']:9.3f}")
    if "lifetimes_reference" in result:
        ref = result["lifetimes_reference"]
        print(f"{'lifetimes summary_data_from_transaction_data':45s} "
              f"{ref['summary_data_from_transaction_data_seconds']:8.3f}")
        print(f"ratio vs lifetimes: customer_summary {ref['ratio_customer_summary']}x, "
              f"btyd_summary {ref['ratio_btyd_summary']}x; numbers: {ref['numbers']}")
    print(f"peak: +{crm['extra_peak_mb_tracemalloc']} MB over the {result['frame']['memory_mb']} MB frame "
          f"(job RSS {crm['job_peak_rss_mb']} MB); DuckDB numbers {result['duckdb_sql']['numbers_vs_crmlib']}")
    print(f"bar (<= {TARGET_SECONDS} s and >= {TARGET_RATIO:g}x, identical numbers): "
          f"{'PASS' if result['pass'] else 'FAIL'}")


if __name__ == "__main__":
    main()
