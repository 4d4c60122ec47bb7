"""Scoring today: churn probability, risk band, reasons and the 4R action per customer.

Actions (the 4R frame, see ``docs/churn.md``):

- ``retention``: an active customer at medium or high risk whose expected gain from an offer
  (``p · save_rate · value − offer_cost``) is positive;
- ``recovery``: a lapsed customer (no purchase for more than ``churn_inactive_days``) with a
  positive expected gain: worth a win-back offer;
- ``none``: everyone else (low value or low risk): no paid churn action.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.churn.backtest import model_threads
from crmlib.churn.targeting import expected_gain
from crmlib.campaigns import campaign_lists
from crmlib.io import InputError

RISK_BANDS = ("low", "medium", "high")
ACTIONS = ("retention", "recovery", "none")


def risk_band(probability, cuts=(0.3, 0.6)) -> pd.Categorical:
    """``low`` below ``cuts[0]``, ``medium`` below ``cuts[1]``, ``high`` from ``cuts[1]`` up."""
    low, high = (float(c) for c in cuts)
    if not 0 < low < high < 1:
        raise InputError(f"churn_risk_bands must be two increasing shares in (0, 1), like "
                         f"[0.3, 0.6], not {list(cuts)}.")
    codes = np.digitize(np.asarray(probability, float), [low, high])
    return pd.Categorical.from_codes(codes, categories=list(RISK_BANDS), ordered=True)


def churn_actions(status, band, gain) -> np.ndarray:
    """The 4R action per customer from status (active/lapsed), risk band and expected gain."""
    status, band, gain = np.asarray(status), np.asarray(band), np.asarray(gain, float)
    return np.select([(status == "lapsed") & (gain > 0),
                      (status == "active") & (band != "low") & (gain > 0)],
                     ["recovery", "retention"], "none")


def score_customers(model, features: pd.DataFrame, columns: list[str], value: pd.Series,
                    offer_cost: float, save_rate: float, cuts=(0.3, 0.6),
                    reasons: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per customer: probability, band, value, expected gain, action (+ reasons).

    Sorted by expected gain, highest first (ties by customer id).
    """
    with model_threads():
        probability = model.predict_proba(features[columns])[:, 1]
    gain = expected_gain(probability, value, offer_cost, save_rate)
    scores = pd.DataFrame({
        "customer_id": features["customer_id"].to_numpy(),
        "status": features["status"].to_numpy(),
        "recency_days": features["recency_days"].to_numpy(),
        "frequency": features["frequency"].to_numpy(),
        "spend_last_year": features["spend_last_year"].to_numpy(),
        "churn_probability": probability,
        "risk_band": risk_band(probability, cuts),
        "value": np.asarray(value, float),
        "expected_gain": gain,
    })
    scores["action"] = churn_actions(scores["status"], scores["risk_band"], gain)
    if reasons is not None:
        scores = pd.concat([scores, reasons.reset_index(drop=True)], axis=1)
    return scores.sort_values(["expected_gain", "customer_id"], ascending=[False, True],
                              kind="stable").reset_index(drop=True)


def band_action_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Customers, value at stake and expected gain by risk band × action."""
    table = scores.groupby(["risk_band", "action"], observed=True).agg(
        customers=("customer_id", "size"), value=("value", "sum"),
        expected_gain=("expected_gain", "sum")).reset_index()
    return table.sort_values(["risk_band", "action"]).reset_index(drop=True)


def winback_list(scores: pd.DataFrame, customers: pd.DataFrame | None,
                 channels=("whatsapp", "email")) -> pd.DataFrame:
    """Contactable ``recovery`` customers (the win-back list), highest expected gain first.

    Built with :func:`crmlib.campaigns.campaign_lists` (one row per customer, on the first of
    ``channels`` that reaches them): group (``recovery``), channel, customer_id, name, phone
    (E.164), email, then recency_days, churn_probability, value, expected_gain and the reasons.
    The file is for the CRM team; anything shown in a report must go through
    :func:`crmlib.privacy.mask_frame`. Empty (with those columns) without a customers table.
    """
    reasons = [c for c in scores.columns if c.startswith("reason_") and c != "reason_codes"]
    extra = ["recency_days", "churn_probability", "value", "expected_gain", *reasons]
    members = scores.loc[scores["action"] == "recovery", ["customer_id", "action", *extra]]
    table = None
    if customers is not None:
        table = customers.assign(customer_id=customers["customer_id"].astype(str))
    lists = campaign_lists(members, table, group="action", text=None, channels=channels,
                           one_channel_each=True, extra_columns=extra)
    return lists.sort_values(["expected_gain", "customer_id"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)
