"""The outline of a speech, as answering needs it.

Questions about the outline ("第二部分的标题是什么？", "讲话从哪三个方面…",
"第三部分第三点…", "结尾的第一句") name paragraphs by position, which neither BM25
nor embeddings can see: :func:`resolve` finds them from the section paths.

Lists are written as sections (一、 （一） …), as paragraphs opened the same way
(第一，… 首先，… a short headline sentence), or inside one paragraph (一是…二是…,
（1）…（2）…, a ；-separated series after a colon): :func:`series` finds them all,
each with the text that introduces it, so that a list answer can quote every item.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from ingest.outline import cn_number
from ingest.parse import SECTION_SEP, Paragraph, ParsedDocument
from speechqa.text import split_sentences

_NUM = r"([一二两三四五六七八九十]|\d{1,2})"
_PART = re.compile(rf"第{_NUM}(?:个)?(?:部分|方面|大部分|板块)")
_POINT = re.compile(rf"第{_NUM}(?:个)?(?:点|条|项|小点)")
_ALL_PARTS = re.compile(
    r"哪[几一二两三四五六七八九十]?(?:个)?(?:方面|部分)|分(?:为|成)?几(?:个)?部分|结构|框架|提纲"
)
# "Which parts" is about the outline only when it is the speech's parts being asked for.
_ABOUT_SPEECH = re.compile(r"讲话|报告|部署|安排|结构|框架|提纲|今年工作")
_ENDING = re.compile(r"(结尾|结束语|最后一段|收尾)")
_OPENING = re.compile(r"(开头|开场|开篇)")


def _parts(doc: ParsedDocument) -> list[Paragraph]:
    """Paragraphs that open a top-level section (一、 二、 …)."""
    tops: list[Paragraph] = []
    seen: set[str] = set()
    for p in doc.paragraphs:
        top = p.section.split(SECTION_SEP)[0] if p.section else ""
        if top and top not in seen:
            seen.add(top)
            tops.append(p)
    return tops


def _points(doc: ParsedDocument, part: Paragraph) -> list[Paragraph]:
    """Paragraphs that open a second-level section inside ``part``'s section."""
    top = part.section.split(SECTION_SEP)[0]
    out: list[Paragraph] = []
    seen: set[str] = set()
    for p in doc.paragraphs:
        levels = p.section.split(SECTION_SEP) if p.section else []
        if len(levels) >= 2 and levels[0] == top and levels[1] not in seen:
            seen.add(levels[1])
            out.append(p)
    return out


def resolve(question: str, doc: ParsedDocument) -> list[int]:
    """Paragraph numbers the question names by their place in the outline."""
    parts = _parts(doc)
    part = _PART.search(question)
    point = _POINT.search(question)
    if part:
        i = cn_number(part.group(1))
        if not 1 <= i <= len(parts):
            return []
        if point:
            points = _points(doc, parts[i - 1])
            j = cn_number(point.group(1))
            return [points[j - 1].n] if 1 <= j <= len(points) else []
        return [parts[i - 1].n]
    if _ALL_PARTS.search(question) and _ABOUT_SPEECH.search(question) and parts:
        return [p.n for p in parts]
    body = [p for p in doc.paragraphs if p.kind == "body"]
    if _ENDING.search(question) and body:
        return [body[-1].n]
    if _OPENING.search(question) and body:
        return [body[0].n]
    return []


# ---- parallel items ---------------------------------------------------------------
ITEM_MAX_CHARS = 80  # a longer item is cut at its last clause end before this
HEADLINE_MAX_CHARS = 30  # "农民收入较快增长。" opens its paragraph as a headline
SHORT_LEAD_CHARS = 8  # "具体来讲，" says nothing of what the items are about
_AFTER_SENTENCE = r"(?:(?<=^)|(?<=[。；;：:！？!?\n]))"
# (family, pattern): group 1 is the ordinal's value, the match starts at the marker.
_ORDINALS = (
    ("是", re.compile(r"(?:(?<=^)|(?<=[。；;：:！？!?，,\n]))([一二三四五六七八九十]{1,3})是")),
    ("第", re.compile(_AFTER_SENTENCE + r"第([一二三四五六七八九十]{1,3})[，,、：:]")),
    ("（", re.compile(_AFTER_SENTENCE + r"[（(]([一二三四五六七八九十]{1,3}|\d{1,2})[）)]")),
    ("①", re.compile(r"([①②③④⑤⑥⑦⑧⑨⑩])")),
    ("1.", re.compile(_AFTER_SENTENCE + r"(\d{1,2})[.、．](?!\d)")),
    ("首先", re.compile(_AFTER_SENTENCE + r"(首先|其次|再次|然后|最后)[，,、：:]")),
)
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
_SEQUENCE_WORDS = {"首先": 1, "其次": 2, "再次": 3, "然后": 3, "最后": 0}  # 0: closes a run
# "我讲三方面意见", "突出抓好以下八个方面工作", "主要有三个方面的问题：", "分三个阶段".
# What lists of a speech are lists of (they name it when they announce one).
LIST_NOUNS = (
    "方面|意见|重点|任务|问题|阶段|领域|部分|环节|举措|措施|要求|件事|工作|目标|短板|经验"
    "|产业|机制|单位"
)
_ANNOUNCED = re.compile(
    rf"([一二两三四五六七八九十]{{1,2}}|\d{{1,2}})(?:个|点|项|条|件|大)?(?:的)?({LIST_NOUNS})"
)
_HEADLINE_CLAUSE = re.compile(r"^在?[^，,。；;：:]{1,12}方面[，,]")
_ITEM_END = re.compile(r"[。；;！？!?]")
_CLAUSE_BREAK = re.compile(r"[，,；;：:、]")
_TRIM = "，,；;、：: 。"


