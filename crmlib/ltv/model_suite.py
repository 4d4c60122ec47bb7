"""The models notebook 05 fits beyond its BG/NBD, Pareto/NBD and Gamma-Gamma: computing only.

:func:`fit_model_suite` gathers, for the report,

- the purchase-model scorecard on the calibration period (BG/NBD, Pareto/NBD as fitted by the
  notebook, plus MBG/NBD) and the model it recommends for the CLV;
- with ``covariates`` (customers-file columns), BG/NBD with those covariates on the whole
  history, its effects and the likelihood-ratio test against the plain BG/NBD;
- with ``opportunities`` ("year", "quarter" or "month"), the BG/BB on one purchase
  opportunity per period;
- Gamma-Gamma fitted on the individual repeat-purchase amounts, next to the classic fit.

A model the data cannot identify is recorded with its reason in ``failures``, never raised.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from crmlib.ltv._fit import ModelIdentificationError
from crmlib.ltv.bgbb import BetaGeoBetaBinomModel
from crmlib.ltv.comparison import fit_comparison, model_results
from crmlib.ltv.covariates import BetaGeoCovariateModel, covariate_design
from crmlib.ltv.gamma_gamma_individual import GammaGammaModelIndividual
from crmlib.ltv.opportunities import opportunity_summary


@dataclass
class ModelSuite:
    """What :func:`fit_model_suite` fitted; ``models`` by name, ``failures`` name -> reason."""

    models: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)
    comparison: pd.DataFrame | None = None
    chosen: str | None = None
    reason: str | None = None
    design: object = None
    opportunities: pd.DataFrame | None = None

    @property
    def covariate_model(self):
        return self.models.get("bgnbd_covariates")

    def results(self) -> dict:
        """For results.json: ``models`` (every fitted model, or its error) and ``model_comparison``."""
        models = {name: model_results(model) for name, model in self.models.items()}
        models.update({name: {"error": reason} for name, reason in self.failures.items()})
        cov = self.covariate_model
        if cov is not None:
            models["bgnbd_covariates"]["effects"] = cov.effects()
            models["bgnbd_covariates"]["likelihood_ratio_test"] = cov.likelihood_ratio_test()
            models["bgnbd_covariates"]["references"] = self.design.references
        comparison = None
        if self.comparison is not None and not self.comparison.empty:
            comparison = {"table": self.comparison.reset_index(), "chosen": self.chosen, "reason": self.reason,
                          "fitted_on": "calibration"}
        return {"models": models, "model_comparison": comparison}


def repeat_amounts(transactions: pd.DataFrame, end) -> pd.DataFrame:
    """customer_id and amount of every repeat purchase day up to ``end`` (same-day lines summed;
    the first purchase day and negative-net days left out), as the classic fit averages them."""
    frame = transactions[transactions["date"] <= pd.Timestamp(end) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)]
    daily = (frame.assign(day=frame["date"].dt.normalize())
             .groupby(["customer_id", "day"], sort=True)["amount"].sum().reset_index())
    daily = daily[daily["amount"] >= 0]
    first = daily.groupby("customer_id")["day"].transform("min")
    return daily.loc[daily["day"] > first, ["customer_id", "amount"]].reset_index(drop=True)


def fit_model_suite(transactions: pd.DataFrame, customers: pd.DataFrame | None, calibration: pd.DataFrame,
                    full: pd.DataFrame, fitted: dict, observation_end, time_unit: str = "W",
                    covariates=(), opportunities: str | None = None) -> ModelSuite:
    """Fit the extra models (see the module docstring). ``fitted``: the purchase models the
    notebook fitted on ``calibration``; ``full``: the BTYD summary of the whole history."""
    suite = ModelSuite()
    models, failures, table, chosen, reason = fit_comparison(calibration, fitted, time_unit)
    suite.models.update({name: m for name, m in models.items() if name not in fitted})
    suite.failures.update(failures)
    suite.comparison, suite.chosen, suite.reason = table, chosen, reason

    covariates = list(covariates or ())
    if covariates:
        if customers is None:
            suite.failures["bgnbd_covariates"] = "ltv_covariates needs a customers file"
        else:
            suite.design = covariate_design(customers, covariates, full.index)
            try:
                suite.models["bgnbd_covariates"] = BetaGeoCovariateModel(time_unit=time_unit).fit(
                    full, covariates=suite.design.matrix)
            except (ModelIdentificationError, ValueError) as error:
                suite.failures["bgnbd_covariates"] = str(error)

    if opportunities:
        suite.opportunities = opportunity_summary(transactions, observation_end, opportunities)
        try:
            suite.models["bgbb"] = BetaGeoBetaBinomModel().fit(suite.opportunities)
        except ModelIdentificationError as error:
            suite.failures["bgbb"] = str(error)

    try:
        amounts = repeat_amounts(transactions, observation_end)
        suite.models["gamma_gamma_individual"] = GammaGammaModelIndividual().fit(amounts)
    except ModelIdentificationError as error:
        suite.failures["gamma_gamma_individual"] = str(error)
    return suite

