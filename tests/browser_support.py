"""Debian's Chromium driven by Playwright, for the tests that need a real browser.

Playwright cannot download its own browser here, so it launches ``/usr/bin/chromium``
(or ``CRM_CHROMIUM``). Where no Chromium can exist the tests skip with the reason; in CI
(``CI`` set) a missing browser is a failure, since ``.ci/run`` installs it.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
               "--no-first-run", "--disable-extensions"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CRM_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; .ci/run installs it, so CI must have it.")
    pytest.skip(reason)


def launch(playwright):
    """A headless Chromium, or a skip (a failure in CI) saying why there is none."""
    path = chromium_path()
    if path is None:
        _unavailable("no Chromium on this machine (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=path, headless=True, args=LAUNCH_ARGS)


def sync_playwright():
    try:
        from playwright.sync_api import sync_playwright as start
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e .[dev])")
    return start()
