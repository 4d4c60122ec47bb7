"""Notebook 01 for people: the tables, action titles and one-line conclusions, in the run's language.

The computing modules (:mod:`~crmlib.profile.database`, :mod:`~crmlib.profile.quality`,
:mod:`~crmlib.profile.cohorts`) return plain numbers; this module words and formats them
(numbers through :mod:`crmlib.present.numbers`, tables through :func:`crmlib.present.tables.show_table`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.i18n import labels, t
from crmlib.present.numbers import format_count, format_money, format_number, format_percent
from crmlib.present.tables import show_table
from crmlib.profile.cohorts import AVERAGE_YEARLY_RETENTION, headline_retention
from crmlib.profile.database import SLIDE_ROWS, profile_table


def _pct(x, lang: str) -> str:
    return format_percent(x, 0, lang)


def field_label(field: str, lang: str = "en") -> str:
    """A customer-file column in words (``birth_date`` → "Birth date" / "Tanggal lahir")."""
    key = f"profile_field_{field}"
    return t(key, lang) if key in labels() else str(field).replace("_", " ").capitalize()


def category_label(category: str, lang: str = "en") -> str:
    return t(f"profile_category_{category}", lang)


def month_name(month: int, lang: str = "en") -> str:
    """Short calendar-month name (1 → Jan; Indonesian May is Mei)."""
    return t("profile_month_names", lang).split()[int(month) - 1]


def period_label(period: str, lang: str = "en") -> str:
    """``2024Q3`` → "Q3 2024" / "K3 2024"; a year stays as it is."""
    text = str(period)
    if "Q" in text:
        year, quarter = text.split("Q")
        return t("profile_quarter_label", lang, year=year, quarter=quarter)
    return text


# ------------------------------------------------------------------ tables

def slide_table(figures: dict, lang: str = "en"):
    """The profile slide: what, how many, share of the customers on file."""
    table = profile_table(figures)
    names = {key: name for key, name, _ in SLIDE_ROWS}
    missing = t("not_available", lang)
    shown = pd.DataFrame({
        "metric": [t(names[m], lang, days=figures.get("active_window_days")) for m in table["metric"]],
        "count": ["" if m.startswith("share_") else missing if pd.isna(c) else int(c)
                  for m, c in zip(table["metric"], table["count"])],
        "share": [missing if pd.isna(v) else float(v) for v in table["share"]],
    })
    return show_table(shown, lang, kinds={"count": "count", "share": "percent", "metric": "text"},
                      headers={"metric": t("metric", lang), "count": t("customers", lang),
                               "share": t("share", lang)}, decimals={"share": 0})


def slide_labels(figures: dict, lang: str = "en") -> list[str]:
    """The slide's row labels (for the chart)."""
    names = {key: name for key, name, _ in SLIDE_ROWS}
    return [t(names[m], lang, days=figures.get("active_window_days")) for m in profile_table(figures)["metric"]]


def completeness_table(fields: pd.DataFrame, lang: str = "en"):
    """Completeness per field: category, field, in the file (yes/no), share filled."""
    shown = pd.DataFrame({
        "category": [category_label(c, lang) for c in fields["category"]],
        "field": [field_label(f, lang) for f in fields["field"]],
        "present": fields["present"].astype(bool).to_numpy(),
        "filled": [s if p else None for s, p in zip(fields["share_filled"], fields["present"])],
    })
    return show_table(shown, lang, kinds={"filled": "percent"}, decimals={"filled": 0}, max_rows=None,
                      headers={"category": t("profile_category", lang), "field": t("profile_field", lang),
                               "present": t("profile_present", lang), "filled": t("profile_filled", lang)})


def completeness_rows(matrix: pd.DataFrame, lang: str = "en") -> list[str]:
    """Row labels of :func:`~crmlib.profile.database.completeness_matrix`: "Contact · Phone"."""
    return [f"{category_label(c, lang)} · {field_label(f, lang)}" for c, f in matrix.index]


def finding(check: str, field, lang: str = "en") -> str:
    return t(f"profile_check_{check}", lang, field=field_label(field, lang) if field else "")


