"""What-if calculator of the LTV report: one self-contained HTML block for the workshop room.

The block holds its own script and stylesheet (the package files ``calculator.js`` and
``calculator.css``, inlined), its configuration as JSON escaped for a ``<script>`` element,
and a static table of the client's figures. In a browser with JavaScript the live calculator
replaces the table on screen; without JavaScript, and in print (PDF), the table shows. Nothing
is loaded from outside the file.

The page computes with the formula of :mod:`crmlib.ltv.scenarios`, re-implemented in
JavaScript; :func:`calculator_values` is the Python reference the page must agree with
(to the rupiah, checked in the browser by the tests).

>>> figures = client_figures(scenario, acquisition_cost_multiple=5)
>>> show_calculator(figures, pak_budi_figures(0.1), lang="id", currency="IDR")
"""
from __future__ import annotations

import hashlib
import html
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from crmlib.i18n import check_lang, t
from crmlib.ltv.scenarios import (MAX_RETENTION, PRACTITIONERS_PROFIT_RANGE, ClientScenario, LTVInputs,
                                  cash_flows, lifetime_value, project_base, retention_uplift)
from crmlib.outputs import dumps
from crmlib.present.numbers import format_money, format_number, format_percent
from crmlib.present.tables import show_table

#: Longest horizon the calculator accepts (the page computes year by year as the user types).
MAX_YEARS = 100
#: The trainers' example: Rp 100 million a year, Rp 30 million profit, kept 10 years.
PAK_BUDI = {"yearly_revenue": 100_000_000.0, "margin": 0.3, "retention": 1.0, "years": 10}

#: The calculator's inputs in screen order: name -> (kind, label key, expected-text key, limits).
FIELDS = {
    "yearly_revenue": ("money", "calc_expected_money", {"min": 0}),
    "margin": ("percent", "calc_expected_share", {"min": 0, "max": 1, "slider": (0, 100, 0.5)}),
    "retention": ("percent", "calc_expected_share", {"min": 0, "max": 1, "slider": (0, 100, 0.5)}),
    "years": ("count", "calc_expected_years", {"min": 1, "max": MAX_YEARS, "integer": True,
                                               "slider": (1, 30, 1)}),
    "discount_rate": ("percent", "calc_expected_discount", {"min": 0, "below": 1, "slider": (0, 50, 0.5)}),
    "retention_cost": ("money", "calc_expected_money", {"min": 0}),
    "customers": ("count", "calc_expected_count", {"min": 0}),
    "new_customers_per_year": ("count", "calc_expected_count", {"min": 0}),
    "acquisition_cost": ("money", "calc_expected_money", {"min": 0}),
}
#: The outputs of the live calculator, in screen order (the key tile first).
OUTPUTS = ("profit_today", "profit", "revenue", "revenue_today", "net_profit_today", "ltv_cac")


@dataclass(frozen=True)
class CalculatorFigures:
    """What the calculator starts from: one customer's scenario, the base, the cost of winning one."""

    inputs: LTVInputs
    customers: float
    new_customers_per_year: float
    acquisition_cost: float

    def values(self) -> dict:
        """The calculator's input fields, as plain numbers (shares 0-1)."""
        return {**self.inputs.as_dict(), "customers": float(self.customers),
                "new_customers_per_year": float(self.new_customers_per_year),
                "acquisition_cost": float(self.acquisition_cost)}


def client_figures(scenario: ClientScenario, acquisition_cost_multiple: float = 5.0) -> CalculatorFigures:
    """The client's figures from the run; winning a customer costs ``multiple`` x the retention cost."""
    inputs = scenario.inputs
    return CalculatorFigures(inputs=inputs, customers=scenario.base_customers,
                             new_customers_per_year=scenario.new_customers_per_year,
                             acquisition_cost=float(acquisition_cost_multiple) * inputs.retention_cost)


