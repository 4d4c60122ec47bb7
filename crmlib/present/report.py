"""The report design: a notebook's outputs as a client-ready, self-contained HTML page.

:func:`export_report` turns an executed notebook into ``report.html``: a cover (report title,
run, data period, as-of date, date generated, language), the notebook's executive summary,
a table of contents built from its ``##`` headings, numbered sections, and a technical
appendix after the heading labelled ``report_appendix``. No code, no prompts; one stylesheet
(``templates/crm_report/report.css``) and every image inside the file; formulas are typeset
at build time (:mod:`crmlib.present.mathtext`), so nothing is fetched from a network.

The date generated is the run's UTC date, or ``SOURCE_DATE_EPOCH`` when set (the
reproducible-builds convention), so the same inputs give the same bytes.
"""
from __future__ import annotations

import ast
import copy
import datetime as dt
import html
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.filters.markdown import markdown2html

from crmlib.i18n import LANGUAGES, t
from crmlib.markup import disarm_html
from crmlib.present.mathtext import render_math
from crmlib.present.numbers import format_date
from crmlib.present.summary import MARKER, summary_html

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "crm_report"
STYLESHEET = TEMPLATES_DIR / TEMPLATE_NAME / "report.css"
HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell", "remove_cell"}
_HEADING = re.compile(r"^(#{1,2})[ \t]+(.+?)[ \t#]*$")
_NUMBERED = re.compile(r"^\d+(\.\d+)*\.\s")  # "3. " or "3.1. ", not a title opening with a count ("424 customers")
_TAGS = re.compile(r"<[^>]+>")


# --------------------------------------------------------------------------- context (cover)

@dataclass
class ReportContext:
    """What the cover states; everything else comes from the notebook itself."""

    run_title: str = ""
    lang: str = "en"
    as_of: dt.date | None = None
    period: tuple[dt.date, dt.date] | None = None
    generated: dt.date = field(default_factory=lambda: generated_date())


