"""Charts of notebook 05 (lifetime value): model checks, CLV and the scenario what-ifs.

Drawing only: every function takes tables computed elsewhere (``crmlib.ltv``), draws on a
given or new axis, titles and labels it in ``lang`` via :func:`crmlib.i18n.t`, and returns
the axis (or figure).
"""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter, MaxNLocator

from crmlib.present.numbers import format_money, format_number, format_percent
from crmlib.i18n import t
from crmlib.present.charts import (ACCENT, ACCENT_LIGHT, FIGURE_WIDTH, FOUR_R_COLOURS, PALETTE, label, legend_below,
                                   count_axis, money_axis, month_axis, percent_axis)

MODEL_COLOURS = {"actual": "#222222", "bgnbd": FOUR_R_COLOURS["Retention"],
                 "pareto_nbd": FOUR_R_COLOURS["Recovery"]}
#: Two shades for "before / after" pairs (nominal vs today, share of customers vs share of value).
LIGHT, DARK = ACCENT_LIGHT, ACCENT
#: The what-if (more retention) in every chart.
WHAT_IF = FOUR_R_COLOURS["Referral"]
LOW_INPUT, HIGH_INPUT = FOUR_R_COLOURS["Recovery"], FOUR_R_COLOURS["Retention"]


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
    legend_below(ax)
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
    ax.set_ylim(bottom=0)
    legend_below(ax)
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
                    xycoords=("data", "axes fraction"), ha="right", va="top", fontsize=11,
                    color="#555555", xytext=(-4, -4), textcoords="offset points")
    ax.set_ylim(bottom=0)
    count_axis(ax, "y", lang)
    month_axis(ax, "x", lang)
    legend_below(ax)
    key = "ltv_tracking_cumulative_title" if cumulative else "ltv_tracking_title"
    ylabel = t("ltv_axis_cum_repeats" if cumulative else "ltv_axis_repeats_per_period", lang,
               unit=unit_label)
    return label(ax, t(key, lang), t("date", lang), ylabel)


def plot_matrix(matrix: pd.DataFrame, title: str, colorbar: str, ax=None, lang: str = "en",
                unit_label: str = "", share: bool = False):
    """A frequency x recency matrix (expected purchases or P(alive)) as a heatmap.

    ``matrix``: index = frequency (repeat purchases), columns = recency (in the time unit).
    """
    ax = _axis(ax, figsize=(FIGURE_WIDTH, 5.5))
    frame = matrix.sort_index(ascending=False)
    sns.heatmap(frame, ax=ax, cmap=PALETTE, vmin=0, vmax=1 if share else None,
                cbar_kws={"label": colorbar})
    if share:
        percent_axis(ax.collections[0].colorbar.ax, "y", lang, step=0.2)
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
    ax.set_xlim(left=0)
    return label(ax, t("ltv_spend_check_title", lang), t("ltv_axis_calibration_repeats", lang),
                 f'{t("ltv_axis_mean_spend", lang)} ({t("ltv_axis_log_scale", lang)})')


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
    ax.set_xlim(0, 1)
    percent_axis(ax, "x", lang, step=0.1)
    money_axis(ax, "y", currency, lang)
    legend_below(ax)
    ylabel = t("ltv_axis_clv", lang) + (f' ({t("ltv_axis_log_scale", lang)})' if len(positive) else "")
    return label(ax, t("ltv_clv_bands_title", lang, horizon=horizon_label),
                 t("ltv_axis_customer_rank", lang), ylabel)


def plot_segment_value(table: pd.DataFrame, segment_col: str = "segment", ax=None,
                       currency: str = "IDR", lang: str = "en", title: str | None = None):
    """Share of customers vs share of future value per segment (side by side bars)."""
    frame = table.sort_values("clv_total", ascending=False)
    ax = _axis(ax, figsize=(FIGURE_WIDTH, 1.4 + 0.62 * len(frame)))
    y = np.arange(len(frame))
    ax.barh(y - 0.2, frame["share_of_customers"], height=0.4, color=LIGHT,
            label=t("ltv_share_customers", lang))
    ax.barh(y + 0.2, frame["share_of_value"], height=0.4, color=DARK, label=t("ltv_share_value", lang))
    ends = np.maximum(frame["share_of_value"].to_numpy(), frame["share_of_customers"].to_numpy())
    for yi, (end, total) in enumerate(zip(ends, frame["clv_total"])):
        ax.annotate(format_money(total, currency, lang), (end, yi), xytext=(5, 0),
                    textcoords="offset points", va="center", fontsize=11)
    ax.set_yticks(y, [textwrap.fill(str(s), 26) for s in frame[segment_col]])
    ax.invert_yaxis()
    top = float(ends.max()) if len(ends) else 1.0
    ax.set_xlim(0, min(1.0, top * 1.2 + 0.06))
    percent_axis(ax, "x", lang, step=0.1 if top > 0.3 else 0.05)
    ax.grid(axis="y", visible=False)
    legend_below(ax)
    label(ax, title or t("ltv_segment_value_title", lang), t("share", lang), "")
    ax.figure.tight_layout()
    return ax


