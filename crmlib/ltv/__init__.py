"""Probabilistic customer lifetime-value models: BG/NBD, Pareto/NBD and Gamma-Gamma.

Own maximum-likelihood implementations on scipy (see docs/ltv_models.md):

- :class:`BetaGeoModel`, :class:`ParetoNBDModel`: repeat purchasing, fitted on
  frequency / recency / T (one time unit, weeks by default);
- :class:`GammaGammaModel`: spend per purchase, fitted on frequency / mean repeat spend;
- :func:`customer_lifetime_value`, :func:`clv_interval`: discounted CLV and bootstrap bands;
- :func:`holdout_table`: the calibration-frequency validation table;
- ``simulate_*``: customer bases drawn from each model.
"""
from crmlib.ltv._base import compress_rows
from crmlib.ltv._fit import ModelIdentificationError, NotFittedError
from crmlib.ltv.bgnbd import BetaGeoModel
from crmlib.ltv.gamma_gamma import GammaGammaModel
from crmlib.ltv.pareto_nbd import ParetoNBDModel
from crmlib.ltv.predict import (clv_interval, customer_lifetime_value, expected_purchases_in_days,
                                next_purchase_date)
from crmlib.ltv.simulate import simulate_bgnbd, simulate_gamma_gamma, simulate_pareto_nbd
from crmlib.ltv.validation import holdout_table

__all__ = [
    "BetaGeoModel", "ParetoNBDModel", "GammaGammaModel", "ModelIdentificationError",
    "NotFittedError", "compress_rows", "customer_lifetime_value", "clv_interval",
    "expected_purchases_in_days", "next_purchase_date", "holdout_table",
    "simulate_bgnbd", "simulate_pareto_nbd", "simulate_gamma_gamma",
]
