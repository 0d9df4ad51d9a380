"""Answer composition by question kind, and the series of parallel items it lists.

Small speeches written here (no index: sentences are ranked by the real coverage of
the question's words over a real BM25 corpus), then the bundled speech end to end."""

from __future__ import annotations

import re

import pytest

from ingest.parse import ParsedDocument, parse
from rag import structure
from rag.compose import (
    Composed,
    Composer,
    asked_count,
    question_kind,
    question_parts,
    reads_alone,
)
from rag.constants import INTRO_LINE_RE, LIST_INTRO, PARTS_INTRO, QUOTE_RE, count_words
from rag.corpus import Corpus
from rag.extractive import Coverage, Sentence
from rag.service import Assistant
from speechqa.settings import AnswerSettings
from speechqa.text import split_sentences

ANSWER_MAX_CHARS = AnswerSettings().max_chars

FARM = """在全县农业工作会议上的讲话
同志们：
今天召开全县农业工作会议，总结去年工作，部署今年任务。下面，我讲三点意见。
一、稳定粮食生产
今年全县粮食播种面积要稳定在50万亩以上。去年全县建成示范村12个，带动农户增收。
二、发展特色产业
在产业发展上还存在一些不足：一是龙头企业偏少；二是品牌影响力不强；三是冷链物流设施滞后。各乡镇要对照问题逐项整改。
三、加强组织领导
（一）健全工作机制。各乡镇要建立农业工作专班，每月调度一次，确保各项任务按时完成。
要把农业工作摆在重要位置。各乡镇党委书记是第一责任人，每季度至少研究一次农业工作。今年计划新建示范村15个。
同志们，农业稳则全局稳。让我们共同努力，完成今年各项任务！
"""
# ¶1 title, ¶2 同志们：, ¶3 opening, ¶4 一、, ¶5, ¶6 二、, ¶7 一是…, ¶8 三、, ¶9 （一）, ¶10, ¶11 closing


def _doc(text: str = FARM) -> ParsedDocument:
    return parse(text, "txt", "farm", "农业工作会议讲话")


def _compose(question: str, text: str = FARM) -> tuple[ParsedDocument, Composed]:
    """Compose as the extractive answerer does, sentences ranked by coverage alone."""
    doc = _doc(text)
    corpus = Corpus.build([doc])
    cov = Coverage(question, corpus)
    sentences = []
    for p in doc.paragraphs:
        for s, e in split_sentences(p.text, p.start):
            c = cov(doc.text[s:e])
            sentences.append(Sentence(p, s, e, doc.text[s:e], coverage=c, score=c))
    ranked = sorted(sentences, key=lambda s: -s.score)
    focus = [w for w, _, _, _ in sorted(cov.words, key=lambda w: -w[1])]
    composer = Composer(
        question, doc, ranked, cov, focus, AnswerSettings(), lambda q: Coverage(q, corpus)
    )
    hits = list(dict.fromkeys(s.paragraph.n for s in ranked if s.paragraph.kind == "body"))
    return doc, composer.compose(hits[:5])


def _quotes(composed: Composed) -> list[tuple[str, int]]:
    """(quote, ¶) of each answer line."""
    out = []
    for line in composed.lines:
        m = re.fullmatch(r"「(.+)」\[¶(\d+)\]", line)
        if m:
            out.append((m.group(1), int(m.group(2))))
    return out


# ---- question kinds ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("报告从哪几个方面部署了明年的工作？", "list"),
        ("讲话对青年干部提出了哪些要求？", "list"),
        ("这篇讲话分为几个部分？", "structure"),
        ("第四点意见讲了什么？", "structure"),
        ("去年一共举办了多少场培训？", "value"),
        ("会议是在哪一年召开的？", "value"),
        ("请给出讲话中关于作风建设的原话。", "quote"),
        ("“三个区分开来”指的是什么？", "definition"),
        ("为什么要抓好安全生产？", "reason"),
        ("如何推进乡村治理？", "reason"),
        ("这次会议由谁主持？", "value"),
        ("会议的主题是什么？", "fact"),
    ],
)
def test_question_kind(question: str, kind: str) -> None:
    assert question_kind(question) == kind


