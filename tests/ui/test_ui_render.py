"""The page's HTML, the exports and the feedback log, from real answers of the
bundled speech (no server, no browser)."""

from __future__ import annotations

import io
import json
import re
import threading
from pathlib import Path
from typing import Any

import helpers
import pytest

from ingest.parse import parse
from rag.constants import (
    PARTIAL_INTRO,
    PARTIAL_LABEL,
    REFUSAL_PHRASE,
    UNVERIFIED_MARK,
    paste_quote,
)
from ui import feedback
from ui.export import conversation_markdown, source_lines, turn_markdown, write_docx
from ui.render import (
    answer_html,
    chat_html,
    marked,
    quote_body,
    sources_html,
    strip_html,
    turn_body,
    viewer_html,
)
from ui.turns import Turn, find_turn

# The whole sentence that holds the count asked for (30余次, the marked value).
QUOTE_3 = (
    "先后召开40次党组会，组织理论中心组、各级党支部集中学习30余次，开展各级各类宣讲31次，"
    "引导全系统党员干部树牢“四个意识”、坚定“四个自信”，做到“两个维护”，营造了忠诚担当的政治氛围。"
)
VALUE_3 = "30余次"
HOSTILE = "<img src=x onerror=alert(1)>"


def _with_value(quote: str) -> str:
    """The quote as the page marks it: the asked value in bold inside."""
    return quote.replace(VALUE_3, f'<b class="sq-value">{VALUE_3}</b>', 1)


@pytest.fixture(scope="module")
def assistant(bundled_index: Any) -> Any:
    from speechqa.factory import build_assistant

    return build_assistant(bundled_index.settings, index=bundled_index)


@pytest.fixture(scope="module")
def docs(assistant: Any) -> Any:
    return assistant.corpus.docs


@pytest.fixture(scope="module")
def answered(assistant: Any) -> Turn:
    a = assistant.ask("一共开展了几次集中学习？")
    return Turn(
        kind="answer", question=a.question, doc_id=a.doc_id, mode=a.mode, answer=a.to_dict()
    )


@pytest.fixture(scope="module")
def refused(assistant: Any) -> Turn:
    a = assistant.ask("讲话人的办公电话是多少？")
    return Turn(
        kind="answer", question=a.question, doc_id=a.doc_id, mode=a.mode, answer=a.to_dict()
    )


def test_marked_escapes_and_merges_spans() -> None:
    out = marked("a<b>c&d", [(1, 3), (2, 4)])
    assert out == 'a<mark class="sq-mark">&lt;b&gt;</mark>c&amp;d'
    assert marked("<x>", []) == "&lt;x&gt;"


def test_marked_shows_the_asked_value_inside_the_quote() -> None:
    out = marked("a<b>40次c", [(0, 8)], values=[(4, 7)])
    assert out == '<mark class="sq-mark">a&lt;b&gt;<b class="sq-value">40次</b>c</mark>'


def test_answer_marks_the_asked_value(answered: Turn, docs: Any) -> None:
    (c,) = [c for c in answered.citations if c.get("value_start") is not None]
    text = docs[helpers.SPEECH_ID].text
    assert text[c["value_start"] : c["value_end"]] == VALUE_3
    html = answer_html(
        answered.text, answered.citations, doc_id=answered.doc_id, turn_id=answered.id
    )
    assert html.count('<b class="sq-value">') == 1
    assert f'<span class="sq-q">「{_with_value(QUOTE_3)}」</span>' in html


@pytest.fixture(scope="module")
def quoted(assistant: Any) -> Turn:
    r = assistant.quote("国之大者")
    return Turn(
        kind="quote",
        question="国之大者",
        doc_id=r.doc_id,
        mode="quote",
        quote=r.to_dict(),
        quote_markdown=r.to_markdown(),
    )


def test_quote_mode_shows_related_passages_apart_and_counts(quoted: Turn, docs: Any) -> None:
    html = quote_body(quoted, docs[helpers.SPEECH_ID])
    head, _, rest = html.partition('<div class="sq-related">')
    assert "含有“国之大者”的原文" in head and rest, html
    related = (quoted.quote or {})["related"]
    assert related and all("国之大者" not in r["text"] for r in related)
    assert all(r["text"] in rest for r in related)
    assert all(q["text"] in head for q in quoted.quotes)
    # ¶12 says 国之大者 three times: one chip, with its count.
    assert '<span class="sq-times">×3</span>' in html
    assert html.count('data-para="12"') == len(quoted.quotes) + 1


