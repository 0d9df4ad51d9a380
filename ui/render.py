"""HTML of the web chat: conversation, citation chips, sources panel, paragraph
strip and full-text viewer.

Every piece of text that comes from a document, a model or a user goes through
:func:`esc` before it touches markup, so a speech containing ``<script>`` shows
the characters and runs nothing. The only markup is built here, from constants.
Interactive elements carry ``data-act`` (and the citation's ``data-*``); the
page's script (see ui.app) turns a click on one into a Gradio event.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.parse import Paragraph, ParsedDocument
from rag.constants import (
    CITATION_RE,
    PARTIAL_LABEL,
    QUOTE_CLOSE,
    QUOTE_OPEN,
    REFUSAL_PHRASE,
    UNVERIFIED_MARK,
    paste_quote,
)
from speechqa.settings import mask_url

from .export import turn_markdown
from .turns import MODE_LABELS, Turn

if TYPE_CHECKING:
    from ingest.store import DocRecord
    from speechqa.settings import Settings

Span = tuple[int, int]
Docs = Mapping[str, ParsedDocument]

UNVERIFIED_LABEL = "未核实"
SOURCES_EMPTY = (
    "提问后，这里列出回答引用的原文段落，引文在段落中高亮；点击 ¶ 编号可在下方全文中定位。"
)
LLM_STATES = {
    "ready": ("就绪", "ok"),
    "not configured": ("未配置", "off"),
    "failing": ("故障，已回退到抽取式", "bad"),
}
# Inline icons: emoji fonts are missing on many office PCs and servers.
_THUMB = (
    '<svg class="sq-icon" viewBox="0 0 24 24" width="14" height="14" aria-hidden="true"{rot}>'
    '<path fill="currentColor" d="M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8'
    "-.4-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2"
    '.2-.5.2-.7v-2z"/></svg>'
)
THUMB_UP = _THUMB.format(rot="")
THUMB_DOWN = _THUMB.format(rot=' style="transform: rotate(180deg)"')
_QUOTE_HTML = re.compile(f"{QUOTE_OPEN}([^{QUOTE_OPEN}{QUOTE_CLOSE}]+){QUOTE_CLOSE}")


def esc(text: object) -> str:
    """Text → HTML text (and attribute value): &, <, >, " and ' escaped."""
    return html.escape(str(text), quote=True)


def _attrs(**data: object) -> str:
    """data-* attributes; None values are left out."""
    return "".join(
        f' data-{k.replace("_", "-")}="{esc(v)}"' for k, v in data.items() if v is not None
    )


# ---- pieces ----------------------------------------------------------------
def _relative(p: Paragraph, start: object, end: object) -> Span | None:
    """A document span as offsets inside ``p``; None if it is not inside it."""
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    s, e = start - p.start, end - p.start
    return (s, e) if 0 <= s < e <= len(p.text) else None


def is_quote(c: Mapping[str, Any]) -> bool:
    """A quote (of an answer, or a quote-mode passage), not a bare [¶n] citation whose
    offsets are the whole paragraph's."""
    return bool(c.get("quote") or c.get("text"))


def marked(
    text: str, spans: Iterable[Span], cls: str = "sq-mark", values: Iterable[Span] = ()
) -> str:
    """Escaped ``text`` with each span wrapped in <mark>; overlapping spans merge.
    ``values`` (the values a question asked for) are marked inside with sq-value."""
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        s, e = max(0, s), min(len(text), e)
        if s >= e:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    strong = [(max(0, s), min(len(text), e)) for s, e in values if s < e]
    out, pos = [], 0
    for s, e in merged:
        out.append(esc(text[pos:s]))
        out.append(f'<mark class="{cls}">{_with_values(text, s, e, strong)}</mark>')
        pos = e
    out.append(esc(text[pos:]))
    return "".join(out)