def test_asked_count_and_parts() -> None:
    assert asked_count("讲话提出要在哪五个方面下功夫？") == 5
    assert asked_count("重点布局哪“三个”领域？") == 3
    assert asked_count("有哪些要求？") is None
    assert question_parts("去年建了多少个，今年计划建多少个？") == [
        "去年建了多少个",
        "今年计划建多少个",
    ]
    assert question_parts("关于安全生产，讲话提出了什么要求？") == ["讲话提出了什么要求"]
    # A follow-up read with its history asks only its own part.
    assert question_parts("去年建了多少个？ 今年呢？") == []


def test_reads_alone() -> None:
    assert not reads_alone("习近平总书记要求")
    assert not reads_alone("会议强调，")
    assert not reads_alone("在全市安全生产工作会议上的讲话")  # a title, not a sentence
    assert not reads_alone("一是")
    assert reads_alone("习近平总书记要求，必须深化标本兼治、系统治理。")
    assert reads_alone("要加大安全生产投入。")


def test_count_words_and_template_lines() -> None:
    assert [count_words(n) for n in (2, 3, 10, 12, 20)] == ["两", "三", "十", "十二", "二十"]
    assert INTRO_LINE_RE.match(LIST_INTRO.format(count="十二"))
    assert INTRO_LINE_RE.match(PARTS_INTRO.format(count="两"))
    assert not INTRO_LINE_RE.match("原文列出以下三项：「一是」")


# ---- series of parallel items ------------------------------------------------------------
def test_series_of_sections_inline_items_and_semicolons() -> None:
    doc = _doc()
    found = {(s.kind, tuple(i.n for i in s.items)): s for s in structure.series(doc)}
    parts = found[("sections", (4, 6, 8))]
    assert "我讲三点意见" in parts.lead and parts.lead_n == 3
    assert structure.announced_count(parts.lead) == 3
    assert parts.ranges == ((4, 5), (6, 7), (8, 10))
    inline = found[("inline", (7, 7, 7))]
    assert [doc.text[i.start : i.end] for i in inline.items] == [
        "一是龙头企业偏少",
        "二是品牌影响力不强",
        "三是冷链物流设施滞后",
    ]
    assert inline.lead.startswith("在产业发展上还存在一些不足")


def test_paragraphs_opened_by_ordinals_run_to_the_closing() -> None:
    text = (
        "同志们：\n下面讲三个问题。\n第一，认清形势。当前形势复杂。\n各地要高度重视。\n"
        "第二，压实责任。责任要落实到人。\n第三，强化保障。资金要及时到位。\n"
        "各部门要加强协作。\n同志们，任务艰巨，我们要共同努力！\n"
    )
    doc = parse(text, "txt", "t", "t")
    (run,) = [s for s in structure.series(doc) if s.kind == "paragraphs" and s.ranges]
    assert [i.n for i in run.items] == [3, 5, 6]
    assert run.ranges == ((3, 4), (5, 5), (6, 7))  # the last point stops at the closing
    assert doc.text[run.items[0].start : run.items[0].end] == "第一，认清形势"
    assert run.lead_n == 2 and structure.announced_count(run.lead) == 3


def test_headline_paragraphs_and_semicolon_series() -> None:
    text = (
        "一、去年工作回顾\n过去一年，各项工作取得新进展，主要有三个方面。\n"
        "农民收入较快增长。全年人均收入增长7%。\n乡村产业加快发展。新增龙头企业9家。\n"
        "一是新增企业。企业数量增加。\n"
        "问题也不少，比如：基础设施薄弱；人才短缺；资金不足。\n"
    )
    doc = parse(text, "txt", "t", "t")
    kinds = {(s.kind, tuple(i.n for i in s.items)) for s in structure.series(doc)}
    # Adjacent headline paragraphs; "一是…" opens an ordinal item, not a headline run.
    assert ("paragraphs", (3, 4)) in kinds
    semicolons = [s for s in structure.series(doc) if s.lead.endswith("比如：")]
    assert [doc.text[i.start : i.end] for i in semicolons[0].items] == [
        "基础设施薄弱",
        "人才短缺",
        "资金不足",
    ]


def test_numbers_announcements_and_item_length() -> None:
    assert [structure.cn_number(t) for t in ("三", "十", "十二", "二十", "两", "7")] == [
        3,
        10,
        12,
        20,
        2,
        7,
    ]
    assert structure.announcement("突出抓好以下八个方面工作")[:2] == (8, "方面")  # type: ignore[index]
    assert structure.announced_count("二十大精神") is None
    long_item = "一是健全机制，" + "甲" * 90 + "。"
    assert long_item[: structure.clip_item(long_item)] == "一是健全机制"


