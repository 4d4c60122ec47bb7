"""The run's hub page ``index.html``: headline figures, one line per report, downloads, data check.

Same design as the reports (one stylesheet). KPIs come from each notebook's
``results.json["executive_summary"]``; the question each report answers and every word on the
page follow the run's language.
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from crmlib.i18n import t
from crmlib.present.calculator import CALCULATOR_ANCHOR, recorded_calculator
from crmlib.present.report import STYLESHEET, ReportContext, cover_facts
from crmlib.present.summary import RESULTS_KEY, inline_text

MAX_KPIS = 8
_COVER_TITLE = re.compile(r'<h1 class="cover-title">(.*?)</h1>', re.S)
STATUSES = ("ok", "failed", "skipped", "earlier")


@dataclass
class ReportEntry:
    """One notebook of the run as the hub and the deck see it."""

    name: str          # folder name, e.g. 02_rfm_segmentation
    status: str        # ok / failed / skipped / earlier (carried over from an earlier run)
    folder: Path
    error: str | None = None

    @property
    def results(self) -> dict:
        """The report's ``results.json`` ({} when it has none)."""
        path = self.folder / "results.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    @property
    def summary(self) -> dict:
        return self.results.get(RESULTS_KEY) or {}

    @property
    def has_report(self) -> bool:
        return (self.folder / "report.html").exists()

    def title(self, lang: str) -> str:
        """The report's own title (from its cover), else the label for its number."""
        page = self.folder / "report.html"
        if page.exists():
            found = _COVER_TITLE.search(page.read_text(encoding="utf-8"))
            if found:
                return html.unescape(found.group(1))
        return t(f"hub_title_{self.name[:2]}", lang) if self.name[:2].isdigit() else self.name

    def question(self, lang: str) -> str:
        key = f"hub_question_{self.name[:2]}"
        text = t(key, lang)
        return "" if text == key else text


def run_entries(run_dir: Path, notebooks=()) -> list[ReportEntry]:
    """The run's reports in order; folders not run this time are marked as from an earlier run."""
    run_dir = Path(run_dir)
    ran = {nb.name: nb for nb in notebooks}
    names = sorted(set(ran) | {p.name for p in run_dir.iterdir()
                               if p.is_dir() and p.name[:2].isdigit() and p.name[2:3] == "_"})
    return [ReportEntry(name, ran[name].status if name in ran else "earlier", run_dir / name,
                        getattr(ran.get(name), "error", None)) for name in names]


def headline_kpis(entries: list[ReportEntry], most: int = MAX_KPIS) -> list[dict]:
    """Up to ``most`` KPIs across the reports: round robin, so each report is represented."""
    queues = [list(e.summary.get("kpis", [])) for e in entries if e.status in ("ok", "earlier")]
    chosen, seen = [], set()
    while len(chosen) < most and any(queues):
        for queue in queues:
            while queue:
                kpi = queue.pop(0)
                if kpi["label"].casefold() not in seen:
                    seen.add(kpi["label"].casefold())
                    chosen.append(kpi)
                    break
            if len(chosen) == most:
                break
    return chosen


def data_check_sentence(validation: dict, lang: str) -> str:
    """The data check in one sentence, numbers in the language's style."""
    from crmlib.present.numbers import format_number

    n = {k: format_number(validation.get(k, 0), 0, lang) for k in ("rows_in", "rows_kept", "rows_rejected")}
    return t("hub_data_check", lang, **n)


def _results(entries: list[ReportEntry], prefix: str) -> dict:
    """``results.json`` of the report whose name starts with ``prefix`` ({} if it did not run)."""
    return next((e.results for e in entries if e.name.startswith(prefix) and e.status in ("ok", "earlier")), {})


def customer_counts_sentence(entries: list[ReportEntry], lang: str) -> str:
    """Why the reports count different customers, in one sentence ("" without report 01)."""
    from crmlib.present.numbers import format_number

    profile, churn, ltv = _results(entries, "01"), _results(entries, "04"), _results(entries, "05")
    if not profile.get("customers_total") or not profile.get("buyers"):
        return ""
    n = lambda value: format_number(value, 0, lang)  # noqa: E731
    parts = [t("hub_counts_file", lang, total=n(profile["customers_total"]), buyers=n(profile["buyers"]))]
    if churn.get("scored_customers") is not None:
        parts.append(t("hub_counts_scored", lang, scored=n(churn["scored_customers"])))
    if (ltv.get("clv") or {}).get("customers"):
        parts.append(t("hub_counts_valued", lang, valued=n(ltv["clv"]["customers"])))
    return "; ".join(parts) + "."


