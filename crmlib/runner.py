"""Run the workbook headless: papermill over ``notebooks/`` into ``outputs/<run_name>/``.

A run validates the data once (``validation/``), executes each notebook with only the
parameters it declares, exports ``report.html`` without code, writes ``manifest.json`` and an
``index.html`` page, all in a temporary folder that is moved into place at the end.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

# jsonschema, under nbformat, builds a Lark grammar at import for its optional "iri" format check
# (2.4 s of every run's start-up); notebook schemas check no formats, so the runner does without it.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402
import papermill  # noqa: E402
from papermill.exceptions import PapermillExecutionError  # noqa: E402

from crmlib import kernels, paths, validated
from crmlib.data import check_run_data
from crmlib.io import InputError
from crmlib.outputs import dumps
from crmlib.notebook_params import Parameter, declared_parameters, discover_notebooks, parameter_schema
from crmlib.params import check_known, check_run_name, check_values, safe_run_name
from crmlib.progress import RunProgress, previous_seconds
from crmlib.present.pdf import PRINTER as PDF_PRINTER
from crmlib.run_folder import RunFolder, say_removed
from crmlib.run_tables import READS_FROM
from crmlib.validate import write_validation

KERNEL_NAME = "python3"
PATH_KEYS = ("transactions", "customers")
LOAD_KEYS = ("columns", "customer_columns", "dayfirst", "decimal", "delimiter", "as_of_date",
             "returns_policy", "cancel_order_prefix", "validation_rules", "engine", "spark_master")
_EXPORTING = threading.Lock()
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
                 notebooks_dir: Path = paths.NOTEBOOKS_DIR, jobs: int | None = None) -> RunResult:
    """Validate the data, execute the notebooks, export HTML, and move the run folder into place.

    Up to ``jobs`` notebooks run at once (default: :func:`default_jobs`); a notebook that reads
    another's tables (:data:`READS_FROM`) starts after it.

    Raises :class:`InputError` (before any notebook runs) for unknown parameters, values outside
    their declared type or range, unreadable data, or an output folder the run may not replace.
    """
    notebooks = discover_notebooks(notebooks_dir)
    if not notebooks:
        raise InputError(f"no notebooks (NN_name.ipynb) found in {notebooks_dir}.")
    schema = parameter_schema(notebooks_dir)
    check_known(params, set(schema))
    params = check_values(params, {name: row.spec for name, row in schema.items() if row.spec})
    chosen = select(notebooks, only)
    declared = {nb.stem: declared_parameters(nb) for nb in chosen}
    settings, given = run_settings(params, schema, declared[chosen[0].stem], notebooks_dir)
    run_name = settings["run_name"]
    out_root = Path(out_root) if out_root else paths.OUTPUTS_DIR

    started = time.time()
    with RunFolder(out_root, run_name) as folder, _run_environment(folder.work_dir):
        say_removed(folder.removed_partials)
        work_dir, final_dir = folder.work_dir, folder.final_dir
        previous = previous_seconds(final_dir)
        stages = RunProgress(progress, [nb.stem for nb in chosen], previous)
        stages.validating(settings["transactions"])
        validation = check_run_data(settings["transactions"], settings.get("customers"),
                                    **{k: settings[k] for k in LOAD_KEYS if k in settings})
        write_validation(validation, work_dir / "validation")
        report = validation.report
        del validation  # the kept rows are in validation/ now: the notebooks read them there
        stages.validated(report)
        if settings.get("as_of_date") is None and report.get("date_max"):
            settings["as_of_date"] = report["date_max"][:10]  # the day of the last transaction
            given.add("as_of_date")

        result = RunResult(run_dir=final_dir)
        _keep_previous_reports(final_dir, work_dir, [nb for nb in notebooks if nb not in chosen])

        def execute(notebook: Path) -> NotebookResult:
            own = declared[notebook.stem]
            passed = {k: settings[k] for k in given if k in own}  # data paths already resolved
            if "output_dir" in own:
                passed["output_dir"] = str((work_dir / notebook.stem).resolve())
            return _execute(notebook, work_dir / notebook.stem, passed, False, notebooks_dir)

        outcomes = run_in_parallel(chosen, execute, jobs=jobs, stop_on_error=stop_on_error,
                                   expected_seconds=previous,
                                   starting=lambda nb, i: stages.starting(i, len(chosen), nb.stem),
                                   finished=lambda nb, outcome: _finished(stages, work_dir, nb, outcome))
        result.notebooks.extend(outcomes[nb] for nb in chosen)
        stages.close()

        _write_manifest(work_dir, settings, result, started, report)
        _write_index(work_dir, result, report, settings)
        folder.commit()
    _say(progress, f"Reports: {final_dir / 'index.html'}")
    return result


def default_jobs() -> int:
    """Notebooks run at once by default: two on a machine with two or more cores, else one."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


