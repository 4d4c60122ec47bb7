"""The run's slide deck ``deck.pptx`` (python-pptx), in the run's language.

Slides: title; executive summary (headline KPIs and the key message of each report); one
slide per chart a notebook recorded with :func:`crmlib.present.slides.record_slide` (its
action title on top, its "so what" underneath as a plain caption: no "So what:" label, first
letter capitalised); the LTV calculator's figures for the client
(:func:`crmlib.present.calculator.record_calculator`); the RFM segment/programme table (every
segment; more slides when they do not fit one); next steps per 4R (Relationship, Retention,
Referral, Recovery: every segment with its full programme); an appendix on data and method.
No text is cut: fonts, row heights and column widths follow the text (see "fitting text").
``crm run`` writes it; ``crm deck --run outputs/<run>`` rebuilds it from a finished run.
The file is byte-reproducible: fixed document dates and zip entry times.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from crmlib.i18n import t
from crmlib.present.calculator import recorded_calculator
from crmlib.present.hub import data_check_sentence, headline_kpis, run_entries
from crmlib.present.report import ReportContext, cover_facts
from crmlib.present.slides import recorded_slides

DECK_NAME = "deck.pptx"
FOUR_R = ("Relationship", "Retention", "Referral", "Recovery")
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.6)
INK, MUTED, ACCENT, SOFT = (RGBColor(0x1B, 0x1B, 0x1B), RGBColor(0x5A, 0x62, 0x70),
                            RGBColor(0x1F, 0x4E, 0x79), RGBColor(0xF4, 0xF6, 0xF8))
FOUR_R_COLOURS = dict(zip(FOUR_R, (RGBColor(0x1F, 0x4E, 0x79), RGBColor(0x2E, 0x7D, 0x32),
                                    RGBColor(0xC7, 0x7C, 0x02), RGBColor(0xB4, 0x23, 0x18))))
FONT = "Calibri"
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------- fitting text
#
# Nothing in the deck is cut or left to overflow: every box gets the largest font size (within
# limits) at which its text fits, estimated from per-character widths. The widths are those of
# DejaVu Sans, the font LibreOffice and most viewers fall back to when Calibri is missing; it is
# wider than Calibri, so what fits here also fits in PowerPoint. Text that does not fit at the
# smallest size goes on to a second slide instead.

_EM_WIDTHS = {chars: width for width, chars in (
    (0.32, " ',.ijlIJ·’‘"), (0.36, "f-/:;\\|"), (0.40, "rt!()[]"), (0.46, '"“”'), (0.52, "sz*_`–"),
    (0.56, "cL?"), (0.62, "aekovxyFPTY•"), (0.66, "0123456789bdghnpquEKS${}"), (0.72, "ABCRVXZ"),
    (0.78, "DGHNU"), (0.86, "wOQ&M#+<=>^~×→÷"), (1.0, "m%W@—…"))}
_EM = {c: width for chars, width in _EM_WIDTHS.items() for c in chars}
_EM_OTHER = 0.68      # letters with accents and other characters
_BOLD = 1.1           # bold runs are about 10 % wider
_SAFETY = 1.04        # a little room for kerning and rounding in the renderer
LINE = 1.2            # line height as a multiple of the font size
BOX_INSET = Inches(0.05)
CELL_INSET_X, CELL_INSET_Y = Inches(0.06), Inches(0.03)
CONTENT_TOP = Inches(1.45)
CONTENT_BOTTOM = HEIGHT - Inches(0.55)  # the footer starts 0.1 in below
FOOTER_TOP = HEIGHT - Inches(0.45)


def text_width(text: str, size: float, bold: bool = False) -> int:
    """Estimated width of ``text`` on one line at ``size`` points, in EMU."""
    ems = sum(_EM.get(c, _EM_OTHER) for c in text) * (_BOLD if bold else 1.0) * _SAFETY
    return int(ems * Pt(size))


def _runs(paragraph) -> list[tuple[str, bool]]:
    """A paragraph as (text, bold) runs: a plain string is one regular run."""
    return [(paragraph, False)] if isinstance(paragraph, str) else list(paragraph)


def line_count(paragraph, width: int, size: float, bold: bool = False) -> int:
    """Lines ``paragraph`` wraps to in ``width`` EMU (breaks at spaces; a too long word breaks inside)."""
    words = [(word, bold or run_bold) for text, run_bold in _runs(paragraph) for word in text.split()]
    space = text_width(" ", size)
    lines, x = 1, 0
    for word, word_bold in words:
        w = text_width(word, size, word_bold)
        if x and x + space + w <= width:
            x += space + w
            continue
        if x:
            lines += 1
        while w > width > 0:  # a word longer than the line breaks inside (what fit_size avoids)
            lines, w = lines + 1, w - width
        x = w
    return lines


def longest_word(paragraph, size: float, bold: bool = False) -> int:
    return max((text_width(word, size, bold or run_bold) for text, run_bold in _runs(paragraph)
                for word in text.split()), default=0)


def text_height(paragraphs, width: int, size: float, bold: bool = False, space_after: float = 0) -> int:
    """Height of the paragraphs' lines (no insets) at ``size`` in a column ``width`` EMU wide."""
    lines = sum(line_count(p, width, size, bold) for p in paragraphs)
    return int(Pt(size) * LINE * lines + Pt(space_after) * max(len(paragraphs) - 1, 0))


