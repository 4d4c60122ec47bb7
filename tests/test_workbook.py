"""The whole workbook on the bundled sample, end to end (what `make report` runs)."""
from __future__ import annotations

import json

from crmlib.paths import SAMPLE_DIR
from crmlib.notebook_params import discover_notebooks


def test_every_notebook_runs_and_is_linked(sample_run):
    failed = [nb.error for nb in sample_run.notebooks if nb.status != "ok"]
    assert failed == []
    names = [nb.stem for nb in discover_notebooks()]
    assert [nb.name for nb in sample_run.notebooks] == names
    index = (sample_run.run_dir / "index.html").read_text(encoding="utf-8")
    for name in names:
        folder = sample_run.run_dir / name
        assert f"{name}/report.html" in index
        assert (folder / "report.html").stat().st_size > 10_000
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        assert results, f"{name} wrote an empty results.json"


def test_validation_reconciles_with_the_sample_truth(sample_run):
    report = json.loads((sample_run.run_dir / "validation" / "validation.json").read_text(encoding="utf-8"))
    assert report["rows_in"] == report["rows_kept"] + report["rows_rejected"]
    truth = json.loads((SAMPLE_DIR / "truth.json").read_text(encoding="utf-8"))
    dirt = truth["injected_dirt"]["transactions"]
    lines = (SAMPLE_DIR / "transactions.csv").read_text(encoding="utf-8-sig").splitlines()
    assert report["rows_in"] == len(lines) - 1
    assert report["rejected_by_reason"] == {
        "missing customer id": dirt["missing_customer_id"], "unparseable date": dirt["bad_date"],
        "unparseable amount": dirt["bad_amount"], "cancelled order": dirt["cancelled"],
        "exact duplicate line": dirt["duplicate_line"], "future date": dirt["future_date"]}
    assert report["returns_kept"] == dirt["returned"]


def test_reports_hide_code_and_contact_data(sample_run):
    import re
    phone = re.compile(r"(?:\+62|\b0)8\d{8,11}\b")
    email = re.compile(r"[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9-]+\.[A-Za-z.]{2,}")
    for name in [nb.name for nb in sample_run.notebooks]:
        html = (sample_run.run_dir / name / "report.html").read_text(encoding="utf-8")
        assert "load_data(" not in html, f"{name}: code visible in the report"
        assert not phone.findall(html), f"{name}: raw phone numbers in the report"
        assert not email.findall(html), f"{name}: raw emails in the report"


def test_no_report_shows_a_machine_path(sample_run):
    """Issue 10 §1.4: report 03 showed a PosixPath of the temporary run folder."""
    from crmlib import paths

    machine = [str(sample_run.run_dir.parent), str(paths.PROJECT_ROOT), ".partial-", "PosixPath", "WindowsPath"]
    pages = sorted(sample_run.run_dir.glob("*/report.html")) + [sample_run.run_dir / "index.html"]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        shown = [m for m in machine if m in text]
        assert not shown, f"{page.parent.name}/{page.name} shows {shown}"
    for notebook in sorted(sample_run.run_dir.glob("*/notebook.ipynb")):  # what a consultant opens in JupyterLab
        outputs = json.dumps([cell.get("outputs", []) for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]])
        shown = [m for m in ("PosixPath", "WindowsPath") if m in outputs]
        assert not shown, f"{notebook.parent.name}/notebook.ipynb shows {shown} in its outputs"


def test_same_inputs_give_the_same_bytes(sample_run, tmp_path, sample_params_file):
    """Re-running a notebook with the same data and parameters reproduces every file it hands
    over (results, tables, XLSX, the HTML report) byte for byte."""
    from crmlib.params import load_params
    from crmlib.runner import run_workbook

    again = run_workbook(load_params(sample_params_file), only=["02"], out_root=tmp_path, progress=False)
    first, second = sample_run.run_dir / "02_rfm_segmentation", again.run_dir / "02_rfm_segmentation"
    def files(folder):
        return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                      if p.is_file() and p.name != "notebook.ipynb")

    names = files(first)
    assert names == files(second)
    assert "results.json" in names and "campaign_lists.xlsx" in names
    for name in names:  # XLSX packages included: no clock in them
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    for name in ("clean_transactions.csv", "rejected_rows.csv", "validation.json"):
        assert (sample_run.run_dir / "validation" / name).read_bytes() == \
            (again.run_dir / "validation" / name).read_bytes()
