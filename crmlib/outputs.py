"""Writing what a notebook hands over: ``results.json`` and the take-away tables (CSV, XLSX).

Output bytes are deterministic: keys sorted, floats rounded to 10 significant digits,
UTF-8 with ``\\n`` line endings. JSON is always valid JSON (no ``NaN``/``Infinity``: they
become ``null``). Every text cell of a CSV/XLSX goes through :func:`neutralise`, so a
spreadsheet never evaluates it as a formula.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
import zipfile
import math
import re
from pathlib import Path, PurePath

import numpy as np
import pandas as pd


#: Text a spreadsheet would read as a formula (OWASP "CSV injection"): a first character
#: ``= + - @`` (ASCII or full-width), possibly after spaces, or a leading tab / CR / LF.
_FORMULA = re.compile(r"^(?:[\t\r\n]|\s*[=+\-@＝＋－＠])")


def neutralise(value):
    """``value`` made safe for a spreadsheet cell: text that Excel or LibreOffice would evaluate
    as a formula gets a leading ``'`` (shown, never run); numbers and other text are unchanged."""
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells, column names and index labels are neutralised."""
    out = _map_text(frame, neutralise)
    out.columns = _neutralise_labels(out.columns)
    out.index = _neutralise_labels(out.index)
    return out


def _map_text(frame: pd.DataFrame, change) -> pd.DataFrame:
    """A copy of ``frame`` with ``change`` applied to every text cell (worked out once per
    distinct value, so long tables stay fast); other cells keep their type."""
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if not (column.dtype == object or isinstance(column.dtype, (pd.CategoricalDtype, pd.StringDtype))):
            continue
        text = column.astype(object)
        try:
            changed = {v: change(v) for v in pd.unique(text) if isinstance(v, str) and change(v) != v}
        except TypeError:  # unhashable cells (lists): one by one
            out.isetitem(position, text.map(lambda v: change(v) if isinstance(v, str) else v))
            continue
        if changed:
            out.isetitem(position, text.map(lambda v: changed.get(v, v) if isinstance(v, str) else v))
    return out


def _unix_line_breaks(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _neutralise_labels(labels: pd.Index) -> pd.Index:
    if isinstance(labels, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(neutralise(v) for v in t) for t in labels], names=labels.names)
    if labels.dtype == object or pd.api.types.is_string_dtype(labels.dtype):
        return pd.Index([neutralise(v) for v in labels], name=labels.name, dtype=object)
    return labels


def write_csv(frame: pd.DataFrame, path: str | Path, index: bool = False,
              float_format: str | None = "%.10g") -> Path:
    """Write ``frame`` as a spreadsheet-safe CSV (UTF-8, ``\\n``, ISO dates; floats to 10
    significant digits unless ``float_format=None`` keeps every digit)."""
    safe = neutralise_frame(_map_text(frame, _unix_line_breaks))  # a CR inside a cell: quoted as \n
    safe.to_csv(path, index=index, encoding="utf-8", lineterminator="\n", date_format="%Y-%m-%d",
                float_format=float_format)
    return Path(path)


def to_jsonable(value):
    """Convert numpy/pandas scalars, timestamps and containers into plain JSON values.

    Non-finite numbers become ``null``; a path is recorded by its file name only (a run folder
    holds no path of the machine it ran on).
    """
    if isinstance(value, PurePath):
        return value.name
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, decimal.Decimal):
        return to_jsonable(float(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (pd.Series, pd.Index)):
        return to_jsonable(value.tolist())
    if isinstance(value, pd.DataFrame):
        return to_jsonable(value.to_dict(orient="records"))
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return float(f"{value:.10g}") if math.isfinite(value) else None
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()[:10] if getattr(value, "hour", 0) == 0 and getattr(value, "minute", 0) == 0 \
            else value.isoformat()
    if value is None or value is pd.NaT:
        return None
    return value


def dumps(value, sort_keys: bool = True) -> str:
    """Deterministic JSON text; always valid JSON (``allow_nan=False``)."""
    return json.dumps(to_jsonable(value), indent=2, sort_keys=sort_keys, ensure_ascii=False,
                      allow_nan=False) + "\n"


#: The date written into ``.xlsx`` packages (document properties and zip entries).
PACKAGE_DATE = dt.datetime(1980, 1, 1)


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _reproducible_package(path: Path) -> None:
    """Rewrite an ``.xlsx`` package with no clock in it: every zip entry, and the "modified"
    property openpyxl stamps at save, dated :data:`PACKAGE_DATE` (the zip format's first day),
    so the same tables give the same bytes whenever they are written."""
    stamp = PACKAGE_DATE.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for filename, data in entries:
            if filename == "docProps/core.xml":
                data = _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            archive.writestr(zipfile.ZipInfo(filename, date_time=PACKAGE_DATE.timetuple()[:6]), data,
                             compress_type=zipfile.ZIP_DEFLATED)


class ReportOutput:
    """A notebook's output folder: ``results.json`` plus CSV/XLSX tables.

    >>> out = ReportOutput("../outputs/interactive/02_rfm_segmentation")
    >>> out.table(summary, "segment_summary")   # segment_summary.csv
    >>> out.results({"n_customers": 3000})     # results.json (merged with earlier calls)
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def _path(self, name: str) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory / name

    def table(self, frame: pd.DataFrame, name: str, index: bool = False) -> Path:
        """Write ``frame`` as ``<name>.csv`` (UTF-8, ISO dates, text neutralised for spreadsheets)."""
        return write_csv(frame, self._path(f"{name}.csv"), index=index)

    def excel(self, sheets: dict[str, pd.DataFrame], name: str) -> Path:
        """Write several tables as sheets of ``<name>.xlsx`` (sheet names cut to Excel's 31 chars;
        text neutralised for spreadsheets)."""
        path = self._path(f"{name}.xlsx")
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for sheet, frame in sheets.items():
                clean = "".join(c for c in str(sheet) if c not in "[]:*?/\\")[:31] or "sheet"
                neutralise_frame(frame).to_excel(writer, sheet_name=clean, index=False)
            writer.book.properties.created = PACKAGE_DATE
        _reproducible_package(path)
        return path

    def results(self, values: dict) -> None:
        """Merge ``values`` into ``results.json`` (created if absent).

        Returns nothing, so a notebook cell ending with it shows no path of the machine.
        """
        path = self._path("results.json")
        current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        current.update(to_jsonable(values))
        path.write_text(dumps(current), encoding="utf-8")

    def reset(self) -> "ReportOutput":
        """Remove an earlier ``results.json`` and recorded deck slides so a re-run starts clean."""
        for name in ("results.json", "slides.json"):
            path = self.directory / name
            if path.exists():
                path.unlink()
        for image in sorted((self.directory / "slides").glob("[0-9][0-9].png")):
            image.unlink()
        return self
