"""Bars of large exports (issue: validate once, DuckDB, Spark), on exports from bench/generate.py.

* ``validate``: read + validate 10 million lines with the DuckDB engine against the pandas
  reference (today's ``load_data`` path) on the same file, each in a fresh process with its peak RSS;
  the two results must be identical. Besides, ``crm run``'s whole validation stage (validate, store
  the Parquet, write validation.json, clean_transactions.csv and rejected_rows.csv) with its peak.
* ``run``: the whole ``crm run`` (five notebooks, reports, deck) on 1M lines / 100k customers and
  10M lines / 1M customers: wall time, each notebook's share, peak RSS of the largest process.
* ``spark``: Spark local mode on the 10M file: session start-up and work, results identical to DuckDB.

    python bench/bench_scale.py --parts validate run spark --out bench/results/scale.json
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, measure, write_json  # noqa: E402
from generate import write_export  # noqa: E402

from crmlib import paths  # noqa: E402

DATA_DIR = Path(os.environ.get("CRM_BENCH_DATA", paths.PROJECT_ROOT / "data" / "raw" / "bench"))
SIZES = {"1m": (1_000_000, 100_000), "10m": (10_000_000, 1_000_000)}
OPTIONS = dict(dayfirst=True, decimal=",", as_of_date="2024-12-31")


def export(size: str) -> Path:
    """The generated export of ``size`` (written once, reused by later runs).

    Written by a child process: the measurements fork this one, and a child's peak RSS
    would count the memory the generator left behind here."""
    path = DATA_DIR / f"export_{size}.csv"
    if not path.exists():
        lines, customers = SIZES[size]
        measure(write_export, path, customers=customers, lines=lines, after=lambda _: None)
    return path


def _fingerprint(result) -> dict:
    import hashlib

    import pandas as pd
    digest = hashlib.sha256(pd.util.hash_pandas_object(result.transactions, index=False).to_numpy().tobytes())
    digest.update(pd.util.hash_pandas_object(result.rejected, index=False).to_numpy().tobytes())
    digest.update(json.dumps(result.report, sort_keys=True).encode())
    return {"sha256": digest.hexdigest(), **{k: result.report[k] for k in ("rows_in", "rows_kept", "rows_rejected")}}


def validate_pandas(path):
    from crmlib.validate import load_transactions
    return load_transactions(path, **OPTIONS)


def validate_duckdb(path):
    """The DuckDB engine's validation: kept rows as Arrow (what ``crm run`` stores and writes)."""
    from crmlib.engine.duck import load_tables
    return load_tables(path, **OPTIONS)


def _tables_fingerprint(tables) -> dict:
    return _fingerprint(tables.result())


def validation_stage(path):
    """``crm run``'s validation stage: validate, store the Parquet, write validation.json and both CSVs."""
    from crmlib import validated
    from crmlib.data import validate_export
    from crmlib.validate import write_validation

    with tempfile.TemporaryDirectory(dir=DATA_DIR) as folder:
        os.environ[validated.RUN_DIR_ENV] = folder
        os.environ[validated.CACHE_DIR_ENV] = folder  # no earlier validation is reused
        tables = validate_export(path, **OPTIONS)
        written = write_validation(tables, folder)
        sizes = {name: Path(file).stat().st_size for name, file in written.items()}
        sizes["transactions.parquet"] = (Path(folder) / validated.TRANSACTIONS_FILE).stat().st_size
    return {k: tables.report[k] for k in ("rows_in", "rows_kept", "rows_rejected")} | {"bytes": sizes}


def bar_validate(size: str = "10m") -> dict:
    path = export(size)
    ours = measure(validate_duckdb, path, after=_tables_fingerprint)  # the fingerprint (hashing) is not timed
    stage = measure(validation_stage, path)
    reference = measure(validate_pandas, path, after=_fingerprint)
    ratio = reference["seconds"] / ours["seconds"]
    return {"data": f"{path.name}: {SIZES[size][0]:,} lines, {SIZES[size][1]:,} customers (bench/generate.py)",
            "seconds": ours["seconds"], "peak_mb": ours["peak_mb"],
            "run_stage": {"seconds": stage["seconds"], "peak_mb": stage["peak_mb"], **stage["value"]},
            "reference": ("pandas reference path (load_data's path before the engine; it shares the text "
                          "parsers of crmlib.io, so their speed-ups make it faster too)"),
            "reference_seconds": reference["seconds"], "reference_peak_mb": reference["peak_mb"],
            "ratio": round(ratio, 2), "identical": ours["value"] == reference["value"],
            "counts": ours["value"], "target": "≥ 10× faster, peak ≤ 2048 MB",
            "pass": ratio >= 10 and ours["peak_mb"] <= 2048 and ours["value"] == reference["value"]}


