"""Formulas rendered at build time (matplotlib mathtext → SVG), so reports need no MathJax.

``$$…$$`` (display) and ``$…$`` (inline) spans in Markdown become ``<img>`` tags holding the
formula as a base64 SVG: the file stays self-contained, prints, and reads offline. Notebooks display
their formulas through :func:`typeset`, so the executed notebook holds no raw LaTeX either.
"""
from __future__ import annotations

import base64
import html
import io
import re
from functools import lru_cache

DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
# Inline: no space just inside the dollars, no digit right after the closing one ("$5 and $10" is money).
INLINE = re.compile(r"(?<![\\$])\$(?=\S)([^$\n]+?)(?<=\S)\$(?![\d$])")
_FENCE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
DISPLAY_PT, INLINE_PT = 17.0, 11.0


@lru_cache(maxsize=512)
def formula_svg(tex: str, size: float) -> tuple[str, float, float, float]:
    """(base64 SVG, width, height, depth in pt) of ``tex`` typeset by mathtext at ``size`` pt."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    prop = FontProperties(family="DejaVu Sans", size=size)
    try:
        width, height, depth, *_ = MathTextParser("path").parse(f"${tex}$", dpi=72, prop=prop)
    except ValueError as err:
        raise ValueError(f"formula cannot be typeset offline ({err}); formula: {tex}") from None
    pad = 1.0
    figure = Figure(figsize=((width + 2 * pad) / 72, (height + 2 * pad) / 72), dpi=72)
    figure.text(pad / (width + 2 * pad), (depth + pad) / (height + 2 * pad), f"${tex}$",
                fontproperties=prop, color="#1b1b1b")
    buffer = io.BytesIO()
    # "standard" box: the charts' style (set_style) saves figures "tight", which would pad the formula
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "crmlib", "mathtext.fontset": "dejavusans",
                                "savefig.bbox": "standard"}):
        figure.savefig(buffer, format="svg", transparent=True, metadata={"Date": None})
    return (base64.b64encode(buffer.getvalue()).decode("ascii"), width + 2 * pad, height + 2 * pad,
            depth + pad)


def formula_img(tex: str, display: bool) -> str:
    """An ``<img>`` tag for the formula, sized in ``em`` so it follows the text size."""
    tex = " ".join(tex.split())
    size = DISPLAY_PT if display else INLINE_PT
    data, width, height, depth = formula_svg(tex, size)
    em = 11.0  # the stylesheet's body size in pt: 1 em of text == INLINE_PT-sized formula
    style = f"width:{width / em:.3f}em;height:{height / em:.3f}em"
    if not display:
        style += f";vertical-align:-{depth / em:.3f}em"
    kind = "math-display" if display else "math-inline"
    alt = html.escape(tex, quote=True)
    img = f'<img class="{kind}" style="{style}" alt="{alt}" src="data:image/svg+xml;base64,{data}">'
    return f'\n\n<div class="math-block">{img}</div>\n\n' if display else img


def render_math(markdown: str) -> str:
    """Replace the formulas of a Markdown text by images (code spans and fences left alone)."""
    if "$" not in markdown:
        return markdown
    parts = _FENCE.split(markdown)
    for i in range(0, len(parts), 2):  # even parts are outside code
        text = DISPLAY.sub(lambda m: formula_img(m.group(1), True), parts[i])
        parts[i] = INLINE.sub(lambda m: formula_img(m.group(1), False), text)
    return "".join(parts)


def typeset(markdown: str):
    """``markdown`` (trusted narrative text, values already escaped) as HTML with its formulas typeset."""
    import mistune  # the Markdown renderer nbconvert's markdown2html uses, without importing nbconvert (3 s)
    from IPython.display import HTML

    return HTML(mistune.html(render_math(markdown)))
