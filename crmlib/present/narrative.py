"""The words around the numbers: numbered section headings, one-line conclusions, the appendix.

Every report reads the same way: ``## N. <action title>`` (the conclusion of the section, with
its number), the section's table and charts, each chart followed by its one-line "so what", and
at the end the technical appendix. Texts arrive already worded in the run's language; HTML in
them is escaped (a segment name from a client's rules file is shown, never run), Markdown kept.
"""
from __future__ import annotations

import html

from crmlib.i18n import t


def _safe(text: str) -> str:
    return html.escape(str(text), quote=False)


def _markdown(text: str):
    from IPython.display import Markdown

    return Markdown(text)


def section(number: int, title: str, body: str = ""):
    """A numbered section: ``## 3. Champions hold 53% of revenue`` and its short introduction."""
    text = f"## {int(number)}. {_safe(title)}"
    return _markdown(f"{text}\n\n{_safe(body)}" if body else text)


def so_what(text: str):
    """The one-line conclusion under a chart or table (styled as a call-out in the report)."""
    if not text:
        return _markdown("")
    text = str(text)
    return _markdown(f"> {_safe(text[:1].upper() + text[1:])}")


def appendix(lang: str, body: str = ""):
    """The technical appendix heading (label ``report_appendix``) and its introduction."""
    heading = f"## {t('report_appendix', lang)}"
    return _markdown(f"{heading}\n\n{_safe(body)}" if body else heading)


def subheading(text: str):
    """A bold line introducing a table inside a section (not a new section)."""
    return _markdown(f"**{_safe(text)}**")
