"""Run parameters: one YAML file per run (``params/*.yaml``) plus ``--set key=value`` overrides,
checked against the type and range each notebook declares for the key.

A parameter's schema is written in its line of the notebook's ``parameters`` cell, in brackets
at the start of the trailing comment (docs/parameters.md describes the notation)::

    churn_inactive_days = 90  # [int 1..3650] churned after this many days without a purchase
    lang = "en"  # ["en" | "id"] language of the reports
    calibration_end = None  # [date | null] None: as_of_date minus the horizon

Every value is checked before any notebook starts; dates come out as ``YYYY-MM-DD`` strings
whether YAML read them as dates (``as_of_date: 2024-12-31``) or as text.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from crmlib.io import DATE_YEARS, InputError

#: Keys every notebook declares (see the parameter reference in docs/parameters.md).
CORE_KEYS = ("run_name", "transactions", "customers", "columns", "customer_columns", "dayfirst",
             "decimal", "delimiter", "as_of_date", "currency", "lang", "returns_policy",
             "cancel_order_prefix", "output_dir")

#: A run folder name: letters, digits, ``-``, ``_`` and ``.`` inside, at most 100 characters.
RUN_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9_-])?")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}
#: Dates outside these bounds are typing mistakes (``9999-12-31``), unless a key declares its own;
#: the same years as a transaction's "date out of range".
DATE_BOUNDS = (dt.date(DATE_YEARS[0], 1, 1), dt.date(DATE_YEARS[1], 12, 31))


def check_run_name(name) -> str:
    """``name`` if it is one safe folder name, else an InputError saying what is allowed."""
    text = str(name)
    if not isinstance(name, str) or not RUN_NAME.fullmatch(text) or text.lower() in _WINDOWS_RESERVED \
            or text.endswith(".previous") or ".partial" in text:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise InputError(f"run_name {shown!r} is not a safe folder name: use 1-100 letters, digits, "
                         "'-', '_' or '.' (not first or last), no '/' or '\\', not '.' or '..', "
                         "not ending in '.previous'; e.g. run_name=client_2024-12.")
    return text


def safe_run_name(text: str) -> str:
    """A safe run name made from ``text`` (e.g. a file's stem): other characters become ``_``."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")[:100].rstrip(".") or "run"
    try:
        return check_run_name(name)
    except InputError:
        return f"run_{name}"[:100].rstrip(".")


# --- the schema notation ------------------------------------------------------------------------

@dataclass(frozen=True)
class Spec:
    """A parsed type declaration: alternatives tried in order (``"auto" | int 2..50``)."""

    text: str
    options: tuple
    flags: frozenset = frozenset()

    def check(self, name: str, value):
        """``value`` normalised (dates as ISO text), or an InputError naming the key and the type."""
        for option in self.options:
            ok, normalised = option.accept(value)
            if ok:
                return normalised
        raise InputError(f"parameter `{name}`: {_show(value)} is not {self.describe()}.")

    def describe(self) -> str:
        return " or ".join(option.describe() for option in self.options)

    def allows(self, kind: str) -> bool:
        """True when the value, or an item of a list or mapping value, may be a ``kind`` (``"date"``)."""
        return any(option.allows(kind) for option in self.options)


@dataclass(frozen=True)
class _Literal:
    value: object

    def accept(self, value):
        same = value == self.value and type(value) is type(self.value)
        return same, value

    def allows(self, kind: str) -> bool:
        return False

    def describe(self) -> str:
        return "null" if self.value is None else f'"{self.value}"'


@dataclass(frozen=True)
class _Range:
    low: object = None
    high: object = None

    def holds(self, value) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def describe(self, unit: str = "") -> str:
        low, high = (f"{v:g}" if isinstance(v, (int, float)) else str(v) for v in (self.low, self.high))
        if self.low is not None and self.high is not None:
            return f"from {low} to {high}{unit}" if low != high else f"{low}{unit}"
        if self.low is not None:
            return f"at least {low}{unit}"
        return f"at most {high}{unit}" if self.high is not None else ""


_WORDS = {"bool": "true or false", "int": "a whole number", "float": "a number", "str": "text",
          "date": "a date YYYY-MM-DD", "file": "a file path",
          "name": "a safe folder name (1-100 letters, digits, '-', '_', '.'; no '/' or '\\')",
          "char": "one character (e.g. ';' or '|')"}


@dataclass(frozen=True)
class _Type:
    kind: str
    range: _Range = field(default_factory=_Range)
    pattern: str | None = None

    def accept(self, value):
        kind = self.kind
        if kind == "bool":
            return isinstance(value, bool), value
        if kind in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                return False, value
            if kind == "int":
                if value != int(value):
                    return False, value
                value = int(value)
            return self.range.holds(value), value
        if kind == "date":
            day = parse_date(value)
            bounds = _Range(self.range.low or DATE_BOUNDS[0], self.range.high or DATE_BOUNDS[1])
            return day is not None and bounds.holds(day), day.isoformat() if day else value
        if not isinstance(value, str):
            return False, value
        if kind == "name":
            return bool(RUN_NAME.fullmatch(value)), value
        if kind == "char":
            return len(value) == 1 and not value.isalnum() and value not in "\"'\r\n ", value
        if kind == "file":
            return bool(value.strip()), value
        if self.pattern and not re.fullmatch(self.pattern, value):
            return False, value
        return self.range.holds(len(value)), value

    def describe(self) -> str:
        words = _WORDS[self.kind]
        if self.kind == "date":
            low, high = self.range.low or DATE_BOUNDS[0], self.range.high or DATE_BOUNDS[1]
            return f"{words} between {low} and {high}"
        if self.pattern:
            words += f" matching {self.pattern}"
        bounds = self.range.describe(" characters" if self.kind == "str" else "")
        return words + (" " if bounds.startswith("from") else ", ") + bounds if bounds else words

    def allows(self, kind: str) -> bool:
        return self.kind == kind


@dataclass(frozen=True)
class _Container:
    kind: str  # "list" or "map"
    item: Spec | None
    size: _Range = field(default_factory=_Range)

    def accept(self, value):
        if self.kind == "list":
            if not isinstance(value, list) or not self.size.holds(len(value)):
                return False, value
            items = list(enumerate(value))
        else:
            if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                return False, value
            items = list(value.items())
        if self.item is None:
            return True, value
        checked = []
        for key, item in items:
            for option in self.item.options:
                ok, normalised = option.accept(item)
                if ok:
                    checked.append((key, normalised))
                    break
            else:
                return False, value
        return True, [v for _, v in checked] if self.kind == "list" else dict(checked)

    def describe(self) -> str:
        if self.kind == "map":
            return "a mapping" + (f" of names to {self.item.describe()}" if self.item else "")
        size = self.size.describe().removeprefix("from ")
        return f"a list of {size + ' ' if size else ''}values, each {self.item.describe()}"

    def allows(self, kind: str) -> bool:
        return self.kind == kind or (self.item is not None and self.item.allows(kind))


def parse_spec(text: str) -> Spec:
    """Parse a declaration such as ``int 1..3650``, ``date | null``, ``list[float 0..1] 2..2``.

    Words: ``bool int float str date file name char null``, quoted literals, ``list[T]`` and
    ``map[T]`` (or bare ``map``); ``lo..hi`` bounds a number, a length, a list's size or a date;
    ``/regex/`` constrains text; ``; sample`` after the type marks a default that points at the
    bundled sample (used only when a run names no transactions file of its own).
    """
    body, _, flags = text.partition(";")
    options = tuple(_parse_option(part) for part in _split_top(body.strip()))
    return Spec(text.strip(), options, frozenset(f.strip() for f in flags.split(",") if f.strip()))


def _split_top(text: str) -> list[str]:
    parts, depth, quote, current = [], 0, None, ""
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "\"/":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    if depth or quote or not all(p.strip() for p in parts):
        raise ValueError(f"unbalanced or empty schema {text!r}")
    return [p.strip() for p in parts]


_OPTION = re.compile(r"(?P<kind>bool|int|float|str|date|file|name|char)"
                     r"(?:\s+/(?P<pattern>[^/]+)/)?(?:\s+(?P<low>\S*?)\.\.(?P<high>\S*))?")
_CONTAINER = re.compile(r"(?P<kind>list|map)(?:\[(?P<item>.*)\])?(?:\s+(?P<low>\d*)\.\.(?P<high>\d*))?")


def _parse_option(text: str):
    if text == "null":
        return _Literal(None)
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return _Literal(text[1:-1])
    container = _CONTAINER.fullmatch(text)
    if container:
        if container["kind"] == "list" and container["item"] is None:
            raise ValueError(f"list needs an item type: {text!r}")
        item = parse_spec(container["item"]) if container["item"] is not None else None
        return _Container(container["kind"], item, _bounds(container, int))
    option = _OPTION.fullmatch(text)
    if not option:
        raise ValueError(f"unknown type {text!r}")
    kind = option["kind"]
    number = {"int": int, "float": float, "date": dt.date.fromisoformat}.get(kind, int)
    return _Type(kind, _bounds(option, number), option["pattern"])


def _bounds(match, number) -> _Range:
    low, high = match["low"], match["high"]
    return _Range(number(low) if low else None, number(high) if high else None)


def split_comment(comment: str) -> tuple[Spec | None, str]:
    """(schema, help) of a parameter's trailing comment ``[spec] help``; (None, comment) without one."""
    if not comment.startswith("["):
        return None, comment
    depth = 0
    for end, char in enumerate(comment):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth == 0:
            return parse_spec(comment[1:end]), comment[end + 1:].strip()
    raise ValueError(f"unbalanced brackets in {comment!r}")


def parse_date(value) -> dt.date | None:
    """The day of a date, a midnight datetime or ``YYYY-MM-DD`` text; None for anything else."""
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _show(value) -> str:
    text = repr(value.isoformat() if isinstance(value, dt.date) else value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_values(params: dict, specs: dict[str, Spec]) -> dict:
    """``params`` with every value checked against its key's schema (all problems reported at once)."""
    checked, problems = dict(params), []
    for key, value in params.items():
        spec = specs.get(key)
        if spec is None:
            continue
        try:
            checked[key] = spec.check(key, value)
        except InputError as err:
            problems.append(str(err))
    if problems:
        raise InputError("; ".join(p.rstrip(".") for p in problems) + ". See `crm params` or docs/parameters.md for each "
                         "key's type and range.")
    return checked


# --- reading a run's parameters -----------------------------------------------------------------

def load_params(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> dict:
    """Parameters from a YAML file (optional) with ``key=value`` overrides applied in order.

    Values are parsed as YAML (``--set dayfirst=true`` gives a bool, ``--set margin=0.3`` a float);
    text YAML cannot read (``--set 'delimiter=|'``, ``--set 'columns.amount=Total: Rp'``) is kept
    as text. A dotted key sets one entry of a mapping (``--set columns.amount="Total (Rp)"``).
    """
    params: dict = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "not found"
            raise InputError(f"params file {path} {what}; see params/sample.yaml for an example.")
        try:
            params = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise InputError(f"{path.name}: not valid YAML ({err}).".replace("\n", " ")) from None
        except ValueError as err:  # YAML read a date that does not exist, e.g. 2024-13-45
            raise InputError(f"{path.name}: a date that does not exist ({err}); write dates as "
                             "YYYY-MM-DD.") from None
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            raise InputError(f"{path.name}: expected 'key: value' lines at the top level.")
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set {item!r}: expected KEY=VALUE, e.g. --set lang=id.")
        target = params
        *parents, leaf = key.strip().split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
            if not isinstance(target, dict):
                raise InputError(f"--set {item!r}: {parent} is not a mapping.")
        target[leaf] = _yaml_or_text(text)
    return params


def _yaml_or_text(text: str):
    """A ``--set`` value: YAML scalars (numbers, bools, dates, quoted text) and flow lists or
    mappings (``[a, b]``, ``{R: [30, 90]}``); anything else YAML would read differently from what
    was typed (``|``, ``Total: Rp``, ``a #b``) is the text itself."""
    stripped = text.strip()
    if not stripped:
        return None
    try:
        value = yaml.safe_load(stripped)
    except (yaml.YAMLError, ValueError):  # ValueError: a date-like 2024-13-45
        return stripped
    if isinstance(value, (list, dict)):
        return value if stripped[0] in "[{" else stripped
    if isinstance(value, str) and value != stripped and stripped[0] not in "\"'":
        return stripped
    return value


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
