"""Distribution of purchases, P(alive) in time, penalties and constraints, MBG/NBD, BG/BB
and the individual-amount Gamma-Gamma: published figures, closed forms and simulation.

Published figures:
- BG/NBD pmf at the CDNOW estimates (r, alpha, a, b) = (0.243, 4.414, 0.793, 2.426): the
  BTYD R package's bgnbd.pmf values, as reproduced in lifetimes' test suite;
- MBG/NBD on the CDNOW sample: r, alpha, a, b = 0.525, 6.183, 0.891, 1.614 (BTYDplus, as
  in lifetimes' tests);
- BG/BB on the donation data: Fader, Hardie & Shang (2010) alpha, beta, gamma, delta =
  1.204, 0.750, 0.657, 2.783, log-likelihood -33,225.6, P(alive in 2002) 0.11 / 0.59 / 0.93
  (table 6), and Hardie's spreadsheet: 12,884.2 expected donations in 2002-2006, 3,454.9
  donors with no and 1,253.1 with six repeat donations expected in 1996-2001.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln, gammaln, hyp2f1, logsumexp

from crmlib.ltv import (BetaGeoBetaBinomModel, BetaGeoModel, GammaGammaModel,
                        GammaGammaModelIndividual, ModifiedBetaGeoModel, ParetoNBDModel,
                        simulate_bgbb, simulate_mbgnbd)
from crmlib.ltv._fit import ModelIdentificationError
from crmlib.ltv.bgbb import _prepare as bgbb_prepare
from crmlib.ltv.bgbb import bgbb_loglik, load_donations
from crmlib.ltv.bgnbd import bgnbd_loglik
from crmlib.ltv.simulate import simulate_gamma_gamma
from test_ltv_models import (PUBLISHED_BGNBD, PUBLISHED_PARETO, _assert_recovered,
                             _check_derivatives, _small_rfm, assert_published, cdnow, cdnow_bgnbd,  # noqa: F401
                             cdnow_gg)

PUBLISHED_MBGNBD = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
PUBLISHED_BGBB = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
PUBLISHED_BGBB_LL = -33225.6
TRUE_BGNBD = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
TRUE_PARETO = {"r": 0.7, "alpha": 8.0, "s": 0.9, "beta": 15.0}


def _bg(params=PUBLISHED_BGNBD):
    return BetaGeoModel().with_params(list(params.values()))


def _pareto(params=PUBLISHED_PARETO):
    return ParetoNBDModel().with_params(list(params.values()))


# -- 1. distribution of purchases -------------------------------------------------------------

def test_bgnbd_pmf_matches_btyd_published_values():
    model = _bg()
    assert float(model.probability_of_n_purchases(10, 2)) == pytest.approx(1.07869e-07, rel=1e-4)
    assert float(model.probability_of_n_purchases(0, 39)) == pytest.approx(0.5737864, rel=1e-6)
    published = [0.0019995214, 0.0015170236, 0.0011633150, 0.0009003148, 0.0007023638,
                 0.0005517902, 0.0004361913, 0.0003467171, 0.0002769613, 0.0002222260]
    np.testing.assert_allclose(model.probability_of_n_purchases(np.arange(11, 21), 30), published, rtol=1e-6)


def pareto_conditional_pmf_reference(n, t, x, t_x, T, theta):
    """Fader & Hardie note 028 eq. (16) (the closed form lifetimes implements), with scipy's
    hyp2f1. At x = t_x = T = 0 it is note 012's unconditional P(X(t) = n)."""
    r, alpha, s, beta = theta
    if alpha < beta:
        small, big, p = alpha, beta, r + x + n
    else:
        small, big, p = beta, alpha, s + 1
    c = r + s + x
    # likelihood of the history (note 009 eq. 18-19, scipy's hyp2f1)
    if T == 0:
        log_l = 0.0
    else:
        if alpha >= beta:
            b_ = s + 1.0
        else:
            b_ = r + x
        A0 = (hyp2f1(c, b_, c + 1, (big - small) / (big + t_x)) / (big + t_x) ** c
              - hyp2f1(c, b_, c + 1, (big - small) / (big + T)) / (big + T) ** c)
        log_l = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
                 + np.log((alpha + T) ** -(r + x) * (beta + T) ** -s + s / c * A0))
    common = r * np.log(alpha) + s * np.log(beta) - gammaln(r)
    log_p_zero = gammaln(r + x) + common - (r + x) * np.log(alpha + T) - s * np.log(beta + T) - log_l
    log_b1 = gammaln(r + x + n) + common - (r + x + n) * np.log(alpha + T + t) - s * np.log(beta + T + t)
    log_b2 = (common + gammaln(r + s + x) + betaln(r + x + n, s + 1) - gammaln(s)
              + np.log(hyp2f1(c, p, c + n + 1, (big - small) / (big + T))) - c * np.log(big + T))
    log_b3 = [common + gammaln(c + i) + betaln(r + x + n, s + 1) - gammaln(s)
              + np.log(hyp2f1(c + i, p, c + n + 1, (big - small) / (big + T + t)))
              - (c + i) * np.log(big + T + t) + i * np.log(t) - gammaln(i + 1) for i in range(n + 1)]
    value = (np.exp(n * np.log(t) - gammaln(n + 1) + log_b1 - log_l) + np.exp(log_b2 - log_l)
             - np.exp(logsumexp(log_b3) - log_l))
    return value + (n == 0) * (1 - np.exp(log_p_zero))


