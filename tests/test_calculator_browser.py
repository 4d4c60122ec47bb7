"""The what-if calculator in a real browser (Playwright + Debian's Chromium).

One formula, two implementations: the page's JavaScript must compute what
crmlib.ltv.scenarios computes, to the rupiah, on a grid of inputs and on what a person
types; it formats numbers as the report does; no request leaves the page.
"""
import itertools
import json
import math

import numpy as np
import pytest

from browser_support import launch, sync_playwright
from crmlib.ltv.scenarios import LTVInputs
from crmlib.present.calculator import (OFFLINE_POLICY, CalculatorFigures, calculator_config, calculator_html,
                                       calculator_page, calculator_values, format_spec, pak_budi_figures,
                                       uplift_sentence)
from crmlib.present.numbers import format_money, format_number, format_percent

PAK_BUDI_TODAY = 30_000_000 * (1 - 1.1 ** -10) / 0.1
MONEY = ("revenue", "profit", "revenue_today", "profit_today", "net_profit_today", "base_profit",
         "base_profit_today", "base_profit_after")
RATIOS = ("ltv_change", "base_profit_change", "ltv_cac")
RUPIAH = 1.0   # "to the rupiah": two results differ by less than one rupiah


def client():
    return CalculatorFigures(LTVInputs(1_437_250.37, 0.3, 0.4817, 10, 0.1, 71_862.52), customers=1861,
                             new_customers_per_year=412.5, acquisition_cost=359_312.59)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


class Page:
    """A page opened from a file, recording every request, script error and dialog."""

    def __init__(self, browser, path, javascript=True):
        self.url = path.as_uri()
        self.context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1300, "height": 1400})
        self.requests, self.errors, self.dialogs = [], [], []
        self.context.route("**/*", lambda route: route.continue_() if self.inside(route.request.url)
                           else route.abort())
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.goto(self.url)

    def inside(self, url):
        """The file itself or an image embedded in it: nothing that leaves the page."""
        return url == self.url or url.startswith("data:")

    def out(self, name):
        node = self.page.locator(f'[data-out="{name}"]')
        value = node.get_attribute("data-value")
        return node.inner_text(), (float(value) if value else float("nan"))

    def type_into(self, name, text):
        """Type as a person does: click, select all, delete, type the characters one by one."""
        box = self.page.locator(f'[data-input="{name}"]')
        box.click()
        box.press("Control+a")
        box.press("Backspace")
        box.press_sequentially(text)

    def close(self):
        self.context.close()


@pytest.fixture
def open_page(browser, tmp_path):
    pages = []

    def opener(block, lang="en", javascript=True, policy=None):
        # no Content-Security-Policy by default: like the report, so the request listener sees everything
        path = tmp_path / f"calculator_{len(pages)}.html"
        path.write_text(calculator_page(block, "calculator", lang, policy=policy), encoding="utf-8")
        page = Page(browser, path, javascript)
        pages.append(page)
        return page

    yield opener
    for page in pages:
        assert page.errors == [], page.errors
        page.close()


def position_of(page):
    return page.page.locator('[data-out="uplift"]').get_attribute("data-position")


def assert_page_shows(page, figures, currency, lang, uplift_points=0.05):
    """Every output on the page equals crmlib's value (to the rupiah) and the report's formatting."""
    expected = calculator_values(figures, uplift_points)
    for name in ("revenue", "profit", "revenue_today", "profit_today", "net_profit_today", "base_profit",
                 "base_profit_today"):
        text, value = page.out(name)
        assert abs(value - expected[name]) < RUPIAH, (name, value, expected[name])
        assert text == format_money(expected[name], currency, lang), name
    text, value = page.out("ltv_cac")
    assert value == pytest.approx(expected["ltv_cac"], rel=1e-9)
    assert text == format_number(expected["ltv_cac"], 1, lang) + "×"
    text, value = page.out("uplift")
    assert value == pytest.approx(expected["base_profit_change"], rel=1e-9, abs=1e-12)
    change, position = expected["base_profit_change"], expected["position"]
    if expected["retention_after"] <= figures.inputs.retention:     # already at the scenario cap
        assert format_percent(0.99, 0, lang) in text and position_of(page) == ""
    else:
        assert ("+" if change > 0 else "") + format_percent(change, 1, lang) in text
        assert position_of(page) == position
    assert text == uplift_sentence(figures, uplift_points, lang)
    bars = page.page.locator(".crm-calc-chart rect.crm-calc-bar-today")
    assert bars.count() == int(figures.inputs.years) + 1           # one per year + the legend's swatch


