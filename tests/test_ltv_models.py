"""BG/NBD, Pareto/NBD and Gamma-Gamma: published CDNOW estimates, derivatives, parameter
recovery on simulated data, predictions and CLV.

Published figures: Fader, Hardie & Lee (2005) "Counting your customers the easy way"
(BG/NBD and Pareto/NBD on the CDNOW 1/10 sample) and Fader & Hardie (2013) "The
Gamma-Gamma model of monetary value".
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln, hyp2f1

from conftest import require_dataset
from crmlib.ltv import _hyp2f1_series as series
from crmlib.ltv._base import compress_rows
from crmlib.ltv._calibration import _cdnow_calibration_frame
from crmlib.ltv._fit import ModelIdentificationError, NotFittedError
from crmlib.ltv.bgnbd import BetaGeoModel, bgnbd_loglik
from crmlib.ltv.gamma_gamma import GammaGammaModel, gamma_gamma_loglik
from crmlib.ltv.pareto_nbd import ParetoNBDModel, pareto_nbd_loglik
from crmlib.ltv.predict import (clv_interval, customer_lifetime_value, expected_purchases_in_days,
                                next_purchase_date)
from crmlib.ltv.simulate import simulate_bgnbd, simulate_gamma_gamma, simulate_pareto_nbd
from crmlib.ltv.units import convert_time, per_period_rate
from crmlib.ltv.validation import holdout_table

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_BGNBD_LL = -9582.4
PUBLISHED_PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.67}
PUBLISHED_PARETO_LL = -9595.0
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
PUBLISHED_GG_LL = -4055.9
PUBLISHED_HOLDOUT_ACTUAL = [0.237, 0.697, 1.393, 1.560, 2.532, 2.947, 3.862, 6.359]
PUBLISHED_HOLDOUT_BGNBD = [0.225, 0.523, 1.044, 1.520, 2.164, 2.654, 3.504, 6.157]


def sig3(value: float) -> float:
    """Round to 3 significant figures."""
    return float(f"{value:.3g}")


def assert_published(estimates: dict, published: dict):
    for name, value in published.items():
        assert sig3(estimates[name]) == sig3(value), (name, estimates[name], value)


# -- CDNOW -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cdnow():
    require_dataset("cdnow", "CDNOW_sample.txt")
    from crmlib.datasets import load_cdnow
    return _cdnow_calibration_frame(load_cdnow("sample"))


@pytest.fixture(scope="module")
def cdnow_bgnbd(cdnow):
    return BetaGeoModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="module")
def cdnow_pareto(cdnow):
    return ParetoNBDModel().fit(cdnow)


@pytest.fixture(scope="module")
def cdnow_gg(cdnow):
    return GammaGammaModel().fit(cdnow["frequency"], cdnow["monetary_value"])


def test_cdnow_calibration_summary(cdnow):
    assert len(cdnow) == 2357
    assert (cdnow["frequency"] > 0).sum() == 946
    assert cdnow["T"].max() == pytest.approx(272 / 7)  # first purchase 1997-01-01
    assert cdnow["holdout_length"].iloc[0] == pytest.approx(39.0)
    assert (cdnow["recency"] <= cdnow["T"]).all()


def test_bgnbd_reproduces_published_cdnow_estimates(cdnow_bgnbd):
    model = cdnow_bgnbd
    assert_published(model.params_, PUBLISHED_BGNBD)
    assert model.loglik_ == pytest.approx(PUBLISHED_BGNBD_LL, abs=0.05)
    assert model.converged_
    # a customer with x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in 39 weeks
    expected = model.conditional_expected_purchases(39, 2, 30.43, 38.86)
    assert round(float(expected[0]), 3) == 1.226


def test_pareto_nbd_reproduces_published_cdnow_estimates(cdnow_pareto):
    model = cdnow_pareto
    assert_published(model.params_, PUBLISHED_PARETO)
    assert model.loglik_ == pytest.approx(PUBLISHED_PARETO_LL, abs=0.05)
    assert 5.0 < model.se_["beta"] < 7.5  # beta is weakly identified (SE about 6)
    assert set(model.summary.columns) == {"estimate", "se", "lower_95", "upper_95"}


def test_gamma_gamma_reproduces_published_cdnow_estimates(cdnow_gg):
    model = cdnow_gg
    assert model.n_customers_ == 946
    assert_published(model.params_, PUBLISHED_GG)
    assert model.loglik_ == pytest.approx(PUBLISHED_GG_LL, abs=0.05)


def test_holdout_table_reproduces_published_cdnow_figures(cdnow, cdnow_bgnbd):
    predicted = cdnow_bgnbd.conditional_expected_purchases(
        cdnow["holdout_length"], cdnow["frequency"], cdnow["recency"], cdnow["T"])
    table = holdout_table(cdnow["frequency"], cdnow["holdout_frequency"], predicted)
    assert table.index.tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["customers"].sum() == 2357
    np.testing.assert_allclose(table["actual"], PUBLISHED_HOLDOUT_ACTUAL, atol=0.0006)
    np.testing.assert_allclose(table["predicted"], PUBLISHED_HOLDOUT_BGNBD, atol=0.0006)


def test_weights_compress_identical_rows(cdnow, cdnow_bgnbd, cdnow_pareto):
    compressed = compress_rows(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert len(compressed) < len(cdnow) and compressed["weights"].sum() == len(cdnow)
    for full, model in ((cdnow_bgnbd, BetaGeoModel()), (cdnow_pareto, ParetoNBDModel())):
        model.fit(compressed)
        assert model.loglik_ == pytest.approx(full.loglik_, abs=1e-6)
        for name in model.param_names:
            assert model.params_[name] == pytest.approx(full.params_[name], rel=1e-5)
            assert model.se_[name] == pytest.approx(full.se_[name], rel=1e-4)


# -- likelihood and derivatives -----------------------------------------------------------

def _small_rfm(seed=3, n=300):
    data = simulate_pareto_nbd(n, PUBLISHED_PARETO, T=np.linspace(5, 40, n), seed=seed)
    return data["frequency"].to_numpy(float), data["recency"].to_numpy(), data["T"].to_numpy()


def pareto_reference_loglik(theta, x, t_x, T):
    """Fader & Hardie (2005) note, eq. (19)-(20), evaluated with scipy's hyp2f1."""
    r, alpha, s, beta = theta
    if alpha >= beta:
        big, small, b = alpha, beta, s + 1.0
    else:
        big, small, b = beta, alpha, r + x
    c = r + s + x
    A0 = (hyp2f1(c, b, c + 1, (big - small) / (big + t_x)) / (big + t_x) ** c
          - hyp2f1(c, b, c + 1, (big - small) / (big + T)) / (big + T) ** c)
    return (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            + np.log((alpha + T) ** -(r + x) * (beta + T) ** -s + s / c * A0))


