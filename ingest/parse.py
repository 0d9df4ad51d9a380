"""Paragraph structure of a speech: the ¶n numbering every citation uses.

¶n is the n-th non-empty line of the text, 1-based, title, headings and the
salutation included. For .docx the loader has put each Word paragraph and each
table row on a line of its own (see ingest.load), headings marked with Markdown
"#"s. A paragraph's text is its visible words: a Markdown heading's "#"s are not
part of it.

Kinds: "title" (the document's own title line, ¶1), "byline" (the speaker, date or
occasion lines under the title), "heading", "salutation" and "body".

Section paths come from the outline: Markdown and Word headings, and the markers a
paragraph opens with (一、 （一） 1. （1）, and 第一， 第一部分 第一条 其一， 一是
首先/其次/…/最后 where the document uses them as a series, ingest.outline). How
deep a family sits follows the order in which the document uses it: a family opens
inside whatever section is open when it first appears, and a later item of an open
family is that section's sibling, so a speech that opens its points with 第一， and
writes 一是 inside them has 第一 at the top. Headings and the conventional order of
一、 （一） 1. （1） hold among themselves (一、 closes an open （一）).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from speechqa.text import split_sentences

from .outline import Marker, start_marker

SECTION_SEP = " › "
# A .docx table row is stored as one line, cells joined with this.
TABLE_CELL_SEP = "｜"
# A .docx paragraph that itself starts with "#" is stored behind this escape.
DOCX_ESCAPE = "\\"
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# Salutations open a speech or its closing part ("同志们：", "同志们，…").
_SALUTATION = re.compile(
    r"^(同志们|各位[^，,：:]{0,8}|尊敬的[^，,：:]{0,20}|女士们[^，,：:]{0,6}|朋友们)\s*[：:，,！!]"
)
_ADDRESS = re.compile(r"^(同志们|各位|尊敬的|女士们|先生们|朋友们)")
_SENTENCE_END = re.compile(r"[。！？!?；;]")
# Bracketed or dash-led lines are a date or an occasion, never the title.
_BYLINE_SHAPE = re.compile(r"^(?:[（(].*[）)]|[—－-]{1,2}.*)$")
# Shape limits of the genre's layout (not fitted to any document): a heading is one
# line of at most two printed lines; a title, and each speaker/date/occasion line
# under it, fits a heading line; a title block has at most a subtitle, an occasion,
# a speaker and a date.
HEADING_MAX_CHARS = 80
TITLE_MAX_CHARS = 60
BYLINE_MAX_CHARS = 60
MAX_BYLINES = 4


@dataclass(frozen=True)
class Paragraph:
    doc_id: str
    title: str
    n: int
    kind: str  # "title" | "byline" | "heading" | "body" | "salutation"
    section: str  # "一、… › （二）…", "" before the first heading
    text: str
    start: int
    end: int
    hash: str

    def to_dict(self) -> dict[str, object]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "n": self.n,
            "kind": self.kind,
            "section": self.section,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class Chunk:
    """A retrieval unit: a whole paragraph ("p") or one of its sentences ("s")."""

    id: str
    doc_id: str
    n: int
    level: str
    text: str
    start: int
    end: int
    text_hash: str

    def metadata(self) -> dict[str, str | int]:
        """What the index stores beside the vector: the document, for filtering by it.
        Everything else is in the id (document, ¶, level, text hash) or in the corpus
        (the text, its span); Chroma keeps every metadata key as a row with an index, and
        a text also in its full-text index, so each one more would cost on every chunk."""
        return {"doc_id": self.doc_id}


@dataclass(frozen=True)
class ParsedDocument:
    doc_id: str
    title: str
    format: str
    text: str
    hash: str
    paragraphs: list[Paragraph] = field(default_factory=list)

    def paragraph(self, n: int) -> Paragraph | None:
        return self.paragraphs[n - 1] if 1 <= n <= len(self.paragraphs) else None

    def chunks(self) -> list[Chunk]:
        """Every retrieval unit: each paragraph, and its sentences when it has more than one."""
        return list(self._chunks)

    def index_chunks(self) -> list[Chunk]:
        """The units the dense index searches: the paragraphs (sentences are only read
        by their text hash: ingest.vectorfile)."""
        return [c for c in self._chunks if c.level == "p"]

    @cached_property
    def _chunks(self) -> tuple[Chunk, ...]:
        # Ingest and the corpus ask for the chunks several times; sentence splitting
        # and hashing are the cost.
        out: list[Chunk] = []
        for p in self.paragraphs:
            out.append(_chunk(p, "p", p.start, p.end, self.text))
            spans = split_sentences(p.text, p.start)
            if len(spans) > 1:
                for i, (s, e) in enumerate(spans):
                    out.append(_chunk(p, f"s{i}", s, e, self.text))
        return tuple(out)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# A unit's key: the first 16 hex digits of its text's hash, the last part of its chunk
# id and (as a 64-bit int) its row in the vector file.
KEY_DIGITS = 16


def unit_key(text: str, start: int, end: int) -> str:
    """The key of the unit ``text[start:end]`` (a paragraph or sentence of a document)."""
    return content_hash(text[start:end])[:KEY_DIGITS]


def key_in(chunk_id: str) -> str:
    """The unit key a chunk id ends with."""
    return chunk_id.rsplit(":", 1)[-1]


def _chunk(p: Paragraph, level: str, start: int, end: int, text: str) -> Chunk:
    body = text[start:end]
    h = content_hash(body)
    return Chunk(
        id=f"{p.doc_id}:{p.n}:{level}:{h[:KEY_DIGITS]}",
        doc_id=p.doc_id,
        n=p.n,
        level=level[0],
        text=body,
        start=start,
        end=end,
        text_hash=h,
    )


def slugify(name: str) -> str:
    """Stable doc_id from a file name: NFKC, lower case, words joined by '-'.
    Chinese characters are kept (they are the name of most speeches)."""
    stem = unicodedata.normalize("NFKC", Path(name).stem).lower()
    slug = re.sub(r"[^\w]+", "-", stem, flags=re.UNICODE).strip("-_")
    return slug[:80] or "document"


@dataclass(frozen=True)
class _Line:
    """A non-empty line: the offsets and text of its visible words."""

    start: int
    end: int
    text: str
    heading: int  # Markdown heading depth (number of "#"s) for .md/.docx, else 0
    row: bool  # a .docx table row: never an outline marker


def _lines(text: str, fmt: str) -> list[_Line]:
    markup = fmt in ("md", "docx")
    out: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        line_start, pos = pos, pos + len(raw) + 1
        stripped = raw.strip()
        if not stripped:
            continue
        start = line_start + (len(raw) - len(raw.lstrip()))
        words, heading = stripped, 0
        md = _MD_HEADING.match(stripped) if markup else None
        if md and md.group(2):
            words, heading = md.group(2), len(md.group(1))
            start += md.start(2)
        elif fmt == "docx" and stripped.startswith(DOCX_ESCAPE + "#"):
            words, start = stripped[len(DOCX_ESCAPE) :], start + len(DOCX_ESCAPE)
        row = fmt == "docx" and not heading and TABLE_CELL_SEP in words
        out.append(_Line(start, start + len(words), words, heading, row))
    return out


@dataclass(frozen=True)
class _Opener:
    """What opens a section: a heading ("#2", rank depth - 10, above every marker) or a
    marker family (rank 1-4 for 一、 （一） 1. （1）, 0 for the series families)."""

    family: str
    rank: int


@dataclass(frozen=True)
class _Open:
    family: str
    rank: int
    title: str


def _place(stack: list[_Open], opener: _Opener) -> int:
    """Where a new section goes among the open ones (the stack keeps what is before
    it). A section of a family already open is its sibling. A heading closes all but
    the shallower headings. A strong marker closes the open sections of a
    conventionally deeper strong family (一、 closes （一）). Any other section opens
    inside the innermost one: the family a document uses first is its top level."""
    for i, open_ in enumerate(stack):
        if open_.family == opener.family:
            return i
    for i, open_ in enumerate(stack):
        if opener.rank < 0 and not (open_.rank < opener.rank):
            return i
        if opener.rank > 0 and open_.rank > opener.rank:
            return i
    return len(stack)


@dataclass(frozen=True)
class _Outline:
    """What the structure pass knows about a document's lines."""

    lines: list[_Line]
    openers: list[_Opener | None]
    title: int | None  # index of the title line
    bylines: frozenset[int]


