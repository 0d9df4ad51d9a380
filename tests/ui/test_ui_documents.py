"""The 文档 tab in a real Chromium, on a server with an empty store of its own:
upload (GBK text, hostile markup, too big, wrong type), ask about it, delete it.

The tests of this module run in order: each starts from what the previous left."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ui_harness import Served, ask, open_chat, open_tab, send, wait_for

from rag.constants import REFUSAL_PHRASE

pytestmark = pytest.mark.browser

# A short speech with a fact found nowhere else, saved as GBK as many office PCs do.
GBK_NAME = "全民阅读讲话.txt"
GBK_ID = "全民阅读讲话"
GBK_SPEECH = """关于推进全民阅读工作的讲话
同志们：
今天我们召开全市全民阅读工作推进会，总结去年工作，部署今年任务。
一、去年工作回顾
去年，全市新建智慧图书馆一百二十七座，实现街道全覆盖。
全年举办读书分享活动八百余场，参与群众超过十五万人次。
二、今年重点任务
今年要重点推进农家书屋数字化改造，计划完成三百个村。
"""
XSS_NAME = "网页安全测试.txt"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
XSS_SPEECH = f"""网页安全测试讲话
同志们：
这份讲话用来检查网页是否把文字当作文字显示。
{IMG}
{SCRIPT}
标签符号必须原样显示为文字，任何脚本都不得执行。
"""


def upload(page: Any, path: Path) -> None:
    page.set_input_files("input[type=file][accept*='.docx']", str(path))


def doc_table(page: Any) -> str:
    return str(page.inner_text("#sq-doctable"))


def toast_text(page: Any) -> str:
    return " ".join(page.locator(".toast-body").all_inner_texts())


def test_empty_store_says_how_to_start(page: Any, fresh_server: Served) -> None:
    open_chat(page, fresh_server.url)
    assert "还没有导入讲话稿" in page.inner_text(".sq-welcome")
    send(page, "一共开展了几次集中学习？")
    wait_for(lambda: "还没有导入任何讲话稿" in toast_text(page), what="empty-index warning")
    assert page.locator(".sq-bot").count() == 0  # no half answer left behind
    assert page.input_value("#sq-question textarea") == "一共开展了几次集中学习？"
    assert "Traceback" not in page.inner_text("body")


def test_upload_gbk_speech_and_ask_about_it(
    page: Any, fresh_server: Served, tmp_path: Path
) -> None:
    path = tmp_path / GBK_NAME
    path.write_bytes(GBK_SPEECH.encode("gbk"))
    open_chat(page, fresh_server.url)
    open_tab(page, "文档")
    upload(page, path)
    # The table shows the progress while embedding, then the new row.
    wait_for(lambda: "\tgbk\t" in doc_table(page), timeout=60, what="GBK speech in the table")
    assert GBK_ID in doc_table(page)
    wait_for(lambda: "已导入" in toast_text(page), what="upload confirmation")

    open_tab(page, "问答")
    answer = ask(page, "全年举办了多少场读书分享活动？")
    text = answer.inner_text()
    assert REFUSAL_PHRASE not in text
    assert "八百余场" in text
    chip = answer.locator("button.sq-chip.sq-ok", has_text="¶6").first
    assert chip.get_attribute("data-doc") == GBK_ID
    # Move away, then the chip brings the viewer back to ¶6 of this document.
    page.locator("#sq-strip .sq-cell", has_text="2").first.click()
    wait_for(lambda: page.get_attribute("#sq-viewer .sq-viewer", "data-focus") == "2")
    chip.click()
    wait_for(
        lambda: page.get_attribute("#sq-viewer .sq-viewer", "data-focus") == "6",
        what="viewer on ¶6",
    )
    assert "全年举办读书分享活动八百余场" in page.inner_text("#sq-viewer .sq-focus mark")
    # The viewer names the document by its own title line, not the file name.
    assert "关于推进全民阅读工作的讲话" in page.inner_text("#sq-viewer .sq-panel-head")


def test_markup_in_a_document_is_shown_as_text_and_never_runs(
    page: Any, fresh_server: Served, tmp_path: Path
) -> None:
    path = tmp_path / XSS_NAME
    path.write_text(XSS_SPEECH, encoding="utf-8")
    open_chat(page, fresh_server.url)
    open_tab(page, "文档")
    upload(page, path)
    wait_for(lambda: "网页安全测试.txt" in doc_table(page), timeout=60, what="XSS doc ingested")

    open_tab(page, "问答")
    # Two documents now: the selector appears; pick the new one.
    selector = page.locator("#sq-doc")
    selector.wait_for(state="visible")
    selector.locator("input").click()
    page.get_by_role("option", name="网页安全测试").click()
    answer = ask(page, "标签符号必须怎样显示？")
    assert "原样显示为文字" in answer.inner_text()
    answer.locator("button.sq-chip").first.click()
    viewer = page.locator("#sq-viewer")
    wait_for(lambda: IMG in viewer.inner_text(), what="the literal <img> in the viewer")
    assert SCRIPT in viewer.inner_text()
    # Shown, not parsed: no such element exists anywhere in the page.
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("#sq-viewer script, .sq-chat script").count() == 0

    # Quote mode over the same markup.
    page.locator("#sq-kind label", has_text="摘引").click()
    quotes = ask(page, "标签符号")
    assert "标签符号" in quotes.inner_text()
    page.wait_for_timeout(500)  # any handler would have fired by now
    assert page.log.dialogs == []
    assert page.log.errors == []


def test_upload_errors_are_messages_not_tracebacks(
    page: Any, fresh_server: Served, tmp_path: Path
) -> None:
    open_chat(page, fresh_server.url)
    open_tab(page, "文档")
    # Over this server's 50 KB limit (but under Gradio's hard cap): our own message,
    # naming the file (Gradio drops the name's angle brackets on upload).
    big = tmp_path / "太长<i>的讲话.txt"
    big.write_text("同志们：\n" + "要把纪律挺在前面。\n" * 4000, encoding="utf-8")
    assert 50_000 < big.stat().st_size < 250_000
    upload(page, big)
    wait_for(lambda: "上限" in toast_text(page), what="size-limit message")
    assert "SPEECHQA_MAX_FILE_MB" in toast_text(page)
    assert "的讲话.txt" in toast_text(page)
    assert page.locator(".toast-body i").count() == 0

    # A type the loader cannot read: Gradio refuses it before it reaches the server.
    bad = tmp_path / "讲话.pdf"
    bad.write_bytes(b"%PDF-1.4 not a speech")
    upload(page, bad)
    wait_for(lambda: "Only .txt, .md, .docx allowed" in toast_text(page), what="type message")

    # A file our loader refuses: its message in Chinese, naming the file.
    binary = tmp_path / "扫描件.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    upload(page, binary)
    wait_for(lambda: "二进制文件" in toast_text(page), what="binary-file message")
    assert "扫描件.txt" in toast_text(page) and "binary" not in toast_text(page)
    assert "太长" not in doc_table(page) and "讲话.pdf" not in doc_table(page)
    assert "扫描件" not in doc_table(page)
    assert "Traceback" not in page.inner_text("body")
    assert page.log.dialogs == []


def test_delete_a_document(page: Any, fresh_server: Served) -> None:
    open_chat(page, fresh_server.url)
    open_tab(page, "文档")
    wait_for(lambda: "网页安全测试" in doc_table(page), what="doc table")
    page.locator("#sq-delete input").click()
    page.get_by_role("option", name="网页安全测试").click()
    page.get_by_role("button", name="删除…").click()
    page.get_by_role("button", name="确认删除").click()
    wait_for(lambda: "网页安全测试" not in doc_table(page), what="doc removed from the table")
    assert GBK_ID in doc_table(page)
    assert [d.doc_id for d in fresh_server.assistant.documents()] == [GBK_ID]
    open_tab(page, "问答")
    # One document left: no selector.
    wait_for(lambda: not page.locator("#sq-doc").is_visible(), what="selector hidden")


STEP_NAME = "植树造林讲话.txt"
STEP_TITLE = "关于植树造林工作的讲话"
STEP_SPEECH = f"""{STEP_TITLE}
同志们：
今年全市计划新增造林面积五千亩，建设城郊森林公园三处。
"""


def test_an_upload_keeps_sources_strip_and_viewer_in_step(
    page: Any, fresh_server: Served, tmp_path: Path
) -> None:
    open_chat(page, fresh_server.url)
    answer = ask(page, "全年举办了多少场读书分享活动？")
    assert "八百余场" in page.inner_text("#sq-sources")
    lit = page.locator("#sq-strip .sq-cell.sq-lit")
    assert [c.strip() for c in lit.all_inner_texts()] == ["6"]

    open_tab(page, "文档")
    assert page.input_value("#sq-delete input") == ""  # nothing pre-selected
    path = tmp_path / STEP_NAME
    path.write_text(STEP_SPEECH, encoding="utf-8")
    upload(page, path)
    wait_for(lambda: "植树造林讲话.txt" in doc_table(page), timeout=60, what="new doc ingested")
    assert page.input_value("#sq-delete input") == ""  # still nothing after the upload
    open_tab(page, "问答")
    # The viewer shows the new document; the sources panel and the strip follow it
    # instead of keeping the earlier answer's paragraph of the other document.
    wait_for(
        lambda: STEP_TITLE in page.inner_text("#sq-viewer .sq-panel-head"), what="viewer switched"
    )
    sources = page.inner_text("#sq-sources")
    assert "八百余场" not in sources and STEP_TITLE in sources
    assert page.locator("#sq-sources .sq-card").count() == 0
    assert page.locator("#sq-strip .sq-cell").count() == 3
    assert page.locator("#sq-strip .sq-cell.sq-lit").count() == 0
    # The earlier answer's chip brings all three back to its document.
    answer.locator(".sq-answer button.sq-chip", has_text="¶6").first.click()
    wait_for(lambda: "八百余场" in page.inner_text("#sq-sources"), what="sources back")
    assert "关于推进全民阅读工作的讲话" in page.inner_text("#sq-viewer .sq-panel-head")
    assert [c.strip() for c in lit.all_inner_texts()] == ["6"]
