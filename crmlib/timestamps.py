"""Arrow timestamps written as text from their parts: the same text as Arrow's ``strftime``
for the directives the date parsers use, at a small part of its cost (``strftime`` takes over
a second per million values). Years 0-9999 make fixed-width texts, written as digit bytes
straight from the calendar parts in NumPy (hundredths of a second per million values)."""
from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Directive -> (timestamp part, width in digits) that :func:`timestamp_text` writes.
_PARTS = {"Y": (pc.year, 4), "y": (pc.year, 2), "m": (pc.month, 2), "d": (pc.day, 2),
          "H": (pc.hour, 2), "M": (pc.minute, 2), "S": (pc.second, 2)}
_PIECE = re.compile(r"%(.)|([^%]+)")


def supports(fmt: str) -> bool:
    """Whether :func:`timestamp_text` writes ``fmt`` (only the directives of :data:`_PARTS`)."""
    return all(directive is None or directive in _PARTS for directive, _ in _pieces(fmt))


def timestamp_text(column: pa.Array | pa.ChunkedArray, fmt: str) -> pa.Array | pa.ChunkedArray:
    """``column`` (timestamps) as text in ``fmt``, as ``pc.strftime(column, format=fmt)`` writes it
    (years below 1000 padded to four digits); null stays null."""
    if not supports(fmt):
        raise ValueError(f"timestamp_text cannot write {fmt!r}; use pyarrow.compute.strftime")
    if isinstance(column, pa.ChunkedArray):
        return pa.chunked_array([timestamp_text(chunk, fmt) for chunk in column.chunks], type=pa.string())
    fixed = _fixed_width_text(column, fmt)
    if fixed is not None:
        return fixed
    pieces = []
    for directive, text in _pieces(fmt):
        if directive is None:
            pieces.append(text)
            continue
        part, width = _PARTS[directive]
        number = part(column)
        if directive == "y":
            number = pc.remainder(number, 100)  # Arrow's %y: the year within its century
        pieces.append(pc.utf8_lpad(number.cast(pa.string()), width, "0"))
    return pc.binary_join_element_wise(*pieces, "")


def _pieces(fmt: str) -> list[tuple[str | None, str | None]]:
    """``fmt`` as (directive, None) and (None, literal text) in order."""
    return [(directive or None, text or None) for directive, text in _PIECE.findall(fmt)]


_TWO_DIGITS = np.array([[48 + n // 10, 48 + n % 10] for n in range(100)], dtype=np.uint8)
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def _fixed_width_text(column: pa.Array, fmt: str) -> pa.Array | None:
    """:func:`timestamp_text` as digit bytes from NumPy; None when a year is outside 0-9999
    (its text would not have a fixed width)."""
    ticks = pc.fill_null(column.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    seconds = np.floor_divide(ticks, _PER_SECOND[column.type.unit])
    days, in_day = np.divmod(seconds, 86_400)
    year, month, day = _civil_from_days(days)
    if year.size and (year.min() < 0 or year.max() > 9999):
        return None
    pairs = {"y": [year % 100], "Y": [year // 100, year % 100], "m": [month], "d": [day],
             "H": [in_day // 3600], "M": [in_day // 60 % 60], "S": [in_day % 60]}
    pieces = [(list(text.encode()), None) if directive is None else (None, pairs[directive])
              for directive, text in _pieces(fmt)]
    width = sum(len(literal) if literal else 2 * len(numbers) for literal, numbers in pieces)
    data = np.empty((year.size, width), dtype=np.uint8)
    at = 0
    for literal, numbers in pieces:
        if literal:
            data[:, at:at + len(literal)] = literal
            at += len(literal)
            continue
        for number in numbers:  # two digits at a time, from a table of 00..99
            data[:, at:at + 2] = _TWO_DIGITS[number]
            at += 2
    offsets = np.arange(0, (year.size + 1) * width, width, dtype=np.int32)[: year.size + 1]
    validity = None if valid.all() else pa.array(valid).buffers()[1]
    return pa.StringArray.from_buffers(year.size, pa.py_buffer(offsets), pa.py_buffer(data),
                                       validity, null_count=int((~valid).sum()))


def _civil_from_days(days: np.ndarray):
    """(year, month, day) of days since 1970-01-01 in the proleptic Gregorian calendar
    (H. Hinnant's ``civil_from_days``, vectorised)."""
    z = days + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day