# --------------------------------------------------------------------------- one formula, two implementations
def grid_cases():
    rng = np.random.default_rng(14)
    axes = {"yearly_revenue": [0.0, 250_000.0, 1_437_250.37, 100_000_000.0, 2.5e9],
            "margin": [0.0, 0.05, 0.3, 0.62, 1.0], "retention": [0.0, 0.17, 0.6, 0.95, 0.99, 1.0],
            "years": [1, 3, 10, 40], "discount_rate": [0.0, 0.1, 0.35], "retention_cost": [0.0, 0.05],
            "customers": [1.0, 1861.0], "new_customers_per_year": [0.0, 412.5], "acquisition_cost": [0.0, 25e6]}
    every = list(itertools.product(*axes.values()))
    chosen = [every[i] for i in sorted(rng.choice(len(every), size=400, replace=False))]
    cases = [dict(zip(axes, combo)) for combo in chosen]
    for case in cases:                                   # retention cost as a share of revenue
        case["retention_cost"] *= case["yearly_revenue"]
    pak_budi = pak_budi_figures(0.1).values()
    return [pak_budi, client().values(), *cases]


def figures_of(case):
    inputs = LTVInputs(**{k: case[k] for k in ("yearly_revenue", "margin", "retention", "years",
                                                  "discount_rate", "retention_cost")})
    return CalculatorFigures(inputs, case["customers"], case["new_customers_per_year"], case["acquisition_cost"])


def test_javascript_formula_agrees_with_crmlib_to_the_rupiah(open_page):
    page = open_page(calculator_html(client(), lang="id"), "id")
    cases = grid_cases()
    config = {"uplift_points": 0.05, "max_retention": 0.99, "band": [0.25, 0.85]}
    results = page.page.evaluate(
        """([cases, config]) => cases.map(p => {
               const r = window.crmCalculator.compute(p, config);
               r.yearly_profit = r.flows.map(f => f.profit); r.yearly_profit_today = r.flows.map(f => f.pv_profit);
               delete r.flows; return r; })""", [cases, config])
    worst = 0.0
    for case, js in zip(cases, results):
        py = calculator_values(figures_of(case), 0.05)
        for name in MONEY:
            worst = max(worst, abs(js[name] - py[name]))
            assert abs(js[name] - py[name]) < RUPIAH, (case, name, js[name], py[name])
        for name in RATIOS:
            if math.isfinite(py[name]):
                assert js[name] == pytest.approx(py[name], rel=1e-9, abs=1e-12), (case, name)
            else:
                assert js[name] is None or not math.isfinite(js[name]), (case, name)
        assert js["retention_after"] == py["retention_after"]
        if math.isfinite(py["base_profit_change"]):
            assert js["position"] == py["position"], case
        assert np.allclose(js["yearly_profit"], py["yearly_profit"], rtol=0, atol=RUPIAH)
        assert np.allclose(js["yearly_profit_today"], py["yearly_profit_today"], rtol=0, atol=RUPIAH)
    pak_budi = results[0]
    assert pak_budi["revenue"] == pytest.approx(1e9, abs=RUPIAH)
    assert pak_budi["profit"] == pytest.approx(3e8, abs=RUPIAH)
    assert pak_budi["profit_today"] == pytest.approx(PAK_BUDI_TODAY, abs=RUPIAH)
    assert worst < RUPIAH
    print(f"largest difference: Rp {worst:.6f} over {len(cases)} cases")


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("currency", ["IDR", "USD"])
def test_javascript_formats_numbers_as_the_report(open_page, lang, currency):
    page = open_page(calculator_html(client(), lang=lang, currency=currency), lang)
    values = [0.0, 0.5, 1.005, 2.675, 7.5, 99.95, 999.5, 999.95, 1234.5, 62_500.0, 999_950.0, 1_250_000.0,
              184_337_013.17, 99_950_000.0, 1e9, 2.5e12, -1_550_464.0, -7960.1, 0.253, 1.5, 12.345]
    js = page.page.evaluate(
        """([spec, values]) => { const f = window.crmCalculator.makeFormat(spec);
               return values.map(v => [f.money(v, true), f.money(v, false), f.number(v, 0), f.number(v, 1),
                                       f.number(v, 2), f.percent(v, 1)]); }""",
        [format_spec(currency, lang), values])
    for value, (short, full, n0, n1, n2, percent) in zip(values, js):
        assert short == format_money(value, currency, lang), value
        assert full == format_money(value, currency, lang, short=False), value
        assert [n0, n1, n2] == [format_number(value, d, lang) for d in (0, 1, 2)], value
        assert percent == format_percent(value, 1, lang), value


