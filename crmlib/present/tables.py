"""The one table presenter: every table a person sees in a report goes through :func:`show_table`.

Computing code returns canonical snake_case columns and plain numbers; this module turns such a
frame into an HTML table for people:

- no index column; headers translated (``headers``, else the label of the column's name);
- numbers formatted by column kind and language (:mod:`crmlib.present.numbers`) and
  right-aligned; text left-aligned and wrapped, never cut with "…";
- nothing a programmer would write: missing values read ``–``, booleans ``yes`` / ``no`` in the
  report's language, no ``None`` / ``NaN`` / ``True`` / scientific notation;
- long tables capped at ``max_rows`` with "and N more in <file>" (translated).

The HTML carries its own small stylesheet, so it reads the same in JupyterLab, in the report
template and printed. Plain pandas is used (no Styler): the presenter needs nothing but escaping,
formatting and alignment.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib.i18n import check_lang, labels, t
from crmlib.params import parse_date, split_comment
from crmlib.present.numbers import (MISSING, format_date, format_money, format_month, format_number,
                                    format_percent, is_missing)

KINDS = ("money", "money_short", "count", "percent", "number", "date", "month", "text", "yesno")
#: Decimals per kind unless ``decimals`` says otherwise.
DEFAULT_DECIMALS = {"percent": 1, "number": 1, "count": 0}
NUMERIC_KINDS = ("money", "money_short", "count", "percent", "number")
DEFAULT_MAX_ROWS = 25

#: One small stylesheet per table; class selectors outrank JupyterLab's right-aligned ``td``.
#: Tables with more columns than this print in a smaller type, so a segment matrix fits an A4 page.
WIDE_COLUMNS = 8

STYLE = ("<style>.crm-table{border-collapse:collapse;margin:.5em 0}"
         ".crm-table th,.crm-table td{padding:4px 10px;vertical-align:top;border-bottom:1px solid #e3e6ea}"
         ".crm-table th{border-bottom:2px solid #5b6770}"
         ".crm-table .txt{text-align:left;white-space:normal;overflow-wrap:break-word}"
         ".crm-table .num{text-align:right;font-variant-numeric:tabular-nums}"
         ".crm-table td.num{white-space:nowrap}"  # numbers stay whole; headers wrap, so wide tables fit
         ".crm-table-more{margin:0 0 1em 0;font-style:italic}</style>")


@dataclass(frozen=True)
class Table:
    """A table ready for people: ``cells`` holds the formatted texts, ``html`` the markup."""

    cells: pd.DataFrame
    html: str
    hidden_rows: int = 0

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        """Plain text (what a terminal or a text-only output shows): header, then rows."""
        rows = [list(self.cells.columns)] + self.cells.to_numpy().tolist()
        return "\n".join(" | ".join(row) for row in rows)


def infer_kind(values: pd.Series) -> str:
    """The kind of a column nobody declared: booleans → yes/no, whole numbers → count,
    other numbers → number, dates → date, everything else → text."""
    if pd.api.types.is_bool_dtype(values):
        return "yesno"
    if pd.api.types.is_integer_dtype(values):
        return "count"
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna()
        return "count" if len(whole) and np.all(np.isfinite(whole)) and np.all(whole == np.round(whole)) else "number"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    return "text"


def header_label(column, lang: str = "en") -> str:
    """A column's header when none is given: its label if one exists, else the name in words
    (first letter capitalised, the rest as written: a segment name keeps its own spelling)."""
    name = str(column)
    if name in labels():
        return t(name, lang)
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def format_value(value, kind: str, lang: str = "en", currency: str = "IDR", decimals: int | None = None) -> str:
    """One cell as text for people (``kind`` one of :data:`KINDS`)."""
    if kind not in KINDS:
        raise ValueError(f"column kind must be one of {KINDS}, not {kind!r}.")
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(format_value(v, kind, lang, currency, decimals) for v in value) or MISSING
    if value is None or (not isinstance(value, str) and is_missing(value)):
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return t("yes" if value else "no", lang)
    digits = DEFAULT_DECIMALS.get(kind, 0) if decimals is None else decimals
    if kind in NUMERIC_KINDS and isinstance(value, str):
        return value                                   # already words (e.g. "all"), shown as given
    if kind == "money":
        return format_money(value, currency, lang, short=False)
    if kind == "money_short":
        return format_money(value, currency, lang, short=True)
    if kind == "percent":
        return format_percent(value, digits, lang)
    if kind in ("count", "number"):
        return format_number(value, digits, lang)
    if kind == "date":
        return format_date(value, lang)
    if kind == "month":
        return format_month(value, lang)
    if isinstance(value, (float, np.floating)):        # a number in a text column: never 1.2e+05
        return format_number(value, 0 if float(value).is_integer() else 2, lang)
    if isinstance(value, (int, np.integer)):
        return format_number(value, 0, lang)
    return str(value)


def show_table(frame: pd.DataFrame, lang: str = "en", kinds: dict | None = None, headers: dict | None = None,
               max_rows: int | None = DEFAULT_MAX_ROWS, more_in: str | None = None, currency: str = "IDR",
               decimals: dict | None = None, caption: str | None = None) -> Table:
    """``frame`` as an HTML table for people (see the module docstring).

    ``kinds`` maps a column to ``money`` (full amount), ``money_short`` (``Rp 1,3 jt``),
    ``count``, ``percent`` (a share 0–1), ``number``, ``date``, ``month`` (``"2024-12"``),
    ``text`` or ``yesno``; other
    columns get :func:`infer_kind`. ``headers`` maps a column to its header text (already in
    ``lang``). ``decimals`` overrides the decimals of a column. Beyond ``max_rows`` rows (``None``:
    all) the table stops with "and N more" (+ "in ``more_in``" when the full table is in a file).
    The frame's index is never shown: put anything worth showing in a column.
    """
    check_lang(lang)
    kinds, headers, decimals = dict(kinds or {}), dict(headers or {}), dict(decimals or {})
    unknown = sorted(str(c) for c in set(kinds) | set(headers) | set(decimals) if c not in frame.columns)
    if unknown:
        raise KeyError(f"show_table: no column(s) {', '.join(unknown)} in the table "
                       f"(columns: {', '.join(map(str, frame.columns))}).")
    shown = frame if max_rows is None else frame.iloc[:max_rows]
    hidden = len(frame) - len(shown)
    column_kinds = {c: kinds.get(c) or infer_kind(frame[c]) for c in frame.columns}
    cells = pd.DataFrame({
        header_label(c, lang) if c not in headers else str(headers[c]):
            [format_value(v, column_kinds[c], lang, currency, decimals.get(c)) for v in shown[c].tolist()]
        for c in frame.columns}, index=range(len(shown)))
    classes = ["num" if column_kinds[c] in NUMERIC_KINDS else "txt" for c in frame.columns]
    wide = " crm-table-wide" if len(frame.columns) > WIDE_COLUMNS else ""  # printed smaller (report.css)
    parts = [STYLE, f'<table class="crm-table{wide}">']
    if caption:
        parts.append(f'<caption class="txt">{html.escape(caption)}</caption>')
    parts.append("<thead><tr>" + "".join(f'<th class="{cls}">{html.escape(header)}</th>'
                                         for header, cls in zip(cells.columns, classes)) + "</tr></thead><tbody>")
    for row in cells.itertuples(index=False):
        parts.append("<tr>" + "".join(f'<td class="{cls}">{html.escape(text)}</td>'
                                      for text, cls in zip(row, classes)) + "</tr>")
    parts.append("</tbody></table>")
    if hidden:
        count = format_number(hidden, 0, lang)
        note = t("table_more_in", lang, n=count, file=more_in) if more_in else t("table_more", lang, n=count)
        parts.append(f'<p class="crm-table-more">{html.escape(note)}</p>')
    return Table(cells=cells, html="".join(parts), hidden_rows=hidden)


def _parameter_text(name: str, value, lang: str, is_date: bool = False) -> str:
    """A parameter value for the appendix: a date parameter's days as the language writes them
    (``31 Des 2024``; a list of them joined with semicolons, as English dates hold a comma), file
    names without their folders, lists joined."""
    day = parse_date(value) if is_date else None
    if day is not None:
        return format_date(day, lang)
    if isinstance(value, str) and ("/" in value or "\\" in value):
        return value.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_parameter_text(k, v, lang, is_date)}" for k, v in value.items()) or MISSING
    if isinstance(value, (list, tuple)):
        return ("; " if is_date else ", ").join(_parameter_text(name, v, lang, is_date) for v in value) or MISSING
    if isinstance(value, bool) or value is None:
        return format_value(value, "yesno", lang)
    if isinstance(value, float):
        return format_number(value, 0 if value.is_integer() else 2, lang)
    return format_value(value, "text", lang)


#: Parameters that only say where files go: not a result, left out of the appendix.
PLUMBING = ("output_dir",)


def parameters_table(namespace: dict, notebook: str, lang: str = "en") -> Table:
    """The parameter values this run used (the appendix's "how this was computed").

    ``namespace`` is the notebook's ``globals()``; the names and declared types are those of the
    ``parameters`` cell of ``notebooks/<notebook>.ipynb``. Paths are shown as file names, the
    values of date parameters in the language's date format.
    """
    from crmlib import paths
    from crmlib.notebook_params import parameters_cell

    rows = []
    for name, _default, comment in parameters_cell(paths.NOTEBOOKS_DIR / f"{notebook}.ipynb"):
        if name in PLUMBING:
            continue
        spec, _help = split_comment(comment)
        is_date = spec is not None and spec.allows("date")
        rows.append((name, _parameter_text(name, namespace.get(name), lang, is_date)))
    frame = pd.DataFrame(rows, columns=["parameter", "value"])
    return show_table(frame, lang, kinds={"parameter": "text", "value": "text"}, max_rows=None,
                      headers={"parameter": t("report_parameter", lang), "value": t("value", lang)})
