"""The slide deck's layout: nothing cut, nothing off the slide or over the footer, every segment named.

Built from a small hand-made run folder (long Indonesian texts, lower-case captions, "So what:"
prefixes, more segments than fit one slide) and from the sample run in both languages: the finished
runs in ``outputs/sample`` and ``outputs/sample_id`` when present (copied first; nothing is written
into them), else a fresh run of ``params/sample.yaml`` made for the tests (a fresh clone has none).
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from PIL import Image
from pptx.util import Inches, Pt

from crmlib import paths
from crmlib.i18n import t
from crmlib.present import deck as D
from crmlib.present.report import ReportContext

SEGMENTS_ID = [  # (segment, label, 4R, customers, revenue share, programme), the Indonesian sample's words
    ("Champions", "Juara", "Referral", 315, 0.53, "Perlakuan VIP: akses lebih dulu ke produk baru, undangan acara "
     "member, dan hadiah referensi untuk setiap teman yang diajak."),
    ("Loyal", "Setia", "Retention", 315, 0.19, "Poin loyalitas dan level member yang bisa naik; tawarkan produk "
     "bernilai lebih tinggi dan minta ulasan."),
    ("Potential Loyalist", "Calon Pelanggan Setia", "Relationship", 56, 0.01, "Ajak bergabung dalam program member "
     "dan lakukan cross-selling: 'beli sepatu, dapat kaus kaki'."),
    ("New", "Pelanggan Baru", "Relationship", 84, 0.01, "Rangkaian sambutan: ucapan terima kasih, tips memakai produk, "
     "dan voucher untuk pembelian kedua."),
    ("Promising", "Menjanjikan", "Relationship", 326, 0.05, "Bangun hubungan: rekomendasikan produk pelengkap "
     "pembelian pertama dan beri insentif kecil untuk pembelian kedua."),
    ("Need Attention", "Perlu Perhatian", "Retention", 32, 0.004, "Penawaran berbatas waktu sesuai pembelian "
     "sebelumnya, dan survei singkat apa yang membuat mereka lebih sering kembali."),
    ("About To Sleep", "Hampir Tidur", "Retention", 229, 0.03, "Bagikan produk terlaris dan produk baru dengan diskon "
     "kecil untuk membangkitkan minat lagi."),
    ("Can't Lose Them", "Jangan Sampai Hilang", "Recovery", 43, 0.03, "Telepon atau WhatsApp pribadi dari manajer "
     "toko, penawaran khusus untuk kembali, dan tanyakan apa yang kurang berkenan."),
    ("At Risk", "Berisiko Pergi", "Recovery", 175, 0.10, "Pesan personal untuk mengajak kembali, dengan produk serupa "
     "pembelian sebelumnya dan voucher berbatas waktu."),
    ("Hibernating", "Tertidur", "Recovery", 17, 0.002, "Reaktivasi berbiaya rendah: kampanye musiman dengan produk "
     "relevan; lanjutkan hanya jika nilai seumur hidupnya menutup biaya."),
    ("Lost", "Hilang", "Recovery", 273, 0.04, "Paling banyak satu pesan ajakan kembali berbiaya rendah (mis. diskon "
     "'pesan lagi'); selebihnya hentikan biaya untuk mereka."),
]
LONG = ("tahun 1 menghitung 1.414 pelanggan aktif hari ini ditambah 1.034 pelanggan baru (2.448). Dengan retensi "
        "saat ini basis itu lalu menyusut setiap tahun, menjadi 1.929 pada tahun ke-5, dan menetap di sekitar "
        "1.905, tingkat ketika 1.034 pelanggan baru per tahun hanya menggantikan yang pergi. Dengan retensi +5 poin "
        "penyusutannya lebih kecil, menjadi 2.122, dan laba seluruh basis naik.")
SLIDES = [
    {"image": "slides/01.png", "title": "pembelanja besar rutin, aktif: 27% pelanggan menyumbang 72% pendapatan",
     "so_what": "klaster 1 (Pembelanja besar rutin, aktif) adalah 27% pelanggan dan menyumbang 72% pendapatan."},
    {"image": "slides/02.png", "title": "Juara memegang 62% nilai masa depan",
     "so_what": "**Artinya:** program mengikuti nilai: pertahankan segmen yang memegang nilai terbesar."},
    {"image": "slides/03.png", "title": "Menghubungi 26% pelanggan menghasilkan Rp 12,8 jt",
     "so_what": "**So what:** " + LONG},
    {"image": "slides/04.png", "title": "Dengan retensi saat ini basis menyusut", "so_what": LONG + " " + LONG},
]
CALCULATOR = {"title": "Nilai seorang pelanggan: angka klien ini",
              "so_what": "Retensi +5 poin (45,7% → 50,7%): laba seluruh basis +7,4%, LTV tiap pelanggan +8,4%.",
              "tables": [{"columns": ["Angka", "Nilai"],
                          "rows": [[f"Biaya tahunan mempertahankan satu pelanggan nomor {i}", "Rp 54.671"]
                                   for i in range(9)]},
                         {"columns": ["Nilainya", "Nilai"],
                          "rows": [["LTV : CAC (laba setelah biaya retensi ÷ biaya mendapatkan pelanggan)", "1,6×"]]
                          * 9}]}


def _segments(extra: int = 0) -> pd.DataFrame:
    rows = list(SEGMENTS_ID)
    for i in range(extra):  # more segments than fit one slide: the deck must go on, not drop them
        seg, label, r, n, share, programme = SEGMENTS_ID[i % len(SEGMENTS_ID)]
        rows.append((f"{seg} {i}", f"{label} tambahan {i + 1}", r, n + i + 1, share, programme))
    return pd.DataFrame(rows, columns=["segment", "label", "r_of_4r", "customers", "revenue_share", "programme"])


def make_run(folder: Path, extra_segments: int = 0) -> Path:
    charts = folder / "01_charts"
    (charts / "slides").mkdir(parents=True)
    for i, size in enumerate(((2000, 1000), (2000, 1400), (2000, 700), (1200, 1400)), 1):
        Image.new("RGB", size, (200, 220, 240)).save(charts / "slides" / f"{i:02d}.png")
    (charts / "slides.json").write_text(json.dumps(SLIDES), encoding="utf-8")
    (charts / "calculator.json").write_text(json.dumps(CALCULATOR), encoding="utf-8")
    rfm = folder / "02_rfm_segmentation"
    rfm.mkdir()
    _segments(extra_segments).to_csv(rfm / "segment_summary.csv", index=False)
    return folder


def build(run_dir: Path, lang: str = "id"):
    notebooks = [SimpleNamespace(name=p.name, status="ok", error=None) for p in sorted(run_dir.glob("0*"))]
    context = ReportContext(run_title="uji", lang=lang, as_of=dt.date(2024, 12, 31), generated=dt.date(2025, 1, 1))
    return D.build_deck(run_dir, notebooks, {"rows_in": 10, "rows_kept": 9, "rows_rejected": 1}, context)


@pytest.fixture(scope="module", params=[0, 9], ids=["sample-segments", "more-segments"])
def deck(request, tmp_path_factory):
    return build(make_run(tmp_path_factory.mktemp("run"), extra_segments=request.param))


SAMPLE_RUNS = {"sample": "en", "sample_id": "id"}  # run name -> language


def _sample_run(name: str, tmp_path_factory) -> Path:
    """A finished sample run: ``outputs/<name>`` when there, else one made now in a temporary folder."""
    source = paths.PROJECT_ROOT / "outputs" / name
    if (source / "manifest.json").exists():
        return source
    from crmlib.params import load_params
    from crmlib.runner import run_workbook

    params = load_params(paths.PROJECT_ROOT / "params" / "sample.yaml")
    params.update(run_name=name, lang=SAMPLE_RUNS[name])
    result = run_workbook(params, out_root=tmp_path_factory.mktemp("runs"), progress=False)
    assert all(nb.status == "ok" for nb in result.notebooks), [nb.error for nb in result.notebooks]
    return result.run_dir


def _sample_decks(tmp_path_factory):
    decks = []
    for name in SAMPLE_RUNS:
        source = _sample_run(name, tmp_path_factory)
        copy = tmp_path_factory.mktemp(name) / name
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("*.pdf", "*.xlsx", "*.ipynb", "deck.pptx"))
        manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
        validation = json.loads((copy / "validation" / "validation.json").read_text(encoding="utf-8"))
        from crmlib.present.report import run_context

        context = run_context(manifest.get("parameters", {}), validation, manifest)
        notebooks = [SimpleNamespace(**nb) for nb in manifest.get("notebooks", [])]
        decks.append((name, D.build_deck(copy, notebooks, validation, context), copy, context.lang))
    return decks


@pytest.fixture(scope="module")
def sample_decks(tmp_path_factory):
    return _sample_decks(tmp_path_factory)


# --------------------------------------------------------------------------- what every deck must satisfy

def is_footer(shape) -> bool:
    return shape.top >= D.FOOTER_TOP


def is_title(shape) -> bool:
    return shape.has_text_frame and shape.top == Inches(0.35)


def text_frames(slide):
    for shape in slide.shapes:
        if shape.has_text_frame:
            yield shape, shape.text_frame
        if shape.has_table:
            for row in shape.table.rows:
                for cell in row.cells:
                    yield shape, cell.text_frame


def _size(frame) -> float:
    return max(run.font.size.pt for p in frame.paragraphs for run in p.runs)


def _paragraphs(frame):
    return [[(run.text, bool(run.font.bold)) for run in p.runs] for p in frame.paragraphs if p.runs]


def assert_nothing_cut(deck):
    for number, slide in enumerate(deck.slides, 1):
        for _, frame in text_frames(slide):
            assert "…" not in frame.text and "..." not in frame.text, f"slide {number}: {frame.text!r}"


def assert_on_the_slide_and_clear_of_the_footer(deck):
    width, height = deck.slide_width, deck.slide_height
    for number, slide in enumerate(deck.slides, 1):
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, f"slide {number}: {shape.name} starts off the slide"
            assert shape.left + shape.width <= width and shape.top + shape.height <= height, \
                f"slide {number}: {shape.name} runs off the slide"
            if not is_footer(shape) and number > 1:
                assert shape.top + shape.height <= D.FOOTER_TOP, f"slide {number}: {shape.name} covers the footer"
            if shape.has_table:  # a renderer grows a row that is too low for its text: the grown table must fit
                assert shape.top + rendered_height(shape.table) <= D.FOOTER_TOP, \
                    f"slide {number}: the table runs into the footer"


def _cell_height(grid, c, cell) -> int:
    inner = grid.columns[c].width - cell.margin_left - cell.margin_right
    return D.text_height(_paragraphs(cell.text_frame), inner, _size(cell.text_frame)) + cell.margin_top \
        + cell.margin_bottom


def rendered_height(grid) -> int:
    return sum(max([row.height] + [_cell_height(grid, c, cell) for c, cell in enumerate(row.cells)])
               for row in grid.rows)


def assert_text_fits_its_box(deck):
    """Every text box and table cell holds its text at its font size (the deck's own width
    estimate, which is that of DejaVu Sans, LibreOffice's wider stand-in for Calibri), and no
    word is wider than its column (no word broken in two)."""
    for number, slide in enumerate(deck.slides, 1):
        for shape in slide.shapes:
            if shape.has_table:
                grid = shape.table
                assert sum(row.height for row in grid.rows) == shape.height
                for r, row in enumerate(grid.rows):
                    for c, cell in enumerate(row.cells):
                        inner = grid.columns[c].width - cell.margin_left - cell.margin_right
                        paragraphs, size = _paragraphs(cell.text_frame), _size(cell.text_frame)
                        assert D.longest_word_fits(paragraphs, inner, size), \
                            f"slide {number}: {cell.text!r} breaks inside a word"
                        assert _cell_height(grid, c, cell) <= row.height, \
                            f"slide {number}: row {r} too low for {cell.text!r}"
            elif shape.has_text_frame and shape.text_frame.text.strip():
                frame = shape.text_frame
                inner = shape.width - frame.margin_left - frame.margin_right
                paragraphs, size = _paragraphs(frame), _size(frame)
                space = max((p.space_after.pt for p in frame.paragraphs if p.space_after is not None), default=0)
                assert D.longest_word_fits(paragraphs, inner, size), f"slide {number}: {frame.text!r} breaks a word"
                needed = D.text_height(paragraphs, inner, size, space_after=space) + frame.margin_top \
                    + frame.margin_bottom
                assert needed <= shape.height, f"slide {number}: {shape.name} overflows: {frame.text[:60]!r}"


def assert_sentences_start_upper_case(deck):
    """Every paragraph of a text box (action titles, captions, next-step entries) starts with a
    capital; table cells hold values ("below") and the run's name on the cover and in the footer
    is a name, kept as typed. No Markdown shows anywhere."""
    for number, slide in enumerate(deck.slides, 1):
        for shape, frame in text_frames(slide):
            assert "**" not in frame.text
            if number == 1 or is_footer(shape) or shape.has_table:
                continue
            for paragraph in frame.paragraphs:
                letters = [c for c in paragraph.text if c.isalnum()]
                assert not letters or not letters[0].islower(), f"slide {number}: {paragraph.text[:60]!r}"


def assert_no_so_what_labels(deck):
    """No caption repeats a "So what:" label: the action title carries the message on every slide."""
    for number, slide in enumerate(deck.slides, 1):
        for _, frame in text_frames(slide):
            for label in ("So what:", "Artinya:"):
                assert label.casefold() not in frame.text.casefold(), f"slide {number}: {frame.text[:60]!r}"


def slide_text(slide) -> str:
    return " ".join(frame.text for _, frame in text_frames(slide))


def titled(deck, title: str):
    return [s for s in deck.slides if any(is_title(sh) and sh.text_frame.text.startswith(title) for sh in s.shapes)]


def assert_every_segment_named(deck, table: pd.DataFrame, lang: str):
    """Every segment is in the segment table and on a next-steps card of its own 4R group, with its
    size and the full programme."""
    from crmlib.present.numbers import format_number

    tables = " ".join(slide_text(s) for s in titled(deck, t("deck_segments_title", lang)))
    steps = titled(deck, t("deck_next_steps_title", lang))
    assert steps, "no next-steps slide"
    names = {t(f"deck_r_{r.lower()}", lang): r for r in D.FOUR_R}
    cards = {}  # R -> the text of the boxes under its band (every card, on every next-steps slide)
    for slide in steps:
        boxes = [sh for sh in slide.shapes if sh.has_text_frame and not is_title(sh) and not is_footer(sh)]
        bands = sorted((sh.left, names[sh.text_frame.text]) for sh in boxes if sh.text_frame.text in names)
        for box in boxes:
            column = [r for left, r in bands if left <= box.left + Inches(0.1)]
            if column and box.text_frame.text not in names:
                cards[column[-1]] = cards.get(column[-1], "") + " " + box.text_frame.text
    assert set(cards) == set(D.FOUR_R)
    for _, seg in table.iterrows():
        count = format_number(float(seg["customers"]), 0, lang)
        assert seg["label"] in tables and seg["programme"] in tables, f"{seg['label']} missing from the table"
        entry = f"{seg['label']} ({count}): {seg['programme']}"
        assert entry in cards[seg["r_of_4r"]], f"{entry!r} missing from the {seg['r_of_4r']} card"


ALL_CHECKS = (assert_nothing_cut, assert_on_the_slide_and_clear_of_the_footer, assert_text_fits_its_box,
              assert_sentences_start_upper_case, assert_no_so_what_labels)


# --------------------------------------------------------------------------- tests

@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__[7:])
def test_hand_made_run(deck, check):
    check(deck)


def test_hand_made_run_names_every_segment(deck, request):
    extra = 9 if "more" in request.node.callspec.id else 0
    assert_every_segment_named(deck, _segments(extra), "id")


def test_captions_lose_the_label_and_start_with_a_capital(deck):
    charts = [slide_text(s) for s in deck.slides]
    assert any("Klaster 1 (Pembelanja besar rutin, aktif)" in text for text in charts)
    assert any("Program mengikuti nilai" in text for text in charts)
    titles = [sh.text_frame.text for s in deck.slides for sh in s.shapes if is_title(sh)]
    assert "Pembelanja besar rutin, aktif: 27% pelanggan menyumbang 72% pendapatan" in titles


def test_a_long_caption_grows_its_band_and_the_chart_gives_way(deck):
    slide = titled(deck, "Dengan retensi saat ini")[0]
    band = next(sh for sh in slide.shapes if sh.name == "Caption")
    picture = next(sh for sh in slide.shapes if sh.shape_type == 13)
    assert band.height > Inches(0.65) and picture.top + picture.height <= band.top
    assert _size(band.text_frame) >= 10


def test_segments_that_do_not_fit_go_on_to_a_second_slide(tmp_path):
    deck = build(make_run(tmp_path, extra_segments=20))
    pages = titled(deck, t("deck_segments_title", "id"))
    assert len(pages) >= 2
    assert all(f"/{len(pages)})" in slide_text(p) for p in pages)
    assert_every_segment_named(deck, _segments(20), "id")
    for check in ALL_CHECKS:
        check(deck)


def test_text_estimate_wraps_and_fits():
    width = D.text_width("word", 12)
    assert D.line_count("word", width, 12) == 1
    assert D.line_count("word word", width, 12) == 2
    assert D.line_count([("word ", True), ("word", False)], width * 3, 12) == 1
    assert D.fit_size(["a " * 400], Inches(4), Inches(1), 20, 8) is None
    assert D.fit_size(["short"], Inches(4), Inches(1), 20, 8) == 20
    assert D.text_height(["x"], Inches(1), 10) == int(Pt(10) * D.LINE)
    assert D.caption("**So what:** cluster 1 leads.") == "Cluster 1 leads."
    assert D.caption("**Artinya:** **3** pelanggan.") == "3 pelanggan."
    assert D.capitalised("(bila) klaster") == "(Bila) klaster"


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__[7:])
def test_sample_runs(sample_decks, check):
    for _, deck, _, _ in sample_decks:
        check(deck)


def test_sample_runs_name_every_segment(sample_decks):
    for _, deck, run_dir, lang in sample_decks:
        assert_every_segment_named(deck, D.segment_programmes(run_dir, lang), lang)
