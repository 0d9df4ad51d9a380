"""Questions that name paragraphs by their place in the outline."""

from __future__ import annotations

from ingest.load import load_path
from ingest.parse import parse
from ingest.pipeline import default_speech_path
from rag.structure import resolve

DOC = (lambda d: parse(d.text, d.format, "s", d.title))(load_path(default_speech_path(), 10**7))


def test_part_by_ordinal() -> None:
    assert resolve("讲话第二部分的标题是什么？", DOC) == [10]


def test_point_inside_part() -> None:
    assert resolve("第三部分第三点要求树牢什么标尺？", DOC) == [17]


def test_all_parts() -> None:
    assert resolve("讲话从哪三个方面部署今年工作？", DOC) == [6, 10, 14]


def test_which_three_aspects_of_a_topic_is_not_the_outline() -> None:
    assert resolve("健全全面从严治党体系，要把哪三方面落实到体系构建之中？", DOC) == []


def test_ending_and_opening() -> None:
    assert resolve("讲话结尾怎么说的？", DOC) == [18]
    assert resolve("讲话开头说了什么？", DOC) == [2]


def test_out_of_range_part_names_nothing() -> None:
    assert resolve("第九部分讲了什么？", DOC) == []


def test_content_question_names_nothing() -> None:
    assert resolve("一共开展了几次集中学习？", DOC) == []
