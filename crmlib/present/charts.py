"""One plotting style for every report, and axis helpers for money and shares.

Computing lives in the topic modules; this module only draws.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.ticker import FuncFormatter

from crmlib.present.numbers import format_money, format_percent

PALETTE = "crest"
ACCENT = "#1f6f8b"


def set_style() -> None:
    """Apply the workbook's chart style (readable in a workshop room)."""
    sns.set_theme(style="whitegrid", context="notebook", palette="deep")
    plt.rcParams.update({"figure.figsize": (9, 4.8), "figure.dpi": 100, "axes.titleweight": "bold",
                         "axes.titlesize": 13, "savefig.bbox": "tight"})


def money_axis(ax, axis: str = "y", currency: str = "IDR", lang: str = "en") -> None:
    """Format an axis's ticks as short money (``Rp 1,2 jt``)."""
    formatter = FuncFormatter(lambda v, _pos: format_money(v, currency, lang, short=True))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def percent_axis(ax, axis: str = "y", lang: str = "en") -> None:
    """Format an axis holding shares (0–1) as percentages."""
    formatter = FuncFormatter(lambda v, _pos: format_percent(v, 0, lang))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def label(ax, title: str, xlabel: str, ylabel: str):
    """Title and axis labels in one call (every chart has all three)."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax
