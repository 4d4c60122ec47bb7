"""The words of the churn report (notebook 04): reasons, the model verdict, titles and key figures.

Computing lives in :mod:`crmlib.churn`; this module only words and formats its plain numbers in
the run's language (labels in ``crmlib/labels/churn.yaml``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.present.numbers import format_date, format_money, format_number, format_percent
from crmlib.i18n import labels, t


def text(key: str, fallback, lang: str = "en") -> str:
    """The label ``key`` when defined, else ``fallback`` as text (e.g. a client's own segment name)."""
    return t(key, lang) if key in labels() else str(fallback)


def model_name(name: str, lang: str = "en") -> str:
    """Display name of a model (``gradient_boosting`` → ``Gradient boosting``)."""
    return text(f"churn_model_{name}", name, lang)


def feature_name(name: str, lang: str = "en") -> str:
    return text(f"churn_feature_{name}", name, lang)


# --------------------------------------------------------------------------- reasons per customer
def describe(group: str, row, lang: str = "en", currency: str = "IDR",
             window_days: int = 90) -> str:
    """The reason ``group`` in words, with the customer's own figures (``row``: a Series or a dict)."""
    def number(column, decimals=0):
        return format_number(float(row[column]), decimals, lang)

    if group == "recency":
        return t("churn_reason_recency", lang, days=number("recency_days"))
    if group == "gap":
        if pd.isna(row.get("gap_ratio")):
            return t("churn_reason_single", lang)
        if row["gap_ratio"] < 1:
            return t("churn_reason_rare", lang, usual=number("ipt_mean_days"))
        return t("churn_reason_gap", lang, ratio=number("gap_ratio", 1), usual=number("ipt_mean_days"))
    if group == "spend_trend":
        recent, previous = float(row["spend_recent"]), float(row["spend_previous"])
        if previous > 0:
            change = format_percent(abs(recent - previous) / previous, 0, lang)
            key = "churn_reason_spend_down" if recent < previous else "churn_reason_spend_up"
            return t(key, lang, change=change, days=window_days)
        key = "churn_reason_spend_new" if recent > 0 else "churn_reason_spend_none"
        return t(key, lang, days=window_days if recent > 0 else 2 * window_days)
    if group == "freq_trend":
        return t("churn_reason_freq", lang, recent=number("freq_recent"),
                 previous=number("freq_previous"), days=window_days)
    if group == "frequency":
        return t("churn_reason_frequency", lang, n=number("frequency"))
    if group == "spend":
        return t("churn_reason_spend", lang,
                 amount=format_money(float(row["monetary_mean"]), currency, lang))
    if group == "tenure":
        return t("churn_reason_tenure", lang, days=number("tenure_days"))
    if group == "categories":
        return t("churn_reason_categories", lang, n=number("n_categories"))
    if group == "returns":
        return t("churn_reason_returns", lang, share=format_percent(float(row["return_share"]), 0, lang))
    if group == "channel":
        return t("churn_reason_channel", lang, channel=channel_name(row["main_channel"], lang))
    if group == "age":
        return t("churn_reason_age", lang, age=number("age") if pd.notna(row["age"]) else "–")
    return t("churn_reason_attribute", lang, name=feature_name(group, lang), value=row[group])


def channel_name(channel, lang: str = "en") -> str:
    """A sales or contact channel as people write it (``whatsapp`` → ``WhatsApp``)."""
    return text(f"churn_channel_{str(channel).strip().lower()}", channel, lang)


#: Customers whose figures are turned into dicts at once (a dict per customer: a million would hold gigabytes).
REASON_CHUNK_ROWS = 50_000


def reason_texts(codes: pd.DataFrame, features: pd.DataFrame, lang: str = "en", currency: str = "IDR",
                 window_days: int = 90) -> pd.DataFrame:
    """:func:`crmlib.churn.explain.reason_codes`'s groups (``reason_1``…) worded with each customer's figures."""
    worded = codes.copy()
    reasons = [c for c in codes.columns if c.startswith("reason_") and c != "reason_codes"]
    texts = {column: [] for column in reasons}
    for start in range(0, len(codes), REASON_CHUNK_ROWS):
        chunk = codes.iloc[start:start + REASON_CHUNK_ROWS]
        rows = features.loc[chunk.index].to_dict("records")  # a dict per customer: row access by label is slow
        for column in reasons:
            texts[column] += [describe(group, row, lang, currency, window_days) if group else ""
                              for row, group in zip(rows, chunk[column])]
    for column in reasons:
        worded[column] = texts[column]
    return worded


def history_note(plan, lang: str = "en") -> str:
    """Why no backtest was run: the export's span against the days a backtest needs."""
    return t("churn_history_too_short", lang, first=format_date(plan.first_day, lang),
             last=format_date(plan.last_day, lang), days=format_number(plan.history_days, 0, lang),
             needed=format_number(plan.needed_days, 0, lang), horizon=plan.horizon_days)


# --------------------------------------------------------------------------- model verdict
def verdict(metrics: pd.DataFrame, best: str, lang: str = "en") -> str:
    """The model against the two simple baselines, in plain words for management."""
    auc = dict(zip(metrics["model"], metrics["roc_auc"]))
    number = lambda v: format_number(v, 2, lang)  # noqa: E731
    lines = [t("churn_verdict_quality", lang, auc=number(auc[best]))]
    if "recency" in auc:
        key = "churn_verdict_beats_recency" if auc[best] > auc["recency"] else "churn_verdict_not_beats_recency"
        lines.append(t(key, lang, auc=number(auc[best]), baseline_auc=number(auc["recency"])))
    if "bgnbd" in auc:
        key = "churn_verdict_beats_bgnbd" if auc[best] > auc["bgnbd"] else "churn_verdict_not_beats_bgnbd"
        lines.append(t(key, lang, auc=number(auc[best]), baseline_auc=number(auc["bgnbd"])))
    else:
        lines.append(t("churn_verdict_no_bgnbd", lang))
    return " ".join(lines)


def verdict_message(metrics: pd.DataFrame, best: str, lang: str = "en") -> str:
    """The verdict in one sentence for the executive summary."""
    auc = dict(zip(metrics["model"], metrics["roc_auc"]))
    if "bgnbd" not in auc or "recency" not in auc:
        return verdict(metrics, best, lang).replace("**", "")
    key = "churn_msg_model_beats" if auc[best] > auc["bgnbd"] else "churn_msg_model_not_beats"
    number = lambda v: format_number(v, 2, lang)  # noqa: E731
    return t(key, lang, auc=number(auc[best]), recency=number(auc["recency"]), bgnbd=number(auc["bgnbd"]))


def metrics_rows(metrics: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The holdout metrics with display names for the models (columns kept canonical)."""
    from crmlib.churn.report import METRICS

    return metrics[["model", *METRICS]].assign(model=[model_name(m, lang) for m in metrics["model"]])


def survival_sentence(curves: pd.DataFrame, summary: pd.DataFrame, inactive_days: int, lang: str = "en") -> str:
    """The survival chart read right: the drop at the churn definition is the definition, not behaviour."""
    after = survival_after(curves, inactive_days)
    by_segment = (summary.set_index("segment")["survival_180"] if {"segment", "survival_180"} <= set(summary.columns)
                  else pd.Series(dtype=float))
    spread = float(by_segment.max() - by_segment.min()) if len(by_segment) > 1 else 0.0
    head = t("churn_survival_so_what", lang, days=inactive_days, back=format_percent(after, 0, lang),
             at_180=format_percent(float(np.average(by_segment)) if len(by_segment) else float("nan"), 0, lang))
    if len(by_segment) > 1 and spread < 0.05:
        return head + " " + t("churn_survival_segments_alike", lang, spread=format_number(100 * spread, 0, lang))
    if len(by_segment) > 1:
        best = by_segment.idxmax()
        return head + " " + t("churn_survival_segments_differ", lang, segment=text(f"churn_segment_{best}", best, lang),
                              share=format_percent(float(by_segment.max()), 0, lang))
    return head


def survival_after(curves: pd.DataFrame, day: int) -> float:
    """Share not yet churned at the first time on the curves' grid after ``day`` (mean over segments)."""
    after = curves.index[curves.index > day]
    if not len(after) or curves.empty:
        return float("nan")
    return float(curves.loc[after[0]].mean())
