"""Questions that ask two things: split into parts by grammar, each answered on its own."""

from __future__ import annotations

import pytest

from rag.parts import question_parts
from rag.service import Assistant


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        # a then/now contrast: the second part leans on the first one's subject
        (
            "全市粮食产量去年是多少，今年的目标是多少？",
            ["全市粮食产量去年是多少", "全市粮食产量今年的目标是多少"],
        ),
        # two sentences; the second borrows the subject of the first
        ("这次会议是哪天召开的？由谁主持？", ["这次会议是哪天召开的", "这次会议由谁主持"]),
        # a scene-setting clause goes with every part
        (
            "在教育方面，去年新建了多少所学校，今年计划新建多少所？",
            ["在教育方面去年新建了多少所学校", "在教育方面今年计划新建多少所"],
        ),
        # a part that names its own topic keeps it
        (
            "去年新增了多少个就业岗位？今年城镇新增就业的目标是多少？",
            ["去年新增了多少个就业岗位", "今年城镇新增就业的目标是多少"],
        ),
    ],
)
def test_two_asks_are_split_with_their_subject(question: str, parts: list[str]) -> None:
    assert question_parts(question) == parts


@pytest.mark.parametrize(
    "question",
    [
        "讲话对干部提出了哪些要求？",  # one ask
        "在安全生产和应急管理上，讲话分别提出了哪些措施？",  # one ask, a scene before it
        "讲话为什么说要常抓不懈？",
        "2023年是怎样的一年",  # no clause break
        "第一，第二，第三，第四分别是什么？",  # a list of clauses that do not each ask
        "有哪些成绩？有哪些不足？有哪些原因？有哪些措施？",  # four asks: answered whole
    ],
)
def test_one_ask_is_not_split(question: str) -> None:
    assert question_parts(question) == []


def test_each_part_is_answered_and_cited(assistant: Assistant) -> None:
    answer = assistant.ask("2022年局党组共处置问题线索多少起，先后召开了多少次党组会？")
    assert answer.outcome == "answered"
    assert "2起" in answer.answer and "40次党组会" in answer.answer
    assert {c.paragraph for c in answer.citations} >= {3, 8}


def test_a_follow_up_is_not_split_into_its_two_turns(assistant: Assistant) -> None:
    """The rewritten follow-up holds the previous question too: two asking clauses that
    are two turns, not two asks. It is answered as one question."""
    answer = assistant.ask("这一部分的第二点讲了什么？", history=["讲话的第三部分讲了什么？"])
    assert {c.paragraph for c in answer.citations} == {16}
