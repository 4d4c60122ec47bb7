"""Holdout validation table: mean holdout purchases by calibration frequency."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.ltv._base import as_array


def holdout_table(cal_frequency, holdout_purchases, predicted, max_freq: int = 7) -> pd.DataFrame:
    """Customers, mean actual and mean predicted holdout purchases per calibration frequency.

    Buckets 0, 1, ..., ``max_freq - 1`` and ``f"{max_freq}+"`` (the layout of Fader, Hardie
    & Lee 2005, figure 4). ``predicted`` is each customer's expected holdout purchases
    (e.g. ``model.conditional_expected_purchases(holdout_length, x, t_x, T)``).
    """
    x = as_array(cal_frequency, "cal_frequency")
    actual = as_array(holdout_purchases, "holdout_purchases")
    expected = as_array(predicted, "predicted")
    if not (x.size == actual.size == expected.size):
        raise ValueError("cal_frequency, holdout_purchases and predicted must have the same length")
    labels = [str(i) for i in range(max_freq)] + [f"{max_freq}+"]
    bucket = pd.Categorical.from_codes(np.minimum(x, max_freq).astype(int), labels)
    frame = pd.DataFrame({"bucket": bucket, "actual": actual, "predicted": expected})
    grouped = frame.groupby("bucket", observed=False)
    table = grouped[["actual", "predicted"]].mean()
    table.insert(0, "customers", grouped.size())
    table.index.name = "frequency"
    return table
