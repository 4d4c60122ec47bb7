"""The BG/NBD baseline: P(no purchase in the horizon) from the LTV module's BG/NBD fit.

For a customer alive at ``T`` the BG/NBD makes no purchase in ``(T, T + t]`` with probability
``E[exp(-lambda t)]`` under the posterior ``lambda ~ Gamma(r + x, alpha + T)`` (a BG/NBD
customer can only drop out right after a purchase), so

    P(no purchase in (T, T + t]) = 1 − P(alive) + P(alive) · ((alpha + T) / (alpha + T + t))^(r + x).

This turns P(alive) into a probability for the same label as the other models (and breaks
the ties P(alive) = 1 of all one-time buyers).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.summary import DAYS_PER_UNIT


def bgnbd_available() -> bool:
    """True when :mod:`crmlib.ltv` provides ``BetaGeoModel``."""
    try:
        from crmlib.ltv.bgnbd import BetaGeoModel  # noqa: F401
    except ImportError:
        return False
    return True


def bgnbd_churn_probability(history, customer_ids, cutoff, horizon_days: int,
                            time_unit: str = "W") -> tuple[np.ndarray | None, str]:
    """(P(no purchase in (cutoff, cutoff + horizon]) per customer, note) from a BG/NBD fit at ``cutoff``.

    ``history`` is a :class:`~crmlib.churn.features.PurchaseHistory`. Returns ``(None, reason)``
    when the LTV module is missing or the model cannot be fitted on this data.
    """
    if not bgnbd_available():
        return None, "crmlib.ltv is not installed"
    from crmlib.ltv.bgnbd import BetaGeoModel

    rfm = bgnbd_summary(history, cutoff, time_unit)
    seen = rfm[rfm["T"] > 0]  # a first purchase on the cutoff day carries no information yet
    try:
        model = BetaGeoModel(time_unit=time_unit).fit(seen["frequency"], seen["recency"], seen["T"])
    except Exception as err:  # model identification or optimisation failure: report, don't crash
        return None, f"BG/NBD could not be fitted at the cutoff: {err}"
    rfm = rfm.reindex(pd.Index(customer_ids, name="customer_id").astype(str))
    x, t_x, T = (rfm[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    p_alive = np.ones(len(rfm))
    known = T > 0
    p_alive[known] = np.asarray(model.probability_alive(x[known], t_x[known], T[known]), float)
    r, alpha = model.params_["r"], model.params_["alpha"]
    t = horizon_days / DAYS_PER_UNIT[time_unit]
    quiet = ((alpha + T) / (alpha + T + t)) ** (r + x)
    return 1.0 - p_alive + p_alive * quiet, "fitted"


def bgnbd_summary(history, cutoff, time_unit: str = "W") -> pd.DataFrame:
    """frequency (repeat purchase days), recency and T at ``cutoff``, as ``btyd_summary``."""
    unit = DAYS_PER_UNIT[time_unit]
    c = int(np.datetime64(pd.Timestamp(cutoff).normalize().date(), "D").astype(np.int64))
    daily = history.daily
    bought = daily[(daily["net"] > 0) & (daily["day"] <= c)]
    grouped = bought.groupby("code")["day"]
    first, last, count = grouped.min(), grouped.max(), grouped.size()
    out = pd.DataFrame({"frequency": (count - 1).astype(float), "recency": (last - first) / unit,
                        "T": (c - first) / unit})
    out.index = pd.Index(history.customer_ids[out.index.to_numpy()], name="customer_id")
    return out
