"""Paragraph structure of a speech: the ¶n numbering every citation uses.

¶n is the n-th non-empty line of the text (for .docx, the n-th non-empty Word
paragraph, which the loader has put on a line of its own), 1-based, headings and
the salutation included. Section paths come from the outline markers 一、 （一）
1. （1） and Markdown headings.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from speechqa.text import split_sentences

SECTION_SEP = " › "
_CN_NUM = "一二三四五六七八九十百零〇"
# (level, pattern) of outline markers at the start of a paragraph.
_MARKERS = (
    (1, re.compile(rf"^[{_CN_NUM}]+、")),
    (2, re.compile(rf"^[（(][{_CN_NUM}]+[）)]")),
    (3, re.compile(r"^\d{1,2}[.、．](?!\d)")),
    (4, re.compile(r"^[（(]\d{1,2}[）)]")),
)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# Salutations open a speech or its closing part ("同志们：", "同志们，…").
_SALUTATION = re.compile(
    r"^(同志们|各位[^，,：:]{0,8}|尊敬的[^，,：:]{0,20}|女士们[^，,：:]{0,6}|朋友们)\s*[：:，,！!]"
)
_SENTENCE_END = re.compile(r"[。！？!?；;]")
HEADING_MAX_CHARS = 80


@dataclass(frozen=True)
class Paragraph:
    doc_id: str
    title: str
    n: int
    kind: str  # "heading" | "body" | "salutation"
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
        return {
            "doc_id": self.doc_id,
            "n": self.n,
            "level": self.level,
            "start": self.start,
            "end": self.end,
            "text_hash": self.text_hash,
        }


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
        return list(self._chunks)

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


def _chunk(p: Paragraph, level: str, start: int, end: int, text: str) -> Chunk:
    body = text[start:end]
    h = content_hash(body)
    return Chunk(
        id=f"{p.doc_id}:{p.n}:{level}:{h[:16]}",
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


def _outline_level(text: str) -> int:
    for level, pattern in _MARKERS:
        if pattern.match(text):
            return level
    return 0


def _lead(text: str) -> str:
    """A paragraph's own heading: the text up to its first sentence end."""
    m = _SENTENCE_END.search(text)
    return text[: m.start()] if m else text


def parse(text: str, fmt: str, doc_id: str, title: str) -> ParsedDocument:
    """Split text into numbered paragraphs with kinds, section paths and offsets."""
    paragraphs: list[Paragraph] = []
    stack: list[tuple[int, str]] = []  # (level, title) of the open sections
    pos = 0
    for raw in text.split("\n"):
        line_start, pos = pos, pos + len(raw) + 1
        stripped = raw.strip()
        if not stripped:
            continue
        start = line_start + (len(raw) - len(raw.lstrip()))
        end = start + len(stripped)
        md = _MD_HEADING.match(stripped) if fmt == "md" else None
        level = len(md.group(1)) if md else _outline_level(stripped)
        if md:
            kind, own = "heading", md.group(2)
        elif _SALUTATION.match(stripped):
            # A salutation opens the speech or its closing: it leaves every section.
            stack = []
            kind, own = ("salutation" if len(stripped) <= 20 else "body"), ""
        elif level:
            is_heading = len(stripped) <= HEADING_MAX_CHARS and not _SENTENCE_END.search(
                stripped[:-1]
            )
            kind, own = ("heading" if is_heading else "body"), _lead(stripped)
        else:
            kind, own = "body", ""
        if own:
            stack = [(lv, t) for lv, t in stack if lv < level]
            stack.append((level, own))
        n = len(paragraphs) + 1
        paragraphs.append(
            Paragraph(
                doc_id=doc_id,
                title=title,
                n=n,
                kind=kind,
                section=SECTION_SEP.join(t for _, t in stack),
                text=stripped,
                start=start,
                end=end,
                hash=content_hash(stripped),
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
