"""What a long run shows while it works: each stage with its counts, and an ETA (tqdm).

Validation reports the lines it read, kept and quarantined and the customers found; each notebook
reports what its ``results.json`` counts (customers, models fitted). The bar's unit is expected
seconds: each notebook weighs what it took in the last run of the same name (its
``manifest.json``), so the ETA of a re-run is right from the start; on a first run every
notebook weighs the same and the ETA follows the notebooks done so far.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tqdm import tqdm


def previous_seconds(run_dir: Path) -> dict[str, float]:
    """Seconds each notebook took in the finished run at ``run_dir`` (empty when there is none)."""
    manifest = Path(run_dir) / "manifest.json"
    try:
        notebooks = json.loads(manifest.read_text(encoding="utf-8")).get("notebooks", [])
    except (OSError, ValueError):
        return {}
    return {nb["name"]: float(nb["seconds"]) for nb in notebooks
            if isinstance(nb, dict) and nb.get("status") == "ok" and nb.get("seconds")}


def counts(results_path: Path) -> str:
    """The counts a notebook's ``results.json`` holds, as words (customers, models fitted)."""
    try:
        results = json.loads(Path(results_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    said = []
    for key, value in sorted(results.items()):
        if "customers" in key and isinstance(value, int) and not isinstance(value, bool):
            said.append(f"{value:,} {key.removeprefix('n_').replace('_', ' ')}")
    models = results.get("models")
    if isinstance(models, dict) and models:
        fitted = sum(1 for m in models.values() if isinstance(m, dict) and "error" not in m)
        said.append(f"{fitted} of {len(models)} models fitted")
    return ", ".join(said[:4])


class RunProgress:
    """Stages of one run on stderr: validation counts, then a bar over the notebooks with an ETA."""

    def __init__(self, enabled: bool, notebooks: list[str], previous: dict[str, float] | None = None):
        self.enabled = enabled
        previous = previous or {}
        typical = sum(previous.values()) / len(previous) if previous else 1.0
        self.weights = {name: previous.get(name, typical) for name in notebooks}
        self.bar = None
        self.started = time.perf_counter()

    def say(self, message: str) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr, flush=True)

    def validating(self, path: Path) -> None:
        size = Path(path).stat().st_size / 1e6 if Path(path).is_file() else 0
        self.say(f"Validating {Path(path).name} ({size:,.0f} MB) …")
        self.started = time.perf_counter()

    def validated(self, report: dict) -> None:
        seconds = time.perf_counter() - self.started
        self.say(f"  {report['rows_in']:,} lines validated in {seconds:.1f} s: {report['rows_kept']:,} kept + "
                 f"{report['rows_rejected']:,} quarantined; {report.get('customers_kept', 0):,} customers")
        if self.enabled:
            self.bar = tqdm(total=round(sum(self.weights.values()), 1), unit="s", file=sys.stderr,
                            bar_format="{desc} {percentage:3.0f}%|{bar}| elapsed {elapsed}, ETA {remaining}",
                            dynamic_ncols=True)

    def starting(self, index: int, total: int, name: str) -> None:
        if self.bar is not None:
            self.bar.set_description_str(f"[{index}/{total}] {name}")
        else:
            self.say(f"[{index}/{total}] {name}")

    def finished(self, name: str, status: str, seconds: float, results_path: Path) -> None:
        detail = counts(results_path) if status == "ok" else status
        self.say(f"  {name}: {status} in {seconds:.1f} s" + (f" — {detail}" if detail and status == "ok" else ""))
        if self.bar is not None:
            self.bar.update(round(self.weights.get(name, 1.0), 1))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
