"""The deliverables of a run (reports, PDFs, hub, deck) from tiny notebooks through the real runner."""
from __future__ import annotations

import json

import nbformat
import pytest

from crmlib import paths
from crmlib.cli import main
from crmlib.runner import run_workbook

from test_present_report import assert_self_contained, parse

SAMPLE = paths.SAMPLE_DIR / "transactions.csv"

BODY = '''
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from crmlib.i18n import t
from crmlib.outputs import ReportOutput
from crmlib.present.summary import executive_summary
from crmlib.present.slides import record_slide
out = ReportOutput(output_dir).reset()
words = {{"en": ("Customers", "Champions hold 53 % of revenue", "Protect them first."),
          "id": ("Pelanggan", "Juara memegang 53 % pendapatan", "Lindungi mereka lebih dulu.")}}[lang]
executive_summary([(words[0], "{n}"), ("KPI {name}", "{n}0 %")], ["**{n}** message {name}."], lang=lang, out=out)
display(Markdown("## " + words[1] + "\\n\\nText."))
fig, ax = plt.subplots(figsize=(8, 4))
ax.bar(["a", "b"], [1, {n}])
record_slide(out, fig, title=words[1] + " {name}", so_what=words[2])
plt.show()
display(Markdown("## " + t("report_appendix", lang) + "\\n\\nParameters: `x = 1`"))
'''


def make_notebook(folder, name, n, lang="en"):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = (f'run_name = "t"\ntransactions = "{SAMPLE.as_posix()}"\noutput_dir = "out"\n'
              f'lang = "{lang}"\nas_of_date = "2024-12-31"\n')
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {name.title()} report\n\nWhat {name} answers."),
                nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(BODY.format(n=n, name=name))]
    nbformat.write(nb, folder / f"{n:02d}_{name}.ipynb")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same two-notebook workbook run in English and in Indonesian."""
    folder = tmp_path_factory.mktemp("notebooks")
    make_notebook(folder, "first", 1)
    make_notebook(folder, "second", 2)
    out = tmp_path_factory.mktemp("outputs")
    made = {}
    for lang in ("en", "id"):
        made[lang] = run_workbook({"run_name": f"run_{lang}", "lang": lang}, out_root=out, progress=False,
                                  notebooks_dir=folder)
        assert made[lang].ok, made[lang].notebooks
    return made


def test_every_report_is_designed_and_self_contained(runs):
    for lang, run in runs.items():
        for name in ("01_first", "02_second"):
            page = (run.run_dir / name / "report.html").read_text(encoding="utf-8")
            assert_self_contained(page, f"{lang}/{name}")
            assert parse(page).title == f"{name[3:].title()} report · run_{lang}"
            assert page.count('class="executive-summary"') == 1
            assert ("Ringkasan eksekutif" if lang == "id" else "Executive summary") in page
            assert 'id="appendix"' in page and 'href="#section-1"' in page and 'id="section-1"' in page


def test_every_report_has_a_pdf_with_pages(runs):
    pypdf = pytest.importorskip("pypdf")
    for lang, run in runs.items():
        pdf = run.run_dir / "01_first" / "report.pdf"
        reader = pypdf.PdfReader(pdf)
        assert len(reader.pages) >= 2  # cover + sections start on a new page
        text = " ".join(page.extract_text() for page in reader.pages)
        assert ("Ringkasan eksekutif" if lang == "id" else "Executive summary") in text
        assert "Champions hold 53 %" in text if lang == "en" else "Juara memegang 53 %" in text


def test_hub_shows_kpis_reports_downloads_in_the_run_language(runs):
    en = (runs["en"].run_dir / "index.html").read_text(encoding="utf-8")
    idn = (runs["id"].run_dir / "index.html").read_text(encoding="utf-8")
    assert_self_contained(en, "hub")
    for page in (en, idn):
        parsed = parse(page)
        assert "01_first/report.html" in parsed.hrefs and "02_second/report.pdf" in parsed.hrefs
        assert "deck.pptx" in parsed.hrefs and "validation/rejected_rows.csv" in parsed.hrefs
        assert "KPI first" in page and "KPI second" in page  # KPIs from both reports
        assert "k_knee" not in page and "results.json" not in page
    assert "Headline figures" in en and "Ready" in en and "rows read" in en
    assert "Angka utama" in idn and "Siap" in idn and "baris yang dibaca" in idn
    assert "Headline" not in idn and "Ready" not in idn and "Downloads" not in idn
    assert parse(en).title == "CRM analysis · run_en"


def slide_texts(deck) -> list[str]:
    """Every slide's text: text boxes and table cells."""
    texts = []
    for slide in deck.slides:
        parts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
        parts += [cell.text for s in slide.shapes if s.has_table for row in s.table.rows for cell in row.cells]
        texts.append(" ".join(parts))
    return texts