def _with_values(text: str, start: int, end: int, values: list[Span]) -> str:
    """Escaped text[start:end] with the values inside it wrapped in <b class="sq-value">."""
    out, pos = [], start
    for s, e in sorted(values):
        s, e = max(s, pos), min(e, end)
        if s >= e:
            continue
        out.append(esc(text[pos:s]))
        out.append(f'<b class="sq-value">{esc(text[s:e])}</b>')
        pos = e
    out.append(esc(text[pos:end]))
    return "".join(out)


def _value_in_quote(c: Mapping[str, Any], quote: str) -> tuple[str, Span] | None:
    """(quote, span of the citation's asked value inside the quote's text), if it has one."""
    v, start = value_span(c), c.get("start")
    if v is None or not isinstance(start, int):
        return None
    rel = (v[0] - start, v[1] - start)
    return (quote, rel) if 0 <= rel[0] < rel[1] <= len(quote) else None


def value_span(c: Mapping[str, Any]) -> Span | None:
    """Document span of the asked value a citation's quote holds, if any."""
    s, e = c.get("value_start"), c.get("value_end")
    return (s, e) if isinstance(s, int) and isinstance(e, int) and s < e else None


def chip(
    doc_id: str | None,
    n: int,
    *,
    turn_id: str | None = None,
    start: object = None,
    end: object = None,
    kind: str = "ok",
    title: str = "",
    active: bool = True,
) -> str:
    """A citation chip [¶n]; ``kind`` ok | bad (unverified) | near (refusal) | plain."""
    label = f"¶{n}"
    if not active or doc_id is None:
        return f'<span class="sq-chip sq-{kind}">{esc(label)}</span>'
    return (
        f'<button type="button" class="sq-chip sq-{kind}" title="{esc(title or f"第{n}段")}"'
        f"{_attrs(act='cite', turn=turn_id, doc=doc_id, para=n, start=start, end=end)}>"
        f"{esc(label)}</button>"
    )


def copy_button(text: str, label: str = "复制", title: str = "") -> str:
    return (
        f'<button type="button" class="sq-btn sq-copy" title="{esc(title or label)}"'
        f"{_attrs(act='copy', copy=text, label=label)}>{esc(label)}</button>"
    )


def _section(doc: ParsedDocument | None, n: int) -> str:
    p = doc.paragraph(n) if doc else None
    return p.section if p else ""


def _pick(citations: list[dict[str, Any]], n: int, quote: str | None) -> dict[str, Any] | None:
    """The citation a [¶n] marker stands for: same paragraph, the quote just before it."""
    same = [c for c in citations if int(c.get("paragraph", -1)) == n]
    for c in same:
        if quote is not None and c.get("quote") == quote:
            return c
    for c in same:
        if not c.get("quote"):
            return c
    return same[0] if same else None


def _inline_text(text: str, value: tuple[str, Span] | None = None) -> str:
    """Escaped answer prose: 「quotes」 styled, the unverified mark as a badge, lines kept.
    ``value`` (a quote and the span of its asked value) is shown in bold in the last
    quote with that text."""
    quotes = list(_QUOTE_HTML.finditer(text))
    target = None
    if value is not None:
        target = next((m for m in reversed(quotes) if m.group(1) == value[0]), None)
    out, pos = [], 0
    for m in quotes:
        out.append(esc(text[pos : m.start()]))
        inner = m.group(1)
        body = (
            _with_values(inner, 0, len(inner), [value[1]]) if m is target and value else esc(inner)
        )
        out.append(f'<span class="sq-q">{QUOTE_OPEN}{body}{QUOTE_CLOSE}</span>')
        pos = m.end()
    out.append(esc(text[pos:]))
    html_text = "".join(out)
    html_text = html_text.replace(
        esc(UNVERIFIED_MARK), f'<span class="sq-unver">{UNVERIFIED_LABEL}</span>'
    )
    return html_text.replace("\n", "<br>")


