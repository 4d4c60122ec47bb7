"""``report.pdf`` beside each ``report.html``: the same page printed by WeasyPrint (A4, offline).

WeasyPrint installs with pip on Linux/macOS and from conda-forge on Windows (it brings the
Pango libraries it needs). Nothing is fetched: a reference outside the file is refused.
"""
from __future__ import annotations

import sys
from pathlib import Path

PDF_NAME = "report.pdf"


class PdfUnavailable(RuntimeError):
    """WeasyPrint or its system libraries are missing; the HTML report is still complete."""


def _offline_fetcher(weasyprint):
    """A fetcher that allows only ``data:`` URLs (the reports are self-contained)."""
    urls = weasyprint.urls
    if hasattr(urls, "URLFetcher"):  # WeasyPrint >= 68
        return urls.URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)

    def fetch(url, *args, **kwargs):
        if url.startswith("data:"):
            return urls.default_url_fetcher(url, *args, **kwargs)
        raise ValueError(f"report refers to a resource outside the file: {url[:80]}")
    return fetch


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as err:  # OSError: the Pango libraries are not installed
        raise PdfUnavailable(f"PDF not written: WeasyPrint is not usable here ({str(err).splitlines()[0]}). "
                             "Install it with `pip install weasyprint` (Linux/macOS) or "
                             "`conda install -c conda-forge weasyprint` (Windows); see README.") from None
    return weasyprint


def write_pdf(html_path: Path, pdf_path: Path | None = None) -> Path:
    """Print ``html_path`` to ``pdf_path`` (default: ``report.pdf`` beside it); returns the PDF path."""
    html_path = Path(html_path)
    pdf_path = Path(pdf_path) if pdf_path else html_path.with_name(PDF_NAME)
    weasyprint = _weasyprint()
    document = weasyprint.HTML(string=html_path.read_text(encoding="utf-8"), base_url=None,
                               url_fetcher=_offline_fetcher(weasyprint)).render()
    document.write_pdf(pdf_path)
    return pdf_path


def write_pdf_or_warn(html_path: Path) -> Path | None:
    """:func:`write_pdf`, or a one-line warning when WeasyPrint is unavailable (the run goes on)."""
    try:
        return write_pdf(html_path)
    except PdfUnavailable as err:
        print(f"  {err}", file=sys.stderr)
        return None
