"""timestamp_text writes what Arrow's strftime writes, for every format the date parsers try."""
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from crmlib import io
from crmlib.timestamps import supports, timestamp_text


def _timestamps(n: int = 20_000) -> pa.Array:
    rng = np.random.default_rng(7)
    # years 1..9999 through Python's datetime range (pandas' nanoseconds stop at 1677-2262)
    low, high = -62135596800, 253402214400
    seconds = rng.integers(low, high, size=n, dtype=np.int64)
    edges = np.array([low, high - 1, 0, 951782400, 946684799], dtype=np.int64)  # 29 Feb 2000, 31 Dec 1999
    mask = np.zeros(n + len(edges) + 1, dtype=bool)
    mask[-1] = True  # a null
    return pa.array(np.concatenate([seconds, edges, [0]]), type=pa.timestamp("s"), mask=mask)


@pytest.mark.parametrize("fmt", io._candidate_formats(True) + io._candidate_formats(False)
                         + ["%Y-%m-%d %H:%M:%S"])
def test_same_text_as_arrow_strftime(fmt):
    stamps = _timestamps()
    assert supports(fmt)
    assert timestamp_text(stamps, fmt).to_pylist() == pc.strftime(stamps, format=fmt).to_pylist()


def test_unsupported_directives_are_refused():
    assert not supports("%d %B %Y") and not supports("100%%")
    with pytest.raises(ValueError, match="strftime"):
        timestamp_text(_timestamps(3), "%d %B %Y")


def test_the_exact_check_still_refuses_calendar_rollover():
    values = pd.Series(["31/02/2024", "29/02/2023 10:00", "29/02/2024 10:00", "31/04/2024", "1/2/2024"])
    parsed = io.parse_distinct_dates(values, dayfirst=True)
    assert parsed.isna().tolist() == [True, True, False, True, False]
    assert parsed.iloc[2] == pd.Timestamp("2024-02-29 10:00") and parsed.iloc[4] == pd.Timestamp("2024-02-01")
