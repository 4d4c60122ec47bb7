"""Executive summary and slide recording: what notebooks call, what the hub and deck read."""
from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402

from crmlib.outputs import ReportOutput  # noqa: E402
from crmlib.present.slides import record_slide, recorded_slides  # noqa: E402
from crmlib.present.summary import MARKER, executive_summary, summary_html  # noqa: E402


@pytest.fixture
def shown(monkeypatch):
    """Capture what ``IPython.display.display`` is asked to show."""
    calls = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: calls.append((obj, kw)))
    return calls


def test_summary_is_shown_recorded_and_escaped(tmp_path, shown):
    out = ReportOutput(tmp_path)
    executive_summary([("Customers", "1,865"), ("Revenue <b>", "Rp 2.1 bn")],
                      ["**53 %** of revenue comes from <script>alert(1)</script> Champions."],
                      lang="en", out=out)
    recorded = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["executive_summary"]
    assert recorded == {"kpis": [{"label": "Customers", "value": "1,865"},
                                 {"label": "Revenue <b>", "value": "Rp 2.1 bn"}],
                        "messages": ["**53 %** of revenue comes from <script>alert(1)</script> Champions."]}
    (obj, kw), = shown
    page = obj._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Revenue &lt;b&gt;" in page and "<strong>53 %</strong>" in page
    assert "Executive summary" in page
    assert kw["metadata"][MARKER]["kpis"][0] == {"label": "Customers", "value": "1,865"}
    assert "<" not in repr(obj).split("\n")[1]  # text/plain fallback is plain and deterministic
    assert repr(obj).startswith("Executive summary\nCustomers: 1,865")


def test_summary_heading_follows_the_language(shown):
    executive_summary([("Pelanggan", "1.865")], [], lang="id")
    assert "Ringkasan eksekutif" in shown[0][0]._repr_html_()
    with pytest.raises(ValueError, match="lang"):
        executive_summary([("a", "b")], [], lang="fr")


def test_summary_refuses_raw_numbers_and_empty_input(shown):
    with pytest.raises(TypeError, match="already formatted"):
        executive_summary([("Revenue", 210088020.0)], [], lang="en")
    with pytest.raises(ValueError, match="at least one"):
        executive_summary([], [], lang="en")
    with pytest.raises(ValueError, match="pair"):
        executive_summary([("only a label",)], [], lang="en")


def test_summary_displays_in_a_real_ipython_shell(tmp_path):
    shell = InteractiveShell.instance()
    formatted = shell.display_formatter.format(
        __import__("crmlib.present.summary", fromlist=["x"]).ExecutiveSummary(
            {"kpis": [{"label": "A", "value": "1"}], "messages": []}, "en"))[0]
    assert "text/html" in formatted and "kpi-value" in formatted["text/html"]
    assert formatted["text/plain"] == "Executive summary\nA: 1"


def test_summary_html_has_no_empty_blocks():
    page = summary_html({"kpis": [], "messages": ["x"]}, "en")
    assert 'class="kpis"' not in page and "<li>x</li>" in page


def test_record_slide_saves_png_and_lists_it(tmp_path):
    out = ReportOutput(tmp_path)
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.bar(["a", "b"], [1, 2])
    first = record_slide(out, fig, title="Champions hold 53 % of revenue", so_what="Protect them.")
    fig2, _ = plt.subplots(figsize=(5, 4))
    record_slide(out, fig2, title="Second", so_what="Next.")
    record_slide(out, fig, title="Champions hold 53 % of revenue", so_what="Protect them first.")
    slides = recorded_slides(out)
    assert [s["title"] for s in slides] == ["Champions hold 53 % of revenue", "Second"]
    assert slides[0] == {"image": "slides/01.png", "title": "Champions hold 53 % of revenue",
                         "so_what": "Protect them first."}
    assert first == tmp_path / "slides" / "01.png"
    png = first.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert 1500 <= width <= 2100  # slide resolution, whatever the figure size (tight bbox trims)
    with pytest.raises(ValueError, match="so_what"):
        record_slide(out, fig, title="t", so_what=" ")
    plt.close("all")


def test_reset_forgets_recorded_slides(tmp_path):
    out = ReportOutput(tmp_path)
    fig, _ = plt.subplots(figsize=(4, 3))
    record_slide(out, fig, title="Old title", so_what="Old.")
    (tmp_path / "slides" / "notes.txt").write_text("a user's file", encoding="utf-8")
    out.reset()
    assert recorded_slides(out) == [] and not (tmp_path / "slides" / "01.png").exists()
    assert (tmp_path / "slides" / "notes.txt").exists()  # only the files record_slide writes go
    record_slide(out, fig, title="New title", so_what="New.")
    assert [s["title"] for s in recorded_slides(out)] == ["New title"]
    plt.close("all")
