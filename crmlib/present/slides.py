"""Recording a chart for the run's slide deck.

A notebook calls :func:`record_slide` after drawing a key chart: the figure is saved at slide
resolution into ``<out>/slides/NN.png`` and listed, with its action title and "so what", in
``<out>/slides.json``; ``crm run`` and ``crm deck --run`` build ``deck.pptx`` from these.
"""
from __future__ import annotations

import json
from pathlib import Path

from crmlib.outputs import dumps

SLIDES_FILE = "slides.json"
SLIDES_DIR = "slides"
SLIDE_PIXELS = 2000  # width of a saved chart: sharp on a 16:9 slide projected at 1920 px


def _directory(out) -> Path:
    return Path(getattr(out, "directory", out))


def recorded_slides(out) -> list[dict]:
    """The slides recorded so far in ``out`` (``[]`` when none), in recording order."""
    path = _directory(out) / SLIDES_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def record_slide(out, fig, title: str, so_what: str) -> Path:
    """Save ``fig`` for the deck with its action ``title`` and one-line ``so_what``; returns the PNG.

    Recording the same title again (a re-run cell) replaces that slide instead of adding one.
    """
    for name, text in (("title", title), ("so_what", so_what)):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"record_slide: `{name}` must be a non-empty text, got {text!r}.")
    directory = _directory(out)
    slides = recorded_slides(directory)
    index = next((i for i, s in enumerate(slides) if s["title"] == title), len(slides))
    image = f"{SLIDES_DIR}/{index + 1:02d}.png"
    (directory / SLIDES_DIR).mkdir(parents=True, exist_ok=True)
    width_inches = fig.get_figwidth()
    fig.savefig(directory / image, dpi=SLIDE_PIXELS / width_inches, bbox_inches="tight",
                facecolor="white", metadata={"Software": None})
    entry = {"image": image, "title": title.strip(), "so_what": so_what.strip()}
    slides[index:index + 1] = [entry]
    (directory / SLIDES_FILE).write_text(dumps(slides), encoding="utf-8")
    return directory / image
