"""Charts of notebook 02 (RFM): segments, scores, R×F heatmap, tiers, migration flow, campaigns.

Drawing only: the numbers come from :mod:`crmlib.rfm` and :mod:`crmlib.campaigns`, the words
from :func:`crmlib.i18n.t`. Every chart gets a title and labelled axes with units.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from crmlib.i18n import t
from crmlib.present.charts import (ACCENT, ACCENT_LIGHT, FIGURE_WIDTH, FOUR_R_COLOURS, NEUTRAL, SEQUENTIAL,
                                   count_axis, label, legend_below, money_axis, percent_axis)
from crmlib.present.numbers import format_money, format_number, format_percent
from crmlib.present.rfm_text import four_r_label, segment_label
from crmlib.rfm.segments import NO_LONGER, NOT_YET, SegmentRules

CHANNEL_COLOURS = {"whatsapp": FOUR_R_COLOURS["Referral"], "sms": NEUTRAL, "email": FOUR_R_COLOURS["Retention"]}


def _four_r_legend(where, lang: str) -> None:
    """The 4R colours' legend under an axis or, given a figure, under its panels."""
    handles = [Patch(color=colour, label=four_r_label(name, lang))
               for name, colour in FOUR_R_COLOURS.items()]
    legend_below(where, columns=4, handles=handles, title="4R")


