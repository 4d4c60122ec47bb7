"""The words of report 03: persona names, 4R labels, programmes and agreement sentences in en and id."""
from __future__ import annotations

import pandas as pd
import pytest

from crmlib.cluster import kmeans as C
from crmlib.present import cluster_text


def five_personas() -> pd.DataFrame:
    profile = pd.DataFrame({"median_frequency": [8, 3, 1, 1, 2],
                            "median_recency_days": [20, 300, 30, 400, 40]}, index=[1, 2, 3, 4, 5])
    means = pd.DataFrame({"monetary_total": [1.2, 0.8, -0.1, -0.9, 0.1],
                          "frequency": [1.5, 0.7, -0.6, -0.6, 0.2]}, index=[1, 2, 3, 4, 5])
    return C.personas(profile, means)


def test_persona_names_4r_labels_and_programmes_in_both_languages():
    en = cluster_text.named_personas(five_personas(), "en")
    assert en.columns.tolist() == ["persona", "r", "r_label", "programme", "spend", "frequency", "status"]
    assert en["persona"].tolist() == ["Active frequent high spenders", "Lapsed frequent high spenders",
                                      "Active one-time mid spenders", "Lapsed one-time low spenders",
                                      "Active occasional mid spenders"]
    assert en["r_label"].tolist() == ["Referral", "Recovery", "Relationship", "Recovery", "Retention"]
    assert en.loc[2, "programme"].startswith("Win-back") and en.loc[4, "programme"].startswith("Low-cost")
    idn = cluster_text.named_personas(five_personas(), "id")
    assert idn["r"].tolist() == en["r"].tolist()           # the 4R key does not depend on lang
    assert idn.loc[1, "persona"] == "Pembelanja besar rutin, aktif"
    assert idn.loc[4, "persona"] == "Pembelanja kecil sekali beli, tidak aktif"
    assert idn.loc[1, "r_label"] == "Referral (rekomendasi)"
    assert idn.loc[2, "r_label"] == "Recovery (memenangkan kembali)"
    assert idn.loc[3, "programme"].startswith("Perjalanan sambutan menuju pembelian kedua")
    with pytest.raises(ValueError, match="lang"):
        cluster_text.named_personas(five_personas(), "fr")


def test_namesakes_are_told_apart_by_trait_then_by_number():
    profile = pd.DataFrame({"median_frequency": [6, 6], "median_recency_days": [20, 20]}, index=[1, 2])
    means = pd.DataFrame({"monetary_total": [1.0, 0.9], "frequency": [1.0, 1.0],
                          "tenure_days": [0.1, 0.0], "purchase_regularity": [-0.8, 1.5]}, index=[1, 2])
    personas = C.personas(profile, means)
    assert cluster_text.persona_names(personas, "en").tolist() == [
        "Active frequent high spenders · irregular rhythm", "Active frequent high spenders · regular rhythm"]
    assert cluster_text.persona_names(personas, "id").tolist() == [
        "Pembelanja besar rutin, aktif · ritme tidak teratur", "Pembelanja besar rutin, aktif · ritme teratur"]
    # no secondary feature to tell them apart: the cluster number does
    same = personas.assign(trait="")
    assert cluster_text.persona_names(same, "en").tolist() == [
        "Active frequent high spenders (1)", "Active frequent high spenders (2)"]


def test_feature_labels():
    assert cluster_text.feature_label("recency_days", "en") == "Recency (days)"      # the common label
    assert cluster_text.feature_label("purchase_regularity", "id") == "Keteraturan belanja (skor)"
    assert cluster_text.feature_label("loyalty_tier", "id") == "loyalty_tier"      # no label: as it is


def test_agreement_sentences_in_both_languages():
    index = [f"c{i}" for i in range(10)]
    clusters = pd.Series([1, 1, 1, 1, 2, 2, 2, 3, 3, 3], index=index)
    segments = pd.Series(["A", "A", "A", "B", "B", "B", "B", "B", "B", "A"], index=index)
    agreement = C.compare_segments(clusters, segments)
    names = pd.Series({1: "VIP"})
    assert cluster_text.segment_sentences(agreement, names, "en") == [
        "Cluster 1 (VIP): mostly 'A' (75%).",
        "Cluster 2: mostly 'B' (100%).",
        "Cluster 3: mostly 'B' (67%).",
        "The segment split most across clusters is 'B': clusters 2 (50%), 3 (33%), 1 (17%). "
        "The clusters see differences there that the segment rules do not."]
    assert cluster_text.segment_sentences(agreement, names, "id")[0] == "Klaster 1 (VIP): sebagian besar 'A' (75%)."
    perfect = C.compare_segments(clusters, clusters.map({1: "x", 2: "y", 3: "z"}))
    assert cluster_text.agreement_sentence(perfect, "en") == (
        "Agreement: adjusted Rand index 1.00 (1 = the same grouping, 0 = no better than chance); "
        "adjusted mutual information 1.00.")
    assert cluster_text.agreement_sentence(perfect, "id").startswith("Kesesuaian: adjusted Rand index 1,00 ")
