"""Quote mode for speechwriters: verbatim sentences on a topic with ¶n, section
path and one sentence of context either side, plus a concordance of the topic's
terms (every occurrence, with counts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.parse import ParsedDocument
from speechqa.text import content_words, fold, split_sentences

from .constants import paste_quote
from .extractive import Coverage, dense_norm
from .retrieve import Retrieval

CONTEXT_CHARS = 30  # concordance context either side of a term


@dataclass
class QuoteHit:
    doc_id: str
    paragraph: int
    section: str
    text: str
    start: int
    end: int
    before: str  # the sentence before, "" at the start of the paragraph
    after: str
    score: float

    @property
    def paste(self) -> str:
        return paste_quote(self.text, self.paragraph)

    def to_dict(self) -> dict[str, object]:
        return {
            "doc_id": self.doc_id,
            "paragraph": self.paragraph,
            "section": self.section,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "before": self.before,
            "after": self.after,
            "score": round(self.score, 4),
            "paste": self.paste,
        }


@dataclass
class Occurrence:
    paragraph: int
    start: int
    end: int
    left: str
    right: str

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class Concordance:
    term: str
    count: int
    occurrences: list[Occurrence] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "term": self.term,
            "count": self.count,
            "occurrences": [o.to_dict() for o in self.occurrences],
        }


@dataclass
class QuoteResult:
    topic: str
    doc_id: str | None
    quotes: list[QuoteHit]
    concordance: list[Concordance]
    title: str = ""  # the quoted document's title (what users are shown)

    def to_dict(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "doc_id": self.doc_id,
            "title": self.title,
            "quotes": [q.to_dict() for q in self.quotes],
            "concordance": [c.to_dict() for c in self.concordance],
        }

    def to_markdown(self) -> str:
        lines = [f"## 摘引：{self.topic}", ""]
        if self.title and self.quotes:
            lines += [f"出自《{self.title}》", ""]
        for q in self.quotes:
            lines.append(f"- {q.paste}" + (f"  \n  〔{q.section}〕" if q.section else ""))
        if self.concordance:
            lines += ["", "### 词语索引", ""]
            for c in self.concordance:
                where = "、".join(f"第{o.paragraph}段" for o in c.occurrences)
                lines.append(f"- {c.term}：{c.count} 次（{where}）")
        return "\n".join(lines) + "\n"

    def to_text(self) -> str:
        if not self.quotes and not self.concordance:
            return f"讲话中没有找到与“{self.topic}”相关的原文。"
        lines = [f"出自《{self.title}》"] if self.title and self.quotes else []
        for i, q in enumerate(self.quotes, 1):
            lines.append(f"{i}. {q.paste}")
            if q.section:
                lines.append(f"   章节：{q.section}")
            if q.before:
                lines.append(f"   前文：{q.before}")
            if q.after:
                lines.append(f"   后文：{q.after}")
        for c in self.concordance:
            lines.append(f"\n“{c.term}” 出现 {c.count} 次：")
            for o in c.occurrences:
                lines.append(f"   ¶{o.paragraph}  …{o.left}【{c.term}】{o.right}…")
        return "\n".join(lines)


def concordance(doc: ParsedDocument, term: str) -> Concordance:
    """Every occurrence of ``term`` (compared after folding) with context."""
    needle = fold(term).text
    found: list[Occurrence] = []
    if needle:
        for p in doc.paragraphs:
            folded = fold(p.text)
            at = folded.text.find(needle)
            while at >= 0:
                s, e = folded.span(at, at + len(needle))
                found.append(
                    Occurrence(
                        paragraph=p.n,
                        start=p.start + s,
                        end=p.start + e,
                        left=p.text[max(0, s - CONTEXT_CHARS) : s],
                        right=p.text[e : e + CONTEXT_CHARS],
                    )
                )
                at = folded.text.find(needle, at + len(needle))
    return Concordance(term, len(found), found)


def find_quotes(
    topic: str, doc: ParsedDocument, retrieval: Retrieval, coverage: Coverage, limit: int = 5
) -> list[QuoteHit]:
    """The sentences of the retrieved paragraphs that best match the topic."""
    hits: list[QuoteHit] = []
    dense = {h.n: h.dense for h in retrieval.hits if h.doc_id == doc.doc_id}
    for rank, n in enumerate(dense):
        p = doc.paragraph(n)
        if p is None:
            continue
        spans = split_sentences(p.text, p.start)
        for i, (s, e) in enumerate(spans):
            text = doc.text[s:e]
            score = 0.7 * coverage(text) + 0.3 * dense_norm(dense[n]) + 0.05 / (1 + rank)
            hits.append(
                QuoteHit(
                    doc_id=doc.doc_id,
                    paragraph=n,
                    section=p.section,
                    text=text,
                    start=s,
                    end=e,
                    before=doc.text[spans[i - 1][0] : spans[i - 1][1]] if i > 0 else "",
                    after=doc.text[spans[i + 1][0] : spans[i + 1][1]] if i + 1 < len(spans) else "",
                    score=score,
                )
            )
    hits.sort(key=lambda h: -h.score)
    return [h for h in hits if h.score > 0][:limit]


def terms_of(topic: str) -> list[str]:
    """Concordance terms: the topic itself when short, and its content words."""
    words = content_words(topic)
    stripped = topic.strip().strip("“”\"'「」")
    terms = [stripped] if 0 < len(stripped) <= 12 else []
    return list(dict.fromkeys(terms + [w for w in words if len(w) >= 2]))
