"""Tables and sentences for people, and the ``results.json`` figures of notebook 04."""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.churn.backtest import MODEL_NAMES, BacktestPlan, BacktestResult
from crmlib.churn.explain import text
from crmlib.present.numbers import format_number
from crmlib.i18n import t

METRICS = ("roc_auc", "pr_auc", "brier", "top_decile_lift")


def population_table(result: BacktestResult) -> pd.DataFrame:
    """Per cutoff: role (train/test), customers, active, lapsed and churn rate in the horizon."""
    both = pd.concat([result.train, result.test], ignore_index=True)
    table = both.groupby("cutoff").agg(customers=("customer_id", "size"),
                                       active=("status", lambda s: int((s == "active").sum())),
                                       churn_rate=("churned", "mean")).reset_index()
    table["lapsed"] = table["customers"] - table["active"]
    table["role"] = np.where(table["cutoff"] == result.test_cutoff, "test", "train")
    table["cutoff"] = table["cutoff"].dt.strftime("%Y-%m-%d")
    return table[["cutoff", "role", "customers", "active", "lapsed", "churn_rate"]]


def history_note(plan: BacktestPlan, lang: str = "en") -> str:
    """Why no backtest was run: the export's span against the days a backtest needs."""
    return t("churn_history_too_short", lang, first=f"{plan.first_day:%Y-%m-%d}",
             last=f"{plan.last_day:%Y-%m-%d}", days=format_number(plan.history_days, 0, lang),
             needed=format_number(plan.needed_days, 0, lang), horizon=plan.horizon_days)


def best_model(metrics: pd.DataFrame, candidates=MODEL_NAMES) -> str:
    """The learned model with the highest holdout ROC AUC (baselines are not candidates)."""
    learned = metrics[metrics["model"].isin(candidates)]
    return str(learned.sort_values(["roc_auc", "model"], ascending=[False, True]).iloc[0]["model"])


def metrics_for_people(metrics: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The metrics table with display names and 3 decimals."""
    shown = metrics[["model", *METRICS]].copy()
    shown["model"] = [text(f"churn_model_{m}", m, lang) for m in shown["model"]]
    shown = shown.round(3)
    shown.columns = [t("churn_model", lang)] + [t(f"churn_metric_{m}", lang) for m in METRICS]
    return shown


def verdict(metrics: pd.DataFrame, best: str, lang: str = "en") -> str:
    """One honest sentence per baseline: does the best model beat it on holdout ROC AUC?"""
    auc = dict(zip(metrics["model"], metrics["roc_auc"]))
    lines = []
    for baseline in ("recency", "bgnbd"):
        if baseline not in auc:
            if baseline == "bgnbd":
                lines.append(t("churn_verdict_no_bgnbd", lang))
            continue
        key = "churn_verdict_beats" if auc[best] > auc[baseline] else "churn_verdict_not_beats"
        lines.append(t(key, lang, model=text(f"churn_model_{best}", best, lang),
                       baseline=text(f"churn_model_{baseline}", baseline, lang),
                       auc=format_number(auc[best], 3, lang),
                       baseline_auc=format_number(auc[baseline], 3, lang)))
    return "\n\n".join(lines)


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
