"""Scenario lifetime value: the consultant's what-if tool for a workshop room.

A customer who brings ``R`` of revenue a year at a profit margin ``m`` and stays with
yearly probability ``r`` (retention) is worth, over ``n`` years at a yearly discount (or
inflation) rate ``d``::

    LTV = sum_{t=1..n}  R * m * r^(t-1) / (1 + d)^t

Year 1 is the coming year: the customer is here now, so the first year's profit counts in
full; each later year counts only if the customer is still there (``r^(t-1)``). Money is
discounted at the end of each year. With ``r = 1`` and ``d = 0`` this is the plain
"revenue x years" of the workshop ("Pak Budi": Rp 100 million a year for 10 years is
Rp 1 billion); for ``n -> infinity`` it tends to the classic ``R * m / (1 + d - r)``.

Everything here is a plain function of its inputs (no fitted state): simple LTV, the
retention what-if, LTV : CAC, a retention x margin grid, a tornado over all inputs and a
projection of the customer base. :func:`observed_inputs` reads the defaults from the data.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlib.io import InputError

#: Practitioners' rule of thumb: 5 points less churn raises profit by 25-85 % (Reichheld).
PRACTITIONERS_PROFIT_RANGE = (0.25, 0.85)
#: Practitioners' rule of thumb: winning a customer costs 5-10x keeping one.
ACQUISITION_COST_MULTIPLES = (5.0, 10.0)
#: Highest retention a scenario may use (a rate of 1 means nobody ever leaves).
MAX_RETENTION = 0.99


@dataclass(frozen=True)
class LTVInputs:
    """The inputs of a scenario, per customer and per year.

    - ``yearly_revenue``: revenue a customer brings per year (in the data's currency);
    - ``margin``: profit as a share of revenue (0-1);
    - ``retention``: probability a customer is still a customer a year later (0-1);
    - ``years``: how many years ahead the relationship is counted;
    - ``discount_rate``: yearly discount (or inflation) rate (0 = no discounting);
    - ``retention_cost``: yearly cost of keeping one customer (loyalty programme, service).
    """

    yearly_revenue: float
    margin: float
    retention: float = 1.0
    years: int = 10
    discount_rate: float = 0.0
    retention_cost: float = 0.0

    def __post_init__(self):
        _check(self.yearly_revenue >= 0, "yearly_revenue", self.yearly_revenue, "a revenue of 0 or more")
        _check(0 <= self.margin <= 1, "margin", self.margin, "a share between 0 and 1 (0.3 = 30 %)")
        _check(0 <= self.retention <= 1, "retention", self.retention,
               "a share between 0 and 1 (0.6 = 60 % stay a year later)")
        _check(float(self.years).is_integer() and self.years >= 1, "years", self.years,
               "a whole number of years, 1 or more")
        _check(0 <= self.discount_rate < 1, "discount_rate", self.discount_rate,
               "a yearly rate between 0 and 1 (0.1 = 10 %)")
        _check(self.retention_cost >= 0, "retention_cost", self.retention_cost, "a cost of 0 or more")

    @property
    def yearly_profit(self) -> float:
        return self.yearly_revenue * self.margin

    def replace(self, **changes) -> "LTVInputs":
        """A copy with some inputs changed (checked again)."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _check(ok: bool, name: str, value, expected: str) -> None:
    if not (isinstance(value, (int, float, np.integer, np.floating)) and np.isfinite(value) and ok):
        raise InputError(f"scenario input {name}={value!r} is not valid: expected {expected}. "
                         f"Set it in the notebook's parameters (or leave it None to take it from the data).")


# --------------------------------------------------------------------------- simple LTV
def cash_flows(inputs: LTVInputs) -> pd.DataFrame:
    """Year-by-year expected revenue and profit of one customer, and their value today.

    Columns: year (1..n), survival (r^(t-1)), revenue, profit, retention_cost, net_profit,
    discount_factor (1/(1+d)^t), pv_revenue, pv_profit, pv_net_profit.
    """
    year = np.arange(1, int(inputs.years) + 1)
    survival = inputs.retention ** (year - 1.0)
    discount = (1.0 + inputs.discount_rate) ** -year.astype(float)
    revenue = inputs.yearly_revenue * survival
    profit = inputs.yearly_profit * survival
    cost = inputs.retention_cost * survival
    return pd.DataFrame({
        "year": year, "survival": survival, "revenue": revenue, "profit": profit,
        "retention_cost": cost, "net_profit": profit - cost, "discount_factor": discount,
        "pv_revenue": revenue * discount, "pv_profit": profit * discount,
        "pv_net_profit": (profit - cost) * discount,
    })


@dataclass(frozen=True)
class LTVResult:
    """Lifetime value of one customer: nominal (undiscounted) and today's (discounted) value."""

    revenue: float            # nominal revenue over the years
    profit: float             # nominal profit over the years
    revenue_today: float      # discounted revenue
    profit_today: float       # discounted profit (the LTV)
    net_profit_today: float   # discounted profit after the yearly retention cost

    @property
    def discount_loss(self) -> float:
        """Share of the nominal profit lost by discounting to today (0 when no discount)."""
        return 1.0 - self.profit_today / self.profit if self.profit else 0.0

    def as_dict(self) -> dict:
        return {**dataclasses.asdict(self), "discount_loss": self.discount_loss}


def lifetime_value(inputs: LTVInputs) -> LTVResult:
    """Revenue and profit LTV of one customer (see the module docstring for the formula)."""
    flows = cash_flows(inputs)
    return LTVResult(revenue=float(flows["revenue"].sum()), profit=float(flows["profit"].sum()),
                     revenue_today=float(flows["pv_revenue"].sum()),
                     profit_today=float(flows["pv_profit"].sum()),
                     net_profit_today=float(flows["pv_net_profit"].sum()))


def perpetuity_ltv(yearly_profit: float, retention: float, discount_rate: float) -> float:
    """The infinite-horizon limit ``m R / (1 + d - r)`` of the LTV formula."""
    if 1.0 + discount_rate - retention <= 0:
        raise InputError("perpetuity LTV needs retention < 1 + discount_rate.")
    return yearly_profit / (1.0 + discount_rate - retention)


LTV_FORMULA = r"\mathrm{LTV} = \sum_{t=1}^{n} \frac{R \cdot m \cdot r^{\,t-1}}{(1+d)^{t}}"


# --------------------------------------------------------------------------- what-ifs
def with_retention(inputs: LTVInputs, retention: float) -> LTVInputs:
    """``inputs`` with another retention, capped to [0, MAX_RETENTION]."""
    return inputs.replace(retention=float(np.clip(retention, 0.0, MAX_RETENTION)))


def project_base(inputs: LTVInputs, base_customers: float, new_customers_per_year: float = 0.0,
                 years: int | None = None) -> pd.DataFrame:
    """Projection of the customer base and its profit, year by year.

    The ``base_customers`` active now buy in year 1; each year a share ``retention`` of the
    year's customers is still there the next year, and ``new_customers_per_year`` join
    (and buy in the year they join). Columns: year, retained (from the year before), new,
    active, revenue, profit, pv_profit (discounted to today), cumulative_pv_profit.
    Without new customers, the total ``pv_profit`` equals ``base_customers x LTV``.
    """
    years = int(inputs.years if years is None else years)
    if base_customers < 0 or new_customers_per_year < 0:
        raise InputError("base_customers and new_customers_per_year must be 0 or more.")
    rows, active = [], 0.0
    for year in range(1, years + 1):
        retained = base_customers if year == 1 else active * inputs.retention
        active = retained + new_customers_per_year
        revenue = active * inputs.yearly_revenue
        profit = active * (inputs.yearly_profit - inputs.retention_cost)
        rows.append((year, retained, new_customers_per_year, active, revenue, profit,
                     profit / (1.0 + inputs.discount_rate) ** year))
    frame = pd.DataFrame(rows, columns=["year", "retained", "new", "active", "revenue", "profit",
                                        "pv_profit"])
    frame["cumulative_pv_profit"] = frame["pv_profit"].cumsum()
    return frame


def steady_state_base(retention: float, new_customers_per_year: float) -> float:
    """Active customers the base settles at: where the new customers only replace those who leave.

    ``active = retention x active + new`` gives ``new / (1 - retention)`` (infinite when nobody leaves).
    :func:`project_base` approaches it from either side, whatever the starting base.
    """
    if new_customers_per_year < 0 or not 0 <= retention <= 1:
        raise InputError("steady_state_base needs retention in [0, 1] and new customers of 0 or more.")
    return float("inf") if retention >= 1 else new_customers_per_year / (1.0 - retention)


def practitioners_position(profit_change: float, band=PRACTITIONERS_PROFIT_RANGE) -> str:
    """Where a profit change falls against the 25-85 % rule of thumb: below, within or above."""
    low, high = band
    if profit_change < low:
        return "below"
    return "above" if profit_change > high else "within"


def retention_uplift(inputs: LTVInputs, points: float = 0.05, base_customers: float = 1.0,
                     new_customers_per_year: float = 0.0) -> dict:
    """What ``points`` more retention (0.05 = 5 points less churn) is worth.

    Returns the per-customer LTV (discounted profit) before and after, the total discounted
    profit of the base over the scenario years (projection with acquisitions) before and after,
    their relative changes, and where the base's change falls against the practitioners'
    "5 % less churn -> 25-85 % more profit" (``position``: below / within / above).
    """
    after_inputs = with_retention(inputs, inputs.retention + points)
    before, after = lifetime_value(inputs), lifetime_value(after_inputs)
    base_before = project_base(inputs, base_customers, new_customers_per_year)["pv_profit"].sum()
    base_after = project_base(after_inputs, base_customers, new_customers_per_year)["pv_profit"].sum()
    ltv_change = after.profit_today / before.profit_today - 1.0 if before.profit_today else float("nan")
    base_change = base_after / base_before - 1.0 if base_before else float("nan")
    return {
        "points": float(points),
        "retention_before": inputs.retention, "retention_after": after_inputs.retention,
        "ltv_before": before.profit_today, "ltv_after": after.profit_today, "ltv_change": ltv_change,
        "base_profit_before": float(base_before), "base_profit_after": float(base_after),
        "base_profit_change": float(base_change),
        "practitioners_range": list(PRACTITIONERS_PROFIT_RANGE),
        "position": practitioners_position(base_change),
    }


def ltv_to_cac(inputs: LTVInputs, acquisition_cost_multiple: float = 5.0,
               multiples=ACQUISITION_COST_MULTIPLES) -> pd.DataFrame:
    """LTV : CAC when winning a customer costs a multiple of the yearly cost of keeping one.

    CAC = multiple x ``retention_cost``; LTV is the discounted profit after retention costs.
    One row per multiple (the practitioners' 5x and 10x plus ``acquisition_cost_multiple``),
    sorted: multiple, cac, ltv_net, ratio, chosen (the row of ``acquisition_cost_multiple``).
    """
    if inputs.retention_cost <= 0:
        raise InputError("LTV : CAC needs a yearly retention cost above 0 (parameter retention_cost "
                         "or retention_cost_share).")
    if not acquisition_cost_multiple > 0:
        raise InputError(f"acquisition_cost_multiple={acquisition_cost_multiple!r}: expected a "
                         "multiple above 0 (practitioners quote 5-10).")
    ltv_net = lifetime_value(inputs).net_profit_today
    chosen = float(acquisition_cost_multiple)
    values = sorted({float(m) for m in multiples} | {chosen})
    frame = pd.DataFrame({"multiple": values})
    frame["cac"] = frame["multiple"] * inputs.retention_cost
    frame["ltv_net"] = ltv_net
    frame["ratio"] = ltv_net / frame["cac"]
    frame["chosen"] = frame["multiple"].eq(chosen)
    return frame


def sensitivity_grid(inputs: LTVInputs, retentions=None, margins=None) -> pd.DataFrame:
    """Discounted profit LTV for every retention (rows) x margin (columns) pair.

    Default grids: retention 10-90 % by 10 points and margin 10-60 % by 10 points, each with
    the scenario's own value added.
    """
    retentions = _grid(retentions, np.arange(0.1, 0.91, 0.1), inputs.retention)
    margins = _grid(margins, np.arange(0.1, 0.61, 0.1), inputs.margin)
    values = [[lifetime_value(inputs.replace(retention=r, margin=m)).profit_today for m in margins]
              for r in retentions]
    frame = pd.DataFrame(values, index=pd.Index(retentions, name="retention"),
                         columns=pd.Index(margins, name="margin"))
    return frame


def _grid(given, default, own) -> list[float]:
    values = np.asarray(default if given is None else given, dtype=float)
    if given is None:
        values = np.append(values, own)
    return sorted({round(float(v), 4) for v in values})


#: Inputs the tornado varies, with how: relative (x (1 -/+ swing)) or by retention points.
TORNADO_INPUTS = ("yearly_revenue", "margin", "retention", "years", "discount_rate", "retention_cost")


def tornado(inputs: LTVInputs, swing: float = 0.2, retention_points: float = 0.1,
            ranges: dict | None = None, value: str = "net_profit_today") -> pd.DataFrame:
    """One-at-a-time sensitivity of the LTV to every input (the tornado chart's data).

    Each input moves to a low and a high value while the others stay: revenue, margin, years,
    discount rate and retention cost by -/+ ``swing`` (relative; years rounded, at least 1),
    retention by -/+ ``retention_points``; ``ranges`` ({input: (low, high)}) overrides any of
    them. Inputs equal to 0 (e.g. no discount) move from 0 to ``swing`` absolute for rates.
    Columns: input, low, high, ltv_low, ltv_high, swing (|ltv_high - ltv_low|), sorted by swing.
    """
    base = getattr(lifetime_value(inputs), value)
    ranges = dict(ranges or {})
    rows = []
    for name in TORNADO_INPUTS:
        current = getattr(inputs, name)
        if name in ranges:
            low, high = ranges[name]
        elif name == "retention":
            low, high = current - retention_points, current + retention_points
        elif name == "discount_rate" and current == 0:
            low, high = 0.0, swing / 2
        elif name == "years":
            low, high = max(1, round(current * (1 - swing))), max(1, round(current * (1 + swing)))
        else:
            low, high = current * (1 - swing), current * (1 + swing)
        if name in ("retention", "margin"):
            low, high = (float(np.clip(v, 0.0, MAX_RETENTION if name == "retention" else 1.0))
                         for v in (low, high))
        if name == "discount_rate":
            low, high = max(0.0, low), min(0.99, high)
        ltv_low = getattr(lifetime_value(inputs.replace(**{name: low})), value)
        ltv_high = getattr(lifetime_value(inputs.replace(**{name: high})), value)
        rows.append((name, current, low, high, ltv_low, ltv_high, abs(ltv_high - ltv_low)))
    frame = pd.DataFrame(rows, columns=["input", "value", "low", "high", "ltv_low", "ltv_high", "swing"])
    frame.attrs["base"] = base
    return frame.sort_values(["swing", "input"], ascending=[False, True], ignore_index=True)


# --------------------------------------------------------------------------- defaults from data
@dataclass(frozen=True)
class ObservedInputs:
    """Scenario defaults read from the transactions, over two consecutive periods.

    Retention follows the practitioners' definition: customers active in the earlier period
    who are active again in the later one, over those active in the earlier one; with periods
    shorter than a year it is annualised (``r ** (12 / months)``). Revenue per customer is the
    later period's net revenue per active customer, scaled to a year; new customers are those
    whose first purchase falls in the later period, scaled to a year.
    """

    period_months: int
    previous_start: pd.Timestamp     # exclusive
    current_start: pd.Timestamp      # exclusive (= end of the previous period)
    as_of: pd.Timestamp              # inclusive end of the later period
    active_previous: int
    retained: int
    active_current: int
    new_current: int
    revenue_current: float

    @property
    def period_retention(self) -> float:
        return self.retained / self.active_previous if self.active_previous else float("nan")

    @property
    def retention(self) -> float:
        """Yearly retention."""
        return self.period_retention ** (12.0 / self.period_months)

    @property
    def yearly_revenue(self) -> float:
        """Revenue per active customer per year."""
        if not self.active_current:
            return float("nan")
        return self.revenue_current / self.active_current * 12.0 / self.period_months

    @property
    def new_customers_per_year(self) -> float:
        return self.new_current * 12.0 / self.period_months

    def as_dict(self) -> dict:
        return {**dataclasses.asdict(self), "period_retention": self.period_retention,
                "retention": self.retention, "yearly_revenue": self.yearly_revenue,
                "new_customers_per_year": self.new_customers_per_year}


def observed_inputs(transactions: pd.DataFrame, as_of_date=None, period_months: int = 12,
                    tolerance_days: int = 7) -> ObservedInputs:
    """Yearly retention, revenue per customer and new customers per year from the data.

    Uses the last two ``period_months`` periods up to ``as_of_date`` (default: the last
    transaction day). When the data do not reach back two periods (allowing a start up to
    ``tolerance_days`` late), the period shrinks to the longest whole number of months that
    fits twice, and the figures are annualised. A purchase is a customer-day with a positive
    net amount (as in the customer summary).
    """
    if transactions.empty:
        raise InputError("no transactions to read scenario defaults from; set the scenario "
                         "parameters (retention, yearly revenue) by hand.")
    as_of = (pd.Timestamp(as_of_date) if as_of_date not in (None, "")
             else transactions["date"].max()).normalize()
    daily = (transactions.assign(day=transactions["date"].dt.normalize())
             .loc[lambda f: f["day"] <= as_of]
             .groupby(["customer_id", "day"], sort=False)["amount"].sum().reset_index())
    first_day = daily["day"].min()
    months = int(period_months)
    while months >= 1 and as_of - pd.DateOffset(months=2 * months) < first_day - pd.Timedelta(days=tolerance_days + 1):
        months -= 1
    if months < 1:
        raise InputError(f"the data cover less than two months before {as_of.date()}: too short to "
                         "observe retention. Set the scenario retention and yearly revenue parameters.")
    current_start = as_of - pd.DateOffset(months=months)
    previous_start = as_of - pd.DateOffset(months=2 * months)
    purchases = daily[daily["amount"] > 0]
    previous = set(purchases.loc[(purchases["day"] > previous_start) & (purchases["day"] <= current_start),
                                 "customer_id"])
    in_current = (purchases["day"] > current_start)
    current = set(purchases.loc[in_current, "customer_id"])
    first_purchase = purchases.groupby("customer_id")["day"].min()
    new = int((first_purchase > current_start).sum())
    current_revenue = float(daily.loc[(daily["day"] > current_start)
                                      & daily["customer_id"].isin(current), "amount"].sum())
    return ObservedInputs(period_months=months, previous_start=previous_start,
                          current_start=current_start, as_of=as_of,
                          active_previous=len(previous), retained=len(previous & current),
                          active_current=len(current), new_current=new,
                          revenue_current=current_revenue)


@dataclass(frozen=True)
class ClientScenario:
    """A client's scenario: per-customer inputs, the base it applies to, and their sources."""

    inputs: LTVInputs
    base_customers: float
    new_customers_per_year: float
    sources: dict
    observed: ObservedInputs | None

    def as_dict(self) -> dict:
        return {**self.inputs.as_dict(), "base_customers": self.base_customers,
                "new_customers_per_year": self.new_customers_per_year, "sources": dict(self.sources),
                "observed": self.observed.as_dict() if self.observed else None}


#: Notebook parameter behind each scenario input taken from the data when left None.
PARAMETER_NAMES = {"retention": "scenario_retention", "yearly_revenue": "scenario_yearly_revenue",
                   "base_customers": "scenario_base_customers",
                   "new_customers_per_year": "scenario_new_customers_per_year"}


def scenario_inputs(observed: ObservedInputs | None, margin: float, years: int, discount_rate: float,
                    retention: float | None = None, yearly_revenue: float | None = None,
                    base_customers: float | None = None, new_customers_per_year: float | None = None,
                    retention_cost: float | None = None, retention_cost_share: float = 0.05
                    ) -> ClientScenario:
    """The scenario: each input from its parameter when given, else from the data.

    Retention above :data:`MAX_RETENTION` is capped. ``retention_cost`` defaults to
    ``retention_cost_share`` of the yearly revenue. ``sources`` says, per input, whether it
    came from the ``"data"``, a ``"parameter"`` or the ``"share_of_revenue"``.
    """
    from_data = {"retention": observed.retention, "yearly_revenue": observed.yearly_revenue,
                 "base_customers": observed.active_current,
                 "new_customers_per_year": observed.new_customers_per_year} if observed else {}
    given = {"retention": retention, "yearly_revenue": yearly_revenue, "base_customers": base_customers,
             "new_customers_per_year": new_customers_per_year}
    values, sources = {}, {}
    for name, value in given.items():
        if value is not None:
            values[name], sources[name] = float(value), "parameter"
        elif name in from_data and np.isfinite(from_data[name]):
            values[name], sources[name] = float(from_data[name]), "data"
        else:
            raise InputError(f"scenario input {name}: the data do not give it (too short or empty); "
                             f"set the parameter {PARAMETER_NAMES[name]}.")
    if retention_cost is None:
        if not 0 <= retention_cost_share <= 1:
            raise InputError(f"retention_cost_share={retention_cost_share!r}: expected a share "
                             "between 0 and 1 of the yearly revenue (0.05 = 5 %).")
        cost, sources["retention_cost"] = values["yearly_revenue"] * retention_cost_share, "share_of_revenue"
    else:
        cost, sources["retention_cost"] = float(retention_cost), "parameter"
    inputs = LTVInputs(yearly_revenue=values["yearly_revenue"], margin=float(margin),
                       retention=min(values["retention"], MAX_RETENTION), years=int(years),
                       discount_rate=float(discount_rate), retention_cost=cost)
    sources.update(margin="parameter", years="parameter", discount_rate="parameter")
    return ClientScenario(inputs=inputs, base_customers=values["base_customers"],
                          new_customers_per_year=values["new_customers_per_year"],
                          sources=sources, observed=observed)


def client_scenario(transactions: pd.DataFrame, as_of_date=None, **settings) -> ClientScenario:
    """:func:`scenario_inputs` with the defaults observed in ``transactions``.

    When the data are too short to observe retention, the scenario still builds if every
    data-based input is given as a parameter.
    """
    try:
        observed = observed_inputs(transactions, as_of_date)
    except InputError:
        observed = None
    return scenario_inputs(observed, **settings)


def check_parameters(**values) -> None:
    """Refuse notebook parameters out of range before any work, naming the parameter.

    Knows ``margin``, ``annual_discount_rate``, ``retention_uplift_points``,
    ``retention_cost_share`` (shares), ``clv_horizon_months``, ``clv_interval_draws``,
    ``scenario_years``, ``projection_years`` (whole numbers >= 1), ``acquisition_cost_multiple``
    (> 0) and ``scenario_retention`` (share or None).
    """
    shares = {"margin", "annual_discount_rate", "retention_uplift_points", "retention_cost_share",
              "scenario_retention"}
    counts = {"clv_horizon_months", "clv_interval_draws", "scenario_years", "projection_years"}
    for name, value in values.items():
        if value is None and name == "scenario_retention":
            continue
        number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
            and np.isfinite(value)
        if name in shares and not (number and 0 <= value <= 1):
            raise InputError(f"parameter {name}={value!r}: expected a share between 0 and 1 "
                             f"(0.3 = 30 %).")
        if name in counts and not (number and float(value).is_integer() and value >= 1):
            raise InputError(f"parameter {name}={value!r}: expected a whole number, 1 or more.")
        if name == "acquisition_cost_multiple" and not (number and value > 0):
            raise InputError(f"parameter {name}={value!r}: expected a multiple above 0 "
                             "(practitioners quote 5-10).")
