"""How an extractive answer is put together, decided by what the question asks for.

* a list or the outline (哪些、哪几个方面、几点要求、主要任务、分为几部分): every item
  of one series of parallel items (sections, paragraphs opened alike, 一是…二是… inside
  a paragraph; see :func:`rag.structure.series`), each quoted and cited, in document
  order, after one fixed template line (:data:`rag.constants.LIST_INTRO`);
* a value (a count, an amount, a date, a person, a place): the whole sentence that
  holds it next to what the question is about, with the value's span marked;
* a reason, a way, a requirement, a fact, a quote or a definition: whole sentences,
  and the next one too when the first only leads into it (ends with ：, or a short
  要…/必须… lead).

Every answer line is a verbatim 「quote」 with its [¶n]; no line is a bare fragment
(a clause cut out of a sentence, a speaker lead such as 「习近平总书记要求」 alone), and
a heading alone answers only a question about the outline. Answers other than lists
stay within about :data:`ANSWER_MAX_CHARS` characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ingest.parse import Paragraph, ParsedDocument

from . import structure
from .answer_type import asks_value, value_spans
from .constants import LIST_INTRO, PARTS_INTRO, cite, count_words

if TYPE_CHECKING:
    from .extractive import Sentence

ANSWER_MAX_CHARS = 200  # an answer that is not a list: complete but short
LIST_ITEMS_MAX = 8
# A list answer replaces the sentences only when its series is about the question:
# score of the best series (see _series_score) at least this.
LIST_MIN_SCORE = 0.45

_STRUCTURE = re.compile(
    r"分为几|分成几|几个部分|几部分|哪几个部分|哪些部分|结构|框架|提纲|小标题|标题"
)
_LIST = re.compile(
    r"哪些|哪几|哪[“\"「]?[两二三四五六七八九十]|分别|包括|主要任务|有几点"
    r"|几(?:个|点|项|条|大|类)?(?:方面|部分|阶段|领域|任务|要求|措施|举措|重点|目标|意见)"
)
_QUOTE = re.compile(r"原话|原文|怎么说|如何表述|怎么讲|怎么表述|哪句话|怎么写|怎样表述")
_DEFINITION = re.compile(r"是什么意思|指什么|什么是|含义|是指|指的是|何谓|定义")
_REASON = re.compile(
    r"为什么|为何|原因|理由|怎么|如何|怎样|要求|措施|举措|做法|办法|目的|意义|依据|考虑"
)
_ASKED_COUNT = re.compile(
    r"哪[“\"「]?([两二三四五六七八九十]{1,2}|\d{1,2})[个点项条大类件种“”\"」]"
)
_FULL_END = re.compile(r"[。！？!?]+[”’」』）)】》\"']*")
_LEAD_IN = re.compile(r"^(?:要|必须|务必|一定要|特别是|重点是)")
LEAD_IN_MAX_CHARS = 20
# A speaker lead and nothing else: "习近平总书记要求" / "会议强调，".
_SPEAKER_ONLY = re.compile(r"^[^，。；：]{0,16}(?:强调|指出|要求|认为|表示|提出|说)[，,：:]?$")


def question_kind(question: str) -> str:
    """structure | list | value | quote | definition | reason | fact."""
    if _STRUCTURE.search(question):
        return "structure"
    if _LIST.search(question):
        return "list"
    if asks_value(question):
        return "value"
    if _QUOTE.search(question):
        return "quote"
    if _DEFINITION.search(question):
        return "definition"
    if _REASON.search(question):
        return "reason"
    return "fact"


def asked_count(question: str) -> int | None:
    """The number of items a question names ("哪三个方面" → 3), if it names one."""
    m = _ASKED_COUNT.search(question)
    n = structure.cn_number(m.group(1)) if m else 0
    return n or None


def reads_alone(text: str) -> bool:
    """A sentence that can stand as an answer line: not a lead-in cut short, not a
    speaker lead alone, not a few characters."""
    t = text.strip()
    return len(t) >= 6 and t[-1] not in "，,、" and not _SPEAKER_ONLY.match(t)


def full_sentence(p: Paragraph, start: int, end: int) -> tuple[int, int]:
    """Document span of the whole sentence (up to 。！？) of ``p`` that holds
    [start, end); the span itself when that sentence is longer than an answer may be."""
    rel = start - p.start
    s = 0
    for m in _FULL_END.finditer(p.text):
        if m.end() > rel:
            e = m.end()
            break
        s = m.end()
    else:
        e = len(p.text)
    while s < e and p.text[s].isspace():
        s += 1
    if e - s > ANSWER_MAX_CHARS:
        return start, end
    return p.start + s, p.start + e


def _next_sentence(p: Paragraph, end: int) -> tuple[int, int] | None:
    """The sentence of ``p`` after document offset ``end``."""
    rel = end - p.start
    rest = p.text[rel:]
    if not rest.strip():
        return None
    s = rel + len(rest) - len(rest.lstrip())
    return full_sentence(p, p.start + s, p.start + s + 1)


def _leads_in(text: str) -> bool:
    t = text.strip()
    return t.endswith(("：", ":")) or (
        len(t) <= LEAD_IN_MAX_CHARS and bool(_LEAD_IN.match(t)) and t.endswith("。")
    )


@dataclass
class Composed:
    """An answer as lines of 「quote」[¶n], the paragraphs it cites, and the document
    spans of the values it was asked for."""

    kind: str
    lines: list[str] = field(default_factory=list)
    cited: set[int] = field(default_factory=set)
    values: list[tuple[int, int]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Unit:
    """An answer line: a document span inside one paragraph."""

    n: int
    start: int
    end: int


def _line(doc: ParsedDocument, u: Unit) -> str:
    return f"「{doc.text[u.start : u.end]}」{cite(u.n)}"


class Composer:
    """Builds the answer to one question from its ranked sentences."""

    def __init__(
        self,
        question: str,
        doc: ParsedDocument,
        ranked: Sequence[Sentence],
        coverage: Callable[[str], float],
        focus: Sequence[str],
        max_sentences: int,
    ) -> None:
        self.question = question
        self.doc = doc
        self.ranked = list(ranked)
        self.coverage = coverage
        self.focus = list(focus)  # the question's words, most specific first
        self.max_sentences = max_sentences
        self.kind = question_kind(question)

    # ---- entry points ---------------------------------------------------------
    def pinned(self, ns: list[int]) -> Composed:
        """Paragraphs named by their place in the outline: a heading as itself (the
        parts template first when there are several), a body paragraph by its best
        sentence."""
        out = Composed("structure")
        units = []
        for n in ns:
            p = self.doc.paragraph(n)
            if p is None:
                continue
            if p.kind == "heading":
                units.append(Unit(n, p.start, p.end))
                continue
            own = [s for s in self.ranked if s.paragraph.n == n]
            if own:
                units.append(self._unit(own[0]))
        headings = [u for u in units if self._is_heading(u.n)]
        if len(headings) >= 2 and len(headings) == len(units):
            out.lines.append(PARTS_INTRO.format(count=count_words(len(units))))
        out.lines += [_line(self.doc, u) for u in units]
        out.cited = {u.n for u in units}
        return out

    def compose(self, retrieved: list[int]) -> Composed:
        """The answer; ``retrieved`` are the document's retrieved paragraphs, best first."""
        if self.kind in ("list", "structure"):
            listed = self._list(retrieved)
            if listed is not None:
                return listed
        if self.kind == "value":
            valued = self._value()
            if valued is not None:
                return valued
        return self._sentences()

    # ---- lists ----------------------------------------------------------------
    def _series_score(self, one: structure.Series, rank: dict[int, int]) -> float:
        """How well a series answers the question: its lead (section title, the
        sentence before it) and its items cover the question's words; the count the
        question or the lead names fits; it sits in a well-retrieved paragraph."""
        texts = [self.doc.text[i.start : i.end] for i in one.items]
        score = 0.6 * self.coverage(one.lead) + 0.4 * self.coverage("".join(texts))
        anchors = [one.lead_n, *one.paragraphs]
        best = min((rank[n] for n in anchors if n in rank), default=len(rank))
        score += 0.1 / (1 + best)
        asked = asked_count(self.question)
        if asked is not None:
            score += 0.3 if asked == len(one.items) else -0.3
        announced = structure.announced_count(one.lead)
        if announced is not None and announced == len(one.items):
            score += 0.1
        return score

    def _list(self, retrieved: list[int]) -> Composed | None:
        rank = {n: r for r, n in enumerate(retrieved)}
        near = set(retrieved)
        candidates = [s for s in structure.series(self.doc) if near & {s.lead_n, *s.paragraphs}]
        if not candidates:
            return None
        scored = sorted(candidates, key=lambda s: -self._series_score(s, rank))
        best = scored[0]
        if self._series_score(best, rank) < LIST_MIN_SCORE:
            return None
        items = best.items[:LIST_ITEMS_MAX]
        parts = best.kind == "sections" and all(self._is_top(i.n) for i in items)
        intro = PARTS_INTRO if parts else LIST_INTRO
        out = Composed(self.kind, [intro.format(count=count_words(len(best.items)))])
        out.lines += [_line(self.doc, Unit(i.n, i.start, i.end)) for i in items]
        out.cited = {i.n for i in items}
        return out

    def _is_heading(self, n: int) -> bool:
        p = self.doc.paragraph(n)
        return p is not None and p.kind == "heading"

    def _is_top(self, n: int) -> bool:
        p = self.doc.paragraph(n)
        return p is not None and bool(p.section) and "›" not in p.section

    # ---- values -----------------------------------------------------------------
    def _value(self) -> Composed | None:
        """The best-ranked sentence that holds a value of the asked kind."""
        top = self.ranked[0].score
        for s in self.ranked:
            if s.score < 0.7 * top:
                break
            if s.coverage <= 0:
                continue
            u = self._unit(s)
            text = self.doc.text[u.start : u.end]
            spans = value_spans(self.question, text)
            if not spans or not reads_alone(text):
                continue
            vs, ve = self._nearest(text, spans)
            return Composed("value", [_line(self.doc, u)], {u.n}, [(u.start + vs, u.start + ve)])
        return None

    def _nearest(self, text: str, spans: list[tuple[int, int]]) -> tuple[int, int]:
        """The value closest to the most specific of the question's words in ``text``."""
        at = [i for w in self.focus if (i := text.find(w)) >= 0][:2]
        if not at:
            return spans[0]
        return min(spans, key=lambda sp: min(abs(sp[0] - a) for a in at))

    # ---- sentences ------------------------------------------------------------------
    def _unit(self, s: Sentence) -> Unit:
        start, end = full_sentence(s.paragraph, s.start, s.end)
        text = self.doc.text[start:end]
        if _leads_in(text):
            nxt = _next_sentence(s.paragraph, end)
            if nxt and nxt[1] - start <= ANSWER_MAX_CHARS:
                end = nxt[1]
        return Unit(s.paragraph.n, start, end)

    def _sentences(self) -> Composed:
        usable = [
            s
            for s in self.ranked
            if s.paragraph.kind != "heading" and reads_alone(self.doc.text[s.start : s.end])
        ] or self.ranked
        best = usable[0]
        chosen = [self._unit(best)]
        size = chosen[0].end - chosen[0].start
        for s in usable[1:]:
            if len(chosen) >= self.max_sentences:
                break
            if s.coverage <= 0 or s.score < 0.85 * best.score:
                continue
            # Another paragraph is cited only when it answers about as well: a weak
            # second citation costs more trust than it adds.
            if s.paragraph.n != best.paragraph.n and (
                s.score < 0.95 * best.score or s.coverage < 0.9 * best.coverage
            ):
                continue
            u = self._unit(s)
            if any(u.start < c.end and c.start < u.end for c in chosen):
                continue
            if size + u.end - u.start > ANSWER_MAX_CHARS:
                continue
            chosen.append(u)
            size += u.end - u.start
        chosen.sort(key=lambda u: u.start)
        return Composed(self.kind, [_line(self.doc, u) for u in chosen], {u.n for u in chosen})
