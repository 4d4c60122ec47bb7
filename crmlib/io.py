"""Reading client exports: CSV / XLSX / Parquet, any column names, local number and date formats.

The reader keeps every value as text (so ``00042`` stays ``00042``) and records each row's
original line number; :mod:`crmlib.validate` turns the text into typed, canonical columns.
"""
from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crmlib.timestamps import supports, timestamp_text

LINE_COLUMN = "_line"

#: Canonical transaction columns and the header names recognised for them when the params
#: file gives no mapping (compared case- and space-insensitively).
TRANSACTION_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer_id", "customerid", "customer id", "customer", "id pelanggan",
                    "id_pelanggan", "kode pelanggan", "kode_pelanggan", "member_id", "member id"),
    "order_id": ("order_id", "orderid", "order id", "invoiceno", "invoice_no", "invoice no",
                 "invoice", "no faktur", "no_faktur", "nomor faktur", "no transaksi", "no_transaksi"),
    "date": ("date", "tanggal", "tgl", "invoicedate", "invoice_date", "order_date", "order date",
             "transaction_date", "tanggal transaksi", "tanggal_transaksi"),
    "amount": ("amount", "total", "total (rp)", "total_rp", "nilai", "nilai transaksi", "sales",
               "revenue", "dollar_value", "grand total", "grand_total"),
    "quantity": ("quantity", "qty", "jumlah", "jumlah barang", "jumlah_barang", "number_of_cds"),
    "unit_price": ("unit_price", "unitprice", "unit price", "price", "harga", "harga satuan",
                   "harga_satuan"),
    "category": ("category", "kategori", "product_category"),
    "channel": ("channel", "kanal", "saluran"),
    "status": ("status", "order_status", "status pesanan", "status_pesanan"),
}

#: Canonical customer columns and their recognised header names.
CUSTOMER_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": TRANSACTION_ALIASES["customer_id"],
    "name": ("name", "nama", "nama pelanggan", "customer_name"),
    "gender": ("gender", "sex", "jenis kelamin", "jenis kelamin (l/p)", "jenis_kelamin"),
    "birth_date": ("birth_date", "birthdate", "date_of_birth", "tanggal lahir", "tanggal_lahir",
                   "tgl lahir"),
    "city": ("city", "kota"),
    "province": ("province", "provinsi"),
    "phone": ("phone", "phone_number", "mobile", "no hp", "no_hp", "nomor hp", "telepon", "no telp",
              "whatsapp"),
    "email": ("email", "e-mail", "surel"),
    "signup_date": ("signup_date", "tanggal daftar", "tanggal_daftar", "join_date", "registered"),
    "signup_channel": ("signup_channel", "kanal daftar", "kanal_daftar"),
    "occupation": ("occupation", "pekerjaan", "job"),
    "education": ("education", "pendidikan"),
    "interest": ("interest", "minat", "hobby", "hobi"),
}

_DELIMITERS = (",", ";", "\t", "|")

#: Text encodings tried, in order, when the ``encoding`` parameter is not given: UTF-8 (with or
#: without BOM), UTF-16 when the file starts with its BOM (Excel's "Unicode Text"), else
#: Windows-1252, what Excel's plain "CSV" writes on Western and Indonesian Windows (a superset of
#: Latin-1's printable characters). ``validation.json`` records the encoding used.
DETECTED_ENCODINGS = ("utf-8", "utf-16", "cp1252")

#: File signatures of formats that are not text, with what the user should do instead.
_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or a zip archive",
     "if it is a workbook, give it the .xlsx extension; otherwise unzip it or export it as CSV"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)",
     "open it in Excel and save it as .xlsx or CSV UTF-8"),
    (b"PAR1", "a Parquet file", "give it the .parquet extension"),
    (b"%PDF", "a PDF document", "export the data itself as CSV or XLSX"),
    (b"\x1f\x8b", "a gzip archive", "give it the .gz extension (e.g. export.csv.gz)"),
)
_SNIFF_BYTES = 64_000


class InputError(ValueError):
    """A problem with the user's input that a person must fix: says what, where and how."""


