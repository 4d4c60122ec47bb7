"""Run every benchmark (bench/bench_*.py) and collect the figures into BENCHMARKS.md.

Usage: ``python bench/run.py [NAME ...]`` (e.g. ``validate summary``); each benchmark writes
``bench/results/<name>.json``; BENCHMARKS.md is rebuilt from all JSON files present.
"""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
REPORT = BENCH_DIR.parent / "BENCHMARKS.md"


#: More runs of a benchmark with other arguments: (result name, arguments).
VARIANTS = {"ltv": [("ltv", ["--quick"]), ("ltv_heavy", ["--regime", "heavy", "--quick"])]}


def run(names: list[str]) -> int:
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
    failures = 0
    for script in scripts:
        name = script.stem.removeprefix("bench_")
        for result, extra in VARIANTS.get(name, [(name, [])]):
            print(f"== {result}", flush=True)
            done = subprocess.run([sys.executable, str(script), "--out", str(RESULTS_DIR / f"{result}.json"),
                                   *extra], cwd=BENCH_DIR.parent)
            failures += done.returncode != 0
    write_report()
    return failures


def _bars(value, path: str = ""):
    """Every measured bar in a result: a dict with ``pass`` and ``seconds``, with its path."""
    if isinstance(value, dict):
        if "seconds" in value and ("pass" in value or "lifetimes_seconds" in value):
            yield path, value
        for key, item in value.items():
            if isinstance(item, dict):
                yield from _bars(item, f"{path}/{key}" if path else key)


def _first(bar: dict, *prefixes: str):
    """The first numeric entry named by ``prefixes``, in the order given (an exact name first)."""
    for prefix in prefixes:
        value = bar.get(prefix)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return prefix, value
    for key in sorted(bar):
        if key.startswith(prefixes) and isinstance(bar[key], (int, float)) and not isinstance(bar[key], bool):
            return key, bar[key]
    return None, None


def _row(name: str, bar: dict) -> str:
    ours = f"{round(bar['seconds'], 2)} s"
    peak = bar.get("peak_mb", bar.get("peak_mb_largest_process"))
    if peak is not None:
        ours += f", {peak:,.0f} MB"
    ref_key, ref = _first(bar, "reference_seconds", "reference_")
    reference = f"{ref} s ({bar.get('reference', ref_key.removeprefix('reference_').replace('_', ' '))})" \
        if ref is not None else ""
    ratio = bar.get("ratio", _first(bar, "ratio")[1])
    if "lifetimes_seconds" in bar:  # a model fit against lifetimes (Pareto/NBD: a subsample, ratio per customer)
        rows = bar.get("lifetimes_rows")
        reference = f"{bar['lifetimes_seconds']:.1f} s (lifetimes" + (f", {rows:,} customers)" if rows else ")")
        ratio = round(bar["speedup"], 1)
    target = bar.get("target", f"≤ {bar['target_seconds']} s" if "target_seconds" in bar else "")
    data = bar.get("data", bar.get("bar", ""))
    cells = [name, str(data), ours, reference, "" if ratio is None else f"{ratio}×", str(target),
             "—" if "pass" not in bar else "yes" if bar["pass"] else "**NO**"]
    return "| " + " | ".join(c.replace("|", "/") for c in cells) + " |"


def _notes(name: str, bar: dict) -> list[str]:
    """What a reader needs beyond the table: each notebook's share, Spark's start-up and work."""
    notes = []
    if isinstance(bar.get("notebooks"), dict) and bar["notebooks"]:
        shares = ", ".join(f"{nb} {v['seconds']} s ({v['share']:.0%}, {v['status']})"
                           for nb, v in bar["notebooks"].items())
        notes.append(f"- {name}: {shares}")
    if "startup_seconds" in bar:
        notes.append(f"- {name}: Spark session start-up {bar['startup_seconds']} s, work {bar['work_seconds']} s "
                     f"(DuckDB on the same file: {bar.get('duckdb_seconds')} s); identical results: "
                     f"{bar.get('identical_to_duckdb')}")
    if isinstance(bar.get("run_stage"), dict):
        stage = bar["run_stage"]
        notes.append(f"- {name}: crm run's whole validation stage on the same file (validate, store the Parquet, "
                     f"write validation.json, clean_transactions.csv and rejected_rows.csv): {stage['seconds']} s, "
                     f"peak {stage['peak_mb']:,.0f} MB")
    if isinstance(bar.get("measured_on"), dict):
        notes.append(f"- {name}: measured {bar['measured_on']['date']} on {bar['measured_on']['cpu']}")
    if bar.get("peak_note"):
        notes.append(f"- {name}: {bar['peak_note']}")
    if bar.get("errors"):
        notes.append(f"- {name}: failed — " + " ".join(bar["errors"])[-300:])
    return notes


def write_report() -> None:
    """BENCHMARKS.md from every bench/results/*.json: one readable table, with date, machine and data."""
    today = dt.date.today().isoformat()
    info = machine()
    results = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(RESULTS_DIR.glob("*.json"))}
    parts = ["# Benchmarks", "",
             f"Collected with `make bench` (`python bench/run.py`); this file rebuilt {today} on {info['cores']} "
             f"cores, {info['cpu']}, {info['system']}, Python {info['python']}. Each result file keeps "
             "the date and machine it was measured on (`bench/results/*.json`). References run in the same "
             "benchmark, on the same data; the machine is shared, so absolute times are noisy and ratios "
             "are the figures to compare.", "",
             "| what | data | ours | reference | ratio | target | pass |",
             "| --- | --- | --- | --- | ---: | --- | --- |"]
    notes = []
    for stem, data in results.items():
        for path, bar in _bars(data, stem):
            name = path.replace("/bars/", "/")
            if "data" not in bar and "lifetimes_seconds" in bar and data.get("customers"):
                bar = {**bar, "data": f"{data['customers']:,} simulated distinct customers, "
                                      f"{data.get('regime', 'cdnow')} regime (continuous times)"}
            parts.append(_row(name, bar))
            notes += _notes(name, bar)
    for stem, data in results.items():
        notes += [f"- {stem}: {data['note']}"] if isinstance(data.get("note"), str) else []
        notes += [f"- {stem}, not measured: {item}" for item in data.get("not_measured", [])]
        notes += [f"- {stem}, superseded: {item}" for item in data.get("superseded", [])]
    if notes:
        parts += ["", "## Notes", ""] + notes
    parts += ["", "## Where the figures come from", ""]
    for stem, data in results.items():
        when = data.get("date", "")
        where = data.get("machine", {})
        parts.append(f"- `{stem}`: `bench/bench_{stem}.py`" + (f", measured {when}" if when else "")
                     + (f" on {where.get('cores')} cores, " + (f"{where['cpu']}, " if where.get("cpu") else "")
                        + f"{where.get('system')}" if where else ""))
    REPORT.write_text("\n".join(parts) + "\n", encoding="utf-8")
    print(f"wrote {REPORT.name}")


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
