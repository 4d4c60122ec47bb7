"""Progress of a run: counts per stage and an ETA weighted by the last run's timings."""
from __future__ import annotations

import json

from crmlib.progress import RunProgress, counts, previous_seconds


def test_counts_and_previous_timings(tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"n_customers": 1200, "models": {"bgnbd": {"params": {}},
                                                                  "pareto_nbd": {"error": "not identified"}}}))
    assert counts(results) == "1,200 customers, 1 of 2 models fitted"
    assert counts(tmp_path / "missing.json") == ""
    (tmp_path / "manifest.json").write_text(json.dumps({"notebooks": [
        {"name": "01_a", "status": "ok", "seconds": 3.0}, {"name": "02_b", "status": "failed", "seconds": 1.0}]}))
    assert previous_seconds(tmp_path) == {"01_a": 3.0}
    assert previous_seconds(tmp_path / "none") == {}


def test_stages_are_reported_with_counts_and_an_eta(tmp_path, capsys):
    stages = RunProgress(True, ["01_a", "02_b"], {"01_a": 30.0})
    export = tmp_path / "t.csv"
    export.write_text("x\n")
    stages.validating(export)
    stages.validated({"rows_in": 1500, "rows_kept": 1400, "rows_rejected": 100, "customers_kept": 90})
    assert stages.bar.total == 60.0  # a notebook without a timing weighs the average of the others
    stages.starting(1, 2, "01_a")
    stages.finished("01_a", "ok", 2.0, tmp_path / "none.json")
    assert stages.bar.n == 30.0
    stages.close()
    err = capsys.readouterr().err
    assert "1,500 lines validated" in err and "1,400 kept + 100 quarantined; 90 customers" in err
    assert "01_a: ok in 2.0 s" in err and "ETA" in err