# --------------------------------------------------------------------------- as a consultant uses it
@pytest.mark.parametrize("lang", ["en", "id"])
def test_prefilled_with_the_client_figures(open_page, lang):
    page = open_page(calculator_html(client(), pak_budi_figures(0.1), lang=lang), lang)
    assert page.page.locator(".crm-calc-live").is_visible()
    assert not page.page.locator(".crm-calc-static").is_visible()
    assert_page_shows(page, client(), "IDR", lang)


TYPED = {  # what a consultant types, per language, and what it means
    "en": {"yearly_revenue": "2,500,000", "margin": "25", "retention": "72.5", "years": "7",
           "discount_rate": "8", "retention_cost": "100,000", "customers": "2,000",
           "new_customers_per_year": "150", "acquisition_cost": "750,000"},
    "id": {"yearly_revenue": "2.500.000", "margin": "25", "retention": "72,5", "years": "7",
           "discount_rate": "8", "retention_cost": "100.000", "customers": "2.000",
           "new_customers_per_year": "150", "acquisition_cost": "750.000"},
}
TYPED_FIGURES = CalculatorFigures(LTVInputs(2_500_000, 0.25, 0.725, 7, 0.08, 100_000), customers=2000,
                                  new_customers_per_year=150, acquisition_cost=750_000)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_typed_inputs_update_every_output(open_page, lang):
    page = open_page(calculator_html(client(), pak_budi_figures(0.1), lang=lang), lang)
    before = page.out("profit_today")
    for name, text in TYPED[lang].items():
        page.type_into(name, text)
    assert page.out("profit_today") != before
    assert page.page.locator('[data-slider="retention"]').input_value() == "72.5"
    assert_page_shows(page, TYPED_FIGURES, "IDR", lang)


