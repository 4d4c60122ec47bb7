"""Run parameters: one YAML file per run (``params/*.yaml``) plus ``--set key=value`` overrides."""
from __future__ import annotations

import difflib
from pathlib import Path

import yaml

from crmlib.io import InputError

#: Keys every notebook declares (see the parameter reference in README.md).
CORE_KEYS = ("run_name", "transactions", "customers", "columns", "customer_columns", "dayfirst",
             "decimal", "delimiter", "as_of_date", "currency", "lang", "returns_policy",
             "cancel_order_prefix", "output_dir")


def load_params(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> dict:
    """Parameters from a YAML file (optional) with ``key=value`` overrides applied in order.

    Values are parsed as YAML (``--set dayfirst=true`` gives a bool, ``--set margin=0.3`` a float);
    a dotted key sets one entry of a mapping (``--set columns.amount="Total (Rp)"``).
    """
    params: dict = {}
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise InputError(f"params file {path} not found; see params/sample.yaml for an example.")
        try:
            params = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            raise InputError(f"{path.name}: not valid YAML ({err}).") from None
        if not isinstance(params, dict):
            raise InputError(f"{path.name}: expected 'key: value' lines at the top level.")
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set {item!r}: expected KEY=VALUE, e.g. --set lang=id.")
        value = yaml.safe_load(text) if text.strip() else None
        target = params
        *parents, leaf = key.strip().split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
            if not isinstance(target, dict):
                raise InputError(f"--set {item!r}: {parent} is not a mapping.")
        target[leaf] = value
    return params


def check_known(params: dict, known: set[str], where: str = "the notebooks") -> None:
    """Refuse keys no notebook declares: a typo is an error, never a silent default."""
    unknown = sorted(set(params) - known)
    if not unknown:
        return
    hints = []
    for key in unknown:
        close = difflib.get_close_matches(key, sorted(known), n=1)
        hints.append(f"'{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    raise InputError(f"unknown parameter {', '.join(hints)}: not declared by {where}. "
                     f"Known parameters: {', '.join(sorted(known))}.")
