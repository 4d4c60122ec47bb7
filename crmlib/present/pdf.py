"""``report.pdf`` beside each ``report.html``: the same page printed by WeasyPrint (A4, offline).

WeasyPrint installs with pip on Linux/macOS and from conda-forge on Windows (it brings the
Pango libraries it needs). Nothing is fetched: a reference outside the file is refused.
"""
from __future__ import annotations

import sys
from concurrent.futures import Future, ThreadPoolExecutor
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


def load_weasyprint():
    """The weasyprint module, or :class:`PdfUnavailable` saying how to install it."""
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
    weasyprint = load_weasyprint()
    document = weasyprint.HTML(string=html_path.read_text(encoding="utf-8"), base_url=None,
                               url_fetcher=_offline_fetcher(weasyprint)).render()
    document.write_pdf(pdf_path)
    return pdf_path


def write_pdf_or_warn(html_path: Path) -> Path | None:
    """:func:`write_pdf`, or a one-line warning when it cannot be made (the HTML report stands)."""
    try:
        return write_pdf(html_path)
    except PdfUnavailable as err:
        print(f"  {err}", file=sys.stderr)
    except Exception as err:  # noqa: BLE001 - a PDF that fails must not sink the run's other files
        print(f"  PDF not written for {Path(html_path).parent.name}: {type(err).__name__}: {err}", file=sys.stderr)
    return None


class BackgroundPrinter:
    """Print PDFs on a worker thread while the next notebook runs in its kernel.

    The runner's process is idle while a kernel computes, so on two cores the PDFs cost little
    extra wall time. :meth:`finish` waits for every PDF asked for.
    """

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf")
        self._pending: list[Future] = []

    def submit(self, html_path: Path) -> None:
        self._pending.append(self._pool.submit(write_pdf_or_warn, Path(html_path)))

    def finish(self) -> list[Path]:
        done = [future.result() for future in self._pending]
        self._pending.clear()
        return [path for path in done if path is not None]


PRINTER = BackgroundPrinter()
