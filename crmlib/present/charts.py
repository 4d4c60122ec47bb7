"""One plotting style for every report, and axis helpers for money and shares.

Computing lives in the topic modules; this module only draws.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator

from crmlib.present.numbers import format_money, format_percent

PALETTE = "crest"
ACCENT = "#1f6f8b"


def set_style() -> None:
    """Apply the workbook's chart style (readable in a workshop room)."""
    sns.set_theme(style="whitegrid", context="notebook", palette="deep")
    plt.rcParams.update({"figure.figsize": (9, 4.8), "figure.dpi": 100, "axes.titleweight": "bold",
                         "axes.titlesize": 13, "savefig.bbox": "tight"})


def money_axis(ax, axis: str = "y", currency: str = "IDR", lang: str = "en", nbins: int = 6) -> None:
    """Format an axis's ticks as short money (``Rp 1,2 jt``), at even steps (1, 2 or 5 × 10^k).

    Steps of 2.5 are left out: short money keeps one decimal, so 1.25 would show as 1.3.
    A log axis keeps its decades.
    """
    target = ax.yaxis if axis == "y" else ax.xaxis
    if target.get_scale() != "log":
        target.set_major_locator(MaxNLocator(nbins=nbins, steps=[1, 2, 5, 10]))
    target.set_major_formatter(FuncFormatter(lambda v, _pos: format_money(v, currency, lang, short=True)))


def percent_axis(ax, axis: str = "y", lang: str = "en", step: float | None = None) -> None:
    """Format an axis holding shares (0–1) as percentages, every ``step`` (e.g. 0.2) when given."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    if step:
        target.set_major_locator(MultipleLocator(step))
    target.set_major_formatter(FuncFormatter(lambda v, _pos: format_percent(v, 0, lang)))


def legend_below(where, ncol: int | None = None, title: str | None = None, gap_points: float = 44,
                 order: list[str] | None = None):
    """A legend under the chart, outside the data, below the x-axis label.

    ``where``: an axis (legend under it) or a figure (under its lowest axes, for side-by-side
    panels sharing one legend). ``gap_points`` below the axis leaves room for the tick labels and
    the axis label. ``order``: labels to list first, in that order (bars before a line drawn over them).
    """
    from matplotlib.transforms import ScaledTranslation

    axes = where if hasattr(where, "transAxes") else min(where.axes, key=lambda a: a.get_position().y0)
    figure = axes.figure
    source = axes if where is axes else where.axes
    handles, labels = [], []
    for ax in ([source] if where is axes else source):
        for handle, text in zip(*ax.get_legend_handles_labels()):
            if text not in labels and not text.startswith("_"):
                handles.append(handle)
                labels.append(text)
    if not handles:
        return None
    if order:
        rank = {text: i for i, text in enumerate(order)}
        pairs = sorted(zip(handles, labels), key=lambda pair: rank.get(pair[1], len(rank)))
        handles, labels = [h for h, _ in pairs], [text for _, text in pairs]
    if where is axes:
        anchor, transform = (0.5, 0.0), axes.transAxes
    else:
        anchor, transform = (0.5, axes.get_position().y0), figure.transFigure
    shifted = transform + ScaledTranslation(0, -gap_points / 72, figure.dpi_scale_trans)
    return where.legend(handles, labels, loc="upper center", bbox_to_anchor=anchor, bbox_transform=shifted,
                        ncol=ncol or _columns_that_fit(labels, figure.get_figwidth() * 72), frameon=False,
                        title=title)


def _columns_that_fit(labels, width_points: float, most: int = 4) -> int:
    """Legend columns whose widest row fits the figure's width (labels at 11 pt)."""
    widths = [len(text) * 6.4 + 34 for text in labels]  # ~0.58 em a character, plus the handle
    for ncol in range(min(most, len(labels)), 1, -1):
        rows = [widths[i:i + ncol] for i in range(0, len(widths), ncol)]
        columns = [max(row[c] for row in rows if c < len(row)) for c in range(ncol)]
        if sum(columns) <= 0.95 * width_points:
            return ncol
    return 1


def label(ax, title: str, xlabel: str, ylabel: str):
    """Title and axis labels in one call (every chart has all three)."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax
