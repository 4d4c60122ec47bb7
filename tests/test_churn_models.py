"""Churn models, targeting, reasons, scoring and survival: simulations and hand-computed answers."""
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from sklearn.metrics import roc_auc_score

from crmlib.churn import explain, scoring, survival
from crmlib.churn.backtest import backtest_cutoffs, refit, run_backtest
from crmlib.churn.baselines import bgnbd_available, bgnbd_churn_probability
from crmlib.churn.evaluate import confusion_table, evaluate, gains_table, metrics_table
from crmlib.churn.features import churn_features, purchase_history
from crmlib.churn.simulate import simulate_customer_base
from crmlib.churn.targeting import best_cutoff, customer_value, profit_curve
from crmlib.io import InputError


@pytest.fixture(scope="module")
def simulated():
    transactions, customers = simulate_customer_base(n_customers=3000, seed=11)
    history = purchase_history(transactions)
    cutoffs = backtest_cutoffs("2024-12-30", 90, 4, test_cutoff="2024-09-30")
    result = run_backtest(history, cutoffs, 90, customers, attributes=("plan", "city"), bgnbd=False)
    return transactions, customers, history, result


def test_models_recover_known_churn_drivers(simulated):
    transactions, customers, history, result = simulated
    metrics = metrics_table(result.predictions, result.model_names).set_index("model")
    for name in ("logistic", "gradient_boosting"):
        assert metrics.loc[name, "roc_auc"] > 0.75, metrics
        assert metrics.loc[name, "roc_auc"] > metrics.loc["recency", "roc_auc"]
    # the true driver (plan) matters, the noise attribute (city) does not
    columns = result.numeric + result.categorical
    importance = explain.permutation_importance_table(result.models["gradient_boosting"],
                                                      result.test[columns], result.test["churned"])
    score = importance.set_index("feature")["importance"]
    assert score["plan"] > 0.01 and score["plan"] > 5 * max(score["city"], 0.001)
    assert importance["feature"].iloc[0] == "recency_days"
    # the model's risk is higher for basic-plan customers, as generated
    test = result.test.assign(p=result.predictions["gradient_boosting"])
    assert test.groupby("plan")["p"].mean()["basic"] > test.groupby("plan")["p"].mean()["premium"] + 0.1


def test_predicted_churn_ranks_customers_who_are_truly_dead(simulated):
    """Against the simulation's truth: customers already dead at the cutoff score higher."""
    _, customers, _, result = simulated
    dead = result.test["customer_id"].map(customers.set_index("customer_id")["death_date"]) \
        <= result.test_cutoff
    assert roc_auc_score(dead, result.predictions["gradient_boosting"]) > 0.8


def test_refit_uses_every_labelled_cutoff(simulated):
    *_, result = simulated
    model = refit(result, "logistic")
    assert model is not result.models["logistic"]
    assert model.named_steps["model"].coef_.shape == result.models["logistic"].named_steps["model"].coef_.shape


