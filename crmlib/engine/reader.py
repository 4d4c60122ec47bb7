"""Reading an export as an Arrow table of text with its line numbers — the same table
:func:`crmlib.io.read_export` gives as pandas, without a Python object per value.

UTF-8 CSV files are parsed by Arrow's multi-threaded reader. Whatever it does not read exactly as
the pandas reader would (another format or encoding, a header Arrow keeps but pandas renames,
ragged or blank lines, quoted line breaks) goes through :func:`crmlib.io.read_export`, whose table
or clear error is then the answer: the two readers never disagree on a file.
"""
from __future__ import annotations

import csv
import io as _io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from crmlib.io import LINE_COLUMN, InputError, detect_delimiter, detect_encoding, read_export

_SAMPLE_BYTES = 64_000


def read_arrow(path: str | Path, delimiter: str | None = None,
               encoding: str | None = None) -> tuple[pa.Table, Path, str | None, str | None]:
    """The export as text columns plus ``_line``; with the delimiter and encoding it was read with."""
    path = Path(path)
    table = _fast_csv(path, delimiter, encoding)
    if table is not None:
        return table
    raw = read_export(path, delimiter=delimiter, encoding=encoding)
    frame = raw.frame
    arrays = {c: pa.array(frame[c].to_numpy(dtype=object), type=pa.string()) for c in frame.columns
              if c != LINE_COLUMN}
    arrays[LINE_COLUMN] = pa.array(frame[LINE_COLUMN].to_numpy(), type=pa.int64())
    return pa.table(arrays), raw.path, raw.delimiter, raw.encoding


def _is_plain_csv(path: Path) -> bool:
    if not path.is_file() or path.stat().st_size == 0:
        return False
    suffixes = "".join(path.suffixes).lower()
    return not suffixes.endswith((".xlsx", ".xlsm", ".xls", ".parquet", ".gz"))


def sniff_csv(path: Path, delimiter: str | None = None, encoding: str | None = None):
    """``(delimiter, header names)`` of a UTF-8 CSV that a columnar reader parses as pandas does,
    else ``None`` (another encoding, a header pandas would rename, a quoted line break in it…)."""
    utf8 = encoding is None or str(encoding).lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")
    if not utf8 or not _is_plain_csv(path):
        return None
    with open(path, "rb") as handle:
        head = handle.read(_SAMPLE_BYTES)
    try:
        if detect_encoding(head, path) != "utf-8-sig":
            return None
        sample = head.decode("utf-8-sig", errors="ignore")  # the sample may end mid-character
        if delimiter is None:
            delimiter = detect_delimiter(sample, path, truncated=len(head) >= _SAMPLE_BYTES)
    except InputError:
        return None
    if delimiter in ("\\t", "tab"):
        delimiter = "\t"
    if delimiter == "whitespace" or len(delimiter) != 1:
        return None
    first = sample.splitlines()[0] if sample.splitlines() else ""
    header = next(csv.reader(_io.StringIO(first), delimiter=delimiter), [])
    names = [h.strip().lstrip("\ufeff") for h in header]
    if not names or any(n == "" or n.startswith("Unnamed") for n in names) or len(set(names)) != len(names) \
            or LINE_COLUMN in names or any(n.startswith("__") for n in names) or first.count('"') % 2:
        return None  # pandas renames or splits such headers: let it read the file
    return delimiter, header


def _fast_csv(path: Path, delimiter: str | None, encoding: str | None):
    sniffed = sniff_csv(path, delimiter, encoding)
    if sniffed is None:
        return None
    delimiter, header = sniffed
    names = [h.strip().lstrip("\ufeff") for h in header]
    # without a quote below the header no value can hold a line break, and Arrow's threads may
    # then cut the file at any newline: twice as fast. The lines are counted meanwhile.
    quoted = quoted_below_header(path)
    with ThreadPoolExecutor(max_workers=1) as counting:
        lines = counting.submit(physical_lines, path)
        try:
            table = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=True),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                                 escape_char=False, newlines_in_values=quoted,
                                                 ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                     strings_can_be_null=False,
                                                     quoted_strings_can_be_null=False))
        except (pa.ArrowInvalid, UnicodeDecodeError):
            return None
        if table.num_rows == 0 or table.num_rows + 1 != lines.result():
            return None  # no rows, or records spanning lines: pandas numbers them by their first line
    table = table.rename_columns(names)
    numbers = np.arange(2, 2 + table.num_rows, dtype=np.int64)
    return table.append_column(LINE_COLUMN, pa.array(numbers)), path, delimiter, "utf-8"


def _blocks(path: Path):
    with open(path, "rb") as handle:
        yield from iter(lambda: handle.read(1 << 22), b"")


def quoted_below_header(path: Path) -> bool:
    """Whether a quote character appears anywhere below the file's first line."""
    header_end, offset = None, 0
    for block in _blocks(path):
        if header_end is None and b"\n" in block:
            header_end = offset + block.index(b"\n")
        if header_end is not None and block.find(b'"', max(header_end + 1 - offset, 0)) >= 0:
            return True
        offset += len(block)
    return False


def physical_lines(path: Path) -> int:
    """Lines in a file (a last line without its newline counts)."""
    newlines, last = 0, b"\n"
    for block in _blocks(path):
        newlines += block.count(b"\n")
        last = block[-1:]
    return newlines + (last != b"\n")