def _series(markers: list[Marker | None]) -> set[str]:
    """Families that are not outline markers by themselves (第一， 一是 首先 …) but
    that the document uses as a series: an item 1 and a later item after it."""
    first: set[str] = set()
    out: set[str] = set()
    for m in markers:
        if m is None or m.strong:
            continue
        if m.ordinal == 1:
            first.add(m.family)
        elif m.family in first:
            out.add(m.family)
    return out


def _openers(lines: list[_Line]) -> list[_Opener | None]:
    """The section each line opens, if any. A marker family that a heading opens
    with ("## 一、…") stands for that heading's level wherever it opens an unstyled
    paragraph too."""
    found = [None if line.heading or line.row else start_marker(line.text) for line in lines]
    series = _series(found)
    alias: dict[str, int] = {}
    for line in lines:
        inner = start_marker(line.text) if line.heading else None
        if inner is not None:
            alias.setdefault(inner.family, line.heading)
    out: list[_Opener | None] = []
    for line, m in zip(lines, found, strict=True):
        depth = line.heading or (alias.get(m.family, 0) if m is not None else 0)
        if depth:
            out.append(_Opener(f"#{depth}", depth - 10))
        elif m is not None and (m.strong or m.family in series):
            out.append(_Opener(m.family, m.rank))
        else:
            out.append(None)
    return out


