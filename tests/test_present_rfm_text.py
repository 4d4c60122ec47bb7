"""The words of the RFM segments: names, descriptions, programmes and 4R labels in en and id."""
from __future__ import annotations

import pandas as pd
import pytest
import yaml

from crmlib import rfm
from crmlib.present import rfm_text

RULES = rfm.load_segment_rules()


def test_segment_texts_in_both_languages():
    assert rfm_text.segment_label(RULES, "Champions", "en") == "Champions"
    assert rfm_text.segment_label(RULES, "Champions", "id") == "Juara"
    assert rfm_text.segment_text(RULES, "At Risk", "description", "en") == \
        "Bought often and spent well, but a long time ago."
    assert rfm_text.segment_text(RULES, "Champions", "programme", "id").startswith("Perlakuan VIP")
    assert rfm_text.segment_label(RULES, rfm.NOT_YET, "id") == "Belum jadi pelanggan"
    assert rfm_text.segment_label(RULES, rfm.NO_LONGER, "en") == "No longer a customer"
    with pytest.raises(ValueError, match="label, description"):
        rfm_text.segment_text(RULES, "Champions", "name", "en")
    with pytest.raises(ValueError, match="lang"):
        rfm_text.segment_label(RULES, "Champions", "fr")


def test_a_rules_file_without_a_language_falls_back_to_english(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"scale": 5, "segments": [
        {"name": "Everyone", "when": {}, "rank": 1, "r_of_4r": "Retention",
         "description": {"en": "all customers"}, "programme": {"en": "a newsletter", "id": ""}}]}),
        encoding="utf-8")
    rules = rfm.load_segment_rules(path)
    assert rfm_text.segment_label(rules, "Everyone", "id") == "Everyone"         # no label: the name
    assert rfm_text.segment_text(rules, "Everyone", "programme", "id") == "a newsletter"


def test_four_r_labels():
    assert rfm_text.four_r_label("Recovery", "en") == "Recovery"
    assert rfm_text.four_r_label("Recovery", "id") == "Recovery (memenangkan kembali)"


def test_rules_table():
    table = rfm_text.rules_table(RULES, "id")
    assert table.columns.tolist() == ["segment", "label", "r_of_4r", "r_of_4r_label", "description", "programme"]
    assert table["segment"].tolist() == RULES.names
    at_risk = table.set_index("segment").loc["At Risk"]
    assert (at_risk["label"], at_risk["r_of_4r"], at_risk["r_of_4r_label"]) == \
        ("Berisiko Pergi", "Recovery", "Recovery (memenangkan kembali)")
    assert rfm_text.rules_table(RULES, "en").set_index("segment").loc["At Risk", "label"] == "At Risk"


def test_segment_summary_with_texts():
    table = pd.DataFrame({"customer_id": ["a", "b"], "segment": ["Champions", "Lost"], "revenue": [900.0, 100.0],
                          "recency_days": [5, 400], "frequency": [6, 1], "monetary": [900.0, 100.0]})
    summary = rfm.segment_summary(table, RULES)
    worded = rfm_text.with_segment_texts(summary, RULES, "id")
    assert worded.columns.tolist() == ["segment", "label", *summary.columns[1:], "programme"]
    champions = worded.set_index("segment").loc["Champions"]
    assert champions["label"] == "Juara" and champions["programme"].startswith("Perlakuan VIP")
    assert champions["customers"] == 1 and champions["revenue_share"] == pytest.approx(0.9)
    assert "label" not in summary                                                # the input is left as it was
