"""Validate once: a stored validation is the same result, reused only for the same bytes and settings."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from crmlib import paths, validated
from crmlib.data import load_data
from crmlib.validate import load_transactions

SAMPLE = paths.SAMPLE_DIR / "transactions.csv"
OPTIONS = dict(columns=None, dayfirst=None, decimal=None, delimiter=None, as_of_date="2024-12-31",
               returns_policy="net", cancel_order_prefix=None)


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(validated.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(validated.RUN_DIR_ENV, raising=False)


def counting(path, options):
    calls = []

    def validate():
        calls.append(1)
        return load_transactions(path, **options)
    return validate, calls


def assert_same(a, b):
    pd.testing.assert_frame_equal(a.transactions, b.transactions, check_exact=True)
    pd.testing.assert_frame_equal(a.rejected, b.rejected, check_exact=True)
    assert a.report == b.report


def test_second_load_reads_the_stored_result_and_it_is_identical(tmp_path):
    export = tmp_path / "t.csv"
    shutil.copy(SAMPLE, export)
    validate, calls = counting(export, OPTIONS)
    first = validated.cached(export, OPTIONS, validate)
    second = validated.cached(export, OPTIONS, validate)
    assert len(calls) == 1
    assert_same(first, second)
    assert_same(second, load_transactions(export, **OPTIONS))
    assert second.rejected["line"].dtype == "int64" and len(second.rejected) > 0


def test_changed_bytes_or_settings_validate_again(tmp_path):
    export = tmp_path / "t.csv"
    shutil.copy(SAMPLE, export)
    validate, calls = counting(export, OPTIONS)
    validated.cached(export, OPTIONS, validate)
    other = {**OPTIONS, "returns_policy": "quarantine"}
    validate_other, other_calls = counting(export, other)
    assert validated.cached(export, other, validate_other).report["returns_policy"] == "quarantine"
    assert len(other_calls) == 1
    lines = export.read_text(encoding="utf-8").splitlines(keepends=True)
    export.write_text("".join(lines[:-1]), encoding="utf-8")  # the client re-exported: one line fewer
    again = validated.cached(export, OPTIONS, validate)
    assert len(calls) == 2
    assert again.report["rows_in"] == len(lines) - 2


def test_a_run_folder_is_used_when_set_and_keyed_by_the_input(tmp_path, monkeypatch):
    run_dir = tmp_path / "run" / "validation"
    monkeypatch.setenv(validated.RUN_DIR_ENV, str(run_dir))
    (run_dir).mkdir(parents=True)
    (run_dir / "rejected_rows.csv").write_text("kept by the runner\n", encoding="utf-8")
    data = load_data(SAMPLE, as_of_date="2024-12-31")
    key = validated.stored_key(run_dir)
    assert key is not None and (run_dir / validated.TRANSACTIONS_FILE).is_file()
    assert (run_dir / "rejected_rows.csv").read_text(encoding="utf-8") == "kept by the runner\n"
    assert not (tmp_path / "cache").exists()  # nothing in the interactive cache during a run
    fetched = validated.fetch_tables(run_dir, key)
    assert_same(fetched.result(arrow_text=True), data.validation)   # load_data's text columns are Arrow
    assert data.transactions["customer_id"].dtype == "string[pyarrow]"
    assert_same(validated.fetch(run_dir, key), fetched.result())   # the canonical frame: Python objects
    assert fetched.result().transactions["customer_id"].dtype == object
    assert validated.fetch(run_dir, "0" * 64) is None


def test_a_folder_is_never_trusted_for_another_key(tmp_path):
    export = tmp_path / "t.csv"
    shutil.copy(SAMPLE, export)
    result = load_transactions(export, **OPTIONS)
    validated.store(result, tmp_path / "stored", "a" * 64)
    assert validated.fetch(tmp_path / "stored", "b" * 64) is None
    assert validated.fetch(tmp_path / "nothing", "a" * 64) is None


def test_a_missing_file_still_gives_the_readers_error(tmp_path):
    from crmlib.io import InputError
    with pytest.raises(InputError, match="not found"):
        load_data(tmp_path / "missing.csv")


def test_a_run_validates_once_and_every_notebook_reads_that(tmp_path):
    import json

    import nbformat

    from crmlib.runner import run_workbook

    folder = tmp_path / "notebooks"
    folder.mkdir()
    body = ("import json, os, pathlib\n"
            "from crmlib import validated\n"
            "from crmlib.data import load_data\n"
            "options = dict(columns=None, dayfirst=None, decimal=None, delimiter=None, as_of_date=as_of_date, encoding=None,\n"
            "               returns_policy='net', cancel_order_prefix=None, engine='duckdb')\n"
            "key = validated.validation_key(transactions, options)\n"
            "stored = validated.fetch(os.environ[validated.RUN_DIR_ENV], key) is not None\n"
            "data = load_data(transactions, as_of_date=as_of_date)\n"
            "pathlib.Path(output_dir).mkdir(parents=True, exist_ok=True)\n"
            "pathlib.Path(output_dir, 'results.json').write_text(json.dumps(\n"
            "    {'stored': stored, 'rows': len(data.transactions)}))\n")
    for name in ("01_a", "02_b"):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(
            f'run_name = "t"\ntransactions = "{SAMPLE.as_posix()}"\nas_of_date = "2024-12-31"\n'
            'output_dir = "out"\n', metadata={"tags": ["parameters"]}), nbformat.v4.new_code_cell(body)]
        nbformat.write(nb, folder / f"{name}.ipynb")
    result = run_workbook({}, out_root=tmp_path / "outputs", progress=False, notebooks_dir=folder)
    assert result.ok, result.notebooks
    run = tmp_path / "outputs" / "t"
    expected = load_transactions(SAMPLE, **OPTIONS)
    for name in ("01_a", "02_b"):
        assert json.loads((run / name / "results.json").read_text()) == {
            "stored": True, "rows": expected.report["rows_kept"]}
    stored = validated.fetch(run / "validation", validated.stored_key(run / "validation"))
    assert_same(stored, expected)
    assert (run / "validation" / "rejected_rows.csv").is_file()
    assert validated.RUN_DIR_ENV not in __import__("os").environ