@dataclass(frozen=True)
class ReadResult:
    """Raw text table with a ``_line`` column, and how it was read."""

    frame: pd.DataFrame
    path: Path
    delimiter: str | None
    encoding: str | None = None


def detect_delimiter(sample: str, path: Path, truncated: bool = False) -> str:
    """Delimiter of a CSV sample: one of ``, ; TAB |`` or ``whitespace``; raises when ambiguous.

    A delimiter fits when the sample's first 50 records (quoted fields may hold line breaks)
    all have the same number of fields, more than one; the most fields wins. ``truncated`` says
    the sample stops mid-file, so its last record may be cut.
    """
    lines = [ln for ln in sample.splitlines() if ln.strip()][:50]
    if not lines:
        raise InputError(f"{path.name}: the file is empty; export the data again or check the path.")
    scores = {}
    for delim in _DELIMITERS:
        counts = _field_counts(sample, delim, truncated)
        if counts and counts[0] > 1 and all(c == counts[0] for c in counts):
            scores[delim] = counts[0]
    if len(scores) == 1:
        return next(iter(scores))
    if len(scores) > 1:
        best = max(scores.values())
        winners = [d for d, n in scores.items() if n == best]
        if len(winners) == 1:
            return winners[0]
        names = ", ".join(repr(d) for d in winners)
        raise InputError(f"{path.name}: cannot tell the delimiter ({names} all fit); "
                         "set the parameter `delimiter`, e.g. --set delimiter=';'.")
    split = [len(ln.split()) for ln in lines]
    if split[0] > 1 and all(n == split[0] for n in split):
        return "whitespace"
    if all(n == 1 for n in split) and not any(d in ln for ln in lines for d in _DELIMITERS):
        return ","  # a single column: any delimiter reads it
    raise InputError(f"{path.name}: cannot tell the delimiter (tried , ; tab | and spaces); "
                     "set the parameter `delimiter`.")


def _field_counts(sample: str, delimiter: str, truncated: bool) -> list[int]:
    """Fields per non-blank record of the sample's first 50 records (quotes respected)."""
    try:
        records = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar='"')
                   if any(field.strip() for field in r)]
    except csv.Error:
        return []
    if truncated:
        records = records[:-1]
    return [len(r) for r in records[:50]]


def read_export(path: str | Path, delimiter: str | None = None, sheet: str | int | None = 0,
                header: bool = True, encoding: str | None = None) -> ReadResult:
    """Read a CSV, XLSX or Parquet export as text, keeping leading zeros and line numbers.

    ``_line`` is the row's line in the file where the row starts, counting the header as line 1
    (a quoted field may span several lines; for Parquet, the row's position + 1). Values keep
    their original text (surrounding spaces included; :func:`strip_text` removes them when a
    column is used). A CSV's ``encoding`` is detected when ``None`` (see
    :data:`DETECTED_ENCODINGS`); a binary file is refused with what it looks like.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found; check the `transactions`/`customers` parameter.")
    if path.stat().st_size == 0:
        raise InputError(f"{path.name}: the file is empty; export the data again or check the path.")
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith((".xlsx", ".xlsm", ".xls")):
        frame = pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False,
                              header=0 if header else None)
        first_line = 2 if header else 1
    elif suffixes.endswith(".parquet"):
        frame = pd.read_parquet(path)
        frame = frame.astype(object).where(frame.notna(), "").astype(str)
        first_line = 1
    else:
        frame, delimiter, encoding, lines = _read_csv(path, delimiter, header, encoding)
        first_line = 2 if header else 1
    if not header:
        frame.columns = [f"column_{i + 1}" for i in range(frame.shape[1])]
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    if frame.empty:
        raise InputError(f"{path.name}: the file has a header but no data rows.")
    if suffixes.endswith((".xlsx", ".xlsm", ".xls", ".parquet")) or lines is None:
        lines = np.arange(first_line, first_line + len(frame), dtype=np.int64)
    frame[LINE_COLUMN] = lines
    return ReadResult(frame=frame, path=path, delimiter=delimiter, encoding=encoding)


def _read_csv(path: Path, delimiter: str | None, header: bool,
              encoding: str | None) -> tuple[pd.DataFrame, str, str, np.ndarray | None]:
    """The CSV as text, its delimiter, its encoding and each record's first line (None: 1 per line)."""
    compression = "gzip" if path.suffix.lower() == ".gz" else None
    head = _head_bytes(path, compression)
    if encoding is None:
        detected = detect_encoding(head, path)
        fallbacks = {"utf-8-sig": ["cp1252", "latin-1"], "cp1252": ["latin-1"]}.get(detected, [])
        encoding = detected
    else:
        encoding, fallbacks = _checked_encoding(encoding), []
    if delimiter is None:
        delimiter = detect_delimiter(_decode_sample(head, encoding, path), path,
                                     truncated=len(head) >= _SNIFF_BYTES)
    if delimiter in ("\\t", "tab"):
        delimiter = "\t"
    while True:  # a detected encoding may fail further on than the sample: try the next one
        try:
            frame = _parse_csv(path, delimiter, header, encoding, compression)
            break
        except UnicodeDecodeError as err:
            if not fallbacks:
                raise InputError(f"{path.name}: the file is not {_encoding_name(encoding)} text (byte "
                                 f"0x{err.object[err.start]:02x} cannot be read); set the parameter "
                                 "`encoding` to the file's encoding (e.g. --set encoding=cp1252), or "
                                 "save the export as CSV UTF-8.") from None
            encoding = fallbacks.pop(0)
    lines = _record_lines(path, frame, delimiter, header, encoding, compression)
    return frame, delimiter, _encoding_name(encoding), lines


