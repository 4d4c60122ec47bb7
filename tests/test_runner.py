"""The papermill runner and the `crm` command line, on tiny notebooks made in a temp folder."""
from __future__ import annotations

import json
import os

import nbformat
import pytest

from crmlib import paths
from crmlib.cli import main
from crmlib.io import InputError
from crmlib.params import load_params
from crmlib.notebook_params import declared_parameters
from crmlib.runner import run_workbook

SAMPLE = paths.SAMPLE_DIR / "transactions.csv"
PARAMS = f'''run_name = "t"
transactions = "{SAMPLE.as_posix()}"
output_dir = "out"
lang = "en"
'''


def make_notebook(folder, name, body, extra_params=""):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(PARAMS + extra_params, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, folder / f"{name}.ipynb")


RECORD = ("import json, pathlib\n"
          "pathlib.Path(output_dir, 'results.json').write_text(json.dumps({'lang': lang, 'x': x}))")


@pytest.fixture
def workbook(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    make_notebook(folder, "01_first", RECORD, "x = 1\n")
    make_notebook(folder, "02_broken", "y = 1\nraise ValueError('boom in cell two')", "z = 2\n")
    make_notebook(folder, "03_third", RECORD.replace("'x': x", "'x': None"))
    return folder


def test_declared_parameters_are_literals(workbook):
    assert declared_parameters(workbook / "01_first.ipynb")["x"] == 1


def test_failing_cell_is_named_and_others_still_run(workbook, tmp_path):
    out = tmp_path / "outputs"
    result = run_workbook({"lang": "id", "x": 5}, out_root=out, progress=False, notebooks_dir=workbook)
    status = {nb.name: nb.status for nb in result.notebooks}
    assert status == {"01_first": "ok", "02_broken": "failed", "03_third": "ok"}
    broken = next(nb for nb in result.notebooks if nb.name == "02_broken")
    assert "02_broken" in broken.error and "cell" in broken.error and "boom in cell two" in broken.error
    run = out / "t"
    assert json.loads((run / "01_first" / "results.json").read_text()) == {"lang": "id", "x": 5}
    # only declared keys are passed: 03_third does not declare x, so it keeps running without it
    assert json.loads((run / "03_third" / "results.json").read_text()) == {"lang": "id", "x": None}
    assert (run / "02_broken" / "notebook.ipynb").exists()  # kept for inspection
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["validation"]["rows_in"] == manifest["validation"]["rows_kept"] + \
        manifest["validation"]["rows_rejected"]
    assert manifest["inputs"]["transactions"]["sha256"]
    index = (run / "index.html").read_text(encoding="utf-8")
    assert "01_first/report.html" in index and "failed" in index
    report = (run / "01_first" / "report.html").read_text(encoding="utf-8")
    assert "pathlib.Path(output_dir" not in report  # code hidden in reports
    assert {p.name for p in out.iterdir()} == {"t", ".t.lock"}  # no partial folder left behind


def test_stop_on_error_skips_the_rest(workbook, tmp_path):
    result = run_workbook({}, out_root=tmp_path, progress=False, notebooks_dir=workbook, stop_on_error=True)
    assert [nb.status for nb in result.notebooks] == ["ok", "failed", "skipped"]


def test_only_keeps_earlier_reports(workbook, tmp_path):
    run_workbook({}, out_root=tmp_path, progress=False, notebooks_dir=workbook, only=["01", "03"])
    run_workbook({"x": 7}, out_root=tmp_path, progress=False, notebooks_dir=workbook, only=["01"])
    assert (tmp_path / "t" / "03_third" / "results.json").exists()
    assert json.loads((tmp_path / "t" / "01_first" / "results.json").read_text())["x"] == 7


def test_unknown_key_is_refused_with_a_suggestion(workbook, tmp_path):
    out = tmp_path / "outputs"
    with pytest.raises(InputError, match="'lnag' \\(did you mean 'lang'\\?\\)"):
        run_workbook({"lnag": "id"}, out_root=out, progress=False, notebooks_dir=workbook)
    with pytest.raises(InputError, match="matches no notebook"):
        run_workbook({}, out_root=out, progress=False, notebooks_dir=workbook, only=["99"])
    assert not out.exists()


def test_load_params_overrides(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("run_name: a\ncolumns:\n  amount: Total\n", encoding="utf-8")
    params = load_params(path, ["dayfirst=true", "margin=0.25", "columns.date=Tanggal", "run_name=b"])
    assert params == {"run_name": "b", "columns": {"amount": "Total", "date": "Tanggal"},
                      "dayfirst": True, "margin": 0.25}
    with pytest.raises(InputError, match="KEY=VALUE"):
        load_params(None, ["lang"])


def test_cli_validate_writes_three_reconciling_files(tmp_path, capsys):
    code = main(["validate", str(SAMPLE), "--out", str(tmp_path), "--set", "as_of_date=2024-12-31"])
    assert code == 0
    report = json.loads((tmp_path / "validation.json").read_text(encoding="utf-8"))
    assert report["rows_in"] == report["rows_kept"] + report["rows_rejected"]
    assert report["rows_rejected"] > 0
    assert (tmp_path / "clean_transactions.csv").exists() and (tmp_path / "rejected_rows.csv").exists()
    assert "rows in" in capsys.readouterr().out


def test_cli_bad_input_is_a_clear_message_not_a_traceback(tmp_path, capsys):
    missing = tmp_path / "nope.csv"
    assert main(["validate", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "nope.csv" in err and "Traceback" not in err
    assert main(["validate", str(SAMPLE), "--set", "delimeter=;"]) == 2
    assert "did you mean 'delimiter'" in capsys.readouterr().err


def test_parameter_reference_is_in_sync_with_the_notebooks():
    """docs/parameters.md holds the table `crm params` prints (regenerate it when a cell changes)."""
    from crmlib.notebook_params import parameter_reference
    docs = (paths.PROJECT_ROOT / "docs" / "parameters.md").read_text(encoding="utf-8")
    assert parameter_reference() in docs, "docs/parameters.md is stale: run `crm params` and paste the table"


def test_parameters_cell_is_parsed_with_comments(tmp_path):
    from crmlib.notebook_params import parameters_cell
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('a = [0.3, 0.6]  # low < 0.3 <= medium: "x" = y\nb = None\n',
                                          metadata={"tags": ["parameters"]})]
    nbformat.write(nb, tmp_path / "01_x.ipynb")
    assert parameters_cell(tmp_path / "01_x.ipynb") == [("a", [0.3, 0.6], 'low < 0.3 <= medium: "x" = y'),
                                                        ("b", None, "")]
    nb.cells[0].source = "a = some_function()\n"
    nbformat.write(nb, tmp_path / "01_x.ipynb")
    with pytest.raises(InputError, match="literals only"):
        parameters_cell(tmp_path / "01_x.ipynb")


# --- the output-folder contract -----------------------------------------------------------------

def _run(workbook, out, **params):
    return run_workbook(params, out_root=out, progress=False, notebooks_dir=workbook, only=["01"])


@pytest.mark.parametrize("name", ["../data", "..", ".", "/tmp/elsewhere", "client/2024", "x" * 300])
def test_run_name_outside_the_output_folder_is_refused(workbook, tmp_path, name):
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    (data / "raw" / "export.csv").write_text("client file", encoding="utf-8")
    out = tmp_path / "outputs"
    with pytest.raises(InputError, match="not a safe folder name"):
        _run(workbook, out, run_name=name)
    assert (data / "raw" / "export.csv").read_text(encoding="utf-8") == "client file"
    assert not out.exists()


def test_a_folder_that_is_not_a_run_is_never_replaced(workbook, tmp_path):
    out = tmp_path / "outputs"
    (out / "t").mkdir(parents=True)
    (out / "t" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="not a finished run"):
        _run(workbook, out)
    assert (out / "t" / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["t"]


def test_a_finished_run_is_kept_as_previous_until_the_next_one_is_complete(workbook, tmp_path, monkeypatch):
    out = tmp_path / "outputs"
    _run(workbook, out, x=1)
    _run(workbook, out, x=2)
    assert json.loads((out / "t" / "01_first" / "results.json").read_text())["x"] == 2
    assert json.loads((out / "t.previous" / "01_first" / "results.json").read_text())["x"] == 1

    import crmlib.runner as runner

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(runner, "_execute", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _run(workbook, out, x=3)
    assert json.loads((out / "t" / "01_first" / "results.json").read_text())["x"] == 2  # untouched
    assert json.loads((out / "t.previous" / "01_first" / "results.json").read_text())["x"] == 1
    assert not [p for p in out.iterdir() if ".partial" in p.name]  # the unfinished folder is gone


def test_a_second_run_of_the_same_name_is_refused_while_one_runs(workbook, tmp_path):
    from filelock import FileLock

    out = tmp_path / "outputs"
    out.mkdir()
    with FileLock(out / ".t.lock", timeout=0):  # another process running "t"
        with pytest.raises(InputError, match="already running"):
            _run(workbook, out)
    assert not (out / "t").exists()
    _run(workbook, out)  # once it is done, the name is free
    assert (out / "t" / "manifest.json").exists()


def test_partial_folders_of_killed_runs_are_cleaned(workbook, tmp_path, capsys):
    from filelock import FileLock

    out = tmp_path / "outputs"
    for stale in (".t.partial-99999-1", ".other.partial-99999-1", ".busy.partial-99999-1"):
        (out / stale / "01_first").mkdir(parents=True)
    with FileLock(out / ".busy.lock", timeout=0):  # "busy" is still running elsewhere: kept
        _run(workbook, out)
    names = {p.name for p in out.iterdir() if p.is_dir()}
    assert names == {"t", ".busy.partial-99999-1"}
    assert "removed .t.partial-99999-1" in capsys.readouterr().err


def test_output_folder_that_is_a_file_or_cannot_be_written(workbook, tmp_path):
    a_file = tmp_path / "outputs"
    a_file.write_text("not a folder", encoding="utf-8")
    with pytest.raises(InputError, match="is a file, not a folder"):
        _run(workbook, a_file)
    with pytest.raises(InputError, match="cannot create the output folder"):
        _run(workbook, a_file / "below")
    assert a_file.read_text(encoding="utf-8") == "not a folder"


def test_immutable_output_folder_is_a_clear_error(workbook, tmp_path):
    import shutil
    import subprocess

    out = tmp_path / "frozen"
    out.mkdir()
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(out)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available on this file system")
    try:
        with pytest.raises(InputError, match="cannot write in the output folder"):
            _run(workbook, out)
    finally:
        subprocess.run(["chattr", "-i", str(out)], check=True)


def test_read_only_output_folder_is_a_clear_error(workbook, tmp_path):
    import os
    import stat

    out = tmp_path / "readonly"
    out.mkdir()
    out.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(out, os.W_OK):
            pytest.skip("running with permissions that ignore read-only folders (root)")
        with pytest.raises(InputError, match="cannot write in the output folder"):
            _run(workbook, out)
    finally:
        out.chmod(stat.S_IRWXU)


def _fake_run(names, seconds, fail=(), jobs=2, stop_on_error=False, expected=None):
    """run_in_parallel over fake notebooks that sleep: the order they started and ended in, each
    notebook's status and its (start, end) times."""
    import threading
    import time
    from pathlib import Path

    from crmlib.runner import NotebookResult, run_in_parallel

    started, ended, lock = [], [], threading.Lock()
    clock = {}

    def execute(notebook):
        with lock:
            started.append(notebook.stem)
            clock[notebook.stem, "start"] = time.perf_counter()
        time.sleep(seconds[notebook.stem])
        with lock:
            ended.append(notebook.stem)
            clock[notebook.stem, "end"] = time.perf_counter()
        return NotebookResult(notebook.stem, "failed" if notebook.stem in fail else "ok")

    outcomes = run_in_parallel([Path(f"{n}.ipynb") for n in names], execute, jobs=jobs, stop_on_error=stop_on_error,
                               expected_seconds=expected)
    return started, ended, {nb.stem: o.status for nb, o in outcomes.items()}, clock


NAMES = ["01_data_profiling", "02_rfm_segmentation", "03_kmeans_clustering", "04_churn_prediction",
         "05_ltv_scenarios"]


def test_parallel_run_starts_ltv_only_after_the_segments_it_reads():
    seconds = {"01_data_profiling": 0.05, "02_rfm_segmentation": 0.2, "03_kmeans_clustering": 0.4,
               "04_churn_prediction": 0.05, "05_ltv_scenarios": 0.05}
    started, ended, status, clock = _fake_run(NAMES, seconds)
    assert started[:2] == ["02_rfm_segmentation", "03_kmeans_clustering"]  # the ones 05 reads go first
    # 02 ends first: its slot goes to 01 and then 04 while 03 runs; 05 starts only once 03 has ended
    assert started.index("05_ltv_scenarios") > started.index("01_data_profiling")
    assert clock["05_ltv_scenarios", "start"] >= max(clock["02_rfm_segmentation", "end"],
                                                     clock["03_kmeans_clustering", "end"])
    assert set(status.values()) == {"ok"} and len(status) == 5


def test_with_the_previous_runs_seconds_the_longest_independent_notebook_starts_first():
    # the 10-million-line run's seconds (BENCHMARKS.md) over 330: churn takes seven times profiling's
    seconds = {"01_data_profiling": 0.135, "02_rfm_segmentation": 0.255, "03_kmeans_clustering": 0.40,
               "04_churn_prediction": 0.95, "05_ltv_scenarios": 0.74}
    started, _, _, clock = _fake_run(NAMES, seconds, expected=seconds)
    assert set(started[:2]) == {"02_rfm_segmentation", "03_kmeans_clustering"}  # 05 reads them
    assert started[2:] == ["04_churn_prediction", "05_ltv_scenarios", "01_data_profiling"]
    with_previous = max(clock[n, "end"] for n in NAMES) - min(clock[n, "start"] for n in NAMES)
    started, _, _, clock = _fake_run(NAMES, seconds)  # no previous run: profiling before churn
    assert started.index("01_data_profiling") < started.index("04_churn_prediction")
    without = max(clock[n, "end"] for n in NAMES) - min(clock[n, "start"] for n in NAMES)
    assert with_previous < without - 0.03  # 1.28 s against 1.35 s planned


def test_one_job_runs_in_number_order_and_stop_on_error_stops_at_the_first_failure():
    seconds = dict.fromkeys(NAMES, 0.01)
    started, _, status, _ = _fake_run(NAMES, seconds, jobs=1)
    assert started == NAMES
    started, _, status, _ = _fake_run(NAMES, seconds, fail={"02_rfm_segmentation"}, jobs=2, stop_on_error=True)
    assert started == NAMES[:2]  # one at a time, whatever `jobs` says
    assert status["02_rfm_segmentation"] == "failed"
    assert status["01_data_profiling"] == "ok" and {status[n] for n in NAMES[2:]} == {"skipped"}


def test_jobs_option_is_checked(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", "--jobs", "0", "--quiet"])
    assert stop.value.code == 2 and "--jobs" in capsys.readouterr().err


def test_side_by_side_notebooks_run_in_the_notebooks_folder_and_leave_the_callers_folder_alone(tmp_path,
                                                                                                monkeypatch):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    body = ("import json, os, pathlib, time\ntime.sleep({})\n"
            "pathlib.Path(output_dir, 'results.json').write_text(json.dumps({{'cwd': os.getcwd()}}))")
    for name, seconds in (("01_a", 0.1), ("02_b", 3), ("03_c", 0.1)):  # the first to start ends first
        make_notebook(folder, name, body.format(seconds))
    caller = tmp_path / "elsewhere"
    caller.mkdir()
    monkeypatch.chdir(caller)
    result = run_workbook({}, out_root=tmp_path / "out", progress=False, notebooks_dir=folder, jobs=2)
    assert result.ok, result.notebooks
    assert os.getcwd() == str(caller)
    for name in ("01_a", "02_b", "03_c"):
        recorded = json.loads((result.run_dir / name / "results.json").read_text())["cwd"]
        assert os.path.realpath(recorded) == os.path.realpath(folder)
