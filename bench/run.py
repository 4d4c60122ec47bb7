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
        if "seconds" in value and ("pass" in value or "lifetimes_seconds" in value or "pymc_seconds" in value):
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
    if "lifetimes_seconds" in bar or "pymc_seconds" in bar:  # an LTV fit against lifetimes or PyMC-Marketing
        ours, reference, ratio = _ltv_cells(bar)
    target = bar.get("target", f"≤ {bar['target_seconds']} s" if "target_seconds" in bar else "")
    data = bar.get("data", bar.get("bar", ""))
    cells = [name, str(data), ours, reference, "" if ratio is None else f"{ratio}×", str(target),
             "—" if "pass" not in bar else "yes" if bar["pass"] else "**NO**"]
    return "| " + " | ".join(c.replace("|", "/") for c in cells) + " |"


def _ltv_cells(bar: dict) -> tuple[str, str, float]:
    """(ours, reference, ratio) of an LTV model fit (bench_ltv): wall and CPU seconds; the ratio is
    CPU seconds per customer when the reference ran on a subsample."""
    ours = f"{bar['seconds']:.2f} s (CPU {bar['cpu_seconds']:.2f} s)" if "cpu_seconds" in bar \
        else f"{round(bar['seconds'], 2)} s"
    if bar.get("within_budget") is False:
        ours += f", over the fit's {bar['budget_seconds']:g} s budget"
    if "pymc_seconds" in bar:
        reference = (f"{bar['pymc_seconds']:.1f} s, CPU {bar['pymc_cpu_seconds']:.1f} s "
                     f"(PyMC-Marketing MAP, {bar['pymc_rows']:,} customers)")
    else:
        rows = bar.get("lifetimes_rows")
        cpu = f", CPU {bar['lifetimes_cpu_seconds']:.1f} s" if "lifetimes_cpu_seconds" in bar else ""
        reference = f"{bar['lifetimes_seconds']:.1f} s{cpu} (lifetimes" + (f", {rows:,} customers)" if rows else ")")
    return ours, reference, round(bar["speedup"], 1)


def _ltv_notes(name: str, bar: dict) -> list[str]:
    """An LTV fit's estimates beside the reference's, and a fit that stopped on its time budget."""
    def fmt(params):
        return ", ".join(f"{k} {v:.4g}" for k, v in params.items())
    notes = []
    if bar.get("within_budget") is False:
        notes.append(f"- {name}: our fit stopped on its {bar['budget_seconds']:g} s (wall) budget after "
                     f"{bar.get('budget_attempt_seconds', 0):.1f} s, CPU {bar.get('budget_attempt_cpu_seconds', 0):.1f} s "
                     f"({bar.get('budget_error', '')[:160]}); the time shown is a second fit under the "
                     f"benchmark's {bar.get('limit_seconds', 0):g} s limit"
                     + (f", which failed too: {bar['error'][:160]}" if bar.get("error") else ""))
    which = "PyMC-Marketing" if "pymc_params" in bar else "lifetimes"
    owner = which + ("'" if which.endswith("s") else "'s")
    reference = bar.get("pymc_params", bar.get("lifetimes_params"))
    same = bar.get("params_same_rows")
    rows = bar.get("pymc_rows", bar.get("lifetimes_rows"))
    if reference and (same or bar.get("params")):
        ours = same or bar["params"]
        on = f" on the same {rows:,} customers" if rows else " on the same customers"
        notes.append(f"- {name}: estimates{on}: ours {fmt(ours)}; {which} {fmt(reference)}"
                     + (f" (ours on all customers: {fmt(bar['params'])})"
                        if same and bar.get("params") and same != bar["params"] else "")
                     + (f"; log-likelihood on those customers (ours): {bar['loglik_same_rows']:,.2f} at our "
                        f"estimates, {at_reference:,.2f} at {owner}" if "loglik_same_rows" in bar
                        and (at_reference := bar.get("loglik_at_pymc_params", bar.get("loglik_at_lifetimes_params")))
                        is not None else ""))
    return notes


def _notes(name: str, bar: dict) -> list[str]:
    """What a reader needs beyond the table: each notebook's share, Spark's start-up and work."""
    notes = _ltv_notes(name, bar) if "lifetimes_seconds" in bar or "pymc_seconds" in bar else []
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
        script = next((name for name, variants in VARIANTS.items() if stem in (v[0] for v in variants)), stem)
        arguments = dict(VARIANTS.get(script, [])).get(stem)
        parts.append(f"- `{stem}`: `bench/bench_{script}.py" + (f" {' '.join(arguments)}`" if arguments else "`")
                     + (f", measured {when}" if when else "")
                     + (f" on {where.get('cores')} cores, " + (f"{where['cpu']}, " if where.get("cpu") else "")
                        + f"{where.get('system')}" if where else ""))
    REPORT.write_text("\n".join(parts) + "\n", encoding="utf-8")
    print(f"wrote {REPORT.name}")


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
