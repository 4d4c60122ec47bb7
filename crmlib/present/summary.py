"""The executive summary that opens every report: KPI tiles and key messages.

A notebook calls :func:`executive_summary` in the cell right after its title. The texts are
already formatted in the run's language (numbers with their units); this module only escapes
and lays them out. With ``out`` the summary is also recorded in ``results.json`` under
``"executive_summary"``, where the hub page and the slide deck read it.
"""
from __future__ import annotations

import html
import re

from crmlib.i18n import check_lang, t

RESULTS_KEY = "executive_summary"
MARKER = "crmlib/executive_summary"  # display-metadata key the report template looks for
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _texts(items, what: str) -> list[str]:
    """Check that every item is already a formatted string (never a raw number)."""
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"executive_summary: every {what} must be text already formatted for the "
                            f"report's language, got {type(item).__name__} {item!r}.")
    return list(items)


def normalise(kpis, messages) -> dict:
    """``{"kpis": [{"label", "value"}], "messages": [...]}`` from (label, value) pairs and texts."""
    pairs = []
    for kpi in kpis:
        if isinstance(kpi, dict):
            kpi = (kpi.get("label"), kpi.get("value"))
        if len(kpi) != 2:
            raise ValueError(f"executive_summary: a KPI is a (label, value) pair, got {kpi!r}.")
        label, value = _texts(kpi, "KPI label and value")
        pairs.append({"label": label, "value": value})
    messages = _texts(messages, "message")
    if not pairs and not messages:
        raise ValueError("executive_summary: give at least one KPI or one message.")
    return {"kpis": pairs, "messages": messages}


def inline_text(text: str) -> str:
    """Escape ``text`` for HTML; ``**bold**`` spans (for the figures in a message) become <strong>."""
    return _BOLD.sub(r"<strong>\1</strong>", html.escape(text, quote=True))


def summary_html(summary: dict, lang: str) -> str:
    """The summary as an HTML fragment (classes styled by the report stylesheet)."""
    tiles = "".join(
        f'<div class="kpi"><div class="kpi-value">{html.escape(k["value"])}</div>'
        f'<div class="kpi-label">{html.escape(k["label"])}</div></div>' for k in summary["kpis"])
    items = "".join(f"<li>{inline_text(m)}</li>" for m in summary["messages"])
    return (f'<section class="executive-summary">'
            f'<h2 class="executive-summary-title">{html.escape(t("report_executive_summary", lang))}</h2>'
            + (f'<div class="kpis">{tiles}</div>' if tiles else "")
            + (f'<ul class="key-messages">{items}</ul>' if items else "")
            + "</section>")


# Enough layout for the summary to read well inside JupyterLab; the report has its own stylesheet.
_NOTEBOOK_STYLE = ("<style>.executive-summary .kpis{display:flex;flex-wrap:wrap;gap:.75rem;margin:.5rem 0}"
                   ".executive-summary .kpi{border-left:4px solid #1f4e79;padding:.4rem .8rem;min-width:9rem}"
                   ".executive-summary .kpi-value{font-size:1.5em;font-weight:600}"
                   ".executive-summary .kpi-label{font-size:.85em;color:#555}</style>")


class ExecutiveSummary:
    """Displayable summary; the report template finds it by its display metadata."""

    def __init__(self, summary: dict, lang: str):
        self.summary, self.lang = summary, lang

    def _repr_html_(self):
        return _NOTEBOOK_STYLE + summary_html(self.summary, self.lang)

    def __repr__(self):  # the text/plain fallback: deterministic, readable
        lines = [t("report_executive_summary", self.lang)]
        lines += [f"{k['label']}: {k['value']}" for k in self.summary["kpis"]]
        lines += [f"- {m}" for m in self.summary["messages"]]
        return "\n".join(lines)

    def display_metadata(self) -> dict:
        return {MARKER: {**self.summary, "lang": self.lang}}


def executive_summary(kpis, messages, lang: str, out=None) -> None:
    """Show the KPI tiles and key messages; with ``out`` (a ReportOutput) record them in results.json.

    >>> executive_summary([("Customers", "1,865"), ("Revenue", "Rp 2.1 bn")],
    ...                   ["**53 %** of revenue comes from Champions."], lang="en", out=out)
    """
    from IPython.display import display

    summary = normalise(kpis, messages)
    shown = ExecutiveSummary(summary, check_lang(lang))
    display(shown, metadata=shown.display_metadata())
    if out is not None:
        out.results({RESULTS_KEY: summary})
