"""The run's slide deck ``deck.pptx`` (python-pptx), in the run's language.

Slides: title; executive summary (headline KPIs and the key message of each report); one
slide per chart a notebook recorded with :func:`crmlib.present.slides.record_slide` (its
action title on top, its "so what" underneath); the LTV calculator's figures for the client
(:func:`crmlib.present.calculator.record_calculator`); the RFM segment/programme table; next steps
per 4R (Relationship, Retention, Referral, Recovery); an appendix on data and method.
``crm run`` writes it; ``crm deck --run outputs/<run>`` rebuilds it from a finished run.
The file is byte-reproducible: fixed document dates and zip entry times.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
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


# --------------------------------------------------------------------------- drawing helpers

def _text(slide, left, top, width, height, text, size=16, bold=False, colour=INK, align=PP_ALIGN.LEFT,
          anchor=MSO_ANCHOR.TOP):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = anchor
    for side in ("margin_left", "margin_right"):
        setattr(frame, side, Inches(0.05))
    lines = text if isinstance(text, list) else [text]
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.alignment = align
        run = paragraph.add_run()
        run.text = line
        run.font.size, run.font.bold, run.font.name = Pt(size), bold, FONT
        run.font.color.rgb = colour
        if isinstance(text, list) and len(lines) > 1:
            paragraph.space_after = Pt(8)
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


def _slide(deck, title: str | None, footer: str, number: int):
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    if title:
        _rect(slide, 0, 0, WIDTH, Inches(0.12), ACCENT)
        _text(slide, MARGIN, Inches(0.35), WIDTH - 2 * MARGIN, Inches(1.0), title, size=26, bold=True,
              anchor=MSO_ANCHOR.MIDDLE)
    _text(slide, MARGIN, HEIGHT - Inches(0.45), Inches(9), Inches(0.3), footer, size=10, colour=MUTED)
    _text(slide, WIDTH - MARGIN - Inches(1), HEIGHT - Inches(0.45), Inches(1), Inches(0.3), str(number),
          size=10, colour=MUTED, align=PP_ALIGN.RIGHT)
    return slide


def _picture(slide, image: Path, left, top, width, height):
    """Place ``image`` inside the box, keeping its aspect ratio, centred."""
    from PIL import Image

    with Image.open(image) as img:
        ratio = img.width / img.height
    w, h = (width, int(width / ratio)) if width / height < ratio else (int(height * ratio), height)
    slide.shapes.add_picture(str(image), left + (width - w) // 2, top + (height - h) // 2, Emu(w), Emu(h))


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
    _text(slide, Inches(1.1), Inches(2.5), Inches(11), Inches(1.4), context.run_title, size=44, bold=True)
    facts = [f"{label}: {value}" for label, value in cover_facts(context)]
    _text(slide, Inches(1.1), Inches(4.3), Inches(11), Inches(2), facts, size=16, colour=MUTED)


def _summary_slide(deck, entries, context, footer, number):
    lang = context.lang
    slide = _slide(deck, t("report_executive_summary", lang), footer, number)
    kpis = headline_kpis(entries)
    per_row = 4
    tile_w = (WIDTH - 2 * MARGIN - Inches(0.3) * (per_row - 1)) // per_row
    for i, kpi in enumerate(kpis):
        left = MARGIN + (tile_w + Inches(0.3)) * (i % per_row)
        top = Inches(1.55) + Inches(1.25) * (i // per_row)
        _rect(slide, left, top, tile_w, Inches(1.05), SOFT)
        _rect(slide, left, top, Inches(0.08), Inches(1.05), ACCENT)
        _text(slide, left + Inches(0.2), top + Inches(0.08), tile_w - Inches(0.3), Inches(0.55), kpi["value"],
              size=24, bold=True)
        _text(slide, left + Inches(0.2), top + Inches(0.6), tile_w - Inches(0.3), Inches(0.4), kpi["label"],
              size=12, colour=MUTED)
    rows = -(-len(kpis) // per_row)
    messages = [m.replace("**", "") for e in entries for m in e.summary.get("messages", [])[:1]][:5]
    if not kpis and not messages:  # no report recorded a summary: say what each report answers
        messages = [f"{e.title(lang)}: {e.question(lang)}" if e.question(lang) else e.title(lang)
                    for e in entries]
    if messages:
        top = Inches(1.7) + Inches(1.25) * rows
        _text(slide, MARGIN, top, WIDTH - 2 * MARGIN, HEIGHT - top - Inches(0.6), [f"•  {m}" for m in messages],
              size=16)


def _chart_slide(deck, entry, recorded: dict, lang, footer, number):
    slide = _slide(deck, recorded["title"], f"{footer} · {entry.title(lang)}", number)
    so_what = recorded["so_what"].replace("**", "")  # long lines get a smaller size to stay in their box
    _picture(slide, entry.folder / recorded["image"], MARGIN, Inches(1.45), WIDTH - 2 * MARGIN, Inches(4.75))
    _rect(slide, MARGIN, Inches(6.3), WIDTH - 2 * MARGIN, Inches(0.65), SOFT)
    _rect(slide, MARGIN, Inches(6.3), Inches(0.08), Inches(0.65), ACCENT)
    _text(slide, MARGIN + Inches(0.2), Inches(6.3), WIDTH - 2 * MARGIN - Inches(0.3), Inches(0.65),
          so_what, size=15 if len(so_what) <= 150 else 13 if len(so_what) <= 220 else 11, anchor=MSO_ANCHOR.MIDDLE)


def _segments_slide(deck, table: pd.DataFrame, lang, footer, number):
    slide = _slide(deck, t("deck_segments_title", lang), footer, number)
    headers = [t("deck_segment", lang), t("deck_4r", lang), t("deck_customers", lang),
               t("deck_revenue_share", lang), t("deck_programme", lang)]
    shown = table.head(11)
    widths = [Inches(2.0), Inches(1.6), Inches(1.3), Inches(1.4)]
    widths.append(WIDTH - 2 * MARGIN - sum(widths, Emu(0)))
    shape = slide.shapes.add_table(len(shown) + 1, len(headers), MARGIN, Inches(1.45),
                                   WIDTH - 2 * MARGIN, Inches(0.3) * (len(shown) + 1))
    grid = shape.table
    for i, width in enumerate(widths):
        grid.columns[i].width = width
    size = 11 if len(shown) > 7 else 13
    for col, header in enumerate(headers):
        _cell(grid.cell(0, col), header, size, bold=True, fill=ACCENT, colour=RGBColor(0xFF, 0xFF, 0xFF),
              align=PP_ALIGN.RIGHT if col in (2, 3) else PP_ALIGN.LEFT)
    for row, (_, seg) in enumerate(shown.iterrows(), 1):
        values = [seg["label"], t(f"deck_r_{seg['r_of_4r'].lower()}", lang), _count(seg["customers"], lang),
                  _percent(seg.get("revenue_share"), lang), seg["programme"]]
        for col, value in enumerate(values):
            _cell(grid.cell(row, col), str(value), size, fill=SOFT if row % 2 == 0 else RGBColor(0xFF, 0xFF, 0xFF),
                  align=PP_ALIGN.RIGHT if col in (2, 3) else PP_ALIGN.LEFT)


def _calculator_slide(deck, entry, recorded: dict, lang, footer, number):
    """The LTV report's what-if calculator for the client's figures (slides cannot calculate)."""
    slide = _slide(deck, recorded["title"], f"{footer} · {entry.title(lang)}", number)
    so_what = recorded["so_what"].replace("**", "")  # long lines get a smaller size to stay in their box
    gap = Inches(0.4)
    width = (WIDTH - 2 * MARGIN - gap) // 2
    for i, table in enumerate(recorded["tables"]):
        rows = table["rows"]
        shape = slide.shapes.add_table(len(rows) + 1, 2, MARGIN + (width + gap) * i, Inches(1.45), width,
                                       Inches(0.4) * (len(rows) + 1))
        grid = shape.table
        grid.columns[0].width = width * 2 // 3
        grid.columns[1].width = width - width * 2 // 3
        for col, header in enumerate(table["columns"]):
            _cell(grid.cell(0, col), header, 13, bold=True, fill=ACCENT, colour=RGBColor(0xFF, 0xFF, 0xFF),
                  align=PP_ALIGN.RIGHT if col else PP_ALIGN.LEFT)
        for row, values in enumerate(rows, 1):
            for col, value in enumerate(values):
                _cell(grid.cell(row, col), str(value), 12, bold=(i == 1 and row == 1),
                      fill=SOFT if row % 2 == 0 else RGBColor(0xFF, 0xFF, 0xFF),
                      align=PP_ALIGN.RIGHT if col else PP_ALIGN.LEFT)
    _rect(slide, MARGIN, Inches(6.3), WIDTH - 2 * MARGIN, Inches(0.65), SOFT)
    _rect(slide, MARGIN, Inches(6.3), Inches(0.08), Inches(0.65), ACCENT)
    _text(slide, MARGIN + Inches(0.2), Inches(6.3), WIDTH - 2 * MARGIN - Inches(0.3), Inches(0.65),
          recorded["so_what"], size=15, anchor=MSO_ANCHOR.MIDDLE)


def _cell(cell, text, size, bold=False, fill=None, colour=INK, align=PP_ALIGN.LEFT):
    cell.text = ""
    paragraph = cell.text_frame.paragraphs[0]
    paragraph.alignment = align
    run = paragraph.add_run()
    run.text = text
    run.font.size, run.font.bold, run.font.name = Pt(size), bold, FONT
    run.font.color.rgb = colour
    cell.text_frame.word_wrap = True
    cell.margin_top = cell.margin_bottom = Inches(0.03)
    if fill is not None:
        cell.fill.solid()
        cell.fill.fore_color.rgb = fill


def _next_steps_slide(deck, table: pd.DataFrame, lang, footer, number):
    slide = _slide(deck, t("deck_next_steps_title", lang), footer, number)
    gap = Inches(0.25)
    col_w = (WIDTH - 2 * MARGIN - gap * 3) // 4
    for i, r in enumerate(FOUR_R):
        left = MARGIN + (col_w + gap) * i
        top = Inches(1.5)
        _rect(slide, left, top, col_w, Inches(0.85), FOUR_R_COLOURS[r])
        _text(slide, left + Inches(0.1), top, col_w - Inches(0.2), Inches(0.85), t(f"deck_r_{r.lower()}", lang),
              size=16, bold=True, colour=RGBColor(0xFF, 0xFF, 0xFF), anchor=MSO_ANCHOR.MIDDLE)
        members = table[table["r_of_4r"] == r]
        _text(slide, left + Inches(0.05), top + Inches(0.9), col_w - Inches(0.1), Inches(0.5),
              t(f"deck_r_{r.lower()}_goal", lang), size=12, colour=MUTED)
        lines = [f"{seg['label']} ({_count(seg['customers'], lang)}): {_first_sentence(seg['programme'])}"
                 for _, seg in members.head(3).iterrows()] or [t("deck_no_segment", lang)]
        _text(slide, left + Inches(0.05), top + Inches(1.5), col_w - Inches(0.1), Inches(3.9), lines, size=12)


def _first_sentence(text: str) -> str:
    head = str(text).split(": ", 1)[0] if ": " in str(text)[:60] else str(text)
    return head if len(head) <= 110 else head[:head.rfind(" ", 0, 110)] + " …"


def _appendix_slide(deck, entries, validation, context, footer, number):
    lang = context.lang
    slide = _slide(deck, t("report_appendix", lang), footer, number)
    lines = [data_check_sentence(validation, lang).replace("**", "")]
    lines += [f"{label}: {value}" for label, value in cover_facts(context)]
    lines += [f"{entry.title(lang)} — {t(f'hub_status_{entry.status}', lang)}" for entry in entries]
    lines.append(t("deck_appendix_where", lang))
    _text(slide, MARGIN, Inches(1.5), WIDTH - 2 * MARGIN, Inches(5.2), lines, size=15)


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
    number = 2
    _summary_slide(deck, entries, context, footer, number)
    for entry in entries:
        if entry.status not in ("ok", "earlier"):
            continue
        for recorded in recorded_slides(entry.folder):
            if (entry.folder / recorded["image"]).exists():
                number += 1
                _chart_slide(deck, entry, recorded, lang, footer, number)
        calculator = recorded_calculator(entry.folder)
        if calculator:
            number += 1
            _calculator_slide(deck, entry, calculator, lang, footer, number)
    table = segment_programmes(run_dir, lang)
    if table is not None and len(table):
        number += 1
        _segments_slide(deck, table, lang, footer, number)
        number += 1
        _next_steps_slide(deck, table, lang, footer, number)
    number += 1
    _appendix_slide(deck, entries, validation, context, footer, number)
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
