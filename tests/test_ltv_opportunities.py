"""Discrete-time (opportunity) histories for the BG/BB, on hand-made transactions."""
from __future__ import annotations

import pandas as pd
import pytest

from crmlib.ltv.opportunities import opportunity_summary


def test_yearly_opportunities_by_hand():
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "b", "c", "d", "d"],
        "date": pd.to_datetime(["2019-03-01", "2019-11-30", "2021-05-01", "2023-02-02",
                                "2020-06-01", "2020-06-01", "2021-12-31", "2023-01-05", "2022-07-07"]),
        "amount": [10, 5, 7, 3, 8, -20, 4, 9, 2],
    })
    table = opportunity_summary(tx, observation_end="2023-03-31", period="year")
    # last complete year 2022: a first bought 2019 -> opportunities 2020..2022, bought in 2021
    assert table.loc["a"].tolist() == [1, 2, 3]
    # b's only day nets to -12: not a purchase -> b has no purchase day at all
    assert "b" not in table.index and table.attrs["without_purchase"] == 1
    assert table.loc["c"].tolist() == [0, 0, 1]  # 2022 without a purchase
    # d first bought in 2022, the last complete year: no opportunity yet
    assert "d" not in table.index and table.attrs["without_opportunity"] == 1
    december = opportunity_summary(tx, observation_end="2022-12-31")
    assert december.attrs["last_complete_period"] == "2022"
    with pytest.raises(ValueError, match="period"):
        opportunity_summary(tx, period="week")
