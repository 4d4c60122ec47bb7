"""Notebook 02 for people: the tables, action titles and one-line conclusions, in the run's language.

Segment names come from the rules file (``rfm_segments.yaml``: the one place where segment names
live, in English and Bahasa Indonesia, used by notebooks 02–05 alike) through
:mod:`crmlib.present.rfm_text`; every other word from the labels. Numbers are formatted by :mod:`crmlib.present.numbers`, tables shown by
:func:`crmlib.present.tables.show_table`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.i18n import t
from crmlib.present.numbers import format_count, format_money, format_number, format_percent
from crmlib.present.rfm_text import four_r_label, segment_label, segment_text
from crmlib.present.tables import show_table
from crmlib.rfm.segments import SegmentRules


def tier_label(tier: str, lang: str = "en") -> str:
    return t(f"rfm_tier_{str(tier).lower()}", lang)


def _pct(x, lang: str, decimals: int = 0) -> str:
    return format_percent(x, decimals, lang)


# ------------------------------------------------------------------ tables

def summary_table(summary: pd.DataFrame, lang: str = "en", currency: str = "IDR"):
    """The customer summary: quartiles and median of recency, frequency, spend and tenure."""
    rows = []
    for column in ("recency_days", "frequency", "monetary_total", "monetary_mean", "tenure_days"):
        q1, median, q3 = summary[column].astype(float).quantile([0.25, 0.5, 0.75])
        money = column.startswith("monetary")
        show = (lambda v: format_money(v, currency, lang, short=False)) if money else \
            (lambda v: format_number(v, 0, lang))
        rows.append((t(column, lang), show(q1), show(median), show(q3)))
    frame = pd.DataFrame(rows, columns=["metric", "q1", "median", "q3"])
    return show_table(frame, lang, kinds={"metric": "text", "q1": "money", "median": "money", "q3": "money"},
                      headers={"metric": t("metric", lang), "q1": t("rfm_quartile_low", lang),
                               "median": t("rfm_median", lang), "q3": t("rfm_quartile_high", lang)})


def score_preview(table: pd.DataFrame, rules: SegmentRules, lang: str = "en", rows: int = 5):
    """A few customers with their scores, code, segment and tier (how to read a score)."""
    head = table.head(rows)
    frame = pd.DataFrame({"customer_id": head["customer_id"].to_numpy(), "R": head["R"].to_numpy(),
                          "F": head["F"].to_numpy(), "M": head["M"].to_numpy(), "RFM": head["RFM"].astype(str).to_numpy(),
                          "segment": [segment_label(rules, s, lang) for s in head["segment"]],
                          "tier": [tier_label(x, lang) for x in head["tier"]]})
    return show_table(frame, lang, kinds={"customer_id": "text", "RFM": "text", "R": "text", "F": "text", "M": "text"},
                      headers={"customer_id": t("customer", lang), "R": "R", "F": "F", "M": "M",
                               "RFM": t("rfm_code", lang), "segment": t("rfm_segment", lang), "tier": t("rfm_tier", lang)})


def programme_table(segments: pd.DataFrame, rules: SegmentRules, lang: str = "en"):
    """Each segment: its R of the 4R frame, customers, who they are and the programme (never cut)."""
    frame = pd.DataFrame({
        "segment": [segment_label(rules, s, lang) for s in segments["segment"]],
        "r_of_4r": [four_r_label(rules[s].r_of_4r, lang) for s in segments["segment"]],
        "customers": segments["customers"].to_numpy(),
        "description": [segment_text(rules, s, "description", lang) for s in segments["segment"]],
        "programme": [segment_text(rules, s, "programme", lang) for s in segments["segment"]],
    })
    return show_table(frame, lang, max_rows=None,
                      headers={"segment": t("rfm_segment", lang), "r_of_4r": t("rfm_r_of_4r", lang),
                               "customers": t("rfm_customers", lang), "description": t("rfm_description", lang),
                               "programme": t("rfm_programme", lang)})


def _size_headers(lang: str) -> dict:
    """Headers of the size columns segment and tier tables share: customers, revenue and their shares."""
    return {"customers": t("rfm_customers", lang), "customer_share": t("rfm_customer_share", lang),
            "revenue": t("rfm_revenue", lang), "revenue_share": t("rfm_revenue_share", lang)}


def segment_table(segments: pd.DataFrame, rules: SegmentRules, lang: str = "en", currency: str = "IDR"):
    """Per segment: customers, revenue, their shares and the mean spend per customer (the means of
    recency and frequency are in the exported segment summary)."""
    frame = segments[["segment", "customers", "customer_share", "revenue", "revenue_share", "monetary_mean"]].copy()
    frame["segment"] = [segment_label(rules, s, lang) for s in frame["segment"]]
    return show_table(frame, lang, max_rows=None, currency=currency,
                      kinds={"customer_share": "percent", "revenue": "money_short", "revenue_share": "percent",
                             "monetary_mean": "money_short"},
                      headers={"segment": t("rfm_segment", lang), **_size_headers(lang),
                               "monetary_mean": t("rfm_monetary_mean", lang)})


def tier_table(tiers: pd.DataFrame, lang: str = "en", currency: str = "IDR"):
    """Per tier: customers, revenue, shares, the smallest spend in the tier and its programme."""
    frame = tiers[["tier", "customers", "customer_share", "revenue", "revenue_share", "min_revenue"]].copy()
    frame["programme"] = [t(f"rfm_tier_programme_{x.lower()}", lang) for x in frame["tier"]]
    frame["tier"] = [tier_label(x, lang) for x in frame["tier"]]
    return show_table(frame, lang, max_rows=None, currency=currency,
                      kinds={"customer_share": "percent", "revenue": "money", "revenue_share": "percent",
                             "min_revenue": "money"},
                      headers={"tier": t("rfm_tier", lang), **_size_headers(lang),
                               "min_revenue": t("rfm_min_revenue", lang), "programme": t("rfm_programme", lang)})


def moves_table(moves: pd.DataFrame, lang: str = "en"):
    """How many customers moved up, stayed, slipped, are new or stopped buying."""
    order = ["up", "same", "down", "new", "lost"]
    counts = moves["move"].value_counts().reindex(order).dropna().astype(int)
    frame = pd.DataFrame({"move": [t(f"rfm_move_{m}", lang) for m in counts.index], "customers": counts.to_numpy(),
                          "share": counts.to_numpy() / max(len(moves), 1)})
    return show_table(frame, lang, kinds={"share": "percent"}, decimals={"share": 0},
                      headers={"move": t("rfm_move", lang), "customers": t("rfm_customers", lang),
                               "share": t("share", lang)})


def slipping_table(slipping: pd.DataFrame, rules: SegmentRules, lang: str = "en", currency: str = "IDR",
                   max_rows: int = 10, more_in: str | None = None):
    """The call list: the biggest high-value customers who slipped, where from and where to."""
    frame = pd.DataFrame({
        "customer_id": slipping["customer_id"].to_numpy(),
        "before": [segment_label(rules, s, lang) for s in slipping["segment_before"]],
        "now": [segment_label(rules, s, lang) for s in slipping["segment_now"]],
        "revenue": slipping["revenue_now"].to_numpy(),
    })
    return show_table(frame, lang, max_rows=max_rows, more_in=more_in, currency=currency,
                      kinds={"customer_id": "text", "revenue": "money"},
                      headers={"customer_id": t("customer", lang), "before": t("rfm_segment_before", lang),
                               "now": t("rfm_segment_now", lang), "revenue": t("rfm_revenue", lang)})


def matrix_table(matrix: pd.DataFrame, rules: SegmentRules, lang: str = "en"):
    """The migration matrix: one row per earlier segment, one column per segment now."""
    frame = matrix.copy()
    frame.columns = [segment_label(rules, c, lang) for c in frame.columns]
    frame.insert(0, "before", [segment_label(rules, r, lang) for r in frame.index])
    return show_table(frame.reset_index(drop=True), lang, max_rows=None,
                      kinds={c: "count" for c in frame.columns if c != "before"},
                      headers={"before": t("rfm_segment_before", lang)})


def campaign_table(counts: pd.DataFrame, channels, rules: SegmentRules, lang: str = "en"):
    """Per segment: members, how many can be reached, and by which channel."""
    frame = pd.DataFrame({"group": [segment_label(rules, s, lang) for s in counts["group"]],
                          "members": counts["members"].to_numpy(), "reachable": counts["reachable"].to_numpy()})
    for channel in channels:
        frame[channel] = counts[channel].to_numpy() if channel in counts else 0
    headers = {"group": t("rfm_segment", lang), "members": t("rfm_members", lang),
               "reachable": t("rfm_reachable", lang),
               **{c: t(f"campaign_channel_{c}", lang) for c in channels}}
    return show_table(frame, lang, max_rows=None, kinds={c: "count" for c in ["members", "reachable", *channels]},
                      headers=headers)


def campaign_preview(masked: pd.DataFrame, rules: SegmentRules, lang: str = "en", rows: int = 5):
    """A few lines of the campaign lists, personal data masked."""
    head = masked.head(rows)
    frame = pd.DataFrame({"group": [segment_label(rules, s, lang) for s in head["group"]],
                          "channel": [t(f"campaign_channel_{c}", lang) for c in head["channel"]],
                          "customer_id": head["customer_id"].to_numpy(), "name": head["name"].to_numpy(),
                          "phone": head["phone"].to_numpy(), "email": head["email"].to_numpy()})
    return show_table(frame, lang, kinds={c: "text" for c in frame.columns},
                      headers={"group": t("rfm_segment", lang), "channel": t("rfm_axis_channel", lang),
                               "customer_id": t("customer", lang), "name": t("rfm_name", lang),
                               "phone": t("rfm_phone", lang), "email": t("rfm_email", lang)})


# ------------------------------------------------------------------ sentences

def _values(figures: dict, rules: SegmentRules, lang: str) -> dict:
    values = {}
    for key, value in figures.items():
        if key == "top_segment":
            values[key] = segment_label(rules, value, lang)
        elif key.endswith("_share"):
            values[key] = _pct(value, lang)
        elif key.startswith("spend_ratio"):
            values[key] = format_number(value, 1, lang)
        elif isinstance(value, (int, np.integer)):
            values[key] = format_count(value, lang)
        else:
            values[key] = value
    return values


def conclusion(topic: str, figures: dict, rules: SegmentRules, lang: str = "en") -> str:
    """The one-line "so what" of a chart (label ``rfm_sowhat_<topic>``) filled with ``figures``."""
    return t(f"rfm_sowhat_{topic}", lang, **_values(figures, rules, lang))


def section_titles(figures: dict, rules: SegmentRules, lang: str = "en") -> dict[str, str]:
    """Action titles of the sections (label ``rfm_title_<topic>``), with their numbers."""
    values = _values(figures, rules, lang)
    topics = ["scores", "segments", "heatmap", "tiers"]
    topics += ["migration"] if "moved_up" in figures else []
    topics += ["campaigns"] if "campaign_members" in figures else []
    return {topic: t(f"rfm_title_{topic}", lang, **values) for topic in topics}


def headline_kpis(figures: dict, n_customers: int, total_revenue: float, rules: SegmentRules, lang: str = "en",
                  currency: str = "IDR") -> list[tuple[str, str]]:
    """Four or five tiles for the executive summary."""
    kpis = [(t("rfm_kpi_customers", lang), format_count(n_customers, lang)),
            (t("rfm_kpi_revenue", lang), format_money(total_revenue, currency, lang)),
            (t("rfm_kpi_top_segment", lang, segment=segment_label(rules, figures["top_segment"], lang)),
             _pct(figures["top_segment_revenue_share"], lang)),
            (t("rfm_kpi_platinum", lang), _pct(figures["platinum_revenue_share"], lang))]
    if "campaign_reachable_share" in figures and figures.get("campaign_members"):
        kpis.append((t("rfm_kpi_reachable", lang), _pct(figures["campaign_reachable_share"], lang)))
    elif "slipping_high_value" in figures:
        kpis.append((t("rfm_kpi_slipping", lang), format_count(figures["slipping_high_value"], lang)))
    return kpis


def key_messages(figures: dict, rules: SegmentRules, lang: str = "en") -> list[str]:
    """Three to five messages for the executive summary (label ``rfm_msg_<topic>``)."""
    values = {k: f"**{v}**" if k != "top_segment" else v for k, v in _values(figures, rules, lang).items()}
    topics = ["segments", "tiers", "scores"]
    topics += ["migration"] if "slipping_high_value" in figures else []
    topics += ["campaigns"] if figures.get("campaign_members") else []
    return [t(f"rfm_msg_{topic}", lang, **values) for topic in topics][:5]
