"""Run the workbook headless: papermill over ``notebooks/`` into ``outputs/<run_name>/``.

A run validates the data once (``validation/``), executes each notebook with only the
parameters it declares, exports ``report.html`` without code, writes ``manifest.json`` and an
``index.html`` page, all in a temporary folder that is moved into place at the end.
"""
from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

from crmlib import paths, validated
from crmlib.data import load_data
from crmlib.io import InputError
from crmlib.outputs import dumps
from crmlib.progress import RunProgress, previous_seconds
from crmlib.params import check_known
from crmlib.present.deck import write_deck
from crmlib.present.hub import write_hub
from crmlib.present.pdf import PRINTER as PDF_PRINTER
from crmlib.present.report import export_report, run_context
from crmlib.validate import write_validation

KERNEL_NAME = "python3"
PATH_KEYS = ("transactions", "customers")
LOAD_KEYS = ("columns", "customer_columns", "dayfirst", "decimal", "delimiter", "as_of_date",
             "returns_policy", "cancel_order_prefix", "validation_rules")
VERSIONED = ("crmlib", "pandas", "numpy", "scipy", "scikit-learn", "matplotlib", "seaborn",
             "papermill", "nbconvert", "pandera", "duckdb", "lifelines")


@dataclass
class NotebookResult:
    """Outcome of one notebook: status ``ok``/``failed``/``skipped`` and, on failure, where and why."""

    name: str
    status: str
    seconds: float = 0.0
    error: str | None = None