def test_dragging_the_retention_slider(open_page):
    page = open_page(calculator_html(client(), lang="id"), "id")
    slider = page.page.locator('[data-slider="retention"]')
    box = slider.bounding_box()
    page.page.mouse.move(box["x"] + box["width"] * 0.48, box["y"] + box["height"] / 2)
    page.page.mouse.down()
    page.page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2, steps=8)
    page.page.mouse.up()
    retention = float(slider.input_value()) / 100
    assert 0.7 < retention < 0.9
    assert page.page.locator('[data-input="retention"]').input_value() == format_number(100 * retention, 1, "id")
    dragged = CalculatorFigures(client().inputs.replace(retention=retention), client().customers,
                                client().new_customers_per_year, client().acquisition_cost)
    assert_page_shows(page, dragged, "IDR", "id")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_pak_budi_preset(open_page, lang):
    page = open_page(calculator_html(client(), pak_budi_figures(0.1), lang=lang), lang)
    page.page.get_by_role("button", name="Pak Budi").click()
    assert page.page.locator('[data-preset="pak_budi"]').get_attribute("aria-pressed") == "true"
    text, value = page.out("profit_today")
    assert abs(value - PAK_BUDI_TODAY) < RUPIAH and text == format_money(PAK_BUDI_TODAY, "IDR", lang)
    assert page.out("revenue")[1] == pytest.approx(1e9, abs=RUPIAH)
    assert page.out("profit")[1] == pytest.approx(3e8, abs=RUPIAH)
    assert_page_shows(page, pak_budi_figures(0.1), "IDR", lang)
    page.page.get_by_role("button", name="Pak Budi").press("Tab")    # back to the client: the figures return
    page.page.locator('[data-preset="client"]').click()
    assert_page_shows(page, client(), "IDR", lang)


@pytest.mark.parametrize("text", ["120", "abc", "-5", ""])
def test_bad_input_says_what_to_enter(open_page, text):
    page = open_page(calculator_html(client(), lang="en"), "en")
    page.type_into("margin", text)
    assert page.page.locator('[data-input="margin"]').get_attribute("aria-invalid") == "true"
    message = page.page.locator(".crm-calc-message").inner_text()
    assert "Profit margin" in message and "a percentage from 0 to 100" in message
    assert page.out("profit_today") == ("–", pytest.approx(float("nan"), nan_ok=True))
    assert page.page.locator(".crm-calc-chart svg").count() == 0
    page.type_into("margin", "30")
    assert page.page.locator(".crm-calc-message").inner_text() == ""
    assert page.out("profit_today")[1] > 0


def test_years_beyond_the_limit_are_refused(open_page):
    page = open_page(calculator_html(client(), lang="id"), "id")
    page.type_into("years", "1000000")
    assert "bilangan bulat tahun dari 1 sampai 100" in page.page.locator(".crm-calc-message").inner_text()


# --------------------------------------------------------------------------- offline, static, safe
def test_no_request_leaves_the_page(open_page):
    page = open_page(calculator_html(client(), pak_budi_figures(0.1), lang="id"), "id")
    page.type_into("margin", "40")
    page.page.locator('[data-preset="pak_budi"]').click()
    assert page.requests == [page.url]
    # the check can fail: a page that does ask for something is seen
    page.page.evaluate("() => fetch('https://cdn.example.invalid/lib.js').catch(() => null)")
    page.page.wait_for_timeout(200)
    assert any("cdn.example.invalid" in url for url in page.requests)
    page.errors.clear()                                  # the aborted fetch logs a console error


def test_works_under_a_policy_that_forbids_every_request(open_page):
    page = open_page(calculator_html(client(), lang="en"), "en", policy=OFFLINE_POLICY)
    assert_page_shows(page, client(), "IDR", "en")


def test_without_javascript_the_static_table_shows(open_page):
    page = open_page(calculator_html(client(), lang="id"), "id", javascript=False)
    assert not page.page.locator(".crm-calc-live").is_visible()
    static = page.page.locator(".crm-calc-static")
    assert static.is_visible()
    assert format_money(calculator_values(client())["profit_today"], "IDR", "id") in static.inner_text()


def test_in_print_the_static_table_shows(open_page):
    page = open_page(calculator_html(client(), lang="en"), "en")
    page.page.emulate_media(media="print")
    assert not page.page.locator(".crm-calc-live").is_visible()
    assert page.page.locator(".crm-calc-static").is_visible()


