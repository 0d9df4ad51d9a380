"""Outline markers of Chinese official speeches, and parallel items inside a paragraph.

Two uses:

* :func:`start_marker` names the marker a paragraph opens with (一、 （一） 1. （1）,
  第一， 第一条 第一部分, 其一， 首先/其次/再次/最后, 一是); ingest.parse turns the markers
  into section paths.
* :func:`parallel_series` / :func:`parallel_items` find the items of a list written
  inside one paragraph (一是…二是…, 第一…第二…, 首先…其次…, or clauses separated by
  ；), for answers that list things.

Everything here is the genre's own notation, not any one document's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CN_NUMERALS = "一二三四五六七八九十百零〇两"
_CN_DIGIT = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
# 首先/其次/再次/然后/最后: the order words; 最后 closes the series whatever its length.
_SEQUENCE = {"首先": 1, "其次": 2, "再次": 3, "再者": 3, "然后": 3, "最后": 99}
_N = rf"[{CN_NUMERALS}]{{1,3}}"


def cn_number(token: str) -> int:
    """The value of a numeral: Arabic digits or Chinese up to 999 (十二, 二十, 一百零五);
    0 when ``token`` is not a numeral."""
    if token.isdigit():
        return int(token)
    total, digit = 0, 0
    for ch in token:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        elif ch == "十":
            total += (digit or 1) * 10
            digit = 0
        elif ch == "百":
            total += (digit or 1) * 100
            digit = 0
        else:
            return 0
    return total + digit


@dataclass(frozen=True)
class Marker:
    """An outline marker at the start of a paragraph.

    ``family`` names the notation (items of one list share it), ``ordinal`` is the
    item's number (1 for 一、 第一， 首先, …). ``rank`` is the conventional depth of the
    strong families (一、 1, （一） 2, 1. 3, （1） 4), which stand for an outline on
    their own; the other families are ``rank`` 0 and count only where the document
    uses them as a series (see ingest.parse)."""

    family: str
    ordinal: int
    rank: int
    end: int  # where the marker ends in the paragraph

    @property
    def strong(self) -> bool:
        return self.rank > 0


# (family, rank, pattern with the numeral in group 1) of paragraph-start markers, most
# specific first. Chapters, sections, articles and parts (第一章 第一节 第一条 第一部分)
# are a family each, named by the unit in group 2.
_START: tuple[tuple[str, int, re.Pattern[str]], ...] = (
    ("一、", 1, re.compile(rf"^({_N})、")),
    ("（一）", 2, re.compile(rf"^[（(]({_N})[）)]")),
    ("1.", 3, re.compile(r"^(\d{1,2})[.、．](?!\d)")),
    ("（1）", 4, re.compile(r"^[（(](\d{1,2})[）)]")),
    ("第一", 0, re.compile(rf"^第({_N})(部分|篇|章|节|条)")),
    ("第一", 0, re.compile(rf"^第({_N})(?:[，,、：:]|是)")),
    ("其一", 0, re.compile(rf"^其({_N})[，,、：:]")),
    ("一是", 0, re.compile(rf"^({_N})是")),
    ("首先", 0, re.compile(r"^(首先|其次|再次|再者|然后|最后)[，,、：:]")),
)


def start_marker(text: str) -> Marker | None:
    """The outline marker ``text`` opens with, if any."""
    for family, rank, pattern in _START:
        m = pattern.match(text)
        if m:
            token = m.group(1)
            ordinal = _SEQUENCE[token] if family == "首先" else cn_number(token)
            if ordinal:
                unit = m.group(2) if m.lastindex == 2 else ""
                return Marker(family + unit, ordinal, rank, m.end())
    return None


# ---- parallel items inside a paragraph --------------------------------------------
@dataclass(frozen=True)
class Item:
    """One item of a list inside a paragraph: ``label`` is its marker ("二是", "第二",
    "其次", "" for a ；-separated clause), ``text`` its words without the marker;
    ``start``/``end`` are offsets of ``text`` in the paragraph."""

    label: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Series:
    kind: str  # "enumerated" (一是… 第一… 首先…) | "semicolon" (A；B；C)
    items: tuple[Item, ...]


# A list marker inside running text follows the start or a punctuation mark, so that
# 统一是… or 第一书记 are not taken for items.
_AFTER = r"(?:(?<=^)|(?<=[，,。；;：:！？!?、\s（(“‘\"]))"
_INLINE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("一是", re.compile(rf"{_AFTER}({_N})是")),
    ("第一", re.compile(rf"{_AFTER}第({_N})(?:[，,、：:]|是)")),
    ("其一", re.compile(rf"{_AFTER}其({_N})[，,、：:]")),
    ("首先", re.compile(rf"{_AFTER}(首先|其次|再次|再者|然后|最后)")),
)
_TRIM = "，,。；;：:、 \t　"
_SENTENCE_END = re.compile(r"[。！？!?]")
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]*")
_SEMICOLON = re.compile(r"[；;]")
_CLAUSE = re.compile(r"[^；;]+")


def _span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return start, end


def _enumerated(text: str, family: str, pattern: re.Pattern[str]) -> list[Series]:
    """Runs of items 1, 2, 3… (首先 … 最后 for the order words) in reading order."""
    hits = []
    for m in pattern.finditer(text):
        token = m.group(1)
        ordinal = _SEQUENCE[token] if family == "首先" else cn_number(token)
        hits.append((m, ordinal))
    out: list[Series] = []
    i = 0
    while i < len(hits):
        if hits[i][1] != 1:
            i += 1
            continue
        run = [hits[i][0]]
        last = 1
        j = i + 1
        while j < len(hits) and last < 99:
            ordinal = hits[j][1]
            if ordinal == last + 1 or (family == "首先" and ordinal > last):
                run.append(hits[j][0])
                last = ordinal
            elif ordinal == 1:
                break
            j += 1
        if len(run) >= 2:
            items = []
            for k, m in enumerate(run):
                if k + 1 < len(run):
                    stop = run[k + 1].start()
                else:
                    end = _SENTENCE_END.search(text, m.end())
                    stop = end.start() if end else len(text)
                s, e = _span(text, m.end(), stop)
                items.append(Item(m.group(0).rstrip(_TRIM), text[s:e], s, e))
            out.append(Series("enumerated", tuple(items)))
        i = j if len(run) >= 2 else i + 1
    return out


def _semicolon(text: str) -> list[Series]:
    """Sentences made of two or more clauses separated by ；, after any lead-in ending
    in ：."""
    out: list[Series] = []
    for sentence in _SENTENCE.finditer(text):
        start, end = sentence.span()
        first = _SEMICOLON.search(text, start, end)
        if first is None:
            continue
        colon = max(text.rfind("：", start, first.start()), text.rfind(":", start, first.start()))
        if colon >= 0:
            start = colon + 1
        items = []
        for part in _CLAUSE.finditer(text, start, end):
            s, e = _span(text, *part.span())
            if e > s:
                items.append(Item("", text[s:e], s, e))
        if len(items) >= 2:
            out.append(Series("semicolon", tuple(items)))
    return out


def parallel_series(text: str) -> list[Series]:
    """Every list written inside ``text``, in reading order: enumerated runs
    (一是…二是…, 第一…第二…, 其一…其二…, 首先…其次…最后…) first-class, ；-separated
    clauses where a sentence holds no enumerated run."""
    enumerated = [s for family, pattern in _INLINE for s in _enumerated(text, family, pattern)]
    covered = [(s.items[0].start, s.items[-1].end) for s in enumerated]
    semicolon = [
        s
        for s in _semicolon(text)
        if not any(a < s.items[-1].end and s.items[0].start < b for a, b in covered)
    ]
    return sorted(enumerated + semicolon, key=lambda s: s.items[0].start)


def parallel_items(text: str) -> list[Item]:
    """The items of the longest list inside ``text`` ([] when it holds none)."""
    series = parallel_series(text)
    return list(max(series, key=lambda s: len(s.items)).items) if series else []