def _short_plain(line: _Line, limit: int) -> bool:
    """A short line that is no heading, table row, outline item, address or sentence:
    the shape of a title and of the byline lines under it."""
    t = line.text
    return (
        not line.heading
        and not line.row
        and len(t) <= limit
        and not _SENTENCE_END.search(t)
        and t[-1] not in "：:"
        and start_marker(t) is None
        and not _ADDRESS.match(t)
    )


def _title_like(line: _Line) -> bool:
    return (
        _short_plain(line, TITLE_MAX_CHARS)
        and line.text[-1] not in "，,、"
        and not _BYLINE_SHAPE.match(line.text)
    )


def _title_index(lines: list[_Line]) -> int | None:
    """¶1 is the title when it is a heading above every other heading, or an
    unmarked short line without sentence punctuation, with text after it."""
    if len(lines) < 2:
        return None
    first = lines[0]
    if first.heading:
        above = all(not line.heading or line.heading > first.heading for line in lines[1:])
        return 0 if above else None
    return 0 if _title_like(first) else None


def _bylines(lines: list[_Line], title: int | None) -> frozenset[int]:
    """The short lines right under the title (speaker, date, occasion); without a
    title, leading bracketed or dash-led lines (（2024年2月26日）, ——在…上)."""
    out: set[int] = set()
    i = 0 if title is None else title + 1
    while i < len(lines) and len(out) < MAX_BYLINES and _short_plain(lines[i], BYLINE_MAX_CHARS):
        if title is None and not _BYLINE_SHAPE.match(lines[i].text):
            break
        out.add(i)
        i += 1
    return frozenset(out)


def _outline(text: str, fmt: str) -> _Outline:
    lines = _lines(text, fmt)
    title = _title_index(lines)
    return _Outline(lines, _openers(lines), title, _bylines(lines, title))


def title_line(text: str, fmt: str) -> str:
    """The document's own title line (¶1, see _title_index), "" when it has none."""
    outline = _outline(text, fmt)
    return outline.lines[outline.title].text if outline.title is not None else ""


def _lead(text: str) -> str:
    """A paragraph's own heading: the text up to its first sentence end."""
    m = _SENTENCE_END.search(text)
    return text[: m.start()] if m else text


def _is_heading(outline: _Outline, i: int, stack: list[_Open]) -> bool:
    """A marker paragraph is a heading when it is one short sentence. One that ends
    like a sentence (。；) is a heading only when what follows belongs to it
    (``stack`` has it open): a run of such items with nothing under them
    ("1.新建学校15所。" "2.…") is a list."""
    t = outline.lines[i].text
    if len(t) > HEADING_MAX_CHARS or _SENTENCE_END.search(t[:-1]):
        return False
    if not _SENTENCE_END.match(t[-1]):
        return True
    if i + 1 >= len(outline.lines) or _SALUTATION.match(outline.lines[i + 1].text):
        return False
    below = outline.openers[i + 1]
    return below is None or _place(stack, below) == len(stack)


def parse(text: str, fmt: str, doc_id: str, title: str) -> ParsedDocument:
    """Split text into numbered paragraphs with kinds, section paths and offsets."""
    outline = _outline(text, fmt)
    paragraphs: list[Paragraph] = []
    stack: list[_Open] = []  # the open sections, outermost first
    for i, line in enumerate(outline.lines):
        opener = outline.openers[i]
        if i == outline.title:
            kind = "title"
        elif i in outline.bylines:
            kind = "byline"
        elif opener is not None:
            own = line.text if line.heading else _lead(line.text)
            stack = [*stack[: _place(stack, opener)], _Open(opener.family, opener.rank, own)]
            heading = bool(line.heading) or _is_heading(outline, i, stack)
            kind = "heading" if heading else "body"
        elif _SALUTATION.match(line.text):
            # A salutation opens the speech or its closing: it leaves every section.
            stack = []
            kind = "salutation" if len(line.text) <= 20 else "body"
        else:
            kind = "body"
        paragraphs.append(
            Paragraph(
                doc_id=doc_id,
                title=title,
                n=i + 1,
                kind=kind,
                section=SECTION_SEP.join(open_.title for open_ in stack),
                text=line.text,
                start=line.start,
                end=line.end,
                hash=content_hash(line.text),
            )
        )
    return ParsedDocument(
        doc_id=doc_id,
        title=title,
        format=fmt,
        text=text,
        hash=content_hash(f"{fmt}\n{title}\n{text}"),
        paragraphs=paragraphs,
    )
