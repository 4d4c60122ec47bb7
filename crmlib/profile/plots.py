"""Charts of notebook 01 (the customer-database profile): slide, completeness, trends, retention.

Drawing only: numbers come from the computing modules, words from :mod:`crmlib.profile.report`
and the labels. Every chart has a title and labelled axes; value axes start at zero.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter

from crmlib.i18n import t
from crmlib.present.charts import (ACCENT, ACCENT_LIGHT, ALERT, FIGURE_WIDTH, FONT_SIZE, SEQUENTIAL, count_axis,
                                   even_ticks, label, legend_below, money_axis, percent_axis)
from crmlib.present.numbers import format_month, format_percent
from crmlib.profile.cohorts import AVERAGE_YEARLY_RETENTION
from crmlib.profile.database import profile_table
from crmlib.profile.report import completeness_rows, month_name, period_label, slide_labels


def _months(trends: pd.DataFrame) -> pd.DatetimeIndex:
    return pd.PeriodIndex(trends["month"], freq="M").to_timestamp()


def _month_ticks(ax, months: pd.DatetimeIndex, lang: str) -> None:
    """A tick every third month, written in the language (``Jan 2024`` / ``Jan 2024``)."""
    ticks = months[::3]
    ax.set_xticks(ticks, [format_month(m, lang) for m in ticks], rotation=45, ha="right")


def slide_bars(figures: dict, lang: str = "en"):
    """The profile slide as bars: customers per line, the share of the customers on file beside each."""
    table = profile_table(figures).assign(label=slide_labels(figures, lang))
    bars = table.dropna(subset=["count"])
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 0.55 * len(bars) + 1.6))
    ax.barh(bars["label"], bars["count"], color=ACCENT)
    ax.bar_label(ax.containers[0], labels=[format_percent(s, 0, lang) for s in bars["share"]], padding=4)
    ax.invert_yaxis()
    ax.margins(x=0.12)
    count_axis(ax, "x", lang)
    label(ax, t("profile_slide_title", lang), t("profile_customers_axis", lang), "")
    return fig


def completeness_heatmap(matrix: pd.DataFrame, lang: str = "en"):
    """Share filled per field (rows) overall and by signup year (columns); colour legend in %."""
    shown = matrix.copy()
    shown.index = completeness_rows(matrix, lang)
    shown.columns = [t("profile_all", lang) if c == "all" else c for c in shown.columns]
    fig, ax = plt.subplots(figsize=(min(FIGURE_WIDTH, 4 + 1.1 * shown.shape[1]), 0.5 * len(shown) + 1.8))
    annotations = shown.map(lambda v: format_percent(v, 0, lang))
    sns.heatmap(shown, annot=annotations, fmt="", cmap=SEQUENTIAL, vmin=0, vmax=1, ax=ax, linewidths=0.5,
                annot_kws={"size": FONT_SIZE - 1},
                cbar_kws={"label": t("profile_filled", lang), "format": FuncFormatter(lambda v, _p: format_percent(v, 0, lang))})
    label(ax, t("profile_completeness_title", lang), t("profile_completeness_x", lang), "")
    ax.tick_params(axis="y", rotation=0)
    return fig


def revenue_and_orders(trends: pd.DataFrame, currency: str = "IDR", lang: str = "en"):
    """Monthly revenue (line) above monthly orders (bars), both from zero."""
    months = _months(trends)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 7.5), sharex=True)
    top.plot(months, trends["revenue"], marker="o", color=ACCENT)
    top.set_ylim(bottom=0)
    money_axis(top, "y", currency, lang)
    label(top, t("profile_revenue_title", lang), "", t("profile_revenue_axis", lang, currency=currency))
    bottom.bar(months, trends["orders"], width=25, align="edge", color=ACCENT)
    count_axis(bottom, "y", lang)
    label(bottom, t("profile_orders_title", lang), "", t("profile_orders_axis", lang))
    _month_ticks(bottom, months, lang)
    fig.tight_layout()
    return fig


def active_customers(trends: pd.DataFrame, lang: str = "en"):
    """Active customers per month, stacked: new and returning; legend under the chart."""
    months = _months(trends)
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 5))
    ax.bar(months, trends["new_customers"], width=25, align="edge", color=ACCENT, label=t("profile_new", lang))
    ax.bar(months, trends["returning_customers"], width=25, align="edge", bottom=trends["new_customers"],
           color=ACCENT_LIGHT, label=t("profile_returning", lang))
    count_axis(ax, "y", lang)
    _month_ticks(ax, months, lang)
    label(ax, t("profile_active_title", lang), "", t("profile_customers_axis", lang))
    legend_below(ax, columns=2, offset=0.3)
    return fig


def order_value_and_season(trends: pd.DataFrame, season: pd.DataFrame, currency: str = "IDR", lang: str = "en"):
    """Average order value per month (from zero) above the seasonality index by calendar month."""
    months = _months(trends)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 8))
    top.plot(months, trends["average_order_value"], marker="o", color=ACCENT)
    top.set_ylim(bottom=0)
    money_axis(top, "y", currency, lang)
    _month_ticks(top, months, lang)
    label(top, t("profile_aov_title", lang), "", t("profile_aov_axis", lang, currency=currency))
    bottom.bar([month_name(m, lang) for m in season["calendar_month"]], season["index"], color=ACCENT)
    bottom.axhline(1.0, color=ALERT, linestyle="--", linewidth=1)
    bottom.set_ylim(bottom=0)
    even_ticks(bottom, "y")
    label(bottom, t("profile_season_title", lang), t("profile_calendar_month", lang), t("profile_season_axis", lang))
    fig.tight_layout()
    return fig


def retention_charts(yearly: pd.DataFrame, quarterly: pd.DataFrame, lang: str = "en"):
    """Yearly retention bars against the average-company benchmark, and quarterly retention."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 8))
    names = [f"{p} → {n}" for p, n in zip(yearly["period"], yearly["next_period"])]
    bars = top.bar(names, yearly["retention_rate"], width=0.5, color=ACCENT)
    top.set_xlim(-0.5 - max(0, 3 - len(names)) / 2, len(names) - 0.5 + max(0, 3 - len(names)) / 2)
    top.bar_label(bars, labels=[format_percent(r, 0, lang) for r in yearly["retention_rate"]], padding=3)
    top.axhline(AVERAGE_YEARLY_RETENTION, color=ALERT, linestyle="--")
    top.annotate(t("profile_benchmark", lang), xy=(0.01, AVERAGE_YEARLY_RETENTION), color=ALERT,
                 xycoords=("axes fraction", "data"), xytext=(0, 4), textcoords="offset points")
    label(top, t("profile_retention_year_title", lang), "", t("profile_retention_axis", lang))
    quarters = [period_label(p, lang) for p in quarterly["period"]]
    bottom.plot(quarters, quarterly["retention_rate"], marker="o", color=ACCENT)
    bottom.tick_params(axis="x", rotation=45)
    label(bottom, t("profile_retention_quarter_title", lang), "", t("profile_retention_axis", lang))
    for ax in (top, bottom):
        ax.set_ylim(0, 1.05)
        ax.set_yticks(np.linspace(0, 1, 6))
        percent_axis(ax, "y", lang)
    fig.tight_layout()
    return fig