def test_evaluate_known_answers():
    y = [1, 1, 0, 0, 1, 0, 0, 0, 0, 0]
    score = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]
    found = evaluate(y, score, n_bins=5)
    # positives at ranks 1, 2, 5 among 10: AUC = pairs ranked right / 21
    assert found["roc_auc"] == pytest.approx((7 + 7 + 5) / 21)
    assert found["pr_auc"] == pytest.approx((1 + 1 + 3 / 5) / 3)
    assert found["brier"] == pytest.approx(np.mean((np.array(score) - np.array(y)) ** 2))
    assert found["top_decile_lift"] == pytest.approx(1.0 / 0.3)       # first fifth: 2 of 2 churn
    gains = gains_table(y, score, n_bins=5)
    assert gains["churners"].tolist() == [2, 0, 1, 0, 0]
    assert gains["cumulative_gain"].tolist() == pytest.approx([2 / 3, 2 / 3, 1, 1, 1])
    table = confusion_table(y, [1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    assert table.loc["churned", "contacted"] == 2 and table.loc["stayed", "contacted"] == 1
    assert table.loc["churned", "not_contacted"] == 1 and table.loc["stayed", "not_contacted"] == 6


def test_profit_curve_by_hand():
    churned = np.array([1, 0, 1, 0])
    probability = np.array([0.9, 0.8, 0.2, 0.1])
    value = np.array([100.0, 100.0, 1000.0, 10.0])
    # expected gains p * 0.5 * v - 10: 35, 30, 90, -9.5 -> order: 3rd, 1st, 2nd, 4th customer
    curve = profit_curve(churned, probability, value, offer_cost=10, save_rate=0.5)
    # realised gains y * 0.5 * v - 10: 490, 40, -10, -10
    assert curve["profit"].tolist() == pytest.approx([0, 490, 530, 520, 510])
    best = best_cutoff(curve)
    assert best["contacted"] == 2 and best["best_share_contacted"] == 0.5
    assert best["expected_profit"] == pytest.approx(530) and best["profit_contact_all"] == pytest.approx(510)
    value = customer_value(pd.DataFrame({"spend_last_year": [1000.0, -50.0]}), margin=0.3, value_years=2)
    assert value.tolist() == pytest.approx([600.0, 0.0])


def test_risk_bands_and_4r_actions():
    band = scoring.risk_band([0.1, 0.3, 0.59, 0.6, 0.95], cuts=(0.3, 0.6))
    assert list(band) == ["low", "medium", "medium", "high", "high"]
    with pytest.raises(InputError, match="churn_risk_bands"):
        scoring.risk_band([0.5], cuts=(0.6, 0.3))
    actions = scoring.churn_actions(["active", "active", "active", "lapsed", "lapsed"],
                                    ["high", "low", "medium", "high", "high"], [5, 5, -1, 3, -2])
    assert actions.tolist() == ["retention", "none", "none", "recovery", "none"]


def test_winback_list_keeps_contactable_recovery_customers_only():
    scores = pd.DataFrame({"customer_id": ["1", "2", "3", "4"], "action": ["recovery"] * 3 + ["retention"],
                           "recency_days": 200, "churn_probability": 0.9, "value": 100.0,
                           "expected_gain": [30.0, 20.0, 10.0, 5.0], "reason_1": "x"})
    customers = pd.DataFrame({"customer_id": ["1", "2", "3", "4"], "name": ["Budi", "Sari", "Tono", "Ani"],
                              "phone": ["0812-3456-7890", None, "123", "0812-3456-7891"],
                              "email": [None, "sari@contoh.example", "bad", None]})
    found = scoring.winback_list(scores, customers)
    assert found["customer_id"].tolist() == ["1", "2"]
    assert found["channel"].tolist() == ["whatsapp", "email"]
    assert found["phone"].tolist()[0] == "+6281234567890" and found["email"].tolist()[1] == "sari@contoh.example"
    assert found["expected_gain"].tolist() == [30.0, 20.0]
    assert scoring.winback_list(scores, None).empty


class _CityRisk:
    """A stand-in model: the risk is 0.9 unless the city is Bandung."""

    def predict_proba(self, X):
        risk = np.where(X["city"].astype(object).eq("Bandung"), 0.1, 0.9)
        return np.column_stack([1 - risk, risk])


def test_reason_codes_never_name_a_missing_attribute():
    X = pd.DataFrame({"city": pd.array(["Jakarta", None, "Medan", pd.NA], dtype=object),
                      "channel": pd.array(["email", pd.NA, "sms", None], dtype="string")},
                     index=[10, 11, 12, 13])
    reasons = explain.reason_codes(_CityRisk(), X, {"city": "Bandung", "channel": "email"}, top=2)
    assert reasons.index.tolist() == [10, 11, 12, 13]
    # every row's risk comes from the city; a customer without a city gets no city reason
    assert reasons["reason_1"].tolist() == ["city", "", "city", ""]
    assert reasons["reason_codes"].tolist() == ["city", "", "city", ""]


def test_reason_codes_name_what_raises_the_risk(simulated):
    *_, result = simulated
    columns = result.numeric + result.categorical
    model = result.models["gradient_boosting"]
    reference = explain.reference_values(result.train[columns])
    test = result.test[columns]
    risky = test[(test["recency_days"] > 300) & (test["plan"] == "basic")].head(20)
    reasons = explain.reason_codes(model, risky, reference, top=3)
    assert reasons["reason_codes"].str.contains("recency").mean() > 0.5
    assert reasons["reason_1"].str.len().gt(0).all()
    # group contributions: setting a group to the reference removes exactly that group's effect
    effects = explain.contributions(model, risky, reference)
    assert (effects["recency"] > 0).mean() > 0.8


def test_churn_durations_known_answers():
    frame = pd.DataFrame({
        "customer_id": ["A", "A", "A", "B", "B", "C"],
        "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-06-01",   # A: gap 121 days
                                "2024-01-01", "2024-03-30",                  # B: gap 89 days
                                "2024-10-15"]),                             # C: 77 days before end
        "amount": 10.0, "is_return": False})
    found = survival.churn_durations(frame, "2024-12-31", inactive_days=90).set_index("customer_id")
    # A churns 90 days after 2024-02-01 -> 31 + 90 = 121 days after its first purchase
    assert found.loc["A", "churned"] and found.loc["A", "duration_days"] == 121
    # B: last purchase 2024-03-30, 276 days before the end -> churned 89 + 90 days in
    assert found.loc["B", "churned"] and found.loc["B", "duration_days"] == 179
    # C: still inside its 90 days -> censored at the as-of date
    assert not found.loc["C", "churned"] and found.loc["C", "duration_days"] == 77