def fit_size(paragraphs, width: int, height: int, largest: float, smallest: float, bold: bool = False,
             space_after: float = 0, inset: int = BOX_INSET) -> float | None:
    """The largest size from ``largest`` down to ``smallest`` (whole points) at which the text fits
    a box of ``width`` × ``height`` EMU with ``inset`` all round; None if it fits at none."""
    size = largest
    while size >= smallest:
        inner = width - 2 * inset
        if (text_height(paragraphs, inner, size, bold, space_after) <= height - 2 * inset
                and longest_word_fits(paragraphs, inner, size, bold)):
            return size
        size -= 1
    return None


def longest_word_fits(paragraphs, width: int, size: float, bold: bool = False) -> bool:
    return all(longest_word(p, size, bold) <= width for p in paragraphs)


def capitalised(text: str) -> str:
    """``text`` with its first letter in upper case (a caption or a title starts a sentence)."""
    for i, char in enumerate(text):
        if char.isalpha():
            return text[:i] + char.upper() + text[i + 1:]
        if char.isdigit():
            return text
    return text


_LEAD_LABEL = re.compile(r"^\s*\*\*\s*[^*:\s]+(?:\s+[^*:\s]+){0,2}\s*:\s*\*\*\s*")


def plain(text: str) -> str:
    """``text`` without Markdown emphasis, first letter in upper case."""
    return capitalised(str(text).replace("**", "").strip())


def caption(text: str) -> str:
    """A recorded "so what" as the slide's caption: no Markdown, no leading label such as
    "**So what:**" / "**Artinya:**" (the action title carries the message, so no slide repeats a
    label), first letter in upper case."""
    return plain(_LEAD_LABEL.sub("", str(text)))


# --------------------------------------------------------------------------- drawing helpers

def _text(slide, left, top, width, height, text, size=16, bold=False, colour=INK, align=PP_ALIGN.LEFT,
          anchor=MSO_ANCHOR.TOP, smallest=None, space_after=None, name=None):
    """A text box; ``text`` is a string, a list of paragraphs (strings or lists of (text, bold) runs).

    With ``smallest``, the size shrinks from ``size`` until the text fits the box (never below
    ``smallest``)."""
    paragraphs = text if isinstance(text, list) else [text]
    if space_after is None:
        space_after = 8 if isinstance(text, list) and len(paragraphs) > 1 else 0
    if smallest is not None:
        size = fit_size(paragraphs, width, height, size, smallest, bold, space_after) or smallest
    box = slide.shapes.add_textbox(left, top, width, height)
    if name:
        box.name = name
    frame = box.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.vertical_anchor = anchor
    for side in ("margin_left", "margin_right", "margin_top", "margin_bottom"):
        setattr(frame, side, BOX_INSET)
    for i, runs in enumerate(paragraphs):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.alignment = align
        for piece, piece_bold in _runs(runs):
            run = paragraph.add_run()
            run.text = piece
            run.font.size, run.font.bold, run.font.name = Pt(size), bold or piece_bold, FONT
            run.font.color.rgb = colour
        if space_after and i < len(paragraphs) - 1:
            paragraph.space_after = Pt(space_after)
    return box


