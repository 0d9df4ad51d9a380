"""The chat in a real Chromium: streamed answers, citation chips that lead to the
highlighted paragraph, refusals, quote mode, copy, export and feedback."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import helpers
import pytest
from ui_harness import Served, ask, open_chat, shot, wait_for

from rag.constants import REFUSAL_PHRASE, paste_quote

pytestmark = pytest.mark.browser

QUESTION = "一共开展了几次集中学习？"
# The whole sentence that holds the count asked for (30余次, the marked value).
QUOTE_3 = (
    "先后召开40次党组会，组织理论中心组、各级党支部集中学习30余次，开展各级各类宣讲31次，"
    "引导全系统党员干部树牢“四个意识”、坚定“四个自信”，做到“两个维护”，营造了忠诚担当的政治氛围。"
)
VALUE_3 = "30余次"


def viewer_focus(page: Any) -> str:
    return str(page.get_attribute("#sq-viewer .sq-viewer", "data-focus"))


def in_view(page: Any, para: int) -> bool:
    """The paragraph is inside the viewer's visible box and inside the window."""
    return bool(
        page.evaluate(
            """(n) => {
              const body = document.querySelector('#sq-viewer .sq-viewer-body');
              const p = document.querySelector('#sq-viewer #sq-p-' + n);
              if (!body || !p) return false;
              const b = body.getBoundingClientRect(), r = p.getBoundingClientRect();
              return r.top >= b.top - 1 && r.top < b.bottom && b.top < window.innerHeight;
            }""",
            para,
        )
    )


def test_streamed_answer_with_chip_that_highlights_the_paragraph(
    page: Any, ui_server: Served
) -> None:
    open_chat(page, ui_server.url)
    assert "您好" in page.inner_text(".sq-welcome")
    answer = ask(page, QUESTION)

    # The answer quotes ¶3 verbatim and carries a verified chip for it.
    assert QUOTE_3 in answer.inner_text()
    chip = answer.locator("button.sq-chip", has_text="¶3").first
    assert chip.is_visible()
    assert "sq-ok" in (chip.get_attribute("class") or "")
    assert chip.get_attribute("data-para") == "3"

    # Sources panel: ¶3 with its section path, marked verified, the quote highlighted.
    card = page.locator("#sq-sources .sq-card").first
    assert "已核实" in card.inner_text()
    assert card.locator("mark.sq-mark").inner_text() == QUOTE_3

    # The strip lights ¶3 only.
    lit = page.locator("#sq-strip .sq-cell.sq-lit")
    assert [c.strip() for c in lit.all_inner_texts()] == ["3"]

    # Move the viewer away (a strip cell), then the chip brings it back to ¶3.
    page.locator("#sq-strip .sq-cell", has_text="17").first.click()
    wait_for(lambda: viewer_focus(page) == "17", what="viewer on ¶17")
    wait_for(lambda: in_view(page, 17), what="¶17 scrolled into view")
    assert not in_view(page, 3)

    chip.click()
    wait_for(lambda: viewer_focus(page) == "3", what="viewer on ¶3 after the chip click")
    focused = page.locator("#sq-viewer .sq-para.sq-focus")
    assert focused.count() == 1
    assert focused.get_attribute("id") == "sq-p-3"
    assert focused.locator("mark.sq-mark-focus").inner_text() == QUOTE_3
    wait_for(lambda: in_view(page, 3), what="¶3 scrolled into view")
    page.screenshot(path=str(helpers.ROOT / "artifacts" / "ui" / "chip-click.png"))

    # The page fetched nothing from outside this machine (fonts, scripts, analytics).
    hosts = {urlparse(u).hostname for u in page.log.requests if u.startswith("http")}
    assert hosts <= {"127.0.0.1", "localhost"}, hosts
    assert page.log.dialogs == [] and page.log.errors == []


def test_refusal_shows_the_two_closest_paragraphs(page: Any, ui_server: Served) -> None:
    open_chat(page, ui_server.url)
    answer = ask(page, "讲话人的办公电话是多少？", submit="button")
    text = answer.inner_text()
    assert REFUSAL_PHRASE in text
    assert "sq-refused" in (answer.locator(".sq-answer").get_attribute("class") or "")
    near = answer.locator(".sq-answer button.sq-chip.sq-near")
    assert near.count() == 2
    cards = page.locator("#sq-sources .sq-card-near")
    assert cards.count() == 2
    assert REFUSAL_PHRASE in page.inner_text("#sq-sources")
    # Nothing is lit as cited; the two nearest paragraphs are marked as such.
    assert page.locator("#sq-strip .sq-cell.sq-lit").count() == 0
    assert page.locator("#sq-strip .sq-cell.sq-near").count() == 2


def test_follow_up_uses_the_conversation(page: Any, ui_server: Served) -> None:
    open_chat(page, ui_server.url)
    ask(page, QUESTION)
    second = ask(page, "开展了多少次宣讲？")
    assert "31次" in second.inner_text()
    assert page.locator(".sq-user").count() == 2


def test_copy_quote_and_answer(page: Any, ui_server: Served) -> None:
    open_chat(page, ui_server.url)
    answer = ask(page, QUESTION)
    page.locator("#sq-sources .sq-copy").first.click()
    wait_for(lambda: "已复制" in page.inner_text("#sq-sources"), what="copy confirmation")
    assert page.evaluate("navigator.clipboard.readText()") == paste_quote(QUOTE_3, 3)

    answer.locator(".sq-copy", has_text="复制回答").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"「{QUOTE_3}」[¶3]")
    assert f"- {paste_quote(QUOTE_3, 3)}" in copied


