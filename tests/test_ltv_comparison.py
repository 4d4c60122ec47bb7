"""Model comparison: information criteria by definition, holdout errors on a known table,
and the choice on CDNOW."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.ltv import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel
from crmlib.ltv.comparison import choose_model, compare_models, holdout_errors
from test_ltv_models import (PUBLISHED_BGNBD_LL, PUBLISHED_HOLDOUT_ACTUAL, PUBLISHED_HOLDOUT_BGNBD,  # noqa: F401
                             PUBLISHED_PARETO_LL, cdnow)


def test_holdout_errors_on_a_hand_made_table():
    x = np.array([0, 0, 1, 1, 9])
    actual = np.array([0, 1, 1, 3, 10])
    predicted = np.array([0.5, 0.5, 1.0, 1.0, 8.0])
    errors = holdout_errors(x, actual, predicted)
    # buckets: 0 -> 0.5 vs 0.5, 1 -> 1 vs 2, 7+ -> 8 vs 10
    assert errors["holdout_mae"] == pytest.approx((0 + 1 + 2) / 3)
    assert errors["holdout_bias"] == pytest.approx(11 / 15 - 1)
    assert errors["customer_mae"] == pytest.approx((0.5 + 0.5 + 0 + 2 + 2) / 5)


def holdout_errors_sizes(cdnow):
    return np.bincount(np.minimum(cdnow["frequency"].to_numpy(int), 7), minlength=8)


def test_cdnow_comparison_table(cdnow):
    models = {"bgnbd": BetaGeoModel().fit(cdnow), "mbgnbd": ModifiedBetaGeoModel().fit(cdnow),
              "pareto_nbd": ParetoNBDModel().fit(cdnow)}
    table = compare_models(models, cdnow["frequency"], cdnow["recency"], cdnow["T"],
                           cdnow["holdout_frequency"], cdnow["holdout_length"])
    assert table.index.tolist() == ["bgnbd", "mbgnbd", "pareto_nbd"]
    assert table.loc["bgnbd", "loglik"] == pytest.approx(PUBLISHED_BGNBD_LL, abs=0.05)
    assert table.loc["pareto_nbd", "loglik"] == pytest.approx(PUBLISHED_PARETO_LL, abs=0.05)
    assert table.loc["bgnbd", "aic"] == pytest.approx(8 - 2 * table.loc["bgnbd", "loglik"])
    assert table.loc["bgnbd", "bic"] == pytest.approx(4 * np.log(2357) - 2 * table.loc["bgnbd", "loglik"])
    # the bucket MAE of FHL (2005) figure 4's published BG/NBD column
    published = np.abs(np.subtract(PUBLISHED_HOLDOUT_BGNBD, PUBLISHED_HOLDOUT_ACTUAL)).mean()
    assert table.loc["bgnbd", "holdout_mae"] == pytest.approx(published, abs=0.001)
    assert table.loc["bgnbd", "holdout_actual"] == cdnow["holdout_frequency"].sum()
    # ... and the bias of the total implied by that published column and the bucket sizes
    sizes = holdout_errors_sizes(cdnow)
    implied = sizes @ np.array(PUBLISHED_HOLDOUT_BGNBD) / (sizes @ np.array(PUBLISHED_HOLDOUT_ACTUAL)) - 1
    assert table.loc["bgnbd", "holdout_bias"] == pytest.approx(implied, abs=0.002)
    name, reason = choose_model(table)
    assert name in table.index and reason in {"holdout", "bic", "default"}
    assert choose_model(table, ["pareto_nbd"]) == ("pareto_nbd", "only")


def test_choice_prefers_lower_bic_when_holdout_errors_tie():
    table = pd.DataFrame({"holdout_mae": [0.100, 0.102, 0.3], "bic": [10.0, 5.0, 1.0]},
                         index=["a", "b", "c"])
    assert choose_model(table) == ("b", "bic")  # BIC lower by 5: positive evidence
    table.loc["b", "bic"] = 9.0
    assert choose_model(table) == ("a", "default")  # lower by 1 only: the default stays
    table.loc["a", "holdout_mae"] = 0.05
    assert choose_model(table) == ("a", "holdout")


def test_fit_comparison_on_a_btyd_summary(cdnow):
    from crmlib.ltv.comparison import fit_comparison, model_results
    calibration = cdnow.rename(columns={"holdout_frequency": "frequency_holdout",
                                        "holdout_length": "duration_holdout"})
    bg = BetaGeoModel().fit(calibration)
    models, failures, table, chosen, reason = fit_comparison(calibration, {"bgnbd": bg})
    assert list(models) == ["bgnbd", "mbgnbd"] and not failures
    assert table.loc["mbgnbd", "loglik"] == pytest.approx(models["mbgnbd"].loglik_)
    assert chosen in models and reason in {"holdout", "bic", "default"}
    record = model_results(models["mbgnbd"])
    assert set(record) == {"params", "se", "loglik", "n_customers", "converged"}
    assert record["n_customers"] == 2357


def test_clv_uses_the_compared_models_choice(cdnow):
    from crmlib.ltv.fitting import fit_clv
    summary = cdnow.iloc[:800]
    clv = fit_clv(summary, "1997-09-30", n_draws=20, purchase_models=("mbgnbd", "bgnbd"))
    assert clv.model == "mbgnbd" and clv.ok
    assert "mbgnbd" in clv.fits.results() and clv.results()["model"] == "mbgnbd+gamma_gamma"
    from crmlib.present.ltv_text import clv_note
    assert clv.preferred == "mbgnbd"
    assert clv_note(clv, lang="en") == ""  # the preferred model was used: nothing to explain


def test_choice_sentences_both_languages():
    from crmlib.ltv.model_words import choice_sentence
    table = pd.DataFrame({"holdout_mae": [0.100, 0.102], "bic": [10.0, 9.0]}, index=["bgnbd", "mbgnbd"])
    en = choice_sentence(table, "bgnbd", "default", "en")
    assert en.startswith("BG/NBD is the model for the CLV") and "0.100" in en
    idn = choice_sentence(table, "mbgnbd", "holdout", "id")
    assert idn.startswith("MBG/NBD dipakai untuk CLV") and "0,102" in idn and "BG/NBD" in idn


def test_model_suite_on_the_bundled_sample():
    from crmlib import paths
    from crmlib.data import load_data
    from crmlib.ltv.fitting import fit_models
    from crmlib.ltv.model_suite import fit_model_suite
    from crmlib.ltv.split import calibration_split
    from crmlib.summary import btyd_summary
    sample = paths.PROJECT_ROOT / "data" / "sample"
    data = load_data(sample / "transactions.csv", sample / "customers.csv", as_of_date="2024-12-31",
                     dayfirst=True, decimal=",")
    cal_end, obs_end = calibration_split(data.transactions, None, "2024-12-31", "W")
    calibration = btyd_summary(data.transactions, cal_end, obs_end, "W").query("T > 0")
    full = btyd_summary(data.transactions, obs_end, None, "W").query("T > 0")
    fits = fit_models(calibration, "W")
    suite = fit_model_suite(data.transactions, data.customers, calibration, full, fits.purchase, obs_end, "W",
                            covariates=["signup_channel", "gender"], opportunities="quarter")
    assert set(suite.models) == {"mbgnbd", "bgnbd_covariates", "bgbb", "gamma_gamma_individual"}
    assert suite.comparison.index.tolist() == ["bgnbd", "pareto_nbd", "mbgnbd"]
    assert suite.chosen in suite.comparison.index
    # the sample is drawn without covariate effects: the LR test must not find any
    assert suite.covariate_model.likelihood_ratio_test()["p_value"] > 0.01
    assert suite.covariate_model.likelihood_ratio_test()["df"] == 2 * suite.design.matrix.shape[1]
    assert suite.opportunities["n_periods"].max() <= 7
    results = suite.results()
    assert set(results) == {"models", "model_comparison"} and "effects" in results["models"]["bgnbd_covariates"]
    # the individual-amount spend fit agrees with the classic one within its SEs
    for name in ("p", "q"):
        assert abs(suite.models["gamma_gamma_individual"].params_[name] - fits.spend.params_[name]) < 2 * fits.spend.se_[name]