def answer_html(
    text: str,
    citations: list[dict[str, Any]],
    *,
    doc_id: str | None,
    doc: ParsedDocument | None = None,
    turn_id: str | None = None,
    refused: bool = False,
    active: bool = True,
) -> str:
    """Answer text with each [¶n] turned into a chip that knows its quote's offsets."""
    out: list[str] = []
    pos = 0
    for m in CITATION_RE.finditer(text):
        before = text[pos : m.start()]
        quotes = [q.group(1) for q in _QUOTE_HTML.finditer(before)]
        last_quote = quotes[-1] if quotes else None
        chips = []
        value: tuple[str, Span] | None = None
        for n in (int(x) for x in re.findall(r"\d+", m.group(1))):
            c = _pick(citations, n, last_quote)
            p = doc.paragraph(n) if doc else None
            kind = "near" if refused else ("bad" if c is not None and not c["verified"] else "ok")
            if c is not None and last_quote is not None:
                value = _value_in_quote(c, last_quote) or value
            chips.append(
                chip(
                    str(c["doc_id"]) if c else doc_id,
                    n,
                    turn_id=turn_id,
                    start=c.get("start") if c and is_quote(c) else None,
                    end=c.get("end") if c and is_quote(c) else None,
                    kind=kind if active else "plain",
                    title=f"第{n}段" + (f" · {p.section}" if p and p.section else ""),
                    active=active,
                )
            )
        out.append(_inline_text(before, value))
        out += chips
        pos = m.end()
    out.append(_inline_text(text[pos:]))
    return "".join(out)


# ---- conversation --------------------------------------------------------------
def _toolbar(turn: Turn, docs: Docs) -> str:
    parts = [copy_button(turn_markdown(turn, docs), "复制回答", "复制整段回答及出处（Markdown）")]
    if turn.kind == "quote" and turn.quotes:
        pastes = "\n".join(str(q.get("paste", "")) for q in turn.quotes)
        parts.append(copy_button(pastes, "复制全部引文", "每条一行：「…」（第n段）"))
    parts.append(
        '<span class="sq-fb">'
        f'<button type="button" class="sq-btn sq-fbbtn" title="这条回答有帮助"'
        f"{_attrs(act='fb', turn=turn.id, rating='up')}>{THUMB_UP}有用</button>"
        f'<button type="button" class="sq-btn sq-fbbtn" title="这条回答没帮助或有错"'
        f"{_attrs(act='fb', turn=turn.id, rating='down')}>{THUMB_DOWN}没用</button></span>"
    )
    meta = MODE_LABELS.get(turn.mode, turn.mode)
    if turn.answer and turn.answer.get("timings_ms"):
        meta += f" · {elapsed_text(float(turn.answer['timings_ms'].get('total', 0.0)))}"
    doc = docs.get(turn.doc_id or "")
    if doc is not None and len(docs) > 1:
        meta += f" · {doc.title}"
    parts.append(f'<span class="sq-meta">{esc(meta)}</span>')
    return f'<div class="sq-tools">{"".join(parts)}</div>'


def _passage(turn: Turn, q: Mapping[str, Any]) -> str:
    """One quote-mode passage: 「text」, its chip, a copy button, its section."""
    n = int(q["paragraph"])
    return (
        "<li>"
        f'<span class="sq-q">{QUOTE_OPEN}{esc(q["text"])}{QUOTE_CLOSE}</span>'
        + chip(
            str(q["doc_id"]),
            n,
            turn_id=turn.id,
            start=q.get("start"),
            end=q.get("end"),
            title=f"第{n}段",
        )
        + copy_button(paste_quote(str(q["text"]), n), "复制", "复制为「…」（第n段）")
        + (f'<div class="sq-section">{esc(q["section"])}</div>' if q.get("section") else "")
        + "</li>"
    )


