"""Churn charts for the notebook: every chart has a title and axis labels with units.

Drawing only; the tables come from :mod:`crmlib.churn.evaluate`, ``targeting``, ``explain``,
``scoring`` and ``survival``.
"""
from __future__ import annotations

import matplotlib.pyplot as plt

from crmlib.present.churn_text import model_name, text
from crmlib.i18n import t
from crmlib.present.charts import ACCENT, FOUR_R_COLOURS, count_axis, label, legend_below, money_axis, percent_axis

#: 4R colours: a retention offer is Retention, a win-back Recovery, no churn action stays in Relationship.
ACTION_COLOURS = {"retention": FOUR_R_COLOURS["Retention"], "recovery": FOUR_R_COLOURS["Recovery"],
                  "none": "#b8c4cc"}
#: One colour per model in every churn chart (baselines grey and blue, learned models 4R colours).
MODEL_COLOURS = {"recency": "#8a8a8a", "bgnbd": FOUR_R_COLOURS["Retention"],
                 "logistic": FOUR_R_COLOURS["Referral"], "gradient_boosting": FOUR_R_COLOURS["Relationship"]}
SEGMENT_COLOURS = (FOUR_R_COLOURS["Recovery"], FOUR_R_COLOURS["Referral"], FOUR_R_COLOURS["Relationship"],
                   FOUR_R_COLOURS["Retention"])


def _axes(ax):
    return ax if ax is not None else plt.subplots()[1]


def _share_square(ax, lang: str) -> None:
    """Both axes 0–100 %, ticks every 20 points."""
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.0)
    percent_axis(ax, "x", lang, step=0.2)
    percent_axis(ax, "y", lang, step=0.2)


def roc_curves(roc, lang: str = "en", ax=None):
    """ROC curve per model, with the chance diagonal."""
    ax = _axes(ax)
    for name, part in roc.groupby("model", sort=False):
        ax.plot(part["false_positive_rate"], part["true_positive_rate"], label=model_name(name, lang),
                color=MODEL_COLOURS.get(name))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label=t("churn_chance", lang))
    _share_square(ax, lang)
    legend_below(ax)
    return label(ax, t("churn_roc_title", lang), t("churn_fpr", lang), t("churn_tpr", lang))


def gains_chart(gains_by_model: dict, lang: str = "en", ax=None):
    """Cumulative gains: share of churners found vs share of customers contacted."""
    ax = _axes(ax)
    for name, table in gains_by_model.items():
        ax.plot([0, *table["share_contacted"]], [0, *table["cumulative_gain"]], marker="o",
                markersize=3, label=model_name(name, lang), color=MODEL_COLOURS.get(name))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label=t("churn_random_list", lang))
    _share_square(ax, lang)
    legend_below(ax)
    return label(ax, t("churn_gains_title", lang), t("churn_share_contacted", lang),
                 t("churn_share_churners_found", lang))


def calibration_chart(calibration, lang: str = "en", ax=None):
    """Predicted probability vs observed churn rate per quantile bin, with the diagonal."""
    ax = _axes(ax)
    for name, part in calibration.groupby("model", sort=False):
        ax.plot(part["predicted"], part["observed"], marker="o", markersize=3,
                label=model_name(name, lang), color=MODEL_COLOURS.get(name))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label=t("churn_perfect", lang))
    _share_square(ax, lang)
    legend_below(ax)
    return label(ax, t("churn_calibration_title", lang), t("churn_predicted", lang),
                 t("churn_observed", lang))


def profit_chart(curves: dict, best: dict, currency: str = "IDR", lang: str = "en", ax=None):
    """Expected profit on the holdout vs share contacted, per model; the best point marked."""
    ax = _axes(ax)
    for name, curve in curves.items():
        ax.plot(curve["share_contacted"], curve["profit"], label=model_name(name, lang),
                color=MODEL_COLOURS.get(name))
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.axvline(best["best_share_contacted"], color="grey", linestyle="--",
               label=t("churn_best_share", lang))
    ax.set_xlim(0, 1)
    percent_axis(ax, "x", lang, step=0.1)
    money_axis(ax, "y", currency, lang)
    legend_below(ax)
    return label(ax, t("churn_profit_title", lang), t("churn_share_contacted", lang),
                 t("churn_expected_profit", lang, currency=currency))


def importance_chart(importance, lang: str = "en", top: int = 12, ax=None):
    """Permutation importance (drop in ROC AUC) of the top features."""
    ax = _axes(ax)
    shown = importance.head(top).iloc[::-1]
    names = [text(f"churn_feature_{f}", f, lang) for f in shown["feature"]]
    ax.barh(names, shown["importance"], xerr=shown["importance_sd"], color=ACCENT)
    ax.axvline(0, color="#222222", linewidth=0.8)
    label(ax, t("churn_importance_title", lang), t("churn_auc_drop", lang), "")
    ax.figure.tight_layout()
    return ax


def survival_chart(curves, lang: str = "en", ax=None, inactive_days: int | None = None):
    """Kaplan–Meier curves: share of customers not yet churned by days since first purchase.

    With ``inactive_days`` the churn definition is marked: nobody can count as churned before
    that day, so the drop there is the definition at work, not a change in behaviour.
    """
    ax = _axes(ax)
    for i, name in enumerate(curves.columns):
        ax.step(curves.index, curves[name], where="post", label=text(f"churn_segment_{name}", name, lang),
                color=SEGMENT_COLOURS[i % len(SEGMENT_COLOURS)], linewidth=1.8)
    percent_axis(ax, "y", lang, step=0.2)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    if inactive_days:
        ax.axvline(inactive_days, color="#555555", linestyle=":", linewidth=1.2)
        ax.annotate(t("churn_definition_marker", lang, days=inactive_days), (inactive_days, 0.97),
                    xycoords=("data", "axes fraction"), xytext=(6, 0), textcoords="offset points",
                    ha="left", va="top", fontsize=11, color="#333333")
    legend_below(ax, title=t("churn_segment", lang))
    return label(ax, t("churn_survival_title", lang), t("churn_days_since_first", lang),
                 t("churn_still_active", lang))


def band_chart(scores, lang: str = "en", ax=None):
    """Customers per risk band, stacked by action."""
    ax = _axes(ax)
    counts = scores.groupby(["risk_band", "action"], observed=False).size().unstack(fill_value=0)
    counts.index = [t(f"churn_band_{b}", lang) for b in counts.index]
    colours = [ACTION_COLOURS.get(a, ACCENT) for a in counts.columns]
    counts.columns = [t(f"churn_action_{a}", lang) for a in counts.columns]
    counts.plot(kind="bar", stacked=True, ax=ax, rot=0, color=colours, width=0.6)
    count_axis(ax, "y", lang)
    legend_below(ax, title=t("churn_action", lang))
    return label(ax, t("churn_bands_title", lang), t("churn_risk_band", lang), t("customers", lang))