# --------------------------------------------------------------------------- scenarios
def plot_cash_flows(flows: pd.DataFrame, ax=None, currency: str = "IDR", lang: str = "en"):
    """One customer's profit per year: nominal vs worth today (the discounting made visible)."""
    ax = _axis(ax)
    x = flows["year"].to_numpy()
    ax.bar(x - 0.2, flows["profit"], width=0.4, color=LIGHT, label=t("ltv_nominal", lang))
    ax.bar(x + 0.2, flows["pv_profit"], width=0.4, color=DARK, label=t("ltv_today", lang))
    ax.set_xticks(x)
    ax.set_ylim(0, float(flows["profit"].max()) * 1.1)
    money_axis(ax, "y", currency, lang)
    legend_below(ax)
    return label(ax, t("ltv_cash_flows_title", lang), t("year", lang), t("ltv_axis_profit", lang))


def plot_sensitivity_heatmap(grid: pd.DataFrame, ax=None, currency: str = "IDR", lang: str = "en",
                             highlight: tuple[float, float] | None = None):
    """LTV for retention (rows) x margin (columns), annotated in short money."""
    ax = _axis(ax, figsize=(FIGURE_WIDTH, 7))
    frame = grid.sort_index(ascending=False)
    notes = frame.map(lambda v: format_money(v, currency, lang))
    sns.heatmap(frame, ax=ax, cmap=PALETTE, annot=notes, fmt="", annot_kws={"fontsize": 11},
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
    ax = _axis(ax, figsize=(FIGURE_WIDTH, 5.8))
    frame = table.iloc[::-1]
    y = np.arange(len(frame))
    lows = frame["ltv_low"].to_numpy() - base
    highs = frame["ltv_high"].to_numpy() - base
    ax.barh(y, lows, left=base, color=LOW_INPUT, label=t("ltv_input_low", lang))
    ax.barh(y, highs, left=base, color=HIGH_INPUT, label=t("ltv_input_high", lang))
    ax.axvline(base, color="#222222", linewidth=1)
    ax.annotate(t("ltv_tornado_base", lang, value=format_money(base, currency, lang)), (base, 1.0),
                xycoords=("data", "axes fraction"), xytext=(0, 4), textcoords="offset points",
                ha="center", va="bottom", fontsize=11)
    names = [f"{t('ltv_input_' + n, lang)}\n({_fmt_input(n, lo, currency, lang)} / "
             f"{_fmt_input(n, hi, currency, lang)})"
             for n, lo, hi in zip(frame["input"], frame["low"], frame["high"])]
    ax.set_yticks(y, names)
    money_axis(ax, "x", currency, lang, bins=5)
    legend_below(ax)
    ax.set_title(t("ltv_tornado_title", lang), pad=22)
    ax.set_ylabel("")
    ax.set_xlabel(f'{t("ltv_axis_ltv_net", lang)} ({t("ltv_axis_not_from_zero", lang)})')
    ax.figure.tight_layout()
    return ax


def _fmt_input(name: str, value: float, currency: str, lang: str) -> str:
    if name in ("margin", "retention", "discount_rate"):
        return format_percent(value, 0, lang)
    if name == "years":
        return f"{value:g}"
    return format_money(value, currency, lang)


def plot_base_projection(frame: pd.DataFrame, currency: str = "IDR", lang: str = "en",
                         alternative: pd.DataFrame | None = None, points: float = 0.05):
    """Customer base over the coming years (retained + new) and its cumulative profit today.

    Two panels, one above the other, each with its legend under it (never over the bars).
    ``alternative``: the same projection under the retention what-if, drawn as a line.
    """
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGURE_WIDTH, 9.4), gridspec_kw={"hspace": 0.75})
    uplift_label = t("ltv_with_uplift", lang, points=f"{100 * points:g}")
    years = frame["year"].to_numpy()
    top.bar(years, frame["retained"], color=DARK, label=t("ltv_retained", lang), width=0.6)
    top.bar(years, frame["new"], bottom=frame["retained"], color=LIGHT, label=t("ltv_new", lang), width=0.6)
    if alternative is not None:
        top.plot(years, alternative["active"], color=WHAT_IF, marker="o", linewidth=2, label=uplift_label)
    top.set_xticks(years)
    highest = max(frame["active"].max(), 0 if alternative is None else alternative["active"].max())
    top.set_ylim(0, highest * 1.08)
    top.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10], integer=True))
    top.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: format_number(v, 0, lang)))
    label(top, t("ltv_projection_title", lang), t("year", lang), t("ltv_axis_active_customers", lang))
    legend_below(top, columns=3, order=[t("ltv_retained", lang), t("ltv_new", lang)])
    bottom.plot(years, frame["cumulative_pv_profit"], color=DARK, marker="o", linewidth=2,
                label=t("ltv_current_retention", lang))
    if alternative is not None:
        bottom.plot(years, alternative["cumulative_pv_profit"], color=WHAT_IF, marker="o", linewidth=2,
                    label=uplift_label)
    bottom.set_xticks(years)
    most = max(frame["cumulative_pv_profit"].max(),
               0 if alternative is None else alternative["cumulative_pv_profit"].max())
    bottom.set_ylim(0, most * 1.08)
    money_axis(bottom, "y", currency, lang)
    label(bottom, t("ltv_projection_profit_title", lang), t("year", lang), t("ltv_axis_cum_profit", lang))
    legend_below(bottom, columns=2)
    return fig
