"""The report design on a notebook fixture: cover, summary, contents, sections, appendix, offline."""
from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser

import nbformat
import pytest

from crmlib.present.report import ReportContext, context_for, render_report
from crmlib.present.summary import ExecutiveSummary, normalise

def _png() -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (80, 40), (31, 78, 121)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


PNG = _png()


def _display(data: dict, metadata: dict | None = None):
    return nbformat.v4.new_output("display_data", data=data, metadata=metadata or {})


def _md(text: str):
    return _display({"text/markdown": text, "text/plain": "<IPython.core.display.Markdown object>"})


def fixture_notebook(lang: str = "en", appendix: str = "Technical appendix"):
    summary = ExecutiveSummary(normalise([("Customers", "1,865"), ("Revenue", "Rp 2.1 bn")],
                                         ["**53 %** of revenue comes from Champions <b>."]), lang)
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('run_name = "sample"\nlang = "en"\nas_of_date = "2024-12-31"',
                                       metadata={"tags": ["parameters"]})
    injected = nbformat.v4.new_code_cell(f'run_name = "acme <x>"\nlang = "{lang}"',
                                         metadata={"tags": ["injected-parameters"]})
    code = nbformat.v4.new_code_cell("secret_code_visible()")
    code.outputs = [
        _display({"text/html": summary._repr_html_(), "text/plain": repr(summary)}, summary.display_metadata()),
        _md("## Champions hold 53 % of revenue\n\nThey buy often."),
        _display({"image/png": PNG, "text/plain": "<Figure size 640x480 with 1 Axes>"}),
        nbformat.v4.new_output("execute_result", data={"text/plain": "<Axes: title={'center': 'x'}>"},
                               execution_count=3),
        nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: something internal\n"),
        _md("Intro text\n\n## 7. Already numbered\n\nLTV formula:\n\n"
            "$$\\mathrm{LTV} = \\sum_{t=1}^{n} \\frac{R \\cdot m \\cdot r^{\\,t-1}}{(1+d)^{t}}$$\n\n"
            "where $R$ is revenue; it costs $5 and $10 in USD."),
        _md(f"## {appendix}\n\nParameters used: `churn_inactive_days = 90`"),
        _display({"text/html": "<table><tr><th>key</th></tr><tr><td>value</td></tr></table>",
                  "text/plain": "table"}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# 02 · RFM segmentation\n\nWho buys, and what to do."),
                params, injected, code,
                nbformat.v4.new_markdown_cell("## A second heading\n\ntext\n\n```\n## not a heading\n```")]
    return nb


class _Page(HTMLParser):
    """Ids, links, sources and the text of the <title> of a page."""

    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.srcs, self.title, self._in_title = set(), [], [], "", False
        self.tags = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key, bucket in (("href", self.hrefs), ("src", self.srcs)):
            if attrs.get(key) is not None:
                bucket.append(attrs[key])
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


EXTERNAL = re.compile(r"^(https?:)?//", re.I)


def assert_self_contained(page: str, where: str = "report") -> None:
    """No resource outside the file, no raw LaTeX, no script tags pulling code in."""
    parsed = parse(page)
    assert not [s for s in parsed.srcs if not s.startswith("data:")], f"{where}: src outside the file"
    assert not [h for h in parsed.hrefs if EXTERNAL.match(h)], f"{where}: external link"
    assert "<script src" not in page.lower() and "<link" not in page.lower(), where
    assert "@import" not in page and "url(http" not in page, where
    assert "$$" not in page, f"{where}: raw LaTeX left for MathJax"
    assert "mathjax" not in page.lower() and "require.js" not in page.lower(), where


@pytest.fixture(scope="module")
def page():
    nb = fixture_notebook()
    context = context_for(nb, {"date_min": "2022-01-03", "date_max": "2024-12-30"})
    context.generated = __import__("datetime").date(2025, 1, 2)
    return render_report(nb, context)


def test_cover_title_and_facts(page):
    parsed = parse(page)
    assert parsed.title == "02 · RFM segmentation · acme <x>"
    assert "acme &lt;x&gt;" in page  # run title from papermill's injected cell, escaped
    assert "3 January 2022 to 30 December 2024" in page and "31 December 2024" in page
    assert "2 January 2025" in page and "Who buys, and what to do." in page


def test_executive_summary_sits_before_the_contents(page):
    assert page.count('class="executive-summary"') == 1
    assert page.index("Executive summary") < page.index('class="toc"') < page.index('id="section-1"')
    assert "<strong>53 %</strong>" in page and "Champions &lt;b&gt;." in page
    assert page.count("1,865") == 1  # shown once, not also as the notebook's own output


def test_contents_anchors_resolve_and_authored_numbers_are_kept(page):
    parsed = parse(page)
    toc = page[page.index('<nav '):page.index("</nav>")]
    links = [h[1:] for h in parse(toc).hrefs]
    assert links == ["section-1", "section-2", "appendix", "appendix-2"]
    assert all(h[1:] in parsed.ids for h in parsed.hrefs if h.startswith("#"))  # every anchor resolves
    # the notebook numbers its own headings ("## 7. …"): kept, and nothing else gets a number
    assert '<span class="toc-number">7</span> Already numbered' in toc
    assert "Champions hold 53 % of revenue</a>" in toc and "1. Champions" not in page
    assert "## not a heading" in page  # code fence untouched


def test_unnumbered_headings_are_numbered_in_order():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\n## First\n\ntext\n\n## Second"),
                nbformat.v4.new_markdown_cell("# Part two\n\n## Third\n\n## Technical appendix\n\n## More")]
    page = render_report(nb, ReportContext(run_title="r"))
    toc = page[page.index('<nav '):page.index("</nav>")]
    assert [h[1:] for h in parse(toc).hrefs] == ["section-1", "section-2", "part-1", "section-3",
                                                  "appendix", "appendix-2"]
    assert "1. First</h2>" in page.replace('<a class="anchor-link" href="#1.-First"></a>', "")
    assert "3. Third" in page and "Technical appendix</h2>" in page.replace(
        '<a class="anchor-link" href="#Technical-appendix"></a>', "")
    body = page[page.index("</nav>"):]
    assert body.index('id="part-1"') < body.index("Part two") < body.index('id="section-3"')