def test_kaplan_meier_matches_a_hand_computed_curve():
    durations = pd.DataFrame({"duration_days": [90.0, 120.0, 120.0, 200.0, 300.0] * 10,
                              "churned": [True, True, False, True, False] * 10})
    curves, summary = survival.kaplan_meier(durations, times=[0, 100, 150, 250])
    # S(100) = 4/5; S(150) = 4/5 * (1 - 1/4) = 0.6; at 200: 2 at risk, 1 event -> 0.3
    assert curves["all"].tolist() == pytest.approx([1.0, 0.8, 0.6, 0.3])
    assert summary.loc[0, "median_days"] == 200


@pytest.mark.skipif(not bgnbd_available(), reason="crmlib.ltv not installed")
def test_bgnbd_horizon_probability_matches_numerical_integration():
    transactions, _ = simulate_customer_base(n_customers=1500, seed=4)
    history = purchase_history(transactions)
    ids = pd.Series(history.customer_ids[:40])
    cutoff, horizon = "2024-06-30", 91
    p_churn, note = bgnbd_churn_probability(history, ids, cutoff, horizon)
    assert note == "fitted"
    from crmlib.churn.baselines import bgnbd_summary
    from crmlib.ltv.bgnbd import BetaGeoModel
    rfm = bgnbd_summary(history, cutoff)
    model = BetaGeoModel().fit(rfm.loc[rfm["T"] > 0, "frequency"], rfm.loc[rfm["T"] > 0, "recency"],
                               rfm.loc[rfm["T"] > 0, "T"])
    r, alpha = model.params_["r"], model.params_["alpha"]
    for i in range(0, 40, 7):
        x, t_x, T = rfm.loc[ids[i], ["frequency", "recency", "T"]]
        alive = float(model.probability_alive(np.array([x]), np.array([t_x]), np.array([T]))[0])
        posterior = stats.gamma(a=r + x, scale=1 / (alpha + T))
        quiet, _ = integrate.quad(lambda lam: np.exp(-lam * horizon / 7) * posterior.pdf(lam), 0, np.inf)
        assert p_churn[i] == pytest.approx(1 - alive + alive * quiet, rel=1e-6)


def test_survival_segment_must_be_a_customers_column():
    durations = pd.DataFrame({"customer_id": ["1", "2"], "first_spend": [10.0, 20.0]})
    customers = pd.DataFrame({"customer_id": ["1", "2"], "city": ["Bandung", "Medan"]})
    assert survival.segments(durations, customers, "city").tolist() == ["Bandung", "Medan"]
    with pytest.raises(InputError, match="churn_survival_segment = 'kota'.*city"):
        survival.segments(durations, customers, "kota")