def quote_body(turn: Turn, doc: ParsedDocument | None) -> str:
    """Quote mode: numbered verbatim passages that contain the topic term, with ¶n and
    copy buttons; related passages without the term apart; then the concordance, each
    paragraph once with its count."""
    quotes = turn.quotes
    result = turn.quote or {}
    related = list(result.get("related", []))
    concordance = list(result.get("concordance", []))
    term = str(result.get("term") or turn.question)
    if not quotes and not related and not concordance:
        return f'<p class="sq-refusal">{esc(f"讲话中没有找到与“{turn.question}”相关的原文。")}</p>'
    if quotes:
        out = [f'<p class="sq-lead">含有“{esc(term)}”的原文：</p><ol class="sq-quotes">']
        out += [_passage(turn, q) for q in quotes]
        out.append("</ol>")
    else:
        out = [f'<p class="sq-lead">{esc(f"讲话中没有找到含有“{term}”的原文。")}</p>']
    if related:
        out.append(
            f'<div class="sq-related"><div class="sq-lead">相关段落（不含“{esc(term)}”）：</div>'
            '<ol class="sq-quotes">'
        )
        out += [_passage(turn, q) for q in related]
        out.append("</ol></div>")
    if concordance:
        out.append('<div class="sq-concord"><div class="sq-lead">词语出现位置：</div>')
        for c in concordance:
            chips = "".join(
                chip(
                    turn.doc_id,
                    int(pc["paragraph"]),
                    turn_id=turn.id,
                    start=pc.get("start"),
                    end=pc.get("end"),
                    kind="ok",
                    title=f"第{pc['paragraph']}段出现{int(pc.get('count', 1))}次："
                    f"…{pc.get('left', '')}【{c['term']}】{pc.get('right', '')}…",
                )
                + (
                    f'<span class="sq-times">×{int(pc["count"])}</span>'
                    if int(pc.get("count", 1)) > 1
                    else ""
                )
                for pc in c.get("paragraphs", [])
            )
            out.append(
                f'<div class="sq-term"><b>{esc(c["term"])}</b> {int(c["count"])} 次 {chips}</div>'
            )
        out.append("</div>")
    return "".join(out)


def turn_body(turn: Turn, docs: Docs) -> str:
    doc = docs.get(turn.doc_id or "")
    if turn.kind == "quote":
        return quote_body(turn, doc)
    a = turn.answer or {}
    body = answer_html(
        str(a.get("answer", "")),
        turn.citations,
        doc_id=turn.doc_id,
        doc=doc,
        turn_id=turn.id,
        refused=turn.refused,
    )
    if turn.partial:
        label = f'<span class="sq-partial-label" title="讲话没有直接回答，以下为最相关的原文">{PARTIAL_LABEL}</span>'
        return f'<div class="sq-answer sq-partial">{label}{body}</div>'
    cls = "sq-answer sq-refused" if turn.refused else "sq-answer"
    return f'<div class="{cls}">{body}</div>'


def chat_html(
    turns: list[Turn],
    docs: Docs,
    *,
    pending_question: str | None = None,
    pending_text: str | None = None,
    welcome: str = "",
) -> str:
    """The whole conversation; a pending question streams its text without live chips."""
    out = ['<div class="sq-chat" data-stick="1">']
    if not turns and pending_question is None:
        out.append(f'<div class="sq-welcome">{welcome}</div>')
    for turn in turns:
        label = "摘引" if turn.kind == "quote" else "问"
        out.append(
            f'<div class="sq-msg sq-user"><span class="sq-tag">{label}</span>{esc(turn.question)}</div>'
            f'<div class="sq-msg sq-bot" data-turn="{esc(turn.id)}">{turn_body(turn, docs)}'
            f"{inline_sources_html(turn, docs)}{_toolbar(turn, docs)}</div>"
        )
    if pending_question is not None:
        out.append(f'<div class="sq-msg sq-user">{esc(pending_question)}</div>')
        if pending_text:
            body = answer_html(pending_text, [], doc_id=None, active=False)
        else:
            body = '<span class="sq-typing">正在查找原文<i></i><i></i><i></i></span>'
        out.append(
            f'<div class="sq-msg sq-bot sq-pending"><div class="sq-answer">{body}</div></div>'
        )
    out.append("</div>")
    return "".join(out)