@pytest.mark.parametrize("theta", [(0.55, 10.6, 0.61, 11.7), (0.5, 20.0, 0.8, 4.0),
                                   (1.3, 3.0, 1.5, 30.0), (0.8, 60.0, 2.0, 2.0)])
def test_pareto_likelihood_matches_hypergeometric_reference(theta):
    x, t_x, T = _small_rfm()
    model = ParetoNBDModel()
    data = model._prepare(x, t_x, T, np.ones_like(x))
    value = pareto_nbd_loglik(np.array(theta), data, 0)[0]
    assert value == pytest.approx(pareto_reference_loglik(theta, x, t_x, T).sum(), rel=1e-11)


@pytest.mark.parametrize("b, c", [(0.6, 1.2), (3.6, 4.2), (1.6, 1.7), (41.3, 42.0), (1.6, 40.0)])
def test_series_hypergeometric_matches_scipy_up_to_z_near_one(b, c):
    z = np.array([0.0, 0.01, 0.2, 0.5, 0.8, 0.9, 0.95, 0.99])
    values = series.evaluate(z, b, c, True, 0)[:, 0]
    np.testing.assert_allclose(values, hyp2f1(1.0, b, c + 1.0, z), rtol=1e-12)



def test_grouped_series_and_derivatives_match_scipy():
    """Several frequencies in one call (each group its own b, c; z up to 0.9, so some groups
    take the shared block and some the binned path): G against scipy's hyp2f1, dG/dz against
    d/dz 2F1(1, b; c+1; z) = b/(c+1) 2F1(2, b+1; c+2; z), dG/dr and dG/ds against central
    differences of scipy's hyp2f1 (b and c move with r, c with s)."""
    rng = np.random.default_rng(4)
    b = np.array([0.6, 1.6, 3.6, 41.3, 120.4])
    c = b + np.array([0.6, 0.1, 0.6, 0.7, 0.45])
    z_max = np.array([0.2, 0.45, 0.6, 0.9, 0.3])
    sizes = np.array([7, 5, 6, 8, 4])
    z = np.concatenate([rng.uniform(0.0, top, n) for top, n in zip(z_max, sizes)])
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    cols = series.evaluate_groups(z, bounds, b, c, True, 2)
    bb, cc = np.repeat(b, sizes), np.repeat(c, sizes)
    np.testing.assert_allclose(cols[:, 0], hyp2f1(1.0, bb, cc + 1.0, z), rtol=1e-12)
    np.testing.assert_allclose(cols[:, 6], bb / (cc + 1.0) * hyp2f1(2.0, bb + 1.0, cc + 2.0, z), rtol=1e-11)
    h = 1e-6
    d_r = (hyp2f1(1.0, bb + h, cc + 1.0 + h, z) - hyp2f1(1.0, bb - h, cc + 1.0 - h, z)) / (2 * h)
    d_s = (hyp2f1(1.0, bb, cc + 1.0 + h, z) - hyp2f1(1.0, bb, cc + 1.0 - h, z)) / (2 * h)
    np.testing.assert_allclose(cols[:, 1], d_r, rtol=1e-6, atol=1e-9)  # differences: ~1e-10 rounding
    np.testing.assert_allclose(cols[:, 2], d_s, rtol=1e-6, atol=1e-9)

