"""Quote mode for speechwriters: verbatim sentences on a topic with ¶n, section
path and one sentence of context either side, plus a concordance of the topic's
terms (each paragraph once, with how often the term occurs in it).

Every quote contains the topic term, compared after NFKC and width folding: a
speechwriter asking for 「国之大者」 pastes sentences that say 国之大者. Passages that
retrieval finds close to the topic but that do not contain the term are kept apart,
as related passages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.parse import ParsedDocument
from speechqa.settings import DenseScale, ScoringSettings
from speechqa.text import content_words, fold, split_sentences

from .constants import paste_quote
from .extractive import Coverage, dense_norm
from .retrieve import Retrieval

CONTEXT_CHARS = 30  # concordance context either side of a term
RELATED_LIMIT = 3
_QUOTE_MARKS = "“”\"'「」‘’『』 "
_JOINERS = re.compile(
    r"以及|[和与及、，,;；\s]+"
)  # related passages (close to the topic, without its term) shown


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
class ParagraphCount:
    """A paragraph where a term occurs, how often, and its first occurrence."""

    paragraph: int
    count: int
    first: Occurrence

    def to_dict(self) -> dict[str, object]:
        return {"paragraph": self.paragraph, "count": self.count, **self.first.to_dict()}


@dataclass
class Concordance:
    term: str
    count: int
    occurrences: list[Occurrence] = field(default_factory=list)

    @property
    def paragraphs(self) -> list[ParagraphCount]:
        """Each paragraph once, in document order, with its count."""
        out: dict[int, ParagraphCount] = {}
        for o in self.occurrences:
            if o.paragraph in out:
                out[o.paragraph].count += 1
            else:
                out[o.paragraph] = ParagraphCount(o.paragraph, 1, o)
        return list(out.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "term": self.term,
            "count": self.count,
            "paragraphs": [pc.to_dict() for pc in self.paragraphs],
            "occurrences": [o.to_dict() for o in self.occurrences],
        }

    def where(self) -> str:
        """第3段、第12段（3次）: each paragraph once."""
        return "、".join(
            f"第{pc.paragraph}段" + (f"（{pc.count}次）" if pc.count > 1 else "")
            for pc in self.paragraphs
        )


NO_QUOTES = "讲话中没有找到含有“{term}”的原文。"
NOTHING_FOUND = "讲话中没有找到与“{topic}”相关的原文。"
RELATED_HEAD = "相关段落（不含“{term}”）"


@dataclass
class QuoteResult:
    topic: str
    doc_id: str | None
    quotes: list[QuoteHit]  # each contains ``term``
    concordance: list[Concordance]
    related: list[QuoteHit] = field(default_factory=list)  # close to the topic, without it
    term: str = ""  # what every quote contains: the topic itself, or its words
    title: str = ""  # the quoted document's title (what users are shown)

    def to_dict(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "term": self.term or self.topic,
            "doc_id": self.doc_id,
            "title": self.title,
            "quotes": [q.to_dict() for q in self.quotes],
            "related": [q.to_dict() for q in self.related],
            "concordance": [c.to_dict() for c in self.concordance],
        }

    @property
    def empty(self) -> bool:
        return not (self.quotes or self.related or self.concordance)

    def to_markdown(self) -> str:
        term = self.term or self.topic
        lines = [f"## 摘引：{self.topic}", ""]
        if self.title and self.quotes:
            lines += [f"出自《{self.title}》", ""]
        if not self.quotes:
            lines.append(NO_QUOTES.format(term=term))
        for q in self.quotes:
            lines.append(f"- {q.paste}" + (f"  \n  〔{q.section}〕" if q.section else ""))
        if self.related:
            lines += ["", f"### {RELATED_HEAD.format(term=term)}", ""]
            lines += [f"- {q.paste}" for q in self.related]
        if self.concordance:
            lines += ["", "### 词语索引", ""]
            for c in self.concordance:
                lines.append(f"- {c.term}：{c.count} 次（{c.where()}）")
        return "\n".join(lines) + "\n"

    def to_text(self) -> str:
        if self.empty:
            return NOTHING_FOUND.format(topic=self.topic)
        term = self.term or self.topic
        lines = [f"出自《{self.title}》"] if self.title and self.quotes else []
        if not self.quotes:
            lines.append(NO_QUOTES.format(term=term))
        for i, q in enumerate(self.quotes, 1):
            lines.append(f"{i}. {q.paste}")
            if q.section:
                lines.append(f"   章节：{q.section}")
            if q.before:
                lines.append(f"   前文：{q.before}")
            if q.after:
                lines.append(f"   后文：{q.after}")
        if self.related:
            lines.append(f"\n{RELATED_HEAD.format(term=term)}：")
            lines += [f"   {q.paste}" for q in self.related]
        for c in self.concordance:
            lines.append(f"\n“{c.term}” 出现 {c.count} 次，在 {len(c.paragraphs)} 个段落：")
            for pc in c.paragraphs:
                o = pc.first
                times = f"（{pc.count}次）" if pc.count > 1 else ""
                lines.append(f"   ¶{pc.paragraph}{times}  …{o.left}【{c.term}】{o.right}…")
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


def quote_terms(topic: str, doc: ParsedDocument) -> list[str]:
    """What every quote must contain: the topic without quotation marks; when the
    document never says it as such and it joins several terms ("纪律教育和警示教育"),
    each of them."""
    whole = topic.strip().strip(_QUOTE_MARKS)
    if contains(doc.text, [whole]):
        return [whole]
    parts = [t.strip(_QUOTE_MARKS) for t in _JOINERS.split(whole) if t.strip(_QUOTE_MARKS)]
    return parts if len(parts) >= 2 else [whole]


def contains(text: str, terms: list[str]) -> bool:
    """Every term occurs in ``text``, compared after NFKC, width and quote folding."""
    folded = fold(text).text
    return all((needle := fold(t).text) and needle in folded for t in terms)


def find_quotes(
    topic: str,
    doc: ParsedDocument,
    retrieval: Retrieval,
    coverage: Coverage,
    limit: int = 5,
    scoring: ScoringSettings | None = None,
    scale: DenseScale | None = None,
) -> tuple[list[QuoteHit], list[QuoteHit]]:
    """The sentences that contain the topic term, best first (from the whole document:
    retrieval only orders them), and apart from them the retrieved sentences closest
    to the topic that do not contain it."""
    terms = quote_terms(topic, doc)
    w = scoring or ScoringSettings()
    scale = scale or w.dense_scale["default"]
    dense = {h.n: h.dense for h in retrieval.hits if h.doc_id == doc.doc_id}
    rank = {n: r for r, n in enumerate(dense)}
    quotes: list[QuoteHit] = []
    related: list[QuoteHit] = []
    for p in doc.paragraphs:
        spans = split_sentences(p.text, p.start)
        for i, (s, e) in enumerate(spans):
            text = doc.text[s:e]
            has_term = contains(text, terms)
            if not has_term and p.n not in dense:
                continue
            score = w.quote_coverage_weight * coverage(text) + w.quote_dense_weight * dense_norm(
                dense.get(p.n, 0.0), scale
            )
            score += w.quote_rank_prior / (1 + rank[p.n]) if p.n in rank else 0.0
            hit = QuoteHit(
                doc_id=doc.doc_id,
                paragraph=p.n,
                section=p.section,
                text=text,
                start=s,
                end=e,
                before=doc.text[spans[i - 1][0] : spans[i - 1][1]] if i > 0 else "",
                after=doc.text[spans[i + 1][0] : spans[i + 1][1]] if i + 1 < len(spans) else "",
                score=score,
            )
            (quotes if has_term else related).append(hit)
    quotes.sort(key=lambda h: -h.score)
    # Related: the best sentence of each retrieved paragraph that never says the term,
    # in retrieval order.
    quoted = {h.paragraph for h in quotes}
    best: dict[int, QuoteHit] = {}
    for h in related:
        if h.paragraph not in quoted and (
            h.paragraph not in best or h.score > best[h.paragraph].score
        ):
            best[h.paragraph] = h
    ordered = sorted(best.values(), key=lambda h: rank[h.paragraph])
    return quotes[:limit], ordered[:RELATED_LIMIT]


def terms_of(topic: str) -> list[str]:
    """Concordance terms: the topic itself when short, and its content words."""
    words = content_words(topic)
    stripped = topic.strip().strip("“”\"'「」")
    terms = [stripped] if 0 < len(stripped) <= 12 else []
    return list(dict.fromkeys(terms + [w for w in words if len(w) >= 2]))
