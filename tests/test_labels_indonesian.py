"""The Bahasa Indonesia labels read as Indonesian and name one thing one way.

Found by a review of the ``lang=id`` reports: "Resensi" (a book review) for Recency, English
method words (cutoff, holdout, win-back, cross-selling, "run"), raw customer-file columns
("Province"), "5 %" with a space, the 4R group Recovery worded three ways, and a segment
name spelt "Calon Pelanggan Setia" in one table and "Calon pelanggan setia" in another.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml

from crmlib import rfm
from crmlib.i18n import LABELS_DIR, labels
from crmlib.io import CUSTOMER_ALIASES
from crmlib.present import cluster_text, rfm_text
from crmlib.present.tables import header_label
from crmlib.profile.report import field_label
from crmlib.rfm.report import matrix_table

#: Label files checked word by word.
CHECKED_FILES = ("common", "profile", "rfm", "cluster", "churn", "ltv", "ltv_models", "calculator")

#: Words that must not appear in an Indonesian text, with the Indonesian used instead.
FORBIDDEN = {
    r"resensi": "keterkinian / hari sejak pembelian terakhir",
    r"\bprovince\b": "provinsi",
    r"\bcutoff\b|\bcut-off\b": "tanggal batas",
    r"\bholdout\b": "periode uji",
    r"\bwin-back\b": "ajak kembali",
    r"\bcross-selling\b": "penjualan silang",
    r"\bprogram referral\b": "program ajak teman",
    r"\brun\b": "analisis",
    r"\bbeing alive\b": "masih aktif",
    r"\d %": "5% (no space before the percent sign)",
}

RULES = rfm.load_segment_rules()


def _file_labels(name: str) -> dict:
    return yaml.safe_load((LABELS_DIR / f"{name}.yaml").read_text(encoding="utf-8")) or {}


def _prose(text: str) -> str:
    """The words a reader sees: without `code` (parameter names) and {placeholders}."""
    return re.sub(r"\{[^{}]*\}", " ", re.sub(r"`[^`]*`", " ", text))


def _id_texts():
    for name in CHECKED_FILES:
        for key, texts in _file_labels(name).items():
            yield name, key, texts.get("id", "")


@pytest.mark.parametrize("pattern", sorted(FORBIDDEN))
def test_no_english_or_wrong_word_in_indonesian_texts(pattern):
    found = [f"{name}.yaml {key}: {match.group(0)!r}"
             for name, key, text in _id_texts()
             for match in re.finditer(pattern, _prose(text), flags=re.IGNORECASE)]
    assert not found, f"use {FORBIDDEN[pattern]!r} instead:\n" + "\n".join(found)


def test_recency_is_worded_as_days_since_the_last_purchase():
    assert labels()["recency_days"]["id"] == "Hari sejak pembelian terakhir"
    assert labels()["recency_days"]["id"] == labels()["churn_feature_recency_days"]["id"]


@pytest.mark.parametrize("r", ["relationship", "retention", "referral", "recovery"])
def test_each_4r_group_has_one_indonesian_label_in_every_file(r):
    keys = [f"rfm_4r_{r}", f"cluster_r_{r}", f"deck_r_{r}"] + (["churn_action_recovery"] if r == "recovery" else [])
    texts = {key: labels()[key]["id"] for key in keys}
    assert len(set(texts.values())) == 1, texts
    assert rfm_text.four_r_label(r.capitalize(), "id") == cluster_text.four_r_label(r.capitalize(), "id")


def test_recovery_is_memenangkan_kembali_in_the_narrative_too():
    assert labels()["rfm_4r_recovery"]["id"] == "Recovery (memenangkan kembali)"
    assert "**Recovery** (memenangkan kembali)" in labels()["churn_md_today"]["id"]


def test_segment_names_are_spelt_one_way():
    for lang in ("en", "id"):
        names = [rfm_text.segment_label(RULES, s, lang) for s in RULES.names]
        assert len({n.lower() for n in names}) == len(names), names       # no two differ only by case
        assert [header_label(n, lang) for n in names] == names             # a header keeps the spelling


@pytest.mark.parametrize("lang", ["en", "id"])
def test_migration_matrix_headers_spell_segments_as_the_rows_do(lang):
    matrix = pd.DataFrame(0, index=RULES.names, columns=RULES.names)
    table = matrix_table(matrix, RULES, lang)
    names = [rfm_text.segment_label(RULES, s, lang) for s in RULES.names]
    assert list(table.cells.columns[1:]) == names
    assert table.cells.iloc[:, 0].tolist() == names
    assert "Calon Pelanggan Setia" in table.html if lang == "id" else "Potential Loyalist" in table.html


def test_multi_word_segment_names_in_the_texts_keep_their_capitals():
    """A segment named inside a sentence is spelt as the segment ("Juara → Berisiko Pergi")."""
    ordinary = {"pelanggan baru"}                 # also an everyday phrase: "mendapatkan pelanggan baru"
    names = [rfm_text.segment_label(RULES, s, "id") for s in RULES.names]
    names = [n for n in names if " " in n and n.lower() not in ordinary]
    wrong = [f"{key}: {m.group(0)!r}" for key, texts in labels().items() for name in names
             for m in re.finditer(re.escape(name), texts.get("id", ""), flags=re.IGNORECASE) if m.group(0) != name]
    assert not wrong, wrong


def test_known_customer_columns_have_indonesian_names():
    known = set(CUSTOMER_ALIASES) | {"postal_code", "social_media", "blood_type", "marital_status", "income",
                                     "organisation", "quantity", "channel"}
    missing = sorted(c for c in known if f"profile_field_{c}" not in labels())
    assert not missing, missing
    assert field_label("province", "id") == "Provinsi"
    assert field_label("signup_channel", "id") == "Kanal pendaftaran"
    assert field_label("channel", "id") == "Kanal penjualan"            # the transactions' sales channel
    assert field_label("loyalty_tier", "id") == "Loyalty tier"          # a client's own column: as it is


def test_quality_message_reads_for_one_finding():
    text = labels()["profile_msg_quality"]["en"].format(n=1)
    assert "(s)" not in text and "1 high-severity finding " not in text


def test_placeholders_match_between_languages_in_checked_files():
    def fields(text):
        return {f for f in re.findall(r"\{(\w*)\}", text)}
    for name in CHECKED_FILES:
        for key, texts in _file_labels(name).items():
            if "id" in texts and "en" in texts:
                assert fields(texts["id"]) == fields(texts["en"]), f"{name}.yaml {key}"
