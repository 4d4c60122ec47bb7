"""Which purchase model to trust: in-sample fit (log-likelihood, AIC, BIC) and holdout error.

The holdout scorecard (as CLVTools users build it): customers are bucketed by calibration
frequency (0, 1, ..., 6, 7+ as in Fader, Hardie & Lee 2005, figure 4); per bucket the mean
predicted and mean actual holdout purchases are compared. ``holdout_mae`` is the mean over
buckets of |predicted - actual|, ``holdout_bias`` the relative error of the total
(predicted / actual - 1), ``customer_mae`` the mean absolute error per customer.

Likelihoods are comparable only between models fitted on the same data: the continuous-time
models (BG/NBD, MBG/NBD, Pareto/NBD and their covariate versions) share one table; BG/BB,
fitted on opportunities, and the spend models are not in it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.ltv._base import as_array
from crmlib.ltv.validation import holdout_table

COMPARISON_COLUMNS = ("n_params", "loglik", "aic", "bic", "holdout_mae", "holdout_bias",
                      "customer_mae", "holdout_predicted", "holdout_actual")
#: Models whose holdout MAE is within this share of the best count as equally good: the
#: first of them in the table's order is kept unless another's BIC is lower by this much.
MAE_TIE = 0.05
BIC_EVIDENCE = 2.0


def holdout_errors(cal_frequency, holdout_purchases, predicted, max_freq: int = 7) -> dict:
    """Bucket MAE, relative bias of the total and per-customer MAE of a holdout forecast."""
    actual = as_array(holdout_purchases, "holdout_purchases")
    expected = as_array(predicted, "predicted")
    table = holdout_table(cal_frequency, actual, expected, max_freq=max_freq)
    filled = table[table["customers"] > 0]
    total_actual = float(actual.sum())
    return {
        "holdout_mae": float(np.mean(np.abs(filled["predicted"] - filled["actual"]))),
        "holdout_bias": float(expected.sum() / total_actual - 1.0) if total_actual else float("nan"),
        "customer_mae": float(np.mean(np.abs(expected - actual))),
        "holdout_predicted": float(expected.sum()),
        "holdout_actual": total_actual,
    }


def compare_models(models: dict, frequency, recency, T, holdout_purchases, holdout_length,
                   predictions: dict | None = None, max_freq: int = 7) -> pd.DataFrame:
    """One row per fitted model (in the order given): parameters, log-likelihood, AIC, BIC
    and holdout errors.

    ``predictions`` may give a model's per-customer expected holdout purchases (needed for
    covariate models, which also take covariates); otherwise they are
    ``model.conditional_expected_purchases(holdout_length, frequency, recency, T)``.
    """
    predictions = predictions or {}
    rows = {}
    for name, model in models.items():
        k = len(model.param_names)
        n = float(model.n_customers_)
        predicted = predictions.get(name)
        if predicted is None:
            predicted = model.conditional_expected_purchases(holdout_length, frequency, recency, T)
        rows[name] = {"n_params": k, "loglik": model.loglik_, "aic": 2 * k - 2 * model.loglik_,
                      "bic": k * np.log(n) - 2 * model.loglik_,
                      **holdout_errors(frequency, holdout_purchases, predicted, max_freq)}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(COMPARISON_COLUMNS))
    table.index.name = "model"
    return table


def choose_model(table: pd.DataFrame, candidates=None) -> tuple[str, str]:
    """The model to use for CLV and why: ``(name, reason)``.

    ``"holdout"``: the lowest holdout MAE, more than 5 % below every other model's.
    Otherwise the models within 5 % of the best predict equally well: the first of them in
    the table's order (the default, BG/NBD) is kept (``"default"``) unless another has a BIC
    lower by more than :data:`BIC_EVIDENCE` (positive evidence, Kass & Raftery 1995), which
    is then chosen (``"bic"``). ``"only"``: a single candidate.
    """
    rows = table if candidates is None else table.loc[[c for c in table.index if c in set(candidates)]]
    if rows.empty:
        raise ValueError("no fitted model to choose from")
    if len(rows) == 1:
        return str(rows.index[0]), "only"
    best = rows["holdout_mae"].min()
    close = rows[rows["holdout_mae"] <= best * (1 + MAE_TIE) + 1e-12]
    if len(close) == 1:
        return str(close.index[0]), "holdout"
    default, lowest = close.index[0], close["bic"].idxmin()
    if close.loc[default, "bic"] - close.loc[lowest, "bic"] > BIC_EVIDENCE:
        return str(lowest), "bic"
    return str(default), "default"


def fit_comparison(calibration: pd.DataFrame, fitted: dict, time_unit: str = "W", extra=("mbgnbd",)):
    """The scorecard of the purchase models on a calibration summary with holdout columns
    (``frequency_holdout``, ``duration_holdout`` as from ``btyd_summary``).

    ``fitted``: purchase models already fitted on ``calibration`` by name; the ``extra``
    models (MBG/NBD) are fitted here. Returns ``(models, failures, table, chosen, reason)``;
    a model the data cannot identify goes to ``failures`` with its reason.
    """
    from crmlib.ltv._fit import ModelIdentificationError
    from crmlib.ltv.mbgnbd import ModifiedBetaGeoModel

    makers = {"mbgnbd": ModifiedBetaGeoModel}
    models, failures = dict(fitted), {}
    for name in extra:
        try:
            models[name] = makers[name](time_unit=time_unit).fit(calibration)
        except ModelIdentificationError as error:
            failures[name] = str(error)
    if not models:
        return models, failures, pd.DataFrame(columns=list(COMPARISON_COLUMNS)), None, None
    table = compare_models(models, calibration["frequency"], calibration["recency"], calibration["T"],
                           calibration["frequency_holdout"], calibration["duration_holdout"])
    chosen, reason = choose_model(table)
    return models, failures, table, chosen, reason


def model_results(model) -> dict:
    """A fitted model for results.json: parameters, SEs, log-likelihood, customers, convergence."""
    return {"params": dict(model.params_), "se": dict(model.se_), "loglik": float(model.loglik_),
            "n_customers": float(model.n_customers_), "converged": bool(model.converged_)}