def _check_derivatives(loglik, theta, data):
    theta = np.asarray(theta, float)
    _, grad, hess = loglik(theta, data, 2)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = 1e-6 * theta[i]
        up, down = loglik(theta + step, data, 1), loglik(theta - step, data, 1)
        assert (up[0] - down[0]) / (2 * step[i]) == pytest.approx(grad[i], rel=1e-5, abs=1e-6)
        np.testing.assert_allclose((up[1] - down[1]) / (2 * step[i]), hess[i], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(hess, hess.T)


@pytest.mark.parametrize("theta", [(0.55, 10.6, 0.61, 11.7), (0.5, 20.0, 0.8, 4.0)])
def test_pareto_analytic_gradient_and_hessian(theta):
    x, t_x, T = _small_rfm()
    _check_derivatives(pareto_nbd_loglik, theta, ParetoNBDModel()._prepare(x, t_x, T, np.ones_like(x)))


def test_bgnbd_analytic_gradient_and_hessian():
    x, t_x, T = _small_rfm()
    _check_derivatives(bgnbd_loglik, (0.3, 5.0, 0.7, 2.0), BetaGeoModel()._prepare(x, t_x, T, np.ones_like(x)))


def test_gamma_gamma_analytic_gradient_and_hessian():
    from crmlib.ltv.gamma_gamma import _GGData
    x = np.arange(1.0, 41.0) % 7 + 1
    m = simulate_gamma_gamma(x, PUBLISHED_GG, seed=1)
    data = _GGData(x=x, m=m, w=np.ones_like(x), log_m=np.log(m), log_x=np.log(x), total_weight=x.size)
    _check_derivatives(gamma_gamma_loglik, (6.0, 3.0, 15.0), data)


def test_bgnbd_likelihood_is_stable_for_large_counts():
    x = np.array([0.0, 300.0, 1000.0])
    t_x = np.array([0.0, 99.0, 199.5])
    T = np.array([100.0, 100.0, 200.0])
    model = BetaGeoModel()
    value = bgnbd_loglik(np.array([2.0, 1.0, 0.5, 3.0]), model._prepare(x, t_x, T, np.ones(3)), 0)[0]
    assert np.isfinite(value)
    data = ParetoNBDModel()._prepare(x, t_x, T, np.ones(3))
    assert np.isfinite(pareto_nbd_loglik(np.array([2.0, 1.0, 0.5, 3.0]), data, 0)[0])


# -- parameter recovery ---------------------------------------------------------------------

TRUE_BGNBD = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
TRUE_PARETO = {"r": 0.7, "alpha": 8.0, "s": 0.9, "beta": 15.0}
TRUE_GG = {"p": 5.0, "q": 4.0, "gamma": 20.0}


def _assert_recovered(model, truth, n_se=4.0):
    for name, value in truth.items():
        error = abs(model.params_[name] - value)
        assert error < n_se * model.se_[name], (name, model.params_[name], value, model.se_[name])


def test_bgnbd_recovers_simulated_parameters():
    T = np.random.default_rng(7).uniform(10, 60, 20_000)
    data = simulate_bgnbd(20_000, TRUE_BGNBD, T, seed=11)
    _assert_recovered(BetaGeoModel().fit(data), TRUE_BGNBD)


def test_pareto_nbd_recovers_simulated_parameters():
    T = np.random.default_rng(8).uniform(10, 60, 20_000)
    data = simulate_pareto_nbd(20_000, TRUE_PARETO, T, seed=12)
    _assert_recovered(ParetoNBDModel().fit(data), TRUE_PARETO)


def test_gamma_gamma_recovers_simulated_parameters():
    x = np.random.default_rng(9).integers(1, 12, 5_000)
    spend = simulate_gamma_gamma(x, TRUE_GG, seed=13)
    _assert_recovered(GammaGammaModel().fit(x, spend), TRUE_GG)


def test_large_fit_uses_subsample_start_and_reaches_full_optimum():
    T = np.random.default_rng(10).uniform(10, 60, 30_000)
    data = simulate_bgnbd(30_000, TRUE_BGNBD, T, seed=14)
    warm = BetaGeoModel(warm_start_rows=5_000).fit(data)
    direct = BetaGeoModel(warm_start_rows=100_000).fit(data)
    for name in warm.param_names:  # same maximum, to a tiny fraction of a standard error
        assert abs(warm.params_[name] - direct.params_[name]) < 1e-3 * direct.se_[name]
    assert warm.loglik_ == pytest.approx(direct.loglik_, abs=1e-6)


# -- identification -----------------------------------------------------------------------

def test_no_repeat_purchases_is_not_identified():
    T = np.linspace(1, 30, 50)
    for model in (BetaGeoModel(), ParetoNBDModel()):
        with pytest.raises(ModelIdentificationError, match="repeat purchase"):
            model.fit(np.zeros(50), np.zeros(50), T)


def test_too_few_customers_is_not_identified():
    with pytest.raises(ModelIdentificationError, match="at least 20 customers"):
        BetaGeoModel().fit([1, 2, 0], [3.0, 4.0, 0.0], [10.0, 10.0, 10.0])
    with pytest.raises(ModelIdentificationError, match="at least 20"):
        GammaGammaModel().fit([1, 2, 3], [10.0, 12.0, 9.0])


@pytest.fixture(scope="module")
def no_visible_dropout():
    """1,000 customers who never stop buying (dropout scale beta = 1e7 weeks, 2 years seen)."""
    return simulate_pareto_nbd(1000, {"r": 0.8, "alpha": 5.0, "s": 0.5, "beta": 1e7},
                               T=np.linspace(20, 104, 1000), seed=1)


def test_a_fit_that_cannot_converge_stops_within_its_budget(no_visible_dropout):
    """Without visible drop-out BG/NBD's a runs off to 0 at once; Pareto/NBD's dropout scale
    wanders towards infinity through ever longer hypergeometric series (a 100,000-customer base
    ran for more than 14 minutes): its time and evaluation budgets stop it with the same error."""
    import time
    d = no_visible_dropout
    with pytest.raises(ModelIdentificationError, match="cannot identify the model"):
        BetaGeoModel().fit(d["frequency"], d["recency"], d["T"])
    started = time.monotonic()
    # (unbudgeted, this fit reaches s -> 0 in about a second here and stops there)
    with pytest.raises(ModelIdentificationError, match=r"did not converge within 0.2 CPU seconds \(last at r=.*"
                                                       r"cannot identify the model.*wrong time unit"):
        ParetoNBDModel(max_seconds=0.2).fit(d["frequency"], d["recency"], d["T"])
    assert time.monotonic() - started < 30  # stopped inside a long series, not after it
    with pytest.raises(ModelIdentificationError, match="did not converge within 10 likelihood evaluations"):
        ParetoNBDModel(max_evaluations=10, max_seconds=None).fit(d["frequency"], d["recency"], d["T"])


def test_the_default_budget_leaves_room_for_real_fits(cdnow_pareto):
    from crmlib.ltv import _fit
    assert cdnow_pareto.converged_ and ParetoNBDModel().max_seconds == _fit.MAX_SECONDS == 60
    assert ParetoNBDModel().max_evaluations == _fit.MAX_EVALUATIONS


def test_constant_spend_is_not_identified():
    with pytest.raises(ModelIdentificationError, match="equal"):
        GammaGammaModel().fit(np.ones(50), np.full(50, 12.5))


def test_invalid_inputs_and_unfitted_models():
    with pytest.raises(ValueError, match="recency"):
        BetaGeoModel().fit([1, 2], [5.0, 11.0], [10.0, 10.0])
    with pytest.raises(NotFittedError):
        ParetoNBDModel().probability_alive(1, 2.0, 10.0)
    with pytest.raises(NotFittedError):
        BetaGeoModel().summary


def test_nothing_is_computed_before_fit():
    model = BetaGeoModel(n_starts=2)
    assert not hasattr(model, "params_") and model.n_starts == 2


# -- predictions ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def simulated_pareto():
    return simulate_pareto_nbd(100_000, TRUE_PARETO, T=30.0, seed=21, return_latent=True)


@pytest.fixture(scope="module")
def simulated_bgnbd():
    return simulate_bgnbd(100_000, TRUE_BGNBD, T=30.0, seed=22, return_latent=True)


def test_unconditional_expectation_matches_simulation(simulated_bgnbd, simulated_pareto):
    bg = BetaGeoModel().with_params(list(TRUE_BGNBD.values()))
    pn = ParetoNBDModel().with_params(list(TRUE_PARETO.values()))
    for model, data in ((bg, simulated_bgnbd), (pn, simulated_pareto)):
        sd = data["frequency"].std() / math.sqrt(len(data))
        assert float(model.expected_purchases(30.0)) == pytest.approx(data["frequency"].mean(), abs=4 * sd)


def test_probability_alive_is_calibrated_on_simulation(simulated_bgnbd, simulated_pareto):
    bg = BetaGeoModel().with_params(list(TRUE_BGNBD.values()))
    pn = ParetoNBDModel().with_params(list(TRUE_PARETO.values()))
    for model, data in ((bg, simulated_bgnbd), (pn, simulated_pareto)):
        alive = np.asarray(model.probability_alive(data["frequency"], data["recency"], data["T"]))
        assert alive.mean() == pytest.approx(data["alive"].mean(), abs=0.01)
        high = alive > 0.8
        assert data["alive"][high].mean() == pytest.approx(alive[high].mean(), abs=0.02)
    one_timers = simulated_bgnbd["frequency"] == 0
    assert np.all(np.asarray(bg.probability_alive(0, 0.0, simulated_bgnbd["T"][one_timers])) == 1.0)


def test_conditional_expectations_agree_with_closed_forms():
    pn = ParetoNBDModel().with_params(list(PUBLISHED_PARETO.values()))
    bg = BetaGeoModel().with_params(list(PUBLISHED_BGNBD.values()))
    for model in (pn, bg):
        # a new customer (x = 0 at T -> 0) expects E[X(t)] purchases
        assert float(model.conditional_expected_purchases(26.0, 0, 0.0, 1e-9)[0]) == pytest.approx(
            float(model.expected_purchases(26.0)), rel=1e-6)
        path = model.conditional_expected_purchases_path([4.0, 8.0, 52.0], [0, 3], [0.0, 20.0], [30.0, 30.0])
        direct = [model.conditional_expected_purchases(t, [0, 3], [0.0, 20.0], [30.0, 30.0]) for t in (4.0, 8.0, 52.0)]
        np.testing.assert_allclose(path, direct, rtol=1e-12)
        assert np.all(np.diff(path, axis=0) > 0)


def test_probabilities_stay_in_0_1_when_the_last_purchase_is_at_T():
    """t_x = T: the customer bought at T, so P(alive at T) is exactly 1 under Pareto/NBD (a
    BG/NBD customer may drop out right after a purchase: below 1); never above 1."""
    pn = ParetoNBDModel().with_params(list(PUBLISHED_PARETO.values()))
    bg = BetaGeoModel().with_params(list(PUBLISHED_BGNBD.values()))
    x = np.arange(1.0, 80.0)
    for T in (0.5, 38.86, 78.0, 500.0):
        alive = np.asarray(pn.probability_alive(x, np.full_like(x, T), np.full_like(x, T)))
        assert np.all(alive <= 1.0) and np.allclose(alive, 1.0, rtol=0, atol=1e-12), T
        grid = np.asarray(pn.probability_alive(x, np.full_like(x, T) * 0.99, np.full_like(x, T)))
        assert np.all((grid >= 0.0) & (grid < 1.0))
        assert np.all(np.asarray(bg.probability_alive(x, np.full_like(x, T), np.full_like(x, T))) < 1.0)


def test_a_zero_horizon_expects_zero_purchases():
    """E[Y(0) | history] = 0 for every customer, in groups large enough for the series path."""
    pn = ParetoNBDModel().with_params(list(PUBLISHED_PARETO.values()))
    bg = BetaGeoModel().with_params(list(PUBLISHED_BGNBD.values()))
    x = np.repeat([0.0, 1.0, 4.0], 100)
    t_x = np.where(x > 0, 20.0, 0.0)
    T = np.full_like(x, 38.0)
    for model in (bg, pn):
        for horizon in (0, 0.0, np.zeros_like(x)):
            expected = np.asarray(model.conditional_expected_purchases(horizon, x, t_x, T))
            assert expected.shape == x.shape and np.all(expected == 0.0) and not np.signbit(expected).any()
        path = model.conditional_expected_purchases_path([0.0, 1.0], x, t_x, T)
        assert np.all(path[0] == 0.0) and np.all(path[1] > 0.0)
    mixed = np.asarray(bg.conditional_expected_purchases(np.tile([0.0, 13.0], 150), x, t_x, T))
    assert np.all(mixed[::2] == 0.0) and np.all(mixed[1::2] > 0.0)


def test_time_to_next_purchase_definitions():
    bg = BetaGeoModel().with_params(list(PUBLISHED_BGNBD.values()))
    x, t_x, T = np.array([0, 2, 10]), np.array([0.0, 20.0, 30.0]), np.array([30.0, 30.0, 31.0])
    r, alpha = PUBLISHED_BGNBD["r"], PUBLISHED_BGNBD["alpha"]
    median = bg.time_to_next_purchase(x, t_x, T)
    np.testing.assert_allclose(((alpha + T) / (alpha + T + median)) ** (r + x), 0.5)
    mean = bg.time_to_next_purchase(x, t_x, T, statistic="mean")
    assert np.isinf(mean[0]) and mean[2] == pytest.approx((alpha + 31.0) / (r + 9.0))
    dates = next_purchase_date(bg, x, t_x, T, "1997-09-30")
    assert dates[1] == pd.Timestamp("1997-09-30") + pd.to_timedelta(median[1] * 7, unit="D")


def test_expected_purchases_in_days_converts_units():
    pn = ParetoNBDModel().with_params(list(PUBLISHED_PARETO.values()))
    assert expected_purchases_in_days(pn, [1], [10.0], [30.0], days=365)[0] == pytest.approx(
        pn.conditional_expected_purchases(365 / 7, [1], [10.0], [30.0])[0])


def test_conditional_expected_spend(cdnow_gg):
    p, q, gamma = (cdnow_gg.params_[k] for k in ("p", "q", "gamma"))
    spend = cdnow_gg.conditional_expected_spend([0, 1, 5], [0.0, 30.0, 20.0])
    assert spend[0] == pytest.approx(cdnow_gg.expected_spend())
    weight = p * 5 / (p * 5 + q - 1)
    assert spend[2] == pytest.approx((1 - weight) * p * gamma / (q - 1) + weight * 20.0)


# -- CLV ------------------------------------------------------------------------------------------

def test_discount_rate_and_unit_conversions():
    assert per_period_rate(0.10, "M") == pytest.approx(1.1 ** (1 / 12) - 1)
    assert per_period_rate(0.10, "W") == pytest.approx(1.1 ** (1 / 52.1775) - 1)
    assert per_period_rate(0.10, "D") == pytest.approx(1.1 ** (1 / 365.25) - 1)
    assert convert_time(1.0, "M", "D") == pytest.approx(30.4375)
    assert convert_time(14.0, "D", "W") == pytest.approx(2.0)


def test_clv_is_the_discounted_sum_of_period_increments():
    pn = ParetoNBDModel().with_params(list(PUBLISHED_PARETO.values()))
    x, t_x, T, spend = np.array([0, 4]), np.array([0.0, 25.0]), np.array([30.0, 38.0]), np.array([20.0, 35.0])
    clv = customer_lifetime_value(pn, spend, x, t_x, T, horizon=6, period="M",
                                  annual_discount_rate=0.12, margin=0.3)
    d = 1.12 ** (1 / 12) - 1
    expected = np.zeros(2)
    previous = np.zeros(2)
    for i in range(1, 7):
        current = pn.conditional_expected_purchases(i * 365.25 / 12 / 7, x, t_x, T)
        expected += 0.3 * spend * (current - previous) / (1 + d) ** i
        previous = current
    np.testing.assert_allclose(clv, expected, rtol=1e-12)
    undiscounted = customer_lifetime_value(pn, spend, x, t_x, T, horizon=6, annual_discount_rate=0.0)
    np.testing.assert_allclose(undiscounted, spend * pn.conditional_expected_purchases(6 * 365.25 / 12 / 7, x, t_x, T))


def test_clv_interval_brackets_estimate_and_is_reproducible(cdnow, cdnow_bgnbd, cdnow_gg):
    subset = cdnow.iloc[:300]
    args = (cdnow_bgnbd, cdnow_gg, subset["frequency"], subset["recency"], subset["T"], subset["monetary_value"])
    bands = clv_interval(*args, n_draws=60, seed=5)
    assert list(bands.columns) == ["clv", "clv_low", "clv_high"]
    assert (bands["clv_low"] <= bands["clv"] * (1 + 1e-9)).all()
    assert (bands["clv_high"] >= bands["clv"] * (1 - 1e-9)).all()
    assert (bands["clv_high"] > bands["clv_low"]).all()
    pd.testing.assert_frame_equal(bands, clv_interval(*args, n_draws=60, seed=5))
    np.testing.assert_allclose(bands["clv"], customer_lifetime_value(*args))


def test_a_customers_clv_band_does_not_depend_on_who_else_is_in_the_table(cdnow, cdnow_bgnbd, cdnow_gg):
    """Histories are computed once per distinct (x, t_x, T): a band must be the customer's own."""
    subset = cdnow.iloc[:40]
    batch = pd.concat([subset, subset.iloc[:10], subset.iloc[5:15]])  # repeated histories
    args = lambda frame: (cdnow_bgnbd, cdnow_gg, frame["frequency"], frame["recency"], frame["T"],  # noqa: E731
                          frame["monetary_value"])
    together = clv_interval(*args(batch), n_draws=40, seed=3)
    for i in (0, 7, 12, 39, 45, 55):
        alone = clv_interval(*args(batch.iloc[[i]]), n_draws=40, seed=3)
        np.testing.assert_allclose(together.iloc[i].to_numpy(), alone.iloc[0].to_numpy(), rtol=1e-10)


@pytest.mark.parametrize("theta", [(0.243, 4.414, 0.793, 2.426), (0.5, 30.0, 3.0, 0.5), (1.0, 2.0, 0.2, 5.0)])
def test_bgnbd_series_expectation_matches_hypergeometric_formula(theta):
    """The grouped power series behind many-customer predictions vs FHL (2005) eq. (10)."""
    r, alpha, a, b = theta
    data = simulate_bgnbd(5_000, dict(zip(BetaGeoModel.param_names, theta)),
                          np.random.default_rng(1).uniform(0.5, 80, 5_000), seed=2)
    x, t_x, T = (data[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    model = BetaGeoModel().with_params(theta)
    times = np.array([1.0, 10.0, 52.0, 300.0])
    path = model.conditional_expected_purchases_path(times, x, t_x, T)
    alive = np.asarray(model.probability_alive(x, t_x, T))
    for t, row in zip(times, path):
        z = t / (alpha + T + t)
        bracket = 1.0 - (1.0 - z) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1.0, z)
        np.testing.assert_allclose(row, alive * (a + b + x - 1.0) / (a - 1.0) * bracket, rtol=1e-9)


@pytest.mark.parametrize("model_fixture", ["cdnow_bgnbd", "cdnow_pareto"])
def test_delta_band_agrees_with_the_parametric_bootstrap(cdnow, cdnow_gg, model_fixture, request):
    """The delta method's band (large bases) against 1,500 parameter draws on the CDNOW repeaters:
    each customer's band width (log scale) within about a tenth for nine customers in ten."""
    model = request.getfixturevalue(model_fixture)
    repeaters = cdnow[cdnow["frequency"] > 0]
    args = (model, cdnow_gg, repeaters["frequency"], repeaters["recency"], repeaters["T"], repeaters["monetary_value"])
    draws = clv_interval(*args, n_draws=1500, seed=11, method="draws")
    delta = clv_interval(*args, method="delta")
    assert draws.attrs["band_method"] == "draws" and delta.attrs["band_method"] == "delta"
    np.testing.assert_allclose(delta["clv"], draws["clv"], rtol=1e-12)
    assert (delta["clv_low"] < delta["clv"]).all() and (delta["clv_high"] > delta["clv"]).all()
    width = np.log(delta["clv_high"] / delta["clv_low"]) / np.log(draws["clv_high"] / draws["clv_low"])
    assert 0.93 < width.median() < 1.07
    assert np.quantile(np.abs(width - 1), 0.9) < 0.12


def test_the_band_method_follows_the_draw_budget(cdnow, cdnow_bgnbd, cdnow_gg, monkeypatch):
    import crmlib.ltv.predict as predict

    subset = cdnow[cdnow["frequency"] > 0].iloc[:200]
    args = (cdnow_bgnbd, cdnow_gg, subset["frequency"], subset["recency"], subset["T"], subset["monetary_value"])
    histories = len(subset[["frequency", "recency", "T"]].drop_duplicates())
    monkeypatch.setattr(predict, "DRAW_BUDGET", histories * 50)
    assert clv_interval(*args, n_draws=50).attrs["band_method"] == "draws"  # distinct histories x draws, at the budget
    monkeypatch.setattr(predict, "DRAW_BUDGET", histories * 50 - 1)
    assert clv_interval(*args, n_draws=50).attrs["band_method"] == "delta"
    with pytest.raises(ValueError, match="method must be one of"):
        clv_interval(*args, method="bayes")


def test_subsample_stages_grow_tenfold_while_under_a_third_of_the_rows():
    from crmlib.ltv._fit import subsamples
    rng = np.random.default_rng(0)
    assert [s.size for s in subsamples(1_000_000, 20_000, rng)] == [20_000, 200_000]
    assert [s.size for s in subsamples(100_000, 20_000, rng)] == [20_000]
    assert subsamples(20_000, 20_000, rng) == []
    rows = subsamples(700_000, 20_000, rng)[1]
    assert np.all(np.diff(rows) > 0) and rows[-1] < 700_000  # sorted, distinct, in range


def test_staged_fit_with_an_untested_last_step_matches_full_convergence_and_recovers_truth(monkeypatch):
    """300,000 simulated BG/NBD customers: the staged fit (20k search, 200k Newton, all rows,
    last step untested) against the same fit converged to NEWTON_TOL with a fresh Hessian."""
    from crmlib.ltv import _fit
    truth = {"r": 0.8, "alpha": 5.0, "a": 0.6, "b": 3.0}
    T = np.random.default_rng(11).uniform(4, 78, 300_000)
    d = simulate_bgnbd(300_000, truth, T, seed=12)
    fast = BetaGeoModel().fit(d)
    monkeypatch.setattr(_fit, "FINAL_STEP_CAP", 0.0)
    full = BetaGeoModel().fit(d)
    se_log = np.sqrt(np.diag(full.cov_log_))
    assert np.max(np.abs(np.log(fast._theta() / full._theta())) / se_log) < 1e-3
    assert fast.loglik_ == pytest.approx(full.loglik_, abs=1e-4)
    np.testing.assert_allclose(np.sqrt(np.diag(fast.cov_log_)), se_log, rtol=5e-3)
    z = np.abs(np.log(full._theta() / np.array(list(truth.values())))) / se_log
    assert np.all(z < 4), z  # ground truth within 4 SE