def test_chip_carries_the_quote_offsets(answered: Turn, docs: Any) -> None:
    html = answer_html(
        answered.text, answered.citations, doc_id=answered.doc_id, turn_id=answered.id
    )
    chip = re.search(r'<button type="button" class="sq-chip sq-ok"[^>]*>¶3</button>', html)
    assert chip, html
    c = answered.citations[0]
    assert f'data-start="{c["start"]}"' in chip.group(0)
    assert f'data-end="{c["end"]}"' in chip.group(0)
    assert f'data-turn="{answered.id}"' in chip.group(0)
    text = docs[helpers.SPEECH_ID].text
    assert text[c["start"] : c["end"]] == QUOTE_3


def test_unverified_quote_is_marked() -> None:
    text = f"讲话说「全年召开100次会议」{UNVERIFIED_MARK}[¶3]。"
    cits = [
        {"doc_id": "d", "paragraph": 3, "quote": "全年召开100次会议", "start": None,
         "end": None, "verified": False}
    ]  # fmt: skip
    html = answer_html(text, cits, doc_id="d")
    assert 'class="sq-chip sq-bad"' in html
    assert '<span class="sq-unver">未核实</span>' in html
    assert UNVERIFIED_MARK not in html


def test_sources_panel_highlights_the_quoted_span(answered: Turn, docs: Any) -> None:
    html = sources_html(answered, docs)
    assert f'<mark class="sq-mark">{_with_value(QUOTE_3)}</mark>' in html
    assert "已核实" in html and "依据 · 1 个段落" in html
    assert paste_quote(QUOTE_3, 3) in html  # the copy button's text


def test_partial_answer_is_labelled_and_styled_apart(answered: Turn, docs: Any) -> None:
    a = dict(answered.answer or {})
    a["outcome"] = "partial"
    a["answer"] = f"{PARTIAL_INTRO}\n{a['answer']}"
    partial = Turn(kind="answer", question=answered.question, doc_id=answered.doc_id,
                   mode=answered.mode, answer=a)  # fmt: skip
    body = turn_body(partial, docs)
    assert 'class="sq-answer sq-partial"' in body and PARTIAL_LABEL in body
    assert 'class="sq-chip sq-ok"' in body  # its passages are cited like an answer's
    assert "sq-partial" not in turn_body(answered, docs)
    assert f"{PARTIAL_LABEL} · 1 个段落" in sources_html(partial, docs)


def test_refusal_panel_lists_the_nearest(refused: Turn, docs: Any) -> None:
    html = sources_html(refused, docs)
    assert REFUSAL_PHRASE in html
    assert html.count("sq-card-near") == 2
    strip = strip_html(docs[helpers.SPEECH_ID], refused)
    assert strip.count("sq-near") - strip.count('<i class="sq-near">') == 2
    assert "sq-lit" not in strip.replace('<i class="sq-lit">', "")


def test_strip_and_viewer(answered: Turn, docs: Any) -> None:
    doc = docs[helpers.SPEECH_ID]
    strip = strip_html(doc, answered, focus=3)
    assert strip.count('<button type="button" class="sq-cell') == len(doc.paragraphs)
    assert re.search(r'class="sq-cell sq-lit sq-focus"[^>]*data-para="3"', strip)
    c = answered.citations[0]
    viewer = viewer_html(doc, answered, focus=3, span=(c["start"], c["end"]), nonce=7)
    assert 'data-focus="3"' in viewer and 'data-nonce="7"' in viewer
    assert f'<mark class="sq-mark sq-mark-focus">{_with_value(QUOTE_3)}</mark>' in viewer
    assert viewer.count('class="sq-para') == len(doc.paragraphs)


def test_hostile_document_and_question_render_as_text() -> None:
    text = f"讲话稿\n同志们：\n{HOSTILE}\n<script>alert(1)</script>\n正文一句。\n"
    doc = parse(text, "txt", "evil", "<b>标题</b>")
    viewer = viewer_html(doc)
    assert "<img" not in viewer and "<script" not in viewer and "<b>" not in viewer
    assert "&lt;img src=x onerror=alert(1)&gt;" in viewer
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in viewer
    turn = Turn(
        kind="answer",
        question=HOSTILE,
        doc_id="evil",
        mode="extractive",
        answer={"answer": f"「{HOSTILE}」[¶3]", "citations": [], "refused": False},
    )
    page = chat_html([turn], {"evil": doc})
    assert "<img" not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= 2  # question and answer


