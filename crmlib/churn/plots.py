"""Churn charts for the notebook: every chart has a title and axis labels with units.

Drawing only; the tables come from :mod:`crmlib.churn.evaluate`, ``targeting``, ``explain``,
``scoring`` and ``survival``.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns

from crmlib.churn.explain import text
from crmlib.i18n import t
from crmlib.present.charts import label, money_axis, percent_axis


def model_name(name: str, lang: str = "en") -> str:
    """Display name of a model (``gradient_boosting`` → ``Gradient boosting``)."""
    return text(f"churn_model_{name}", name, lang)


def _axes(ax):
    return ax if ax is not None else plt.subplots()[1]


def roc_curves(roc, lang: str = "en", ax=None):
    """ROC curve per model, with the chance diagonal."""
    ax = _axes(ax)
    for name, part in roc.groupby("model", sort=False):
        ax.plot(part["false_positive_rate"], part["true_positive_rate"], label=model_name(name, lang))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label=t("churn_chance", lang))
    percent_axis(ax, "x", lang)
    percent_axis(ax, "y", lang)
    ax.legend(loc="lower right")
    return label(ax, t("churn_roc_title", lang), t("churn_fpr", lang), t("churn_tpr", lang))


def gains_chart(gains_by_model: dict, lang: str = "en", ax=None):
    """Cumulative gains: share of churners found vs share of customers contacted."""
    ax = _axes(ax)
    for name, table in gains_by_model.items():
        ax.plot([0, *table["share_contacted"]], [0, *table["cumulative_gain"]], marker="o",
                markersize=3, label=model_name(name, lang))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label=t("churn_random_list", lang))
    percent_axis(ax, "x", lang)
    percent_axis(ax, "y", lang)
    ax.legend(loc="lower right")
    return label(ax, t("churn_gains_title", lang), t("churn_share_contacted", lang),
                 t("churn_share_churners_found", lang))


def calibration_chart(calibration, lang: str = "en", ax=None):
    """Predicted probability vs observed churn rate per quantile bin, with the diagonal."""
    ax = _axes(ax)
    for name, part in calibration.groupby("model", sort=False):
        ax.plot(part["predicted"], part["observed"], marker="o", markersize=3,
                label=model_name(name, lang))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label=t("churn_perfect", lang))
    percent_axis(ax, "x", lang)
    percent_axis(ax, "y", lang)
    ax.legend(loc="upper left")
    return label(ax, t("churn_calibration_title", lang), t("churn_predicted", lang),
                 t("churn_observed", lang))


def profit_chart(curves: dict, best: dict, currency: str = "IDR", lang: str = "en", ax=None):
    """Expected profit on the holdout vs share contacted, per model; the best point marked."""
    ax = _axes(ax)
    for name, curve in curves.items():
        ax.plot(curve["share_contacted"], curve["profit"], label=model_name(name, lang))
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.axvline(best["best_share_contacted"], color="grey", linestyle="--",
               label=t("churn_best_share", lang))
    percent_axis(ax, "x", lang)
    money_axis(ax, "y", currency, lang)
    ax.legend(loc="best")
    return label(ax, t("churn_profit_title", lang), t("churn_share_contacted", lang),
                 t("churn_expected_profit", lang, currency=currency))


def importance_chart(importance, lang: str = "en", top: int = 12, ax=None):
    """Permutation importance (drop in ROC AUC) of the top features."""
    ax = _axes(ax)
    shown = importance.head(top).iloc[::-1]
    names = [text(f"churn_feature_{f}", f, lang) for f in shown["feature"]]
    ax.barh(names, shown["importance"], xerr=shown["importance_sd"], color=sns.color_palette()[0])
    return label(ax, t("churn_importance_title", lang), t("churn_auc_drop", lang), "")


def survival_chart(curves, lang: str = "en", ax=None):
    """Kaplan–Meier curves: share of customers not yet churned by days since first purchase."""
    ax = _axes(ax)
    for name in curves.columns:
        ax.step(curves.index, curves[name], where="post", label=text(f"churn_segment_{name}", name, lang))
    percent_axis(ax, "y", lang)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper right", title=t("churn_segment", lang))
    return label(ax, t("churn_survival_title", lang), t("churn_days_since_first", lang),
                 t("churn_still_active", lang))


def band_chart(scores, lang: str = "en", ax=None):
    """Customers per risk band, stacked by action."""
    ax = _axes(ax)
    counts = scores.groupby(["risk_band", "action"], observed=False).size().unstack(fill_value=0)
    counts.index = [t(f"churn_band_{b}", lang) for b in counts.index]
    counts.columns = [t(f"churn_action_{a}", lang) for a in counts.columns]
    counts.plot(kind="bar", stacked=True, ax=ax, rot=0)
    ax.legend(title=t("churn_action", lang))
    return label(ax, t("churn_bands_title", lang), t("churn_risk_band", lang), t("customers", lang))