def pak_budi_figures(discount_rate: float = 0.1, retention_cost_share: float = 0.05,
                     acquisition_cost_multiple: float = 5.0) -> CalculatorFigures:
    """The trainers' "Pak Budi" (one customer, no retention cost as in the notebook's example).

    The example gives no cost of winning him; the preset uses the run's rule for the client,
    ``acquisition_cost_multiple`` x ``retention_cost_share`` of his yearly revenue.
    """
    inputs = LTVInputs(**PAK_BUDI, discount_rate=discount_rate, retention_cost=0.0)
    cost = float(acquisition_cost_multiple) * float(retention_cost_share) * inputs.yearly_revenue
    return CalculatorFigures(inputs=inputs, customers=1.0, new_customers_per_year=0.0, acquisition_cost=cost)


# --------------------------------------------------------------------------- the reference
def calculator_values(figures: CalculatorFigures, uplift_points: float = 0.05) -> dict:
    """Everything the calculator shows, computed by :mod:`crmlib.ltv.scenarios`.

    Keys: revenue, profit, revenue_today, profit_today, net_profit_today (one customer);
    base_profit (nominal) and base_profit_today of the whole base (project_base with the new
    customers, after retention cost); base_profit_change and ltv_change with ``uplift_points``
    more retention, retention_after, position (below / within / above the 25-85 % rule);
    ltv_cac (net_profit_today / acquisition_cost, NaN when the cost is 0); yearly_profit and
    yearly_profit_today (the chart's bars).
    """
    inputs = figures.inputs
    value = lifetime_value(inputs)
    flows = cash_flows(inputs)
    base = project_base(inputs, figures.customers, figures.new_customers_per_year)
    uplift = retention_uplift(inputs, uplift_points, figures.customers, figures.new_customers_per_year)
    return {
        **{name: getattr(value, name) for name in ("revenue", "profit", "revenue_today", "profit_today",
                                                     "net_profit_today")},
        "base_profit": float(base["profit"].sum()), "base_profit_today": uplift["base_profit_before"],
        "base_profit_after": uplift["base_profit_after"], "base_profit_change": uplift["base_profit_change"],
        "ltv_change": uplift["ltv_change"], "retention_after": uplift["retention_after"],
        "position": uplift["position"],
        "ltv_cac": (value.net_profit_today / figures.acquisition_cost if figures.acquisition_cost > 0
                    else float("nan")),
        "yearly_profit": flows["profit"].tolist(), "yearly_profit_today": flows["pv_profit"].tolist(),
    }


# --------------------------------------------------------------------------- static tables
def _signed_percent(share: float, lang: str) -> str:
    return ("+" if share > 0 else "") + format_percent(share, 1, lang)


def _field_text(name: str, value: float, currency: str, lang: str) -> str:
    kind = FIELDS[name][0]
    if kind == "money":
        return format_money(value, currency, lang, short=False)
    if kind == "percent":
        return format_percent(value, 1, lang)
    return format_number(value, 0, lang)


def scenario_tables(figures: CalculatorFigures, uplift_points: float = 0.05, currency: str = "IDR",
                    lang: str = "en") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The calculator's inputs and outputs for ``figures``, formatted (item, value) for a page or a slide."""
    check_lang(lang)
    inputs = pd.DataFrame([(t(f"calc_field_{name}", lang), _field_text(name, value, currency, lang))
                           for name, value in figures.values().items()],
                          columns=[t("calc_inputs", lang), t("value", lang)])
    values = calculator_values(figures, uplift_points)
    rows = [(t(f"calc_out_{name}", lang), format_money(values[name], currency, lang))
            for name in ("profit_today", "profit", "revenue", "revenue_today", "net_profit_today",
                         "base_profit_today")]
    rows.append((t("calc_out_ltv_cac", lang), _ratio_text(values["ltv_cac"], lang)))
    capped = values["retention_after"] <= figures.inputs.retention     # no uplift left to show
    missing = format_number(float("nan"), 0, lang)
    rows.append((t("calc_out_uplift", lang, points=format_number(100 * uplift_points, 0, lang)),
                 missing if capped else _signed_percent(values["base_profit_change"], lang)))
    rows.append((t("calc_out_position", lang),
                 missing if capped else t(f"ltv_position_{values['position']}", lang)))
    return inputs, pd.DataFrame(rows, columns=[t("calc_outputs", lang), t("value", lang)])


