"""A conversation as Markdown or Word, each answer followed by its sources.

Quotes are kept verbatim (no Markdown escaping): a speechwriter pastes them into
a draft, where 「…」（第n段） must match the speech character for character.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ingest.parse import ParsedDocument
from rag.constants import paste_quote

from .turns import MODE_LABELS, Turn

Docs = Mapping[str, ParsedDocument]
TITLE = "讲话问答记录"
EXCERPT_CHARS = 120


def _clip(text: str, limit: int = EXCERPT_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "……"


def source_lines(turn: Turn, docs: Docs) -> list[tuple[str, bool]]:
    """(line, verified) for each source of an answer: quoted spans as 「…」（第n段）,
    bare paragraph citations as an excerpt, a refusal's nearest paragraphs."""
    doc = docs.get(turn.doc_id or "")
    lines: list[tuple[str, bool]] = []

    def section(n: int) -> str:
        p = doc.paragraph(n) if doc else None
        return f"〔{p.section}〕" if p and p.section else ""

    for c in turn.citations:
        n = int(c["paragraph"])
        if c.get("quote"):
            line = paste_quote(str(c["quote"]), n) + section(n)
            if not c["verified"]:
                where = f"原文见第{c['found_in']}段" if c.get("found_in") else "原文中找不到"
                line += f"（未核实：{where}）"
            lines.append((line, bool(c["verified"])))
        else:
            p = doc.paragraph(n) if doc else None
            excerpt = f"：{_clip(p.text)}" if p else ""
            lines.append((f"第{n}段{section(n)}{excerpt}", bool(c["verified"])))
    for near in turn.nearest:
        n = int(near["paragraph"])
        lines.append((f"最接近的段落：第{n}段{section(n)}：{_clip(str(near['text']))}", True))
    return lines


def turn_markdown(turn: Turn, docs: Docs) -> str:
    """One answer with its citations, ready to paste (the 复制回答 button)."""
    if turn.kind == "quote":
        return turn.quote_markdown
    out = [turn.text.strip()]
    sources = source_lines(turn, docs)
    if sources:
        out += ["", "依据：", *[f"- {line}" for line, _ in sources]]
    return "\n".join(out) + "\n"


def _doc_title(turn: Turn, docs: Docs) -> str:
    doc = docs.get(turn.doc_id or "")
    return doc.title if doc else (turn.doc_id or "")


def conversation_markdown(turns: list[Turn], docs: Docs) -> str:
    out = [f"# {TITLE}", "", f"导出时间：{time.strftime('%Y-%m-%d %H:%M')}", ""]
    for i, turn in enumerate(turns, 1):
        label = "摘引" if turn.kind == "quote" else "问"
        meta = MODE_LABELS.get(turn.mode, turn.mode)
        title = _doc_title(turn, docs)
        out += [
            f"## {i}. {label}：{turn.question}",
            "",
            f"*{meta}{' · 《' + title + '》' if title else ''}*",
            "",
        ]
        out += [turn_markdown(turn, docs).rstrip(), ""]
    return "\n".join(out).rstrip() + "\n"


def _set_chinese_font(document: Any, name: str = "宋体") -> None:
    """Word picks the East Asian font from w:eastAsia; without it Chinese falls back
    to whatever the reader's Word chooses."""
    from docx.oxml.ns import qn

    for style_name in ("Normal", "Heading 1", "Heading 2", "Title", "List Bullet"):
        try:
            style = document.styles[style_name]
        except KeyError:
            continue
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), name)


def write_docx(turns: list[Turn], docs: Docs, path: Path) -> Path:
    """The conversation as a Word file: each question a heading, each answer with
    its sources as a bulleted list (unverified ones in red)."""
    import docx
    from docx.shared import RGBColor

    document = docx.Document()
    _set_chinese_font(document)
    document.core_properties.title = TITLE
    document.add_heading(TITLE, level=1)
    document.add_paragraph(f"导出时间：{time.strftime('%Y-%m-%d %H:%M')}")
    for i, turn in enumerate(turns, 1):
        label = "摘引" if turn.kind == "quote" else "问"
        document.add_heading(f"{i}. {label}：{turn.question}", level=2)
        title = _doc_title(turn, docs)
        meta = MODE_LABELS.get(turn.mode, turn.mode) + (f" · 《{title}》" if title else "")
        document.add_paragraph().add_run(meta).italic = True
        if turn.kind == "quote":
            for q in turn.quotes:
                document.add_paragraph(str(q.get("paste", "")), style="List Bullet")
            related = list((turn.quote or {}).get("related", []))
            if not turn.quotes:
                term = (turn.quote or {}).get("term") or turn.question
                document.add_paragraph(f"讲话中没有找到含有“{term}”的原文。")
            if related:
                term = (turn.quote or {}).get("term") or turn.question
                document.add_paragraph().add_run(f"相关段落（不含“{term}”）：").bold = True
                for q in related:
                    document.add_paragraph(str(q.get("paste", "")), style="List Bullet")
            continue
        for line in turn.text.strip().splitlines():
            document.add_paragraph(line)
        sources = source_lines(turn, docs)
        if sources:
            document.add_paragraph().add_run("依据：").bold = True
            for line, verified in sources:
                run = document.add_paragraph(style="List Bullet").add_run(line)
                if not verified:
                    run.font.color.rgb = RGBColor(0xB4, 0x23, 0x18)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path
