"""Reading client exports: CSV / XLSX / Parquet, any column names, local number and date formats.

The reader keeps every value as text (so ``00042`` stays ``00042``) and records each row's
original line number; :mod:`crmlib.validate` turns the text into typed, canonical columns.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


class InputError(ValueError):
    """A problem with the user's input that a person must fix: says what, where and how."""


@dataclass(frozen=True)
class ReadResult:
    """Raw text table with a ``_line`` column, and how it was read."""

    frame: pd.DataFrame
    path: Path
    delimiter: str | None


def detect_delimiter(sample: str, path: Path) -> str:
    """Delimiter of a CSV sample: one of ``, ; TAB |`` or ``whitespace``; raises when ambiguous."""
    lines = [ln for ln in sample.splitlines() if ln.strip()][:50]
    if not lines:
        raise InputError(f"{path.name}: the file is empty; export the data again or check the path.")
    scores = {}
    for delim in _DELIMITERS:
        counts = [len(next(csv.reader([ln], delimiter=delim))) for ln in lines]
        if counts[0] > 1 and all(c == counts[0] for c in counts):
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


def read_export(path: str | Path, delimiter: str | None = None, sheet: str | int | None = 0,
                header: bool = True) -> ReadResult:
    """Read a CSV, XLSX or Parquet export as text, keeping leading zeros and line numbers.

    ``_line`` is the row's line in the file, counting the header as line 1 (for Parquet,
    the row's position + 1). Values keep their original text (surrounding spaces included;
    :func:`strip_text` removes them when a column is used).
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
        frame, delimiter = _read_csv(path, delimiter, header)
        first_line = 2 if header else 1
    if not header:
        frame.columns = [f"column_{i + 1}" for i in range(frame.shape[1])]
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    if frame.empty:
        raise InputError(f"{path.name}: the file has a header but no data rows.")
    frame[LINE_COLUMN] = np.arange(first_line, first_line + len(frame), dtype=np.int64)
    return ReadResult(frame=frame, path=path, delimiter=delimiter)


def _read_csv(path: Path, delimiter: str | None, header: bool) -> tuple[pd.DataFrame, str]:
    compression = "gzip" if path.suffix.lower() == ".gz" else None
    if delimiter is None:
        opener = pd.io.common.get_handle(path, "r", encoding="utf-8-sig", compression=compression)
        with opener as handle:
            sample = handle.handle.read(64_000)
        delimiter = detect_delimiter(sample, path)
    if delimiter in ("\\t", "tab"):
        delimiter = "\t"
    options = dict(dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig",
                   skip_blank_lines=False,
                   compression=compression, header=0 if header else None)
    try:
        if delimiter == "whitespace":
            frame = pd.read_csv(path, sep=r"\s+", engine="c", **options)
        else:
            frame = pd.read_csv(path, sep=delimiter, engine="c", quotechar='"', **options)
    except UnicodeDecodeError as err:
        raise InputError(f"{path.name}: not UTF-8 text ({err.reason} at byte {err.start}); "
                         "save the export as UTF-8 (CSV UTF-8 in Excel).") from None
    except pd.errors.ParserError as err:
        raise InputError(f"{path.name}: rows have a different number of fields than the header "
                         f"({err}); check the `delimiter` parameter.") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path.name}: the file is empty; export the data again.") from None
    return frame, delimiter


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
    text = values.astype(str).str.replace(_CURRENCY, "", regex=True).str.replace(r"\s+", "", regex=True)
    text = text.str.replace(r"^-(?:rp\.?|idr|\$)", "-", regex=True, case=False)
    return text.str.replace(r"^\((.*)\)$", r"-\1", regex=True)


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


def _parse_amounts(values: pd.Series, decimal: str | None) -> pd.Series:
    text = strip_currency(values)
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    return pd.to_numeric(text.where(text.str.match(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^[-+]?inf$")),
                         errors="coerce")


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


def _parse_dates(values: pd.Series, dayfirst: bool | None) -> pd.Series:
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    todo = values.str.len() > 0
    for fmt in _formats_by_fit(values[todo].head(500), dayfirst):
        if not todo.any():
            break
        parsed = _strptime(values[todo], fmt)
        ok = parsed.notna()
        result.loc[parsed.index[ok]] = parsed[ok]
        todo.loc[parsed.index[ok]] = False
    return result


def _strptime(values: pd.Series, fmt: str) -> pd.Series:
    """``pd.to_datetime(values, format=fmt, errors="coerce")``, with a fast exact path.

    Arrow's strptime is vectorised but lenient (``31/02`` rolls over into March), so its result
    is kept only where formatting it back gives the input text; the rest goes through pandas.
    """
    text = pa.array(values.to_numpy(dtype=object), type=pa.string())
    try:
        fast = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        exact = pc.fill_null(pc.equal(pc.strftime(fast, format=fmt), text), False)
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
