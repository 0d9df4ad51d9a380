"""How an extractive answer is put together, decided by what the question asks for.

* a list or the outline (哪些、哪几个方面、几点要求、主要任务、分为几部分): every item
  of one series of parallel items (sections, paragraphs opened alike, 一是…二是… inside
  a paragraph; see :func:`rag.structure.series`), each quoted and cited, in document
  order, after one fixed template line (:data:`rag.constants.LIST_INTRO`);
* a value (a count, an amount, a date, a person, a place): the whole sentence that
  holds it next to what the question is about, with the value's span marked;
* a reason, a way, a requirement, a fact, a quote or a definition: whole sentences,
  and the next one too when the first only leads into it (ends with ：, or a short
  要…/必须… lead); for a why-question whose best sentence states the claim without a
  reason (no 因为/由于/所以…), the sentences after it in its paragraph, where speeches
  give the reasons, as many as the answer's length allows.

Every answer line is a verbatim 「quote」 with its [¶n]; no line is a bare fragment
(a clause cut out of a sentence, a speaker lead such as 「习近平总书记要求」 alone), and
a heading alone answers only a question about the outline. Answers other than lists
stay within about ``AnswerSettings.max_chars`` characters (200).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ingest.parse import Paragraph, ParsedDocument
from speechqa.text import fold, split_sentences

from . import structure
from .answer_type import asks_value, value_spans
from .constants import LIST_INTRO, LIST_INTRO_FIRST, PARTS_INTRO, cite, count_words

if TYPE_CHECKING:
    from speechqa.settings import AnswerSettings

    from .extractive import Sentence

# A list answer replaces the sentences only when its series is about the question:
# see AnswerSettings.list_base_min, list_relevance and list_min_score.
NOUN_WEIGHT = 0.2  # the lead says what the question asks a list of ("存在的问题：")
EVIDENCE_SENTENCES = 10
GENERIC_NOUNS = frozenset({"方面", "工作", "意见"})

_STRUCTURE = re.compile(
    r"分为几|分成几|几个部分|几部分|哪几个部分|哪些部分|结构|框架|提纲|小标题|标题"
)
_LIST = re.compile(
    r"哪些|哪几|哪[“\"「]?[两二三四五六七八九十]|分别是|包括|主要任务|有几点"
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
# "第五点意见讲的是什么", "第三部分讲了什么": one item of a series, by its place.
_ORDINAL_REF = re.compile(
    r"第([一二两三四五六七八九十]{1,2}|\d{1,2})(?:个|大)?(?:点|条|项|部分|方面|个方面)"
)
_ASKED_NOUN = re.compile(rf"(?:哪|几)[^，,？?]{{0,4}}?({structure.LIST_NOUNS})")
_ASKS_HOW_MANY = re.compile(
    r"(?<!哪)几(?:个|点|项|条|大)?(?:部分|方面|意见|点)|多少(?:个|点|项|条)"
)
_TITLE = re.compile(r"标题|题目|叫什么")
# "…里/其中，哪些是…": the question picks some items of a list.
_PICKS_FROM = re.compile(r"其中|里面?[，,]?(?:哪|有)|之中|当中|有关的|相关的")
# Beyond how many, the question asks what they are ("…，分别是什么？").
_ASKS_WHAT = re.compile(r"哪|什么|分别|各|每|内容|标题|列出|具体")
# The question asks for the parts of the whole speech, not the points of a topic.
_WHOLE_OUTLINE = re.compile(r"分为|分成|几个部分|哪几个部分|哪些部分|几部分|结构|框架|提纲")
_LEAD_TRIM = "，,；;：:。 "
_SENTENCE_CLOSE = re.compile(r"[。！？!?；;…][”’」』）)】》\"']*$")
TITLE_MAX_CHARS = 40
_CLAUSE_SPLIT = re.compile(r"[，,？?；;。]")
_INTERROGATIVE = re.compile(r"多少|几|什么|哪|怎么|如何|谁|何时|是否|怎样|为什么|为何")
PART_CANDIDATES = 30
SAME_SENTENCE_BONUS = 0.1
_FULL_END = re.compile(r"[。！？!?]+[”’」』）)】》\"']*")
_LEAD_IN = re.compile(r"^(?:要|必须|务必|一定要|特别是|重点是)")
LEAD_IN_MAX_CHARS = 20
# A why-question, and a sentence that gives a reason rather than only the claim.
_WHY = re.compile(r"为什么|为何|什么原因|何以")
_BECAUSE = re.compile(r"因为|由于|原因|之所以|所以|因此|因而|导致|在于")
# A speaker lead and nothing else: "习近平总书记要求" / "会议强调，".
_SPEAKER_ONLY = re.compile(r"^[^，。；：]{0,16}(?:强调|指出|要求|认为|表示|提出|说)[，,：:]?$")


def question_kind(question: str) -> str:
    """structure | list | value | quote | definition | reason | fact."""
    if _STRUCTURE.search(question) or _ORDINAL_REF.search(question):
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


def question_parts(question: str) -> list[str]:
    """The parts of a question that asks several things ("去年是多少，今年的目标是
    多少？"): its clauses that each ask something."""
    # A follow-up read with its history ("<earlier question> <follow-up>") asks only
    # its last part.
    asked = question.strip().rsplit(" ", 1)[-1]
    clauses = [c.strip() for c in _CLAUSE_SPLIT.split(asked) if c.strip()]
    return [c for c in clauses if _INTERROGATIVE.search(c)]


def reads_alone(text: str) -> bool:
    """A sentence that can stand as an answer line: not a lead-in cut short, not a
    speaker lead alone, not a few characters."""
    t = text.strip()
    if len(t) < 6 or t[-1] in "，,、" or _SPEAKER_ONLY.match(t):
        return False
    # A title or a dateline ("在全市安全生产工作会议上的讲话") is not a sentence.
    return bool(_SENTENCE_CLOSE.search(t)) or len(t) > TITLE_MAX_CHARS


def full_sentence(p: Paragraph, start: int, end: int, limit: int) -> tuple[int, int]:
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
    if e - s > limit:
        return start, end
    return p.start + s, p.start + e


def _next_sentence(p: Paragraph, end: int, limit: int) -> tuple[int, int] | None:
    """The whole sentence of ``p`` after document offset ``end``; None when there is none
    or it is longer than ``limit``."""
    rel = end - p.start
    rest = p.text[rel:]
    if not rest.strip():
        return None
    s = rel + len(rest) - len(rest.lstrip())
    probe = (p.start + s, p.start + s + 1)
    span = full_sentence(p, *probe, limit)
    # full_sentence gives the probe back when the sentence is longer than ``limit``: then
    # no whole next sentence fits, and one character of it must not be taken for one.
    return None if span == probe and not _FULL_END.match(p.text, s) else span


def _heads_paragraph(p: Paragraph, start: int, text: str) -> bool:
    """``text`` (at document offset ``start``) is the heading its paragraph opens with:
    the section's own title, a short headline, or a point opened by an ordinal."""
    if start != p.start:
        return False
    own = text.rstrip(_LEAD_TRIM)
    return (
        p.section.endswith(own)
        or structure.headline(p) is not None
        or structure.opens_with_ordinal(p)
    )


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
        cfg: AnswerSettings,
        coverage_of: Callable[[str], Callable[[str], float]] | None = None,
    ) -> None:
        self.question = question
        self.coverage_of = coverage_of  # the coverage of another question (a part of it)
        self.doc = doc
        self.ranked = list(ranked)
        self.coverage = coverage
        self.focus = list(focus)  # the question's words, most specific first
        self.cfg = cfg
        self.kind = question_kind(question)
        self.named: list[int] = []  # paragraphs the outline resolver named

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
            parts = [s for s in structure.series(self.doc) if s.paragraphs == [u.n for u in units]]
            said = (
                self._announcing(parts[0])
                if parts and _ASKS_HOW_MANY.search(self.question)
                else None
            )
            units = ([said] if said else []) + units
        out.lines += [_line(self.doc, u) for u in units]
        out.cited = {u.n for u in units}
        return out

    def compose(self, retrieved: list[int]) -> Composed:
        """The answer; ``retrieved`` are the document's retrieved paragraphs, best first."""
        if self.kind in ("list", "structure"):
            listed = self.list_answer(retrieved)
            if listed is not None:
                return listed
        parts = question_parts(self.question)
        if len(parts) >= 2 and self.coverage_of is not None:
            both = self._parts_answer(parts)
            if both is not None:
                return both
        if self.kind == "value":
            valued = self._value()
            if valued is not None:
                return valued
        return self._sentences()

    # ---- questions of several parts ---------------------------------------------
    def _parts_answer(self, parts: list[str]) -> Composed | None:
        """ "去年是多少，今年的目标是多少？": the best sentence for each part (the whole
        sentence, with its value when the part asks for one), in document order."""
        assert self.coverage_of is not None
        top = self.ranked[0].score if self.ranked else 0.0
        units: list[Unit] = []
        values: list[tuple[int, int]] = []
        for part in parts:
            cov = self.coverage_of(part)
            best: tuple[float, Unit, tuple[int, int] | None] | None = None
            for s in self.ranked[:PART_CANDIDATES]:
                u = self._unit(s)
                text = self.doc.text[u.start : u.end]
                if not reads_alone(text):
                    continue
                spans = value_spans(part, text) if asks_value(part) else []
                if asks_value(part) and not spans:
                    continue
                # The part's own words first; the whole question's words carry the
                # subject a part leaves out ("…今年准备再增加多少？").
                whole_cov = self.coverage(text)
                score = cov(text) + 0.5 * whole_cov + 0.3 * (s.score / top if top > 0 else 0.0)
                if any((u.start, u.end) == (c.start, c.end) for c in units):
                    score += SAME_SENTENCE_BONUS  # one sentence answering both parts
                if cov(text) > 0 and (best is None or score > best[0]):
                    value = self._nearest(text, spans) if spans else None
                    best = (score, u, value)
            if best is None:
                continue
            _, u, value = best
            if value is not None:
                values.append((u.start + value[0], u.start + value[1]))
            if not any(u.start < c.end and c.start < u.end for c in units):
                units.append(u)
        if len(units) < 2:
            return None
        units.sort(key=lambda u: u.start)
        return Composed(
            self.kind, [_line(self.doc, u) for u in units], {u.n for u in units}, values
        )

    # ---- lists ----------------------------------------------------------------
    def _evidence(self, one: structure.Series) -> float:
        """0..1: the best of the question's top sentences that lies in the series (its
        lead or an item), relative to the best sentence of all."""
        top = self.ranked[:EVIDENCE_SENTENCES]
        if not top or top[0].score <= 0:
            return 0.0
        best = 0.0
        # The paragraph that announces as many items as the question asks for ("…我讲
        # 三点意见。" for "哪三个方面") is the list's lead, whole.
        announced = structure.announcement(one.lead, len(one.items))
        counted = asked_count(self.question) == len(one.items)
        whole = counted and announced is not None and announced[0] == len(one.items)
        for s in top:
            in_lead = s.paragraph.n == one.lead_n and (
                whole or s.text.rstrip(_LEAD_TRIM)[:12] in one.lead
            )
            in_item = any(s.start < i.end and i.start < s.end for i in one.items)
            if in_lead or in_item:
                best = max(best, s.score)
        return best / top[0].score

    def _series_score(self, one: structure.Series, rank: dict[int, int]) -> float:
        """How well a series answers the question; 0 when it is not about it.

        Its lead (section title, the sentence before it) and its items must cover the
        question's words, or say what the question asks for a list of (问题, 阶段 …);
        then the question's best sentences lying in it, the count the question or the
        lead names and being in a well-retrieved paragraph add to it."""
        texts = [self.doc.text[i.start : i.end] for i in one.items]
        lead_cov = self.coverage(one.lead)
        items_cov = self.coverage("".join(texts))
        evidence = self._evidence(one)
        best_cov = self.ranked[0].coverage if self.ranked else 0.0
        if max(lead_cov, items_cov, evidence * best_cov) < self.cfg.list_relevance * best_cov:
            return 0.0  # a sentence elsewhere says more of what is asked
        base = 0.4 * lead_cov + 0.3 * items_cov + 0.3 * evidence
        noun = _ASKED_NOUN.search(self.question)
        announced = structure.announcement(one.lead, len(one.items))
        asks = noun.group(1) if noun else None
        if asks and asks in one.lead:
            base += NOUN_WEIGHT
        elif asks and announced and GENERIC_NOUNS.isdisjoint((asks, announced[1])):
            return 0.0  # asks for 阶段, the lead announces 领域
        if base < self.cfg.list_base_min:
            return 0.0
        asked = asked_count(self.question)
        named = bool(self.named) and one.paragraphs == self.named
        # The question's words are in some items, not in what leads the list: it asks
        # about those items ("哪些典型村" ~ "和美乡村建设…"), not the list.
        partial = any(self.coverage(t) == 0 for t in texts)
        if partial and lead_cov < items_cov and asked != len(texts) and not named:
            return 0.0
        score = base
        anchors = [r for n in (one.lead_n, *one.paragraphs) if (r := rank.get(n)) is not None]
        if anchors:
            score += 0.1 / (1 + min(anchors))
        if asked is not None:
            score += 0.3 if asked == len(one.items) else -0.3
        if announced is not None and announced[0] == len(one.items):
            score += 0.1
        if named:
            score += 0.2  # the outline resolver named exactly these parts
        return score

    def _best_series(
        self, retrieved: list[int], fits: Callable[[structure.Series], bool]
    ) -> tuple[structure.Series, float] | None:
        rank = {n: r for r, n in enumerate(retrieved)}
        scored = [(s, self._series_score(s, rank)) for s in structure.series(self.doc) if fits(s)]
        return max(scored, key=lambda x: x[1], default=None)

    def _inside(self, one: structure.Series, i: int) -> list[structure.Series]:
        """The series under item ``i`` of ``one`` (in the paragraphs it governs)."""
        first, last = one.range_of(i)
        item = one.items[i]
        return [
            s
            for s in structure.series(self.doc)
            if s is not one
            and all(first <= x.n <= last for x in s.items)
            and all((x.start, x.end) != (item.start, item.end) for x in s.items)
        ]

    def _drill(self, one: structure.Series, retrieved: list[int]) -> structure.Series:
        """The points of one item, when the question's best sentence is that item
        (“讲话认为存在哪些短板” best matches the point “…看待基础和短板”)."""
        if asked_count(self.question) == len(one.items) or not self.ranked:
            return one
        top = self.ranked[0]
        for i, item in enumerate(one.items):
            if top.start < item.end and item.start < top.end:
                subs = self._inside(one, i)
                if subs:
                    rank = {n: r for r, n in enumerate(retrieved)}
                    return max(subs, key=lambda s: self._series_score(s, rank))
        return one

    def list_answer(self, retrieved: list[int], pinned: Sequence[int] = ()) -> Composed | None:
        """Every item of the series that answers the question, after the template line;
        None when no series is about the question. ``pinned``: paragraphs the question
        names by their place in the outline."""
        self.named = list(pinned)
        m = _ORDINAL_REF.search(self.question)
        if m:
            return self._ordinal_item(retrieved, structure.cn_number(m.group(1)), pinned)
        parts = self._parts()
        if parts is not None and _WHOLE_OUTLINE.search(self.question):
            return self._listed(parts)
        found = self._best_series(retrieved, lambda s: True)
        if found is None or found[1] < self.cfg.list_min_score:
            return None
        return self._listed(self._drill(found[0], retrieved))

    def _how_many(self, one: structure.Series) -> Composed | None:
        """ "讲了几方面意见？" asks a count, not the items: the sentence that announces
        them, the count marked."""
        said = self._announcing(one)
        if said is None:
            return None
        text = self.doc.text[said.start : said.end]
        found = structure.announcement(text, len(one.items))
        values = [(said.start + found[2][0], said.start + found[2][1])] if found else []
        return Composed(self.kind, [_line(self.doc, said)], {said.n}, values)

    def _parts(self) -> structure.Series | None:
        """The parts of the whole document: its top-level sections, else the longest
        run of paragraphs opened by ordinals outside any section (首先，… 第一，…)."""
        found = structure.series(self.doc)
        tops = [
            s for s in found if s.kind == "sections" and all(self._is_top(i.n) for i in s.items)
        ]
        if tops:
            return tops[0]
        runs = [
            s
            for s in found
            if s.kind == "paragraphs" and s.ranges and all(not self._section(i.n) for i in s.items)
        ]
        return max(runs, key=lambda s: len(s.items), default=None)

    def _section(self, n: int) -> str:
        p = self.doc.paragraph(n)
        return p.section if p else ""

    def _asked_items(self, one: structure.Series) -> list[structure.Item]:
        """The items the question asks for: all of them, or, when it names something the
        lead does not and only some items say it ("十件民生实事里，哪些是给老年人办的"),
        those."""
        if self.coverage_of is None or not _PICKS_FROM.search(self.question):
            return list(one.items)
        lead = fold(one.lead).text
        rest = [w for w in self.focus if fold(w).text not in lead]
        if not rest:
            return list(one.items)
        cov = self.coverage_of(" ".join(rest))
        some = [i for i in one.items if cov(self.doc.text[i.start : i.end]) > 0]
        return some if 0 < len(some) <= len(one.items) // 2 else list(one.items)

    def _listed(self, one: structure.Series) -> Composed:
        if _ASKS_HOW_MANY.search(self.question) and not _ASKS_WHAT.search(self.question):
            counted = self._how_many(one)
            if counted is not None:
                return counted
        asked = self._asked_items(one)
        if len(asked) < len(one.items):
            one = structure.Series(one.kind, one.lead, one.lead_n, tuple(asked))
        parts = one is self._parts()
        count = count_words(len(one.items))
        if len(one.items) > self.cfg.list_items:
            shown = count_words(self.cfg.list_items)
            intro = LIST_INTRO_FIRST.format(count=count, shown=shown)
        else:
            intro = (PARTS_INTRO if parts else LIST_INTRO).format(count=count)
        said = self._announcing(one) if _ASKS_HOW_MANY.search(self.question) else None
        units = ([said] if said else []) + [
            Unit(i.n, i.start, i.end) for i in one.items[: self.cfg.list_items]
        ]
        lines = [intro] + [_line(self.doc, u) for u in units]
        return Composed(self.kind, lines, {u.n for u in units})

    def _announcing(self, one: structure.Series) -> Unit | None:
        """The sentence that announces the series ("下面，我讲六点意见。"), when the
        question asks how many."""
        p = self.doc.paragraph(one.lead_n)
        if p is None or p.kind != "body":
            return None
        for s, e in split_sentences(p.text, p.start):
            found = structure.announcement(self.doc.text[s:e])
            if found and found[0] == len(one.items):
                fs, fe = full_sentence(p, s, e, self.cfg.max_chars)
                return Unit(p.n, fs, fe)
        return None

    def _ordinal_item(
        self, retrieved: list[int], n: int, pinned: Sequence[int] = ()
    ) -> Composed | None:
        """ "第五点意见讲的是什么": the n-th item of the series the question means (the
        one holding the paragraph the outline pinned, if any); with the points under
        it, or, asked "哪几个方面", those points as a list."""

        def fits(s: structure.Series) -> bool:
            if len(s.items) < n or s.kind == "inline" or not s.ranges:
                return False
            return not pinned or s.items[n - 1].n in pinned

        found = self._best_series(retrieved, fits)
        if found is None or n < 1:
            return None
        one = found[0]
        item = one.items[n - 1]
        subs = self._inside(one, n - 1)
        if _TITLE.search(self.question) or not subs:
            u = Unit(item.n, item.start, item.end)
            return Composed(self.kind, [_line(self.doc, u)], {u.n})
        direct = min(subs, key=lambda s: (s.items[0].start, -len(s.items)))
        if _LIST.search(self.question):
            return self._listed(direct)
        # What the point says: its own sub-points, or a heading's direct children.
        own = [s for s in subs if s.lead_n == item.n and s.kind == "inline"]
        under = own[0] if own else direct
        units = [Unit(item.n, item.start, item.end)]
        units += [Unit(i.n, i.start, i.end) for i in under.items[: self.cfg.list_items]]
        return Composed(self.kind, [_line(self.doc, u) for u in units], {u.n for u in units})

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
    def _unit(self, s: Sentence, heads_alone: bool = False) -> Unit:
        """The answer line for a sentence: the whole sentence; with the next one when it
        only leads into it. A paragraph's own heading ("（三）从发展要求看，…。") is
        followed by what it heads, or gives way to it when both would be too long;
        ``heads_alone``: another line of the answer says what it heads."""
        p = s.paragraph
        start, end = full_sentence(p, s.start, s.end, self.cfg.max_chars)
        text = self.doc.text[start:end]
        heading = self.kind != "structure" and _heads_paragraph(p, start, text)
        heading = heading and not heads_alone
        if _leads_in(text) or heading:
            nxt = _next_sentence(p, end, self.cfg.max_chars)
            if nxt and nxt[1] - start <= self.cfg.max_chars:
                end = nxt[1]
            elif nxt and heading:
                start, end = nxt
        return Unit(p.n, start, end)

    def _text(self, u: Unit) -> str:
        return self.doc.text[u.start : u.end]

    def _with_following(self, u: Unit) -> Unit:
        """``u`` with the sentences after it in its paragraph, as many as the answer's
        length allows."""
        p = self.doc.paragraph(u.n)
        end = u.end
        while p is not None:
            nxt = _next_sentence(p, end, self.cfg.max_chars)
            if nxt is None or nxt[1] - u.start > self.cfg.max_chars:
                break
            end = nxt[1]
        return Unit(u.n, u.start, end)

    def _sentences(self) -> Composed:
        usable = [
            s
            for s in self.ranked
            if s.paragraph.kind != "heading" and reads_alone(self.doc.text[s.start : s.end])
        ] or self.ranked
        best = usable[0]
        # A heading followed, in the answer, by another strong sentence of its paragraph
        # needs no sentence of its own after it.
        followed = any(
            s.paragraph.n == best.paragraph.n and s.coverage > 0 and s.score >= 0.85 * best.score
            for s in usable[1:]
        )
        chosen = [self._unit(best, heads_alone=followed)]
        if _WHY.search(self.question) and not _BECAUSE.search(self._text(chosen[0])):
            # It states what the question asks about, not why: a speech gives the
            # reasons after the claim ("形势依然严峻复杂。……当前，存量尚未见底……").
            chosen[0] = self._with_following(chosen[0])
        size = chosen[0].end - chosen[0].start
        for s in usable[1:]:
            if len(chosen) >= self.cfg.max_sentences:
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
            if size + u.end - u.start > self.cfg.max_chars:
                continue
            chosen.append(u)
            size += u.end - u.start
        if followed and sum(u.n == best.paragraph.n for u in chosen) == 1:
            chosen[0] = self._unit(best)  # what it heads did not fit: the heading brings it
        chosen.sort(key=lambda u: u.start)
        return Composed(self.kind, [_line(self.doc, u) for u in chosen], {u.n for u in chosen})
