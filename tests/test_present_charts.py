"""Chart helpers: date axes read as the language writes months."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from crmlib.present.charts import month_axis  # noqa: E402


@pytest.mark.parametrize("lang, expected", [("en", ["Jan 2023", "Jul 2023", "Jan 2024", "Jul 2024", "Jan 2025"]),
                                            ("id", ["Jan 2023", "Jul 2023", "Jan 2024", "Jul 2024", "Jan 2025"])])
def test_month_axis_ticks_whole_months_in_the_language(lang, expected):
    days = pd.date_range("2023-01-02", "2024-12-30", freq="W-MON")
    fig, ax = plt.subplots()
    ax.plot(days, range(len(days)))
    month_axis(ax, "x", lang)
    fig.canvas.draw()
    labels = [tick.get_text() for tick in ax.get_xticklabels() if tick.get_text()]
    plt.close(fig)
    assert labels == expected
    assert not any("-" in text for text in labels)          # never ISO "2023-01"


def test_month_axis_writes_indonesian_month_names():
    days = pd.date_range("2024-06-01", "2024-12-31", freq="D")
    fig, ax = plt.subplots()
    ax.plot(days, range(len(days)))
    month_axis(ax, "x", "id")
    fig.canvas.draw()
    labels = [tick.get_text() for tick in ax.get_xticklabels() if tick.get_text()]
    plt.close(fig)
    assert "Agu 2024" in labels and "Des 2024" in labels and len(labels) <= 8