def test_deck_has_the_listed_slides_in_the_run_language(runs):
    from pptx import Presentation

    for lang, run in runs.items():
        deck = Presentation(run.run_dir / "deck.pptx")
        texts = slide_texts(deck)
        pictures = [sum(s.shape_type == 13 for s in slide.shapes) for slide in deck.slides]
        words = {"en": ("CRM ANALYSIS", "Executive summary", "Champions hold 53 % of revenue first",
                        "Protect them first.", "Technical appendix"),
                 "id": ("ANALISIS CRM", "Ringkasan eksekutif", "Juara memegang 53 % pendapatan first",
                        "Lindungi mereka lebih dulu.", "Lampiran teknis")}[lang]
        assert words[0] in texts[0] and f"run_{lang}" in texts[0]
        assert words[1] in texts[1] and "KPI first" in texts[1] and "1 message first." in texts[1]
        assert words[2] in texts[2] and words[3] in texts[2] and pictures[2] == 1
        assert "second" in texts[3] and pictures[3] == 1
        assert words[4] in texts[-1]
        assert len(deck.slides) == 5  # no notebook 02 segment table in this workbook
        assert deck.core_properties.language == lang


def test_crm_deck_rebuilds_the_same_bytes(runs, capsys):
    run_dir = runs["id"].run_dir
    before = (run_dir / "deck.pptx").read_bytes()
    (run_dir / "deck.pptx").unlink()
    assert main(["deck", "--run", str(run_dir)]) == 0
    assert (run_dir / "deck.pptx").read_bytes() == before
    assert "deck.pptx" in capsys.readouterr().out


def test_crm_deck_on_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["deck", "--run", str(tmp_path)]) == 2
    assert "not a finished run" in capsys.readouterr().err


def test_summary_is_recorded_for_the_hub(runs):
    results = json.loads((runs["en"].run_dir / "01_first" / "results.json").read_text(encoding="utf-8"))
    assert results["executive_summary"]["kpis"][0] == {"label": "Customers", "value": "1"}


def test_sample_run_reports_are_self_contained(sample_run):
    """Every report of `make report` opens offline: nothing loaded from outside, formulas typeset."""
    names = [nb.name for nb in sample_run.notebooks]
    assert len(names) == 5
    for name in names:
        page = (sample_run.run_dir / name / "report.html").read_text(encoding="utf-8")
        assert_self_contained(page, name)
        parsed = parse(page)
        assert parsed.title.endswith(" · sample") and parsed.title != "Notebook · sample"
        toc = page[page.index("<nav "):page.index("</nav>")]
        assert all(h[1:] in parsed.ids for h in parse(toc).hrefs), f"{name}: a contents link goes nowhere"
        assert (sample_run.run_dir / name / "report.pdf").stat().st_size > 10_000
    ltv = (sample_run.run_dir / "05_ltv_scenarios" / "report.html").read_text(encoding="utf-8")
    assert 'class="math-display"' in ltv and "LTV" in ltv  # the LTV formula shows offline
    from pptx import Presentation

    texts = slide_texts(Presentation(sample_run.run_dir / "deck.pptx"))
    assert "Segments and their programmes" in texts[-3] and "Champions" in texts[-3]
    assert all(r in texts[-2] for r in ("Relationship", "Retention", "Referral", "Recovery"))
    assert "Technical appendix" in texts[-1] and "6,139" in texts[-1]
    hub = (sample_run.run_dir / "index.html").read_text(encoding="utf-8")
    assert_self_contained(hub, "hub")
    assert "k_knee" not in hub and "churn_rate" not in hub and "bgnbd_baseline" not in hub
    # the customer counts of the reports are reconciled in one sentence, from their results
    results = {name[:2]: json.loads((sample_run.run_dir / name / "results.json").read_text(encoding="utf-8"))
               for name in names}
    for count in (results["01"]["customers_total"], results["01"]["buyers"], results["04"]["scored_customers"],
                  results["05"]["clv"]["customers"]):
        assert f"{count:,}" in hub[hub.index("The reports count customers differently"):]
