"""Calibration / holdout split of the transactions for checking the lifetime-value models.

The models are fitted on the calibration period and judged on the holdout period after it.
``calibration_end=None`` keeps the last half year as holdout: 26 weeks (time unit ``W``),
182 days (``D``) or 6 calendar months (``M``), shortened to a third of the data when the
data are shorter than 18 months, so that calibration stays at least twice the holdout.
"""
from __future__ import annotations

import pandas as pd

from crmlib.io import InputError

#: Default holdout length per time unit.
DEFAULT_HOLDOUT = {"W": pd.Timedelta(weeks=26), "D": pd.Timedelta(days=182), "M": pd.DateOffset(months=6)}


def calibration_split(transactions: pd.DataFrame, calibration_end=None, as_of_date=None,
                      time_unit: str = "W") -> tuple[pd.Timestamp, pd.Timestamp]:
    """``(calibration_end, observation_end)`` as normalised dates.

    ``observation_end`` is ``as_of_date``, or the last transaction day when the data end
    earlier (or no ``as_of_date`` is given): the holdout is judged only over days the export
    covers. An explicit ``calibration_end`` must fall after the first purchase and before
    ``observation_end``.
    """
    if time_unit not in DEFAULT_HOLDOUT:
        raise InputError(f"time_unit={time_unit!r}: expected one of {sorted(DEFAULT_HOLDOUT)} "
                         "(D days, W weeks, M months).")
    if transactions.empty:
        raise InputError("no transactions: nothing to split into calibration and holdout.")
    first = transactions["date"].min().normalize()
    last = transactions["date"].max().normalize()
    end = last if as_of_date in (None, "") else min(pd.Timestamp(as_of_date).normalize(), last)
    if calibration_end in (None, ""):
        cal_end = end - DEFAULT_HOLDOUT[time_unit]
        if cal_end - first < 2 * (end - cal_end):
            cal_end = first + (end - first) * 2 / 3
        return cal_end.normalize(), end
    try:
        cal_end = pd.Timestamp(calibration_end).normalize()
    except (ValueError, TypeError):
        raise InputError(f"calibration_end={calibration_end!r} is not a date; write it as "
                         "YYYY-MM-DD, or None for the last half year as holdout.") from None
    if not first < cal_end < end:
        raise InputError(f"calibration_end={cal_end.date()} must fall between the first purchase "
                         f"({first.date()}) and the end of the data ({end.date()}); "
                         "set it to a date inside that range or to None.")
    return cal_end, end