# ---- sources panel -------------------------------------------------------------
def _source_card(
    doc: ParsedDocument | None,
    n: int,
    *,
    turn_id: str | None,
    doc_id: str | None,
    spans: list[Span],
    status: str,
    copy: str | None,
    note: str = "",
    copy_label: str = "复制引文",
    values: Iterable[Span] = (),
) -> str:
    p = doc.paragraph(n) if doc else None
    text = marked(p.text, spans, values=values) if p else esc("（该段落已不在索引中）")
    section = f'<span class="sq-section">{esc(p.section)}</span>' if p and p.section else ""
    badge = {
        "ok": '<span class="sq-badge sq-badge-ok">已核实</span>',
        "bad": f'<span class="sq-badge sq-badge-bad">{UNVERIFIED_LABEL}</span>',
        "near": '<span class="sq-badge sq-badge-near">最接近</span>',
    }[status]
    tools = copy_button(copy, copy_label, "复制为「…」（第n段）") if copy else ""
    first = spans[0] if spans and p else None
    head = chip(
        doc_id,
        n,
        turn_id=turn_id,
        start=p.start + first[0] if p and first else None,
        end=p.start + first[1] if p and first else None,
        kind="near" if status == "near" else status,
        title=f"在全文中查看第{n}段",
    )
    return (
        f'<div class="sq-card sq-card-{status}" data-para="{n}"><div class="sq-card-head">{head}{badge}{section}'
        f"{tools}</div>"
        + (f'<div class="sq-note">{note}</div>' if note else "")
        + f'<div class="sq-card-text">{text}</div></div>'
    )


def sources_html(turn: Turn | None, docs: Docs, empty: str = "") -> str:
    """Where the current answer comes from: each cited paragraph with its quote marked.
    ``empty``: what the panel says when there is no answer to show (a first visit, or a
    document just switched to)."""
    if turn is None:
        return f'<div class="sq-sources sq-empty">{empty or SOURCES_EMPTY}</div>'
    head, cards = source_cards(turn, docs)
    return f'<div class="sq-sources"><div class="sq-panel-head">{esc(head)}</div>{"".join(cards)}</div>'


def inline_sources_html(turn: Turn, docs: Docs) -> str:
    """The sources of one answer folded under it (shown on narrow screens instead of
    the side panel): a citation tap opens it at its paragraph."""
    _, cards = source_cards(turn, docs)
    n = sum(1 for c in cards if 'class="sq-card ' in c)
    what = "最接近的段落" if turn.refused else "原文出处"
    label = f"{what} · {n} 段" if n else what
    return (
        f'<details class="sq-inline-src"><summary>{esc(label)}'
        '<span class="sq-hint-inline">（点开核对）</span></summary>'
        f"{''.join(cards)}</details>"
    )


