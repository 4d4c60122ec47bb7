"""Hostile data and parameters never become live HTML in a report or the index page.

The bundled sample is copied with hostile values in a customers-file column header, cities,
names, categories and channels, and run through the whole workbook; every report.html and the
index.html are parsed (html.parser) and must hold no tag or attribute of the attacker's.
"""
from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest

from crmlib import paths
from crmlib.i18n import md_text
from crmlib.markup import disarm_html, escape_md
from crmlib.params import load_params
from crmlib.runner import run_workbook

# valid raw HTML for CommonMark (unquoted attribute values hold no quotes), so unescaped they would run
HEADER = "<img src=x onerror=alert(101)>"
CITY = "<script>alert(102)</script>"
NAME = "<b onmouseover=alert(103)>Budi</b>"
CATEGORY = "<svg onload=alert(104)>"
CHANNEL = '<iframe src="javascript:alert(105)"></iframe>'
PREFIX = "<u onclick=f()>"  # at most 20 characters, as the parameter allows


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.scripts, self.text, self._in_script = [], [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def live_injections(page: str) -> list[str]:
    """What of the attacker's would run in a browser: event handlers, javascript: URLs, their
    <img src=x>, <iframe>, <svg onload>, or a script that calls alert."""
    parser = _Tags()
    parser.feed(page)
    found = []
    for tag, attrs in parser.tags:
        for name, value in attrs.items():
            if name.startswith("on") or "javascript:" in (value or "") or "alert(" in (value or ""):
                found.append(f"<{tag} {name}={value!r}>")
        if tag == "iframe" or (tag == "img" and attrs.get("src") == "x"):
            found.append(f"<{tag}>")
    found += [f"<script>{s.strip()[:60]}" for s in parser.scripts if "alert(" in s]
    return found


def visible_text(page: str) -> str:
    parser = _Tags()
    parser.feed(page)
    return " ".join(parser.text)


def test_the_checker_finds_live_tags():
    assert live_injections(f"<p>{HEADER}</p>") and live_injections(CITY) and live_injections(CHANNEL)
    assert not live_injections("<p>&lt;img src=x onerror=alert(1)&gt;</p>")


def test_values_in_markdown_show_as_text():
    from nbconvert import HTMLExporter

    def markdown2html(source: str) -> str:  # what the reports use: raw HTML passes through
        return HTMLExporter().markdown2html({}, source)

    assert live_injections(markdown2html(f"Top category: {HEADER}."))  # unescaped, it would run
    for hostile in (HEADER, CITY, NAME, CATEGORY, CHANNEL, "[x](javascript:alert(1))", "`x` <b>"):
        rendered = markdown2html(f"Top category: {escape_md(hostile)}.")
        assert not live_injections(rendered), rendered
        assert " ".join(hostile.split()) in visible_text(rendered)
        assert not live_injections(markdown2html(disarm_html(f"Top: {hostile}")))
    text = md_text("profile_sowhat_completeness", "en", field=HEADER, share="5 %", absent=CITY)
    assert not live_injections(markdown2html(text)) and HEADER in visible_text(markdown2html(text))


def _hostile_copy(source, target, change):
    """Copy a ';' CSV (UTF-8 with BOM) applying ``change(header, rows)``."""
    text = source.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, body = rows[0], rows[1:]
    header, body = change(header, body)
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows([header] + body)
    target.write_text(out.getvalue(), encoding="utf-8")


def _hostile_customers(header, rows):
    city, name = header.index("Kota"), header.index("Nama")
    for i, row in enumerate(rows):
        if i % 3 == 0:
            row[city] = CITY
        if i % 5 == 0:
            row[name] = NAME
        row.append("" if i % 50 else "B")  # a hostile header, the least filled field: named in the text
    return header + [HEADER], rows


def _hostile_transactions(header, rows):
    category, channel = header.index("Kategori"), header.index("Kanal")
    for i, row in enumerate(rows):
        if i % 2 == 0:
            row[category] = CATEGORY  # the biggest category: quoted in the narrative
        if i % 4 == 0:
            row[channel] = CHANNEL
    return header, rows


@pytest.mark.slow
def test_a_hostile_run_leaves_no_live_tag_in_any_report(tmp_path):
    transactions, customers = tmp_path / "transactions.csv", tmp_path / "customers.csv"
    _hostile_copy(paths.SAMPLE_DIR / "transactions.csv", transactions, _hostile_transactions)
    _hostile_copy(paths.SAMPLE_DIR / "customers.csv", customers, _hostile_customers)
    params = load_params(paths.PROJECT_ROOT / "params" / "sample.yaml")
    params.update(run_name="hostile", transactions=str(transactions), customers=str(customers),
                  cancel_order_prefix=PREFIX, churn_survival_segment=HEADER)
    result = run_workbook(params, out_root=tmp_path / "outputs", progress=False)
    run = result.run_dir
    pages = sorted(run.glob("*/report.html")) + [run / "index.html"]
    assert len(pages) == 1 + len(result.notebooks)  # every notebook left a report, even if it failed
    assert [nb.status for nb in result.notebooks][:3] == ["ok", "ok", "ok"], \
        [nb.error for nb in result.notebooks]
    shown = ""
    for page in pages:
        html_text = page.read_text(encoding="utf-8")
        assert not live_injections(html_text), f"{page.parent.name}/{page.name}: {live_injections(html_text)}"
        shown += visible_text(html_text)
    # the hostile values did reach the run, and the reports show them as text
    assert HEADER in shown
    clean = (run / "validation" / "clean_transactions.csv").read_text(encoding="utf-8")
    assert CATEGORY in clean and CHANNEL.replace('"', '""') in clean