def segment_bars(segments: pd.DataFrame, lang: str = "en", currency: str = "IDR"):
    """Two bar charts side by side: customers and revenue per segment, coloured by 4R."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(FIGURE_WIDTH, 6.2), sharey=True)
    colours = [FOUR_R_COLOURS[r] for r in segments["r_of_4r"]]
    names = segments["label"]
    left.barh(names, segments["customers"], color=colours)
    label(left, t("rfm_chart_segments_customers", lang), t("rfm_axis_customers", lang), t("rfm_axis_segment", lang))
    right.barh(names, segments["revenue"], color=colours)
    label(right, t("rfm_chart_segments_revenue", lang), t("rfm_axis_revenue", lang, currency=currency), "")
    money_axis(right, "x", currency, lang)
    right.xaxis.set_major_locator(MaxNLocator(3, steps=[1, 2, 5, 10]))
    count_axis(left, "x", lang)
    left.xaxis.set_major_locator(MaxNLocator(3, steps=[1, 2, 5, 10], integer=True))
    left.invert_yaxis()
    for ax, column, share in ((left, "customers", "customer_share"), (right, "revenue", "revenue_share")):
        for y, (value, part) in enumerate(zip(segments[column], segments[share])):
            ax.text(value, y, f" {format_percent(part, 0, lang)}", va="center")
        ax.margins(x=0.22)
    fig.tight_layout()
    _four_r_legend(fig, lang)  # one legend under both panels, laid out after them so it cannot squeeze them
    return fig


def score_distributions(scores: pd.DataFrame, bins: int = 5, lang: str = "en"):
    """Customers per R, F and M score (three small bar charts)."""
    fig, axes = plt.subplots(1, 3, figsize=(FIGURE_WIDTH, 4), sharey=True)
    for ax, score in zip(axes, ("R", "F", "M")):
        counts = scores[score].value_counts().reindex(range(1, bins + 1), fill_value=0)
        ax.bar(counts.index.astype(str), counts.to_numpy(), color=ACCENT)
        label(ax, t(f"rfm_score_{score.lower()}", lang), t("rfm_axis_score", lang),
              t("rfm_axis_customers", lang) if score == "R" else "")
        ax.title.set_fontsize(12)
    count_axis(axes[0], "y", lang)
    fig.suptitle(t("rfm_chart_scores", lang), fontweight="bold")
    fig.tight_layout()
    return fig


def rf_heatmap(grid: pd.DataFrame, lang: str = "en", currency: str = "IDR"):
    """Mean spend per customer in each R×F score cell, annotated in short money."""
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH * 0.85, 6))
    annotations = grid.map(lambda v: "" if pd.isna(v) else format_money(v, currency, lang, short=True))
    sns.heatmap(grid, annot=annotations, fmt="", cmap=SEQUENTIAL, vmin=0, ax=ax, linewidths=0.5,
                cbar_kws={"format": plt.FuncFormatter(lambda v, _p: format_money(v, currency, lang))})
    label(ax, t("rfm_chart_heatmap", lang), t("rfm_axis_f", lang), t("rfm_axis_r", lang))
    ax.tick_params(axis="y", rotation=0)
    ax.grid(False)
    return fig


def tier_bars(tiers: pd.DataFrame, lang: str = "en"):
    """Share of customers next to share of revenue for each tier."""
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH * 0.8, 5))
    x = np.arange(len(tiers))
    width = 0.38
    for offset, column, key, colour in ((-width / 2, "customer_share", "rfm_share_customers", ACCENT_LIGHT),
                                        (width / 2, "revenue_share", "rfm_share_revenue", ACCENT)):
        bars = ax.bar(x + offset, tiers[column], width, label=t(key, lang), color=colour)
        ax.bar_label(bars, labels=[format_percent(v, 0, lang) for v in tiers[column]], padding=3)
    ax.set_ylim(0, 1.0)
    ax.set_xticks(x, [t(f"rfm_tier_{name.lower()}", lang) for name in tiers["tier"]])
    percent_axis(ax, "y", lang)
    label(ax, t("rfm_chart_tiers", lang), "", t("rfm_axis_share", lang))
    legend_below(ax, columns=2, offset=0.1)
    return fig


def migration_flow(matrix: pd.DataFrame, rules: SegmentRules, earlier: str, now: str, lang: str = "en"):
    """Alluvial chart: segment blocks at the earlier date (left) and now (right), bands = customers."""
    counts = matrix.to_numpy(dtype=float)
    rows, cols = list(matrix.index), list(matrix.columns)
    total = counts.sum()
    gap = 0.012 * total
    palette = {**{name: FOUR_R_COLOURS[rules[name].r_of_4r] for name in rules.names},
               NOT_YET: NEUTRAL, NO_LONGER: "#5b6770"}

    def stack(sizes):
        tops, y = [], total + gap * (len(sizes) - 1)
        for size in sizes:
            tops.append(y)
            y -= size + (gap if size > 0 else 0)
        return tops

    left_tops, right_tops = stack(counts.sum(axis=1)), stack(counts.sum(axis=0))
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 8))
    x = np.linspace(0, 1, 60)
    ease = 3 * x**2 - 2 * x**3
    left_used = np.zeros(len(rows))
    right_used = np.zeros(len(cols))
    block = 0.04
    for i, name in enumerate(rows):
        for j, _ in enumerate(cols):
            n = counts[i, j]
            if n <= 0:
                continue
            y0 = left_tops[i] - left_used[i]
            y1 = right_tops[j] - right_used[j]
            top = y0 + (y1 - y0) * ease
            ax.fill_between(block + x * (1 - 2 * block), top - n, top, color=palette[name], alpha=0.45, lw=0)
            left_used[i] += n
            right_used[j] += n
    for names, tops, sizes, xpos, align in ((rows, left_tops, counts.sum(axis=1), 0, "right"),
                                            (cols, right_tops, counts.sum(axis=0), 1, "left")):
        for name, top, size in zip(names, tops, sizes):
            if size <= 0:
                continue
            ax.bar(xpos, size, width=2 * block, bottom=top - size, color=palette[name], align="center")
            text = f"{segment_label(rules, name, lang)} ({format_number(size, 0, lang)})"
            offset = -block - 0.01 if align == "right" else block + 0.01
            ax.text(xpos + offset, top - size / 2, text, ha=align, va="center", fontsize=11)
    ax.set_xlim(-0.62, 1.62)
    ax.set_yticks([])
    ax.set_xticks([0, 1], [earlier, now])
    ax.grid(False)
    label(ax, t("rfm_chart_flow", lang), "", "")
    _four_r_legend(ax, lang)
    ax.get_legend().set_bbox_to_anchor((0.5, -0.06))
    return fig


def campaign_bars(counts: pd.DataFrame, channels, rules: SegmentRules, lang: str = "en"):
    """Reachable customers per segment and channel (grouped horizontal bars)."""
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 6.5))
    y = np.arange(len(counts))
    height = 0.8 / max(len(channels), 1)
    for k, channel in enumerate(channels):
        ax.barh(y + (k - (len(channels) - 1) / 2) * height, counts[channel], height,
                label=t(f"campaign_channel_{channel}", lang), color=CHANNEL_COLOURS[channel])
    ax.set_yticks(y, [segment_label(rules, name, lang) for name in counts["group"]])
    ax.invert_yaxis()
    label(ax, t("rfm_chart_campaigns", lang), t("rfm_axis_customers", lang), "")
    count_axis(ax, "x", lang)
    legend_below(ax, columns=len(channels), offset=0.12, title=t("rfm_axis_channel", lang))
    return fig
