"""Words shown to people, in English (``en``) and Bahasa Indonesia (``id``).

Labels live in YAML files under ``crmlib/labels/`` (one per topic: ``common.yaml``,
``rfm.yaml`` …), each mapping a key to ``{en: …, id: …}``. :func:`t` looks a key up.
"""
from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

import yaml

from crmlib.markup import Safe, escape_code, escape_md  # noqa: F401  (Safe, escape_md: for notebooks)

LANGUAGES = ("en", "id")
LABELS_DIR = Path(__file__).resolve().parent / "labels"


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported, else raise a ValueError naming the parameter."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES} (parameter `lang`), not {lang!r}.")
    return lang


class _StrictLoader(yaml.SafeLoader):
    """YAML loader that refuses a key given twice in one mapping (YAML would keep the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise KeyError(f"label {key!r} is defined twice in one file (line {key_node.start_mark.line + 1}).")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@lru_cache(maxsize=1)
def labels() -> dict[str, dict[str, str]]:
    """All labels from every YAML file in ``crmlib/labels`` (a key defined twice is an error)."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(LABELS_DIR.glob("*.yaml")):
        for key, texts in (yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader) or {}).items():
            if key in merged:
                raise KeyError(f"label {key!r} is defined twice (second time in {path.name}).")
            merged[key] = texts
    return merged


def t(key: str, lang: str = "en", **values) -> str:
    """The label ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``.

    An unknown key is returned as is, so a missing translation shows but never crashes a report.
    """
    texts = labels().get(key)
    if texts is None:
        return key
    text = texts.get(check_lang(lang)) or texts.get("en") or key
    return text.format(**values) if values else text


def md_text(key: str, lang: str = "en", **values) -> str:
    """The label ``key`` in ``lang`` as Markdown source, with every value escaped (the result
    is :class:`~crmlib.markup.Safe`: it can fill another label's placeholder as it is)."""
    template = t(key, lang)
    if not values:
        return Safe(template)
    formatter, inside_code, parts = string.Formatter(), False, []
    for literal, field, spec, conversion in formatter.parse(template):
        parts.append(literal)
        inside_code ^= literal.count("`") % 2 == 1
        if field is not None:
            value, _ = formatter.get_field(field, (), values)
            text = formatter.format_field(formatter.convert_field(value, conversion), spec or "")
            parts.append(escape_code(text) if inside_code else escape_md(text))
    return Safe("".join(parts))


def md(key: str, lang: str = "en", **values):
    """A label rendered as Markdown in a notebook (narrative that follows ``lang``).

    Values filling ``{placeholders}`` are escaped (:func:`escape_md`), so a customer name, a
    column header or a parameter shows as text and never as HTML or Markdown. Notebooks show
    interpolated narrative with ``md(key, lang, **values)``, not ``Markdown(t(key, lang, **values))``.
    """
    from IPython.display import Markdown

    return Markdown(md_text(key, lang, **values))
