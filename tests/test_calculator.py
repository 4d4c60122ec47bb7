"""The what-if calculator block: known answers, static tables, escaping, self-containedness."""
import json
import re

import pytest


from crmlib.ltv.scenarios import LTVInputs, ltv_to_cac, scenario_inputs
from crmlib.present.calculator import (CalculatorFigures, calculator_html, calculator_values, client_figures,
                                       pak_budi_figures, scenario_tables, script_json)
from crmlib.present.numbers import format_money

PAK_BUDI_TODAY = 30_000_000 * (1 - 1.1 ** -10) / 0.1   # annuity of Rp 30 million over 10 years at 10 %


def client():
    return CalculatorFigures(LTVInputs(1_250_000, 0.3, 0.6, 10, 0.1, 62_500), customers=1865,
                             new_customers_per_year=412, acquisition_cost=312_500)


def test_pak_budi_known_answers():
    values = calculator_values(pak_budi_figures(0.1))
    assert values["revenue"] == pytest.approx(1e9, abs=1e-3)
    assert values["profit"] == pytest.approx(3e8, abs=1e-3)
    assert values["profit_today"] == pytest.approx(PAK_BUDI_TODAY, abs=0.01)
    assert round(values["profit_today"] / 1e5) == 1843          # Rp 184.3 million today
    assert values["ltv_cac"] == pytest.approx(PAK_BUDI_TODAY / 25_000_000)


def test_values_follow_the_scenario_module():
    figures = client()
    values = calculator_values(figures)
    # base without acquisitions is customers x LTV after retention cost
    no_new = calculator_values(CalculatorFigures(figures.inputs, 1865, 0, 312_500))
    assert no_new["base_profit_today"] == pytest.approx(1865 * values["net_profit_today"], rel=1e-12)
    # retention 60 % -> 65 %: a known closed form for one customer without discount
    plain = calculator_values(CalculatorFigures(LTVInputs(100.0, 1.0, 0.6, 3, 0.0), 1, 0, 1.0))
    assert plain["profit"] == pytest.approx(100 * (1 + 0.6 + 0.36))
    assert plain["ltv_change"] == pytest.approx((1 + 0.65 + 0.65 ** 2) / (1 + 0.6 + 0.36) - 1)
    assert plain["position"] in ("below", "within", "above")


def test_client_figures_use_the_run_rule_for_acquisition_cost():
    scenario = scenario_inputs(None, margin=0.3, years=10, discount_rate=0.1, retention=0.55,
                               yearly_revenue=2_000_000, base_customers=1000, new_customers_per_year=200)
    figures = client_figures(scenario, acquisition_cost_multiple=5)
    assert figures.acquisition_cost == pytest.approx(5 * 0.05 * 2_000_000)
    chosen = ltv_to_cac(scenario.inputs, 5).query("chosen")["ratio"].iloc[0]
    assert calculator_values(figures)["ltv_cac"] == pytest.approx(chosen, rel=1e-12)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_static_table_shows_pak_budi_as_the_report_formats_it(lang):
    inputs, outputs = scenario_tables(pak_budi_figures(0.1), lang=lang)
    assert len(inputs) == 9 and len(outputs) == 9
    assert outputs.iloc[0, 1] == format_money(PAK_BUDI_TODAY, "IDR", lang)
    assert outputs.iloc[0, 1].startswith("Rp 184")
    assert inputs.iloc[0, 1] == ("Rp 100.000.000" if lang == "id" else "Rp 100,000,000")


def test_block_is_self_contained_and_deterministic():
    block = calculator_html(client(), pak_budi_figures(), lang="id")
    assert block == calculator_html(client(), pak_budi_figures(), lang="id")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", block)
    assert "@import" not in block and "url(" not in block
    assert block.count("<script") == 2 and block.count("</script>") == 2
    assert 'class="crm-calc-live" hidden' in block        # without JavaScript only the static table shows


def test_hostile_currency_cannot_inject_script():
    hostile = '</script><script>alert(1)</script><img src=x onerror=alert(2)>'
    block = calculator_html(client(), lang="en", currency=hostile)
    assert block.count("<script") == 2 and block.count("</script>") == 2
    assert "<img" not in block and "onerror=alert(2)>" not in block
    config = re.search(r'<script type="application/json" class="crm-calc-config">(.*?)</script>', block, re.S)
    assert json.loads(config.group(1))["currency"] == hostile


def test_script_json_escapes_markup_and_refuses_nan():
    text = script_json({"a": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028"}
    with pytest.raises(ValueError):
        script_json({"a": float("nan")})


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="lang"):
        calculator_html(client(), lang="fr")


def test_recorded_tables_for_the_deck(tmp_path):
    from crmlib.present.calculator import record_calculator, recorded_calculator

    assert recorded_calculator(tmp_path) is None
    record_calculator(tmp_path, client(), 0.05, "IDR", "id")
    recorded = recorded_calculator(tmp_path)
    assert recorded["title"] and "Retensi +5 poin" in recorded["so_what"]
    inputs, outputs = recorded["tables"]
    assert inputs["rows"][0] == ["Pendapatan per pelanggan per tahun", "Rp 1.250.000"]
    assert len(outputs["rows"]) == 9
