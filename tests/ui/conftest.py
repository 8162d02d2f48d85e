"""Headless Chromium for the dashboard's browser tests: Debian's `chromium`, driven by Playwright.

Never `playwright install` (it downloads its own browsers): the system's chromium is used, found on
PATH or at GEMINI_EMULATOR_CHROMIUM. Without one, or without the playwright package, the browser
tests skip and say how to get them (`make test` installs both).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL = "apt-get install -y chromium && pip install playwright (make test does both)"


def chromium_path() -> str | None:
    configured = os.environ.get("GEMINI_EMULATOR_CHROMIUM")
    if configured:
        return configured
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped, not session-scoped: Playwright's sync API keeps an event loop running on this
    thread while it is open, and any asyncio test that ran after it on the same xdist worker failed
    with "Cannot run the event loop while another loop is running"."""
    sync_api = pytest.importorskip("playwright.sync_api", reason=f"playwright is not installed: {INSTALL}")
    path = chromium_path()
    if path is None:
        pytest.skip(f"no chromium found for the dashboard's browser tests: {INSTALL}")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: GEMINI_EMULATOR_SCREENSHOTS (`docs/images` to refresh the docs' images),
    or a temporary directory."""
    where = os.environ.get("GEMINI_EMULATOR_SCREENSHOTS")
    path = Path(where) if where else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path
