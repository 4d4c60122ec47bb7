"""The backtest's summary tables and the ``results.json`` figures of notebook 04 (plain numbers)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.churn.backtest import MODEL_NAMES, BacktestResult

METRICS = ("roc_auc", "pr_auc", "brier", "top_decile_lift")


def population_table(result: BacktestResult) -> pd.DataFrame:
    """Per cutoff (a date): role (train/test), customers, active, lapsed and churn rate in the horizon."""
    both = pd.concat([result.train, result.test], ignore_index=True)
    table = both.groupby("cutoff").agg(customers=("customer_id", "size"),
                                       active=("status", lambda s: int((s == "active").sum())),
                                       churn_rate=("churned", "mean")).reset_index()
    table["lapsed"] = table["customers"] - table["active"]
    table["role"] = np.where(table["cutoff"] == result.test_cutoff, "test", "train")
    return table[["cutoff", "role", "customers", "active", "lapsed", "churn_rate"]]


def best_model(metrics: pd.DataFrame, candidates=MODEL_NAMES) -> str:
    """The learned model with the highest holdout ROC AUC (baselines are not candidates)."""
    learned = metrics[metrics["model"].isin(candidates)]
    return str(learned.sort_values(["roc_auc", "model"], ascending=[False, True]).iloc[0]["model"])


def results(result: BacktestResult, metrics: pd.DataFrame, best: str, targeting: dict,
            scores: pd.DataFrame, winback: pd.DataFrame) -> dict:
    """The figures notebook 04 writes to ``results.json`` (see ``docs/churn.md``)."""
    auc = dict(zip(metrics["model"], metrics["roc_auc"]))
    actions = scores["action"].value_counts()
    return {
        "population": int(len(result.test)),
        "churn_rate": float(result.test["churned"].mean()),
        "cutoffs": [f"{c:%Y-%m-%d}" for c in result.cutoffs],
        "test_cutoff": f"{result.test_cutoff:%Y-%m-%d}",
        "horizon_days": int(result.horizon_days),
        "n_train_rows": int(len(result.train)),
        "metrics": {row["model"]: {m: float(row[m]) for m in METRICS}
                    for _, row in metrics.iterrows()},
        "best_model": best,
        "beats_recency": bool(auc[best] > auc["recency"]) if "recency" in auc else None,
        "beats_bgnbd": bool(auc[best] > auc["bgnbd"]) if "bgnbd" in auc else None,
        "bgnbd_baseline": result.notes.get("bgnbd"),
        "profit": {"best_share_contacted": targeting["best_share_contacted"],
                   "expected_profit": targeting["expected_profit"],
                   "contacted": targeting["contacted"],
                   "profit_contact_all": targeting["profit_contact_all"]},
        "scored_customers": int(len(scores)),
        "risk_bands": {str(k): int(v) for k, v in scores["risk_band"].value_counts(sort=False).items()},
        "actions": {a: int(actions.get(a, 0)) for a in ("retention", "recovery", "none")},
        "winback_contactable": int(len(winback)),
    }
