"""One chart style and one palette for every report and the deck, and the axis helpers.

The palette is the 4R frame's: one colour per R (Relationship, Retention, Referral, Recovery),
an accent for single-series charts, a light accent for the second series, greys for "other".
Rules every chart follows (see :func:`set_style`): text at least 12 pt on a figure at most
10 inches wide (≥ 11 pt once the report scales it to its 1280 px page), legends outside the
plotted data, value axes from zero (or a note saying they are not), ticks at even steps.
Computing lives in the stage packages; this module only draws.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator

from crmlib.present.numbers import format_money, format_month, format_number, format_percent

#: One colour per R of the 4R frame, used wherever segments, personas or actions are drawn.
FOUR_R_COLOURS = {"Relationship": "#6a4c93", "Retention": "#1982c4", "Referral": "#2a9d8f",
                  "Recovery": "#e76f51"}
ACCENT = "#1f6f8b"           # single-series bars and lines
ACCENT_LIGHT = "#9ccfd8"     # the second series next to ACCENT
NEUTRAL = "#9aa5ad"          # "other", benchmarks, not-yet / no-longer customers
ALERT = "#c62828"            # reference lines that matter (benchmarks, thresholds)
#: Categorical colours for clusters or series without a 4R meaning (4R colours first).
CATEGORICAL = ("#1982c4", "#e76f51", "#2a9d8f", "#6a4c93", "#f4a261", "#264653", "#8ab17d", "#b5838d",
               "#457b9d", "#e9c46a")
#: Sequential colour map of heatmaps: white to the accent.
SEQUENTIAL = LinearSegmentedColormap.from_list("crm_sequential", ["#f4f8fa", ACCENT_LIGHT, ACCENT, "#0b3a4a"])
PALETTE = SEQUENTIAL          # kept for modules that ask for "the" palette of heatmaps
FIGURE_WIDTH = 10.0           # inches; wider figures shrink their text below 11 pt in the report
FONT_SIZE = 12


def set_style() -> None:
    """Apply the workbook's chart style (readable on a projector and in print)."""
    sns.set_theme(style="whitegrid", context="notebook", palette=list(CATEGORICAL))
    plt.rcParams.update({
        "figure.figsize": (FIGURE_WIDTH, 5.0), "figure.dpi": 100, "savefig.bbox": "tight",
        "font.size": FONT_SIZE, "axes.titlesize": FONT_SIZE + 2, "axes.titleweight": "bold",
        "axes.labelsize": FONT_SIZE, "xtick.labelsize": FONT_SIZE, "ytick.labelsize": FONT_SIZE,
        "legend.fontsize": FONT_SIZE - 0.5, "legend.title_fontsize": FONT_SIZE,
        "figure.titlesize": FONT_SIZE + 3, "figure.titleweight": "bold", "legend.frameon": False,
        "axes.prop_cycle": plt.cycler(color=list(CATEGORICAL)),
    })


def even_ticks(ax, axis: str = "y", bins: int = 5) -> None:
    """Ticks at 1, 2 or 5 × a power of ten (never 1.3, 1.8 …)."""
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(bins, steps=[1, 2, 5, 10]))


def money_axis(ax, axis: str = "y", currency: str = "IDR", lang: str = "en", bins: int = 5) -> None:
    """Short money ticks (``Rp 1,2 jt``) at even steps (a log axis keeps its decades)."""
    formatter = FuncFormatter(lambda v, _pos: format_money(v, currency, lang, short=True))
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(formatter)
    if target.get_scale() != "log":
        even_ticks(ax, axis, bins)


def percent_axis(ax, axis: str = "y", lang: str = "en", step: float | None = None) -> None:
    """An axis holding shares (0–1) as percentages, a tick every ``step`` (e.g. 0.2) when given."""
    formatter = FuncFormatter(lambda v, _pos: format_percent(v, 0, lang))
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(formatter)
    if step:
        target.set_major_locator(MultipleLocator(step))


