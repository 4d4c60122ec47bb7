"""Writing what a notebook hands over: ``results.json`` and the take-away tables (CSV, XLSX).

Output bytes are deterministic: keys sorted, floats rounded to 10 significant digits,
UTF-8 with ``\\n`` line endings.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd


def to_jsonable(value):
    """Convert numpy/pandas scalars, timestamps and containers into plain JSON values."""
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


def dumps(value) -> str:
    """Deterministic JSON text."""
    return json.dumps(to_jsonable(value), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


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
        """Write ``frame`` as ``<name>.csv`` (UTF-8, ISO dates)."""
        path = self._path(f"{name}.csv")
        frame.to_csv(path, index=index, encoding="utf-8", lineterminator="\n", date_format="%Y-%m-%d",
                     float_format="%.10g")
        return path

    def excel(self, sheets: dict[str, pd.DataFrame], name: str) -> Path:
        """Write several tables as sheets of ``<name>.xlsx`` (sheet names cut to Excel's 31 chars)."""
        path = self._path(f"{name}.xlsx")
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for sheet, frame in sheets.items():
                clean = "".join(c for c in str(sheet) if c not in "[]:*?/\\")[:31] or "sheet"
                frame.to_excel(writer, sheet_name=clean, index=False)
        return path

    def results(self, values: dict) -> Path:
        """Merge ``values`` into ``results.json`` (created if absent)."""
        path = self._path("results.json")
        current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        current.update(to_jsonable(values))
        path.write_text(dumps(current), encoding="utf-8")
        return path

    def reset(self) -> "ReportOutput":
        """Remove an earlier ``results.json`` so a re-run starts clean."""
        path = self.directory / "results.json"
        if path.exists():
            path.unlink()
        return self
