"""Models the data cannot identify: recorded as failures, with an honest fallback (crmlib.ltv.fitting)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.i18n import t
from crmlib.ltv import BetaGeoModel, ModelIdentificationError, ParetoNBDModel, simulate_bgnbd
from crmlib.ltv.fitting import SCENARIO, fit_clv, fit_models
from crmlib.present.ltv_text import clv_method_text, clv_note, holdout_sentence, model_notes


def _summary(frequency, recency, T, spend=None) -> pd.DataFrame:
    frequency = np.asarray(frequency, float)
    spend = np.where(frequency > 0, 50.0, 0.0) if spend is None else np.asarray(spend, float)
    return pd.DataFrame({"frequency": frequency, "recency": np.asarray(recency, float),
                         "T": np.asarray(T, float), "monetary_value": spend},
                        index=pd.Index([f"c{i:04d}" for i in range(len(frequency))], name="customer_id"))


def _no_dropout_base(n=600, seed=3) -> pd.DataFrame:
    """Customers who never leave: Poisson buyers (Gamma rates) watched for 30-52 weeks.

    Nothing in such data tells dropout apart, so BG/NBD's likelihood keeps rising as its
    dropout probability p ~ Beta(a, b) goes to 0 (the no-dropout NBD limit).
    """
    rng = np.random.default_rng(seed)
    T = rng.uniform(30, 52, n)
    lam = rng.gamma(2.0, 1 / 4.0, n)            # about 0.5 purchases a week
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        times = np.cumsum(rng.exponential(1 / lam[i], 200))
        times = times[times <= T[i]]
        x[i], t_x[i] = len(times), (times[-1] if len(times) else 0.0)
    spend = np.where(x > 0, rng.gamma(3.0, 20.0, n), 0.0)
    return _summary(x, t_x, T, spend)


@pytest.fixture(scope="module")
def identified() -> pd.DataFrame:
    """A base drawn from BG/NBD with real dropout: every model is identified."""
    base = simulate_bgnbd(300, {"r": 0.8, "alpha": 6.0, "a": 0.8, "b": 2.5}, np.full(300, 52.0), seed=1)
    spend = np.where(base["frequency"] > 0, np.random.default_rng(0).gamma(3.0, 20.0, len(base)), 0.0)
    return _summary(base["frequency"], base["recency"], base["T"], spend)


def test_no_repeat_purchases_fail_every_model_and_clv_falls_back_to_the_scenario():
    data = _summary(np.zeros(200), np.zeros(200), np.linspace(5, 50, 200))
    fits = fit_models(data, "W")
    assert fits.models == {}
    assert set(fits.failures) == {"bgnbd", "pareto_nbd", "gamma_gamma"}
    assert "repeat purchase" in fits.failures["bgnbd"]
    results = fits.results()
    assert results["bgnbd"] == {"error": fits.failures["bgnbd"]}
    assert fits.parameter_table().empty and fits.logliks() == {}
    clv = fit_clv(data, pd.Timestamp("2024-12-31"), "W")
    assert not clv.ok and clv.table is None and clv.model == SCENARIO
    out = clv.results(scenario_ltv=123.0)
    assert out["model"] == SCENARIO and out["total"] is None and out["scenario_ltv"] == 123.0
    assert set(out["failures"]) == {"bgnbd", "pareto_nbd", "gamma_gamma"}
    for lang in ("en", "id"):
        note = clv_note(clv, fits, lang)
        assert "BG/NBD" in note and "Pareto/NBD" in note and "Gamma-Gamma" in note
        assert t("ltv_note_clv_scenario", lang, missing="")[:15] in note


def test_bgnbd_runs_off_on_data_without_dropout():
    """The fitter's error is right: on no-dropout data a, b run off the box (not weakened here)."""
    data = _no_dropout_base()
    with pytest.raises(ModelIdentificationError, match="runs off"):
        BetaGeoModel().fit(data)


def test_failed_bgnbd_is_recorded_with_its_reason():
    data = _no_dropout_base()
    fits = fit_models(data, "W", names=("bgnbd", "gamma_gamma"))
    assert set(fits.failures) == {"bgnbd"} and "runs off" in fits.failures["bgnbd"]
    assert list(fits.models) == ["gamma_gamma"] and fits.purchase == {}
    assert fits.results()["bgnbd"] == {"error": fits.failures["bgnbd"]}
    assert set(fits.results()["gamma_gamma"]) == {"params", "loglik", "se"}
    for lang in ("en", "id"):
        note = model_notes(fits, "calibration", lang)
        assert note.startswith(f"**{t('ltv_series_bgnbd', lang)}") and t("ltv_fit_on_calibration", lang) in note
        assert fits.failures["bgnbd"] not in note               # the technical reason is for the appendix
        detail = model_notes(fits, "calibration", lang, detail=True)
        assert fits.failures["bgnbd"] in detail and t("ltv_series_bgnbd", lang) in detail