def alerts_table(alerts: pd.DataFrame, lang: str = "en", max_rows: int = 12, more_in: str | None = None):
    """Data-quality findings: severity, finding, how many, share, what to do."""
    shown = pd.DataFrame({
        "severity": [t(f"profile_severity_{s}", lang) for s in alerts["severity"]],
        "finding": [finding(c, f, lang) for c, f in zip(alerts["check"], alerts["field"])],
        "count": alerts["count"].to_numpy(),
        "share": alerts["share"].to_numpy(),
        "advice": [t(f"profile_advice_{c}", lang, field=field_label(f, lang) if f else "")
                   for c, f in zip(alerts["check"], alerts["field"])],
    })
    return show_table(shown, lang, kinds={"count": "count", "share": "percent"}, max_rows=max_rows,
                      more_in=more_in,
                      headers={"severity": t("profile_severity", lang), "finding": t("profile_finding", lang),
                               "count": t("count", lang), "share": t("share", lang),
                               "advice": t("profile_advice", lang)})


def duplicates_table(masked: pd.DataFrame, lang: str = "en", max_rows: int = 10, more_in: str | None = None):
    """Shared phones and emails (already masked): which contact, shared by how many ids, which ids."""
    shown = pd.DataFrame({"key": [field_label(k, lang) for k in masked["key"]], "value": masked["value"].to_numpy(),
                          "n_ids": masked["n_ids"].to_numpy(), "customer_ids": masked["customer_ids"].to_numpy()})
    return show_table(shown, lang, max_rows=max_rows, more_in=more_in, kinds={"n_ids": "count"},
                      headers={"key": t("profile_shared_kind", lang), "value": t("profile_shared_contact", lang),
                               "n_ids": t("profile_n_ids", lang), "customer_ids": t("profile_customer_ids", lang)})


def gaps_table(gaps: pd.DataFrame, lang: str = "en"):
    """The longest periods without any transaction."""
    return show_table(gaps[["from", "to", "days"]], lang, kinds={"from": "date", "to": "date", "days": "count"},
                      headers={"from": t("profile_gap_start", lang), "to": t("profile_gap_end", lang),
                               "days": t("profile_gap_days", lang)})


def retention_table(retention: pd.DataFrame, lang: str = "en"):
    """Period-over-period retention (partial periods marked)."""
    partial = f" ({t('profile_partial', lang)})"
    shown = pd.DataFrame({
        "period": [f"{period_label(p, lang)} → {period_label(n, lang)}" + ("" if c else partial)
                   for p, n, c in zip(retention["period"], retention["next_period"], retention["complete"])],
        "active": retention["active"].to_numpy(), "retained": retention["retained"].to_numpy(),
        "rate": retention["retention_rate"].to_numpy(),
    })
    return show_table(shown, lang, kinds={"active": "count", "retained": "count", "rate": "percent"},
                      headers={"period": t("profile_period", lang), "active": t("profile_active", lang),
                               "retained": t("profile_retained", lang), "rate": t("profile_rate", lang)})


# ------------------------------------------------------------------ sentences

def so_what_slide(figures: dict, lang: str = "en") -> str:
    """Under the slide: who can be reached and who is buying."""
    total = figures["customers_total"] or np.nan
    active = _pct(figures["customers_active"] / total, lang)
    if figures.get("customers_contactable") is None:
        return t("profile_sowhat_slide_no_customers", lang, active=active, days=figures["active_window_days"])
    return t("profile_sowhat_slide", lang, contactable=_pct(figures["customers_contactable"] / total, lang),
             active=active, days=figures["active_window_days"])


def weakest_field(fields: pd.DataFrame):
    present = fields.loc[fields["present"]]
    if present.empty:
        return None
    return present.sort_values(["share_filled", "field"], kind="mergesort").iloc[0]


def so_what_completeness(fields: pd.DataFrame, lang: str = "en") -> str:
    """The least filled field and the expected fields the file lacks."""
    absent = ", ".join(field_label(f, lang) for f in fields.loc[~fields["present"], "field"]) \
        or t("profile_none", lang)
    weakest = weakest_field(fields)
    if weakest is None:
        return t("profile_sowhat_completeness", lang, field=t("profile_none", lang), share="–", absent=absent)
    return t("profile_sowhat_completeness", lang, field=field_label(weakest["field"], lang),
             share=_pct(weakest["share_filled"], lang), absent=absent)


def so_what_quality(alerts: pd.DataFrame, lang: str = "en") -> str:
    """How many high and medium findings, and what to do first."""
    if alerts.empty:
        return t("profile_no_alerts", lang)
    counts = alerts["severity"].value_counts()
    return t("profile_sowhat_quality", lang, high=int(counts.get("high", 0)), medium=int(counts.get("medium", 0)))


def outlier_sentence(low: float, high: float, currency: str, lang: str = "en") -> str:
    return t("profile_outlier_fences", lang, low=format_money(low, currency, lang), high=format_money(high, currency, lang))


def season_index(value: float, lang: str = "en") -> str:
    """A month's revenue relative to an average month, as the title and its text both say it."""
    return format_number(value, 1, lang)


def so_what_trends(trends: pd.DataFrame, season: pd.DataFrame, lang: str = "en") -> str:
    """The peak and low calendar months and the share of returning buyers lately."""
    complete = trends.loc[trends["complete"] & (trends["active_customers"] > 0)]
    if season.empty or complete.empty:
        return ""
    peak = season.loc[season["index"].idxmax()]
    low = season.loc[season["index"].idxmin()]
    last = complete.iloc[-1]
    return t("profile_sowhat_trends", lang, peak=month_name(peak["calendar_month"], lang),
             index=season_index(peak["index"], lang), low=month_name(low["calendar_month"], lang),
             returning=_pct(last["returning_customers"] / last["active_customers"], lang))


def so_what_active(trends: pd.DataFrame, lang: str = "en") -> str:
    """Under the new/returning chart: how much of the last complete month came back."""
    complete = trends.loc[trends["complete"] & (trends["active_customers"] > 0)]
    if complete.empty:
        return ""
    last = complete.iloc[-1]
    return t("profile_sowhat_active", lang, returning=_pct(last["returning_customers"] / last["active_customers"], lang),
             new=format_count(last["new_customers"], lang))


def so_what_aov(trends: pd.DataFrame, currency: str, lang: str = "en") -> str:
    """Under the order-value chart: its range over the complete months."""
    complete = trends.loc[trends["complete"] & (trends["orders"] > 0)]
    if complete.empty:
        return ""
    values = complete["average_order_value"]
    return t("profile_sowhat_aov", lang, low=format_money(values.min(), currency, lang),
             high=format_money(values.max(), currency, lang), mean=format_money(values.mean(), currency, lang))


def month1_retention(matrix: pd.DataFrame) -> float:
    """Mean share of a cohort buying again one month after its first purchase."""
    return float(matrix[1].mean()) if 1 in matrix else float("nan")


def so_what_retention(yearly: pd.DataFrame, matrix: pd.DataFrame, lang: str = "en") -> str:
    """The headline yearly retention against the benchmark, and month-1 cohort retention."""
    headline = headline_retention(yearly)
    if headline is None:
        return t("profile_sowhat_retention_none", lang)
    period, next_period, rate, complete = headline
    partial = "" if complete else f" ({t('profile_partial', lang)})"
    return t("profile_sowhat_retention", lang, year=period + partial, next=next_period, rate=_pct(rate, lang),
             benchmark=_pct(AVERAGE_YEARLY_RETENTION, lang), month1=_pct(month1_retention(matrix), lang))


def so_what_cohorts(matrix: pd.DataFrame, lang: str = "en") -> str:
    """Under the cohort heatmap: month 1 keeps few, the rest is a slow tail."""
    month1 = month1_retention(matrix)
    if not np.isfinite(month1):
        return ""
    late = [c for c in matrix.columns if isinstance(c, (int, np.integer)) and c >= 6]
    tail = float(np.nanmean(matrix[late].to_numpy(dtype=float))) if late else float("nan")
    return t("profile_sowhat_cohorts", lang, month1=_pct(month1, lang),
             later=_pct(tail, lang) if np.isfinite(tail) else "–")


def key_messages(figures: dict, yearly_retention: pd.DataFrame | None = None, alerts: pd.DataFrame | None = None,
                 lang: str = "en", limit: int = 5) -> list[str]:
    """Three to five sentences summarising the profile for the room, in ``lang``.

    Built from the profile figures, the yearly retention table (the last complete pair of years
    is quoted; a partial one is marked) and the data-quality alerts; a sentence is skipped when
    its figures are missing. Figures are in ``**bold**``.
    """
    def pct(x):
        return f"**{_pct(x, lang)}**"

    total = figures["customers_total"]
    messages = [t("profile_msg_base", lang, total=f"**{format_count(total, lang)}**",
                  active=format_count(figures["customers_active"], lang),
                  share=pct(figures["customers_active"] / total if total else np.nan),
                  days=figures["active_window_days"])]
    if figures.get("customers_contactable") is not None and total:
        def share(key):
            value = figures.get(key)
            return t("not_available", lang) if value is None else pct(value / total)
        messages.append(t("profile_msg_contact", lang, email=share("customers_with_email"),
                          phone=share("customers_with_phone"),
                          none=pct(1 - figures["customers_contactable"] / total)))
    elif figures.get("customers_in_file") is not None:
        messages.append(t("profile_msg_no_contact_columns", lang))
    else:
        messages.append(t("profile_msg_no_customers", lang))
    if figures.get("share_repeat") is not None:
        messages.append(t("profile_msg_repeat", lang, repeat=pct(figures["share_repeat"]),
                          once=pct(1 - figures["share_repeat"])))
    headline = None if yearly_retention is None else headline_retention(yearly_retention)
    if headline is not None:
        year, next_year, rate, complete = headline
        key = "profile_msg_retention_below" if rate < AVERAGE_YEARLY_RETENTION else "profile_msg_retention_above"
        partial = "" if complete else f" ({t('profile_partial', lang)})"
        messages.append(t(key, lang, year=year + partial, next=next_year, rate=pct(rate),
                          benchmark=_pct(AVERAGE_YEARLY_RETENTION, lang)))
    if alerts is not None and len(alerts):
        high = alerts.loc[alerts["severity"] == "high"]
        if len(high):
            messages.append(t("profile_msg_quality", lang, n=f"**{len(high)}**"))
    if figures.get("share_female") is not None:
        messages.append(t("profile_msg_gender", lang, female=pct(figures["share_female"]),
                          male=pct(figures["share_male"])))
    return messages[:max(3, min(limit, 5))]


