"""The words of the clusters report (notebook 03): persona names, 4R labels, programmes, feature
names and the sentences comparing clusters with the RFM segments.

Computing lives in :mod:`crmlib.cluster.kmeans` (traits, the 4R, programme keys, the agreement's
facts); this module only words and formats them in the run's language (labels in
``crmlib/labels/cluster.yaml``).
"""
from __future__ import annotations

import pandas as pd

from crmlib.cluster.kmeans import SegmentAgreement
from crmlib.i18n import check_lang, labels, t
from crmlib.present.numbers import format_number, format_percent


def feature_label(name: str, lang: str = "en") -> str:
    """A feature's name for people: the common label, the cluster label, or the name itself."""
    for key in (name, f"cluster_feature_{name}"):
        if key in labels():
            return t(key, lang)
    return name


def four_r_label(r: str, lang: str = "en") -> str:
    """The 4R of a persona (``Recovery``) in ``lang``: ``Recovery (memenangkan kembali)`` (id)."""
    return t(f"cluster_r_{r.lower()}", lang)


def programme_text(key: str, lang: str = "en") -> str:
    """The programme behind a key of :func:`crmlib.cluster.kmeans.programme` (``winback``), in ``lang``."""
    return t(f"cluster_prog_{key}", lang)


def persona_name(traits: pd.Series, lang: str = "en") -> str:
    """A persona's name from its status, frequency, spend and distinguishing trait (if any).

    ``Active frequent high spenders · regular rhythm`` (en), ``Pembelanja besar rutin, aktif`` (id).
    """
    name = t("cluster_persona", lang, status=t(f"cluster_status_{traits['status']}", lang),
             frequency=t(f"cluster_frequency_{traits['frequency']}", lang),
             spend=t(f"cluster_spend_{traits['spend']}", lang)).strip()
    trait = traits.get("trait")
    return f"{name} · {t(f'cluster_trait_{trait}', lang)}" if isinstance(trait, str) and trait else name


def persona_names(personas: pd.DataFrame, lang: str = "en") -> pd.Series:
    """The name of each cluster's persona; names still equal after the trait get the cluster number."""
    names = pd.Series({cluster: persona_name(row, lang) for cluster, row in personas.iterrows()},
                      dtype=object)
    for _name, group in names.groupby(names):
        if len(group) > 1:
            for cluster in group.index:
                names[cluster] = f"{names[cluster]} ({cluster})"
    return names


def named_personas(personas: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """:func:`crmlib.cluster.kmeans.personas` for people, in ``lang`` (``en`` or ``id``).

    Columns (index cluster): persona (the name), r (the 4R key), r_label (the 4R in ``lang``),
    programme (its text), spend, frequency, status.
    """
    check_lang(lang)
    out = pd.DataFrame({
        "persona": persona_names(personas, lang),
        "r": personas["r"],
        "r_label": [four_r_label(r, lang) for r in personas["r"]],
        "programme": [programme_text(key, lang) for key in personas["programme_key"]],
    }, index=personas.index)
    return out.join(personas[["spend", "frequency", "status"]]).sort_index()


def segment_sentences(agreement: SegmentAgreement, cluster_names: pd.Series | None = None,
                      lang: str = "en") -> list[str]:
    """Which segment dominates each cluster, then which segment the clusters split most.

    ``cluster_names`` (e.g. the persona names) is shown beside a cluster's number when given.
    """
    names = cluster_names if cluster_names is not None else pd.Series(dtype=object)
    sentences = []
    for cluster, row in agreement.dominant.iterrows():
        name = names.get(cluster, "")
        sentences.append(t("cluster_vs_segment_dominant", lang, cluster=cluster,
                           persona=f" ({name})" if name else "", segment=row["segment"],
                           share=format_percent(row["share"], 0, lang)))
    parts = ", ".join(f"{c} ({format_percent(s, 0, lang)})" for c, s in agreement.split_parts.items())
    sentences.append(t("cluster_vs_segment_split", lang, segment=agreement.most_split, parts=parts))
    return sentences


def agreement_sentence(agreement: SegmentAgreement, lang: str = "en") -> str:
    """The adjusted Rand index and adjusted mutual information in one sentence."""
    return t("cluster_vs_segment_ari", lang, ari=format_number(agreement.ari, 2, lang),
             ami=format_number(agreement.ami, 2, lang))