def count_axis(ax, axis: str = "y", lang: str = "en") -> None:
    """Whole-number ticks with the language's thousands separator, at even steps."""
    formatter = FuncFormatter(lambda v, _pos: format_number(v, 0, lang))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(5, steps=[1, 2, 5, 10], integer=True))


def month_axis(ax, axis: str = "x", lang: str = "en", most: int = 8) -> None:
    """Date ticks on whole months (Jan, Jul, … or years), written as the language writes a
    month ("Jan 2024", "Des 2024"), at most ``most`` of them; call after plotting."""
    import matplotlib.dates as mdates

    target = ax.xaxis if axis == "x" else ax.yaxis
    low, high = ax.get_xlim() if axis == "x" else ax.get_ylim()
    months = (high - low) / 30.44
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= most), 120)
    locator = (mdates.MonthLocator(bymonth=range(1, 13, step)) if step < 12
               else mdates.YearLocator(step // 12))
    target.set_major_locator(locator)
    target.set_major_formatter(FuncFormatter(lambda value, _: format_month(mdates.num2date(value).date(), lang)))


def legend_below(where, columns: int | None = None, title: str | None = None, gap_points: float = 44,
                 order: list[str] | None = None, offset: float | None = None, **kwargs):
    """The legend under the plot, outside the data, below the x-axis label.

    ``where``: an axis (legend under it) or a figure (one legend under its lowest axes, for
    panels sharing their series). ``gap_points`` below the axis leave room for the tick labels
    and the axis label; ``columns`` defaults to as many as fit the figure's width; ``order``
    lists labels to show first (bars before a line drawn over them). ``offset`` (axes heights
    below the axis) places it instead of ``gap_points``.
    """
    from matplotlib.transforms import ScaledTranslation

    single = hasattr(where, "transAxes")
    axes = where if single else min(where.axes, key=lambda a: a.get_position().y0)
    figure = axes.figure
    handles, labels = kwargs.pop("handles", None), kwargs.pop("labels", None)
    if handles is None:
        handles, labels = [], []
        for ax in ([axes] if single else where.axes):
            for handle, text in zip(*ax.get_legend_handles_labels()):
                if text not in labels and not text.startswith("_"):
                    handles.append(handle)
                    labels.append(text)
    elif labels is None:
        labels = [h.get_label() for h in handles]
    if not handles:
        return None
    if order:
        rank = {text: i for i, text in enumerate(order)}
        pairs = sorted(zip(handles, labels), key=lambda pair: rank.get(pair[1], len(rank)))
        handles, labels = [h for h, _ in pairs], [text for _, text in pairs]
    anchor, transform = ((0.5, 0.0), axes.transAxes) if single else \
        ((0.5, axes.get_position().y0), figure.transFigure)
    if offset is not None and single:
        anchor = (0.5, -offset)
    shifted = transform + ScaledTranslation(0, 0 if offset is not None and single else -gap_points / 72,
                                            figure.dpi_scale_trans)
    return where.legend(handles, labels, loc="upper center", bbox_to_anchor=anchor, bbox_transform=shifted,
                        ncol=columns or _columns_that_fit(labels, figure.get_figwidth() * 72), frameon=False,
                        title=title, **kwargs)


def _columns_that_fit(labels, width_points: float, most: int = 4) -> int:
    """Legend columns whose widest row fits the figure's width (labels at about 12 pt)."""
    widths = [len(text) * 7.0 + 36 for text in labels]  # ~0.58 em a character, plus the handle
    for ncol in range(min(most, len(labels)), 1, -1):
        rows = [widths[i:i + ncol] for i in range(0, len(widths), ncol)]
        columns = [max(row[c] for row in rows if c < len(row)) for c in range(ncol)]
        if sum(columns) <= 0.95 * width_points:
            return ncol
    return 1


def legend_right(ax, **kwargs):
    """The legend to the right of the plot, outside the data."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, **kwargs)


def label(ax, title: str, xlabel: str, ylabel: str):
    """Title and axis labels in one call (every chart has all three)."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax
