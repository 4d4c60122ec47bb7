"""The words of the lifetime-value report (notebook 05): titles, sentences, notes and key figures.

Computing lives in :mod:`crmlib.ltv`; this module only words and formats its plain numbers in
the run's language (labels in ``crmlib/labels/ltv.yaml``). Every sentence states what the
figures say: a shrinking base is called shrinking, an example is called an example.
"""
from __future__ import annotations

import math
import re

import pandas as pd

from crmlib.present.numbers import format_date, format_money, format_number, format_percent
from crmlib.i18n import t
from crmlib.ltv.fitting import PURCHASE_MODELS, CLVFit, ModelFits
from crmlib.ltv.scenarios import LTV_FORMULA, LTVInputs, LTVResult
from crmlib.ltv.segment_value import NO_SEGMENT

#: The practitioners' rule of thumb for LTV : CAC.
CAC_RULE_OF_THUMB = 3.0


def slide_title(heading: str) -> str:
    """A section heading (``## 3. Action title``) as a slide's action title (``Action title``)."""
    return re.sub(r"^#+\s*(\d+\.\s+)?", "", heading).strip()


def model_name(name: str, lang: str) -> str:
    return t(f"ltv_series_{name}", lang)


def significant(value: float, lang: str = "en", digits: int = 4) -> str:
    """A model estimate to ``digits`` significant digits, never in scientific notation (``222,437``, ``0.3468``)."""
    if value is None or not math.isfinite(value):
        return "–"
    magnitude = math.floor(math.log10(abs(value))) if value else 0
    return format_number(value, max(0, digits - 1 - magnitude), lang)


def _pct(share, lang, decimals=0):
    return format_percent(share, decimals, lang)


def _setting_pct(share, lang):
    """A parameter's share as a percent, with one decimal only when it has one (10 %, 12.5 %)."""
    return _pct(share, lang, 0 if round(share * 100, 6).is_integer() else 1)


def _count(value, lang):
    return format_number(value, 0, lang)


# --------------------------------------------------------------------------- model notes
def model_notes(fits: ModelFits, period: str, lang: str = "en", detail: bool = False) -> str:
    """One sentence per model that could not be fitted (``period``: "calibration" or "full").

    ``detail`` gives the technical reason instead (for the appendix).
    """
    where = t(f"ltv_fit_on_{period}", lang)
    key = "ltv_note_model_failed_detail" if detail else "ltv_note_model_failed"
    return "\n\n".join(t(key, lang, model=model_name(name, lang), period=where, reason=message)
                       for name, message in fits.failures.items())


def clv_note(clv: CLVFit, calibration_fits: ModelFits | None = None, lang: str = "en") -> str:
    """What the report says about the CLV's model: failures, fallback, unchecked model."""
    parts = [model_notes(clv.fits, "full", lang)] if clv.fits.failures else []
    if not clv.ok:
        missing = [model_name(n, lang) for n in clv.fits.failures]
        parts.append(t("ltv_note_clv_scenario", lang, missing=", ".join(missing)))
        return "\n\n".join(parts)
    if clv.model != clv.preferred:
        parts.append(t("ltv_note_clv_model", lang, model=model_name(clv.model, lang),
                       preferred=model_name(clv.preferred, lang)))
    if calibration_fits is not None and clv.model not in calibration_fits.models:
        parts.append(t("ltv_note_clv_unchecked", lang, model=model_name(clv.model, lang)))
    return "\n\n".join(p for p in parts if p)


def clv_method_text(clv: CLVFit, horizon_months: int, margin: float, annual_discount_rate: float,
                    n_draws: int, lang: str = "en") -> str:
    """The appendix's "how the CLV is computed": the model used, the horizon, margin, discount
    rate and how the band was computed, with their figures (and parameter names)."""
    used = clv.model if clv.ok else clv.preferred
    method = t("ltv_md_clv_method", lang, model=model_name(used, lang), preferred=model_name(clv.preferred, lang),
               horizon=format_number(horizon_months, 0, lang), margin=_setting_pct(margin, lang),
               rate=_setting_pct(annual_discount_rate, lang))
    band = t(f"ltv_md_clv_band_{clv.band_method or 'draws'}", lang, draws=format_number(n_draws, 0, lang))
    return method + " " + band


def holdout_sentence(actual: float, predicted: dict, duration: float, unit: str, lang: str = "en") -> str:
    """The holdout check for the purchase models that fitted (one or both)."""
    number = lambda v: _count(v, lang)  # noqa: E731
    error = lambda name: _pct(predicted[name] / actual - 1, lang, 1) if actual else "–"  # noqa: E731
    if set(predicted) >= set(PURCHASE_MODELS):
        return t("ltv_sowhat_holdout", lang, weeks=number(duration), unit=unit, actual=number(actual),
                 bgnbd=number(predicted["bgnbd"]), pareto=number(predicted["pareto_nbd"]),
                 bg_error=error("bgnbd"), pareto_error=error("pareto_nbd"))
    return "\n\n".join(t("ltv_sowhat_holdout_one", lang, weeks=number(duration), unit=unit, actual=number(actual),
                         model=model_name(name, lang), predicted=number(value), error=error(name))
                       for name, value in predicted.items())


def trust_sentence(actual: float, predicted: dict, duration: float, unit: str, calibration_end,
                   lang: str = "en") -> str:
    """The holdout check in one plain sentence, for the first purchase model that fitted."""
    name = next((n for n in PURCHASE_MODELS if n in predicted), None)
    if name is None or not actual:
        return ""
    return t("ltv_sowhat_trust", lang, calibration_end=format_date(calibration_end, lang),
             predicted=_count(predicted[name], lang), weeks=_count(duration, lang), unit=unit,
             actual=_count(actual, lang), error=_pct(abs(predicted[name] / actual - 1), lang, 1))


def customer_count_note(valued: int, everyone: int, as_of, lang: str = "en") -> str:
    """Why the CLV counts fewer customers than the other reports (first purchase on the as-of day)."""
    day = format_date(as_of, lang)
    if valued == everyone:
        return t("ltv_note_customer_count_all", lang, n=_count(valued, lang), as_of=day)
    return t("ltv_note_customer_count", lang, n=_count(valued, lang), all=_count(everyone, lang),
             new=_count(everyone - valued, lang), as_of=day)


# --------------------------------------------------------------------------- segments
def segment_label(segment: str, names: dict, lang: str) -> str:
    """A segment as the report shows it: 02's name for an RFM segment, "(no segment)" translated."""
    if segment == NO_SEGMENT:
        return t("ltv_no_segment", lang)
    return names.get(segment, segment)


def named_segments(table: pd.DataFrame, names: dict, lang: str) -> pd.DataFrame:
    """:func:`crmlib.ltv.segment_value.segment_clv`'s table with the segments named for people."""
    return table.assign(segment=[segment_label(s, names, lang) for s in table["segment"]])


def top_segment(table: pd.DataFrame | None) -> pd.Series | None:
    """The segment holding most of the future value (first row of a named segment table)."""
    if table is None or table.empty:
        return None
    return table.sort_values("share_of_value", ascending=False, kind="mergesort").iloc[0]


# --------------------------------------------------------------------------- scenario words
def formula_with_values(inputs: LTVInputs, lang: str = "en") -> str:
    """The LTV formula (TeX for the build-time typesetter) with this scenario's numbers filled in."""
    def number(value, decimals=0):
        return format_number(value, decimals, lang).replace(",", "{,}")

    return (LTV_FORMULA + rf" \quad\text{{{t('ltv_formula_with', lang)}}}\quad "
            + rf"R = {number(inputs.yearly_revenue)},\ m = {number(inputs.margin, 2)},\ "
            + rf"r = {number(inputs.retention, 3)},\ n = {int(inputs.years)},\ "
            + rf"d = {number(inputs.discount_rate, 2)}")


def inputs_rows(inputs: LTVInputs, sources: dict | None = None, currency: str = "IDR",
                lang: str = "en") -> pd.DataFrame:
    """The scenario's inputs as text (each row its own unit) and where each came from."""
    shown = {
        "yearly_revenue": format_money(inputs.yearly_revenue, currency, lang, short=False),
        "margin": _pct(inputs.margin, lang, 1),
        "retention": _pct(inputs.retention, lang, 1),
        "years": _count(inputs.years, lang),
        "discount_rate": _pct(inputs.discount_rate, lang, 1),
        "retention_cost": format_money(inputs.retention_cost, currency, lang, short=False),
    }
    return pd.DataFrame({
        "input": [t(f"ltv_input_{name}", lang) for name in shown],
        "value": list(shown.values()),
        "source": [t(f"ltv_source_{(sources or {}).get(name, 'parameter')}", lang) for name in shown],
    })


def value_rows(result: LTVResult, currency: str = "IDR", lang: str = "en") -> pd.DataFrame:
    """One customer's lifetime value, nominal and worth today, as text rows."""
    money = {"revenue": result.revenue, "profit": result.profit, "revenue_today": result.revenue_today,
             "profit_today": result.profit_today, "net_profit_today": result.net_profit_today}
    rows = [(t(f"ltv_row_{name}", lang), format_money(value, currency, lang, short=False))
            for name, value in money.items()]
    rows.append((t("ltv_row_discount_loss", lang), _pct(result.discount_loss, lang, 1)))
    return pd.DataFrame(rows, columns=["item", "value"])


def projection_direction(projection: pd.DataFrame) -> str:
    """How the last year's active base compares: "grows" (at or above year 1's), "settles"
    (below year 1's, which adds the new customers to today's base, but at or above today's)
    or "shrinks" (below today's active base)."""
    today, first, last = (projection["retained"].iloc[0], projection["active"].iloc[0],
                          projection["active"].iloc[-1])
    return "grows" if last >= first else "settles" if last >= today else "shrinks"


def projection_sentence(projection: pd.DataFrame, uplifted: pd.DataFrame, start: float, new: float,
                        steady: float, points: float, lang: str = "en") -> str:
    """The projection read truthfully: year 1's base, then shrinking or growing towards the steady state."""
    direction = projection_direction(projection)
    return t(f"ltv_sowhat_projection_{direction}", lang, start=_count(start, lang), new=_count(new, lang),
             first=_count(projection["active"].iloc[0], lang), end=_count(projection["active"].iloc[-1], lang),
             years=len(projection), steady=_count(steady, lang) if math.isfinite(steady) else "–",
             points=_count(100 * points, lang), end_uplift=_count(uplifted["active"].iloc[-1], lang))


def cac_sentence(cac: pd.DataFrame, currency: str = "IDR", lang: str = "en") -> str:
    chosen = cac.loc[cac["chosen"]].iloc[0]
    at_ten = cac.loc[cac["multiple"].eq(10.0), "ratio"]
    key = "ltv_sowhat_cac_above" if chosen["ratio"] >= CAC_RULE_OF_THUMB else "ltv_sowhat_cac_below"
    return t(key, lang, multiple=format_number(chosen["multiple"], 1, lang),
             cac=format_money(chosen["cac"], currency, lang), ratio=format_number(chosen["ratio"], 1, lang),
             ratio_10=format_number(at_ten.iloc[0], 1, lang) if len(at_ten) else "–")


def uplift_sentences(uplift: dict, years: int, currency: str = "IDR", lang: str = "en") -> str:
    """What the retention what-if adds, and what it means for this business."""
    head = t("ltv_sowhat_uplift", lang, points=_count(100 * uplift["points"], lang),
             before=_pct(uplift["retention_before"], lang), after=_pct(uplift["retention_after"], lang),
             ltv_change=_pct(uplift["ltv_change"], lang, 1), base_change=_pct(uplift["base_profit_change"], lang, 1),
             base_gain=format_money(uplift["base_profit_after"] - uplift["base_profit_before"], currency, lang),
             years=years, position=t("ltv_position_" + uplift["position"], lang))
    key = "ltv_sowhat_uplift_low" if uplift["position"] == "below" else "ltv_sowhat_uplift_high"
    return head + "\n\n" + t(key, lang, before=_pct(uplift["retention_before"], lang))