def uplift_sentence(figures: CalculatorFigures, uplift_points: float = 0.05, lang: str = "en") -> str:
    """The "retention +5 points -> profit +X %" line, worded as the page words it."""
    values = calculator_values(figures, uplift_points)
    retention = figures.inputs.retention
    if values["retention_after"] <= retention:
        return t("calc_uplift_capped", lang, max=format_percent(MAX_RETENTION, 0, lang))
    return t("calc_uplift", lang, points=format_number(100 * uplift_points, 0, lang),
             before=format_percent(retention, 1, lang), after=format_percent(values["retention_after"], 1, lang),
             change=_signed_percent(values["base_profit_change"], lang),
             ltv_change=_signed_percent(values["ltv_change"], lang),
             position=t(f"ltv_position_{values['position']}", lang))


#: File in a notebook's output folder holding the calculator's tables for the deck.
CALCULATOR_FILE = "calculator.json"
#: The calculator's element id in a report (the hub links ``report.html#what-if-calculator``).
CALCULATOR_ANCHOR = "what-if-calculator"


def record_calculator(out, figures: CalculatorFigures, uplift_points: float = 0.05, currency: str = "IDR",
                      lang: str = "en") -> Path:
    """Write the client's scenario tables to ``<out>/calculator.json`` (the deck's calculator slide)."""
    inputs, outputs = scenario_tables(figures, uplift_points, currency, lang)
    directory = Path(getattr(out, "directory", out))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CALCULATOR_FILE
    path.write_text(dumps({"title": t("calc_deck_title", lang), "so_what": uplift_sentence(figures, uplift_points, lang),
                           "tables": [{"columns": list(frame.columns), "rows": frame.values.tolist()}
                                      for frame in (inputs, outputs)]}), encoding="utf-8")
    return path


def recorded_calculator(folder) -> dict | None:
    """What :func:`record_calculator` wrote in ``folder``, or None."""
    path = Path(folder) / CALCULATOR_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _ratio_text(ratio: float, lang: str) -> str:
    return format_number(ratio, 1, lang) + "×" if math.isfinite(ratio) else format_number(ratio, 1, lang)


def _html_table(frame: pd.DataFrame, lang: str) -> str:
    """An (item, value) table of formatted texts through the report's one table presenter."""
    item, value = frame.columns
    return show_table(frame, lang, kinds={item: "text", value: "number"}, headers={item: item, value: value},
                      max_rows=None).html


# --------------------------------------------------------------------------- the HTML block
def _asset(name: str) -> str:
    text = resources.files("crmlib.present").joinpath(name).read_text(encoding="utf-8")
    if "</script" in text.lower() or "</style" in text.lower():
        raise ValueError(f"{name} must not close its own element")
    return text


def script_json(value) -> str:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>``, no HTML parsing)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=True)
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def format_spec(currency: str, lang: str) -> dict:
    """How :mod:`crmlib.present.numbers` writes numbers in ``lang``, for the page's formatter.

    ``scales`` pairs a threshold with the text after the number (``" jt"`` in id, ``"M"`` in en,
    as CLDR writes them); ``percent`` is what follows a percentage (``"%"``).
    """
    sample = format_number(1234.5, 1, lang)                     # "1,234.5" / "1.234,5"
    symbol = format_money(0.0, currency, lang, short=False).rsplit(" ", 1)[0]
    scales = [[threshold, format_money(threshold, currency, lang)[len(symbol) + 1:].lstrip("1")]
              for threshold in (1e12, 1e9, 1e6, 1e3)]
    return {"group": sample[1], "decimal": sample[5], "scales": scales, "symbol": symbol,
            "whole_currency": sample[5] not in format_money(1.5, currency, lang, short=False),
            "percent": format_percent(0.5, 0, lang)[len(format_number(50, 0, lang)):],
            "missing": format_number(float("nan"), 0, lang)}


