"""Charts of notebook 05 (lifetime value): model checks, CLV and the scenario what-ifs.

Drawing only: every function takes tables computed elsewhere (``crmlib.ltv``), draws on a
given or new axis, titles and labels it in ``lang`` via :func:`crmlib.i18n.t`, and returns
the axis (or figure).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from crmlib.present.numbers import format_money, format_percent
from crmlib.i18n import t
from crmlib.present.charts import ACCENT, PALETTE, label, money_axis, percent_axis

MODEL_COLOURS = {"actual": "#222222", "bgnbd": ACCENT, "pareto_nbd": "#e07b39"}


def _axis(ax, figsize=None):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _series_label(name: str, lang: str) -> str:
    return t(f"ltv_series_{name}", lang)


# --------------------------------------------------------------------------- model checks
def plot_frequency_histogram(table: pd.DataFrame, ax=None, lang: str = "en"):
    """Customers by calibration repeat purchases: actual vs each model's expectation.

    ``table``: index = frequency bucket (0, 1, …, "7+"), columns ``actual`` and model names.
    """
    ax = _axis(ax)
    long = (table.rename_axis("bucket").reset_index().melt("bucket", var_name="series", value_name="n"))
    long["series"] = long["series"].map(lambda s: _series_label(s, lang))
    sns.barplot(data=long, x="bucket", y="n", hue="series", ax=ax,
                palette=[MODEL_COLOURS.get(c, ACCENT) for c in table.columns])
    ax.legend(title=None)
    return label(ax, t("ltv_freq_hist_title", lang), t("ltv_axis_calibration_repeats", lang),
                 t("ltv_axis_customers", lang))


def plot_holdout_by_frequency(table: pd.DataFrame, ax=None, lang: str = "en"):
    """The classic check: holdout mean purchases by calibration frequency, actual vs models.

    ``table``: index = calibration frequency bucket, columns ``actual`` and model names.
    """
    ax = _axis(ax)
    x = np.arange(len(table))
    for column in table.columns:
        ax.plot(x, table[column].to_numpy(dtype=float), marker="o",
                color=MODEL_COLOURS.get(column), linestyle="-" if column == "actual" else "--",
                label=_series_label(column, lang))
    ax.set_xticks(x, [str(i) for i in table.index])
    ax.legend()
    return label(ax, t("ltv_holdout_title", lang), t("ltv_axis_calibration_repeats", lang),
                 t("ltv_axis_holdout_mean", lang))


def plot_tracking(table: pd.DataFrame, calibration_end=None, ax=None, lang: str = "en",
                  cumulative: bool = True, unit_label: str = ""):
    """Repeat purchases over time, actual vs models, with the calibration end marked.

    ``table``: index = period start (dates), columns ``actual`` and model names, holding
    repeat purchases per period (summed here when ``cumulative``).
    """
    ax = _axis(ax)
    data = table.cumsum() if cumulative else table
    for column in data.columns:
        ax.plot(data.index, data[column].to_numpy(dtype=float), color=MODEL_COLOURS.get(column),
                linestyle="-" if column == "actual" else "--", label=_series_label(column, lang))
    if calibration_end is not None:
        ax.axvline(pd.Timestamp(calibration_end), color="#888888", linewidth=1, linestyle=":")
        ax.annotate(t("ltv_calibration_end", lang), (pd.Timestamp(calibration_end), 1.0),
                    xycoords=("data", "axes fraction"), ha="right", va="top", fontsize=9,
                    color="#555555", xytext=(-3, -3), textcoords="offset points")
    ax.legend()
    key = "ltv_tracking_cumulative_title" if cumulative else "ltv_tracking_title"
    ylabel = t("ltv_axis_cum_repeats" if cumulative else "ltv_axis_repeats_per_period", lang,
               unit=unit_label)
    return label(ax, t(key, lang), t("date", lang), ylabel)


def plot_matrix(matrix: pd.DataFrame, title: str, colorbar: str, ax=None, lang: str = "en",
                unit_label: str = "", share: bool = False):
    """A frequency x recency matrix (expected purchases or P(alive)) as a heatmap.

    ``matrix``: index = frequency (repeat purchases), columns = recency (in the time unit).
    """
    ax = _axis(ax, figsize=(9, 5.5))
    frame = matrix.sort_index(ascending=False)
    sns.heatmap(frame, ax=ax, cmap=PALETTE, vmin=0, vmax=1 if share else None,
                cbar_kws={"label": colorbar})
    step = max(1, len(frame.columns) // 10)
    ax.set_xticks(np.arange(0, len(frame.columns), step) + 0.5,
                  [f"{c:.0f}" for c in frame.columns[::step]], rotation=0)
    ystep = max(1, len(frame.index) // 10)
    ax.set_yticks(np.arange(0, len(frame.index), ystep) + 0.5,
                  [f"{i:g}" for i in frame.index[::ystep]], rotation=0)
    return label(ax, title, t("ltv_axis_recency", lang, unit=unit_label),
                 t("ltv_axis_calibration_repeats", lang))


def plot_spend_check(frequency, monetary_value, ax=None, currency: str = "IDR", lang: str = "en"):
    """Gamma-Gamma assumption check: mean repeat spend against repeat purchases."""
    ax = _axis(ax)
    ax.scatter(frequency, monetary_value, s=12, alpha=0.4, color=ACCENT)
    ax.set_yscale("log")
    money_axis(ax, "y", currency, lang)
    return label(ax, t("ltv_spend_check_title", lang), t("ltv_axis_calibration_repeats", lang),
                 t("ltv_axis_mean_spend", lang))


# --------------------------------------------------------------------------- CLV
def plot_clv_bands(table: pd.DataFrame, ax=None, currency: str = "IDR", lang: str = "en",
                   horizon_label: str = ""):
    """Customers ranked by CLV with the bootstrap interval as a band.

    ``table``: one row per customer with ``clv``, ``clv_low`` and ``clv_high``.
    """
    ax = _axis(ax)
    ranked = table.sort_values("clv", ascending=False, kind="mergesort").reset_index(drop=True)
    share = (np.arange(len(ranked)) + 1) / len(ranked)
    ax.fill_between(share, ranked["clv_low"], ranked["clv_high"], color=ACCENT, alpha=0.25,
                    linewidth=0, label=t("ltv_interval_90", lang))
    ax.plot(share, ranked["clv"], color=ACCENT, label=t("ltv_series_clv", lang))
    positive = ranked["clv"][ranked["clv"] > 0]
    if len(positive):
        ax.set_yscale("log")
        ax.set_ylim(bottom=float(positive.quantile(0.01)) / 2)
    percent_axis(ax, "x", lang)
    money_axis(ax, "y", currency, lang)
    ax.legend()
    return label(ax, t("ltv_clv_bands_title", lang, horizon=horizon_label),
                 t("ltv_axis_customer_rank", lang), t("ltv_axis_clv", lang))


def plot_segment_value(table: pd.DataFrame, segment_col: str = "segment", ax=None,
                       currency: str = "IDR", lang: str = "en", title: str | None = None):
    """Share of customers vs share of future value per segment (side by side bars)."""
    ax = _axis(ax)
    frame = table.sort_values("clv_total", ascending=False)
    y = np.arange(len(frame))
    ax.barh(y - 0.2, frame["share_of_customers"], height=0.4, color="#a9c6d3",
            label=t("ltv_share_customers", lang))
    ax.barh(y + 0.2, frame["share_of_value"], height=0.4, color=ACCENT, label=t("ltv_share_value", lang))
    for yi, (share, total) in enumerate(zip(frame["share_of_value"], frame["clv_total"])):
        ax.annotate(format_money(total, currency, lang), (share, yi + 0.2), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(y, frame[segment_col].astype(str))
    ax.invert_yaxis()
    percent_axis(ax, "x", lang)
    ax.legend(loc="lower right")
    return label(ax, title or t("ltv_segment_value_title", lang), t("share", lang),
                 t("ltv_axis_segment", lang))


# --------------------------------------------------------------------------- scenarios
def plot_cash_flows(flows: pd.DataFrame, ax=None, currency: str = "IDR", lang: str = "en"):
    """One customer's profit per year: nominal vs worth today (the discounting made visible)."""
    ax = _axis(ax)
    x = flows["year"].to_numpy()
    ax.bar(x - 0.2, flows["profit"], width=0.4, color="#a9c6d3", label=t("ltv_nominal", lang))
    ax.bar(x + 0.2, flows["pv_profit"], width=0.4, color=ACCENT, label=t("ltv_today", lang))
    ax.set_xticks(x)
    ax.set_ylim(0, float(flows["profit"].max()) * 1.2)
    money_axis(ax, "y", currency, lang)
    ax.legend(loc="upper center", ncol=2)
    return label(ax, t("ltv_cash_flows_title", lang), t("year", lang), t("ltv_axis_profit", lang))


