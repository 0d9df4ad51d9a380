"""What the web chat's tests share besides fixtures: a real server on a free loopback
port and the page actions of a user (ask, open a tab, wait)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import helpers

if TYPE_CHECKING:
    from ingest.store import Index
    from rag.service import Assistant
    from speechqa.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")  # Debian's (never a Playwright download)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = helpers.ROOT / "artifacts" / "ui"
VIEWPORT = {"width": 1440, "height": 900}
# The screens every view is checked on: a common laptop and a phone.
SCREENS = {"wide": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def chromium() -> Path:
    """The browser binary: Debian's, unless SPEECHQA_CHROMIUM names another (the
    missing-browser test)."""
    return Path(helpers.HARNESS_ENV.get("SPEECHQA_CHROMIUM") or CHROMIUM)


def skip_browser() -> bool:
    """SPEECHQA_SKIP_BROWSER=1: the browser tests are skipped on purpose."""
    return helpers.HARNESS_ENV.get("SPEECHQA_SKIP_BROWSER") == "1"


@dataclass
class Served:
    url: str
    settings: Settings
    assistant: Assistant
    demo: Any

    def close(self) -> None:
        self.demo.close()


def serve(settings: Settings, index: Index, login: tuple[str, str] | None = None) -> Served:
    """The real app (ui.app.launch) on a free loopback port, in a background thread."""
    from speechqa.factory import build_assistant
    from ui.app import launch

    assistant = build_assistant(settings, index=index)
    demo, url = launch(
        settings,
        host="127.0.0.1",
        port=helpers.free_port(),
        login=login,
        assistant=assistant,
        block=False,
    )
    return Served(url=url.rstrip("/") + "/", settings=settings, assistant=assistant, demo=demo)


@dataclass
class PageLog:
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


# ---- page helpers -------------------------------------------------------------------
def open_chat(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".sq-chat")
    # demo.load fills the strip and the viewer: the page is ready when they are there.
    page.wait_for_selector("#sq-strip .sq-strip, #sq-strip .sq-empty")


def finished_answers(page: Any) -> int:
    return int(page.locator(".sq-bot:not(.sq-pending)").count())


def send(page: Any, question: str, *, submit: str = "enter") -> None:
    """Type a question and send it (Enter, or the 发送 button)."""
    box = page.locator("#sq-question textarea")
    box.fill(question)
    if submit == "enter":
        box.press("Enter")
    else:
        page.click("#sq-send")


def ask(page: Any, question: str, *, submit: str = "enter") -> Any:
    """Type a question, send it, wait until its answer is final; returns that answer."""
    before = finished_answers(page)
    send(page, question, submit=submit)
    page.wait_for_function(
        f"document.querySelectorAll('.sq-bot:not(.sq-pending)').length > {before}"
    )
    return page.locator(".sq-bot:not(.sq-pending)").last


def open_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.1)


def shot(page: Any, name: str) -> Path:
    """A screenshot of the window as it is now: artifacts/ui/<name>-<width>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path))
    return path