def announcement(text: str, count: int | None = None) -> tuple[int, str, tuple[int, int]] | None:
    """How many items of what a text announces, and where ("我讲三方面意见" → 3,
    "方面"), if it announces a list; the one of ``count`` items when there is one."""
    found = []
    for m in _ANNOUNCED.finditer(text):
        n = cn_number(m.group(1))
        if 2 <= n <= 20:
            found.append((n, m.group(2), m.span()))
    return next((f for f in found if f[0] == count), found[-1] if found else None)


def announced_count(text: str) -> int | None:
    """How many items a text announces ("我讲三方面意见" → 3), if it does."""
    found = announcement(text)
    return found[0] if found else None


@dataclass(frozen=True)
class Item:
    """One item of a series: the document offsets of its quotable text."""

    n: int
    start: int
    end: int


@dataclass(frozen=True)
class Series:
    """Parallel items and the text that introduces them."""

    kind: str  # "sections" | "paragraphs" | "inline"
    lead: str  # section title and/or the sentence right before the first item
    lead_n: int  # ¶ that holds the lead (0: the document's own top level)
    items: tuple[Item, ...]
    # First and last ¶ each item governs (a section, a point and the paragraphs
    # after it up to the next point); empty: each item its own paragraph.
    ranges: tuple[tuple[int, int], ...] = ()

    @property
    def paragraphs(self) -> list[int]:
        return list(dict.fromkeys(i.n for i in self.items))

    def range_of(self, i: int) -> tuple[int, int]:
        return self.ranges[i] if self.ranges else (self.items[i].n, self.items[i].n)


def clip_item(text: str, limit: int = ITEM_MAX_CHARS) -> int:
    """Length of the item that opens ``text``: up to its first sentence end; when that
    is longer than ``limit``, up to the last clause end before it (never inside a clause)."""
    m = _ITEM_END.search(text)
    end = m.end() if m else len(text)
    if end <= limit:
        return end
    cut = max((b.start() for b in _CLAUSE_BREAK.finditer(text, 0, limit)), default=0)
    return cut if cut >= 4 else end


def _item(p: Paragraph, pos: int, stop: int) -> Item | None:
    """The item of ``p`` that starts at ``pos`` (inside ``p.text``) and ends by ``stop``."""
    length = min(clip_item(p.text[pos:stop]), stop - pos)
    piece = p.text[pos : pos + length].rstrip(_TRIM)
    return Item(p.n, p.start + pos, p.start + pos + len(piece)) if piece else None


def ordinal_runs(text: str) -> list[list[int]]:
    """Positions of the markers of each run of consecutive ordinals in ``text``
    (一是 二是 …, 第一 第二 …, （1）（2）…, ①②…, 1. 2. …, 首先 其次 … 最后)."""
    runs: list[list[int]] = []
    for family, pattern in _ORDINALS:
        current: list[tuple[int, int]] = []
        for m in pattern.finditer(text):
            tok = m.group(1)
            if family == "①":
                value = _CIRCLED.index(tok) + 1
            elif family == "首先":
                value = _SEQUENCE_WORDS[tok] or (current[-1][1] + 1 if current else 0)
            else:
                value = cn_number(tok)
            if value == 1:
                if len(current) >= 2:
                    runs.append([pos for pos, _ in current])
                current = [(m.start(), 1)]
            elif current and value == current[-1][1] + 1:
                current.append((m.start(), value))
        if len(current) >= 2:
            runs.append([pos for pos, _ in current])
    return runs


