"""The words of reports 04 and 05: truthful sentences from plain numbers, in both languages."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlib.i18n import t
from crmlib.ltv.scenarios import LTVInputs, project_base, steady_state_base
from crmlib.ltv.segment_value import NO_SEGMENT
from crmlib.present import churn_text, ltv_text
from crmlib.present.mathtext import formula_svg


def test_steady_state_is_where_the_projection_settles():
    inputs = LTVInputs(yearly_revenue=1_000.0, margin=0.3, retention=0.5, years=10)
    assert steady_state_base(0.5, 100.0) == pytest.approx(200.0)
    long_run = project_base(inputs, base_customers=1_000, new_customers_per_year=100, years=40)
    assert long_run["active"].iloc[-1] == pytest.approx(200.0, rel=1e-6)   # from above
    from_below = project_base(inputs, base_customers=0, new_customers_per_year=100, years=40)
    assert from_below["active"].iloc[-1] == pytest.approx(200.0, rel=1e-6)
    assert steady_state_base(1.0, 100.0) == float("inf")


@pytest.mark.parametrize("lang, shrinks", [("en", "shrinks"), ("id", "menyusut")])
def test_a_shrinking_base_is_called_shrinking(lang, shrinks):
    inputs = LTVInputs(yearly_revenue=1_000.0, margin=0.3, retention=0.457, years=10)
    projection = project_base(inputs, 1_414, 1_034, 5)            # 2,448 in year 1, then down to 1,929
    uplifted = project_base(inputs.replace(retention=0.507), 1_414, 1_034, 5)
    assert projection["active"].iloc[-1] < projection["active"].iloc[0]
    sentence = ltv_text.projection_sentence(projection, uplifted, 1_414, 1_034,
                                            steady_state_base(0.457, 1_034), 0.05, lang)
    assert shrinks in sentence
    sep = "," if lang == "en" else "."
    end, steady = round(projection["active"].iloc[-1]), round(1_034 / (1 - 0.457))
    for figure in (1_414, 2_448, end, steady):
        assert f"{figure:,}".replace(",", sep) in sentence
    assert "goes from" not in sentence
    growing = project_base(inputs, 100, 1_034, 5)
    assert ltv_text.projection_direction(growing) == "grows"


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_projection_title_compares_with_todays_base(lang):
    """1,414 active today, 2,448 in year 1 (today's base plus the new customers), 1,929 in year 5:
    above today's base, so the title must not read as a base shrinking below today's."""
    inputs = LTVInputs(yearly_revenue=1_000.0, margin=0.3, retention=0.457, years=10)
    settling = project_base(inputs, 1_414, 1_034, 5)
    assert ltv_text.projection_direction(settling) == "settles"
    sep = "," if lang == "en" else "."
    title = t("ltv_section_projection_settles", lang, end=f"1{sep}929", years=5, start=f"1{sep}414")
    assert f"1{sep}414" in title and f"1{sep}929" in title and ("above" in title or "di atas" in title)
    shrinking = project_base(inputs, 5_000, 1_034, 5)            # year 5 below today's 5,000
    assert ltv_text.projection_direction(shrinking) == "shrinks"


def test_the_clv_customer_count_is_explained():
    note = ltv_text.customer_count_note(1_861, 1_865, "2024-12-31", "en")
    assert "1,861" in note and "1,865" in note and "4 " in note and "Dec 31, 2024" in note
    assert "1.861" in ltv_text.customer_count_note(1_861, 1_865, "2024-12-31", "id")
    assert "31 Des 2024" in ltv_text.customer_count_note(1_861, 1_865, "2024-12-31", "id")
    assert "all 10" in ltv_text.customer_count_note(10, 10, "2024-12-31", "en")


def test_segments_are_named_as_notebook_02_names_them():
    table = pd.DataFrame({"segment": ["Champions", NO_SEGMENT], "share_of_value": [0.6, 0.4],
                          "share_of_customers": [0.2, 0.8]})
    named = ltv_text.named_segments(table, {"Champions": "Juara"}, "id")
    assert named["segment"].tolist() == ["Juara", "(tanpa segmen)"]
    assert ltv_text.top_segment(named)["segment"] == "Juara"


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_formula_with_values_typesets_offline(lang):
    inputs = LTVInputs(yearly_revenue=1_093_419.0, margin=0.3, retention=0.457, years=10, discount_rate=0.1)
    tex = ltv_text.formula_with_values(inputs, lang)
    assert "1{,}093{,}419" in tex if lang == "en" else "1.093.419" in tex
    assert formula_svg(tex, 15.0)[1] > 0


@pytest.mark.parametrize("lang", ["en", "id"])
def test_typeset_renders_markdown_as_the_report_exporter_does(lang):
    """The notebooks typeset with mistune alone (nbconvert costs a kernel 3 s to import): the
    HTML must be what nbconvert's markdown2html makes of the same text, formulas included."""
    from nbconvert.filters import markdown2html

    from crmlib.i18n import t
    from crmlib.present.mathtext import render_math, typeset

    text = t("ltv_md_ltv_intro", lang) + "\n\n| a | b |\n|---|---|\n| *1* | 2 |\n"
    html = typeset(text).data
    assert html == markdown2html(render_math(text))
    assert "<table>" in html and '<img class="math-display"' in html and "$" not in html


def test_reasons_are_worded_with_the_customers_figures():
    codes = pd.DataFrame({"reason_codes": ["recency;gap", ""], "reason_1": ["recency", ""],
                          "reason_2": ["gap", ""]}, index=[10, 11])
    features = pd.DataFrame({"recency_days": [120.0, 5.0], "gap_ratio": [3.0, np.nan],
                             "ipt_mean_days": [40.0, np.nan]}, index=[10, 11])
    worded = churn_text.reason_texts(codes, features, "id")
    assert worded.loc[10, "reason_1"] == "tidak belanja selama 120 hari"
    assert worded.loc[10, "reason_2"] == "jeda sekarang 3,0× jeda biasa 40 hari"
    assert worded.loc[11, "reason_1"] == "" and worded.loc[10, "reason_codes"] == "recency;gap"
    assert churn_text.channel_name("whatsapp") == "WhatsApp"


def test_reasons_are_worded_chunk_by_chunk_in_the_customers_order(monkeypatch):
    codes = pd.DataFrame({"reason_codes": ["recency", "", "gap", "recency;gap", "recency"],
                          "reason_1": ["recency", "", "gap", "recency", "recency"],
                          "reason_2": ["", "", "", "gap", ""]}, index=[14, 3, 12, 10, 11])
    features = pd.DataFrame({"recency_days": [120.0, 5.0, 30.0, 200.0, 61.0], "gap_ratio": [3.0, np.nan, 2.5, 4.0, 1.0],
                             "ipt_mean_days": [40.0, np.nan, 12.0, 50.0, 60.0]}, index=[10, 11, 12, 3, 14])
    monkeypatch.setattr(churn_text, "REASON_CHUNK_ROWS", 2)  # three chunks, the last one short
    worded = churn_text.reason_texts(codes, features, "en")
    assert list(worded.index) == [14, 3, 12, 10, 11] and worded.loc[3, "reason_1"] == ""
    for customer in codes.index:  # each customer worded with its own figures, as one at a time
        one = churn_text.reason_texts(codes.loc[[customer]], features, "en")
        assert worded.loc[customer].tolist() == one.loc[customer].tolist()
    assert worded.loc[14, "reason_1"] == "no purchase for 61 days" and worded.loc[11, "reason_1"] == "no purchase for 5 days"


def test_the_verdict_says_plainly_when_the_simpler_model_does_as_well():
    metrics = pd.DataFrame({"model": ["bgnbd", "gradient_boosting", "recency"], "roc_auc": [0.796, 0.785, 0.754]})
    text = churn_text.verdict(metrics, "gradient_boosting", "en")
    assert "0.79" in text and "not** better than the simpler standard model" in text and "0.75" in text
    message = churn_text.verdict_message(metrics, "gradient_boosting", "id")
    assert "tidak lebih baik daripada model BG/NBD" in message
    better = metrics.assign(roc_auc=[0.70, 0.785, 0.754])
    assert "also beats" in churn_text.verdict(better, "gradient_boosting", "en")


def test_the_survival_drop_at_the_definition_is_not_read_as_behaviour():
    days = np.arange(0, 400, 7.0)
    curves = pd.DataFrame({"low": np.where(days < 90, 1.0, 0.35 * np.exp(-(days - 90) / 100)),
                           "high": np.where(days < 90, 1.0, 0.37 * np.exp(-(days - 90) / 100))},
                          index=pd.Index(days, name="days"))
    summary = pd.DataFrame({"segment": ["low", "high"], "survival_180": [0.14, 0.16]})
    assert churn_text.survival_after(curves, 90) == pytest.approx(0.36 * np.exp(-1 / 100), rel=1e-6)
    sentence = churn_text.survival_sentence(curves, summary, 90, "en")
    assert "churn definition at work, not customer behaviour" in sentence and "36%" in sentence
    assert "hardly changes" in sentence
    assert "definisi churn" in churn_text.survival_sentence(curves, summary, 90, "id")


def test_a_formula_fills_its_box_even_under_the_charts_style():
    """The charts' style saves figures with a "tight" padded box; a formula's SVG must not inherit it,
    or an inline symbol shows at a third of the text's size."""
    import base64
    import re

    from crmlib.present.charts import set_style

    set_style()
    formula_svg.cache_clear()
    data, width, height, _ = formula_svg("R", 11.0)
    svg = base64.b64decode(data).decode("utf-8")
    view = [float(v) for v in re.search(r'viewBox="([^"]+)"', svg).group(1).split()]
    assert view[2:] == [width, height]
    assert 8.0 <= height <= 14.0  # an 11 pt capital with 1 pt of padding each side
