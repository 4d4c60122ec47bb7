"""A ``lang=id`` run speaks Indonesian: no English sentence in the visible text of any report.

Every report of a ``--set lang=id`` run on the sample is rendered (and the hub, when written);
the visible text (the page title and everything outside scripts and styles) is cut into
sentences, table cells, headings and list items, and each piece is searched for English words:
common English function words (``the``, ``of``, ``which`` …) and the English words these reports
use (``customers``, ``revenue``, ``purchase`` …), none of which is Indonesian. Proper names the
Indonesian text keeps (model names such as BG/NBD or Kaplan–Meier, the 4R programme names,
channel and product names) are removed first; numbers are not words.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest


#: English words that are not Indonesian words: function words, then the vocabulary of the reports.
ENGLISH_WORDS = frozenset("""
    the and of to is are was were be been being with for from this that these those which who whom
    whose what how why when where there here than then more most each every into onto by on in at as
    or not it its their they them we our you your has have had will would can could should may might
    also but if so an any all only about after before between over under out up down our such very
    customer customers revenue profit spend spent purchase purchases purchased bought buy buys buying
    day days week weeks month months year years today yesterday share value values rows read kept
    quarantined check source actual expected retained active lapsed low high medium mid
    segment segments cluster clusters offer offers action actions band bands reason reasons period
    base missing order orders transactions transaction first last next previous recent average mean
    rate prediction profiling segmentation clustering lifetime scenario scenarios churned stayed
    contacted found flagged chosen model's worth keep won lost loyal champions promising hibernating
    attention sleep risk new lose them size list contact reached reach gain gains drop shuffled
    calibration forecast forecasts repeat people growth summary executive appendix
    technical report reports key messages data's client business what-if
""".split())

#: Names the Indonesian text keeps as they are (removed before the search; case-sensitive).
PROPER_NAMES = (
    "BG/NBD", "Pareto/NBD", "Gamma-Gamma", "Kaplan–Meier", "Kaplan-Meier", "ROC AUC", "PR AUC",
    "Gradient boosting", "Brier", "Relationship", "Retention", "Referral", "Recovery", "WhatsApp",
)

_BLOCKS = {"p", "div", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "br", "title",
           "caption", "figcaption", "section", "header", "footer", "table", "ul", "ol", "dt", "dd",
           "blockquote", "pre", "span"}
_HIDDEN = {"script", "style", "noscript", "template"}
#: Code spans (parameter names in the technical appendix) are identifiers, not sentences.
_CODE = {"code", "kbd", "samp"}


class _VisibleText(HTMLParser):
    """The text a reader sees (and the page title), one block per line."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in _HIDDEN or tag in _CODE:
            self._hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _HIDDEN or tag in _CODE:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def pieces(text: str) -> list[str]:
    """Sentences, cells, headings and list items of ``text``."""
    out = []
    for line in text.splitlines():
        for piece in re.split(r"(?<=[.!?;:])\s+|\s+[·–—]\s+", line):
            piece = " ".join(piece.split())
            if piece:
                out.append(piece)
    return out


def english_words(piece: str) -> list[str]:
    """The English words of one piece of text (proper names and e-mail addresses removed)."""
    for name in PROPER_NAMES:
        piece = piece.replace(name, " ")
    piece = re.sub(r"\S+@\S+|\S*\w_\w\S*|\S+\.(?:csv|xlsx|json|pdf|pptx|html|parquet)\b|\S*\w[:=]\S*",
                   " ", piece)  # e-mail addresses, identifiers, file names and model terms (purchase:gender=M)
    return [w for w in re.findall(r"[A-Za-z][A-Za-z'’-]*", piece) if w.lower() in ENGLISH_WORDS]


def _parameter_words() -> frozenset[str]:
    """Parameter names and their text values: the technical appendix lists them as they are typed."""
    from crmlib.notebook_params import declared_parameters, discover_notebooks

    words = set()
    for notebook in discover_notebooks():
        for name, value in declared_parameters(notebook).items():
            words.add(name)
            if isinstance(value, str):
                words.add(value)
    return frozenset(words)


PARAMETER_WORDS = _parameter_words()


def english_pieces(html: str) -> list[tuple[str, list[str]]]:
    return [(piece, words) for piece in pieces(visible_text(html))
            if piece not in PARAMETER_WORDS and (words := english_words(piece))]


# ------------------------------------------------------------------ the detector itself
@pytest.mark.parametrize("text", [
    "Which customers are about to stop buying, and who is worth a retention offer.",
    "Rows read",
    "<h1>04 · Churn prediction</h1>",
    "<td>Champions</td>",
    "<title>Customer lifetime value</title>",
    "The headline figures go to results.json.",
])
def test_detector_finds_english(text):
    assert english_pieces(f"<html><body><p>{text}</p></body></html>" if "<" not in text else text)


@pytest.mark.parametrize("text", [
    "Pelanggan mana yang akan berhenti belanja, dan siapa yang layak diberi penawaran retensi?",
    "BG/NBD dan Pareto/NBD memperkirakan 1.342 pembelian ulang (selisih 0,5 %).",
    "Program Retention dan Referral untuk segmen Juara; Recovery lewat WhatsApp.",
    "n***@contoh.example",
    "Rp 1,2 jt",
])
def test_detector_leaves_indonesian_alone(text):
    assert english_pieces(f"<p>{text}</p>") == []


def test_hidden_text_and_code_are_not_read():
    assert english_pieces("<style>.the-customers {}</style><script>var the = 1;</script><p>Data</p>") == []
    assert english_pieces("<p>Parameter <code>churn_inactive_days</code> = 90 (lihat scenario_yearly_revenue)</p>") == []


# ------------------------------------------------------------------ the lang=id run
@pytest.fixture(scope="module")
def id_run(sample_run_id):
    assert sample_run_id.ok, sample_run_id.notebooks
    return sample_run_id.run_dir


def test_lang_id_reports_have_no_english_sentence(id_run):
    pages = sorted(id_run.glob("*/report.html")) + sorted(id_run.glob("index.html"))
    assert len(pages) >= 6, [p.name for p in pages]
    found = {}
    for page in pages:
        english = english_pieces(page.read_text(encoding="utf-8"))
        if english:
            found[str(page.relative_to(id_run))] = [f"{piece[:90]}  <- {sorted(set(words))}"
                                                    for piece, words in english[:15]]
    assert not found, "English in the lang=id reports:\n" + "\n".join(
        f"{name}:\n  " + "\n  ".join(lines) for name, lines in found.items())