# --------------------------------------------------------------------------- titles and summary
def section_titles(clv: CLVFit, segment: pd.Series | None, client_value: LTVResult, inputs: LTVInputs,
                   uplift: dict, cac: pd.DataFrame, projection: pd.DataFrame, horizon: str,
                   currency: str = "IDR", lang: str = "en") -> dict:
    """The action title of each numbered section, with the run's figures."""
    money = lambda v: format_money(v, currency, lang)  # noqa: E731
    chosen = cac.loc[cac["chosen"]].iloc[0]
    titles = {
        "clv": (t("ltv_section_clv", lang, horizon=horizon, total=money(clv.total),
                  top_share=_pct(clv.top20_share, lang)) if clv.ok else t("ltv_section_clv_none", lang)),
        "segments": (t("ltv_section_segments", lang, segment=segment["segment"],
                       value_share=_pct(segment["share_of_value"], lang),
                       customer_share=_pct(segment["share_of_customers"], lang))
                     if segment is not None else t("ltv_section_segments_plain", lang)),
        "ltv": t("ltv_section_ltv", lang, ltv=money(client_value.profit_today), years=inputs.years),
        "uplift": t("ltv_section_uplift", lang, points=_count(100 * uplift["points"], lang),
                    gain=money(uplift["base_profit_after"] - uplift["base_profit_before"])),
        "cac": t("ltv_section_cac", lang, ratio=format_number(chosen["ratio"], 1, lang)),
        "projection": t(f"ltv_section_projection_{projection_direction(projection)}", lang,
                        end=_count(projection["active"].iloc[-1], lang), years=len(projection),
                        start=_count(projection["retained"].iloc[0], lang)),
    }
    return titles


def executive_summary_items(clv: CLVFit, segment: pd.Series | None, client_value: LTVResult,
                            inputs: LTVInputs, uplift: dict, cac: pd.DataFrame, projection: pd.DataFrame,
                            horizon: str, currency: str = "IDR", lang: str = "en"):
    """(KPI tiles, key messages) of the report, already formatted in ``lang``."""
    money = lambda v: format_money(v, currency, lang)  # noqa: E731
    gain = uplift["base_profit_after"] - uplift["base_profit_before"]
    points = _count(100 * uplift["points"], lang)
    kpis = []
    messages = []
    if clv.ok:
        kpis += [(t("ltv_kpi_customers", lang), _count(len(clv.table), lang)),
                 (t("ltv_kpi_clv_total", lang, horizon=horizon), money(clv.total)),
                 (t("ltv_kpi_top20", lang), _pct(clv.top20_share, lang))]
        messages.append(t("ltv_msg_clv", lang, n=_count(len(clv.table), lang), total=money(clv.total),
                          horizon=horizon, top_share=_pct(clv.top20_share, lang)))
    kpis += [(t("ltv_kpi_ltv", lang, years=inputs.years), money(client_value.profit_today)),
             (t("ltv_kpi_uplift", lang, points=points), money(gain))]
    if segment is not None:
        messages.append(t("ltv_msg_segment", lang, segment=segment["segment"],
                          value_share=_pct(segment["share_of_value"], lang),
                          customer_share=_pct(segment["share_of_customers"], lang)))
    messages.append(t("ltv_msg_uplift", lang, points=points, before=_pct(uplift["retention_before"], lang),
                      after=_pct(uplift["retention_after"], lang), gain=money(gain),
                      change=_pct(uplift["base_profit_change"], lang, 1), years=inputs.years))
    chosen = cac.loc[cac["chosen"]].iloc[0]
    messages.append(t("ltv_msg_cac", lang, ratio=format_number(chosen["ratio"], 1, lang),
                      multiple=format_number(chosen["multiple"], 0, lang)))
    messages.append(t(f"ltv_msg_projection_{projection_direction(projection)}", lang,
                      first=_count(projection["active"].iloc[0], lang),
                      start=_count(projection["retained"].iloc[0], lang),
                      end=_count(projection["active"].iloc[-1], lang), years=len(projection)))
    return kpis[:5], messages[:5]