def downloads(entries: list[ReportEntry], run_dir: Path, lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(group heading, [(link, text)]) for the deck, the PDFs and the take-away tables."""
    run_dir = Path(run_dir)
    groups = []
    overall = [(name, t(f"hub_download_{name.split('.')[0].replace('-', '_')}", lang))
               for name in ("deck.pptx",) if (run_dir / name).exists()]
    overall += [(f"validation/{name}", t("hub_download_rejected", lang))
                for name in ("rejected_rows.csv",) if (run_dir / "validation" / name).exists()]
    if overall:
        groups.append((t("hub_downloads_run", lang), overall))
    for entry in entries:
        files = sorted(p for p in entry.folder.glob("*") if p.suffix in (".pdf", ".xlsx", ".csv"))
        files.sort(key=lambda p: ({".pdf": 0, ".xlsx": 1, ".csv": 2}[p.suffix], p.name))
        if files:
            links = [(f"{entry.name}/{p.name}", t("hub_download_pdf", lang) if p.suffix == ".pdf" else p.name)
                     for p in files]
            groups.append((entry.title(lang), links))
    return groups


def hub_html(run_dir: Path, entries: list[ReportEntry], validation: dict, context: ReportContext) -> str:
    """The hub page as HTML text (every value escaped)."""
    lang = context.lang
    e = html.escape
    kpis = headline_kpis(entries)
    counts = customer_counts_sentence(entries, lang)
    tiles = "".join(f'<div class="kpi"><div class="kpi-value">{e(k["value"])}</div>'
                    f'<div class="kpi-label">{e(k["label"])}</div></div>' for k in kpis)
    rows = []
    for entry in entries:
        title = e(entry.title(lang))
        link = f'<a href="{e(entry.name)}/report.html">{title}</a>' if entry.has_report else title
        if entry.has_report and recorded_calculator(entry.folder):
            link += (f' · <a href="{e(entry.name)}/report.html#{CALCULATOR_ANCHOR}">'
                     f'{e(t("calc_hub_link", lang))}</a>')
        status = f'<span class="status status-{entry.status}">{e(t(f"hub_status_{entry.status}", lang))}</span>'
        detail = f'<div class="footnote">{e(entry.error)}</div>' if entry.error else ""
        rows.append(f"<tr><td>{link}</td><td>{e(entry.question(lang))}{detail}</td><td>{status}</td></tr>")
    groups = "".join(
        f"<h3>{e(heading)}</h3><ul class=\"downloads\">"
        + "".join(f'<li><a href="{e(href)}">{e(text)}</a></li>' for href, text in links) + "</ul>"
        for heading, links in downloads(entries, run_dir, lang))
    facts = "".join(f"<div><dt>{e(label)}</dt><dd>{e(value)}</dd></div>" for label, value in cover_facts(context))
    title = t("hub_title", lang)
    page_title = f"{title} · {context.run_title}" if context.run_title else title
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(page_title)}</title>
<style>
{STYLESHEET.read_text(encoding="utf-8")}
</style>
</head>
<body>
<main class="report hub">
<header class="cover">
  <p class="cover-kicker">{e(title)}</p>
  <h1 class="cover-title">{e(context.run_title)}</h1>
  <dl class="cover-facts">{facts}</dl>
</header>
{f'<section class="executive-summary"><h2>{e(t("hub_headlines", lang))}</h2><div class="kpis">{tiles}</div></section>' if tiles else ""}
<h2>{e(t("hub_reports", lang))}</h2>
<table class="reports">
<thead><tr><th>{e(t("report", lang))}</th><th>{e(t("hub_question", lang))}</th><th>{e(t("status", lang))}</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<h2>{e(t("hub_data_check_title", lang))}</h2>
<p class="data-check">{inline_text(data_check_sentence(validation, lang))}</p>
{f'<p class="data-check">{e(counts)}</p>' if counts else ""}
<h2>{e(t("hub_downloads", lang))}</h2>
{groups}
<p class="footnote">{e(t("hub_footnote", lang))} <a href="manifest.json">manifest.json</a> · <a href="validation/validation.json">validation.json</a></p>
</main>
</body>
</html>
"""


def write_hub(run_dir: Path, notebooks, validation: dict, context: ReportContext) -> Path:
    """Write ``index.html`` into the run folder; returns its path."""
    run_dir = Path(run_dir)
    entries = run_entries(run_dir, notebooks)
    path = run_dir / "index.html"
    path.write_text(hub_html(run_dir, entries, validation, context), encoding="utf-8")
    return path