def test_quote_mode_gives_paste_ready_quotes(page: Any, ui_server: Served) -> None:
    open_chat(page, ui_server.url)
    page.locator("#sq-kind label", has_text="摘引").click()
    wait_for(
        lambda: "主题词" in (page.get_attribute("#sq-question textarea", "placeholder") or ""),
        what="quote placeholder",
    )
    answer = ask(page, "纪律")
    items = answer.locator("ol.sq-quotes li")
    assert items.count() >= 3
    assert "¶16" in answer.inner_text()
    assert "纪律" in answer.locator(".sq-concord").inner_text()
    speech = helpers.SPEECH_PATH.read_text(encoding="utf-8")
    first = items.first
    first.locator(".sq-copy").click()
    pasted = page.evaluate("navigator.clipboard.readText()")
    assert pasted.startswith("「") and pasted.endswith("段）")
    quoted = pasted[1 : pasted.index("」")]
    assert quoted in speech  # verbatim


def test_export_markdown_and_docx_carry_the_citations(
    page: Any, ui_server: Served, tmp_path: Path
) -> None:
    import docx

    open_chat(page, ui_server.url)
    ask(page, QUESTION)
    page.locator("#sq-kind label", has_text="摘引").click()
    ask(page, "纪律")
    md_button = page.locator("#sq-export-md")
    wait_for(lambda: md_button.is_enabled(), what="export enabled")
    with page.expect_download() as got:
        md_button.click()
    md_path = tmp_path / "chat.md"
    got.value.save_as(md_path)
    md = md_path.read_text(encoding="utf-8")
    assert got.value.suggested_filename.endswith(".md")
    assert f"## 1. 问：{QUESTION}" in md and "## 2. 摘引：纪律" in md
    assert "[¶3]" in md and f"- {paste_quote(QUOTE_3, 3)}" in md
    assert "（第16段）" in md and "词语索引" in md

    with page.expect_download() as got:
        page.locator("#sq-export-docx").click()
    data = got.value.path().read_bytes()
    document = docx.Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert QUESTION in text and "摘引：纪律" in text
    assert paste_quote(QUOTE_3, 3) in text
    assert "（第16段）" in text


def test_feedback_with_comment_goes_to_the_jsonl_log(page: Any, ui_server: Served) -> None:
    log = Path(ui_server.settings.store) / "feedback.jsonl"
    before = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    open_chat(page, ui_server.url)
    answer = ask(page, QUESTION)
    answer.locator(".sq-fbbtn", has_text="没用").click()
    wait_for(lambda: log.exists() and len(log.read_text("utf-8").splitlines()) == len(before) + 1)
    comment = page.locator("#sq-fbcomment textarea")
    comment.wait_for(state="visible")
    comment.fill("希望给出具体次数的出处")
    page.click("#sq-fbsend")
    wait_for(lambda: len(log.read_text("utf-8").splitlines()) == len(before) + 2)
    first, second = (json.loads(x) for x in log.read_text("utf-8").splitlines()[-2:])
    for rec in (first, second):
        assert rec["rating"] == "down"
        assert rec["question"] == QUESTION
        assert "[¶3]" in rec["answer"]
        assert rec["mode"] == "extractive"
        assert rec["citations"][0]["paragraph"] == 3 and rec["citations"][0]["verified"]
        assert rec["time"]
    assert first["id"] == second["id"]
    assert first["comment"] == "" and second["comment"] == "希望给出具体次数的出处"
    wait_for(lambda: not comment.is_visible(), what="comment row hidden")


def test_question_with_markup_is_shown_as_text(page: Any, ui_server: Served) -> None:
    open_chat(page, ui_server.url)
    question = "<img src=x onerror=alert(1)>一共开展了几次集中学习？"
    ask(page, question)
    assert page.locator(".sq-user").last.inner_text().endswith(question)
    assert page.locator("img[src='x']").count() == 0
    assert page.log.dialogs == []


@pytest.mark.parametrize(
    ("example", "paragraphs", "needles"),
    [
        ("一共开展了几次集中学习？", {3}, [VALUE_3]),
        # the speech's three tasks are its three top-level headings, every one cited
        (
            "今年工作的主要任务是什么？",
            {6, 10, 14},
            ["深入学习贯彻", "提高政治站位", "持续正风肃纪反腐"],
        ),
        # whole requirement sentences, not a clause cut out of one
        ("对党员干部提出了哪些纪律要求？", {16}, ["要把纪律建设摆在更加突出的位置", "守底线"]),
    ],
    ids=["count", "tasks", "requirements"],
)
def test_the_example_questions_get_complete_answers(
    page: Any, ui_server: Served, example: str, paragraphs: set[int], needles: list[str]
) -> None:
    open_chat(page, ui_server.url)
    before = page.locator(".sq-bot:not(.sq-pending)").count()
    page.locator(".sq-examples button", has_text=example).first.click()
    page.wait_for_function(
        f"document.querySelectorAll('.sq-bot:not(.sq-pending)').length > {before}"
    )
    answer = page.locator(".sq-bot:not(.sq-pending)").last
    text = answer.inner_text()
    assert REFUSAL_PHRASE not in text and "没有直接回答" not in text, text
    for needle in needles:
        assert needle in text, (needle, text)
    cited = {int(c) for c in answer.locator("button.sq-chip").evaluate_all(
        "chips => chips.map(c => c.dataset.para)"
    )}  # fmt: skip
    assert paragraphs <= cited, (paragraphs, cited)
    # the full text opens at the first cited paragraph
    first = min(paragraphs)
    wait_for(lambda: viewer_focus(page) == str(first), what=f"viewer on ¶{first}")
    wait_for(lambda: in_view(page, first), what=f"¶{first} scrolled into view")
    shot(page, f"example-{first}")