@pytest.fixture(scope="module")
def pareto_identified() -> pd.DataFrame:
    """A base drawn from Pareto/NBD (the CDNOW estimates): Pareto/NBD is identified. (On a
    BG/NBD base its dropout shape s runs off to infinity, the exponential-lifetime limit.)"""
    from crmlib.ltv.simulate import simulate_pareto_nbd
    base = simulate_pareto_nbd(300, {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7}, np.full(300, 52.0),
                               seed=1)
    spend = np.where(base["frequency"] > 0, np.random.default_rng(0).gamma(3.0, 20.0, len(base)), 0.0)
    return _summary(base["frequency"], base["recency"], base["T"], spend)


def test_clv_falls_back_to_pareto_nbd_when_bgnbd_fails(pareto_identified, monkeypatch):
    identified = pareto_identified
    def refuse(self, *args, **kwargs):
        raise ModelIdentificationError("stand-in: BG/NBD not identified")
    monkeypatch.setattr(BetaGeoModel, "fit", refuse)
    clv = fit_clv(identified, pd.Timestamp("2024-12-31"), "W", n_draws=10)
    assert clv.ok and clv.model == "pareto_nbd"
    assert clv.fits.failures == {"bgnbd": "stand-in: BG/NBD not identified"}
    model = clv.fits.models["pareto_nbd"]
    assert isinstance(model, ParetoNBDModel) and model.converged_
    out = clv.results()
    assert out["model"] == "pareto_nbd+gamma_gamma" and out["failures"]["bgnbd"]["error"].startswith("stand-in")
    assert set(out["params"]) == {"pareto_nbd", "gamma_gamma"}
    assert out["total"] == pytest.approx(clv.table["clv"].sum()) and len(clv.table) == len(identified)
    assert (clv.table["clv"] > 0).all()
    note = clv_note(clv, None, "en")
    assert t("ltv_note_model_failed", "en", model="BG/NBD", period=t("ltv_fit_on_full", "en"),
             reason="stand-in: BG/NBD not identified") in note
    assert t("ltv_note_clv_model", "en", model="Pareto/NBD", preferred="BG/NBD") in note


def test_clv_method_names_the_model_used_and_the_settings_figures(pareto_identified):
    """The appendix names the model the CLV came from (here the comparison chose Pareto/NBD)
    and gives the horizon, margin, discount rate and number of draws as figures."""
    clv = fit_clv(pareto_identified, pd.Timestamp("2024-12-31"), "W", n_draws=10,
                  purchase_models=("pareto_nbd", "bgnbd"))
    assert clv.ok and clv.model == "pareto_nbd" and clv.band_method == "draws"
    english = clv_method_text(clv, 18, 0.25, 0.125, 10, "en")
    assert "Pareto/NBD expected purchases" in english and "BG/NBD" not in english
    for figure in ("next 18 months", "margin of 25%", "12.5% a year", "from 10 parameter draws"):
        assert figure in english
    indonesian = clv_method_text(clv, 18, 0.25, 0.125, 10, "id")
    assert "pembelian Pareto/NBD" in indonesian and "BG/NBD" not in indonesian
    for figure in ("18 bulan", "margin 25%", "12,5% per tahun", "dari 10 tarikan"):
        assert figure in indonesian


def test_clv_model_not_checked_on_the_holdout_is_flagged(identified):
    """The online-retail case: no purchase model on the calibration period, BG/NBD on the whole history."""
    calibration_fits = fit_models(_summary(np.zeros(50), np.zeros(50), np.linspace(5, 50, 50)), "W")
    clv = fit_clv(identified, pd.Timestamp("2024-12-31"), "W", n_draws=10)
    assert clv.ok and clv.model == "bgnbd" and clv.fits.failures == {}
    assert "pareto_nbd" not in clv.fits.models           # not needed once BG/NBD fits
    assert clv_note(clv, calibration_fits, "en") == t("ltv_note_clv_unchecked", "en", model="BG/NBD")
    assert clv_note(clv, fit_models(identified, "W", names=("bgnbd",)), "en") == ""


def test_other_errors_are_not_swallowed():
    bad = _summary([1, 2], [5.0, 1.0], [2.0, 3.0])     # recency > T: bad input, not identification
    with pytest.raises(ValueError, match="recency"):
        fit_models(bad, "W")


def test_holdout_sentence_one_or_both_models():
    both = holdout_sentence(100.0, {"bgnbd": 110.0, "pareto_nbd": 90.0}, 26, "weeks", "en")
    assert "BG/NBD expected 110" in both and "Pareto/NBD 90" in both
    one = holdout_sentence(100.0, {"pareto_nbd": 90.0}, 26, "weeks", "en")
    assert "Pareto/NBD expected 90" in one and "BG/NBD" not in one
    assert "Pareto/NBD memperkirakan 90" in holdout_sentence(100.0, {"pareto_nbd": 90.0}, 26, "minggu", "id")