def test_hostile_currency_runs_no_script(open_page):
    hostile = '</script><script>alert(1)</script><img src=x onerror="alert(2)">'
    page = open_page(calculator_html(client(), lang="en", currency=hostile), "en")
    assert page.dialogs == []
    assert page.page.locator("img").count() == 0
    assert page.page.locator('[data-out="profit_today"]').inner_text().startswith(hostile.upper()[:9])
    assert page.requests == [page.url]
    assert calculator_config(client(), currency=hostile)["currency"] == hostile



def test_node_agrees_too():
    """A second engine run: the same script under Node.js (skipped where Node is not installed)."""
    import shutil
    import subprocess
    from importlib import resources

    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js not installed (a second check only; the browser test is the one CI needs)")
    script = resources.files("crmlib.present").joinpath("calculator.js").read_text(encoding="utf-8")
    cases = grid_cases()[:60]
    config = {"uplift_points": 0.05, "max_retention": 0.99, "band": [0.25, 0.85]}
    runner = ("global.window = {}; global.document = {readyState: 'complete', querySelectorAll: () => []};\n"
              + script + "\nconst [cases, config] = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
              "process.stdout.write(JSON.stringify(cases.map(p => { const r = window.crmCalculator.compute(p, config);"
              " delete r.flows; return r; })));")
    done = subprocess.run([node, "-e", runner], input=json.dumps([cases, config]), capture_output=True,
                          text=True, encoding="utf-8", timeout=60, check=True)
    for case, js in zip(cases, json.loads(done.stdout)):
        py = calculator_values(figures_of(case), 0.05)
        for name in MONEY:
            assert abs(js[name] - py[name]) < RUPIAH, (case, name)


# --------------------------------------------------------------------------- in the sample's LTV report
@pytest.mark.slow
def test_sample_ltv_report_carries_a_working_calculator(sample_run, browser):
    """`make report` writes the calculator into 05's report: it runs offline and shows the run's figures."""
    folder = sample_run.run_dir / "05_ltv_scenarios"
    scenario = json.loads((folder / "results.json").read_text(encoding="utf-8"))["scenarios"]["inputs"]
    page = Page(browser, folder / "report.html")
    try:
        assert page.page.locator(".crm-calc").count() == 1
        assert page.page.locator(".crm-calc-live").is_visible()
        config = json.loads(page.page.locator("script.crm-calc-config").text_content())
        client_values = config["presets"]["client"]["values"]
        for name in ("yearly_revenue", "margin", "retention", "years", "discount_rate", "retention_cost"):
            assert client_values[name] == pytest.approx(scenario[name], rel=1e-9), name
        assert client_values["customers"] == pytest.approx(scenario["base_customers"], rel=1e-9)
        figures = figures_of(client_values)
        assert_page_shows(page, figures, config["currency"], config["lang"])
        page.type_into("margin", "45")
        changed = figures_of({**client_values, "margin": 0.45})
        assert_page_shows(page, changed, config["currency"], config["lang"])
        assert all(page.inside(url) for url in page.requests), page.requests
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.slow
def test_sample_run_links_the_calculator_and_puts_its_figures_on_a_slide(sample_run):
    from pptx import Presentation

    from crmlib.i18n import t
    from crmlib.present.calculator import CALCULATOR_ANCHOR, recorded_calculator

    index = (sample_run.run_dir / "index.html").read_text(encoding="utf-8")
    assert f'href="05_ltv_scenarios/report.html#{CALCULATOR_ANCHOR}"' in index
    recorded = recorded_calculator(sample_run.run_dir / "05_ltv_scenarios")
    deck = Presentation(sample_run.run_dir / "deck.pptx")
    slides = [" ".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame) for slide in deck.slides]
    cells = [[cell.text for row in shape.table.rows for cell in row.cells]
             for slide in deck.slides for shape in slide.shapes if shape.has_table]
    assert sum(t("calc_deck_title", "en") in text for text in slides) == 1
    for table in recorded["tables"]:
        assert [*table["columns"], *[value for row in table["rows"] for value in row]] in cells