def source_cards(turn: Turn, docs: Docs) -> tuple[str, list[str]]:
    """(panel heading, one card per paragraph) for a turn's sources."""
    doc = docs.get(turn.doc_id or "")
    cards: list[str] = []
    if turn.kind == "quote":
        by_quote_para: dict[int, list[dict[str, Any]]] = {}
        for q in turn.quotes:
            by_quote_para.setdefault(int(q["paragraph"]), []).append(q)
        for n, qs in by_quote_para.items():
            p = doc.paragraph(n) if doc else None
            spans = (
                [s for s in (_relative(p, q.get("start"), q.get("end")) for q in qs) if s]
                if p
                else []
            )
            cards.append(
                _source_card(
                    doc,
                    n,
                    turn_id=turn.id,
                    doc_id=turn.doc_id,
                    spans=spans,
                    status="ok",
                    copy="\n".join(paste_quote(str(q["text"]), n) for q in qs),
                )
            )
        head = f"摘引 · {len(turn.quotes)} 条原文"
    elif turn.refused:
        for near in turn.nearest:
            cards.append(
                _source_card(
                    doc,
                    int(near["paragraph"]),
                    turn_id=turn.id,
                    doc_id=str(near["doc_id"]),
                    spans=[],
                    status="near",
                    copy=None,
                )
            )
        head = f"{REFUSAL_PHRASE}以下是最接近的段落，仅供参考"
    else:
        by_para: dict[int, list[dict[str, Any]]] = {}
        for c in turn.citations:
            by_para.setdefault(int(c["paragraph"]), []).append(c)
        for n, cits in by_para.items():
            p = doc.paragraph(n) if doc else None
            spans = (
                [
                    s
                    for s in (
                        _relative(p, c.get("start"), c.get("end")) for c in cits if is_quote(c)
                    )
                    if s
                ]
                if p
                else []
            )
            values = [
                rel
                for c in cits
                if p and (v := value_span(c)) and (rel := _relative(p, v[0], v[1]))
            ]
            bad = [c for c in cits if not c["verified"]]
            notes = []
            for c in bad:
                where = (
                    f"（原文见第{c['found_in']}段）" if c.get("found_in") else "（原文中找不到）"
                )
                notes.append(
                    f'<span class="sq-unver">{UNVERIFIED_LABEL}</span> '
                    f"{esc(QUOTE_OPEN + str(c.get('quote') or '') + QUOTE_CLOSE)}{esc(where)}"
                )
            quoted = [c for c in cits if c["verified"] and c.get("quote")]
            # Verified quotes are what to paste; without one, the paragraph itself.
            copy = "\n".join(paste_quote(str(c["quote"]), n) for c in quoted) or (
                paste_quote(p.text, n) if p else None
            )
            cards.append(
                _source_card(
                    doc,
                    n,
                    turn_id=turn.id,
                    doc_id=str(cits[0]["doc_id"]),
                    spans=spans,
                    status="bad" if bad and not quoted else "ok",
                    copy=copy,
                    copy_label="复制引文" if quoted else "复制本段",
                    note="<br>".join(notes),
                    values=values,
                )
            )
        invalid = (turn.answer or {}).get("invalid_citations") or []
        if invalid:
            cards.append(
                '<div class="sq-note">回答还引用了不存在或未提供的段落：'
                + esc("、".join(f"¶{n}" for n in invalid))
                + "（已删除）</div>"
            )
        uncited = int((turn.answer or {}).get("uncited_sentences") or 0)
        if uncited:
            cards.append(
                f'<div class="sq-note">有 {uncited} 句回答没有标注出处，请谨慎使用。</div>'
            )
        head = (
            f"{PARTIAL_LABEL} · {len(by_para)} 个段落（讲话没有直接回答）"
            if turn.partial
            else f"依据 · {len(by_para)} 个段落"
        )
    if not cards:
        cards.append('<div class="sq-empty">这条回答没有可显示的原文段落。</div>')
    return head, cards


# ---- where in the speech ------------------------------------------------------------
def strip_html(doc: ParsedDocument | None, turn: Turn | None, focus: int | None = None) -> str:
    """One cell per paragraph; cells the current answer cites are lit."""
    if doc is None:
        return '<div class="sq-strip sq-empty">还没有导入文档。</div>'
    lit = set(turn.cited_paragraphs()) if turn and turn.doc_id == doc.doc_id else set()
    near = set(turn.near_paragraphs()) if turn and turn.doc_id == doc.doc_id else set()
    cells = []
    for p in doc.paragraphs:
        cls = ["sq-cell"]
        if p.kind == "heading":
            cls.append("sq-cell-head")
        if p.n in lit:
            cls.append("sq-lit")
        elif p.n in near:
            cls.append("sq-near")
        if p.n == focus:
            cls.append("sq-focus")
        tip = f"第{p.n}段" + (f" · {p.section}" if p.section else "")
        cells.append(
            f'<button type="button" class="{" ".join(cls)}" title="{esc(tip)}"'
            f"{_attrs(act='cite', turn=turn.id if turn else None, doc=doc.doc_id, para=p.n)}>"
            f"{p.n}</button>"
        )
    legend = (
        '<span class="sq-legend"><i class="sq-lit"></i>引用 <i class="sq-near"></i>最接近 '
        '<i class="sq-cell-head"></i>标题</span>'
    )
    return (
        f'<div class="sq-strip-wrap"><div class="sq-panel-head">段落分布 · 共 {len(doc.paragraphs)} 段'
        f"{legend}</div>"
        f'<div class="sq-strip">{"".join(cells)}</div></div>'
    )


