"""Fit the lifetime-value models the data can identify, and record the ones it cannot.

A client's data do not always identify every model: the fitters raise
:class:`~crmlib.ltv.ModelIdentificationError` when the likelihood keeps improving towards
the edge of the parameter space (e.g. BG/NBD's dropout probability running off to 0 when
the history shows no sign of customers leaving). That error is right; notebook 05 must
still report what it can. :func:`fit_models` fits each model, keeps the ones that fit and
records, for the others, why not; :func:`fit_clv` values customers with the first purchase
model that fits (BG/NBD, then Pareto/NBD) and Gamma-Gamma, or says that no model-based CLV
can be given (the notebook's scenario LTV, which needs no model, is then the estimate).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from crmlib.ltv._fit import ModelIdentificationError
from crmlib.ltv.bgnbd import BetaGeoModel
from crmlib.ltv.gamma_gamma import GammaGammaModel
from crmlib.ltv.mbgnbd import ModifiedBetaGeoModel
from crmlib.ltv.pareto_nbd import ParetoNBDModel
from crmlib.ltv.segment_value import customer_value

#: Purchase models in order of preference for the CLV.
PURCHASE_MODELS = ("bgnbd", "pareto_nbd")
SPEND_MODEL = "gamma_gamma"
MODEL_NAMES = (*PURCHASE_MODELS, SPEND_MODEL)
#: Purchase models the CLV may use when the model comparison prefers them.
CLV_PURCHASE_MODELS = (*PURCHASE_MODELS, "mbgnbd")
#: ``clv_model`` when no purchase or spend model fits: the scenario LTV (no model) stands in.
SCENARIO = "scenario"


def _fit_one(name: str, summary: pd.DataFrame, time_unit: str):
    if name == "bgnbd":
        return BetaGeoModel(time_unit=time_unit).fit(summary)
    if name == "pareto_nbd":
        return ParetoNBDModel(time_unit=time_unit).fit(summary)
    if name == "mbgnbd":
        return ModifiedBetaGeoModel(time_unit=time_unit).fit(summary)
    if name == SPEND_MODEL:
        repeaters = summary[summary["frequency"] > 0]
        return GammaGammaModel().fit(repeaters["frequency"], repeaters["monetary_value"])
    raise ValueError(f"model must be one of {MODEL_NAMES}, not {name!r}")


@dataclass
class ModelFits:
    """Fitted models by name (in :data:`MODEL_NAMES` order) and the failures' messages."""

    models: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)

    @property
    def purchase(self) -> dict:
        """The fitted purchase models (BG/NBD, Pareto/NBD), in order of preference."""
        return {name: self.models[name] for name in PURCHASE_MODELS if name in self.models}

    @property
    def spend(self):
        return self.models.get(SPEND_MODEL)

    def results(self) -> dict:
        """For results.json: ``{name: {params, loglik, se}}`` or ``{name: {error}}``.

        Gamma-Gamma's scale gamma is reported as ``v``.
        """
        out = {}
        for name in (*CLV_PURCHASE_MODELS, SPEND_MODEL):
            if name in self.failures:
                out[name] = {"error": self.failures[name]}
            elif name in self.models:
                model = self.models[name]
                rename = {"gamma": "v"} if name == SPEND_MODEL else {}
                out[name] = {"params": {rename.get(k, k): v for k, v in model.params_.items()},
                             "loglik": model.loglik_,
                             "se": {rename.get(k, k): v for k, v in model.se_.items()}}
        return out

    def parameter_table(self) -> pd.DataFrame:
        """Estimates of the fitted models: model, parameter, estimate, se, lower_95, upper_95."""
        columns = ["model", "parameter", "estimate", "se", "lower_95", "upper_95"]
        if not self.models:
            return pd.DataFrame(columns=columns)
        frames = [model.summary.rename_axis("parameter").reset_index().assign(model=name)
                  for name, model in self.models.items()]
        return pd.concat(frames, ignore_index=True)[columns]

    def logliks(self) -> dict:
        """Log-likelihood of each fitted model."""
        return {name: float(model.loglik_) for name, model in self.models.items()}


def fit_models(summary: pd.DataFrame, time_unit: str = "W", names=MODEL_NAMES,
               purchase_fallback_only: bool = False) -> ModelFits:
    """Fit each model of ``names`` on a BTYD summary; keep failures instead of raising.

    Only :class:`ModelIdentificationError` (the data cannot identify the model) is caught:
    any other error is a bug or bad input and propagates. With ``purchase_fallback_only``
    a later purchase model is fitted only when the ones before it failed (for the CLV,
    which needs one).
    """
    fits = ModelFits()
    for name in names:
        if purchase_fallback_only and name in PURCHASE_MODELS and fits.purchase:
            continue
        try:
            fits.models[name] = _fit_one(name, summary, time_unit)
        except ModelIdentificationError as error:
            fits.failures[name] = str(error)
    return fits


