"""Charts of the extra lifetime-value models: P(alive) along a few customers' histories.

Drawing only: tables come from :func:`crmlib.ltv.alive_path`; titles and labels in ``lang``.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from crmlib.i18n import t
from crmlib.present.charts import label, month_axis, percent_axis

#: Distinct colours for a handful of customers (the house palette's greens are too alike).
LINE_PALETTE = "colorblind"


def plot_alive_paths(paths: dict, ax=None, lang: str = "en"):
    """One line per customer: ``paths`` maps a legend label to an ``alive_path`` table;
    purchase days are marked with dots."""
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4.5))
    colours = sns.color_palette(LINE_PALETTE, max(len(paths), 1))
    for (name, path), colour in zip(paths.items(), colours):
        ax.plot(path["date"], path["p_alive"], color=colour, label=name, linewidth=1.8)
        bought = path[path["frequency"].diff().fillna(0) > 0]
        ax.scatter(bought["date"], bought["p_alive"], color=colour, s=14, zorder=3)
    ax.set_ylim(0, 1.02)
    percent_axis(ax, "y", lang)
    month_axis(ax, "x", lang)
    ax.legend(loc="lower left", fontsize=9)
    return label(ax, t("ltv_alive_path_title", lang), t("ltv_axis_date", lang), t("ltv_axis_p_alive", lang))


def archetype_label(archetype: str, masked_id: str, lang: str = "en") -> str:
    """Legend text: the archetype's name and the customer's masked id."""
    return f"{t('ltv_archetype_' + archetype, lang)} ({masked_id})"


def alive_paths_frame(paths: dict) -> pd.DataFrame:
    """All paths in one long table (label, date, frequency, recency, T, p_alive) for export."""
    return pd.concat([p.assign(customer=name) for name, p in paths.items()], ignore_index=True)
