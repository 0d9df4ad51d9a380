"""The rule modules on short sentences written for these tests: what kind of value a
question asks for (rag/answer_type.py), the outline and the lists of a speech
(rag/structure.py), and when a question leans on the last turn (rag/followup.py).
No embedder and no index: the rules alone."""

from __future__ import annotations

import pytest

from ingest.parse import ParsedDocument, parse
from rag import followup, structure
from rag.answer_type import absent_topic, answer_slot, asks_value, has_unknown_number, value_spans
from speechqa.text import fold


def values(question: str, text: str) -> list[str]:
    return [text[s:e] for s, e in value_spans(question, text)]


# ---- rag/answer_type.py ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        ("去年开展了几次集中学习？", "去年开展集中学习12次，专题研讨3场。", ["12次"]),
        ("参会的有几个人？", "共有35人参会，分3个小组。", ["35人"]),
        ("完成河道治理多少公里？", "完成河道治理120公里。", ["120公里"]),
        ("项目总投资是多少？", "项目总投资4.5亿元，建设期两年。", ["4.5亿元"]),
        ("增长率是多少？", "全年增长6.5%，高于预期。", ["6.5%"]),
        ("会议是哪一年召开的？", "会议于2023年3月召开。", ["2023年"]),
        ("办公电话是多少？", "联系电话：010-12345678。", ["010-12345678"]),
        # A year is not an amount: "经费是多少" is not answered by 2023年.
        ("经费是多少？", "2023年经费充足。", []),
        # Only the kind asked for: a count of 次 is not a count of 场.
        ("召开了几场研讨？", "去年开展集中学习12次。", []),
    ],
)
def test_value_spans_hold_the_kind_of_value_asked_for(
    question: str, text: str, expected: list[str]
) -> None:
    assert values(question, text) == expected


def test_a_place_is_a_venue_named_by_what_it_is() -> None:
    (span,) = values("会议在哪里召开？", "会议在市政府第一会议室召开。")
    assert span.endswith("第一会议室")


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("开了几次会？", True),
        ("会议是什么时候召开的？", True),
        ("怎样加强纪律建设？", False),
        ("第几部分讲作风建设？", False),  # an ordinal, not a count
        ("有哪几项任务？", False),  # a list, not a count
    ],
)
def test_asks_value(question: str, asks: bool) -> None:
    assert asks_value(question) is asks


def test_answer_slot_needs_a_number_with_the_unit() -> None:
    slot = answer_slot("开展了几次学习？")
    assert slot is not None
    assert slot("全年开展12次")
    assert slot("全年开展二十余次")
    assert not slot("全年开展了多次")  # no number
    assert answer_slot("怎样加强纪律建设？") is None


def test_absent_topic_is_a_term_the_speech_never_names() -> None:
    doc = fold("要推进乡村振兴，加强纪律建设。").text
    assert absent_topic("讲话对生态保护有什么部署？", doc) == "生态保护"
    assert absent_topic("讲话对乡村振兴有什么部署？", doc) is None  # named
    assert absent_topic("对纪律抱有什么态度？", doc) is None  # 纪律抱 is no term
    assert absent_topic("怎样加强纪律建设？", doc) is None  # no topic asked about


def test_a_number_the_speech_never_uses() -> None:
    doc = fold("2023年工作总结").text
    assert has_unknown_number(["2024年", "工作"], doc)
    assert not has_unknown_number(["2023年", "工作"], doc)


# ---- rag/structure.py -----------------------------------------------------------------
SPEECH = """关于做好今年工作的讲话
同志们：
今天召开会议，部署今年工作。我讲三个方面。
一、抓好学习教育
（一）深入学习理论。要读原著学原文。
（二）开展专题研讨。要联系实际。
二、加强作风建设
要坚决纠治形式主义。
三、严明纪律规矩
要把纪律挺在前面，让铁的纪律转化为日常习惯和自觉遵循。
"""


@pytest.fixture(scope="module")
def speech() -> ParsedDocument:
    return parse(SPEECH, "txt", "s", "关于做好今年工作的讲话")


def test_the_speech_parses_as_written(speech: ParsedDocument) -> None:
    assert [p.kind for p in speech.paragraphs] == [
        "title", "salutation", "body", "heading", "body", "body",
        "heading", "body", "heading", "body",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("question", "paragraphs"),
    [
        ("第二部分讲了什么？", [7]),
        ("第三个部分的标题是什么？", [9]),
        ("第一部分第二点讲了什么？", [6]),
        ("讲话从哪三个方面部署今年工作？", [4, 7, 9]),
        ("讲话开头说了什么？", [3]),  # the first body paragraph, not the salutation
        ("讲话结尾怎么说的？", [10]),
        ("第五部分讲了什么？", []),  # there is no fifth part
        ("第一部分第九点讲了什么？", []),
        ("怎样纠治形式主义？", []),  # a question about content names no place
    ],
)
def test_resolve_names_paragraphs_by_their_place(
    speech: ParsedDocument, question: str, paragraphs: list[int]
) -> None:
    assert structure.resolve(question, speech) == paragraphs


def test_announcement_says_how_many_of_what() -> None:
    assert structure.announcement("我讲三方面意见") == (3, "方面", (2, 5))
    text = "分三个阶段推进，突出抓好八个方面工作"
    assert structure.announcement(text)[:2] == (8, "方面")  # type: ignore[index]
    assert structure.announcement(text, 3)[:2] == (3, "阶段")  # type: ignore[index]
    assert structure.announced_count("今年要抓好五项重点任务") == 5
    assert structure.announced_count("这是一个方面") is None  # one is not a list
    assert structure.announced_count("要加强纪律建设") is None


def test_ordinal_runs_find_consecutive_markers() -> None:
    assert structure.ordinal_runs("一是加强监测；二是健全机制；三是完善预案。") == [[0, 7, 14]]
    assert structure.ordinal_runs("首先，要学习。其次，要研讨。最后，要总结。") == [[0, 7, 14]]
    # 首先 … only as a marker: at a sentence's start and followed by a comma.
    assert structure.ordinal_runs("首先学习，其次研讨，最后总结。") == []
    assert structure.ordinal_runs("一是加强监测。三是完善预案。") == []  # 二是 is missing


def _inline(text: str) -> list[tuple[str, list[str]]]:
    p = parse(f"同志们：\n{text}\n", "txt", "x", "x").paragraphs[1]
    return [
        (s.lead, [p.text[i.start - p.start : i.end - p.start] for i in s.items])
        for s in structure.inline_series(p)
    ]


def test_parallel_items_inside_a_paragraph() -> None:
    assert _inline("要做好三件事：一是加强监测；二是健全机制；三是完善预案。") == [
        ("要做好三件事：", ["一是加强监测", "二是健全机制", "三是完善预案"])
    ]
    assert _inline("要压实三项责任：落实行政责任人；落实技术责任人；落实巡查责任人。") == [
        ("要压实三项责任：", ["落实行政责任人", "落实技术责任人", "落实巡查责任人"])
    ]
    assert _inline("要加快城乡供水一体化，让农村群众喝上放心水。") == []


# ---- rag/followup.py ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "deictic"),
    [
        ("这些措施什么时候落实？", True),
        ("其中有几座水库？", True),
        ("它的标准是什么？", True),
        ("如何加强监测预警？", False),
        ("其实际效果如何？", False),  # 其实 is not 其
        ("其他地区怎么做？", False),  # nor is 其他
    ],
)
def test_is_deictic(question: str, deictic: bool) -> None:
    assert followup.is_deictic(question) is deictic