def _finite(values: dict) -> dict:
    return {k: (float(v) if math.isfinite(v) else None) for k, v in values.items()}


def calculator_config(figures: CalculatorFigures, pak_budi: CalculatorFigures | None = None,
                      uplift_points: float = 0.05, currency: str = "IDR", lang: str = "en") -> dict:
    """The page's configuration: formats, labels, fields, presets (all plain JSON values)."""
    check_lang(lang)
    fields = {}
    for name, (kind, expected, limits) in FIELDS.items():
        fields[name] = {"kind": kind, "label": t(f"calc_field_{name}", lang), "expected": t(expected, lang),
                        "min": limits["min"], "max": limits.get("max"), "below": limits.get("below"),
                        "integer": bool(limits.get("integer"))}
    presets = {"client": {"values": _finite(figures.values())}}
    if pak_budi is not None:
        presets["pak_budi"] = {"values": _finite(pak_budi.values())}
    labels = {key: t(f"calc_{key}", lang) for key in ("invalid", "uplift", "uplift_capped", "base_note",
                                                       "chart_title")}
    labels.update(year=t("year", lang), nominal=t("ltv_nominal", lang), today=t("ltv_today", lang),
                  **{f"position_{p}": t(f"ltv_position_{p}", lang) for p in ("below", "within", "above")})
    return {"lang": lang, "currency": currency, "format": format_spec(currency, lang), "labels": labels,
            "fields": fields, "presets": presets, "uplift_points": float(uplift_points),
            "max_retention": MAX_RETENTION, "band": list(PRACTITIONERS_PROFIT_RANGE)}


def _field_html(uid: str, name: str, figures: CalculatorFigures, currency: str, lang: str) -> str:
    kind, _, limits = FIELDS[name]
    value = figures.values()[name]
    shown = {"percent": lambda v: format_number(100 * v, 1, lang),
             "money": lambda v: format_number(v, 0 if format_spec(currency, lang)["whole_currency"] else 2, lang),
             "count": lambda v: format_number(v, 0, lang)}[kind](value)
    unit_before = html.escape(format_spec(currency, lang)["symbol"]) if kind == "money" else ""
    unit_after = {"percent": "%", "money": "", "count": ""}[kind]
    if name == "years":
        unit_after = t("calc_unit_years", lang)
    elif name in ("customers", "new_customers_per_year"):
        unit_after = t("calc_unit_customers", lang)
    label = html.escape(t(f"calc_field_{name}", lang))
    entry = (f'<span class="crm-calc-entry">'
             + f'<span class="crm-calc-unit">{unit_before}</span>'
             + f'<input type="text" inputmode="decimal" autocomplete="off" id="{uid}-{name}" '
             f'data-input="{name}" value="{html.escape(shown)}">'
             + (f'<span class="crm-calc-unit">{html.escape(unit_after)}</span>' if unit_after
                else '<span class="crm-calc-spacer"></span>')
             + "</span>")
    slider = ""
    if "slider" in limits:
        low, high, step = limits["slider"]
        slider = (f'<input type="range" data-slider="{name}" min="{low}" max="{high}" step="{step}" '
                  f'aria-label="{label}" tabindex="-1">')
    return f'<div class="crm-calc-field"><label for="{uid}-{name}">{label}</label>{entry}{slider}</div>'


