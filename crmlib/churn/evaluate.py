"""Holdout evaluation: ROC/PR AUC, Brier, calibration, gains and lift by decile, confusion matrix."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import (average_precision_score, brier_score_loss, confusion_matrix,
                             roc_auc_score, roc_curve)


def ranked(y, score, n_bins: int = 10) -> pd.DataFrame:
    """Customers sorted by score (highest risk first; ties in the given order) with their bin 1..n."""
    frame = pd.DataFrame({"y": np.asarray(y, int), "score": np.asarray(score, float)})
    frame = frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    frame["bin"] = (np.arange(len(frame)) * n_bins // max(len(frame), 1)) + 1
    return frame


def gains_table(y, score, n_bins: int = 10) -> pd.DataFrame:
    """Per decile (1 = highest risk): customers, churners, churn rate, lift, cumulative gains."""
    frame = ranked(y, score, n_bins)
    base = frame["y"].mean()
    table = frame.groupby("bin").agg(customers=("y", "size"), churners=("y", "sum"),
                                     mean_score=("score", "mean")).reset_index()
    table = table.rename(columns={"bin": "decile"})
    table["churn_rate"] = table["churners"] / table["customers"]
    table["lift"] = table["churn_rate"] / base if base > 0 else np.nan
    table["share_contacted"] = table["customers"].cumsum() / len(frame)
    table["cumulative_gain"] = table["churners"].cumsum() / max(frame["y"].sum(), 1)
    table["cumulative_lift"] = table["cumulative_gain"] / table["share_contacted"]
    return table


def evaluate(y, score, n_bins: int = 10) -> dict:
    """ROC AUC, PR AUC (average precision), Brier score, top-decile lift and the base rate."""
    y = np.asarray(y, int)
    score = np.asarray(score, float)
    return {
        "roc_auc": float(roc_auc_score(y, score)),
        "pr_auc": float(average_precision_score(y, score)),
        "brier": float(brier_score_loss(y, np.clip(score, 0, 1))),
        "top_decile_lift": float(gains_table(y, score, n_bins)["lift"].iloc[0]),
        "base_rate": float(y.mean()),
    }


def metrics_table(predictions: pd.DataFrame, models, label: str = "churned") -> pd.DataFrame:
    """One row per model: :func:`evaluate` on the same holdout, best ROC AUC first."""
    rows = [{"model": name, **evaluate(predictions[label], predictions[name])} for name in models]
    return pd.DataFrame(rows).sort_values(["roc_auc", "model"], ascending=[False, True],
                                          kind="stable").reset_index(drop=True)


def roc_table(predictions: pd.DataFrame, models, label: str = "churned") -> pd.DataFrame:
    """Long table of ROC curve points: model, false_positive_rate, true_positive_rate."""
    parts = []
    for name in models:
        fpr, tpr, _ = roc_curve(predictions[label].astype(int), predictions[name])
        parts.append(pd.DataFrame({"model": name, "false_positive_rate": fpr,
                                   "true_positive_rate": tpr}))
    return pd.concat(parts, ignore_index=True)


def calibration_table(predictions: pd.DataFrame, models, label: str = "churned",
                      n_bins: int = 10) -> pd.DataFrame:
    """Long table: model, predicted (mean probability per quantile bin), observed churn rate."""
    parts = []
    for name in models:
        observed, predicted = calibration_curve(predictions[label].astype(int),
                                                np.clip(predictions[name], 0, 1),
                                                n_bins=n_bins, strategy="quantile")
        parts.append(pd.DataFrame({"model": name, "predicted": predicted, "observed": observed}))
    return pd.concat(parts, ignore_index=True)


def confusion_table(y, selected) -> pd.DataFrame:
    """2×2 counts: rows actual (stayed, churned), columns predicted (not contacted, contacted)."""
    matrix = confusion_matrix(np.asarray(y, int), np.asarray(selected, int), labels=[0, 1])
    return pd.DataFrame(matrix, index=pd.Index(["stayed", "churned"], name="actual"),
                        columns=pd.Index(["not_contacted", "contacted"], name="predicted"))