def _rect(slide, left, top, width, height, fill, line=None):
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, left, top, width, height)
    shape.fill.solid()
    shape.fill.fore_color.rgb = fill
    if line is None:
        shape.line.fill.background()
    else:
        shape.line.color.rgb = line
    shape.shadow.inherit = False
    return shape


def _slide(deck, title: str | None, footer: str):
    """A blank slide with its action title (first letter capitalised), footer and page number."""
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    number = len(deck.slides)
    if title:
        _rect(slide, 0, 0, WIDTH, Inches(0.12), ACCENT)
        _text(slide, MARGIN, Inches(0.35), WIDTH - 2 * MARGIN, Inches(1.0), capitalised(title), size=26,
              smallest=16, bold=True, anchor=MSO_ANCHOR.MIDDLE, name="Title")
    _text(slide, MARGIN, FOOTER_TOP, Inches(10), Inches(0.3), footer, size=10, smallest=7, colour=MUTED,
          name="Footer")
    _text(slide, WIDTH - MARGIN - Inches(1), FOOTER_TOP, Inches(1), Inches(0.3), str(number),
          size=10, colour=MUTED, align=PP_ALIGN.RIGHT, name="Page number")
    return slide


def _picture(slide, image: Path, left, top, width, height):
    """Place ``image`` inside the box, keeping its aspect ratio, centred."""
    from PIL import Image

    with Image.open(image) as img:
        ratio = img.width / img.height
    w, h = (width, int(width / ratio)) if width / height < ratio else (int(height * ratio), height)
    slide.shapes.add_picture(str(image), left + (width - w) // 2, top + (height - h) // 2, Emu(w), Emu(h))


def _caption_box(slide, text: str) -> int:
    """The "so what" in a band just above the footer, as high as its text needs; returns its top."""
    width = WIDTH - 2 * MARGIN
    text_w = width - Inches(0.3)
    height = Inches(0.65)
    size = fit_size([text], text_w, height, 15, 12)
    if size is None:  # a long caption: the band grows (the chart above gives way), the font stays readable
        size = next((s for s in (12, 11) if text_height([text], text_w - 2 * BOX_INSET, s)
                     <= Inches(1.3) - 2 * BOX_INSET), 10)
        height = text_height([text], text_w - 2 * BOX_INSET, size) + 2 * BOX_INSET + Pt(4)
    top = CONTENT_BOTTOM - height
    _rect(slide, MARGIN, top, width, height, SOFT)
    _rect(slide, MARGIN, top, Inches(0.08), height, ACCENT)
    _text(slide, MARGIN + Inches(0.2), top, text_w, height, text, size=size, anchor=MSO_ANCHOR.MIDDLE,
          name="Caption")
    return top


# --------------------------------------------------------------------------- tables

def _column_widths(columns: list[list[tuple[str, bool]]], width: int, size: float) -> list[int] | None:
    """Column widths from their content (the header first in each column): a column whose longest
    cell fits keeps that width, the others share what is left (never narrower than their longest
    word, a header may wrap at its spaces); None if even the longest words do not fit side by side."""
    pad = 2 * CELL_INSET_X
    natural = [max(text_width(text, size, bold) if i else _two_lines(text, size, bold)
                   for i, (text, bold) in enumerate(cells)) + pad for cells in columns]
    least = [max(longest_word(text, size, bold) for text, bold in cells) + pad for cells in columns]
    if sum(least) > width:
        return None
    if sum(natural) <= width:  # everything on one line: share the room that is left by content
        spare = width - sum(natural)
        widths = [n + spare * n // sum(natural) for n in natural]
    else:  # the widest columns wrap: find the cap at which the columns fill the width exactly
        low, high = 0, max(natural)
        while high - low > 1:
            cap = (low + high) // 2
            if sum(max(m, min(n, cap)) for n, m in zip(natural, least)) > width:
                high = cap
            else:
                low = cap
        widths = [max(m, min(n, low)) for n, m in zip(natural, least)]
    widest = widths.index(max(widths))
    widths[widest] += width - sum(widths)
    return widths


def _two_lines(text: str, size: float, bold: bool) -> int:
    """The narrowest width at which ``text`` takes at most two lines (a header may wrap once)."""
    words = text.split()
    return min((max(text_width(" ".join(words[:i]), size, bold), text_width(" ".join(words[i:]), size, bold))
                for i in range(1, len(words))), default=text_width(text, size, bold))


def _row_heights(rows: list[list[tuple[str, bool]]], widths: list[int], size: float) -> list[int]:
    pad = 2 * CELL_INSET_X
    return [max(text_height([text], w - pad, size, bold) for (text, bold), w in zip(row, widths))
            + 2 * CELL_INSET_Y + Pt(3) for row in rows]


def plan_table(rows: list[list[tuple[str, bool]]], width: int, height: int, largest: float, smallest: float):
    """(size, column widths, row heights) of the largest font size at which ``rows`` (the header
    first; cells as (text, bold)) fit ``width`` × ``height`` EMU without breaking a word; None if
    they fit at no size down to ``smallest``."""
    size = largest
    while size >= smallest:
        widths = _column_widths([list(column) for column in zip(*rows)], width, size)
        if widths is not None:
            heights = _row_heights(rows, widths, size)
            if sum(heights) <= height:
                return size, widths, heights
        size -= 1
    return None


def _table(slide, rows, plan, left, top, aligns, fills):
    """Draw ``rows`` (the header first) as ``plan`` says; ``fills[i]`` is row i's background."""
    size, widths, heights = plan
    shape = slide.shapes.add_table(len(rows), len(widths), left, top, sum(widths), sum(heights))
    shape.name = "Table"
    grid = shape.table
    for i, width in enumerate(widths):
        grid.columns[i].width = width
    for i, height in enumerate(heights):
        grid.rows[i].height = height
    for r, row in enumerate(rows):
        for c, (text, bold) in enumerate(row):
            _cell(grid.cell(r, c), text, size, bold=bold, fill=fills[r],
                  colour=RGBColor(0xFF, 0xFF, 0xFF) if r == 0 else INK, align=aligns[c])
    return shape


def _cell(cell, text, size, bold=False, fill=None, colour=INK, align=PP_ALIGN.LEFT):
    cell.text = ""
    paragraph = cell.text_frame.paragraphs[0]
    paragraph.alignment = align
    run = paragraph.add_run()
    run.text = text
    run.font.size, run.font.bold, run.font.name = Pt(size), bold, FONT
    run.font.color.rgb = colour
    cell.text_frame.word_wrap = True
    cell.margin_top = cell.margin_bottom = CELL_INSET_Y
    cell.margin_left = cell.margin_right = CELL_INSET_X
    if fill is not None:
        cell.fill.solid()
        cell.fill.fore_color.rgb = fill


def _striped(count: int) -> list:
    return [ACCENT] + [SOFT if row % 2 == 0 else RGBColor(0xFF, 0xFF, 0xFF) for row in range(1, count)]


def _paged(items: list, plan_page):
    """Split ``items`` into the fewest pages of (nearly) equal length that ``plan_page`` can lay out;
    [(chunk, plan)] — each plan is ``plan_page(chunk)``, None meaning it does not fit."""
    for pages in range(1, len(items) + 1):
        per_page = -(-len(items) // pages)
        chunks = [items[i:i + per_page] for i in range(0, len(items), per_page)]
        plans = [plan_page(chunk) for chunk in chunks]
        if all(plans):
            return list(zip(chunks, plans))
    return None


def _page_title(title: str, page: int, pages: int) -> str:
    return title if pages == 1 else f"{title} ({page}/{pages})"


# --------------------------------------------------------------------------- content

def segment_programmes(run_dir: Path, lang: str) -> pd.DataFrame | None:
    """Segment, 4R, customers, revenue share and programme from notebook 02's take-away table."""
    folders = sorted(Path(run_dir).glob("02_*"))
    path = folders[0] / "segment_summary.csv" if folders else None
    if path is None or not path.exists():
        return None
    table = pd.read_csv(path, encoding="utf-8", keep_default_na=False)
    table = table[table["customers"] > 0]
    if "label" not in table or "programme" not in table:
        from crmlib.present.rfm_text import segment_label, segment_text
        from crmlib.rfm import load_segment_rules

        rules = load_segment_rules(_parameter(run_dir, "rfm_segment_rules"))
        table = table.assign(label=[segment_label(rules, s, lang) for s in table["segment"]],
                             programme=[segment_text(rules, s, "programme", lang) for s in table["segment"]])
    return table


def _parameter(run_dir: Path, key: str):
    manifest = Path(run_dir) / "manifest.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text(encoding="utf-8")).get("parameters", {}).get(key)


def _percent(share, lang: str) -> str:
    from crmlib.present.numbers import format_percent

    return format_percent(float(share), 0, lang) if share not in ("", None) else "–"


def _count(value, lang: str) -> str:
    from crmlib.present.numbers import format_number

    return format_number(float(value), 0, lang)


# --------------------------------------------------------------------------- slides

def _title_slide(deck, context: ReportContext):
    lang = context.lang
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    _rect(slide, 0, 0, Inches(0.35), HEIGHT, ACCENT)
    _text(slide, Inches(1.1), Inches(1.9), Inches(11), Inches(0.5), t("hub_title", lang).upper(), size=16,
          bold=True, colour=ACCENT)
    _text(slide, Inches(1.1), Inches(2.5), Inches(11), Inches(1.6), context.run_title, size=44, smallest=24,
          bold=True, name="Title")
    facts = [f"{label}: {value}" for label, value in cover_facts(context)]
    _text(slide, Inches(1.1), Inches(4.3), Inches(11), Inches(2.4), facts, size=16, smallest=11, colour=MUTED)


def _summary_slide(deck, entries, context, footer):
    lang = context.lang
    slide = _slide(deck, t("report_executive_summary", lang), footer)
    kpis = headline_kpis(entries)
    per_row = 4
    tile_w = (WIDTH - 2 * MARGIN - Inches(0.3) * (per_row - 1)) // per_row
    for i, kpi in enumerate(kpis):
        left = MARGIN + (tile_w + Inches(0.3)) * (i % per_row)
        top = Inches(1.55) + Inches(1.25) * (i // per_row)
        _rect(slide, left, top, tile_w, Inches(1.05), SOFT)
        _rect(slide, left, top, Inches(0.08), Inches(1.05), ACCENT)
        _text(slide, left + Inches(0.2), top + Inches(0.05), tile_w - Inches(0.3), Inches(0.55), kpi["value"],
              size=24, smallest=14, bold=True)
        _text(slide, left + Inches(0.2), top + Inches(0.58), tile_w - Inches(0.3), Inches(0.45), kpi["label"],
              size=12, smallest=8, colour=MUTED)
    rows = -(-len(kpis) // per_row)
    messages = [plain(m) for e in entries for m in e.summary.get("messages", [])[:1]][:5]
    if not kpis and not messages:  # no report recorded a summary: say what each report answers
        messages = [f"{e.title(lang)}: {e.question(lang)}" if e.question(lang) else e.title(lang)
                    for e in entries]
    if messages:
        top = Inches(1.7) + Inches(1.25) * rows
        _text(slide, MARGIN, top, WIDTH - 2 * MARGIN, CONTENT_BOTTOM - top, [f"•  {m}" for m in messages],
              size=16, smallest=10)


def _chart_slide(deck, entry, recorded: dict, lang, footer):
    """A recorded chart between its action title and its "so what" (the pair the notebook recorded)."""
    slide = _slide(deck, recorded["title"], f"{footer} · {entry.title(lang)}")
    top = _caption_box(slide, caption(recorded["so_what"]))
    _picture(slide, entry.folder / recorded["image"], MARGIN, CONTENT_TOP, WIDTH - 2 * MARGIN,
             top - Inches(0.1) - CONTENT_TOP)


def _calculator_slide(deck, entry, recorded: dict, lang, footer):
    """The LTV report's what-if calculator for the client's figures (slides cannot calculate)."""
    slide = _slide(deck, recorded["title"], f"{footer} · {entry.title(lang)}")
    bottom = _caption_box(slide, caption(recorded["so_what"])) - Inches(0.15)
    gap = Inches(0.4)
    tables = recorded["tables"][:2]
    width = (WIDTH - 2 * MARGIN - gap * (len(tables) - 1)) // max(len(tables), 1)
    grids = [[[(str(h), True) for h in table["columns"]]]
             + [[(str(v), i == 1 and r == 0) for v in row] for r, row in enumerate(table["rows"])]
             for i, table in enumerate(tables)]
    plans = [plan_table(rows, width, bottom - CONTENT_TOP, 14, 8) for rows in grids]
    size = min((p[0] for p in plans if p), default=8)  # both tables in one size
    for i, rows in enumerate(grids):
        plan = plan_table(rows, width, bottom - CONTENT_TOP, size, 8) or plan_table(rows, width, 10 ** 12, 8, 8)
        _table(slide, rows, plan, MARGIN + (width + gap) * i, CONTENT_TOP,
               [PP_ALIGN.LEFT] + [PP_ALIGN.RIGHT] * (len(rows[0]) - 1), _striped(len(rows)))


def _segments_slides(deck, table: pd.DataFrame, lang, footer):
    """Every segment with its 4R group, size and programme: one slide, or more if they do not fit."""
    header = [(t(k, lang), True) for k in ("deck_segment", "deck_4r", "deck_customers", "deck_revenue_share",
                                            "deck_programme")]
    body = [[(str(v), False) for v in (seg["label"], t(f"deck_r_{str(seg['r_of_4r']).lower()}", lang),
                                       _count(seg["customers"], lang), _percent(seg.get("revenue_share"), lang),
                                       seg["programme"])]
            for _, seg in table.iterrows()]
    width, height = WIDTH - 2 * MARGIN, CONTENT_BOTTOM - CONTENT_TOP
    pages = _paged(body, lambda chunk: plan_table([header] + chunk, width, height, 14, 10))
    if pages is None:  # not even one row fits at 10 pt: one row a slide at the smallest size
        pages = [([row], plan_table([header, row], width, 10 ** 12, 8, 8)) for row in body]
    size = min(plan[0] for _, plan in pages)  # every page in the same size
    aligns = [PP_ALIGN.LEFT, PP_ALIGN.LEFT, PP_ALIGN.RIGHT, PP_ALIGN.RIGHT, PP_ALIGN.LEFT]
    for page, (chunk, plan) in enumerate(pages, 1):
        rows = [header] + chunk
        plan = plan_table(rows, width, height, size, size) or plan
        slide = _slide(deck, _page_title(t("deck_segments_title", lang), page, len(pages)), footer)
        _table(slide, rows, plan, MARGIN, CONTENT_TOP, aligns, _striped(len(rows)))


# Next steps per 4R: one card per R, every segment of the group with its size and full programme.
_CARD_GAP = Inches(0.25)
_CARD_TOP = CONTENT_TOP
_CARD_HEAD = Inches(0.7)  # the coloured band naming the R
_CARD_GOAL = Inches(0.5)  # the R's goal, under the band
_CARD_ITEMS = _CARD_TOP + _CARD_HEAD + _CARD_GOAL + Inches(0.1)
_CARD_SIZES = {4: (13, 11), 2: (14, 11), 1: (14, 10)}  # cards a slide: (largest, smallest) font size


def _card_fits(card, lang, width: int, size: float) -> bool:
    r, items = card
    return (fit_size([t(f"deck_r_{r.lower()}", lang)], width - Inches(0.2), _CARD_HEAD, 16, 14, bold=True)
            is not None
            and fit_size([t(f"deck_r_{r.lower()}_goal", lang)], width - Inches(0.1), _CARD_GOAL, 12, 11) is not None
            and fit_size(items, width - Inches(0.1), CONTENT_BOTTOM - _CARD_ITEMS, size, size, space_after=6)
            is not None)


def _least_card_width(card, lang, size: float, most: int) -> int | None:
    """The narrowest width (up to ``most``) at which the card's texts fit at ``size``; None if none."""
    if not _card_fits(card, lang, most, size):
        return None
    low, high = Inches(1), most
    while high - low > Inches(0.02):
        middle = (low + high) // 2
        low, high = (low, middle) if _card_fits(card, lang, middle, size) else (middle, high)
    return high


def _card_widths(cards, lang, per_slide: int, largest: float | None = None):
    """(size, widths): the largest size at which ``cards`` fit side by side on one slide, each card
    as wide as its text needs plus an equal share of the room left; None if they fit at no size."""
    total = WIDTH - 2 * MARGIN - _CARD_GAP * (per_slide - 1)
    size, smallest = _CARD_SIZES[per_slide]
    size = min(size, largest or size)
    while size >= smallest:
        least = [_least_card_width(card, lang, size, total) for card in cards]
        if None not in least and sum(least) <= total:
            spare = total - sum(least)
            return size, [w + spare // len(least) for w in least]
        size -= 1
    return None


def _next_step_items(members: pd.DataFrame, lang) -> list:
    return [[(f"{seg['label']} ({_count(seg['customers'], lang)}): ", True), (str(seg["programme"]).strip(), False)]
            for _, seg in members.iterrows()] or [t("deck_no_segment", lang)]


def _next_steps_slides(deck, table: pd.DataFrame, lang, footer):
    """Four cards (Relationship, Retention, Referral, Recovery), each naming every segment of its
    group with its size and full programme. Cards are as wide as their text needs; when the four do
    not fit one slide even at the smallest size: two cards a slide, then one, then a group's
    segments over several slides. Nothing is cut."""
    cards = [(r, _next_step_items(table[table["r_of_4r"] == r], lang)) for r in FOUR_R]
    for per_slide in (4, 2, 1):
        groups = [cards[i:i + per_slide] for i in range(0, len(cards), per_slide)]
        plans = [_card_widths(group, lang, per_slide) for group in groups]
        if all(plans):
            break
    else:  # one card a slide is still too long: the group's segments go on over more slides
        groups = []
        for r, items in cards:
            chunks = _paged(items, lambda chunk: _card_widths([(r, chunk)], lang, 1)) or [([i], None) for i in items]
            groups += [[(r, chunk)] for chunk, _ in chunks]
        plans = [_card_widths(group, lang, 1) or (_CARD_SIZES[1][1], [WIDTH - 2 * MARGIN]) for group in groups]
    size = min(plan[0] for plan in plans)  # every card in the same size
    plans = [_card_widths(group, lang, per_slide, largest=size) or plan for group, plan in zip(groups, plans)]
    for page, (group, (_, widths)) in enumerate(zip(groups, plans), 1):
        slide = _slide(deck, _page_title(t("deck_next_steps_title", lang), page, len(groups)), footer)
        names = [t(f"deck_r_{r.lower()}", lang) for r, _ in group]
        goals = [t(f"deck_r_{r.lower()}_goal", lang) for r, _ in group]
        name_size = min(fit_size([n], w - Inches(0.2), _CARD_HEAD, 16, 14, bold=True) or 14
                        for n, w in zip(names, widths))  # the bands and goals of a slide alike
        goal_size = min(fit_size([g], w - Inches(0.1), _CARD_GOAL, 12, 11) or 11 for g, w in zip(goals, widths))
        left = MARGIN
        for (r, items), width, name, goal in zip(group, widths, names, goals):
            _rect(slide, left, _CARD_TOP, width, _CARD_HEAD, FOUR_R_COLOURS[r])
            _text(slide, left + Inches(0.1), _CARD_TOP, width - Inches(0.2), _CARD_HEAD, name, size=name_size,
                  bold=True, colour=RGBColor(0xFF, 0xFF, 0xFF), anchor=MSO_ANCHOR.MIDDLE)
            _text(slide, left + Inches(0.05), _CARD_TOP + _CARD_HEAD + Inches(0.05), width - Inches(0.1), _CARD_GOAL,
                  goal, size=goal_size, colour=MUTED)
            _text(slide, left + Inches(0.05), _CARD_ITEMS, width - Inches(0.1), CONTENT_BOTTOM - _CARD_ITEMS, items,
                  size=size, space_after=6, name="Card")
            left += width + _CARD_GAP


def _appendix_slide(deck, entries, validation, context, footer):
    lang = context.lang
    slide = _slide(deck, t("report_appendix", lang), footer)
    lines = [plain(data_check_sentence(validation, lang))]
    lines += [f"{label}: {value}" for label, value in cover_facts(context)]
    lines += [f"{entry.title(lang)} — {t(f'hub_status_{entry.status}', lang)}" for entry in entries]
    lines.append(t("deck_appendix_where", lang))
    _text(slide, MARGIN, Inches(1.5), WIDTH - 2 * MARGIN, CONTENT_BOTTOM - Inches(1.5), lines, size=15, smallest=9)


# --------------------------------------------------------------------------- the deck

def build_deck(run_dir: Path, notebooks, validation: dict, context: ReportContext) -> Presentation:
    """The deck as a python-pptx Presentation (not yet saved)."""
    run_dir = Path(run_dir)
    lang = context.lang
    entries = run_entries(run_dir, notebooks)
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDTH, HEIGHT
    footer = f"{t('hub_title', lang)} · {context.run_title}"
    _title_slide(deck, context)
    _summary_slide(deck, entries, context, footer)
    for entry in entries:
        if entry.status not in ("ok", "earlier"):
            continue
        for recorded in recorded_slides(entry.folder):
            if (entry.folder / recorded["image"]).exists():
                _chart_slide(deck, entry, recorded, lang, footer)
        calculator = recorded_calculator(entry.folder)
        if calculator:
            _calculator_slide(deck, entry, calculator, lang, footer)
    table = segment_programmes(run_dir, lang)
    if table is not None and len(table):
        _segments_slides(deck, table, lang, footer)
        _next_steps_slides(deck, table, lang, footer)
    _appendix_slide(deck, entries, validation, context, footer)
    core = deck.core_properties
    core.title = f"{t('hub_title', lang)} · {context.run_title}"
    core.language = lang
    core.author = core.last_modified_by = "crmlib"
    stamp = dt.datetime.combine(context.generated, dt.time())
    core.created = core.modified = stamp
    core.revision = 1
    return deck


def _reproducible_zip(data: bytes) -> bytes:
    """The same package with fixed entry times, so equal decks are equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def write_deck(run_dir: Path, notebooks, validation: dict, context: ReportContext) -> Path:
    """Write ``deck.pptx`` into the run folder; returns its path."""
    buffer = io.BytesIO()
    build_deck(run_dir, notebooks, validation, context).save(buffer)
    path = Path(run_dir) / DECK_NAME
    path.write_bytes(_reproducible_zip(buffer.getvalue()))
    return path


def rebuild_deck(run_dir: Path) -> Path:
    """``crm deck --run outputs/<run>``: the deck again from a finished run's files."""
    from crmlib.present.report import run_context

    run_dir = Path(run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    validation = json.loads((run_dir / "validation" / "validation.json").read_text(encoding="utf-8"))
    settings = manifest.get("parameters", {})
    notebooks = [SimpleNamespace(**nb) for nb in manifest.get("notebooks", [])]
    return write_deck(run_dir, notebooks, validation, run_context(settings, validation, manifest))