def test_appendix_holds_what_follows_its_heading(page):
    appendix = page[page.index('<section class="section appendix" id="appendix">'):]
    assert "churn_inactive_days" in appendix and "<td>value</td>" in appendix
    assert "churn_inactive_days" not in page[:page.index('id="appendix"')]
    assert "A second heading" in appendix  # a later ## heading stays in the appendix


def test_no_code_prompts_reprs_or_warnings(page):
    assert "secret_code_visible" not in page and "run_name" not in page
    assert "In&nbsp;[" not in page and "Out[" not in page
    assert "<Axes" not in page and "&lt;Axes" not in page and "Figure size" not in page
    assert "FutureWarning" not in page


def test_self_contained_with_formulas_typeset(page):
    assert_self_contained(page)
    assert page.count('class="math-display"') == 1 and page.count('class="math-inline"') == 1
    assert "$5 and $10" in page  # money is not mistaken for a formula
    assert "data:image/png;base64," in page


def test_language_follows_the_run():
    nb = fixture_notebook("id", appendix="Lampiran teknis")
    page = render_report(nb, ReportContext(run_title="x", lang="id", as_of=__import__("datetime").date(2024, 12, 31)))
    assert 'lang="id"' in page and "Daftar isi" in page and "31 Desember 2024" in page
    assert "Ringkasan eksekutif" in page and 'id="appendix"' in page
    assert "Contents" not in page and "Generated" not in page


def test_same_notebook_same_bytes():
    context = ReportContext(run_title="r", lang="en", generated=__import__("datetime").date(2025, 1, 1))
    assert render_report(fixture_notebook(), context) == render_report(fixture_notebook(), context)


def test_generated_date_honours_source_date_epoch(monkeypatch):
    from crmlib.present.report import generated_date

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")
    assert str(generated_date()) == "2025-01-01"


def test_a_title_opening_with_a_count_keeps_it_in_the_contents():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\n## 1. Call 424 customers now\n\ntext\n\n"
                                              "## 125 high-value customers slipped\n\ntext")]
    page = render_report(nb, ReportContext(run_title="r"))
    toc = page[page.index('<nav '):page.index("</nav>")]
    assert '<span class="toc-number">1</span> Call 424 customers now' in toc
    assert "125 high-value customers slipped" in toc  # the count is not taken for a section number


def test_a_style_repeated_by_every_table_appears_once():
    from crmlib.present.report import _without_repeated_styles

    table = "<style>.crm-table{margin:0}</style><table class=\"crm-table\"><tr><td>N</td></tr></table>"
    body = "<style>body{}</style>" + table.replace("N", "1") + "<p>text</p>" + table.replace("N", "2") + "<style>h1{}</style>"
    kept = _without_repeated_styles(body)
    assert kept.count("<style>.crm-table{margin:0}</style>") == 1 and kept.count("<style>") == 3
    assert "<td>1</td>" in kept and "<td>2</td>" in kept and kept.index("crm-table{") < kept.index("<td>1</td>")


def test_titles_are_kept_with_the_table_or_chart_they_introduce():
    from crmlib.present.report import STYLESHEET, _titles_kept_with_next

    body = ('<div class="text">\n<p><strong>Call first</strong></p>\n</div><div class="output">T</div>'
            '<div class="text"><h2>5. A section</h2><p>Its intro.</p></div><div class="output">C</div>'
            '<div class="text"><p>A paragraph.</p><h3>A sub-title</h3>\n</div><div class="output">D</div>'
            '<div class="text"><p><strong>Bold</strong> inside a sentence.</p></div>')
    marked = _titles_kept_with_next(body)
    assert marked.count('class="text keep-with-next"') == 2
    assert marked.startswith('<div class="text keep-with-next">\n<p><strong>Call first')
    assert '<div class="text"><h2>5. A section</h2><p>Its intro.</p></div>' in marked   # ends in a paragraph
    assert '<div class="text keep-with-next"><p>A paragraph.</p><h3>A sub-title</h3>' in marked
    assert '<div class="text"><p><strong>Bold</strong> inside a sentence.</p></div>' in marked
    css = STYLESHEET.read_text(encoding="utf-8")
    assert ".keep-with-next { break-after: avoid" in css
    assert ".text > blockquote:first-child { break-before: avoid" in css   # a "so what" stays with its chart
