"""Validate once: a validated export stored as Parquet and reused while input and settings are the same.

A stored validation is a folder holding ``transactions.parquet`` (the canonical kept rows) and
``rejected_rows.parquet`` (the quarantine, for the notebooks; people read ``rejected_rows.csv``).
Its key — the SHA-256 of the export's bytes, the load parameters and the validation code
itself — and the validation report are written into the Parquet metadata, so a folder is reused
only for the very input and settings it was made from.

Where a notebook looks, in order:

1. ``$CRM_VALIDATION_DIR`` — set by ``crm run`` to the run's own ``validation/`` folder;
2. ``$CRM_CACHE_DIR/validation/<key>/``, by default ``outputs/.cache/validation/<key>/`` — a
   notebook opened in JupyterLab validates on first use and stores the result there.

Delete ``outputs/.cache`` at any time: it is only ever a copy.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from crmlib import paths

RUN_DIR_ENV = "CRM_VALIDATION_DIR"
CACHE_DIR_ENV = "CRM_CACHE_DIR"
TRANSACTIONS_FILE = "transactions.parquet"
REJECTED_FILE = "rejected_rows.parquet"
_KEY_FIELD = b"crmlib.validation_key"
_REPORT_FIELD = b"crmlib.validation_report"
#: Modules whose code decides a validation's result: a change to any of them is a new key.
_CODE = ("io.py", "validate.py", "validated.py", "arrays.py", "timestamps.py", "engine/*.py")


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes (read in 1 MB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def validation_key(path: str | Path, options: dict) -> str:
    """Key of one validation: the export's bytes, the load ``options`` and the validation code."""
    digest = hashlib.sha256()
    digest.update(file_digest(path).encode())
    digest.update(json.dumps(options, sort_keys=True, default=str).encode())
    for pattern in _CODE:
        for module in sorted(paths.PACKAGE_DIR.glob(pattern)):
            digest.update(module.read_bytes())
    return digest.hexdigest()


def cache_dir(key: str) -> Path:
    """The interactive cache folder for ``key`` (see the module docstring)."""
    root = Path(os.environ.get(CACHE_DIR_ENV) or paths.OUTPUTS_DIR / ".cache")
    return root / "validation" / key[:32]


def _metadata(folder: str | Path) -> dict:
    path = Path(folder) / TRANSACTIONS_FILE
    if not path.is_file():
        return {}
    try:
        return pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return {}


def stored_key(folder: str | Path) -> str | None:
    """The key a stored validation was made with, or ``None`` when ``folder`` holds none."""
    key = _metadata(folder).get(_KEY_FIELD)
    return key.decode() if key else None


def store(tables, folder: str | Path, key: str) -> Path:
    """Write ``tables`` (:class:`~crmlib.validate.ValidatedTables`, or a
    :class:`~crmlib.validate.ValidationResult`) into ``folder`` under ``key``.

    Each file is written beside its final name and then renamed over it; nothing else in
    ``folder`` is touched. The transactions go last: their key marks the folder complete.
    """
    tables = _as_tables(tables)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _write_parquet(pa.Table.from_pandas(tables.rejected, preserve_index=False), folder / REJECTED_FILE,
                   {_KEY_FIELD: key})
    _write_parquet(tables.kept, folder / TRANSACTIONS_FILE,
                   {_KEY_FIELD: key, _REPORT_FIELD: json.dumps(tables.report, ensure_ascii=False)})
    return folder


def fetch_tables(folder: str | Path, key: str):
    """The :class:`~crmlib.validate.ValidatedTables` stored in ``folder`` under ``key``, else ``None``."""
    from crmlib.validate import ValidatedTables

    folder = Path(folder)
    metadata = _metadata(folder)
    rejected_path = folder / REJECTED_FILE
    if metadata.get(_KEY_FIELD, b"").decode() != key or not rejected_path.is_file() \
            or (pq.read_schema(rejected_path).metadata or {}).get(_KEY_FIELD, b"").decode() != key:
        return None
    kept = pq.read_table(folder / TRANSACTIONS_FILE)
    rejected = pd.read_parquet(rejected_path)
    rejected = rejected.astype({c: object for c in rejected.columns if c != "line"})
    report = json.loads(metadata[_REPORT_FIELD].decode())
    return ValidatedTables(kept=kept.replace_schema_metadata(None), rejected=rejected, report=report)


def fetch(folder: str | Path, key: str):
    """The :class:`~crmlib.validate.ValidationResult` stored in ``folder`` under ``key``, else ``None``."""
    tables = fetch_tables(folder, key)
    return tables.result() if tables is not None else None


def cached_tables(path: str | Path, options: dict, validate):
    """The validation of ``path`` with ``options`` as :class:`~crmlib.validate.ValidatedTables`:
    stored if found, else ``validate()`` (tables, or a :class:`~crmlib.validate.ValidationResult`)
    stored now.

    In a run (``$CRM_VALIDATION_DIR`` set) the result is stored in the run's folder, otherwise in
    the interactive cache; one found in the cache is stored in the run's folder too. A path that is
    not a file goes straight to ``validate()``, whose error says what is wrong.
    """
    if not Path(path).is_file():
        return _as_tables(validate())
    key = validation_key(path, options)
    run_dir = os.environ.get(RUN_DIR_ENV)
    folders = ([Path(run_dir)] if run_dir else []) + [cache_dir(key)]
    for position, folder in enumerate(folders):
        found = fetch_tables(folder, key)
        if found is not None:
            if position:
                _store_quietly(found, folders[0], key)
            return found
    result = _as_tables(validate())
    _store_quietly(result, folders[0], key)
    return result


def cached(path: str | Path, options: dict, validate):
    """:func:`cached_tables` as the :class:`~crmlib.validate.ValidationResult` the notebooks read."""
    return cached_tables(path, options, validate).result()


def _as_tables(validation):
    from crmlib.validate import ValidationResult

    return validation.tables() if isinstance(validation, ValidationResult) else validation


def _store_quietly(tables, folder: Path, key: str) -> None:
    try:
        store(tables, folder, key)
    except OSError:  # a read-only folder: the validation still works, only uncached
        pass


def _write_parquet(table: pa.Table, path: Path, metadata: dict) -> None:
    encoded = {k: v.encode() for k, v in metadata.items()}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **encoded})
    partial = path.with_name(f"{path.name}.partial-{os.getpid()}")
    try:
        pq.write_table(table, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
