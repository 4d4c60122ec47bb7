"""Profit-based targeting: whom to contact with a retention offer, and how many.

Contacting customer i costs ``offer_cost``; if the customer was going to churn, the offer keeps
them with probability ``save_rate``, which is worth ``value_i`` (margin × expected future spend).
The expected gain of contacting i is ``p_i · save_rate · value_i − offer_cost``; customers are
contacted in decreasing order of that gain. On a holdout where the outcome is known the same
list earns ``churned_i · save_rate · value_i − offer_cost`` (customers who would have stayed
anyway cost the offer and bring nothing).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.io import InputError


def check_offer(offer_cost: float, save_rate: float, margin: float) -> None:
    """Raise :class:`InputError` for impossible targeting parameters."""
    if not 0 < save_rate <= 1:
        raise InputError(f"churn_save_rate must be a share in (0, 1], not {save_rate}.")
    if offer_cost < 0:
        raise InputError(f"churn_offer_cost must not be negative, not {offer_cost}.")
    if not 0 < margin <= 1:
        raise InputError(f"margin must be a share in (0, 1], not {margin}.")


def customer_value(features: pd.DataFrame, margin: float, value_years: float = 1.0) -> pd.Series:
    """Profit at stake per customer: ``margin × spend in the last 365 days × value_years``.

    Last-12-month spend is the usual CRM measure of what a customer is worth per year; pass a
    CLV series instead (e.g. from notebook 05) where one is available.
    """
    return (margin * value_years * features["spend_last_year"].clip(lower=0)).rename("value")


def expected_gain(probability, value, offer_cost: float, save_rate: float) -> np.ndarray:
    """Expected profit of contacting each customer: ``p · save_rate · value − offer_cost``."""
    return np.asarray(probability, float) * save_rate * np.asarray(value, float) - offer_cost


def profit_curve(churned, probability, value, offer_cost: float, save_rate: float) -> pd.DataFrame:
    """Cumulative profit when contacting the top k customers by expected gain, k = 0..n.

    Columns: contacted, share_contacted, expected_gain (of the k-th customer), profit (on the
    known outcomes) and predicted_profit (from the probabilities). Row 0 is "contact nobody".
    """
    gain = expected_gain(probability, value, offer_cost, save_rate)
    order = np.argsort(-gain, kind="stable")
    realised = np.asarray(churned, float)[order] * save_rate * np.asarray(value, float)[order] - offer_cost
    n = len(order)
    return pd.DataFrame({
        "contacted": np.arange(n + 1),
        "share_contacted": np.arange(n + 1) / max(n, 1),
        "expected_gain": np.r_[np.nan, gain[order]],
        "profit": np.r_[0.0, np.cumsum(realised)],
        "predicted_profit": np.r_[0.0, np.cumsum(gain[order])],
    })


def best_cutoff(curve: pd.DataFrame) -> dict:
    """The profit-maximising point of a :func:`profit_curve` (the first one on ties)."""
    best = curve.loc[int(np.argmax(curve["profit"].to_numpy()))]
    return {"best_share_contacted": float(best["share_contacted"]),
            "contacted": int(best["contacted"]),
            "expected_profit": float(best["profit"]),
            "min_expected_gain": float(best["expected_gain"]) if best["contacted"] else None,
            "profit_contact_all": float(curve["profit"].iloc[-1])}


def contacted_mask(probability, value, offer_cost: float, save_rate: float, contacted: int) -> np.ndarray:
    """Boolean mask of the ``contacted`` customers with the highest expected gain."""
    gain = expected_gain(probability, value, offer_cost, save_rate)
    mask = np.zeros(len(gain), dtype=bool)
    mask[np.argsort(-gain, kind="stable")[:contacted]] = True
    return mask
