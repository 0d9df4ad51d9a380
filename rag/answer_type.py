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
from typing import Any, TypeAlias

from speechqa.text import fold

Slot = Callable[[str], bool]
# What a value of the asked kind looks like: a pattern, a part-of-speech tag prefix, or
# a tuple of them (any one may match).
Spec: TypeAlias = "re.Pattern[str] | str | tuple[Spec, ...]"


_NUMERAL = "[0-9０-９一二三四五六七八九十两百千万]+[余多]?"
_ASKS_DAY = re.compile(r"哪(一)?天|几月|几号|日期|哪个月")
_ASKS_YEAR = re.compile(r"哪(一)?年|什么时候|何时")
_UNITS = "个名人次起项条家所位场批篇座栋台本元张份辆处期轮届户件部支队岁吨亩"
_ASKS_COUNT = re.compile(f"(?:多少|几)([{_UNITS}])")
_ASKS_PERSON = re.compile(r"叫什么名字|姓名|是谁|哪位|谁")
_ASKS_PLACE = re.compile(
    r"哪(?:个|座|一个)(?:城市|地方|省|市|县|区|镇|乡|村|会议室|会场|场馆|场所)|什么地方|在哪里|在哪儿|在哪个|在哪[？?]|地点"
)
# A place: a place name (jieba's ns), or a venue named by what it is.
_VENUE = re.compile(r"[\u4e00-\u9fff]{1,10}(?:会议室|会场|礼堂|大厅|宾馆|酒店|会堂|中心|广场|馆)")
# Units of measure (not counting classifiers): "多少亿元", "多少公里", "多少亩".
_MEASURE_UNITS = "美元|元|公里|千米|平方米|平方公里|公顷|亩|吨|公斤|千克|标箱|人次|户|套"
_ASKS_MEASURE = re.compile(f"(?:多少|几)\\s*([万亿千百]*)({_MEASURE_UNITS}|%|％)")
_PERCENT = r"[0-9０-９.]+\s*[%％]|百分之|个百分点|[0-9.]+倍"
_MONEY = r"[0-9０-９.]+\s*[万亿千百]*(?:美)?元"
# What kind of number a bare "是多少" asks for, from the attribute it names.
_ATTRIBUTE_VALUES: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (re.compile(r"率|比例|比重|强度|占比|增速|增幅|增长|下降|提高|降低"), re.compile(_PERCENT)),
    (
        re.compile(
            r"投资|资金|预算|经费|金额|收入|产值|总值|补贴|奖励|薪酬|工资|价格|成本|支出|额度|钱"
        ),
        re.compile(_MONEY),
    ),
    (re.compile(r"人口|人数"), re.compile(r"[0-9０-９.]+\s*[万千百]*(?:人|名)")),
]
_ASKS_ORG = re.compile(
    r"哪(?:家|个|一个)(?:部门|单位|机构|企业|公司|银行|学校|医院)|什么(?:部门|单位|机构)"
)
# An organisation's name ends in what kind of body it is.
_ORG_NAME = re.compile(
    r"[\u4e00-\u9fff]{1,12}(?:局|委员会|委|办公室|办|厅|部门|中心|公司|集团|银行|学校|学院|大学|医院|研究院|研究所|协会|政府|站)"
)
_ASKS_CONTACT = re.compile(r"电话|手机|邮箱|传真|联系方式|网址")
_CONTACT = re.compile(r"\d{3,4}-?\d{7,8}|1\d{10}|[\w.]+@[\w.]+|https?://")
_DIGIT = re.compile(r"\d")
# "讲话对乡村振兴有什么部署" names its topic: 对/关于 + a short term + what is asked.
_TOPIC = re.compile(
    r"(?:对|关于)([^，,。？?、的“”\"]{2,8}?)(?:工作)?"
    r"(?:有什么|有哪些|提出了?(?:什么|哪些)|作出了?什么|做出了?什么|是怎么|怎么|如何|的要求|的部署|的安排)"
)


@functools.cache
def posseg() -> Any:
    """jieba's part-of-speech tagger, with the domain words."""
    from speechqa.text import _jieba

    _jieba()  # the domain words must be known to the tagger too
    import jieba.posseg

    return jieba.posseg


def _tagged(prefix: str, text: str) -> list[tuple[int, int]]:
    """Spans of the words of ``text`` whose part-of-speech tag starts with ``prefix``."""
    spans, pos = [], 0
    for w in posseg().cut(text):
        if w.flag.startswith(prefix):
            spans.append((pos, pos + len(w.word)))
        pos += len(w.word)
    return spans