def test_markdown_and_docx_exports_carry_citations(
    answered: Turn, refused: Turn, docs: Any, tmp_path: Path
) -> None:
    import docx

    md = conversation_markdown([answered, refused], docs)
    section = docs[helpers.SPEECH_ID].paragraph(3).section
    assert "## 1. 问：一共开展了几次集中学习？" in md
    assert f"- {paste_quote(QUOTE_3, 3)}" in md
    assert "[¶3]" in md and REFUSAL_PHRASE in md
    assert turn_markdown(answered, docs).startswith(f"「{QUOTE_3}」[¶3]")
    lines = source_lines(refused, docs)
    assert len(lines) == 2 and all(line.startswith("最接近的段落：第") for line, _ in lines)
    if section:
        assert f"〔{section}〕" in md

    path = write_docx([answered, refused], docs, tmp_path / "out" / "记录.docx")
    document = docx.Document(io.BytesIO(path.read_bytes()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert paste_quote(QUOTE_3, 3) in text and REFUSAL_PHRASE in text
    bullets = [p for p in document.paragraphs if p.style.name == "List Bullet"]
    assert len(bullets) == 3


def test_feedback_log_lines(answered: Turn, tmp_path: Path) -> None:
    entry = feedback.append(tmp_path, answered, "up")
    assert entry["rating"] == "up" and entry["comment"] == ""
    threads = [
        threading.Thread(target=feedback.append, args=(tmp_path, answered, "down", f"第{i}条"))
        for i in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 21
    records = [json.loads(line) for line in lines]
    assert {r["comment"] for r in records[1:]} == {f"第{i}条" for i in range(20)}
    for r in records:
        assert r["question"] == answered.question
        assert r["answer"] == answered.text
        assert r["citations"] == answered.citations
        assert r["mode"] == "extractive" and r["time"]
    assert feedback.read(tmp_path) == records
    with pytest.raises(ValueError):
        feedback.append(tmp_path, answered, "meh")  # type: ignore[arg-type]


def test_document_picker_shows_titles_not_ids() -> None:
    from ui.app import doc_choices

    docs = {
        d.doc_id: d
        for d in (
            parse("讲话\n正文。", "txt", "talk-2023", "在全市工作会议上的讲话"),
            parse("讲话\n正文。", "txt", "talk-2024", "在全市工作会议上的讲话"),
            parse("正文。", "txt", "notice", "关于做好汛期工作的通知"),
        )
    }
    assert doc_choices(docs) == [
        ("在全市工作会议上的讲话（1）", "talk-2023"),  # two documents share a title
        ("在全市工作会议上的讲话（2）", "talk-2024"),
        ("关于做好汛期工作的通知", "notice"),
    ]


def test_find_turn_falls_back_to_the_latest(answered: Turn, refused: Turn) -> None:
    assert find_turn([answered, refused], answered.id) is answered
    assert find_turn([answered, refused], "nope") is refused
    assert find_turn([], None) is None


def test_toasts_are_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    import gradio as gr

    from ui import app

    shown: list[str] = []
    monkeypatch.setattr(gr, "Warning", lambda message, **_: shown.append(message))
    monkeypatch.setattr(gr, "Info", lambda message, **_: shown.append(message))
    app._warn(f"{HOSTILE}.txt: bad")
    app._info("<b>ok</b>")
    assert shown == ["&lt;img src=x onerror=alert(1)&gt;.txt: bad", "&lt;b&gt;ok&lt;/b&gt;"]


def test_sources_panel_marks_an_unverified_quote(docs: Any) -> None:
    turn = Turn(
        kind="answer",
        question="q",
        doc_id=helpers.SPEECH_ID,
        mode="llm",
        answer={
            "answer": f"「召开40次党组会」{UNVERIFIED_MARK}[¶5]。",
            "refused": False,
            "citations": [
                {"doc_id": helpers.SPEECH_ID, "paragraph": 5, "quote": "召开40次党组会",
                 "start": None, "end": None, "verified": False, "found_in": 3}
            ],
        },
    )  # fmt: skip
    html = sources_html(turn, docs)
    assert "sq-card-bad" in html and "sq-badge-bad" in html
    assert "「召开40次党组会」（原文见第3段）" in html
    assert "<mark" not in html  # nothing verified to highlight
    md = turn_markdown(turn, docs)
    assert "「召开40次党组会」（第5段）" in md and "未核实：原文见第3段" in md


def test_top_k_is_per_question_and_leaves_settings_alone(assistant: Any) -> None:
    base_k = assistant.settings.retrieval.top_k
    assert len(assistant.ask("一共开展了几次集中学习？", k=2).retrieved) == 2
    assert len(assistant.ask("一共开展了几次集中学习？").retrieved) == base_k
    assert assistant.settings.retrieval.top_k == base_k


def test_answer_footer_shows_ms_under_a_tenth_of_a_second(answered: Turn, docs: Any) -> None:
    from ui.render import elapsed_text

    assert elapsed_text(85.4) == "85 毫秒"
    assert elapsed_text(0.3) == "1 毫秒"  # never "0 毫秒" nor "0.0 秒"
    assert elapsed_text(99.4) == "99 毫秒"
    assert elapsed_text(100) == "0.1 秒"
    assert elapsed_text(1260) == "1.3 秒"
    meta = re.search(r'<span class="sq-meta">([^<]*)</span>', chat_html([answered], docs))
    assert meta is not None
    assert re.fullmatch(r"抽取式 · (\d{1,2} 毫秒|\d+\.\d 秒)", meta.group(1)), meta.group(1)


def test_sources_fold_under_each_answer(answered: Turn, refused: Turn, docs: Any) -> None:
    html = chat_html([answered, refused], docs)
    folds = re.findall(r'<details class="sq-inline-src">.*?</details>', html, re.S)
    assert len(folds) == 2
    assert "原文出处 · 1 段" in folds[0] and 'data-para="3"' in folds[0]
    assert "最接近的段落 · 2 段" in folds[1]
    # The fold carries the same cards as the side panel.
    assert folds[0].count('class="sq-card ') == sources_html(answered, docs).count(
        'class="sq-card '
    )


def test_welcome_says_where_citations_lead_for_each_layout(docs: Any) -> None:
    from ui.render import welcome_html

    html = welcome_html(docs)
    wide = re.search(r"<span class='sq-wide'>([^<]*)</span>", html)
    narrow = re.search(r"<span class='sq-narrow'>([^<]*)</span>", html)
    assert wide and "右侧" in wide.group(1)
    assert narrow and "下方" in narrow.group(1) and "右侧" not in narrow.group(1)


class _Key:
    """A stand-in for a component: handlers key their updates by component."""


def test_sources_follow_the_document_the_viewer_shows(
    assistant: Any, bundled_index: Any, answered: Turn
) -> None:
    import dataclasses
    from types import SimpleNamespace

    from ui.app import App, Backend, focus_view

    page = SimpleNamespace(sources=_Key(), strip=_Key(), viewer=_Key(), selected=_Key())
    app = App(Backend(assistant, bundled_index.settings), page)  # type: ignore[arg-type]
    shown = focus_view(app, [answered], answered.id, None, 3, None)
    assert shown[page.selected] == answered.id
    assert 'data-para="3"' in shown[page.sources]
    lit = re.compile(r'class="sq-cell[^"]* sq-lit')
    assert lit.search(shown[page.strip])
    # The answer's document is gone (deleted, or the viewer switched to a new upload):
    # the three panels show the document on screen, none of the answer's paragraphs.
    stale = dataclasses.replace(answered, doc_id="deleted-doc")
    moved = focus_view(app, [stale], None, None, None, None)
    assert moved[page.selected] is None
    assert "sq-card" not in moved[page.sources] and "全文已切换到" in moved[page.sources]
    assert not lit.search(moved[page.strip]) and "sq-cited" not in moved[page.viewer]


def test_the_delete_list_selects_nothing(docs: Any) -> None:
    from types import SimpleNamespace

    from ui.app import doc_pickers

    page = SimpleNamespace(doc_select=_Key(), delete_select=_Key())
    out = doc_pickers(dict(docs), page)  # type: ignore[arg-type]
    deleter = out[page.delete_select]
    assert deleter.value is None and [v for _, v in deleter.choices] == list(docs)
