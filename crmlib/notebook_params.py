"""The workbook's notebooks and the parameters they declare: the one source of ``crm params``,
``docs/parameters.md``, the values a run checks and the appendix tables of the reports.

Each notebook's cell tagged ``parameters`` holds literal assignments; a trailing comment gives
the type and range (``# [int 1..3650] meaning``, see :mod:`crmlib.params`). Read as plain JSON
(no kernel, no papermill), so a report's appendix can list its parameters cheaply.
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

from crmlib import paths
from crmlib.io import InputError
from crmlib.params import Spec, split_comment


def discover_notebooks(directory: Path = paths.NOTEBOOKS_DIR) -> list[Path]:
    """The workbook's notebooks in run order (``NN_name.ipynb``)."""
    return sorted(p for p in directory.glob("[0-9][0-9]_*.ipynb"))


def parameters_cell(notebook: Path) -> list[tuple[str, object, str]]:
    """(name, default, comment) for each assignment in the cell tagged ``parameters``.

    Parsed with :mod:`ast` (defaults must be literals) and the line's ``#`` comment as help.
    """
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        raise InputError(f"{notebook.name}: no cell tagged 'parameters'.")
    source = tagged[0]["source"]
    source = "".join(source) if isinstance(source, list) else source
    lines = source.splitlines()
    found = []
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            continue
        name = node.targets[0].id
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            raise InputError(f"{notebook.name}: parameter `{name}` is not a literal; the parameters "
                             "cell must hold literals only.") from None
        line = lines[node.end_lineno - 1]
        comment = line[node.end_col_offset:].strip()
        found.append((name, value, comment[1:].strip() if comment.startswith("#") else ""))
    return found


def declared_parameters(notebook: Path) -> dict:
    """Names and default values declared in the notebook's ``parameters`` cell."""
    return {name: value for name, value, _ in parameters_cell(notebook)}


@dataclass
class Parameter:
    """One key of the workbook: its default, declared type (``spec``), meaning, and the notebooks
    declaring it."""

    name: str
    default: object
    spec: Spec | None
    help: str
    notebooks: list[str] = field(default_factory=list)


def parameter_schema(directory: Path = paths.NOTEBOOKS_DIR) -> dict[str, Parameter]:
    """Every key the notebooks declare, with the schema written in its trailing comment.

    The first notebook declaring a key gives its default, type and meaning (tests check that
    every declaration of a key agrees).
    """
    found: dict[str, Parameter] = {}
    for notebook in discover_notebooks(directory):
        for name, value, comment in parameters_cell(notebook):
            try:
                spec, meaning = split_comment(comment)
            except ValueError as err:
                raise InputError(f"{notebook.name}: parameter `{name}` has a bad type declaration "
                                 f"({err}); see docs/parameters.md.") from None
            row = found.setdefault(name, Parameter(name, value, spec, meaning))
            row.notebooks.append(notebook.stem[:2])
            row.spec = row.spec or spec
            row.help = row.help or meaning
    return found


def parameter_reference(directory: Path = paths.NOTEBOOKS_DIR) -> str:
    """Markdown table of every parameter: type and range, default, the notebooks declaring it, meaning."""
    rows = parameter_schema(directory)
    everywhere = len(discover_notebooks(directory))
    lines = ["| key | type | default | notebooks | meaning |", "| --- | --- | --- | --- | --- |"]
    for name, row in sorted(rows.items(), key=lambda item: (len(item[1].notebooks) < everywhere,
                                                             item[1].notebooks, item[0])):
        where = "all" if len(row.notebooks) == everywhere else ", ".join(row.notebooks)
        default = json.dumps(row.default, ensure_ascii=False)
        if row.spec and "sample" in row.spec.flags:
            default += " (sample)"
        kind = row.spec.text.split(";")[0].strip() if row.spec else "?"
        lines.append(f"| `{name}` | `{_cell(kind)}` | `{_cell(default)}` | {where} | {_cell(row.help)} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
