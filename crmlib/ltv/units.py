"""Time units of the lifetime-value models: weeks ("W"), days ("D") or months ("M").

A model's parameters carry the time unit of the data it was fitted on. Periods per year
(for discounting): 365.25 days, 52.1775 weeks, 12 months. Durations convert with 7 days
a week and 365.25 / 12 = 30.4375 days a month (no 30-day-month shortcut).
"""
from __future__ import annotations

PERIODS_PER_YEAR = {"D": 365.25, "W": 52.1775, "M": 12.0}
DAYS_PER_UNIT = {"D": 1.0, "W": 7.0, "M": 365.25 / 12.0}


def check_time_unit(unit: str) -> str:
    if unit not in PERIODS_PER_YEAR:
        raise ValueError(f"time unit must be one of {sorted(PERIODS_PER_YEAR)}, got {unit!r}")
    return unit


def convert_time(value, from_unit: str, to_unit: str):
    """Express a duration given in ``from_unit`` in ``to_unit``."""
    return value * DAYS_PER_UNIT[check_time_unit(from_unit)] / DAYS_PER_UNIT[check_time_unit(to_unit)]


def per_period_rate(annual_rate: float, unit: str) -> float:
    """Discount rate per period equivalent to ``annual_rate``: (1 + r)^(1/periods) - 1."""
    if annual_rate <= -1:
        raise ValueError("annual_rate must exceed -1")
    return (1.0 + annual_rate) ** (1.0 / PERIODS_PER_YEAR[check_time_unit(unit)]) - 1.0