@pytest.mark.parametrize("theta", [(0.553, 10.578, 0.606, 11.67), (0.5, 20.0, 0.8, 4.0),
                                   (1.3, 3.0, 1.5, 30.0)])
def test_pareto_pmf_matches_fader_hardie_closed_form(theta):
    model = _pareto(dict(zip(ParetoNBDModel.param_names, theta)))
    for n in (0, 1, 2, 5):
        for t in (1.0, 39.0, 78.0):
            assert float(model.probability_of_n_purchases(n, t)) == pytest.approx(
                pareto_conditional_pmf_reference(n, t, 0, 0.0, 0, theta), rel=1e-8, abs=1e-13)
        for x, t_x, T in ((0, 0.0, 30.0), (2, 20.0, 38.0), (6, 35.0, 36.0)):
            assert float(model.conditional_probability_of_n_purchases(n, 26.0, x, t_x, T)[0]) == pytest.approx(
                pareto_conditional_pmf_reference(n, 26.0, x, t_x, T, theta), rel=1e-7, abs=1e-12)


@pytest.mark.parametrize("model", [_bg(), _pareto(), ModifiedBetaGeoModel().with_params(list(PUBLISHED_MBGNBD.values()))],
                         ids=["bgnbd", "pareto_nbd", "mbgnbd"])
def test_pmf_sums_to_one_with_the_model_mean(model):
    counts = np.arange(0, 400)
    pmf = model.probability_of_n_purchases(counts, 52.0)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-10)
    assert pmf @ counts == pytest.approx(float(model.expected_purchases(52.0)), rel=1e-8)
    x, t_x, T = np.array([0, 3, 12]), np.array([0.0, 20.0, 37.0]), np.array([30.0, 38.0, 38.0])
    grid = np.stack([model.conditional_probability_of_n_purchases(k, 26.0, x, t_x, T) for k in counts])
    np.testing.assert_allclose(grid.sum(axis=0), 1.0, atol=1e-9)
    np.testing.assert_allclose(counts @ grid, model.conditional_expected_purchases(26.0, x, t_x, T), rtol=1e-7)


