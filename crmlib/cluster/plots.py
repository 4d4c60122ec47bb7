"""Charts for notebook 03 (k-means clusters). Computing lives in :mod:`crmlib.cluster`.

Every chart has a title and axis labels with units, in the report's language.
"""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter

from crmlib.cluster.kmeans import STABILITY_THRESHOLD, KSelection
from crmlib.i18n import t
from crmlib.present.cluster_text import feature_label
from crmlib.present.numbers import format_percent
from crmlib.present.charts import (ACCENT, ACCENT_LIGHT, ALERT, CATEGORICAL, FIGURE_WIDTH, FONT_SIZE, SEQUENTIAL, label,
                                   legend_below, percent_axis)

_CRITERIA = (("inertia", "cluster_inertia"), ("silhouette", "cluster_silhouette"),
             ("calinski_harabasz", "cluster_calinski_harabasz"),
             ("davies_bouldin", "cluster_davies_bouldin"), ("stability_ari", "cluster_stability"))


def cluster_names(personas: pd.DataFrame) -> pd.Series:
    """``"1 · Active frequent high spenders"`` per cluster, for legends."""
    return pd.Series({c: f"{c} · {p}" for c, p in personas["persona"].items()})


def _panel_title(text: str) -> str:
    """A panel title on at most two short lines, so side-by-side panels' titles never collide."""
    return textwrap.fill(text, 34)


def plot_k_selection(selection: KSelection, lang: str = "en"):
    """All criteria against k in one figure, the chosen k marked; last panel: the auto rule's ranks."""
    table = selection.table
    fig, axes = plt.subplots(2, 3, figsize=(FIGURE_WIDTH * 1.2, 8))
    for ax, (column, key) in zip(axes.flat, _CRITERIA):
        ax.plot(table.index, table[column], marker="o", color=ACCENT)
        if column == "stability_ari":
            ax.fill_between(table.index, table[column] - table["stability_ari_sd"],
                            table[column] + table["stability_ari_sd"], color=ACCENT, alpha=0.15)
            ax.axhline(STABILITY_THRESHOLD, color="grey", linestyle=":", label=t("cluster_threshold", lang))
        if column == "inertia" and selection.knee is not None:
            ax.scatter([selection.knee], [table.loc[selection.knee, "inertia"]], s=160,
                       facecolors="none", edgecolors="black", zorder=3, label=t("cluster_elbow", lang))
        ax.axvline(selection.k, color=ALERT, linestyle="--", label=t("cluster_chosen", lang))
        label(ax, _panel_title(t(key, lang)), t("cluster_k", lang), t("cluster_score", lang))
        ax.set_xticks(table.index)
        ax.legend(loc="best", fontsize=FONT_SIZE - 2)
        ax.title.set_fontsize(FONT_SIZE - 1)
    ax = axes.flat[5]
    ranks = selection.mean_ranks
    ax.bar(ranks.index.astype(str), ranks.to_numpy(), color=[
        ALERT if k == selection.k else ACCENT for k in ranks.index])
    label(ax, _panel_title(t("cluster_rank_title", lang)), t("cluster_k", lang),
          textwrap.fill(t("cluster_rank_axis", lang), 28))
    ax.title.set_fontsize(FONT_SIZE - 1)
    fig.suptitle(t("cluster_criteria_title", lang), fontweight="bold")
    fig.tight_layout()
    return fig


def plot_sizes(profile: pd.DataFrame, personas: pd.DataFrame, lang: str = "en"):
    """Share of customers against share of revenue, per cluster."""
    names = cluster_names(personas)
    frame = pd.DataFrame({t("cluster_customer_share", lang): profile["customer_share"],
                          t("cluster_revenue_share", lang): profile["revenue_share"]})
    frame.index = [names[c] for c in frame.index]
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 1.8 + 0.8 * len(frame)))
    frame.iloc[::-1].plot.barh(ax=ax, color=[ACCENT_LIGHT, ACCENT], width=0.8)
    for container in ax.containers:
        ax.bar_label(container, labels=[format_percent(v, 0, lang) for v in container.datavalues], padding=2)
    ax.margins(x=0.12)
    ax.set_xlim(left=0)
    percent_axis(ax, "x", lang)
    label(ax, t("cluster_sizes_title", lang), t("cluster_share_axis", lang), "")
    handles, labels_ = ax.get_legend_handles_labels()
    legend_below(ax, columns=2, handles=handles[::-1], labels=labels_[::-1], offset=0.22)
    return fig


def plot_snake(means: pd.DataFrame, personas: pd.DataFrame, lang: str = "en"):
    """Snake plot: each cluster's standardised mean per feature (0 = the average customer)."""
    names = cluster_names(personas)
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 6))
    x = np.arange(means.shape[1])
    for (cluster, row), colour in zip(means.iterrows(), CATEGORICAL):
        ax.plot(x, row.to_numpy(), marker="o", label=names[cluster], color=colour, linewidth=2)
    ax.axhline(0, color="grey", linewidth=1)
    ax.set_xticks(x, [feature_label(c, lang) for c in means.columns], rotation=25, ha="right")
    label(ax, t("cluster_snake_title", lang), t("cluster_feature", lang), t("cluster_snake_y", lang))
    legend_below(ax, columns=2, offset=0.32)
    return fig


def plot_pca_map(frame: pd.DataFrame, explained, personas: pd.DataFrame, lang: str = "en",
                 max_points: int = 5000, random_state: int = 42):
    """The customers on two principal components, coloured by cluster (a fixed-seed sample if many)."""
    names = cluster_names(personas)
    shown = frame.sample(max_points, random_state=random_state) if len(frame) > max_points else frame
    fig, ax = plt.subplots(figsize=(10, 6))
    sns.scatterplot(data=shown.assign(cluster=shown["cluster"].map(names)), x="pc1", y="pc2",
                    hue="cluster", hue_order=list(names), palette=list(CATEGORICAL[:len(names)]), s=14, alpha=0.6,
                    linewidth=0, ax=ax)
    label(ax, t("cluster_pca_title", lang),
          t("cluster_pca_axis", lang, n=1, share=format_percent(explained[0], 0, lang)),
          t("cluster_pca_axis", lang, n=2, share=format_percent(explained[1], 0, lang)))
    legend_below(ax, columns=2, offset=0.14)
    return fig


def plot_crosstab(shares: pd.DataFrame, personas: pd.DataFrame, lang: str = "en"):
    """Heatmap: for each cluster (row), the share of its customers in each segment (column)."""
    frame = shares.copy()
    frame.index = [str(c) for c in frame.index]          # the personas are named in the table above
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, 2.8 + 0.8 * frame.shape[0]))
    sns.heatmap(frame, annot=frame.map(lambda v: format_percent(v, 0, lang)), fmt="", cmap=SEQUENTIAL, vmin=0,
                vmax=1, ax=ax, annot_kws={"size": FONT_SIZE - 1},
                cbar_kws={"label": t("cluster_share_axis", lang),
                          "format": FuncFormatter(lambda v, _p: format_percent(v, 0, lang))})
    label(ax, t("cluster_crosstab_title", lang), t("cluster_rfm_segment", lang), t("cluster_cluster", lang))
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    ax.tick_params(axis="y", rotation=0)
    return fig
