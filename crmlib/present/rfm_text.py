"""The words of the RFM segments (notebooks 02–05): names, descriptions, programmes and 4R labels.

The segment texts are data of the rules file (``rfm_segments.yaml``, ``{en: …, id: …}`` on each
:class:`crmlib.rfm.segments.Segment`); this module picks them in the run's language, and words
the rest from the labels (``crmlib/labels/rfm.yaml``). Computing lives in :mod:`crmlib.rfm.segments`.
"""
from __future__ import annotations

import pandas as pd

from crmlib.i18n import check_lang, t
from crmlib.rfm.segments import NO_LONGER, NOT_YET, SegmentRules

#: What a segment has words for, each a ``{lang: text}`` field of the Segment.
SEGMENT_TEXTS = ("label", "description", "programme")
#: The migration's rows and columns that are no segment, and their labels.
_NOT_SEGMENTS = {NOT_YET: "rfm_not_yet", NO_LONGER: "rfm_no_longer"}


def segment_text(rules: SegmentRules, name: str, what: str, lang: str = "en") -> str:
    """``label``, ``description`` or ``programme`` of the segment ``name`` in ``lang`` (English
    when the rules file has no text in ``lang``); the migration's "not yet" and "no longer a
    customer" are labelled too."""
    if name in _NOT_SEGMENTS:
        return t(_NOT_SEGMENTS[name], lang)
    if what not in SEGMENT_TEXTS:
        raise ValueError(f"a segment's text is {', '.join(SEGMENT_TEXTS[:-1])} or {SEGMENT_TEXTS[-1]}, "
                         f"not {what!r}.")
    texts = getattr(rules[name], what)
    return texts.get(check_lang(lang)) or texts["en"]


def segment_label(rules: SegmentRules, name: str, lang: str = "en") -> str:
    """The segment's name for people: ``Champions`` / ``Juara``."""
    return segment_text(rules, name, "label", lang)


def four_r_label(r_of_4r: str, lang: str = "en") -> str:
    """A segment's R of the 4R frame in ``lang``: ``Recovery`` / ``Recovery (memenangkan kembali)``."""
    return t(f"rfm_4r_{str(r_of_4r).lower()}", lang)


def rules_table(rules: SegmentRules, lang: str = "en") -> pd.DataFrame:
    """One row per segment in value order: segment, label, r_of_4r, r_of_4r_label, description,
    programme (texts in ``lang``)."""
    return pd.DataFrame([{
        "segment": name, "label": segment_label(rules, name, lang),
        "r_of_4r": rules[name].r_of_4r, "r_of_4r_label": four_r_label(rules[name].r_of_4r, lang),
        "description": segment_text(rules, name, "description", lang),
        "programme": segment_text(rules, name, "programme", lang)} for name in rules.names])


def with_segment_texts(summary: pd.DataFrame, rules: SegmentRules, lang: str = "en") -> pd.DataFrame:
    """:func:`crmlib.rfm.segments.segment_summary` with each segment's label (after ``segment``)
    and programme (last) in ``lang``: the export ``segment_summary.csv``."""
    out = summary.copy()
    out.insert(out.columns.get_loc("segment") + 1, "label",
               [segment_label(rules, s, lang) for s in out["segment"]])
    out["programme"] = [segment_text(rules, s, "programme", lang) for s in out["segment"]]
    return out