@dataclass
class RunResult:
    """Where a run was written and how each notebook went."""

    run_dir: Path
    notebooks: list[NotebookResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(nb.status == "ok" for nb in self.notebooks)


def discover_notebooks(directory: Path = paths.NOTEBOOKS_DIR) -> list[Path]:
    """The workbook's notebooks in run order (``NN_name.ipynb``)."""
    return sorted(p for p in directory.glob("[0-9][0-9]_*.ipynb"))


def parameters_cell(notebook: Path) -> list[tuple[str, object, str]]:
    """(name, default, comment) for each assignment in the cell tagged ``parameters``.

    Parsed with :mod:`ast` (defaults must be literals) and the line's ``#`` comment as help.
    """
    nb = nbformat.read(notebook, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise InputError(f"{notebook.name}: no cell tagged 'parameters'.")
    source = cells[0].source
    lines = source.splitlines()
    found = []
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            continue
        name = node.targets[0].id
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            raise InputError(f"{notebook.name}: parameter `{name}` is not a literal; the parameters "
                             "cell must hold literals only.") from None
        line = lines[node.end_lineno - 1]
        comment = line[node.end_col_offset:].strip()
        found.append((name, value, comment[1:].strip() if comment.startswith("#") else ""))
    return found


def declared_parameters(notebook: Path) -> dict:
    """Names and default values declared in the notebook's ``parameters`` cell."""
    return {name: value for name, value, _ in parameters_cell(notebook)}


def parameter_reference(directory: Path = paths.NOTEBOOKS_DIR) -> str:
    """Markdown table of every parameter: default, the notebooks declaring it, its comment."""
    rows: dict[str, dict] = {}
    for notebook in discover_notebooks(directory):
        for name, value, comment in parameters_cell(notebook):
            row = rows.setdefault(name, {"default": value, "notebooks": [], "help": ""})
            row["notebooks"].append(notebook.stem[:2])
            row["help"] = row["help"] or comment
    everywhere = len(discover_notebooks(directory))
    lines = ["| key | default | notebooks | meaning |", "| --- | --- | --- | --- |"]
    for name, row in sorted(rows.items(), key=lambda item: (len(item[1]["notebooks"]) < everywhere,
                                                             item[1]["notebooks"], item[0])):
        where = "all" if len(row["notebooks"]) == everywhere else ", ".join(row["notebooks"])
        default = json.dumps(row["default"], ensure_ascii=False).replace("|", "\\|")
        lines.append(f"| `{name}` | `{default}` | {where} | {row['help'].replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def select(notebooks: list[Path], only: list[str] | None) -> list[Path]:
    """Notebooks matching ``--only`` names (``02``, ``rfm`` or ``02_rfm_segmentation``)."""
    if not only:
        return notebooks
    chosen = [nb for nb in notebooks if any(nb.stem == o or nb.stem.startswith(o) or o in nb.stem
                                            for o in only)]
    if not chosen:
        names = ", ".join(nb.stem for nb in notebooks)
        raise InputError(f"--only {' '.join(only)} matches no notebook; the notebooks are: {names}.")
    return chosen


def resolve_path(value, base: Path) -> str | None:
    """Absolute path of a data file given relative to the current folder or the project root."""
    if value in (None, ""):
        return value
    candidate = Path(value)
    if candidate.is_absolute():
        return str(candidate)
    for root in (base, paths.PROJECT_ROOT):
        if (root / candidate).exists():
            return str((root / candidate).resolve())
    return str((base / candidate).resolve())


def run_workbook(params: dict, only: list[str] | None = None, out_root: Path | None = None,
                 stop_on_error: bool = False, progress: bool = True,
                 notebooks_dir: Path = paths.NOTEBOOKS_DIR) -> RunResult:
    """Validate the data, execute the notebooks, export HTML, and move the run folder into place.

    Raises :class:`InputError` for unknown parameters or unreadable data (before any notebook runs).
    """
    notebooks = discover_notebooks(notebooks_dir)
    if not notebooks:
        raise InputError(f"no notebooks (NN_name.ipynb) found in {notebooks_dir}.")
    declared = {nb.stem: declared_parameters(nb) for nb in notebooks}
    known = set().union(*declared.values())
    check_known(params, known)
    chosen = select(notebooks, only)

    defaults = declared[chosen[0].stem]
    settings = {**defaults, **params}
    for key in PATH_KEYS:
        base = Path.cwd() if key in params else notebooks_dir
        settings[key] = resolve_path(settings.get(key), base=base)
    run_name = str(settings.get("run_name") or "run")
    out_root = Path(out_root) if out_root else paths.OUTPUTS_DIR
    final_dir = out_root / run_name
    work_dir = out_root / f".{run_name}.partial-{os.getpid()}"
    if work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)

    started = time.time()
    previous_validation_dir = os.environ.get(validated.RUN_DIR_ENV)
    os.environ[validated.RUN_DIR_ENV] = str((work_dir / "validation").resolve())  # validate once
    stages = RunProgress(progress, [nb.stem for nb in chosen], previous_seconds(final_dir))
    try:
        stages.validating(settings["transactions"])
        data = load_data(settings["transactions"], settings.get("customers"),
                         **{k: settings[k] for k in LOAD_KEYS if k in settings})
        write_validation(data.validation, work_dir / "validation")
        report = data.report
        stages.validated(report)

        result = RunResult(run_dir=final_dir)
        _keep_previous_reports(final_dir, work_dir, [nb for nb in notebooks if nb not in chosen])
        for index, notebook in enumerate(chosen, 1):
            if stop_on_error and not result.ok:
                result.notebooks.append(NotebookResult(notebook.stem, "skipped"))
                continue
            stages.starting(index, len(chosen), notebook.stem)
            own = declared[notebook.stem]
            passed = {k: settings[k] for k in params if k in own}  # data paths already resolved
            if "output_dir" in own:
                passed["output_dir"] = str((work_dir / notebook.stem).resolve())
            outcome = _execute(notebook, work_dir / notebook.stem, passed, False, notebooks_dir)
            result.notebooks.append(outcome)
            stages.finished(notebook.stem, outcome.status, outcome.seconds, work_dir / notebook.stem / "results.json")
            if outcome.status == "failed":
                stages.say(f"  FAILED: {outcome.error}")
        stages.close()

        _write_manifest(work_dir, settings, result, started, report)
        _write_index(work_dir, result, report, settings)
    except BaseException:
        PDF_PRINTER.finish()  # no PDF still being written into the folder removed here
        shutil.rmtree(work_dir, ignore_errors=True)
        raise
    finally:
        stages.close()
        _restore_env(validated.RUN_DIR_ENV, previous_validation_dir)
    _move_into_place(work_dir, final_dir)
    _say(progress, f"Reports: {final_dir / 'index.html'}")
    return result


def _keep_previous_reports(final_dir: Path, work_dir: Path, others: list[Path]) -> None:
    """With ``--only``, carry over the reports of the notebooks not re-run from the last run."""
    for notebook in others:
        previous = final_dir / notebook.stem
        if previous.is_dir():
            shutil.copytree(previous, work_dir / notebook.stem)


def _execute(notebook: Path, out_dir: Path, parameters: dict, progress: bool,
             cwd: Path) -> NotebookResult:
    """Run one notebook with papermill; on failure name the cell and keep the notebook."""
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / "notebook.ipynb"
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    start = time.time()
    try:
        papermill.execute_notebook(str(notebook), str(output), parameters=parameters,
                                   kernel_name=KERNEL_NAME, cwd=str(cwd), progress_bar=progress,
                                   log_output=False, request_save_on_cell_execute=False,
                                   extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        status, error = "ok", None
    except PapermillExecutionError as err:
        status = "failed"
        error = (f"{notebook.stem}, cell {err.exec_count} (code cell #{err.cell_index}): "
                 f"{err.ename}: {err.evalue.strip().splitlines()[0] if err.evalue.strip() else ''} "
                 f"— failed notebook kept at {output.name} in the run folder")
    if output.exists():
        _export_html(output, out_dir / "report.html")
    return NotebookResult(notebook.stem, status, round(time.time() - start, 2), error)


def _export_html(notebook_path: Path, html_path: Path) -> None:
    """The designed, self-contained report (no code, no prompts) and its PDF print."""
    export_report(notebook_path, html_path)
    PDF_PRINTER.submit(html_path)  # printed while the next notebook runs; awaited in _write_index


def _sha256(path) -> str | None:
    if not path or not Path(path).is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _versions() -> dict:
    found = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _write_manifest(work_dir: Path, settings: dict, result: RunResult, started: float,
                    report: dict) -> None:
    inputs = {key: {"file": Path(settings[key]).name, "sha256": _sha256(settings[key])}
              for key in PATH_KEYS if settings.get(key)}
    manifest = {
        "run_name": settings.get("run_name"),
        "started": dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.time() - started, 2),
        "status": "ok" if result.ok else "failed",
        "parameters": {k: v for k, v in settings.items() if k not in PATH_KEYS and k != "output_dir"},
        "inputs": inputs,
        "validation": {k: report[k] for k in ("rows_in", "rows_kept", "rows_rejected", "amount_kept")},
        "versions": _versions(),
        "notebooks": [vars(nb) for nb in result.notebooks],
    }
    (work_dir / "manifest.json").write_text(dumps(manifest), encoding="utf-8")


def _write_index(work_dir: Path, result: RunResult, report: dict, settings: dict) -> None:
    """The reports' PDFs (awaited), the run's slide deck and its hub page ``index.html``."""
    PDF_PRINTER.finish()
    context = run_context(settings, report)
    write_deck(work_dir, result.notebooks, report, context)
    write_hub(work_dir, result.notebooks, report, context)


def _move_into_place(work_dir: Path, final_dir: Path) -> None:
    """Swap the finished folder in, so ``outputs/<run>`` is never half-written."""
    old = final_dir.with_name(f".{final_dir.name}.old-{os.getpid()}")
    if final_dir.exists():
        final_dir.rename(old)
    work_dir.rename(final_dir)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _say(enabled: bool, message: str) -> None:
    if enabled:
        print(message, file=sys.stderr, flush=True)


def load_json(path: Path) -> dict:
    """Read a JSON file written by a run (UTF-8)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def refresh_notebooks(notebooks: list[Path] | None = None, timeout: int = 600) -> None:
    """Re-execute the committed notebooks in place on their default (sample) parameters.

    This is what ``make notebooks`` runs before committing, so that nbval compares against
    outputs produced by the current code. Execution metadata (timings) is dropped.
    """
    from nbclient import NotebookClient

    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for path in notebooks or discover_notebooks():
        _say(True, f"executing {path.name}")
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=timeout, kernel_name=KERNEL_NAME,
                       extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
        nb.metadata.pop("papermill", None)
        nbformat.write(nb, path)


if __name__ == "__main__":
    refresh_notebooks([Path(p) for p in sys.argv[1:]] or None)
