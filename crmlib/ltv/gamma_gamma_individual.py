"""Gamma-Gamma spend model fitted on individual purchase amounts (as PyMC-Marketing's
``GammaGammaModelIndividual``) rather than on each customer's mean.

Same model as :class:`~crmlib.ltv.GammaGammaModel`: amounts z ~ Gamma(p, nu), nu ~ Gamma(q,
gamma). The likelihood of a customer's x amounts is Gamma(px+q)/(Gamma(p)^x Gamma(q))
gamma^q prod z^(p-1) / (gamma + sum z)^(px+q); it uses the spread of amounts within each
customer, which the mean alone hides, so p is estimated more tightly. Predictions (the
posterior mean spend p (gamma + S)/(px + q - 1)) are those of the classic model.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.ltv._base import as_array
from crmlib.ltv.gamma_gamma import GammaGammaModel, _check_spread, _GGData


class GammaGammaModelIndividual(GammaGammaModel):
    """``GammaGammaModelIndividual().fit(customer_id, amount)`` on one row per purchase.

    Pass the purchases the classic model would average (usually the repeat purchases).
    Amounts that are not positive cannot come from a Gamma distribution: they are left out
    and counted in ``n_excluded_amounts_``.
    """

    def fit(self, customer_id, amount=None, weights=None, q_constraint: bool = False):
        """Maximum-likelihood fit; ``customer_id`` may be a frame with columns
        customer_id and amount. Returns self."""
        if weights is not None:
            raise ValueError("GammaGammaModelIndividual takes one row per purchase; no weights")
        if isinstance(customer_id, pd.DataFrame):
            frame = customer_id
            missing = {"customer_id", "amount"} - set(frame.columns)
            if missing:
                raise ValueError(f"purchase frame lacks columns {sorted(missing)}")
            customer_id, amount = frame["customer_id"], frame["amount"]
        if amount is None:
            raise ValueError("give customer_id and amount (or one frame with those columns)")
        ids = np.asarray(customer_id)
        z = as_array(amount, "amount")
        if ids.shape != z.shape:
            raise ValueError("customer_id and amount must have the same length")
        if np.any(pd.isna(ids)):
            raise ValueError("customer_id holds missing values")
        usable = np.isfinite(z) & (z > 0)
        self.n_excluded_amounts_ = int((~usable).sum())
        _, inverse = np.unique(ids[usable], return_inverse=True)
        z = z[usable]
        x = np.bincount(inverse).astype(float)
        total = np.bincount(inverse, weights=z)
        sum_log = np.bincount(inverse, weights=np.log(z))
        m = total / np.maximum(x, 1.0)
        w = np.ones_like(x)
        _check_spread(m, w, type(self).__name__)
        data = _GGData(x=x, m=m, w=w, log_m=np.log(m), log_x=np.log(x),
                       total_weight=float(x.size), sum_log=sum_log)
        return self._fit_data(data, q_constraint)
