"""The `crm` command line answers bad input with a message and exit code 2, never a traceback,
and before any notebook starts."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from crmlib import paths
from crmlib.cli import main
from conftest import require_dataset

SAMPLE = paths.SAMPLE_DIR / "transactions.csv"


@pytest.mark.parametrize("setting, says", [
    ("as_of_date=banana", "`as_of_date`"),
    ("as_of_date=2024-13-45", "`as_of_date`"),
    ("as_of_date=9999-12-31", "`as_of_date`"),
    ("earlier_date=2024-02-30", "`earlier_date`"),
    ("churn_cutoffs=[2024-13-01]", "`churn_cutoffs`"),
    ("lang=fr", '"en" or "id"'),
    ("decimal=x", "`decimal`"),
    ("dayfirst=maybe", "`dayfirst`"),
    ("churn_inactive_days=-5", "from 1 to 3650"),
    ("delimiter=;;", "one character"),
    ("columns=5", "`columns`"),
    ("validation_rules=[1]", "`validation_rules`"),
    ("run_name=[oops", "safe folder name"),
    ("run_name=client/2024", "safe folder name"),
    ("run_name=../data", "safe folder name"),
    ("run_name=" + "x" * 300, "safe folder name"),
    ("currency=<img src=x onerror=alert(1)>", "`currency`"),
    (f"transactions={paths.SAMPLE_DIR}", "is a folder"),
    ("transactions=no_such_export.csv", "not found"),
    ("rfm_bins=1", "`rfm_bins`"),
])
def test_bad_values_are_refused_before_any_notebook(setting, says, tmp_path, capsys):
    out = tmp_path / "outputs"
    assert main(["run", "--quiet", "--out", str(out), "--set", setting]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())  # nothing started


@pytest.mark.parametrize("setting", ["delimiter=|", "columns.amount=Total: Rp"])
def test_documented_values_yaml_cannot_read_are_accepted(setting, tmp_path, capsys):
    """These used to raise a YAML traceback; now they reach the data (a clear error about the
    file, not about the command line)."""
    main(["validate", str(SAMPLE), "--out", str(tmp_path), "--set", setting])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "YAML" not in err


def test_dates_typed_with_or_without_quotes_reach_the_notebooks(tmp_path, capsys):
    params = tmp_path / "p.yaml"
    params.write_text(f"transactions: {SAMPLE.as_posix()}\ncolumns: {{amount: Total (Rp)}}\n"
                      "as_of_date: 2024-12-30\nopening_date: \"2015-03-01\"\n", encoding="utf-8")
    code = main(["run", "--quiet", "--params", str(params), "--only", "01", "--out", str(tmp_path / "o"),
                 "--set", "run_name=dates"])
    assert code == 0, capsys.readouterr().err
    manifest = json.loads((tmp_path / "o" / "dates" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["as_of_date"] == "2024-12-30"
    assert manifest["parameters"]["opening_date"] == "2015-03-01"
    results = json.loads((tmp_path / "o" / "dates" / "01_data_profiling" / "results.json").read_text())
    assert results["as_of_date"] == "2024-12-30"


def test_cdnow_given_only_transactions_runs_without_the_samples_settings(tmp_path, capsys):
    """Issue 10 §3: no params file, only `transactions`: formats detected, no customers file."""
    master = require_dataset("cdnow", "CDNOW_master.txt")
    subset = tmp_path / "cdnow_subset.txt"
    lines = master.read_text(encoding="utf-8").splitlines(keepends=True)
    subset.write_text("".join(lines[:3001]), encoding="utf-8")  # header + the first customers
    code = main(["run", "--quiet", "--only", "01", "--out", str(tmp_path / "o"),
                 "--set", f"transactions={subset}", "--set", "columns.amount=dollar_value",
                 "--set", "currency=USD"])
    assert code == 0, capsys.readouterr().err
    run = tmp_path / "o" / "cdnow_subset"  # run_name from the file's name, not "sample"
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert "customers" not in manifest["inputs"] and manifest["parameters"].get("customers") is None
    assert manifest["inputs"]["transactions"]["file"] == "cdnow_subset.txt"
    validation = json.loads((run / "validation" / "validation.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["as_of_date"] == validation["date_max"][:10] <= "1998-06-30"
    assert manifest["validation"]["rows_kept"] > 0
    assert not (tmp_path / "o" / "sample").exists()


def test_synth_refuses_zero_customers_and_an_existing_export(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["synth", "--customers", "0", "--out", str(tmp_path)])
    assert exit_.value.code == 2 and "outside 1" in capsys.readouterr().err
    assert main(["synth", "--customers", "5", "--out", str(tmp_path)]) == 0
    first = (tmp_path / "transactions.csv").read_bytes()
    (tmp_path / "transactions.csv").write_text("a client's own export", encoding="utf-8")
    assert main(["synth", "--customers", "5", "--out", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (tmp_path / "transactions.csv").read_text(encoding="utf-8") == "a client's own export"
    assert main(["synth", "--customers", "5", "--out", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "transactions.csv").read_bytes() == first


def test_unexpected_errors_are_one_line_not_a_traceback(monkeypatch, tmp_path, capsys):
    import crmlib.runner

    def broken(*args, **kwargs):
        raise RuntimeError("something inside broke")
    monkeypatch.setattr(crmlib.runner, "run_workbook", broken)
    monkeypatch.delenv("CRM_DEBUG", raising=False)
    assert main(["run", "--quiet", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "something inside broke" in err and "Traceback" not in err and "CRM_DEBUG" in err


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_is_a_clean_message_exit_130_and_no_folder_left(tmp_path):
    out = tmp_path / "outputs"
    process = subprocess.Popen([sys.executable, "-m", "crmlib.cli", "run", "--out", str(out),
                                "--params", str(paths.PROJECT_ROOT / "params" / "sample.yaml")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=paths.PROJECT_ROOT)
    deadline = time.time() + 120
    # wait until the notebooks are under way (a Ctrl-C while DuckDB validates can be taken by
    # DuckDB's own interrupt handling, which ends the query but not the run: see the closing note)
    while time.time() < deadline and not list(out.glob(".sample.partial-*/02_rfm_segmentation")):
        time.sleep(0.2)
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not [p for p in out.iterdir() if ".partial" in p.name]
    assert not (out / "sample").exists()