def viewer_html(
    doc: ParsedDocument | None,
    turn: Turn | None = None,
    focus: int | None = None,
    span: Span | None = None,
    nonce: int = 0,
) -> str:
    """The whole document with ¶ numbers: cited paragraphs tinted, their quotes marked,
    the focused paragraph outlined (the page script scrolls it into view)."""
    if doc is None:
        return '<div class="sq-viewer sq-empty">还没有导入文档：请在“文档”页上传讲话稿。</div>'
    same = turn is not None and turn.doc_id == doc.doc_id
    cited = set(turn.cited_paragraphs()) if same and turn else set()
    near = set(turn.near_paragraphs()) if same and turn else set()
    marks: dict[int, list[Span]] = {}
    values: dict[int, list[Span]] = {}
    if same and turn:
        for c in turn.citations + turn.quotes:
            if not is_quote(c):
                continue
            p = doc.paragraph(int(c["paragraph"]))
            s = _relative(p, c.get("start"), c.get("end")) if p else None
            if p and s:
                marks.setdefault(p.n, []).append(s)
            v = value_span(c)
            rel = _relative(p, v[0], v[1]) if p and v else None
            if p and rel:
                values.setdefault(p.n, []).append(rel)
    rows = []
    for p in doc.paragraphs:
        cls = ["sq-para", f"sq-kind-{p.kind}"]
        if p.n in cited:
            cls.append("sq-cited")
        elif p.n in near:
            cls.append("sq-nearp")
        if p.n == focus:
            cls.append("sq-focus")
        spans, strong = marks.get(p.n, []), values.get(p.n, [])
        rel = _relative(p, span[0], span[1]) if p.n == focus and span is not None else None
        if rel:
            text = marked(p.text, [rel], "sq-mark sq-mark-focus", strong)
        else:
            text = marked(p.text, spans, values=strong)
        rows.append(
            f'<div class="{" ".join(cls)}" id="sq-p-{p.n}" data-para="{p.n}">'
            f'<span class="sq-pn">¶{p.n}</span><span class="sq-pt">{text}</span></div>'
        )
    where = f"第{focus}段" if focus else ""
    return (
        f'<div class="sq-viewer" data-focus="{focus or ""}" data-nonce="{nonce}">'
        f'<div class="sq-panel-head">全文 · {esc(doc.title)}'
        f'<span class="sq-where">{esc(where)}</span></div>'
        f'<div class="sq-viewer-body">{"".join(rows)}</div></div>'
    )


# ---- page frame: status, settings, welcome, documents ---------------------------------
def elapsed_text(ms: float) -> str:
    """How long an answer took, as its footer says it: 85 毫秒 under 0.1 s, else 0.3 秒."""
    return f"{max(1, round(ms))} 毫秒" if ms < 100 else f"{ms / 1000:.1f} 秒"


def status_html(n_docs: int, llm_state: str, answer_mode: str) -> str:
    """The badge in the header: documents, answer mode, the LLM service's state."""
    state, cls = LLM_STATES.get(llm_state, (llm_state, "off"))
    mode = MODE_LABELS.get(answer_mode, answer_mode)
    warn = ' class="sq-warn"' if cls == "bad" else ""
    return (
        f'<div class="sq-status">文档 <b>{n_docs}</b> 篇 · 回答方式 <b>{esc(mode)}</b> · '
        f"大模型 <span{warn}>{esc(state)}</span></div>"
    )