class NotebookSchedule:
    """Which notebook starts next. One at a time: in number order (a notebook reads only earlier
    ones). Side by side: those others read (:data:`READS_FROM`) first, then one whose inputs are
    ready before the independent rest, so the longest chain ends soonest; among the independent
    ones the longest first by ``expected_seconds`` (the previous run's, when there is one: on
    10 million lines churn takes seven times as long as profiling, and started last it ends last)."""

    def __init__(self, notebooks: list[Path], side_by_side: bool = True,
                 expected_seconds: dict[str, float] | None = None):
        names = {nb.stem: nb for nb in notebooks}
        expected = expected_seconds or {}
        self.waits = {nb: [names[n] for n in READS_FROM.get(nb.stem, ()) if n in names] for nb in notebooks}
        awaited = {dep for deps in self.waits.values() for dep in deps}
        self.priority = {nb: (nb not in awaited, not self.waits[nb], -expected.get(nb.stem, 0.0), i)
                         if side_by_side else (i,) for i, nb in enumerate(notebooks)}
        self.pending = list(notebooks)

    def take_ready(self, finished: dict) -> Path | None:
        """The next notebook whose inputs are all ``finished`` (removed from pending), or ``None``."""
        ready = [nb for nb in self.pending if all(dep in finished for dep in self.waits[nb])]
        if not ready:
            return None
        notebook = min(ready, key=self.priority.get)
        self.pending.remove(notebook)
        return notebook

    def drain(self) -> list[Path]:
        """The notebooks not started, removed from pending."""
        left, self.pending = self.pending, []
        return left


def run_in_parallel(notebooks: list[Path], execute, jobs: int | None = None, stop_on_error: bool = False,
                    starting=None, finished=None, expected_seconds: dict[str, float] | None = None
                    ) -> dict[Path, NotebookResult]:
    """Execute ``notebooks`` with up to ``jobs`` kernels at once, each after the notebooks it reads.

    ``execute(notebook)`` returns a :class:`NotebookResult`; ``starting(notebook, n)`` and
    ``finished(notebook, outcome)`` report progress; ``expected_seconds`` (per notebook name)
    orders the independent notebooks, longest first (see :class:`NotebookSchedule`).
    ``stop_on_error`` runs one at a time and stops at the first failure; the notebooks not started
    are ``skipped``. On Ctrl-C the running kernels are stopped and waited for before the
    ``KeyboardInterrupt`` goes on.
    """
    jobs = 1 if stop_on_error else max(1, jobs or default_jobs())
    schedule = NotebookSchedule(notebooks, side_by_side=jobs > 1, expected_seconds=expected_seconds)
    outcomes: dict[Path, NotebookResult] = {}
    running: dict[Future, Path] = {}
    kernels.reset()
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="notebook") as pool:
        try:
            while schedule.pending or running:
                stopped = stop_on_error and any(o.status == "failed" for o in outcomes.values())
                while not stopped and len(running) < jobs and (notebook := schedule.take_ready(outcomes)):
                    if starting:
                        starting(notebook, len(outcomes) + len(running) + 1)
                    running[pool.submit(execute, notebook)] = notebook
                if stopped:
                    outcomes.update({nb: NotebookResult(nb.stem, "skipped") for nb in schedule.drain()})
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    notebook = running.pop(future)
                    outcomes[notebook] = future.result()
                    if finished:
                        finished(notebook, outcomes[notebook])
        except KeyboardInterrupt:
            schedule.drain()
            while running:  # a kernel still starting is stopped on the next round
                kernels.stop_all()
                done, _ = wait(running, timeout=1.0)
                for future in done:
                    running.pop(future)
            raise
    return outcomes


def _finished(stages: RunProgress, work_dir: Path, notebook: Path, outcome: NotebookResult) -> None:
    stages.finished(notebook.stem, outcome.status, outcome.seconds, work_dir / notebook.stem / "results.json")
    if outcome.status == "failed":
        stages.say(f"  FAILED: {outcome.error}")


def run_settings(params: dict, schema: dict[str, Parameter], defaults: dict,
                 notebooks_dir: Path) -> tuple[dict, set[str]]:
    """A run's settings (defaults + ``params``) and the keys to pass the notebooks explicitly.

    Defaults marked ``sample`` (the bundled sample's files, dates and name) apply only when the
    run names no ``transactions`` file: a run on the user's own file gets no customers file,
    ``as_of_date`` = the day of its last transaction, and the file's name as ``run_name``.
    File paths are resolved (relative to the current folder or the project root) and must be files.
    """
    settings, given = {**defaults, **params}, set(params)
    if "transactions" in params:
        for name, row in schema.items():
            if name not in params and name in settings and row.spec and "sample" in row.spec.flags:
                settings[name] = None
                given.add(name)
    for name in file_keys(schema):
        if name in settings:
            base = Path.cwd() if name in params else notebooks_dir
            settings[name] = resolve_path(settings[name], base=base)
            _check_file(name, settings[name])
    if not settings.get("transactions"):
        raise InputError("no transactions file: set `transactions` in --params FILE or with "
                         "--set transactions=PATH (the bundled sample: --params params/sample.yaml).")
    if settings.get("run_name") is None:
        settings["run_name"] = safe_run_name(Path(settings["transactions"]).stem)
        given.add("run_name")
    check_run_name(settings["run_name"])
    return settings, given


