"""Fixtures of the web chat's tests: real Gradio servers on free loopback ports and a
real Chromium driven by Playwright.

* ``ui_server`` (session): the chat over the session's bundled index (read only);
  its own tmp data directory receives the feedback log and nothing else.
* ``fresh_server`` (module): the chat over an empty tmp store, for uploads and
  deletions (uploads are capped at 50 KB there, to test the limit).
* ``browser`` (session) / ``page``: Debian's /usr/bin/chromium (never a Playwright
  download; missing, it fails the run unless SPEECHQA_SKIP_BROWSER=1); ``screen_page``
  is ``page`` at 1366 and at 390 px wide (a phone). Each page records dialogs, page errors and every request it makes in
  ``page.log``, and leaves a full-page screenshot in artifacts/ui/<test>.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from ui_harness import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    SCREENS,
    VIEWPORT,
    PageLog,
    Served,
    chromium,
    serve,
    skip_browser,
)

if TYPE_CHECKING:
    from ingest.store import Index


@pytest.fixture(scope="session")
def ui_server(bundled_index: Index, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from speechqa.settings import Settings

    # The index is the shared bundled one (read only); the data directory is the
    # server's own, so the feedback log lands in a fresh folder.
    settings = Settings(store=tmp_path_factory.mktemp("ui-data"))
    served = serve(settings, bundled_index)
    try:
        yield served
    finally:
        served.close()


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory: pytest.TempPathFactory, e5_embeddings: Any) -> Iterator[Served]:
    """The chat over an empty store of its own: uploads and deletions happen here."""
    from speechqa.factory import open_index
    from speechqa.settings import Settings

    settings = Settings(store=tmp_path_factory.mktemp("ui-fresh"), max_file_mb=0.05)
    served = serve(settings, open_index(settings, e5_embeddings))
    try:
        yield served
    finally:
        served.close()


# ---- browser ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    binary = chromium()
    if not binary.exists():
        # A missing browser fails the run (a silent skip hides every browser test);
        # skipping is a deliberate choice: SPEECHQA_SKIP_BROWSER=1.
        message = (
            f"{binary} is missing: the browser tests need Debian's chromium and CJK fonts: "
            "apt-get install chromium fonts-noto-cjk (or 'make browser-deps' as root); "
            "set SPEECHQA_SKIP_BROWSER=1 to skip them on purpose"
        )
        if skip_browser():
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(binary), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh Chinese-locale page; ``page.log`` holds its dialogs, errors and requests."""
    yield from _page(browser, request, VIEWPORT)


@pytest.fixture(params=[SCREENS["wide"], SCREENS["phone"]], ids=["1366", "390"])
def screen_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``page`` on a 1366-px laptop screen and on a 390-px phone (a test runs on both)."""
    yield from _page(browser, request, request.param)


def _page(browser: Any, request: pytest.FixtureRequest, viewport: dict[str, int]) -> Iterator[Any]:
    context = browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    log = PageLog()

    def on_dialog(dialog: Any) -> None:
        log.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.on("pageerror", lambda exc: log.errors.append(str(exc)))
    pg.on("request", lambda req: log.requests.append(req.url))
    pg.log = log  # type: ignore[attr-defined]
    try:
        yield pg
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        try:
            pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        finally:
            context.close()
