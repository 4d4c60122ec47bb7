/* What-if lifetime value calculator of the CRM workbook (offline: no network, no library).
 *
 * The formula is the one of crmlib.ltv.scenarios, step by step in the same order, so the
 * page and the package agree to the rupiah (tests/test_calculator_browser.py checks it):
 *   LTV = sum_{t=1..n} R * m * r^(t-1) / (1 + d)^t
 * Numbers are formatted as crmlib.present.numbers formats them (half-up rounding of the
 * shortest decimal form, the language's separators, short money "Rp 184,3 jt").
 * Every text is set with textContent: nothing from the configuration is parsed as HTML.
 */
(function () {
  "use strict";
  var SVG_NS = "http://www.w3.org/2000/svg";

  // ------------------------------------------------------------------ the formula
  function cashFlows(p) {
    var rows = [];
    var yearlyProfit = p.yearly_revenue * p.margin;
    for (var year = 1; year <= p.years; year++) {
      var survival = Math.pow(p.retention, year - 1);
      var discount = Math.pow(1 + p.discount_rate, -year);
      var revenue = p.yearly_revenue * survival;
      var profit = yearlyProfit * survival;
      var cost = p.retention_cost * survival;
      rows.push({
        year: year, survival: survival, revenue: revenue, profit: profit,
        pv_revenue: revenue * discount, pv_profit: profit * discount,
        pv_net_profit: (profit - cost) * discount
      });
    }
    return rows;
  }

  function sum(rows, key) {
    var total = 0;
    for (var i = 0; i < rows.length; i++) total += rows[i][key];
    return total;
  }

  function lifetimeValue(p) {
    var flows = cashFlows(p);
    return {
      flows: flows, revenue: sum(flows, "revenue"), profit: sum(flows, "profit"),
      revenue_today: sum(flows, "pv_revenue"), profit_today: sum(flows, "pv_profit"),
      net_profit_today: sum(flows, "pv_net_profit")
    };
  }

  function projectBase(p, baseCustomers, newPerYear) {
    var rows = [], active = 0;
    for (var year = 1; year <= p.years; year++) {
      var retained = year === 1 ? baseCustomers : active * p.retention;
      active = retained + newPerYear;
      var profit = active * (p.yearly_revenue * p.margin - p.retention_cost);
      rows.push({ year: year, active: active, profit: profit,
                  pv_profit: profit / Math.pow(1 + p.discount_rate, year) });
    }
    return rows;
  }

  function withRetention(p, retention, maxRetention) {
    var copy = {};
    for (var key in p) if (Object.prototype.hasOwnProperty.call(p, key)) copy[key] = p[key];
    copy.retention = Math.min(Math.max(retention, 0), maxRetention);
    return copy;
  }

  function position(change, band) {
    if (change < band[0]) return "below";
    return change > band[1] ? "above" : "within";
  }

  function compute(p, cfg) {
    var value = lifetimeValue(p);
    var base = projectBase(p, p.customers, p.new_customers_per_year);
    var after = withRetention(p, p.retention + cfg.uplift_points, cfg.max_retention);
    var valueAfter = lifetimeValue(after);
    var baseBefore = sum(base, "pv_profit");
    var baseAfter = sum(projectBase(after, p.customers, p.new_customers_per_year), "pv_profit");
    var baseChange = baseBefore ? baseAfter / baseBefore - 1 : NaN;
    return {
      flows: value.flows,
      revenue: value.revenue, profit: value.profit, revenue_today: value.revenue_today,
      profit_today: value.profit_today, net_profit_today: value.net_profit_today,
      base_profit: sum(base, "profit"), base_profit_today: baseBefore,
      base_profit_after: baseAfter, base_profit_change: baseChange,
      ltv_change: value.profit_today ? valueAfter.profit_today / value.profit_today - 1 : NaN,
      retention_after: after.retention,
      position: isFinite(baseChange) ? position(baseChange, cfg.band) : "",
      ltv_cac: p.acquisition_cost > 0 ? value.net_profit_today / p.acquisition_cost : NaN
    };
  }

  // ------------------------------------------------------------------ formatting
  // Half-up rounding of the shortest decimal form of |x| (as Decimal(repr(x)) in Python):
  // returns [integer digits, fraction digits].
  function roundHalfUp(x, decimals) {
    var match = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(x).toExponential());
    var digits = match[1] + (match[2] || "");
    var point = parseInt(match[3], 10) + 1 + decimals;   // digits before the rounding point
    var keep, next;
    if (point <= 0) { keep = "0"; next = point === 0 ? digits.charAt(0) : "0"; }
    else if (point >= digits.length) { keep = digits + new Array(point - digits.length + 1).join("0"); next = "0"; }
    else { keep = digits.slice(0, point); next = digits.charAt(point); }
    if (next >= "5") keep = increment(keep);
    while (keep.length <= decimals) keep = "0" + keep;
    var whole = keep.slice(0, keep.length - decimals).replace(/^0+(?=\d)/, "");
    return [whole, keep.slice(keep.length - decimals)];
  }

  function increment(digits) {
    var chars = digits.split(""), i = chars.length - 1;
    while (i >= 0 && chars[i] === "9") { chars[i] = "0"; i--; }
    if (i < 0) chars.unshift("1"); else chars[i] = String.fromCharCode(chars[i].charCodeAt(0) + 1);
    return chars.join("");
  }

  function makeFormat(spec) {
    function number(x, decimals) {
      if (typeof x !== "number" || !isFinite(x)) return spec.missing;
      var parts = roundHalfUp(x, decimals || 0);
      var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, spec.group);
      var negative = x < 0 ? "-" : "";
      return negative + whole + (decimals ? spec.decimal + parts[1] : "");
    }
    function money(x, short) {
      if (typeof x !== "number" || !isFinite(x)) return spec.missing;
      var sign = x < 0 ? "-" : "", magnitude = Math.abs(x);
      if (short) {
        for (var i = 0; i < spec.scales.length; i++) {
          var threshold = spec.scales[i][0];
          if (magnitude >= threshold) {
            var scaled = magnitude / threshold, suffix = spec.scales[i][1];
            if (i > 0 && roundHalfUp(scaled, scaled < 100 ? 1 : 0)[0].length > 3) {
              scaled = scaled / 1000; suffix = spec.scales[i - 1][1];   // 999.950 rb is 1 jt
            }
            var text = number(scaled, scaled < 100 ? 1 : 0);           // CLDR drops a trailing ",0"
            if (text.slice(-2) === spec.decimal + "0") text = text.slice(0, -2);
            return sign + spec.symbol + " " + text + suffix;
          }
        }
      }
      var decimals = spec.whole_currency || magnitude >= 1000 ? 0 : 2;
      return sign + spec.symbol + " " + number(magnitude, decimals);
    }
    function percent(share, decimals) {
      if (typeof share !== "number" || !isFinite(share)) return spec.missing;
      return number(100 * share, decimals || 0) + spec.percent;
    }
    // What a person types: the language's separators, an optional currency symbol or %.
    function parse(text) {
      var s = String(text).replace(/[\s\u00a0]/g, "").replace(/%$/, "");
      if (spec.symbol && s.indexOf(spec.symbol) === 0) s = s.slice(spec.symbol.length);
      s = s.split(spec.group).join("").replace(spec.decimal, ".");
      return /^-?(\d+\.?\d*|\.\d+)$/.test(s) ? Number(s) : NaN;
    }
    return { number: number, money: money, percent: percent, parse: parse };
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : all;
    });
  }

  // ------------------------------------------------------------------ chart (inline SVG)
  function niceStep(maximum, ticks) {
    var raw = maximum / ticks, power = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= raw) return steps[i] * power;
    return 10 * power;
  }

  function svg(name, attributes, parent) {
    var node = document.createElementNS(SVG_NS, name);
    for (var key in attributes) node.setAttribute(key, String(attributes[key]));
    if (parent) parent.appendChild(node);
    return node;
  }

  function drawChart(holder, flows, fmt, labels) {
    while (holder.firstChild) holder.removeChild(holder.firstChild);
    if (!flows.length) return;                      // nothing to draw until the figures are valid
    var width = 640, height = 300, left = 84, right = 12, top = 36, bottom = 44;
    var root = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img",
                            "aria-label": labels.chart_title, "class": "crm-calc-svg" }, holder);
    svg("title", {}, root).textContent = labels.chart_title;
    var maximum = 0;
    flows.forEach(function (row) { maximum = Math.max(maximum, row.profit); });
    var step = maximum > 0 ? niceStep(maximum, 4) : 1;
    var topValue = Math.max(step, Math.ceil(maximum / step) * step);
    if (maximum > 0.95 * topValue) topValue += step;  // headroom: bars never touch the frame
    var plotW = width - left - right, plotH = height - top - bottom;
    function y(v) { return top + plotH - (v / topValue) * plotH; }
    for (var tick = 0; tick <= topValue + step / 2; tick += step) {
      svg("line", { x1: left, x2: width - right, y1: y(tick), y2: y(tick), "class": "crm-calc-grid" }, root);
      svg("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end", "class": "crm-calc-tick" }, root)
        .textContent = fmt.money(tick, true);
    }
    var slot = plotW / Math.max(flows.length, 1), bar = Math.min(slot * 0.4, 28);
    flows.forEach(function (row, i) {
      var centre = left + slot * (i + 0.5);
      svg("rect", { x: centre - bar, y: y(row.profit), width: bar, height: y(0) - y(row.profit),
                    "class": "crm-calc-bar-nominal" }, root);
      svg("rect", { x: centre, y: y(row.pv_profit), width: bar, height: y(0) - y(row.pv_profit),
                    "class": "crm-calc-bar-today" }, root);
      if (flows.length <= 20 || row.year % 5 === 0 || row.year === 1) {
        svg("text", { x: centre, y: height - bottom + 16, "text-anchor": "middle", "class": "crm-calc-tick" }, root)
          .textContent = String(row.year);
      }
    });
    svg("text", { x: left + plotW / 2, y: height - 6, "text-anchor": "middle", "class": "crm-calc-axis" }, root)
      .textContent = labels.year;
    // legend above the plot, never over the bars
    var legend = [["crm-calc-bar-nominal", labels.nominal], ["crm-calc-bar-today", labels.today]];
    var x = left;
    legend.forEach(function (item) {
      svg("rect", { x: x, y: 10, width: 14, height: 14, "class": item[0] }, root);
      var text = svg("text", { x: x + 20, y: 22, "class": "crm-calc-legend" }, root);
      text.textContent = item[1];
      x += 40 + item[1].length * 8;
    });
  }

  // ------------------------------------------------------------------ the widget
  var FIELDS = ["yearly_revenue", "margin", "retention", "years", "discount_rate", "retention_cost",
                "customers", "new_customers_per_year", "acquisition_cost"];

  function init(root) {
    if (root.getAttribute("data-ready")) return;
    root.setAttribute("data-ready", "1");
    var config = JSON.parse(root.querySelector("script.crm-calc-config").textContent);
    var fmt = makeFormat(config.format), labels = config.labels;
    var live = root.querySelector(".crm-calc-live");
    var inputs = {}, sliders = {}, preset = {};

    function field(name) { return config.fields[name]; }
    function shown(name, value) {                   // the text an input starts with
      var kind = field(name).kind;
      if (kind === "percent") return fmt.number(100 * value, 1);
      if (kind === "money") return fmt.number(value, config.format.whole_currency ? 0 : 2);
      return fmt.number(value, 0);
    }
    function read(name) {                           // the value of an input, or NaN
      var text = inputs[name].value;
      if (preset[name] && preset[name].text === text) return preset[name].value;
      var value = fmt.parse(text);
      return field(name).kind === "percent" ? value / 100 : value;
    }
    function valid(name, value) {
      var f = field(name);
      if (!isFinite(value)) return false;
      if (f.integer && Math.floor(value) !== value) return false;
      if (value < f.min || (f.max !== null && value > f.max)) return false;
      return !(f.below !== null && value >= f.below);
    }

    FIELDS.forEach(function (name) {
      inputs[name] = root.querySelector('[data-input="' + name + '"]');
      sliders[name] = root.querySelector('[data-slider="' + name + '"]');
      inputs[name].addEventListener("input", function () { syncSlider(name); pressed(null); update(); });
      if (sliders[name]) {
        sliders[name].addEventListener("input", function () {
          var value = Number(sliders[name].value);
          value = field(name).kind === "percent" ? value / 100 : value;
          inputs[name].value = shown(name, value);
          preset[name] = { text: inputs[name].value, value: value };
          pressed(null);
          update();
        });
      }
    });

    function syncSlider(name) {
      if (!sliders[name]) return;
      var value = read(name);
      if (isFinite(value)) sliders[name].value = String(field(name).kind === "percent" ? 100 * value : value);
    }

    function applyPreset(key) {
      var values = config.presets[key].values;
      FIELDS.forEach(function (name) {
        inputs[name].value = shown(name, values[name]);
        preset[name] = { text: inputs[name].value, value: values[name] };
        syncSlider(name);
      });
      pressed(key);
      update();
    }
    function pressed(key) {                         // which preset the figures are (none once edited)
      root.querySelectorAll("[data-preset]").forEach(function (button) {
        button.setAttribute("aria-pressed", button.getAttribute("data-preset") === key ? "true" : "false");
      });
    }
    root.querySelectorAll("[data-preset]").forEach(function (button) {
      button.addEventListener("click", function () { applyPreset(button.getAttribute("data-preset")); });
    });

    function out(name, value, text) {
      var node = root.querySelector('[data-out="' + name + '"]');
      node.textContent = text;
      node.setAttribute("data-value", typeof value === "number" && isFinite(value) ? String(value) : "");
    }

    function update() {
      var p = {}, problems = [];
      FIELDS.forEach(function (name) {
        p[name] = read(name);
        var ok = valid(name, p[name]);
        inputs[name].setAttribute("aria-invalid", ok ? "false" : "true");
        if (!ok) problems.push(fill(labels.invalid, { field: field(name).label, expected: field(name).expected }));
      });
      var message = root.querySelector(".crm-calc-message");
      message.textContent = problems.join(" ");
      root.setAttribute("data-valid", problems.length ? "false" : "true");
      if (problems.length) {
        ["revenue", "revenue_today", "profit", "profit_today", "net_profit_today", "base_profit_today",
         "base_profit", "ltv_cac", "uplift"].forEach(function (name) { out(name, NaN, config.format.missing); });
        drawChart(root.querySelector(".crm-calc-chart"), [], fmt, labels);
        return;
      }
      var r = compute(p, config);
      out("revenue", r.revenue, fmt.money(r.revenue, true));
      out("revenue_today", r.revenue_today, fmt.money(r.revenue_today, true));
      out("profit", r.profit, fmt.money(r.profit, true));
      out("profit_today", r.profit_today, fmt.money(r.profit_today, true));
      out("net_profit_today", r.net_profit_today, fmt.money(r.net_profit_today, true));
      out("base_profit_today", r.base_profit_today, fmt.money(r.base_profit_today, true));
      out("base_profit", r.base_profit, fmt.money(r.base_profit, true));
      out("ltv_cac", r.ltv_cac, isFinite(r.ltv_cac) ? fmt.number(r.ltv_cac, 1) + "×" : config.format.missing);
      var change = r.base_profit_change;
      var capped = r.retention_after <= p.retention;
      out("uplift", change, capped ? fill(labels.uplift_capped, { max: fmt.percent(config.max_retention, 0) }) :
        fill(labels.uplift, {
          points: fmt.number(100 * config.uplift_points, 0),
          before: fmt.percent(p.retention, 1), after: fmt.percent(r.retention_after, 1),
          change: (change > 0 ? "+" : "") + fmt.percent(change, 1),
          ltv_change: (r.ltv_change > 0 ? "+" : "") + fmt.percent(r.ltv_change, 1),
          position: labels["position_" + r.position] || config.format.missing
        }));
      root.querySelector('[data-out="uplift"]').setAttribute("data-position", capped ? "" : r.position);
      root.querySelector('[data-out="uplift"]').setAttribute("data-ltv-change", String(r.ltv_change));
      root.querySelector('[data-out="base_note"]').textContent = fill(labels.base_note, {
        customers: fmt.number(p.customers, 0), new_customers: fmt.number(p.new_customers_per_year, 0),
        years: fmt.number(p.years, 0) });
      drawChart(root.querySelector(".crm-calc-chart"), r.flows, fmt, labels);
    }

    live.hidden = false;
    root.classList.add("is-live");
    applyPreset("client");
  }

  function initAll() {
    var roots = document.querySelectorAll(".crm-calc");
    for (var i = 0; i < roots.length; i++) init(roots[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initAll);
  else initAll();

  // For the tests: the formula and the formatter, callable from the page.
  window.crmCalculator = { compute: compute, lifetimeValue: lifetimeValue, projectBase: projectBase,
                           makeFormat: makeFormat };
})();