def test_permutation_importance_is_scikit_learns_scored_in_batches():
    """Same shuffles, same AUC drops as sklearn.inspection.permutation_importance (its own
    function is the reference), for a pipeline with a categorical column and missing values."""
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.inspection import permutation_importance
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from crmlib.churn.explain import permutation_importance_table

    rng = np.random.default_rng(3)
    n = 600
    X = pd.DataFrame({"recency_days": rng.exponential(60, n), "frequency": rng.poisson(3, n).astype(float),
                      "main_channel": rng.choice(["store", "web", "whatsapp"], n)})
    X.loc[::17, "frequency"] = np.nan
    y = (X["recency_days"] + rng.normal(0, 30, n) > 60).astype(int).to_numpy()
    model = make_pipeline(ColumnTransformer([("c", OneHotEncoder(handle_unknown="ignore"), ["main_channel"])],
                                            remainder="passthrough"),
                          HistGradientBoostingClassifier(max_iter=30, random_state=0)).fit(X, y)
    got = permutation_importance_table(model, X, y, n_repeats=4, random_state=7).set_index("feature")
    expected = permutation_importance(model, X, y, scoring="roc_auc", n_repeats=4, random_state=7)
    np.testing.assert_allclose(got.loc[list(X.columns), "importance"], expected.importances_mean, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.loc[list(X.columns), "importance_sd"], expected.importances_std, rtol=0, atol=1e-12)
    assert got["importance"].idxmax() == "recency_days"


def test_column_median_imputer_gives_scikit_learns_medians_and_indicators():
    from sklearn.base import clone
    from sklearn.impute import SimpleImputer

    from crmlib.churn.backtest import ColumnMedianImputer

    known = np.array([[1.0, np.nan], [np.nan, 4.0], [3.0, 6.0], [10.0, np.nan]])
    fitted = ColumnMedianImputer(add_indicator=True).fit(known)
    assert fitted.statistics_.tolist() == [3.0, 5.0]  # odd and even counts of present values
    assert fitted.transform(known).tolist() == [[1, 5, 0, 1], [3, 4, 1, 0], [3, 6, 0, 0], [10, 5, 0, 1]]
    rng = np.random.default_rng(3)
    for n in (1, 2, 101, 1000):
        X = rng.lognormal(size=(n, 5))
        X[rng.random(X.shape) < 0.3] = np.nan
        X[:, 3] = np.round(X[:, 3])  # ties
        X[:, 4] = np.nan  # a column with no value at all
        for keep in (False, True):
            with warnings.catch_warnings():  # the empty column: scikit-learn warns it is skipped
                warnings.simplefilter("ignore")
                ours = clone(ColumnMedianImputer(add_indicator=True, keep_empty_features=keep)).fit(X)
                theirs = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=keep).fit(X)
                assert np.array_equal(ours.statistics_, theirs.statistics_, equal_nan=True)
                assert np.array_equal(ours.transform(X), theirs.transform(X), equal_nan=True)


def test_log1p_signed_inplace_is_the_plain_expression():
    from crmlib.churn.backtest import _log1p_signed_inplace

    x = np.array([[-1e9, -2.5, -0.0, 0.0], [1e-300, 0.5, 3.0, 1e12]])
    expected = np.sign(x) * np.log1p(np.abs(x))
    out = _log1p_signed_inplace(x)
    assert out is x and np.array_equal(out, expected)
    assert out[0, 0] == -np.log1p(1e9)


def test_pop_transactions_hands_the_lines_over_once():
    from crmlib.data import load_data

    data = load_data("data/sample/transactions.csv", as_of_date="2024-12-31")
    rows = data.report["rows_kept"]
    transactions = data.pop_transactions()
    assert len(transactions) == rows and data.transactions is None and data.validation.transactions is None
    assert data.report["rows_kept"] == rows  # the report and customers stay
    with pytest.raises(RuntimeError, match="already handed over"):
        data.pop_transactions()
