"""Questions about the speech's outline ("第二部分的标题是什么？", "讲话从哪三个方面…",
"第三部分第三点…", "结尾的第一句") name paragraphs by position, which neither BM25
nor embeddings can see. They are resolved here from the section paths."""

from __future__ import annotations

import re

from ingest.outline import cn_number
from ingest.parse import Paragraph, ParsedDocument

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
        top = p.section.split(" › ")[0] if p.section else ""
        if top and top not in seen:
            seen.add(top)
            tops.append(p)
    return tops


def _points(doc: ParsedDocument, part: Paragraph) -> list[Paragraph]:
    """Paragraphs that open a second-level section inside ``part``'s section."""
    top = part.section.split(" › ")[0]
    out: list[Paragraph] = []
    seen: set[str] = set()
    for p in doc.paragraphs:
        levels = p.section.split(" › ") if p.section else []
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