def _lead_into(text: str, pos: int) -> str:
    """The sentence that leads into position ``pos`` of ``text`` ("" at its start)."""
    head = text[:pos].rstrip()
    if head and head[-1] in "。；;！？!?":
        head = head[:-1]
    cut = max((m.end() for m in _ITEM_END.finditer(head)), default=0)
    return head[cut:].strip()


def inline_series(p: Paragraph) -> list[Series]:
    """Series written inside one paragraph: ordinal runs and ；-separated series
    after a colon."""
    out: list[Series] = []
    text = p.text
    spans: list[tuple[int, int]] = []
    for run in ordinal_runs(text):
        ends = [*run[1:], len(text)]
        items = [it for pos, end in zip(run, ends, strict=True) if (it := _item(p, pos, end))]
        if len(items) >= 2:
            out.append(Series("inline", _lead_into(text, run[0]), p.n, tuple(items)))
            spans.append((run[0], ends[-1]))
    for colon in re.finditer(r"[：:]", text):
        start = colon.end()
        if any(s <= start < e for s, e in spans):
            continue
        full_stop = text.find("。", start)
        stop = len(text) if full_stop < 0 else full_stop
        cuts = [m.start() for m in re.finditer(r"[；;]", text[start:stop])]
        if not cuts:
            continue
        bounds = [start] + [start + c + 1 for c in cuts] + [stop + 1]
        items = [it for s, e in itertools.pairwise(bounds) if (it := _item(p, s, e - 1))]
        if len(items) >= 2:
            lead = _lead_into(text, colon.start()) + colon.group(0)
            out.append(Series("inline", lead, p.n, tuple(items)))
    return out


def headline(p: Paragraph) -> int | None:
    """Length of the headline a body paragraph opens with: a short first sentence with
    no comma ("要加大安全生产投入。") or a "…方面，" clause; None when it has none."""
    m = _ITEM_END.search(p.text)
    short = m is not None and m.end() <= HEADLINE_MAX_CHARS and m.end() < len(p.text)
    if m and short and m.group() == "。" and not re.search(r"[，,：:；;]", p.text[: m.start()]):
        return m.start()
    c = _HEADLINE_CLAUSE.match(p.text)
    return c.end() - 1 if c else None


def _opening(p: Paragraph) -> Item:
    """A paragraph as a list item: a heading whole, a body paragraph by its lead."""
    if p.kind == "heading":
        return Item(p.n, p.start, p.end)
    length = headline(p)
    if length is None:
        length = clip_item(p.text)
    piece = p.text[:length].rstrip(_TRIM)
    return Item(p.n, p.start, p.start + len(piece))


def opens_with_ordinal(p: Paragraph) -> bool:
    """The paragraph starts with an ordinal marker (第一，… 一是… 首先，… （一）…)."""
    return any((m := pattern.match(p.text)) and m.start() == 0 for _, pattern in _ORDINALS)


def _tail(p: Paragraph, count: int) -> str:
    """A paragraph as the lead of the ``count`` items after it: its first sentence when
    it names a point (an ordinal, a headline, a section's own title), the sentence that
    announces them ("突出抓好以下八个方面工作"), and its last sentence."""
    sentences = [p.text[s:e].rstrip(_TRIM) for s, e in split_sentences(p.text)]
    if not sentences:
        return ""
    first = sentences[0]
    names = opens_with_ordinal(p) or headline(p) is not None or p.section.endswith(first)
    keep = [first] if names else []
    keep += [x for x in sentences if (a := announcement(x, count)) and a[0] == count]
    return "。".join(dict.fromkeys([*keep, sentences[-1]]))


def _paragraph_series(
    kind: str,
    title: str,
    children: list[Paragraph],
    before: Paragraph | None,
    owner: int,
    ranges: tuple[tuple[int, int], ...] = (),
) -> Series:
    """Paragraphs as a series, led by ``title`` and the paragraph right before them."""
    tail = _tail(before, len(children)) if before else ""
    lead = tail if title and tail.startswith(title) else "。".join(x for x in (title, tail) if x)
    items = tuple(_opening(c) for c in children)
    return Series(kind, lead, before.n if before else owner, items, ranges)