def plot_sensitivity_heatmap(grid: pd.DataFrame, ax=None, currency: str = "IDR", lang: str = "en",
                             highlight: tuple[float, float] | None = None):
    """LTV for retention (rows) x margin (columns), annotated in short money."""
    ax = _axis(ax, figsize=(9, 6))
    frame = grid.sort_index(ascending=False)
    notes = frame.map(lambda v: format_money(v, currency, lang))
    sns.heatmap(frame, ax=ax, cmap=PALETTE, annot=notes, fmt="", annot_kws={"fontsize": 8},
                cbar_kws={"label": t("ltv_axis_ltv_today", lang)},
                xticklabels=[format_percent(m, 0, lang) for m in frame.columns],
                yticklabels=[format_percent(r, 0, lang) for r in frame.index])
    cbar = ax.collections[0].colorbar
    money_axis(cbar.ax, "y", currency, lang)
    if highlight is not None:
        row = list(frame.index).index(round(highlight[0], 4))
        col = list(frame.columns).index(round(highlight[1], 4))
        ax.add_patch(plt.Rectangle((col, row), 1, 1, fill=False, edgecolor="#c62828", linewidth=2.5))
    ax.tick_params(axis="y", rotation=0)
    return label(ax, t("ltv_grid_title", lang), t("ltv_axis_margin", lang), t("ltv_axis_retention", lang))