def file_keys(schema: dict[str, Parameter]) -> list[str]:
    """Keys holding a file path: the data files and every key declared as ``file``."""
    declared = [name for name, row in schema.items()
                if row.spec and any(getattr(option, "kind", "") == "file" for option in row.spec.options)]
    return list(dict.fromkeys([*PATH_KEYS, *declared]))


def _check_file(name: str, path: str | None) -> None:
    if path in (None, ""):
        return
    if Path(path).is_dir():
        raise InputError(f"`{name}`: {path} is a folder; give the path of a file inside it.")
    if not Path(path).is_file():
        raise InputError(f"`{name}`: {path} not found; check the path (relative paths start from "
                         "the folder you run crm in).")


def _keep_previous_reports(final_dir: Path, work_dir: Path, others: list[Path]) -> None:
    """With ``--only``, carry over the reports of the notebooks not re-run from the last run."""
    for notebook in others:
        previous = final_dir / notebook.stem
        if previous.is_dir():
            shutil.copytree(previous, work_dir / notebook.stem)


#: glibc (Linux) gives arrays of 4 MB or more their own memory map, returned to the system when
#: they are freed. Left to itself it raises that threshold as large arrays are freed, and a
#: kernel on ten million lines then keeps about 0.5 GB it no longer uses. Other systems ignore it.
MALLOC_MMAP_THRESHOLD = str(4 << 20)


def _execute(notebook: Path, out_dir: Path, parameters: dict, progress: bool,
             cwd: Path) -> NotebookResult:
    """Run one notebook with papermill; on failure name the cell and keep the notebook."""
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / "notebook.ipynb"
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", MALLOC_MMAP_THRESHOLD)
    start = time.time()
    try:
        # the kernel starts in `cwd` (nbclient's resources path): papermill's own `cwd=` would chdir
        # this whole process, which notebooks running side by side cannot share
        papermill.execute_notebook(str(notebook), str(output.resolve()), parameters=parameters,
                                   kernel_name=KERNEL_NAME, progress_bar=progress,
                                   log_output=False, request_save_on_cell_execute=False,
                                   extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                                   engine_name=kernels.ENGINE_NAME,
                                   resources={"metadata": {"path": str(Path(cwd).resolve())}})
        status, error = "ok", None
    except PapermillExecutionError as err:
        status = "failed"
        error = (f"{notebook.stem}, cell {err.exec_count} (code cell #{err.cell_index}): "
                 f"{err.ename}: {err.evalue.strip().splitlines()[0] if err.evalue.strip() else ''} "
                 f"— failed notebook kept at {output.name} in the run folder")
    if kernels.stopping.is_set():
        raise KeyboardInterrupt  # the run is being stopped: no report for a half-run notebook
    if output.exists():
        with _EXPORTING:  # nbconvert and matplotlib's formula typesetting, one report at a time
            _export_html(output, out_dir / "report.html")
    return NotebookResult(notebook.stem, status, round(time.time() - start, 2), error)


def _export_html(notebook_path: Path, html_path: Path) -> None:
    """The designed, self-contained report (no code, no prompts) and its PDF print; generated
    Markdown is disarmed there (:func:`crmlib.markup.disarm_html`)."""
    from crmlib.present.report import export_report

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
    """The run's slide deck (while the last PDFs print), then, once they are written, its hub
    page ``index.html``, which links them."""
    from crmlib.present.deck import write_deck
    from crmlib.present.hub import write_hub
    from crmlib.present.report import run_context

    context = run_context(settings, report)
    write_deck(work_dir, result.notebooks, report, context)
    PDF_PRINTER.finish()
    write_hub(work_dir, result.notebooks, report, context)


@contextmanager
def _run_environment(work_dir: Path):
    """While a run works: notebooks read the run's validated data (validate once); on leaving,
    no PDF is still being written into the folder and the environment is as it was."""
    previous = os.environ.get(validated.RUN_DIR_ENV)
    os.environ[validated.RUN_DIR_ENV] = str((work_dir / "validation").resolve())
    try:
        yield
    finally:
        PDF_PRINTER.finish()
        _restore_env(validated.RUN_DIR_ENV, previous)


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


def main(argv: list[str] | None = None) -> int:
    """``python -m crmlib.runner [NOTEBOOK.ipynb ...]``: what ``make notebooks`` runs."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m crmlib.runner",
                                     description="Re-execute the committed notebooks in place on the sample.")
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebook files (default: all of notebooks/)")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.notebooks if p.suffix != ".ipynb" or not p.is_file()]
    if missing:
        parser.error(f"not a notebook file: {', '.join(missing)} (give paths such as notebooks/05_ltv_scenarios.ipynb)")
    refresh_notebooks(args.notebooks or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