def _section_series(doc: ParsedDocument) -> list[Series]:
    """For the document and each section: its subsections; and every run of two or
    more adjacent body paragraphs of one section that open with a headline."""
    out: list[Series] = []
    paths = [tuple(p.section.split(SECTION_SEP)) if p.section else () for p in doc.paragraphs]
    owners: dict[tuple[str, ...], int] = {(): 0}
    for p, path in zip(doc.paragraphs, paths, strict=True):
        for d in range(1, len(path) + 1):
            owners.setdefault(path[:d], p.n)
    body_before = {}
    last_body: Paragraph | None = None
    for p in doc.paragraphs:
        body_before[p.n] = last_body
        if p.kind == "body":
            last_body = p
    for key, owner in owners.items():
        depth = len(key)
        inside = [
            (p, path) for p, path in zip(doc.paragraphs, paths, strict=True) if path[:depth] == key
        ]
        children: list[Paragraph] = []
        seen: set[str] = set()
        for p, path in inside:
            if len(path) == depth + 1 and path[depth] not in seen:
                seen.add(path[depth])
                children.append(p)
        title = key[-1] if key else ""
        if len(children) >= 2:
            before = body_before[children[0].n]
            if before is not None and before.n not in {p.n for p, _ in inside}:
                before = None  # the section opens with its subsections
            ranges = []
            for c in children:
                sub = paths[c.n - 1][: depth + 1]
                ranges.append((c.n, max(p.n for p, path in inside if path[: depth + 1] == sub)))
            out.append(_paragraph_series("sections", title, children, before, owner, tuple(ranges)))
    runs: list[list[Paragraph]] = []
    for p in doc.paragraphs:
        if p.kind != "body" or headline(p) is None or opens_with_ordinal(p):
            runs.append([])
        elif runs and runs[-1] and runs[-1][-1].section == p.section:
            runs[-1].append(p)
        else:
            runs.append([p])
    for run in runs:
        if len(run) >= 2:
            title = run[0].section.split(SECTION_SEP)[-1] if run[0].section else ""
            before = body_before[run[0].n]
            if before is not None and before.section != run[0].section:
                before = None  # the run opens its section: the title leads into it
            owner = owners.get(tuple(run[0].section.split(SECTION_SEP)), 0)
            out.append(_paragraph_series("paragraphs", title, run, before, owner))
    return out


# The closing words of a speech ("同志们，…！").
_CLOSING = re.compile(r"^(?:同志们|各位代表|各位)[，,！!]")
# Paragraph-opening ordinals the outline parser does not read as sections.
_PARAGRAPH_ORDINALS = ("是", "第", "①", "首先")


def _paragraph_runs(doc: ParsedDocument) -> list[Series]:
    """Body paragraphs opened by consecutive ordinals (第一，… 首先，… 一是…); other
    paragraphs may come between them."""
    out: list[Series] = []
    body = [p for p in doc.paragraphs if p.kind == "body"]
    for family, pattern in _ORDINALS:
        if family not in _PARAGRAPH_ORDINALS:
            continue
        runs: list[list[Paragraph]] = []
        last = 0
        for p in body:
            m = pattern.match(p.text)
            if not m:
                continue
            tok = m.group(1)
            if family == "①":
                value = _CIRCLED.index(tok) + 1
            elif family == "首先":
                value = _SEQUENCE_WORDS[tok] or last + 1
            else:
                value = cn_number(tok)
            if value == 1:
                runs.append([p])
            elif runs and value == last + 1:
                runs[-1].append(p)
            else:
                continue
            last = value
        closing = [p.n for p in body if _CLOSING.match(p.text)]
        for run in runs:
            if len(run) >= 2:
                before = [p for p in body if p.n < run[0].n]
                # Each point runs to the next; the last one to the closing words.
                last_n = min([n for n in closing if n > run[-1].n] or [body[-1].n + 1]) - 1
                ends = [q.n - 1 for q in run[1:]] + [max(last_n, run[-1].n)]
                ranges = tuple((q.n, e) for q, e in zip(run, ends, strict=True))
                out.append(
                    _paragraph_series(
                        "paragraphs", "", run, before[-1] if before else None, 0, ranges
                    )
                )
    return out


_FOUND: dict[tuple[str, str], tuple[Series, ...]] = {}


def series(doc: ParsedDocument) -> list[Series]:
    """Every series of parallel items in ``doc``: sections, paragraph runs, inline
    (found once per document version)."""
    key = (doc.doc_id, doc.hash)
    if key not in _FOUND:
        found = _section_series(doc) + _paragraph_runs(doc)
        before: Paragraph | None = None
        for p in doc.paragraphs:
            for one in inline_series(p):
                if len(one.lead) < SHORT_LEAD_CHARS and before is not None:
                    # "一是…" or "具体来讲，一是…" opening a paragraph: the paragraph
                    # before leads into it.
                    lead = "。".join(x for x in (_tail(before, len(one.items)), one.lead) if x)
                    one = Series(one.kind, lead, before.n, one.items)
                found.append(one)
            before = p if p.kind == "body" else before
        if len(_FOUND) >= 256:
            _FOUND.clear()
        _FOUND[key] = tuple(found)
    return list(_FOUND[key])
