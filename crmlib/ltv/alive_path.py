"""P(alive) along one customer's history (lifetimes' ``calculate_alive_path``).

For every day from the customer's first purchase to ``end`` the model's P(alive) is
evaluated on the history known that day: repeat purchase days so far, time from the first to
the latest purchase, time since the first purchase. Purchase days follow the package's
summary (``crmlib.summary.btyd_summary``): same-day lines are one purchase, and a day whose
net amount is negative (a return) is not a purchase.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.ltv.units import DAYS_PER_UNIT

#: The first day has T = 0, where the models are undefined: it is evaluated a minute later.
_FIRST_DAY_T = 1.0 / (24 * 60)


def purchase_days(transactions: pd.DataFrame, customer_id) -> pd.DatetimeIndex:
    """The distinct purchase days of one customer (net amount of the day not negative)."""
    for column in ("customer_id", "date"):
        if column not in transactions.columns:
            raise ValueError(f"transactions lack the column {column!r}")
    rows = transactions[transactions["customer_id"].astype(str) == str(customer_id)]
    if rows.empty:
        raise ValueError(f"customer {customer_id!r} has no transactions")
    days = pd.to_datetime(rows["date"]).dt.normalize()
    if "amount" in rows.columns:
        net = rows["amount"].groupby(days).sum()
        return pd.DatetimeIndex(net.index[net.to_numpy() >= 0]).sort_values()
    return pd.DatetimeIndex(days.unique()).sort_values()


def alive_path(model, transactions: pd.DataFrame, customer_id, end, freq: str = "D") -> pd.DataFrame:
    """P(alive) of ``customer_id`` on each day (``freq``) from his first purchase to ``end``.

    ``model``: a fitted BG/NBD, MBG/NBD or Pareto/NBD model (its ``time_unit`` converts days).
    Returns columns date, frequency, recency, T and p_alive.
    """
    days = purchase_days(transactions, customer_id)
    end = pd.Timestamp(end).normalize()
    days = days[days <= end]
    if days.empty:
        raise ValueError(f"customer {customer_id!r} has no purchase on or before {end.date()}")
    grid = pd.date_range(days[0], end, freq=freq)
    if grid.empty or grid[-1] != end:
        grid = grid.append(pd.DatetimeIndex([end]))
    unit = DAYS_PER_UNIT[model.time_unit]
    bought = np.searchsorted(days.values, grid.values, side="right")  # purchase days so far
    first = days[0]
    last = days[bought - 1]
    frequency = (bought - 1).astype(float)
    recency = np.asarray((last - first).days, float) / unit
    T = np.maximum(np.asarray((grid - first).days, float) / unit, _FIRST_DAY_T / unit)
    alive = np.asarray(model.probability_alive(frequency, recency, T), float)
    return pd.DataFrame({"date": grid, "frequency": frequency.astype("int64"), "recency": recency,
                         "T": T, "p_alive": alive})


#: The archetypes of :func:`alive_archetypes`, in chart order.
ARCHETYPES = ("loyal", "lapsing", "one_time", "newcomer")


def alive_archetypes(summary: pd.DataFrame, model) -> dict:
    """One customer per archetype from a BTYD summary (indexed by customer_id), for the
    alive-path chart: ``loyal`` (the most repeat purchases, most likely alive among the top
    5 %), ``lapsing`` (3+ repeat purchases, least likely alive), ``one_time`` (no repeat
    purchase, the longest observed) and ``newcomer`` (no repeat purchase yet, the shortest
    observed with T >= 10 % of the longest). Ties go to the smallest customer_id; an
    archetype without a candidate is left out; a customer appears once."""
    alive = pd.Series(np.asarray(model.probability_alive(summary["frequency"], summary["recency"],
                                                         summary["T"]), float), index=summary.index)
    frame = summary.assign(p_alive=alive).sort_index()
    chosen: dict = {}

    def pick(candidates, by, ascending):
        candidates = candidates[~candidates.index.isin(list(chosen.values()))]
        if candidates.empty:
            return None
        order = candidates.reset_index().sort_values([by, candidates.index.name or "index"],
                                                     ascending=[ascending, True], kind="mergesort")
        return order.iloc[0][candidates.index.name or "index"]

    top = frame[frame["frequency"] >= frame["frequency"].quantile(0.95)]
    picks = {
        "loyal": (top[top["frequency"] > 0], "p_alive", False),
        "lapsing": (frame[frame["frequency"] >= 3], "p_alive", True),
        "one_time": (frame[frame["frequency"] == 0], "T", False),
        "newcomer": (frame[(frame["frequency"] == 0) & (frame["T"] >= 0.1 * frame["T"].max())], "T", True),
    }
    for name in ARCHETYPES:
        candidates, by, ascending = picks[name]
        customer = pick(candidates, by, ascending)
        if customer is not None:
            chosen[name] = customer
    return chosen