def headline_kpis(figures: dict, yearly: pd.DataFrame, alerts: pd.DataFrame, lang: str = "en") -> list[tuple[str, str]]:
    """Four or five (label, value) tiles for the executive summary."""
    total = figures["customers_total"]
    kpis = [(t("profile_kpi_customers", lang), format_count(total, lang))]
    if figures.get("customers_contactable") is not None and total:
        kpis.append((t("profile_kpi_contactable", lang), _pct(figures["customers_contactable"] / total, lang)))
    kpis.append((t("profile_kpi_active", lang, days=figures["active_window_days"]),
                 _pct(figures["customers_active"] / total if total else np.nan, lang)))
    if figures.get("share_repeat") is not None:
        kpis.append((t("profile_kpi_repeat", lang), _pct(figures["share_repeat"], lang)))
    headline = headline_retention(yearly)
    if headline is not None:
        kpis.append((t("profile_kpi_retention", lang, year=headline[0], next=headline[1]), _pct(headline[2], lang)))
    return kpis[:5]


def section_titles(figures: dict, fields: pd.DataFrame, alerts: pd.DataFrame, trends: pd.DataFrame,
                   season: pd.DataFrame, yearly: pd.DataFrame, lang: str = "en") -> dict[str, str]:
    """The action titles of the five sections, with their numbers."""
    total = figures["customers_total"] or np.nan
    titles = {}
    if figures.get("customers_contactable") is not None:
        titles["slide"] = t("profile_title_slide", lang, contactable=_pct(figures["customers_contactable"] / total, lang),
                            active=_pct(figures["customers_active"] / total, lang), days=figures["active_window_days"])
    else:
        titles["slide"] = t("profile_title_slide_no_customers", lang, active=_pct(figures["customers_active"] / total, lang),
                            days=figures["active_window_days"])
    weakest = weakest_field(fields) if len(fields) else None
    titles["completeness"] = t("profile_title_completeness_none", lang) if weakest is None else \
        t("profile_title_completeness", lang, field=field_label(weakest["field"], lang),
          share=_pct(weakest["share_filled"], lang))
    high = int((alerts["severity"] == "high").sum()) if len(alerts) else 0
    if not len(alerts):
        titles["quality"] = t("profile_title_quality_none", lang)
    else:
        key = "profile_title_quality" if high else "profile_title_quality_no_high"
        titles["quality"] = t(key, lang, high=format_count(high, lang), total=format_count(len(alerts), lang))
    if len(season):
        peak = season.loc[season["index"].idxmax()]
        titles["trends"] = t("profile_title_trends", lang, peak=month_name(peak["calendar_month"], lang),
                             index=season_index(peak["index"], lang))
    else:
        titles["trends"] = t("profile_title_trends_none", lang)
    headline = headline_retention(yearly)
    if headline is None:
        titles["retention"] = t("profile_title_retention_none", lang)
    else:
        key = "profile_title_retention" if headline[2] < AVERAGE_YEARLY_RETENTION else "profile_title_retention_above"
        titles["retention"] = t(key, lang, rate=_pct(headline[2], lang), year=headline[0], next=headline[1],
                                benchmark=_pct(AVERAGE_YEARLY_RETENTION, lang))
    return titles


def heading(number: int, title: str) -> str:
    """A numbered section heading (the report's contents are built from these)."""
    return f"## {number}. {title}"