def llm_state_html(settings: Settings, llm_state: str) -> str:
    """The LLM service's state in 设置, its URL's credentials masked."""
    state, cls = LLM_STATES.get(llm_state, (llm_state, "off"))
    if settings.llm_configured():
        where = (
            f"模型 {esc(settings.llm.model)} · 地址 "
            f"{esc(mask_url(settings.llm_base_url()) or '（OpenAI 默认）')}"
        )
    else:
        where = (
            "未配置：设置 SPEECHQA_LLM_MODEL 与 SPEECHQA_LLM_BASE_URL（或 OPENAI_API_KEY）后重启，"
            "即可使用大模型回答；不配置时使用离线的抽取式回答。"
        )
    return (
        f'<div class="sq-llm">大模型服务：<b class="{cls}">{esc(state)}</b>'
        f'<div class="sq-hint">{where}</div></div>'
    )


def welcome_html(docs: Docs) -> str:
    """The conversation before the first question. Where a citation leads depends on
    the layout: the full text on the right on a wide screen, the sources folded under
    the answer on a narrow one (CSS shows one of the two spans)."""
    if not docs:
        return (
            "<h3>还没有导入讲话稿</h3>请到上方“文档”页上传 .txt / .md / .docx 文件，"
            "或在终端运行 <code>speechqa ingest</code> 导入随附的示例讲话。"
        )
    titles = "、".join(f"《{esc(d.title)}》" for d in list(docs.values())[:3])
    more = f"等 {len(docs)} 篇" if len(docs) > 3 else ""
    return (
        f"<h3>您好，我可以回答关于{titles}{more}的问题。</h3>"
        "<ul><li>回答只依据讲话原文，每句都标注出处 <span class='sq-chip sq-plain'>¶n</span>，"
        "点击编号即可<span class='sq-wide'>在右侧全文中定位、核对。</span>"
        "<span class='sq-narrow'>在回答下方展开该段原文核对，全文在页面下方。</span></li>"
        "<li>讲话没有涉及的问题，会明确告诉您，并列出最接近的段落。</li>"
        "<li>切换到“摘引”，输入主题词，可得到可直接粘贴的原文引文「…」（第n段）。</li></ul>"
    )


def docs_table_html(records: Sequence[DocRecord] | str) -> str:
    """The 文档 tab's table; ``records`` a message instead when the index cannot say."""
    if isinstance(records, str):
        return f'<div class="sq-empty">{esc(records)}</div>'
    if not records:
        return '<div class="sq-empty">索引中还没有文档。</div>'
    rows = "".join(
        f"<tr><td>{esc(r.title)}</td><td><code>{esc(r.doc_id)}</code></td>"
        f"<td>{r.paragraphs}</td><td>{esc(r.encoding)}</td>"
        f"<td>{esc(Path(r.source).name)}</td><td>{esc(r.ingested_at[:16].replace('T', ' '))}</td></tr>"
        for r in records
    )
    return (
        '<div class="sq-doctable-wrap"><table class="sq-doctable"><thead><tr><th>标题</th>'
        "<th>文档编号</th><th>段落</th><th>编码</th><th>来源文件</th><th>导入时间</th></tr>"
        f"</thead><tbody>{rows}</tbody></table></div>"
    )


def doc_choices(docs: Docs) -> list[tuple[str, str]]:
    """(label, doc_id) for the document pickers: the title, numbered when several
    documents share it."""
    total = Counter(d.title for d in docs.values())
    seen: Counter[str] = Counter()
    out = []
    for d in docs.values():
        seen[d.title] += 1
        label = d.title if total[d.title] == 1 else f"{d.title}（{seen[d.title]}）"
        out.append((label, d.doc_id))
    return out


def delete_confirm_html(title: str, doc_id: str) -> str:
    """The question the 文档 tab asks before a deletion."""
    return (
        f"<div class='sq-hint'>确定从索引中删除《{esc(title)}》"
        f"（<code>{esc(doc_id)}</code>）吗？删除后需重新上传才能再次提问。</div>"
    )