def _future_bgnbd(n, params, T, t, seed):
    """BG/NBD customers observed to T and followed on to T + t."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params["r"], 1 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    before, after = rng.poisson(lam * T), rng.poisson(lam * t)
    total = rng.geometric(p)  # purchases until (and including) the one followed by dropout
    x = np.minimum(before, total)
    recency = np.where(x > 0, T * rng.beta(np.maximum(x, 1), before - x + 1), 0.0)
    future = np.minimum(before + after, total) - x
    return x, recency, future, before + after < total


def _future_pareto(n, params, T, t, seed):
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params["r"], 1 / params["alpha"], n)
    mu = rng.gamma(params["s"], 1 / params["beta"], n)
    life = rng.exponential(1 / mu)
    active = np.minimum(life, T)
    x = rng.poisson(lam * active)
    recency = np.where(x > 0, active * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    future = rng.poisson(lam * np.clip(np.minimum(life, T + t) - T, 0, None))
    return x, recency, future, life > T + t


@pytest.mark.parametrize("kind", ["bgnbd", "pareto_nbd"])
def test_conditional_pmf_and_future_alive_match_simulation(kind):
    T, t, n = 30.0, 20.0, 200_000
    if kind == "bgnbd":
        model, (x, t_x, future, alive_later) = _bg(TRUE_BGNBD), _future_bgnbd(n, TRUE_BGNBD, T, t, 31)
    else:
        model, (x, t_x, future, alive_later) = _pareto(TRUE_PARETO), _future_pareto(n, TRUE_PARETO, T, t, 32)
    for k in (0, 1, 2, 4):
        predicted = np.asarray(model.conditional_probability_of_n_purchases(k, t, x, t_x, T))
        share = (future == k).mean()
        assert predicted.mean() == pytest.approx(share, abs=4 * np.sqrt(share * (1 - share) / n) + 1e-4)
        buyers = x >= 3  # also within a group of customers
        assert predicted[buyers].mean() == pytest.approx((future[buyers] == k).mean(), abs=0.01)
    later = np.asarray(model.probability_alive(x, t_x, T, future_t=t))
    assert later.mean() == pytest.approx(alive_later.mean(), abs=0.005)
    high = later > 0.7
    assert alive_later[high].mean() == pytest.approx(later[high].mean(), abs=0.01)
    now = np.asarray(model.probability_alive(x, t_x, T))
    assert np.all(later <= now + 1e-12)


def test_pmf_rejects_bad_counts_and_horizons():
    with pytest.raises(ValueError, match="whole numbers"):
        _bg().probability_of_n_purchases(1.5, 10.0)
    with pytest.raises(ValueError, match="horizon"):
        _pareto().probability_of_n_purchases(1, -1.0)
    assert float(_pareto().probability_of_n_purchases(0, 0.0)) == pytest.approx(1.0)


# -- 3. penalizer and q constraint ------------------------------------------------------------

def test_penalizer_shrinks_log_parameters_and_zero_changes_nothing(cdnow, cdnow_bgnbd):
    same = BetaGeoModel(penalizer_coef=0.0).fit(cdnow)
    assert same.params_ == pytest.approx(cdnow_bgnbd.params_)
    scale = np.log(cdnow["T"].mean())
    centred = lambda m: np.abs(np.log(list(m.params_.values())) - np.array([0, scale, 0, 0]))  # noqa: E731
    light, heavy = BetaGeoModel(penalizer_coef=0.01).fit(cdnow), BetaGeoModel(penalizer_coef=1.0).fit(cdnow)
    assert np.sum(centred(heavy) ** 2) < np.sum(centred(light) ** 2) < np.sum(centred(cdnow_bgnbd) ** 2)
    assert light.loglik_ < cdnow_bgnbd.loglik_  # loglik_ is the plain likelihood, lower off the MLE
    for model in (ParetoNBDModel(penalizer_coef=0.1), ModifiedBetaGeoModel(penalizer_coef=0.1)):
        assert model.fit(cdnow).converged_
    gg = GammaGammaModel(penalizer_coef=0.1).fit(cdnow["frequency"], cdnow["monetary_value"])
    assert np.sum(np.log(list(gg.params_.values()))[:2] ** 2) < np.sum(np.log([6.25, 3.74]) ** 2)
    with pytest.raises(ValueError, match="penalizer_coef"):
        BetaGeoModel(penalizer_coef=-1.0).fit(cdnow)


def test_penalised_likelihood_derivatives():
    from crmlib.ltv._fit import penalised
    x, t_x, T = _small_rfm()
    data = BetaGeoModel()._prepare(x, t_x, T, np.ones_like(x))
    _check_derivatives(penalised(bgnbd_loglik, 0.3, np.array([0.0, 3.0, 0.0, 0.0])), (0.3, 5.0, 0.7, 2.0), data)


def test_gamma_gamma_q_constraint(cdnow, cdnow_gg):
    constrained = GammaGammaModel().fit(cdnow["frequency"], cdnow["monetary_value"], q_constraint=True)
    assert_published(constrained.params_, {"p": 6.25, "q": 3.74, "gamma": 15.44})  # q > 1 already
    assert constrained.se_["q"] == pytest.approx(cdnow_gg.se_["q"], rel=1e-3)
    # spend so spread out that the free fit puts q below 1 (no finite mean spend)
    x = np.random.default_rng(2).integers(1, 6, 3_000)
    spend = simulate_gamma_gamma(x, {"p": 3.0, "q": 0.7, "gamma": 20.0}, seed=3)
    free = GammaGammaModel().fit(x, spend)
    assert free.params_["q"] < 1
    with pytest.raises(ModelIdentificationError):
        GammaGammaModel().fit(x, spend, q_constraint=True)  # q runs to its bound 1


# -- 4. MBG/NBD --------------------------------------------------------------------------------

def test_mbgnbd_reproduces_published_cdnow_estimates(cdnow):
    model = ModifiedBetaGeoModel().fit(cdnow)
    assert_published(model.params_, PUBLISHED_MBGNBD)
    assert model.converged_ and set(model.summary.index) == {"r", "alpha", "a", "b"}
    # customers without repeat purchases may have left: P(alive) < 1 (lifetimes' test)
    assert float(model.probability_alive(0, 0.0, 1.0)[0]) < 1.0
    # within lifetimes' tolerance of Hardie's BG/NBD spreadsheet values
    assert float(model.conditional_expected_purchases(39, 2, 30.43, 38.86)[0]) == pytest.approx(1.226, abs=0.05)
    np.testing.assert_allclose(model.expected_purchases([1.0, 3.0, 32.0, 78.0]),
                               [0.0532, 0.1506, 1.0437, 1.8576], rtol=0.05)


def test_mbgnbd_closed_forms_and_derivatives():
    r, alpha, a, b = PUBLISHED_MBGNBD.values()
    model = ModifiedBetaGeoModel().with_params([r, alpha, a, b])
    x, t_x, T = np.array([0, 2, 7]), np.array([0.0, 20.0, 30.0]), np.array([30.0, 31.0, 38.0])
    alive = 1 / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    np.testing.assert_allclose(model.probability_alive(x, t_x, T), alive)
    z = 26.0 / (alpha + T + 26.0)
    expected = alive * (a + b + x) / (a - 1) * (1 - (1 - z) ** (r + x) * hyp2f1(r + x, b + x + 1, a + b + x, z))
    np.testing.assert_allclose(model.conditional_expected_purchases(26.0, x, t_x, T), expected, rtol=1e-9)
    t = np.array([4.0, 40.0])
    np.testing.assert_allclose(model.expected_purchases(t), b / (a - 1) * (
        1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, t / (alpha + t))), rtol=1e-10)
    xs, txs, Ts = _small_rfm()
    _check_derivatives(bgnbd_loglik, (0.5, 6.0, 0.9, 1.6), model._prepare(xs, txs, Ts, np.ones_like(xs)))
    # the likelihood itself (Batislam et al. 2007)
    ll = (betaln(a, b + xs + 1) - betaln(a, b) + gammaln(r + xs) + r * np.log(alpha) - gammaln(r)
          + np.log((alpha + Ts) ** -(r + xs) + a / (b + xs) * (alpha + txs) ** -(r + xs)))
    assert model.log_likelihood(xs, txs, Ts) == pytest.approx(ll.sum(), rel=1e-12)


def test_mbgnbd_recovers_simulated_parameters():
    truth = {"r": 0.6, "alpha": 5.0, "a": 0.9, "b": 2.0}
    T = np.random.default_rng(3).uniform(10, 60, 20_000)
    data = simulate_mbgnbd(20_000, truth, T, seed=4, return_latent=True)
    _assert_recovered(ModifiedBetaGeoModel().fit(data), truth)
    at_truth = ModifiedBetaGeoModel().with_params(list(truth.values()))
    alive = np.asarray(at_truth.probability_alive(data["frequency"], data["recency"], data["T"]))
    assert alive.mean() == pytest.approx(data["alive"].mean(), abs=0.01)
    one_timers = (data["frequency"] == 0).to_numpy()
    assert alive[one_timers].mean() == pytest.approx(data["alive"][one_timers].mean(), abs=0.015)


# -- 4. BG/BB ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def donations():
    return load_donations()


@pytest.fixture(scope="module")
def donations_bgbb(donations):
    return BetaGeoBetaBinomModel().fit(donations)


def test_donation_table_is_the_published_one(donations):
    assert int(donations["weights"].sum()) == 11_104 and len(donations) == 22
    assert (donations["n_periods"] == 6).all()


def test_bgbb_reproduces_published_donation_estimates(donations, donations_bgbb):
    model = donations_bgbb
    assert_published(model.params_, PUBLISHED_BGBB)
    assert model.loglik_ == pytest.approx(PUBLISHED_BGBB_LL, abs=0.05)
    assert model.converged_ and np.all(np.isfinite(model.summary["se"]))
    x, t_x, n, w = (donations[c] for c in ("frequency", "recency", "n_periods", "weights"))
    alive_2002 = np.asarray(model.probability_alive(x, t_x, n, future_t=1))
    rows = [((x == a) & (t_x == b)).to_numpy().argmax() for a, b in ((0, 0), (2, 4), (6, 6))]
    np.testing.assert_allclose(alive_2002[rows], [0.11, 0.59, 0.93], atol=0.005)
    assert float(w @ model.conditional_expected_purchases(5, x, t_x, n)) == pytest.approx(12884.2, abs=0.5)
    counts = model.probability_of_n_purchases(np.arange(7), 6) * 11_104
    assert counts[0] == pytest.approx(3454.9, abs=0.05) and counts[6] == pytest.approx(1253.1, abs=0.05)


def test_bgbb_closed_forms_derivatives_and_weights(donations, donations_bgbb):
    model = donations_bgbb
    pmf = model.probability_of_n_purchases(np.arange(11), 10)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    assert pmf @ np.arange(11) == pytest.approx(float(model.expected_purchases(10)), rel=1e-10)
    x, t_x, n = donations["frequency"], donations["recency"], donations["n_periods"]
    grid = np.stack([model.conditional_probability_of_n_purchases(k, 5, x, t_x, n) for k in range(6)])
    np.testing.assert_allclose(grid.sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.arange(6) @ grid, model.conditional_expected_purchases(5, x, t_x, n), rtol=1e-10)
    data = bgbb_prepare(*(donations[c].to_numpy(float) for c in ("frequency", "recency", "n_periods", "weights")))
    _check_derivatives(bgbb_loglik, (1.1, 0.8, 0.7, 2.5), data)
    expanded = donations.loc[donations.index.repeat(donations["weights"])].drop(columns="weights")
    refit = BetaGeoBetaBinomModel().fit(expanded["frequency"], expanded["recency"], expanded["n_periods"])
    assert refit.params_ == pytest.approx(model.params_, rel=1e-6)


def test_bgbb_recovers_simulated_parameters():
    truth = {"alpha": 1.5, "beta": 1.0, "gamma": 0.8, "delta": 3.0}
    data = simulate_bgbb(30_000, truth, n_opportunities=8, seed=5, return_latent=True)
    _assert_recovered(BetaGeoBetaBinomModel().fit(data), truth)
    at_truth = BetaGeoBetaBinomModel().with_params(list(truth.values()))
    alive = np.asarray(at_truth.probability_alive(data["frequency"], data["recency"], data["n_periods"]))
    assert alive.mean() == pytest.approx(data["alive"].mean(), abs=0.01)


def test_bgbb_rejects_impossible_histories():
    with pytest.raises(ValueError, match="recency"):
        BetaGeoBetaBinomModel().fit([3, 1], [2, 1], [6, 6])  # 3 purchases in 2 opportunities
    with pytest.raises(ValueError, match="whole numbers"):
        BetaGeoBetaBinomModel().fit([1.5], [2], [6])
    with pytest.raises(ModelIdentificationError):
        BetaGeoBetaBinomModel().fit(np.zeros(30), np.zeros(30), np.full(30, 5))


# -- 4. Gamma-Gamma on individual amounts --------------------------------------------------------

def _individual_amounts(truth, n_customers, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 10, n_customers)
    nu = rng.gamma(truth["q"], 1 / truth["gamma"], n_customers)
    ids = np.repeat(np.arange(n_customers), x)
    amounts = rng.gamma(truth["p"], 1 / nu[ids])
    return ids, amounts


def test_gamma_gamma_individual_recovers_parameters_and_agrees_with_the_mean_fit():
    truth = {"p": 5.0, "q": 4.0, "gamma": 20.0}
    ids, amounts = _individual_amounts(truth, 5_000, seed=6)
    individual = GammaGammaModelIndividual().fit(pd.DataFrame({"customer_id": ids, "amount": amounts}))
    _assert_recovered(individual, truth)
    frame = pd.DataFrame({"id": ids, "z": amounts}).groupby("id")["z"].agg(["size", "mean"])
    classic = GammaGammaModel().fit(frame["size"], frame["mean"])
    for name in truth:  # same parameters, to within the classic fit's standard errors
        assert abs(individual.params_[name] - classic.params_[name]) < 2 * classic.se_[name]
    assert individual.se_["p"] < classic.se_["p"]  # amounts carry more information on p
    np.testing.assert_allclose(individual.conditional_expected_spend([0, 3], [0.0, 40.0]),
                               individual.with_params(list(individual.params_.values()))
                               .conditional_expected_spend([0, 3], [0.0, 40.0]))


def test_gamma_gamma_individual_leaves_out_non_positive_amounts():
    ids, amounts = _individual_amounts({"p": 5.0, "q": 4.0, "gamma": 20.0}, 500, seed=7)
    amounts[:3] = [0.0, -5.0, np.nan]
    model = GammaGammaModelIndividual().fit(ids, amounts)
    assert model.n_excluded_amounts_ == 3
    with pytest.raises(ValueError, match="same length"):
        GammaGammaModelIndividual().fit(ids[:-1], amounts)


def test_bgbb_section_words_carry_the_published_forecast(donations, donations_bgbb):
    from crmlib.ltv.model_words import bgbb_texts
    histories = donations.loc[donations.index.repeat(donations["weights"])].drop(columns="weights")
    title, so_what = bgbb_texts(9, donations_bgbb, histories, "year", "en")
    assert title.startswith("## 9. Counted once per year: ")
    assert "11,104 customers" in title and "6 opportunities at most" in title
    assert "buy 12,884 times in total" in so_what  # Hardie's spreadsheet: 12,884.2
    _, so_what_id = bgbb_texts(9, donations_bgbb, histories, "year", "id")
    assert "12.884 kali" in so_what_id
