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


def run(names: list[str]) -> int:
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
    failures = 0
    for script in scripts:
        name = script.stem.removeprefix("bench_")
        print(f"== {name}", flush=True)
        done = subprocess.run([sys.executable, str(script), "--out", str(RESULTS_DIR / f"{name}.json")],
                              cwd=BENCH_DIR.parent)
        failures += done.returncode != 0
    write_report()
    return failures


def _lines(value, indent: int = 0) -> list[str]:
    pad = "  " * indent
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                out += [f"{pad}- **{key}**"] + _lines(item, indent + 1)
            else:
                out.append(f"{pad}- {key}: {item}")
        return out
    if isinstance(value, list):
        return [line for item in value for line in _lines(item, indent)]
    return [f"{pad}- {value}"]


def _bars(value, path: str = ""):
    """(name, seconds, target, pass) for every measured bar found in a result."""
    if isinstance(value, dict):
        if "pass" in value and "seconds" in value:
            yield path, value["seconds"], value.get("target_seconds", ""), value["pass"]
        for key, item in value.items():
            yield from _bars(item, f"{path}/{key}" if path else key)


def write_report() -> None:
    """BENCHMARKS.md from every bench/results/*.json, with the date and machine of the run."""
    today = dt.date.today().isoformat()
    info = machine()
    parts = ["# Benchmarks", "",
             f"Last collected {today} on {info['cores']} cores, {info['processor']}, {info['system']}, "
             f"Python {info['python']}. Run `make bench` (or `python bench/run.py`) to refresh; "
             "every figure is measured by the script named in its heading, ratios are against a "
             "reference run in the same process.", ""]
    results = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(RESULTS_DIR.glob("*.json"))}
    parts += ["| bar | seconds | target (s) | pass |", "| --- | ---: | ---: | --- |"]
    for name, data in results.items():
        for bar, seconds, target, passed in _bars(data, name):
            parts.append(f"| {bar} | {seconds} | {target} | {'yes' if passed else 'NO'} |")
    parts.append("")
    for stem, data in results.items():
        path = RESULTS_DIR / f"{stem}.json"
        parts += [f"## {path.stem} (`bench/bench_{path.stem}.py`)", ""] + _lines(data) + [""]
    REPORT.write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {REPORT.name}")


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