def _slot_spec(question: str) -> Spec | None:
    """What the answer's value looks like: a pattern, a part-of-speech tag prefix
    (ns: a place, nr: a person, nt: an organisation), or a tuple of them (any one may
    match); None when any text may answer."""
    if _ASKS_CONTACT.search(question):
        return _CONTACT
    if _ASKS_DAY.search(question):
        return re.compile(r"\d{1,2}\s*[月日号](?:\s*\d{1,2}\s*[日号])?|[一二三四五六七八九十]+月")
    if _ASKS_YEAR.search(question):
        return re.compile(r"\d{4}\s*年|[一二三四五六七八九十〇零]{4}年")
    if _ASKS_PLACE.search(question):
        return (_VENUE, "ns")
    if _ASKS_ORG.search(question):
        return (_ORG_NAME, "nt")
    if _ASKS_PERSON.search(question):
        return "nr"
    if re.search(r"第几|哪几|几何", question):
        return None  # an ordinal or a list, not a count
    measure = _ASKS_MEASURE.search(question)
    if measure:
        # "多少亿元", "多少公里": a number with that unit, "亿元" answered by "12亿元".
        name = re.escape(measure.group(2))
        return re.compile(f"[0-9０-９.]+\\s*[万亿千百]*{name}|{_NUMERAL}\\s*{name}")
    m = _ASKS_COUNT.search(question)
    if m:
        unit = m.group(1)
        if unit in "人名位" or question[m.end() : m.end() + 1] == "人":
            unit = "人名位"  # "几个人" is answered by "2人"
        elif unit == "个":
            unit = "个项条家所"
        return re.compile(f"{_NUMERAL}\\s*[{unit}]")
    if re.search(r"多少|几", question):
        # A bare "是多少": the attribute asked about says what kind of number answers it.
        for attribute, value in _ATTRIBUTE_VALUES:
            if attribute.search(question):
                return value
        # An amount, not a year: "2023年" does not answer "经费是多少".
        return re.compile(
            f"(?<![0-9])(?:[0-9]{{1,3}}|[0-9]{{5,}})(?![0-9])|{_NUMERAL}\\s*(?:[{_UNITS}]|方面)"
        )
    return None


def _spans(spec: Spec, text: str) -> list[tuple[int, int]]:
    if isinstance(spec, tuple):
        return sorted({span for part in spec for span in _spans(part, text)})
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


# What a question asks about: the noun naming the attribute it wants ("贷款利率是多少"
# → 利率, "主任是谁" → 主任, "教的是什么学科" → 学科, "多少张床位" → 床位). A text that
# never names the attribute rarely states its value, however close its topic.
_WH_WORD = re.compile(r"^(?:多少|几|什么|哪|谁|何)")
# Units a number is asked in ("多少亿元"): they say how the value is written, not what it is.
_UNIT_WORD = re.compile(f"^[万亿千百]*(?:{_MEASURE_UNITS}|米)$")
# Words that ask for no particular attribute (what, which things, how).
GENERIC_ATTRIBUTES = frozenset(
    {"情况", "内容", "东西", "事情", "事项", "方面", "工作", "问题", "时候", "地方", "意思"}
)


def asked_attribute(question: str) -> str | None:
    """The noun naming what ``question`` asks for, when it names one (see above): the
    first noun after its interrogative within the clause ("什么学科"), else the last
    noun before it ("利率是多少")."""
    words = [(w.word, w.flag) for w in posseg().cut(fold(question).text) if w.word.strip()]
    for i, (w, _) in enumerate(words):
        if not _WH_WORD.match(w):
            continue
        after = [(word, flag) for word, flag in words[i + 1 : i + 5] if flag != "q"]
        if after and after[0][0] in GENERIC_ATTRIBUTES:
            return None  # "有什么情况": no particular attribute
        run = []  # the noun phrase after it; its head is its last noun ("小型水库")
        for word, flag in after:
            if not (_is_attribute(word, flag) or flag in ("b", "a")):
                break
            run.append((word, flag))
        heads = [word for word, flag in run if _is_attribute(word, flag)]
        if heads:
            return heads[-1]
        for word, flag in reversed(words[max(0, i - 4) : i]):
            if word in "，,。？?；;":
                break
            if _is_attribute(word, flag):
                return word
        return None
    return None


def _is_attribute(word: str, flag: str) -> bool:
    return (
        len(word) >= 2
        and (flag.startswith("n") or flag in ("vn", "b"))  # jieba tags 主任 b
        and word not in GENERIC_ATTRIBUTES
        and not _UNIT_WORD.match(word)
        and not _WH_WORD.match(word)
    )
