"""BG/NBD and Pareto/NBD with static covariates: derivatives, recovery of simulated effects
(known gamma) within their SEs, the likelihood-ratio test, and the design matrix."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.ltv import simulate_bgnbd, simulate_pareto_nbd
from crmlib.ltv.covariates import (BetaGeoCovariateModel, ParetoNBDCovariateModel,
                                   covariate_design)
from test_ltv_models import _check_derivatives

GAMMA_PURCHASE = np.array([0.3, -0.4])  # store, marketplace vs web
GAMMA_DROPOUT = np.array([-0.5, 0.6])
TRUE_BGNBD = {"r": 0.6, "alpha": 6.0, "a": 0.8, "b": 2.5}
TRUE_PARETO = {"r": 0.7, "alpha": 8.0, "s": 0.9, "beta": 15.0}


def _simulate(kind, n, seed):
    """Customers of three channels; each channel's parameters scaled by exp(-gamma'z)."""
    rng = np.random.default_rng(seed)
    channel = rng.choice(["web", "store", "marketplace"], n, p=[0.5, 0.3, 0.2])
    T = rng.uniform(10, 60, n)
    frames = []
    for i, level in enumerate(["web", "store", "marketplace"]):
        members = np.flatnonzero(channel == level)
        z = np.array([level == "store", level == "marketplace"], float)
        if kind == "bgnbd":
            params = dict(TRUE_BGNBD, alpha=TRUE_BGNBD["alpha"] * np.exp(-z @ GAMMA_PURCHASE),
                          b=TRUE_BGNBD["b"] * np.exp(-z @ GAMMA_DROPOUT))
            part = simulate_bgnbd(members.size, params, T[members], seed=seed + i)
        else:
            params = dict(TRUE_PARETO, alpha=TRUE_PARETO["alpha"] * np.exp(-z @ GAMMA_PURCHASE),
                          beta=TRUE_PARETO["beta"] * np.exp(-z @ GAMMA_DROPOUT))
            part = simulate_pareto_nbd(members.size, params, T[members], seed=seed + i)
        part.index = members
        frames.append(part)
    summary = pd.concat(frames).sort_index()
    summary.index = [f"C{i:06d}" for i in range(n)]
    customers = pd.DataFrame({"customer_id": summary.index, "channel": channel})
    return summary, customers


@pytest.fixture(scope="module")
def bg_data():
    return _simulate("bgnbd", 30_000, 40)


@pytest.fixture(scope="module")
def bg_fit(bg_data):
    summary, customers = bg_data
    design = covariate_design(customers, ["channel"], summary.index)
    return BetaGeoCovariateModel().fit(summary, covariates=design.matrix), design


def test_design_matrix_dummies_reference_and_bands(bg_data):
    summary, customers = bg_data
    design = covariate_design(customers, ["channel"], summary.index)
    assert design.references == {"channel": "web"}  # the most common level
    assert list(design.matrix.columns) == ["channel=store", "channel=marketplace"]
    assert design.matrix.sum(axis=1).max() == 1.0
    extra = customers.assign(basket=np.arange(len(customers), dtype=float))
    banded = covariate_design(extra, ["basket"], summary.index[:100].tolist() + ["unknown"])
    assert banded.references == {"basket": "Q1"}
    assert banded.matrix.columns.tolist() == ["basket=Q2", "basket=Q3", "basket=Q4", "basket=(missing)"]
    assert banded.matrix.loc["unknown", "basket=(missing)"] == 1.0
    with pytest.raises(ValueError, match="lacks"):
        covariate_design(customers, ["city"], summary.index)
    with pytest.raises(ValueError, match="twice"):
        covariate_design(pd.concat([customers, customers.head(2)]), ["channel"], summary.index)


def test_covariate_likelihood_derivatives(bg_data):
    summary, customers = bg_data
    subset = summary.iloc[:400]
    Z = covariate_design(customers, ["channel"], subset.index).matrix.to_numpy()
    for model, theta in ((BetaGeoCovariateModel(), (0.6, 6.0, 0.8, 2.5, 1.3, 0.7, 0.6, 1.8)),
                         (ParetoNBDCovariateModel(), (0.7, 8.0, 0.9, 15.0, 1.3, 0.7, 0.6, 1.8))):
        x, t_x, T = (subset[c].to_numpy(float) for c in ("frequency", "recency", "T"))
        data = model._group_data(x, t_x, T, np.ones_like(x), Z)
        _check_derivatives(lambda th, d, order: model._loglik(th, d, order), theta, data)


def _assert_effects_recovered(model, n_se=4.0):
    truth = dict(zip(model.param_names[4:], np.exp(np.concatenate([GAMMA_PURCHASE, GAMMA_DROPOUT]))))
    for name, value in truth.items():
        assert abs(model.params_[name] - value) < n_se * model.se_[name], (name, model.params_[name], value)


def test_bgnbd_covariates_recover_simulated_effects(bg_fit):
    model, design = bg_fit
    _assert_effects_recovered(model)
    effects = model.effects().set_index("covariate")
    a, b = model.params_["a"], model.params_["b"]
    g = np.log(model.params_["dropout:channel=marketplace"])
    assert effects.loc["channel=marketplace", "dropout_ratio"] == pytest.approx((a + b) / (a + b * np.exp(-g)))
    assert effects.loc["channel=store", "purchase_ratio"] == pytest.approx(model.params_["purchase:channel=store"])
    assert (effects["dropout_se"] > 0).all()
    test = model.likelihood_ratio_test()
    assert test["df"] == 4 and test["statistic"] > 100 and test["p_value"] < 1e-10


def test_pareto_covariates_recover_simulated_effects():
    summary, customers = _simulate("pareto_nbd", 20_000, 50)
    design = covariate_design(customers, ["channel"], summary.index)
    model = ParetoNBDCovariateModel().fit(summary, covariates=design.matrix)
    _assert_effects_recovered(model)
    effects = model.effects().set_index("covariate")
    assert effects.loc["channel=store", "dropout_ratio"] == pytest.approx(model.params_["dropout:channel=store"])


def test_covariate_predictions_are_the_plain_model_per_group(bg_data, bg_fit):
    model, design = bg_fit
    summary, _ = bg_data
    rows = summary.iloc[:50]
    Z = design.matrix.iloc[:50]
    alive = model.probability_alive(rows["frequency"], rows["recency"], rows["T"], Z)
    params = model.customer_params(Z)
    for i in (0, 7, 31):
        plain = model.base().with_params(params[i])
        assert alive.iloc[i] == pytest.approx(float(plain.probability_alive(*rows.iloc[i][["frequency", "recency", "T"]])[0]))
    expected = model.conditional_expected_purchases(26.0, rows["frequency"], rows["recency"], rows["T"], Z)
    assert np.all(np.asarray(expected) > 0)


def test_no_effect_gives_a_small_likelihood_ratio():
    rng = np.random.default_rng(60)
    summary = simulate_bgnbd(8_000, TRUE_BGNBD, rng.uniform(10, 60, 8_000), seed=61)
    customers = pd.DataFrame({"customer_id": summary.index.astype(str),
                              "gender": rng.choice(["f", "m"], 8_000)})
    design = covariate_design(customers, ["gender"], summary.index.astype(str))
    model = BetaGeoCovariateModel().fit(summary, covariates=design.matrix)
    test = model.likelihood_ratio_test()
    assert test["p_value"] > 0.001  # gender does nothing here
    with pytest.raises(ValueError, match="one row per customer"):
        BetaGeoCovariateModel().fit(summary, covariates=design.matrix.iloc[:10])


def test_effects_in_words_both_languages(bg_fit):
    from crmlib.ltv.model_words import effect_sentences, lr_test_sentence
    model, design = bg_fit
    effects = model.effects()
    en = effect_sentences(effects, design.references, "en")
    idn = effect_sentences(effects, design.references, "id")
    from crmlib.present.numbers import format_percent
    marketplace = effects.set_index("covariate").loc["channel=marketplace"]
    less = 1 - marketplace["purchase_ratio"]
    assert 0.25 < less < 0.45  # simulated: exp(-0.4) = 0.67, i.e. 33 % less often
    assert en[1].startswith(f"Customers with channel marketplace buy {format_percent(less, 0, 'en')} less often")
    assert f"{marketplace['dropout_ratio']:.2f}× as likely to drop out" in en[1]
    assert en[1].endswith("as customers with channel web.")
    assert idn[1].startswith(f"Pelanggan dengan channel marketplace membeli {format_percent(less, 0, 'id')} lebih jarang")
    assert f"{marketplace['dropout_ratio']:.2f}".replace(".", ",") + "×" in idn[1]
    sentence = lr_test_sentence(model.likelihood_ratio_test(), ["channel"], "en")
    assert "4 degrees of freedom, p < 0.001" in sentence and "real differences" in sentence


def test_every_prediction_takes_the_covariates(bg_data, bg_fit):
    model, design = bg_fit
    summary, _ = bg_data
    rows, Z = summary.iloc[:30], design.matrix.iloc[:30]
    args = (rows["frequency"], rows["recency"], rows["T"], Z)
    params = model.customer_params(Z)
    plain = model.base().with_params(params[5])
    one = [rows[c].iloc[5] for c in ("frequency", "recency", "T")]
    assert model.time_to_next_purchase(*args).iloc[5] == pytest.approx(float(plain.time_to_next_purchase(*one)[0]))
    assert model.conditional_probability_of_n_purchases(0, 10.0, *args).iloc[5] == pytest.approx(
        float(plain.conditional_probability_of_n_purchases(0, 10.0, *one)[0]))
    assert model.probability_of_n_purchases(1, 10.0, Z)[5] == pytest.approx(float(plain.probability_of_n_purchases(1, 10.0)), rel=1e-6)
    full = model.log_likelihood(summary, covariates=design.matrix)
    assert full == pytest.approx(model.loglik_, rel=1e-12)


def test_section_titles_name_the_clearest_effect_or_none(bg_fit):
    from crmlib.ltv.model_words import alive_title, column_label, covariates_title
    model, _ = bg_fit
    effects = model.effects()
    title = covariates_title(8, effects, ["channel"], "en")
    strongest = effects.loc[effects[["purchase_z", "dropout_z"]].abs().max(axis=1).idxmax(), "covariate"]
    assert title.startswith(f"## 8. Customers with channel {strongest.split('=')[1]} buy ")
    calm = effects.assign(purchase_z=0.5, dropout_z=-1.0)
    assert covariates_title(8, calm, ["signup_channel", "gender"], "id") == (
        "## 8. Kanal pendaftaran, jenis kelamin: tidak ada perbedaan jelas dalam cara pelanggan membeli atau berhenti")
    assert column_label("signup_channel", "en") == "sign-up channel" and column_label("loyalty_tier") == "loyalty\\_tier"
    assert alive_title(7, {"lapsing": 0.12, "loyal": 0.97}, "en") == (
        "## 7. A regular who has gone quiet is now 12% likely to still be a customer, a loyal buyer 97%")
    assert alive_title(7, {"loyal": 0.9}, "id") == "## 7. Seberapa besar kemungkinan pelanggan masih bersama kita"


def test_values_from_the_customers_file_are_escaped():
    from crmlib.ltv.model_words import effect_sentences
    effects = pd.DataFrame([{"covariate": "channel=<img src=x onerror=alert(1)>", "purchase_ratio": 0.8,
                             "dropout_ratio": 1.3, "purchase_z": -3.0, "dropout_z": 2.5,
                             "purchase_se": 0.05, "dropout_se": 0.1}])
    sentence = effect_sentences(effects, {"channel": "*web*"}, "en")[0]
    assert "<img" not in sentence and "&lt;img" in sentence and "\\*web\\*" in sentence
