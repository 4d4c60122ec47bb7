"""Notebook 04's default cutoffs on ordinary exports: an export ending before ``as_of_date``
still gets a valid backtest; a history shorter than two horizons is said in words and the
notebook completes (the bundled 200-customer synth, generated here)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from crmlib import churn
from crmlib.present import churn_text
from crmlib.data import load_data
from crmlib.io import InputError
from crmlib.params import load_params
from crmlib.paths import PROJECT_ROOT
from crmlib.runner import run_workbook
from crmlib.synth import write_sample

AS_OF = "2024-12-31"


@pytest.fixture(scope="module")
def synth200(tmp_path_factory):
    """`crm synth --customers 200` and two cuts of its transactions export (the raw text lines,
    so the files stay the export the synth writes): ending 2024-12-29, and its last 4 months."""
    folder = tmp_path_factory.mktemp("synth200")
    written = write_sample(folder, n_customers=200, seed=7)
    raw = written["transactions"].read_bytes().decode("utf-8-sig")
    header, *lines = raw.splitlines(keepends=True)
    day = pd.to_datetime([line.split(";")[2] if line.count(";") > 2 else "" for line in lines],
                         format="%d/%m/%Y %H:%M", errors="coerce")
    unreadable = day.isna()  # the synth's messy lines: kept, validation quarantines them
    cuts = {"before_as_of": unreadable | (day < pd.Timestamp("2024-12-30")),
            "four_months": unreadable | (day >= pd.Timestamp("2024-09-01"))}
    files = {}
    for name, keep in cuts.items():
        files[name] = folder / f"{name}.csv"
        files[name].write_bytes(("\ufeff" + header + "".join(l for l, k in zip(lines, keep) if k)).encode("utf-8"))
    return written, files


def history_of(path):
    params = load_params(PROJECT_ROOT / "params" / "sample.yaml", [])
    data = load_data(path, columns=params["columns"], dayfirst=True, decimal=",", as_of_date=AS_OF)
    return churn.purchase_history(data.transactions)


def test_export_ending_before_as_of_date_gets_a_valid_backtest(synth200):
    _, files = synth200
    history = history_of(files["before_as_of"])
    old = churn.backtest_cutoffs(AS_OF, 90, 4, 90)  # counted from as_of_date: past the data
    with pytest.raises(InputError, match="runs past the last transaction"):
        churn.run_backtest(history, old, 90, bgnbd=False)
    plan = churn.plan_backtest(history, AS_OF, 90, 4, 90)
    last = plan.last_day
    assert last == pd.Timestamp("2024-12-29") and plan.enough
    assert plan.cutoffs[-1] == last - pd.Timedelta(days=90)
    assert [b - a for a, b in zip(plan.cutoffs, plan.cutoffs[1:])] == [pd.Timedelta(days=90)] * 3
    result = churn.run_backtest(history, plan.cutoffs, 90, bgnbd=False)
    assert result.test_cutoff == plan.cutoffs[-1] and len(result.train) > 0
    # explicit cutoffs are the user's: a window past the data stays an error naming the fix
    explicit = churn.plan_backtest(history, AS_OF, 90, cutoffs=["2024-07-01", "2024-10-15"])
    assert explicit.cutoffs == [pd.Timestamp("2024-07-01"), pd.Timestamp("2024-10-15")]
    with pytest.raises(InputError, match="churn_horizon_days"):
        churn.run_backtest(history, explicit.cutoffs, 90, bgnbd=False)


def test_history_shorter_than_two_horizons_is_said_in_words(synth200):
    _, files = synth200
    plan = churn.plan_backtest(history_of(files["four_months"]), AS_OF, 90, 4, 90)
    assert not plan.enough and plan.needed_days == 181
    assert (plan.first_day, plan.last_day) == (pd.Timestamp("2024-09-01"), pd.Timestamp("2024-12-31"))
    assert "The export covers 121 days (Sep 1, 2024 to Dec 31, 2024)" in churn_text.history_note(plan, "en")
    assert "at least 181 days" in churn_text.history_note(plan, "en")
    assert "Ekspor mencakup 121 hari" in churn_text.history_note(plan, "id")


def test_survival_view_of_a_small_base_falls_back_to_one_curve(synth200):
    from crmlib.churn import survival
    _, files = synth200
    durations = survival.churn_durations(history_of(files["four_months"]), AS_OF, 90)
    assert 30 <= len(durations) < 90  # every first-spend tercile below the 30-customer minimum
    curves, summary = survival.kaplan_meier(durations, survival.segments(durations, None))
    assert list(curves.columns) == ["all"] and summary["customers"].tolist() == [len(durations)]


@pytest.mark.parametrize("cut, lang", [("before_as_of", "en"), ("four_months", "id")])
def test_notebook_04_completes_with_its_defaults(synth200, tmp_path, cut, lang):
    written, files = synth200
    params = load_params(PROJECT_ROOT / "params" / "sample.yaml",
                         [f"transactions={files[cut]}", f"customers={written['customers']}", f"lang={lang}",
                          f"run_name=synth_{cut}"])
    result = run_workbook(params, only=["04"], out_root=tmp_path, progress=False)
    assert result.ok, result.notebooks
    folder = result.run_dir / "04_churn_prediction"
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    html = (folder / "report.html").read_text(encoding="utf-8")
    if cut == "before_as_of":
        assert results["test_cutoff"] == "2024-09-30" and len(results["cutoffs"]) == 4
        assert results["population"] > 0 and "churn_scores.csv" in {p.name for p in folder.iterdir()}
    else:
        assert results["backtest"] is None and results["needed_days"] == 181
        assert "Riwayat belum cukup untuk uji churn" in html and "121 hari" in html