# ---- composition by kind, small speech ------------------------------------------------------
def test_list_of_the_parts_after_one_template_line() -> None:
    _, a = _compose("今年工作从哪三个方面部署？")
    assert a.lines[0] == PARTS_INTRO.format(count="三")
    assert [n for _, n in _quotes(a)] == [4, 6, 8]
    assert [q for q, _ in _quotes(a)] == [
        "一、稳定粮食生产",
        "二、发展特色产业",
        "三、加强组织领导",
    ]


def test_list_of_items_inside_a_paragraph() -> None:
    _, a = _compose("产业发展上还存在哪些不足？")
    assert a.lines[0] == LIST_INTRO.format(count="三")
    assert _quotes(a) == [
        ("一是龙头企业偏少", 7),
        ("二是品牌影响力不强", 7),
        ("三是冷链物流设施滞后", 7),
    ]


def test_value_is_the_whole_sentence_with_the_value_marked() -> None:
    doc, a = _compose("去年建成了几个示范村？")
    assert a.kind == "value"
    ((quote, n),) = _quotes(a)
    assert (quote, n) == ("去年全县建成示范村12个，带动农户增收。", 5)
    ((s, e),) = a.values
    assert doc.text[s:e] == "12个"


def test_count_only_question_gets_the_announcing_sentence() -> None:
    doc, a = _compose("讲话一共讲了几点意见？")
    assert _quotes(a) == [("下面，我讲三点意见。", 3)]
    assert [doc.text[s:e] for s, e in a.values] == ["三点意见"]


def test_a_short_lead_brings_the_sentence_it_leads_into() -> None:
    _, a = _compose("对农业工作摆在什么位置有什么要求？")
    quotes = [q for q, _ in _quotes(a)]
    assert (
        "要把农业工作摆在重要位置。各乡镇党委书记是第一责任人，每季度至少研究一次农业工作。"
        in quotes
    )


WATER = """在全县水利工作会议上的讲话
同志们：
今年防汛形势依然严峻。一方面，主汛期降雨预计偏多两成。另一方面，部分堤防年久失修，隐患尚未根除。各乡镇要提前做好准备。
农村供水要提质增效。因为部分水厂规模偏小，水质难以稳定达标，今年要推进城乡供水一体化。
"""


def test_a_why_question_gets_the_reasons_after_the_claim() -> None:
    # The best sentence restates the claim; the reasons follow it in its paragraph.
    _, a = _compose("为什么说今年防汛形势依然严峻？", WATER)
    (quote, n), *_ = _quotes(a)
    assert quote.startswith("今年防汛形势依然严峻。一方面，主汛期降雨预计偏多两成。另一方面")
    assert len(quote) <= ANSWER_MAX_CHARS and n == 3
    # A sentence that gives its reason itself is enough ("因为……").
    _, b = _compose("为什么今年要推进城乡供水一体化？", WATER)
    assert [q for q, _ in _quotes(b)] == [
        "因为部分水厂规模偏小，水质难以稳定达标，今年要推进城乡供水一体化。"
    ]


def test_a_next_sentence_too_long_to_fit_is_not_cut_to_a_character() -> None:
    # The heading leads into a sentence longer than an answer may be: the heading stays
    # whole and alone, no first character of the long sentence is taken for a sentence.
    long = "各乡镇要" + "，".join(["加强巡查值守"] * 40) + "。"
    text = FARM.replace(
        "（一）健全工作机制。各乡镇要建立农业工作专班，每月调度一次，确保各项任务按时完成。",
        "（一）健全工作机制。" + long,
    )
    _, a = _compose("怎样健全工作机制？", text)
    assert all(len(q) > 1 for q, _ in _quotes(a))
    assert not any(q.startswith("（一）健全工作机制。各") for q, _ in _quotes(a))


def test_a_paragraph_heading_brings_what_it_heads() -> None:
    _, a = _compose("怎样健全工作机制？")
    quotes = [q for q, _ in _quotes(a)]
    assert quotes[0].startswith("（一）健全工作机制。各乡镇要建立农业工作专班")


def test_ordinal_point_with_its_items_and_its_title_alone() -> None:
    _, a = _compose("第二点讲了什么？")
    assert _quotes(a) == [
        ("二、发展特色产业", 6),
        ("一是龙头企业偏少", 7),
        ("二是品牌影响力不强", 7),
        ("三是冷链物流设施滞后", 7),
    ]
    _, title = _compose("第二部分的标题是什么？")
    assert _quotes(title) == [("二、发展特色产业", 6)]


