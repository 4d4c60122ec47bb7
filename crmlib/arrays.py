"""Array helpers for millions of rows."""
from __future__ import annotations

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-d array, as ``np.unique(values)``, by sorting.

    NumPy 2.3+ finds ``np.unique``'s values (without inverse or counts) through a hash table:
    on 10 million int64 keys that takes 16 s against 0.7 s for a sort on the 2-core machine.
    """
    ordered = np.sort(np.asarray(values).ravel())
    if ordered.size < 2:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def all_distinct(values: np.ndarray) -> bool:
    """Whether no value of a 1-d integer array repeats, as ``pd.Series(values).is_unique``.

    Non-negative values up to a few times the array's length (line numbers) are counted with
    ``np.bincount`` — 10 million in a twentieth of a second, against 1.5 s for a hash table —
    others are sorted.
    """
    values = np.asarray(values).ravel()
    if values.size < 2:
        return True
    low, high = int(values.min()), int(values.max())
    if low >= 0 and high <= 4 * values.size + 1024:
        return int(np.bincount(values, minlength=0).max()) <= 1
    ordered = np.sort(values)
    return not bool((ordered[1:] == ordered[:-1]).any())


def customer_day_keys(codes: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, int, int]:
    """One int64 key per (customer code, whole day), ordered by code then day, and the
    ``first_day`` and ``span`` that decode it: code = key // span, day = key % span + first_day.
    Grouping on one integer instead of two columns saves a factorisation and a MultiIndex."""
    first_day = int(day.min())
    span = int(day.max()) - first_day + 1
    return codes.astype(np.int64) * span + (day - first_day), first_day, span