def _parse_csv(path: Path, delimiter: str, header: bool, encoding: str, compression) -> pd.DataFrame:
    options = dict(dtype=str, keep_default_na=False, na_filter=False, encoding=encoding,
                   encoding_errors="strict", skip_blank_lines=False,
                   compression=compression, header=0 if header else None)
    try:
        if delimiter == "whitespace":
            return pd.read_csv(path, sep=r"\s+", engine="c", **options)
        return pd.read_csv(path, sep=delimiter, engine="c", quotechar='"', **options)
    except pd.errors.ParserError as err:
        raise InputError(f"{path.name}: rows have a different number of fields than the header "
                         f"({err}); check the `delimiter` parameter.") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path.name}: the file is empty; export the data again.") from None


def _head_bytes(path: Path, compression) -> bytes:
    try:
        if compression == "gzip":
            with gzip.open(path, "rb") as handle:
                return handle.read(_SNIFF_BYTES)
        with open(path, "rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except (OSError, EOFError) as err:
        raise InputError(f"{path.name}: cannot be read as a {'gzip-compressed ' if compression else ''}"
                         f"text file ({err}); export the data again.") from None


def detect_encoding(head: bytes, path: Path) -> str:
    """The text encoding of a file starting with ``head``; raises :class:`InputError` for binary files.

    Rules, in order: a known binary signature (zip/xlsx, xls, Parquet, PDF, gzip) or a NUL byte
    → error saying what the file looks like; a UTF-16 BOM → ``utf-16``; valid UTF-8 →
    ``utf-8-sig``; otherwise ``cp1252``, unless its control characters say the file is binary.
    """
    for signature, looks_like, remedy in _BINARY_SIGNATURES:
        if head.startswith(signature):
            raise InputError(f"{path.name}: this is not a text CSV but {looks_like}; {remedy}.")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    binary = InputError(f"{path.name}: this is a binary file, not a text CSV (it holds bytes no text "
                        "export has); export the data again as CSV UTF-8 or XLSX, and check the path.")
    if b"\x00" in head:
        raise binary
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    text = head.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f") or ch == "\ufffd")
    if controls > max(2, len(text) // 200):
        raise binary
    return "cp1252"


def _checked_encoding(encoding: str) -> str:
    try:
        name = codecs.lookup(str(encoding)).name
    except LookupError:
        raise InputError(f"encoding {encoding!r} is not a known text encoding; use e.g. utf-8, cp1252, "
                         "latin-1 or utf-16, or leave `encoding` empty to detect it.") from None
    return "utf-8-sig" if name == "utf-8" else name


def _encoding_name(encoding: str) -> str:
    return "utf-8" if encoding == "utf-8-sig" else encoding


def _decode_sample(head: bytes, encoding: str, path: Path) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        return decoder.decode(head, final=False)
    except UnicodeDecodeError as err:
        raise InputError(f"{path.name}: the file is not {_encoding_name(encoding)} text (byte "
                         f"0x{err.object[err.start]:02x} at position {err.start} cannot be read); set "
                         "the parameter `encoding` to the file's encoding, or leave it empty to "
                         "detect it.") from None


def _record_lines(path: Path, frame: pd.DataFrame, delimiter: str, header: bool, encoding: str,
                  compression) -> np.ndarray | None:
    """Line in the file where each record starts, or None when every record is one line.

    Counting newlines is cheap; only when the records outnumber them (quoted fields holding
    line breaks, or bare CR line ends) is the file walked with :mod:`csv` to number records.
    """
    opener = gzip.open if compression == "gzip" else open
    newlines, last = 0, b"\n"
    with opener(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    physical = newlines + (last != b"\n")
    records = len(frame) + (1 if header else 0)
    if physical == records or delimiter == "whitespace":
        return None
    starts = []
    with opener(path, "rt", encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"')
        previous = 0
        for _ in reader:
            starts.append(previous + 1)
            previous = reader.line_num
    starts = starts[1:] if header else starts
    if len(starts) != len(frame):
        raise InputError(f"{path.name}: cannot number the rows by their lines in the file (quoted "
                         "fields do not close?); check that every opening quote \" has its closing quote.")
    return np.asarray(starts, dtype=np.int64)


def map_unique(values: pd.Series, transform) -> pd.Series:
    """Apply a vectorised text ``transform`` to the distinct values only, then spread it back.

    Exports repeat the same dates, prices and ids many times, so this makes parsing cost
    grow with the number of distinct values rather than with the number of rows.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    mapped = transform(pd.Series(uniques, dtype=object)).to_numpy()
    return pd.Series(mapped[codes], index=values.index, name=values.name)


def strip_text(values: pd.Series) -> pd.Series:
    """Values without surrounding white space (computed on distinct values)."""
    return map_unique(values, lambda unique: unique.astype(str).str.strip())


def resolve_columns(frame: pd.DataFrame, mapping: dict | None, aliases: dict[str, tuple[str, ...]],
                    required: tuple[str, ...], path: Path, parameter: str = "columns") -> dict[str, str]:
    """Map canonical names to the file's headers: explicit ``mapping`` first, then known aliases.

    Raises :class:`InputError` naming the missing column and the parameter that fixes it.
    """
    mapping = dict(mapping or {})
    headers = {_normalise_header(h): h for h in frame.columns if h != LINE_COLUMN}
    resolved: dict[str, str] = {}
    for canonical, source in mapping.items():
        if source in (None, ""):
            continue
        if source not in frame.columns:
            near = ", ".join(sorted(h for h in frame.columns if h != LINE_COLUMN))
            raise InputError(f"{path.name}: column '{source}' (mapped to `{canonical}` by "
                             f"`{parameter}.{canonical}`) is not in the file; its columns are: {near}.")
        resolved[canonical] = source
    for canonical, names in aliases.items():
        if canonical in resolved or canonical in mapping:
            continue
        for name in names:
            if name in headers and headers[name] not in resolved.values():
                resolved[canonical] = headers[name]
                break
    for canonical in required:
        if canonical not in resolved:
            near = ", ".join(sorted(h for h in frame.columns if h != LINE_COLUMN))
            raise InputError(f"{path.name}: no column for `{canonical}`; set "
                             f"`{parameter}.{canonical}` to one of the file's columns: {near}.")
    return resolved


def _normalise_header(name: str) -> str:
    return re.sub(r"\s+", " ", str(name).strip().lower())


# --- numbers -----------------------------------------------------------------------------

_CURRENCY = re.compile(r"(?i)^\s*(?:rp\.?|idr|usd|us\$|\$|€|£|eur|gbp)\s*")
_COMMA_DECIMAL = re.compile(r"^-?\d{1,3}(\.\d{3})+,\d+$|^-?\d+,\d{1,2}$|^-?\d{1,3}(\.\d{3}){2,}$|^-?\d*,\d{4,}$")
_DOT_DECIMAL = re.compile(r"^-?\d{1,3}(,\d{3})+\.\d+$|^-?\d+\.\d{1,2}$|^-?\d{1,3}(,\d{3}){2,}$|^-?\d*\.\d{4,}$")
_AMBIGUOUS = re.compile(r"^-?\d{1,3}[.,]\d{3}$")


def strip_currency(values: pd.Series) -> pd.Series:
    """Remove currency prefixes (``Rp``, ``IDR``, ``$``…), inner spaces and accounting brackets."""
    return _ascii_fast(values.astype(str), _strip_currency_arrow, _strip_currency_python)


def _strip_currency_python(text: pd.Series) -> pd.Series:
    text = text.str.replace(_CURRENCY, "", regex=True).str.replace(r"\s+", "", regex=True)
    text = text.str.replace(r"^-(?:rp\.?|idr|\$)", "-", regex=True, case=False)
    return text.str.replace(r"^\((.*)\)$", r"-\1", regex=True)


#: What Python's ``\s`` matches among ASCII characters (RE2's ``\s`` lacks \v and \x1c-\x1f).
_ASCII_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"


def _strip_currency_arrow(text: pa.Array) -> pa.Array:
    """:func:`_strip_currency_python` on ASCII texts, with Arrow's RE2 (the same matches there)."""
    text = pc.replace_substring_regex(text, rf"(?i)^{_ASCII_SPACE}*(?:rp\.?|idr|usd|us\$|\$|eur|gbp){_ASCII_SPACE}*", "")
    text = pc.replace_substring_regex(text, f"{_ASCII_SPACE}+", "")
    text = pc.replace_substring_regex(text, r"(?i)^-(?:rp\.?|idr|\$)", "-")
    return pc.replace_substring_regex(text, r"^\((.*)\)$", r"-\1")


def _ascii_fast(text: pd.Series, fast, slow) -> pd.Series:
    """``slow(text)`` (pandas, Python regular expressions), computed by ``fast`` (Arrow) on the
    ASCII texts: Python's regular expressions cost microseconds per text. ``text``: strings."""
    arrow = pa.array(text.to_numpy(dtype=object), type=pa.string())
    ascii_ = pc.string_is_ascii(arrow).to_numpy(zero_copy_only=False)
    out = np.empty(len(text), dtype=object)
    out[ascii_] = fast(arrow.filter(ascii_)).to_numpy(zero_copy_only=False)
    if not ascii_.all():
        out[~ascii_] = slow(text[~ascii_]).to_numpy(dtype=object)
    return pd.Series(out, index=text.index, dtype=object)


def detect_decimal(values: pd.Series, column: str = "amount") -> str | None:
    """Decimal mark of a text column: ``','`` or ``'.'``; ``None`` when all values are whole numbers.

    Raises :class:`InputError` when the column mixes both conventions or every value is
    ambiguous (``1.250`` could be 1250 or 1.25).
    """
    distinct = pd.Series(pd.unique(values), dtype=object).astype(str)
    sample = strip_currency(distinct[distinct.str.len() > 0]).drop_duplicates()
    comma = sample.str.match(_COMMA_DECIMAL).sum()
    dot = sample.str.match(_DOT_DECIMAL).sum()
    if comma and dot:
        raise InputError(f"column `{column}` mixes decimal commas ({comma} values like 1.250,00) and "
                         f"decimal points ({dot} values like 1,250.00); set `decimal` to ',' or '.'.")
    if comma:
        return ","
    if dot:
        return "."
    if sample.str.match(_AMBIGUOUS).any():
        raise InputError(f"column `{column}`: values like '{sample[sample.str.match(_AMBIGUOUS)].iloc[0]}' "
                         "could be thousands or decimals; set `decimal` to ',' (Indonesian) or '.'.")
    return None


def parse_amounts(values: pd.Series, decimal: str | None) -> pd.Series:
    """Text amounts → floats (NaN where unparseable), for ``decimal`` ``','`` or ``'.'``."""
    return map_unique(values, lambda unique: _parse_amounts(unique, decimal)).astype(float)


_NUMBER = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^[-+]?inf$"


def _parse_amounts(values: pd.Series, decimal: str | None) -> pd.Series:
    text = _ascii_fast(values.astype(str), lambda t: _number_text_arrow(t, decimal),
                       lambda t: _number_text_python(t, decimal))
    return pd.to_numeric(text, errors="coerce")


def _number_text_python(text: pd.Series, decimal: str | None) -> pd.Series:
    """Amount texts as Python's ``float`` reads them, NaN where they are not a number."""
    text = _strip_currency_python(text)
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    return text.where(text.str.match(_NUMBER))


def _number_text_arrow(text: pa.Array, decimal: str | None) -> pa.Array:
    """:func:`_number_text_python` on ASCII texts (``\\d`` is 0-9 there), null for NaN."""
    text = _strip_currency_arrow(text)
    if decimal == ",":
        text = pc.replace_substring(pc.replace_substring(text, ".", ""), ",", ".")
    else:
        text = pc.replace_substring(text, ",", "")
    return pc.if_else(pc.match_substring_regex(text, _NUMBER), text, pa.scalar(None, pa.string()))


# --- dates -------------------------------------------------------------------------------

_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")
_COMPACT = re.compile(r"^\d{8}$")
_LOCAL = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{2,4})")
_TIME_FORMATS = (" %H:%M:%S", " %H:%M", "T%H:%M:%S", "")


def detect_dayfirst(values: pd.Series, column: str = "date") -> bool | None:
    """Whether ``dd/mm`` or ``mm/dd`` dates are day-first; ``None`` for ISO or ``YYYYMMDD`` dates.

    Raises :class:`InputError` when no value decides it (every day ≤ 12).
    """
    distinct = pd.Series(pd.unique(values), dtype=object).astype(str)
    distinct = distinct[distinct.str.len() > 0]
    decided = _dayfirst_evidence(distinct.head(20_000), column)
    if decided == "ambiguous" and len(distinct) > 20_000:
        decided = _dayfirst_evidence(distinct, column)
    if decided == "ambiguous":
        raise InputError(f"column `{column}`: dates like '{distinct.iloc[0]}' could be day-first or "
                         "month-first; set `dayfirst: true` (Indonesian dd/mm/yyyy) or `dayfirst: false`.")
    return decided


def _dayfirst_evidence(text: pd.Series, column: str):
    """True/False when the dd/mm values decide it, None without dd/mm values, else "ambiguous"."""
    local = text.str.extract(_LOCAL).dropna()
    if local.empty:
        return None
    first, second = local[0].astype(int), local[2].astype(int)
    if (first > 12).any() and (second > 12).any():
        raise InputError(f"column `{column}` mixes day-first and month-first dates; "
                         "set `dayfirst` to true or false and check the export.")
    if (first > 12).any():
        return True
    if (second > 12).any():
        return False
    return "ambiguous"


def parse_dates(values: pd.Series, dayfirst: bool | None) -> pd.Series:
    """Text dates → datetime64 (NaT where unparseable): ISO, ``YYYYMMDD`` or ``dd/mm/yyyy [HH:MM[:SS]]``."""
    return map_unique(values, lambda unique: _parse_dates(unique.astype(str).str.strip(), dayfirst)) \
        .astype("datetime64[ns]")


def parse_distinct_dates(values: pd.Series, dayfirst: bool | None) -> pd.Series:
    """:func:`parse_dates` of texts already stripped and distinct (as an engine's lookup holds them)."""
    return _parse_dates(values, dayfirst)


def _parse_dates(values: pd.Series, dayfirst: bool | None) -> pd.Series:
    result = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    todo = values.to_numpy(dtype=object) != ""  # texts, stripped already
    for fmt in _formats_by_fit(values[todo].head(500), dayfirst):
        rows = np.flatnonzero(todo)
        if rows.size == 0:
            break
        parsed = _strptime(values if rows.size == len(values) else values.iloc[rows], fmt).to_numpy()
        ok = ~np.isnat(parsed)
        result[rows[ok]] = parsed[ok]
        todo[rows[ok]] = False
    return pd.Series(result, index=values.index)


#: Transaction dates outside these years are quarantined as "date out of range": earlier is not
#: a sale a CRM export can hold, later is a placeholder or a typing error (9999-12-31, 0001-01-01).
DATE_YEARS = (1900, 2199)
_DATE_SHAPE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|^\d{8}$")


def dates_out_of_range(values: pd.Series, dates: pd.Series, dayfirst: bool | None) -> pd.Series:
    """Rows whose text is a real calendar date (any year 1–9999) outside :data:`DATE_YEARS`.

    ``dates`` is :func:`parse_dates` of ``values``: parsed dates outside the years, and texts it
    could not hold (pandas stops at 1677–2262) that Python's calendar reads, are out of range.
    """
    first, last = DATE_YEARS
    outside = dates.notna() & ((dates.dt.year < first) | (dates.dt.year > last))
    missing = dates.isna()
    unread = missing.copy()
    shaped = values[missing].str.match(_DATE_SHAPE)  # matched on the unparsed texts only
    unread.loc[missing] = shaped.astype("boolean").fillna(False).to_numpy(dtype=bool)
    if unread.any():
        formats = _candidate_formats(dayfirst)
        calendar = map_unique(values[unread], lambda unique: unique.map(lambda v: _is_calendar_date(v, formats)))
        outside.loc[calendar.index[calendar.to_numpy(dtype=bool)]] = True
    return outside


def _is_calendar_date(text: str, formats: list[str]) -> bool:
    for fmt in formats:
        try:
            datetime.strptime(text, fmt)
            return True
        except ValueError:
            continue
    return False


def _strptime(values: pd.Series, fmt: str) -> pd.Series:
    """``pd.to_datetime(values, format=fmt, errors="coerce")``, with a fast exact path.

    Arrow's strptime is vectorised but lenient (``31/02`` rolls over into March), so its result
    is kept only where formatting it back gives the input text; the rest goes through pandas.
    """
    text = pa.array(values.to_numpy(dtype=object), type=pa.string())
    try:
        fast = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        written = timestamp_text(fast, fmt) if supports(fmt) else pc.strftime(fast, format=fmt)
        exact = pc.fill_null(pc.equal(written, text), False)
        fast_values = fast.cast(pa.timestamp("ns")).to_pandas()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_datetime(values, format=fmt, errors="coerce")
    exact = exact.to_numpy(zero_copy_only=False)
    result = pd.Series(np.where(exact, fast_values.to_numpy(), np.datetime64("NaT")), index=values.index,
                       dtype="datetime64[ns]")
    if not exact.all():
        rest = values[~exact]
        result.loc[rest.index] = pd.to_datetime(rest, format=fmt, errors="coerce")
    return result


def _formats_by_fit(sample: pd.Series, dayfirst: bool | None) -> list[str]:
    """Candidate formats, those that parse most of ``sample`` first (one pass each on the data)."""
    candidates = _candidate_formats(dayfirst)
    fit = [pd.to_datetime(sample, format=f, errors="coerce").notna().sum() for f in candidates]
    order = sorted(range(len(candidates)), key=lambda i: -fit[i])
    return [candidates[i] for i in order]


def _candidate_formats(dayfirst: bool | None) -> list[str]:
    formats = [f"%Y-%m-%d{t}" for t in _TIME_FORMATS] + ["%Y%m%d"]
    day_month = ("%d", "%m") if dayfirst or dayfirst is None else ("%m", "%d")
    for sep in ("/", "-", "."):
        for year in ("%Y", "%y"):
            base = f"{day_month[0]}{sep}{day_month[1]}{sep}{year}"
            formats += [base + t for t in _TIME_FORMATS if not t.startswith("T")]
    return formats