def test_question_of_two_parts_gets_a_sentence_for_each() -> None:
    doc, a = _compose("去年建成了几个示范村，今年计划新建几个？")
    assert [n for _, n in _quotes(a)] == [5, 10]
    assert sorted(doc.text[s:e] for s, e in a.values) == ["12个", "15个"]


@pytest.mark.parametrize(
    "question",
    [
        "去年建成了几个示范村？",
        "对农业工作摆在什么位置有什么要求？",
        "为什么农业稳则全局稳？",
        "粮食播种面积要稳定在多少？",
        "各乡镇要怎样对照问题整改？",
    ],
)
def test_every_line_reads_alone_and_the_answer_is_short(question: str) -> None:
    doc, a = _compose(question)
    quotes = _quotes(a)
    assert quotes and len(quotes) == len(a.lines)
    for quote, n in quotes:
        p = doc.paragraph(n)
        assert p is not None and quote in p.text
        assert reads_alone(quote), quote
    assert sum(len(q) for q, _ in quotes) <= ANSWER_MAX_CHARS


# ---- the bundled speech, end to end ----------------------------------------------------------
def test_main_tasks_are_the_three_headings(assistant: Assistant) -> None:
    a = assistant.ask("今年工作的主要任务是什么？")
    lines = a.answer.splitlines()
    assert INTRO_LINE_RE.match(lines[0]) and "三" in lines[0]
    assert [c.paragraph for c in a.citations] == [6, 10, 14]
    assert all(c.verified for c in a.citations)
    assert a.uncited_sentences == 0  # the template line is not an uncited claim


def test_requirements_are_whole_sentences(assistant: Assistant) -> None:
    a = assistant.ask("讲话对干部的纪律意识和规矩意识有哪些要求？")
    assert not a.refused and a.citations
    doc = assistant.corpus.docs[a.doc_id or ""]
    for c in a.citations:
        assert c.quote and c.start is not None and c.end is not None
        p = doc.paragraph(c.paragraph)
        assert p is not None
        starts = {s for s, _ in split_sentences(p.text, p.start)}
        ends = {e for _, e in split_sentences(p.text, p.start)}
        assert c.start in starts and c.end in ends, c.quote  # no clause cut out
        assert reads_alone(c.quote)


def test_value_span_is_exposed_on_the_citation(assistant: Assistant) -> None:
    a = assistant.ask("2022年局党组一共对几人进行了函询？")
    doc = assistant.corpus.docs[a.doc_id or ""]
    (c,) = [c for c in a.citations if c.value_start is not None]
    assert c.paragraph == 8 and c.value_end is not None
    assert doc.text[c.value_start : c.value_end] == "2人"
    assert c.start is not None and c.end is not None
    assert c.start <= c.value_start < c.value_end <= c.end
    d = c.to_dict()
    assert (d["value_start"], d["value_end"]) == (c.value_start, c.value_end)


def test_a_partial_answer_marks_no_value(assistant: Assistant) -> None:
    # The same question with the answer threshold out of reach ends "partial": its
    # passages are shown as related, not as the answer, so no span is marked as the value.
    settings = assistant.settings.model_copy(deep=True)
    settings.answer.answer_above, settings.answer.refuse_below = 1.0, 0.0
    partial = Assistant(settings, assistant.index).ask("2022年局党组一共对几人进行了函询？")
    assert partial.outcome == "partial" and partial.citations
    assert all(c.value_start is None and c.value_end is None for c in partial.citations)


@pytest.mark.parametrize(
    "question",
    [
        "讲话怎样看待当前反腐败斗争形势？",
        "为什么要严格落实第一议题制度？",
        "“国之大者”在讲话里指什么？",
        "廉政风险防控流程和制度要怎么处理？",
    ],
)
def test_no_bare_fragments_in_answers(assistant: Assistant, question: str) -> None:
    a = assistant.ask(question)
    if a.refused:
        pytest.skip("refused: the answerability decision is not composition")
    quotes = [m.group(1) for m in QUOTE_RE.finditer(a.answer)]
    assert quotes and all(reads_alone(q) for q in quotes)
    assert sum(len(q) for q in quotes) <= ANSWER_MAX_CHARS
