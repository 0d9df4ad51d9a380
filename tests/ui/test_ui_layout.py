"""The chat's layout in a real Chromium on a 1366-px laptop and a 390-px phone: where a
long answer opens, where a citation leads, what the notices cover, and the small
things a user sees (the question box's border, 👍/👎, answer footers, the delete list).
Every view is saved as artifacts/ui/<view>-<width>.png."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import helpers
import pytest
from ui_harness import Served, ask, open_chat, open_tab, shot, wait_for

pytestmark = pytest.mark.browser

QUESTION = "一共开展了几次集中学习？"
QUOTE_3 = "先后召开40次党组会，组织理论中心组、各级党支部集中学习30余次"


def is_phone(page: Any) -> bool:
    return int(page.viewport_size["width"]) <= 480


def rect(page: Any, selector: str) -> dict[str, float]:
    """The bounding box of the first visible element matching ``selector``."""
    box = page.evaluate(
        """(sel) => {
          for (const e of document.querySelectorAll(sel)) {
            const r = e.getBoundingClientRect();
            if (r.width > 0 && r.height > 0) return {x: r.x, y: r.y, w: r.width, h: r.height};
          }
          return null;
        }""",
        selector,
    )
    assert box is not None, f"nothing visible matches {selector}"
    return dict(box)


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def visible_notices(page: Any) -> list[str]:
    return [t.inner_text() for t in page.locator(".toast-message-text").all() if t.is_visible()]


def test_welcome_says_where_a_citation_leads_on_this_screen(
    screen_page: Any, ui_server: Served
) -> None:
    page = screen_page
    open_chat(page, ui_server.url)
    wide = page.locator(".sq-welcome .sq-wide")
    narrow = page.locator(".sq-welcome .sq-narrow")
    if is_phone(page):
        assert narrow.is_visible() and not wide.is_visible()
        assert "回答下方" in narrow.inner_text()
        assert "右侧" not in page.locator(".sq-welcome").inner_text()
    else:
        assert wide.is_visible() and not narrow.is_visible()
        assert "右侧" in wide.inner_text()
    # The whole header fits the window: title and status badge, nothing cut off.
    width = page.viewport_size["width"]
    for sel in (".sq-header h1", ".sq-status"):
        r = rect(page, sel)
        assert r["x"] >= 0 and r["x"] + r["w"] <= width, (sel, r)
    # The question box has a visible border.
    border = page.eval_on_selector(
        "#sq-question textarea",
        """(e) => { const s = getComputedStyle(e);
                    return [parseFloat(s.borderTopWidth), s.borderTopStyle, s.borderTopColor,
                            getComputedStyle(document.body).backgroundColor]; }""",
    )
    assert border[0] >= 1 and border[1] == "solid", border
    assert border[2] not in ("rgba(0, 0, 0, 0)", border[3]), border
    shot(page, "welcome")


def test_a_long_answer_opens_at_its_start(screen_page: Any, ui_server: Served) -> None:
    page = screen_page
    open_chat(page, ui_server.url)
    ask(page, QUESTION)
    page.locator("#sq-kind label", has_text="摘引").click()
    answer = ask(page, "纪律")  # every passage on discipline: longer than the box
    chat = rect(page, ".sq-chat")
    assert answer.bounding_box()["height"] > chat["h"], "the answer must be a long one"

    def start_in_view() -> bool:
        box = rect(page, ".sq-chat")
        asked = page.locator(".sq-user").last.bounding_box()
        top = answer.bounding_box()["y"]
        return bool(
            box["y"] - 1 <= asked["y"]
            and asked["y"] + asked["height"] <= box["y"] + box["h"]
            and top < box["y"] + box["h"]
        )

    wait_for(start_in_view, what="the newest question and its answer's start in the box")
    # …and not scrolled to the answer's end.
    scrolled = page.eval_on_selector(
        ".sq-chat", "(e) => e.scrollHeight - e.clientHeight - e.scrollTop"
    )
    assert scrolled > 10
    shot(page, "long-answer")


def test_a_citation_shows_its_paragraph_without_a_long_scroll(
    screen_page: Any, ui_server: Served
) -> None:
    page = screen_page
    open_chat(page, ui_server.url)
    answer = ask(page, QUESTION)
    chip = answer.locator(".sq-answer button.sq-chip", has_text="¶3").first
    before = page.evaluate("window.scrollY")
    chip.click()
    height = page.viewport_size["height"]
    if is_phone(page):
        # The sources fold out under the answer, at the cited paragraph; the side
        # panel (a screen further down) is not used.
        card = answer.locator("details.sq-inline-src .sq-card[data-para='3']")
        wait_for(card.is_visible, what="¶3 under the answer")
        assert "sq-flash" in (card.get_attribute("class") or "")
        assert QUOTE_3 in card.locator("mark.sq-mark").inner_text()
        top = card.bounding_box()["y"]
        assert 0 <= top < height, top
        assert abs(page.evaluate("window.scrollY") - before) < height / 2
        assert not page.locator("#sq-sources").is_visible()
    else:
        assert page.locator("#sq-sources .sq-card").first.is_visible()
        assert not answer.locator("details.sq-inline-src").is_visible()
        wait_for(
            lambda: page.get_attribute("#sq-viewer .sq-viewer", "data-focus") == "3",
            what="viewer on ¶3",
        )
        para = rect(page, "#sq-viewer #sq-p-3")
        assert 0 <= para["y"] < height
    shot(page, "citation")


def test_a_refusal_shows_the_closest_paragraphs_on_this_screen(
    screen_page: Any, ui_server: Served
) -> None:
    page = screen_page
    open_chat(page, ui_server.url)
    answer = ask(page, "讲话人的办公电话是多少？")
    assert answer.locator(".sq-answer button.sq-chip.sq-near").count() == 2
    if is_phone(page):
        fold = answer.locator("details.sq-inline-src")
        assert "最接近的段落 · 2 段" in fold.locator("summary").inner_text()
        fold.locator("summary").click()
        wait_for(lambda: answer.locator(".sq-card-near").nth(1).is_visible(), what="both cards")
    else:
        assert page.locator("#sq-sources .sq-card-near").count() == 2
        assert page.locator("#sq-sources .sq-card-near").first.is_visible()
    shot(page, "refusal")


def test_feedback_footer_and_the_comment_box(screen_page: Any, ui_server: Served) -> None:
    page = screen_page
    open_chat(page, ui_server.url)
    answer = ask(page, QUESTION)
    # The footer: the mode and the time, in ms under 0.1 s (never "0.0 秒").
    meta = answer.locator(".sq-meta").inner_text().strip()
    assert re.fullmatch(r"抽取式 · (\d{1,2} 毫秒|\d+\.\d 秒)", meta), meta
    assert "0.0 秒" not in meta
    # 👍/👎: icon and word on one line.
    for button in answer.locator(".sq-fbbtn").all():
        icon = button.locator("svg").bounding_box()
        word = button.evaluate(
            """(b) => { const r = document.createRange(); r.selectNodeContents(b.lastChild);
                        const x = r.getBoundingClientRect(); return {y: x.y, h: x.height, x: x.x}; }"""
        )
        assert icon["x"] + icon["width"] <= word["x"] + 1
        icon_mid, word_mid = icon["y"] + icon["height"] / 2, word["y"] + word["h"] / 2
        assert abs(icon_mid - word_mid) < icon["height"], (icon, word)
    answer.locator(".sq-fbbtn", has_text="没用").click()
    comment = page.locator("#sq-fbcomment textarea")
    comment.wait_for(state="visible")
    # The comment box and its button open where the reader is: inside the window.
    height = page.viewport_size["height"]

    def comment_in_window() -> bool:
        boxes = [comment.bounding_box(), page.locator("#sq-fbsend").bounding_box()]
        return all(r and r["y"] >= 0 and r["y"] + r["height"] <= height for r in boxes)

    wait_for(comment_in_window, what="the comment box inside the window")
    shot(page, "feedback")
    # The next question closes the comment box.
    ask(page, "开展了多少次宣讲？")
    wait_for(lambda: not comment.is_visible(), what="comment box closed")


def test_notices_come_one_at_a_time_clear_of_the_badge(screen_page: Any, ui_server: Served) -> None:
    page = screen_page
    open_chat(page, ui_server.url)
    page.click("#sq-send")  # nothing typed: a notice
    wait_for(lambda: visible_notices(page) == ["请先输入问题。"], what="the first notice")
    page.locator("#sq-kind label", has_text="摘引").click()
    page.click("#sq-send")
    wait_for(
        lambda: visible_notices(page) == ["请先输入要摘引的主题词。"],
        what="only the newest notice",
    )
    # Short: Gradio's countdown bar runs for 4 s (ui.app.NOTICE_SECONDS).
    timer = page.locator(".toast-item .timer").last.get_attribute("style") or ""
    assert "animation-duration: 4s" in timer, timer
    notice = rect(page, ".toast-item")
    badge = rect(page, ".sq-status")
    assert not overlap(notice, badge), (notice, badge)
    width = page.viewport_size["width"]
    assert notice["x"] >= 0 and notice["x"] + notice["w"] <= width
    if is_phone(page):  # a slim bar: the message alone, over the title at most
        assert notice["h"] < 60, notice
    else:
        assert page.locator(".toast-wrap .toast-title").first.is_visible()
    shot(page, "notice")


def test_documents_and_settings_tabs(screen_page: Any, ui_server: Served) -> None:
    page = screen_page
    open_chat(page, ui_server.url)
    open_tab(page, "文档")
    wait_for(
        lambda: helpers.SPEECH_ID in (page.text_content("#sq-doctable") or ""), what="doc table"
    )
    # Deleting is a deliberate pick: the list selects nothing.
    assert page.input_value("#sq-delete input") == ""
    # The table and the upload button fit the window (the phone drops the technical columns).
    width = page.viewport_size["width"]
    for sel in (".sq-doctable", "#sq-upload"):
        r = rect(page, sel)
        assert r["x"] >= 0 and r["x"] + r["w"] <= width, (sel, r)
    assert rect(page, "#sq-upload")["h"] < 80
    shot(page, "documents")
    # Deleting asks first (and here is cancelled: this server's index is shared).
    page.locator("#sq-delete input").click()
    page.get_by_role("option").first.click()
    page.get_by_role("button", name="删除…").click()
    page.get_by_role("button", name="确认删除").wait_for(state="visible")
    shot(page, "delete-confirm")
    page.get_by_role("button", name="取消").click()
    page.get_by_role("button", name="确认删除").wait_for(state="hidden")
    open_tab(page, "设置")
    page.locator("#sq-llmstate").wait_for(state="visible")
    assert "未配置" in page.inner_text("#sq-llmstate")
    shot(page, "settings")


def test_a_missing_browser_fails_with_the_install_command(tmp_path: Any) -> None:
    """Without Chromium the browser tests fail and say how to install it, unless
    SPEECHQA_SKIP_BROWSER=1 asks to skip them."""
    test = "tests/ui/test_ui_layout.py::test_documents_and_settings_tabs"
    base = dict(os.environ)
    base["SPEECHQA_CHROMIUM"] = str(tmp_path / "no-chromium")
    base.pop("SPEECHQA_SKIP_BROWSER", None)
    run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test]
    failed = subprocess.run(
        run, cwd=helpers.ROOT, env=base, capture_output=True, text=True, timeout=300
    )
    assert failed.returncode == 1, failed.stdout[-2000:]
    assert "apt-get install chromium fonts-noto-cjk" in failed.stdout
    skipped = subprocess.run(
        run,
        cwd=helpers.ROOT,
        env={**base, "SPEECHQA_SKIP_BROWSER": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert skipped.returncode == 0, skipped.stdout[-2000:]
    assert "2 skipped" in skipped.stdout