def plot_tornado(table: pd.DataFrame, base: float, ax=None, currency: str = "IDR", lang: str = "en"):
    """Tornado: how far the LTV moves when each input moves to its low / high value."""
    ax = _axis(ax)
    frame = table.iloc[::-1]
    y = np.arange(len(frame))
    lows = frame["ltv_low"].to_numpy() - base
    highs = frame["ltv_high"].to_numpy() - base
    ax.barh(y, lows, left=base, color="#e07b39", label=t("ltv_input_low", lang))
    ax.barh(y, highs, left=base, color=ACCENT, label=t("ltv_input_high", lang))
    ax.axvline(base, color="#222222", linewidth=1)
    names = [f"{t('ltv_input_' + n, lang)} ({_fmt_input(n, lo, currency, lang)} / "
             f"{_fmt_input(n, hi, currency, lang)})"
             for n, lo, hi in zip(frame["input"], frame["low"], frame["high"])]
    ax.set_yticks(y, names)
    money_axis(ax, "x", currency, lang)
    ax.legend(loc="lower right")
    return label(ax, t("ltv_tornado_title", lang), t("ltv_axis_ltv_net", lang), "")


def _fmt_input(name: str, value: float, currency: str, lang: str) -> str:
    if name in ("margin", "retention", "discount_rate"):
        return format_percent(value, 0, lang)
    if name == "years":
        return f"{value:g}"
    return format_money(value, currency, lang)


def plot_base_projection(frame: pd.DataFrame, currency: str = "IDR", lang: str = "en",
                         alternative: pd.DataFrame | None = None, points: float = 0.05):
    """Customer base over the coming years (retained + new) and its cumulative profit today.

    ``alternative``: the same projection under the retention what-if, drawn as a line.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    uplift_label = t("ltv_with_uplift", lang, points=f"{100 * points:g}")
    years = frame["year"].to_numpy()
    left.bar(years, frame["retained"], color=ACCENT, label=t("ltv_retained", lang))
    left.bar(years, frame["new"], bottom=frame["retained"], color="#a9c6d3", label=t("ltv_new", lang))
    if alternative is not None:
        left.plot(years, alternative["active"], color="#c62828", marker="o",
                  label=uplift_label)
    left.set_xticks(years)
    left.set_ylim(0, max(frame["active"].max(), 0 if alternative is None else alternative["active"].max()) * 1.3)
    left.legend(loc="upper center", ncol=3, fontsize=9)
    label(left, t("ltv_projection_title", lang), t("year", lang), t("ltv_axis_active_customers", lang))
    right.plot(years, frame["cumulative_pv_profit"], color=ACCENT, marker="o",
               label=t("ltv_current_retention", lang))
    if alternative is not None:
        right.plot(years, alternative["cumulative_pv_profit"], color="#c62828", marker="o",
                   label=uplift_label)
    right.set_xticks(years)
    money_axis(right, "y", currency, lang)
    right.legend()
    label(right, t("ltv_projection_profit_title", lang), t("year", lang), t("ltv_axis_cum_profit", lang))
    fig.tight_layout()
    return fig