def bar_run(size: str, target_seconds: float, target_mb: float | None) -> dict:
    path = export(size)
    out = DATA_DIR / "runs"
    command = [sys.executable, "-m", "crmlib.cli", "run", "--quiet", "--out", str(out),
               "--params", str(Path(__file__).with_name("params_export.yaml")),
               "--set", f"transactions={path}", "--set", f"run_name=bench_{size}"]
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as peak_file:
        # GNU time: the peak RSS of the run's largest process (this process's own children
        # figures would include every earlier measurement)
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", peak_file.name, *command],
                              cwd=paths.PROJECT_ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        peak_mb = int(peak_file.read().strip().splitlines()[-1]) / 1024
    manifest_path = out / f"bench_{size}" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    shares = {nb["name"]: {"seconds": nb["seconds"], "status": nb["status"],
                           "share": round(nb["seconds"] / seconds, 3)} for nb in manifest.get("notebooks", [])}
    passed = done.returncode == 0 and seconds <= target_seconds and (target_mb is None or peak_mb <= target_mb)
    return {"data": f"{path.name}: {SIZES[size][0]:,} lines, {SIZES[size][1]:,} customers",
            "seconds": round(seconds, 1), "peak_mb_largest_process": round(peak_mb, 1),
            "exit_code": done.returncode, "errors": done.stderr.strip().splitlines()[-5:] if done.returncode else [],
            "notebooks": shares, "target": f"≤ {target_seconds:.0f} s" + (f", ≤ {target_mb:.0f} MB" if target_mb else ""),
            "pass": passed}


def spark_validate(path):
    from crmlib.engine import spark
    start = time.perf_counter()
    spark.session("local[*]")
    started = time.perf_counter() - start
    result = spark.load_tables(path, master="local[*]", **OPTIONS)
    return {"startup_seconds": round(started, 2), "work_seconds": round(time.perf_counter() - start - started, 2),
            "result": result}


def _spark_fingerprint(value: dict) -> dict:
    return {**{k: v for k, v in value.items() if k != "result"}, "fingerprint": _tables_fingerprint(value["result"])}


def bar_spark(size: str = "10m") -> dict:
    path = export(size)
    duck = measure(validate_duckdb, path, after=_tables_fingerprint)
    run = measure(spark_validate, path, after=_spark_fingerprint)
    same = run["value"]["fingerprint"] == duck["value"]
    return {"data": f"{path.name}", "seconds": run["seconds"], "startup_seconds": run["value"]["startup_seconds"],
            "work_seconds": run["value"]["work_seconds"], "driver_peak_mb": run["peak_mb"],
            "duckdb_seconds": duck["seconds"], "identical_to_duckdb": same, "target": "identical results",
            "pass": same}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["validate", "run", "spark"])
    parser.add_argument("--sizes", nargs="+", default=["1m", "10m"], help="sizes of the full-run bar")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    previous = json.loads(Path(args.out).read_text(encoding="utf-8")) if args.out and Path(args.out).exists() else {}
    results = {**previous, "machine": machine(), "date": time.strftime("%Y-%m-%d")}
    bars = dict(previous.get("bars", {}))
    measured_on = {"date": results["date"], "cpu": results["machine"]["cpu"]}  # bars of a partial run keep their own
    if "validate" in args.parts:
        bars["validate_10m"] = {**bar_validate("10m"), "measured_on": measured_on}
        write_json(args.out, {**results, "bars": bars})
    if "run" in args.parts:
        for size in args.sizes:
            bars[f"crm_run_{size}"] = {**bar_run(size, 120.0 if size == "1m" else 480.0,
                                                 None if size == "1m" else 4096.0), "measured_on": measured_on}
            write_json(args.out, {**results, "bars": bars})
    if "spark" in args.parts:
        bars["spark_local_10m"] = {**bar_spark("10m"), "measured_on": measured_on}
    results["bars"] = bars
    for name, bar in bars.items():
        print(f"{name:20s} {bar['seconds']:>9} s  {'PASS' if bar['pass'] else 'FAIL'}", flush=True)
    write_json(args.out, results)
    return results


if __name__ == "__main__":
    main()