def cohort_heatmap(matrix: pd.DataFrame, lang: str = "en", max_rows: int = 24, max_months: int = 12):
    """Monthly cohorts (rows) × months since the first purchase (columns): share buying, in %.

    Month 0 is always 100 % and is left out; the last ``max_rows`` cohorts and the first
    ``max_months`` months are drawn so every cell label stays readable (the full matrix is in
    the exported tables).
    """
    months = [c for c in matrix.columns if isinstance(c, (int, np.integer)) and 1 <= c <= max_months]
    if not months:
        return None
    later = matrix[months].tail(max_rows).copy()
    later.index = [format_month(m, lang) for m in later.index]
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 0.4 * len(later) + 2))
    sns.heatmap(later, annot=later.map(lambda v: "" if pd.isna(v) else format_percent(v, 0, lang)), fmt="",
                annot_kws={"size": FONT_SIZE - 1}, cmap=SEQUENTIAL, vmin=0, ax=ax, linewidths=0.3,
                cbar_kws={"label": t("profile_cohort_share", lang),
                          "format": FuncFormatter(lambda v, _p: format_percent(v, 0, lang))})
    label(ax, t("profile_cohort_title", lang), t("profile_cohort_x", lang), t("profile_cohort_y", lang))
    ax.tick_params(axis="y", rotation=0)
    return fig