def calculator_html(figures: CalculatorFigures, pak_budi: CalculatorFigures | None = None,
                    uplift_points: float = 0.05, currency: str = "IDR", lang: str = "en",
                    heading: bool = True) -> str:
    """The calculator as one self-contained HTML block (same inputs give the same bytes).

    ``heading=False`` leaves out its own title (a report section already gives one).
    """
    config = calculator_config(figures, pak_budi, uplift_points, currency, lang)
    config_json = script_json(config)
    uid = "crm-calc-" + hashlib.sha256(config_json.encode("utf-8")).hexdigest()[:12]
    inputs_table, outputs_table = scenario_tables(figures, uplift_points, currency, lang)
    static = (f'<div class="crm-calc-static"><p class="crm-calc-intro">{html.escape(t("calc_static_note", lang))}'
              f"</p>{_html_table(inputs_table, lang)}{_html_table(outputs_table, lang)}</div>")
    presets = "".join(
        f'<button type="button" data-preset="{key}" aria-pressed="false">{html.escape(t(f"calc_preset_{key}", lang))}'
        "</button>" for key in config["presets"])
    fields = "".join(_field_html(uid, name, figures, currency, lang) for name in FIELDS)
    tiles = "".join(
        f'<div class="crm-calc-tile{" is-key" if name == "profit_today" else ""}">'
        f'<span class="crm-calc-value" data-out="{name}"></span>'
        f'<span class="crm-calc-caption">{html.escape(t(f"calc_out_{name}", lang))}</span></div>'
        for name in OUTPUTS)
    base = (f'<div class="crm-calc-tile"><span class="crm-calc-value" data-out="base_profit_today"></span>'
            f'<span class="crm-calc-caption">{html.escape(t("calc_out_base_profit_today", lang))}</span></div>'
            f'<div class="crm-calc-tile"><span class="crm-calc-value" data-out="base_profit"></span>'
            f'<span class="crm-calc-caption">{html.escape(t("calc_out_base_profit", lang))}</span></div>')
    live = (f'<div class="crm-calc-live" hidden>'
            f'<p class="crm-calc-intro">{html.escape(t("calc_intro", lang))}</p>'
            f'<div class="crm-calc-presets">{presets}</div>'
            f'<div class="crm-calc-body"><div class="crm-calc-inputs">{fields}'
            f'<p class="crm-calc-message" role="alert" aria-live="polite"></p></div>'
            f'<div class="crm-calc-results"><div class="crm-calc-tiles">{tiles}</div>'
            f'<div class="crm-calc-chart"></div>'
            f'<div class="crm-calc-lines"><p data-out="base_note"></p><div class="crm-calc-tiles">{base}</div>'
            f'<p data-out="uplift"></p></div></div></div></div>')
    return (f'<div class="crm-calc" id="{CALCULATOR_ANCHOR}" lang="{lang}"><style>{_asset("calculator.css")}</style>'
            f'<script type="application/json" class="crm-calc-config">{config_json}</script>'
            + (f'<h3>{html.escape(t("calc_title", lang))}</h3>' if heading else "")
            + f'{static}{live}'
            f"<script>{_asset('calculator.js')}</script></div>")


def show_calculator(figures: CalculatorFigures, pak_budi: CalculatorFigures | None = None,
                    uplift_points: float = 0.05, currency: str = "IDR", lang: str = "en",
                    heading: bool = True):
    """The calculator as a notebook output (HTML)."""
    from IPython.display import HTML

    return HTML(calculator_html(figures, pak_budi, uplift_points, currency, lang, heading))


#: A Content-Security-Policy that forbids every request: scripts and styles only inline.
OFFLINE_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"


def calculator_page(block: str, title: str, lang: str = "en", policy: str | None = OFFLINE_POLICY) -> str:
    """A whole HTML page around a calculator block (a standalone file, or the tests' fixture).

    With ``policy`` (default :data:`OFFLINE_POLICY`) the browser refuses any request the page made.
    """
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy)}">' if policy else ""
    return (f'<!DOCTYPE html><html lang="{html.escape(check_lang(lang))}"><head><meta charset="utf-8">{meta}'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title></head>"
            f'<body style="font-family: sans-serif; margin: 2rem">{block}</body></html>\n')
