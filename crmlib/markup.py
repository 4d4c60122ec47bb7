"""Safe text for Markdown and HTML: data values and parameters show as text, never as markup.

- :func:`escape_md` — a value placed into Markdown (``i18n.md()`` does it for every placeholder);
- :func:`escape_code` — a value placed inside a `code span`;
- :func:`disarm_html` — Markdown a notebook *generated* (an output, not an authored cell) with
  any raw HTML tag turned into text: the report export's second line of defence, for Markdown
  a package function built without escaping its values.
"""
from __future__ import annotations

import html
import re


class Safe(str):
    """Markdown already made safe (e.g. by :func:`crmlib.i18n.md_text`): inserted as is."""


#: ASCII punctuation that could start emphasis, a link, a heading, a list or a table.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
#: Code spans and fenced blocks, where ``<`` is shown as typed (the renderer escapes it).
_LITERAL = re.compile(r"(`+)[\s\S]*?\1")
#: ``<`` opening an HTML tag, comment, declaration or processing instruction.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
#: ``](`` of a Markdown link or image whose target would run code.
_SCRIPT_LINK = re.compile(r"\]\((?=\s*<?\s*(?:javascript|vbscript|data)\s*:)", re.IGNORECASE)


def escape_md(value) -> str:
    """``value`` as literal text inside Markdown (and the HTML made from it): no tag, link,
    emphasis or line break of its own; it renders exactly as ``str(value)`` with runs of
    whitespace as one space."""
    if isinstance(value, Safe):
        return value
    text = " ".join(str(value).split())
    return html.escape(_MARKDOWN_PUNCTUATION.sub(r"\\\1", text), quote=True)


def escape_code(value) -> str:
    """``value`` inside a code span: code spans show text literally (the renderer escapes it),
    so only a backtick, which would end the span, and line breaks are replaced."""
    return " ".join(str(value).split()).replace("`", "'")


def disarm_html(markdown: str) -> str:
    """``markdown`` with every raw HTML tag shown as text (``<img …>`` → ``&lt;img …>``) and no
    ``javascript:`` link; code spans and fenced code are left as they are."""
    def disarm(text: str) -> str:
        return _SCRIPT_LINK.sub("]\\(", _TAG_OPEN.sub("&lt;", text))

    parts, last = [], 0
    for match in _LITERAL.finditer(markdown):
        parts.append(disarm(markdown[last:match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(disarm(markdown[last:]))
    return "".join(parts)
