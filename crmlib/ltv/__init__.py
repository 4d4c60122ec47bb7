"""Probabilistic customer lifetime-value models: BG/NBD, MBG/NBD, Pareto/NBD, BG/BB and
Gamma-Gamma, with and without covariates.

Own maximum-likelihood implementations on scipy (see docs/ltv_models.md):

- :class:`BetaGeoModel`, :class:`ModifiedBetaGeoModel`, :class:`ParetoNBDModel`: repeat
  purchasing, fitted on frequency / recency / T (one time unit, weeks by default);
- :class:`BetaGeoBetaBinomModel`: discrete time, one purchase opportunity per period;
- :class:`GammaGammaModel`: spend per purchase, fitted on frequency / mean repeat spend;
  :class:`GammaGammaModelIndividual` on the individual amounts;
- :func:`customer_lifetime_value`, :func:`clv_interval`: discounted CLV and bootstrap bands;
- :class:`BetaGeoCovariateModel`, :class:`ParetoNBDCovariateModel`: with static covariates;
- :func:`alive_path`: P(alive) along one customer's history;
- :func:`holdout_table`, :func:`compare_models`: validation table and model scorecard;
- ``simulate_*``: customer bases drawn from each model.
"""
from crmlib.ltv._base import compress_rows
from crmlib.ltv._fit import ModelIdentificationError, NotFittedError
from crmlib.ltv.alive_path import alive_path
from crmlib.ltv.bgbb import BetaGeoBetaBinomModel, load_donations
from crmlib.ltv.bgnbd import BetaGeoModel
from crmlib.ltv.comparison import choose_model, compare_models
from crmlib.ltv.covariates import BetaGeoCovariateModel, ParetoNBDCovariateModel, covariate_design
from crmlib.ltv.gamma_gamma import GammaGammaModel
from crmlib.ltv.gamma_gamma_individual import GammaGammaModelIndividual
from crmlib.ltv.mbgnbd import ModifiedBetaGeoModel
from crmlib.ltv.opportunities import opportunity_summary
from crmlib.ltv.pareto_nbd import ParetoNBDModel
from crmlib.ltv.predict import (clv_interval, customer_lifetime_value, expected_purchases_in_days,
                                next_purchase_date)
from crmlib.ltv.simulate import (simulate_bgbb, simulate_bgnbd, simulate_gamma_gamma, simulate_mbgnbd,
                                 simulate_pareto_nbd)
from crmlib.ltv.validation import holdout_table

__all__ = [
    "BetaGeoModel", "ModifiedBetaGeoModel", "ParetoNBDModel", "BetaGeoBetaBinomModel",
    "GammaGammaModel", "GammaGammaModelIndividual", "BetaGeoCovariateModel",
    "ParetoNBDCovariateModel", "covariate_design", "alive_path", "compare_models", "choose_model",
    "load_donations", "opportunity_summary", "ModelIdentificationError",
    "NotFittedError", "compress_rows", "customer_lifetime_value", "clv_interval",
    "expected_purchases_in_days", "next_purchase_date", "holdout_table",
    "simulate_bgnbd", "simulate_mbgnbd", "simulate_pareto_nbd", "simulate_bgbb",
    "simulate_gamma_gamma",
]