def generated_date() -> dt.date:
    """``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC) when set, else today's UTC date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.datetime.now(dt.timezone.utc).date()


def _as_date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def notebook_parameters(nb) -> dict:
    """Literal values of the ``parameters`` cell, overridden by papermill's injected cell."""
    found: dict = {}
    for tag in ("parameters", "injected-parameters"):
        for cell in nb.cells:
            if cell.cell_type != "code" or tag not in cell.get("metadata", {}).get("tags", []):
                continue
            try:
                body = ast.parse(cell.source).body
            except SyntaxError:
                continue
            for node in body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                        and isinstance(node.targets[0], ast.Name):
                    try:
                        found[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        pass
    return found


def context_for(nb, validation: dict | None = None) -> ReportContext:
    """Cover facts from the notebook's parameters and, when given, the run's validation summary."""
    params = notebook_parameters(nb)
    lang = params.get("lang") if params.get("lang") in LANGUAGES else "en"
    period = None
    if validation and validation.get("date_min") and validation.get("date_max"):
        period = (_as_date(validation["date_min"]), _as_date(validation["date_max"]))
    return ReportContext(run_title=str(params.get("run_name") or ""), lang=lang,
                         as_of=_as_date(params.get("as_of_date")) or (period[1] if period else None),
                         period=period)


def run_context(settings: dict, validation: dict | None = None, manifest: dict | None = None) -> ReportContext:
    """Cover facts of a whole run (hub, deck) from its parameters and validation summary.

    A finished run (``manifest``) keeps the date it was generated unless SOURCE_DATE_EPOCH is set.
    """
    lang = settings.get("lang") if settings.get("lang") in LANGUAGES else "en"
    period = None
    if validation and validation.get("date_min") and validation.get("date_max"):
        period = (_as_date(validation["date_min"]), _as_date(validation["date_max"]))
    generated = generated_date()
    if manifest and manifest.get("started") and not os.environ.get("SOURCE_DATE_EPOCH"):
        generated = _as_date(manifest["started"]) or generated
    return ReportContext(run_title=str(settings.get("run_name") or ""), lang=lang,
                         as_of=_as_date(settings.get("as_of_date")) or (period[1] if period else None),
                         period=period, generated=generated)


def cover_facts(context: ReportContext) -> list[tuple[str, str]]:
    lang = context.lang
    facts = []
    if context.period:
        facts.append((t("report_data_period", lang), t("report_period_range", lang,
                      start=format_date(context.period[0], lang, style="long"),
                      end=format_date(context.period[1], lang, style="long"))))
    if context.as_of:
        facts.append((t("report_as_of", lang), format_date(context.as_of, lang, style="long")))
    facts.append((t("report_generated", lang), format_date(context.generated, lang, style="long")))
    facts.append((t("report_language", lang), t("report_language_name", lang)))
    return facts


# --------------------------------------------------------------------------- notebook → blocks

def _split_at_headings(markdown: str) -> list[str]:
    """Cut a Markdown text before each level-1/2 heading (outside code fences)."""
    pieces, current, fenced = [], [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and _HEADING.match(line) and any(s.strip() for s in current):
            pieces.append("\n".join(current))
            current = []
        current.append(line)
    pieces.append("\n".join(current))
    return [p for p in pieces if p.strip()]


def _plain(markdown_inline: str) -> str:
    """Heading text without Markdown/HTML markup, for the contents and the ``<title>``."""
    rendered = markdown2html(markdown_inline.replace("$", ""))
    return html.unescape(_TAGS.sub("", rendered)).replace("¶", "").strip()


def _is_appendix(text: str) -> bool:
    text = _NUMBERED.sub("", text).strip().rstrip(".").casefold()
    return any(text == t("report_appendix", lang).casefold() for lang in LANGUAGES)


def _visible_outputs(cell) -> list:
    """A code cell's outputs a reader should see: no bare Python reprs, no widgets or scripts."""
    kept = []
    for output in cell.get("outputs", []):
        if output.output_type in ("display_data", "execute_result"):
            data = output.get("data", {})
            shown = set(data) - {"text/plain", "application/javascript",
                                 "application/vnd.jupyter.widget-view+json"}
            if not shown:
                continue  # a repr like <Axes: …> or a widget: nothing for a reader
        if output.output_type == "stream" and output.name == "stderr":
            continue
        kept.append(output)
    return kept


def _marker(source: str):
    return nbformat.v4.new_raw_cell(source, metadata={"crm_marker": True})


def _blocks(nb) -> tuple[list, dict | None]:
    """The notebook as a flat list of ("markdown", text) and ("output", output) blocks, each
    Markdown block starting at a heading, and the executive summary found in its outputs."""
    blocks, summary = [], None

    def markdown(source: str):
        blocks.extend(("markdown", piece) for piece in _split_at_headings(source))

    for cell in nb.cells:
        if HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "markdown":
            markdown(cell.source)
        elif cell.cell_type == "code":
            for output in _visible_outputs(cell):
                data = output.get("data", {})
                if MARKER in output.get("metadata", {}):
                    summary = output.metadata[MARKER]
                elif "text/html" in data:
                    blocks.append(("output", output))
                elif "text/markdown" in data:
                    markdown(disarm_html(data["text/markdown"]))  # generated: no raw HTML
                elif "text/latex" in data:  # typeset here, not by MathJax in the browser
                    markdown(f"$${data['text/latex'].strip().strip('$')}$$")
                else:
                    blocks.append(("output", output))
    return blocks, summary


def _heading(piece: str):
    """(level, text, rest) when a Markdown block opens with a level-1/2 heading, else None."""
    first, _, rest = piece.partition("\n")
    found = _HEADING.match(first)
    return (len(found.group(1)), found.group(2), rest) if found else None


def prepare(nb, context: ReportContext) -> tuple:
    """The notebook reshaped for the template, and the template's ``crm`` resources.

    Sections are numbered 1, 2, … unless the notebook numbers its own ``##`` headings
    (``## 3. Champions …``): then its numbers are kept as they are.
    """
    lang = context.lang
    blocks, summary = _blocks(nb)
    headings = [h for kind, piece in blocks if kind == "markdown" and (h := _heading(piece))]
    authored = any(level == 2 and _NUMBERED.match(text) and not _is_appendix(text)
                   for level, text, _ in headings)
    cells, title, lead, toc = [], None, None, []
    sections = number = appendix = parts = 0
    in_appendix = False
    for kind, piece in blocks:
        heading = _heading(piece) if kind == "markdown" else None
        if kind == "output":
            single = nbformat.v4.new_code_cell()
            single.outputs = [piece]
            cells.append(single)
            continue
        if heading is None:
            cells.append(nbformat.v4.new_markdown_cell(render_math(piece)))
            continue
        level, text, rest = heading
        if level == 1 and title is None:
            title, lead = _plain(text), rest.strip()
            continue
        if level == 1:
            parts += 1
            anchor, entry_kind, shown_number = f"part-{parts}", "part", ""
            css = "part appendix" if in_appendix else "part"
        elif _is_appendix(text) or in_appendix:
            entry_kind, in_appendix = "appendix", True
            appendix += 1
            anchor, shown_number, css = ("appendix" if appendix == 1 else f"appendix-{appendix}"), "", \
                "section appendix"
        else:
            sections += 1
            given = _NUMBERED.match(text)
            if authored:
                shown_number = given.group(0).strip().rstrip(".") if given else ""
            else:
                number += 1
                shown_number, text = str(number), f"{number}. {text}"
            anchor, entry_kind, css = f"section-{sections}", "section", "section"
        toc.append({"id": anchor, "kind": entry_kind, "number": shown_number,
                    "text": _NUMBERED.sub("", _plain(text)).strip()})
        cells.append(_marker(f'</section>\n<section class="{css}" id="{anchor}">'))
        cells.append(nbformat.v4.new_markdown_cell(render_math(f"{'#' * level} {text}\n{rest}")))

    reshaped = copy.copy(nb)
    reshaped.cells = cells
    title = title or t("report", lang)
    page_title = f"{title} · {context.run_title}" if context.run_title else title
    crm = {
        "lang": lang, "title": title, "run_title": context.run_title, "page_title": page_title,
        "lead_html": markdown2html(render_math(lead)) if lead else "",
        "facts": cover_facts(context),
        "summary_html": summary_html(summary, lang) if summary else "",
        "toc": toc, "contents_label": t("report_contents", lang),
        "stylesheet": STYLESHEET.read_text(encoding="utf-8"),
    }
    return reshaped, crm


# --------------------------------------------------------------------------- export

class ReportExporter(HTMLExporter):
    """nbconvert exporter for the report design (outputs only, self-contained)."""

    export_from_notebook = "CRM report"

    def __init__(self, **kw):
        kw.setdefault("template_name", TEMPLATE_NAME)
        kw.setdefault("extra_template_basedirs", [str(TEMPLATES_DIR)])
        kw.setdefault("exclude_input", True)
        kw.setdefault("exclude_input_prompt", True)
        kw.setdefault("exclude_output_prompt", True)
        kw.setdefault("embed_images", True)
        kw.setdefault("anchor_link_text", "")
        super().__init__(**kw)

    def from_notebook_node(self, nb, resources=None, context: ReportContext | None = None, **kw):
        context = context or context_for(nb)
        reshaped, crm = prepare(nb, context)
        resources = {**(resources or {}), "crm": crm}
        return super().from_notebook_node(reshaped, resources=resources, **kw)


def render_report(nb, context: ReportContext | None = None) -> str:
    """The report page for an executed notebook node."""
    body, _ = ReportExporter().from_notebook_node(nb, context=context)
    return _titles_kept_with_next(_without_repeated_styles(_without_text_anchors(body)))


_TEXT_BLOCK = re.compile(r'<div class="text">(?P<inner>(?:(?!<div|</div>).)*)</div>', re.S)
_ENDS_IN_TITLE = re.compile(r"(</h[2-6]>|^\s*<p><strong>[^<]*</strong></p>)\s*$", re.S)


def _titles_kept_with_next(body: str) -> str:
    """Mark text blocks that end in a heading, or are only a bold title line, so that print
    keeps them on the page of the table or chart they introduce (``keep-with-next``)."""
    def mark(match: re.Match) -> str:
        if not _ENDS_IN_TITLE.search(match.group("inner")):
            return match.group(0)
        return '<div class="text keep-with-next">' + match.group("inner") + "</div>"
    return _TEXT_BLOCK.sub(mark, body)


_HEADING_ID = re.compile(r"(<h[1-6])\s+id=(\"[^\"]*\"|'[^']*')")
_ANCHOR_LINK = re.compile(r"<a class=\"anchor-link\" href=\"[^\"]*\">[^<]*</a>")


def _without_text_anchors(body: str) -> str:
    """Drop the heading ids and anchor links nbconvert derives from heading text: the contents
    link to the sections' own numbered anchors, and an id made of data text only carries that text."""
    return _ANCHOR_LINK.sub("", _HEADING_ID.sub(r"\1", body))


_STYLE_BLOCK = re.compile(r"<style[^>]*>.*?</style>", re.S)


def _without_repeated_styles(body: str) -> str:
    """Keep the first of identical ``<style>`` blocks: every table output carries its own copy
    (styled in JupyterLab too), and each copy costs the PDF printer a pass over the page
    (report 05: 20 blocks, 3 distinct; its PDF 4.7 s -> 3.8 s)."""
    seen: set[str] = set()

    def first_only(match: re.Match) -> str:
        block = match.group(0)
        if block in seen:
            return ""
        seen.add(block)
        return block
    return _STYLE_BLOCK.sub(first_only, body)


def export_report(notebook_path: Path, html_path: Path, validation: dict | None = None) -> Path:
    """Write ``report.html`` for an executed notebook.

    The data period comes from ``validation`` or, inside a run folder, from
    ``../validation/validation.json`` next to the notebook's folder.
    """
    notebook_path, html_path = Path(notebook_path), Path(html_path)
    nb = nbformat.read(notebook_path, as_version=4)
    if validation is None:
        found = html_path.parent.parent / "validation" / "validation.json"
        validation = json.loads(found.read_text(encoding="utf-8")) if found.exists() else None
    html_path.write_text(render_report(nb, context_for(nb, validation)), encoding="utf-8")
    return html_path
