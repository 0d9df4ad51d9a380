"""What kind of value a question asks for, and whether a text can hold it.

Extractive answering cannot tell "the speech does not say" from a dense score:
unanswerable questions about the speech's own topics score as high as answerable
ones. What it can check is the answer's type. A question asking "how many",
"when", "who", "where" or for a phone number is answerable only if some clause
near the question's subject holds a value of that kind; a question about a named
topic is answerable only if the speech names it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from speechqa.text import fold

Slot = Callable[[str], bool]

_NUMERAL = "[0-9０-９一二三四五六七八九十两百千万]+[余多]?"
_ASKS_DAY = re.compile(r"哪(一)?天|几月|几号|日期|哪个月")
_ASKS_YEAR = re.compile(r"哪(一)?年|什么时候|何时")
_UNITS = "个名人次起项条家所位场批篇座栋台本元张份辆处期轮届户件部支队岁吨亩"
_ASKS_COUNT = re.compile(f"(?:多少|几)([{_UNITS}])")
_ASKS_PERSON = re.compile(r"叫什么名字|姓名|是谁|哪位|谁")
_ASKS_PLACE = re.compile(r"哪个(城市|地方|省|市|县|区)|什么地方|在哪里|在哪儿|地点")
_ASKS_CONTACT = re.compile(r"电话|手机|邮箱|传真|联系方式|网址")
_CONTACT = re.compile(r"\d{3,4}-?\d{7,8}|1\d{10}|[\w.]+@[\w.]+|https?://")
_DIGIT = re.compile(r"\d")
# "讲话对乡村振兴有什么部署" names its topic: 对/关于 + a short term + what is asked.
_TOPIC = re.compile(
    r"(?:对|关于)([^，,。？?、的“”\"]{2,8}?)(?:工作)?"
    r"(?:有什么|有哪些|提出了?(?:什么|哪些)|作出了?什么|做出了?什么|是怎么|怎么|如何|的要求|的部署|的安排)"
)


@functools.cache
def _posseg() -> Any:
    from speechqa.text import _jieba

    _jieba()  # the domain words must be known to the tagger too
    import jieba.posseg

    return jieba.posseg


def _tagged(prefix: str, text: str) -> list[tuple[int, int]]:
    """Spans of the words of ``text`` whose part-of-speech tag starts with ``prefix``."""
    spans, pos = [], 0
    for w in _posseg().cut(text):
        if w.flag.startswith(prefix):
            spans.append((pos, pos + len(w.word)))
        pos += len(w.word)
    return spans


def _slot_spec(question: str) -> re.Pattern[str] | str | None:
    """What the answer's value looks like: a pattern, or a part-of-speech tag prefix
    (ns: a place, nr: a person); None when any text may answer."""
    if _ASKS_CONTACT.search(question):
        return _CONTACT
    if _ASKS_DAY.search(question):
        return re.compile(r"\d{1,2}\s*[月日号](?:\s*\d{1,2}\s*[日号])?|[一二三四五六七八九十]+月")
    if _ASKS_YEAR.search(question):
        return re.compile(r"\d{4}\s*年|[一二三四五六七八九十〇零]{4}年")
    if _ASKS_PLACE.search(question):
        return "ns"
    if _ASKS_PERSON.search(question):
        return "nr"
    if re.search(r"第几|哪几|几何", question):
        return None  # an ordinal or a list, not a count
    m = _ASKS_COUNT.search(question)
    if m:
        unit = m.group(1)
        if unit in "人名位" or question[m.end() : m.end() + 1] == "人":
            unit = "人名位"  # "几个人" is answered by "2人"
        elif unit == "个":
            unit = "个项条家所"
        return re.compile(f"{_NUMERAL}\\s*[{unit}]")
    if re.search(r"多少|几", question):
        # An amount, not a year: "2023年" does not answer "经费是多少".
        return re.compile(
            f"(?<![0-9])(?:[0-9]{{1,3}}|[0-9]{{5,}})(?![0-9])|{_NUMERAL}\\s*(?:[{_UNITS}]|方面)"
        )
    return None


def _spans(spec: re.Pattern[str] | str, text: str) -> list[tuple[int, int]]:
    return _tagged(spec, text) if isinstance(spec, str) else [m.span() for m in spec.finditer(text)]


def answer_slot(question: str) -> Slot | None:
    """A test the answer's clause must pass, or None when any text may answer."""
    spec = _slot_spec(question)
    if spec is None:
        return None
    return lambda text: bool(_spans(spec, text))


def value_spans(question: str, text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that hold a value of the kind ``question`` asks for (a count,
    an amount, a date, a name, a place, a phone number); [] when it asks for none."""
    spec = _slot_spec(question)
    return [] if spec is None else _spans(spec, text)


def asks_value(question: str) -> bool:
    """The question asks for a value (see :func:`value_spans`)."""
    return _slot_spec(question) is not None


def has_unknown_number(folded_words: list[str], folded_doc: str) -> bool:
    """The question names a number or year ("2024年") that the document never uses."""
    return any(_DIGIT.search(w) and w not in folded_doc for w in folded_words)


def absent_topic(question: str, folded_doc: str) -> str | None:
    """The short topic term the question asks about, when the document never names it."""
    m = _TOPIC.search(question)
    if not m or not _on_word_boundaries(question, m.start(1), m.end(1)):
        return None  # "对纪律抱有…" cuts the word 抱有: no topic term here
    topic = fold(m.group(1)).text
    return m.group(1) if topic and topic not in folded_doc else None


def _on_word_boundaries(text: str, start: int, end: int) -> bool:
    """[start, end) is made of whole words of two or more characters: a term,
    not a fragment such as 纪律抱 in "对纪律抱有…"."""
    from speechqa.text import _jieba

    inside = [(s, e) for _, s, e in _jieba().tokenize(text) if s < end and e > start]
    return (
        bool(inside)
        and inside[0][0] == start
        and inside[-1][1] == end
        and all(e - s >= 2 for s, e in inside)
    )
