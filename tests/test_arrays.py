"""The array helpers against NumPy and pandas on the same values."""
import numpy as np
import pandas as pd
import pandera.errors
import pytest

from crmlib.arrays import all_distinct, distinct
from crmlib.validate import canonical_schema


@pytest.mark.parametrize("values", [
    np.arange(2, 100_002),                                          # line numbers
    np.random.default_rng(1).permutation(100_000) + 2,              # line numbers in date order
    np.r_[np.arange(2, 50_002), 17],                                # one line twice
    np.array([10**15, -3, 7, 10**15 + 1]),                          # large and negative: sorted
    np.array([10**15, -3, 7, -3]),
    np.array([5]), np.array([], dtype=np.int64),
])
def test_all_distinct_as_pandas(values):
    assert all_distinct(values) == pd.Series(values, dtype="int64").is_unique


def test_distinct_as_numpy_unique():
    values = np.random.default_rng(2).integers(-50, 50, size=10_000)
    assert np.array_equal(distinct(values), np.unique(values))


def test_schema_refuses_a_line_number_twice():
    frame = pd.DataFrame({"customer_id": ["a", "b"], "date": pd.to_datetime(["2024-01-01"] * 2),
                          "amount": [1.0, 2.0], "is_return": [False, False], "line": [2, 2]})
    with pytest.raises(pandera.errors.SchemaError, match="every line number once"):
        canonical_schema().validate(frame)
    canonical_schema().validate(frame.assign(line=[2, 3]))
