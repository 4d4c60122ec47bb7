"""Bar: `make report` on the bundled sample in under 60 s; what the deliverables add to it.

Runs the whole workbook on ``params/sample.yaml`` as ``make report`` does (the ``crm run``
command in a process of its own, start-up included) into a temporary folder, then, on the
finished run, times each presentation step again on its own: the designed HTML export of the
five reports, their PDFs (WeasyPrint), the deck (python-pptx) and the hub. The command is timed
twice in the same benchmark: one notebook at a time (``--jobs 1``, the reference) and side by
side (the default); ``share_of_run`` says what part of the default run the deliverables cost.
Wall seconds and CPU seconds of this process are both given for the steps.
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
from common import machine, write_json  # noqa: E402

from crmlib import paths  # noqa: E402
from crmlib.params import load_params  # noqa: E402
from crmlib.present.deck import write_deck  # noqa: E402
from crmlib.present.hub import write_hub  # noqa: E402
from crmlib.present.pdf import write_pdf  # noqa: E402
from crmlib.present.report import export_report, run_context  # noqa: E402
from crmlib.runner import NotebookResult, default_jobs  # noqa: E402

TARGET_SECONDS = 60.0


def _timed(func, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    func(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def crm_run(out: Path, *options: str) -> float:
    """Wall seconds of ``crm run --params params/sample.yaml`` in a fresh process."""
    command = [sys.executable, "-m", "crmlib.cli", "run", "--params", str(paths.PROJECT_ROOT / "params" / "sample.yaml"),
               "--out", str(out), *options]
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=paths.PROJECT_ROOT)
    if done.returncode:
        sys.exit(f"crm run failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    params = load_params(paths.PROJECT_ROOT / "params" / "sample.yaml")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        one_at_a_time = crm_run(Path(folder) / "one_at_a_time", "--jobs", "1")
        total = crm_run(Path(folder))
        run_dir = Path(folder) / params["run_name"]
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        notebooks = [NotebookResult(nb["name"], nb["status"], nb["seconds"], nb["error"]) for nb in manifest["notebooks"]]
        steps = {"html": [0.0, 0.0], "pdf": [0.0, 0.0]}
        pages = 0
        for nb in notebooks:
            folder_nb = run_dir / nb.name
            for step, func, arguments in (("html", export_report, (folder_nb / "notebook.ipynb", folder_nb / "report.html")),
                                          ("pdf", write_pdf, (folder_nb / "report.html",))):
                wall, cpu = _timed(func, *arguments)
                steps[step][0] += wall
                steps[step][1] += cpu
            from pypdf import PdfReader
            pages += len(PdfReader(folder_nb / "report.pdf").pages)
        validation = json.loads((run_dir / "validation" / "validation.json").read_text(encoding="utf-8"))
        context = run_context(params, validation)
        steps["deck"] = list(_timed(write_deck, run_dir, notebooks, validation, context))
        steps["hub"] = list(_timed(write_hub, run_dir, notebooks, validation, context))
    presentation = sum(wall for wall, _ in steps.values())
    write_json(args.out, {
        "bar": f"make report on the sample in under {TARGET_SECONDS:.0f} s",
        "data": "bundled sample (params/sample.yaml): 5 notebooks, 5 reports",
        "machine": machine(),
        "make_report": {"seconds": round(total, 1), "target_seconds": TARGET_SECONDS,
                        "pass": total < TARGET_SECONDS, "notebooks_ok": all(nb.status == "ok" for nb in notebooks),
                        "data": f"bundled sample, 6,139 lines; the crm run command, {default_jobs()} notebooks at once",
                        "reference": "the same run, one notebook at a time", "reference_seconds": round(one_at_a_time, 1),
                        "ratio": round(one_at_a_time / total, 2)},
        "deliverables": {name: {"wall_seconds": round(w, 2), "cpu_seconds": round(c, 2)}
                         for name, (w, c) in steps.items()},
        "pdf_pages": pages,
        "share_of_run": round(presentation / total, 3),
        # other work on the machine inflates wall seconds: the 1-minute load average around the run
        "load_average": {"before": round(load_before, 1), "after": round(os.getloadavg()[0], 1)},
    })


if __name__ == "__main__":
    main()