@dataclass
class CLVFit:
    """Result of :func:`fit_clv`: the per-customer table (``None`` without a model), the
    model used (``"bgnbd"``, ``"pareto_nbd"`` or :data:`SCENARIO`) and the fits behind it."""

    table: pd.DataFrame | None
    model: str
    fits: ModelFits
    preferred: str = PURCHASE_MODELS[0]

    @property
    def ok(self) -> bool:
        return self.table is not None

    @property
    def band_method(self) -> str | None:
        """How the CLV band was computed: ``"draws"`` or ``"delta"`` (see :func:`~crmlib.ltv.predict.clv_interval`)."""
        return None if self.table is None else self.table.attrs.get("band_method")

    @property
    def total(self) -> float | None:
        return float(self.table["clv"].sum()) if self.ok else None

    @property
    def top20_share(self) -> float | None:
        """Share of the total CLV held by the top 20 % of customers."""
        if not self.ok or not self.total:
            return None
        top = self.table["clv"].nlargest(max(1, round(0.2 * len(self.table)))).sum()
        return float(top / self.total)

    def results(self, scenario_ltv: float | None = None) -> dict:
        """For results.json ``clv``: model, totals, refitted parameters and failures.

        Without a model-based CLV, ``total``/``mean`` are ``None`` and ``scenario_ltv`` (the
        scenario LTV per customer, which needs no model) is recorded instead.
        """
        used = {} if not self.ok else {self.model: self.fits.models[self.model].params_,
                                       SPEND_MODEL: self.fits.spend.params_}
        out = {"model": f"{self.model}+{SPEND_MODEL}" if self.ok else SCENARIO, "params": used,
               "failures": {name: {"error": message} for name, message in self.fits.failures.items()},
               "total": self.total, "customers": len(self.table) if self.ok else 0,
               "mean": self.total / len(self.table) if self.ok and len(self.table) else None,
               "top20_share": self.top20_share}
        if not self.ok:
            out["scenario_ltv"] = scenario_ltv
        return out


def fit_clv(summary: pd.DataFrame, as_of, time_unit: str = "W", horizon_months: int = 12,
            annual_discount_rate: float = 0.1, margin: float = 1.0, n_draws: int = 200,
            seed: int = 0, purchase_models=PURCHASE_MODELS) -> CLVFit:
    """Per-customer CLV (:func:`crmlib.ltv.segment_value.customer_value`) from the first
    purchase model that fits (BG/NBD, else Pareto/NBD) and Gamma-Gamma.

    A model whose fit or CLV band cannot be computed (no definite Hessian) is recorded as
    failed and the next is tried. Without a purchase model or Gamma-Gamma the table is
    ``None`` and the model :data:`SCENARIO`: the notebook's scenario LTV is the estimate.
    ``purchase_models``: the order to try (e.g. the model comparison's choice first; any of
    :data:`CLV_PURCHASE_MODELS`).
    """
    fits = ModelFits()
    spend = fit_models(summary, time_unit, (SPEND_MODEL,))
    fits.failures.update(spend.failures)
    if spend.spend is not None:
        fits.models[SPEND_MODEL] = spend.spend
    for name in purchase_models:
        one = fit_models(summary, time_unit, (name,))
        if name in one.failures:
            fits.failures[name] = one.failures[name]
            continue
        fits.models[name] = one.models[name]
        if spend.spend is None:
            break  # purchase model kept for the record; no CLV without spend
        try:
            table = customer_value(summary, one.models[name], spend.spend, as_of, horizon_months,
                                   annual_discount_rate, margin, n_draws, seed)
        except ModelIdentificationError as error:
            fits.failures[name] = str(error)
            del fits.models[name]
            continue
        return CLVFit(table=table, model=name, fits=_ordered(fits), preferred=purchase_models[0])
    return CLVFit(table=None, model=SCENARIO, fits=_ordered(fits), preferred=purchase_models[0])


def _ordered(fits: ModelFits) -> ModelFits:
    names = (*CLV_PURCHASE_MODELS, SPEND_MODEL)
    return ModelFits(models={n: fits.models[n] for n in names if n in fits.models},
                     failures={n: fits.failures[n] for n in names if n in fits.failures})
