"""Running a question set through the assistant and scoring every answer.

Every question goes through ``Assistant.ask`` (the code path of the CLI and the web
chat); this module only reads the :class:`~rag.result.Answer` it returns. Scores are
computed by the pure functions of :mod:`eval.metrics`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from rag.cite import citation_numbers
from rag.constants import CITATION_RE
from rag.corpus import EVIDENCE_KINDS

from . import metrics as m
from .questions import Question

if TYPE_CHECKING:
    from ingest.parse import ParsedDocument
    from rag.result import Answer
    from rag.service import Assistant

    from .judge import Judge, JudgeScore

# Depth of the ranking behind MRR@10 and nDCG@10.
RANK_DEPTH = 10
# The metrics a random ranker has an expected value for.
BASELINE_METRICS = ("recall@1", "recall@3", "recall@5", "mrr@10", "ndcg@10", "document@1")
Key = tuple[str, int]
G = TypeVar("G")
FALSE_REFUSAL = "误拒"
# Confidence thresholds of the risk–coverage curve in the reports.
RISK_STEPS = 20


@dataclass(frozen=True)
class QuoteCheck:
    paragraph: int
    quote: str
    verified: bool  # the answer's own verification flag
    in_paragraph: bool  # our check: verbatim in the cited paragraph, at the stated offsets
    in_document: bool

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class Outcome:
    """One question, its answer and its scores."""

    question: Question
    doc: str | None  # the question's document; None for an archive question
    answer: Answer
    ranking: list[Key]  # depth-10 ranking; its head is exactly answer.retrieved
    cited: list[Key]
    quotes: list[QuoteCheck]
    keys: list[bool]
    citation: m.SetScore
    pool: int  # paragraphs a random ranker would shuffle
    reachable: int  # gold paragraphs among them (all of them, see assess)
    pool_in_gold_docs: int = 0  # of the pool, paragraphs of a gold document
    scores: dict[str, float | None] = field(default_factory=dict)
    baseline: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    faithfulness: JudgeScore | None = None

    @property
    def gold(self) -> set[Key]:
        return set(self.question.gold_keys(self.doc))

    @property
    def passed(self) -> bool:
        return not self.reasons

    @property
    def retrieved(self) -> list[Key]:
        """The answer's retrieved paragraphs (the head of ``ranking``)."""
        return _retrieved(self.answer)

    def label(self, key: Key) -> int | str:
        """¶ label of a paragraph: n in the question's document, else "doc_id:n"."""
        return _label(key, self.doc)

    def to_dict(self) -> dict[str, object]:
        q, a = self.question, self.answer
        return {
            "id": q.id,
            "kind": q.kind,
            "question": q.question,
            "history": list(q.history),
            "doc": self.doc,
            "split": q.split or None,
            "answer_doc": a.doc_id,
            "gold_paragraphs": list(q.gold_paragraphs),
            "answer_keys": list(q.answer_keys),
            "retrieved": [_label(key, self.doc) for key in _retrieved(a)],
            "ranking": [_label(key, self.doc) for key in self.ranking],
            "cited": [_label(key, self.doc) for key in self.cited],
            "invalid_citations": list(a.invalid_citations),
            "quotes": [c.to_dict() for c in self.quotes],
            "answer": a.answer,
            "refused": a.refused,
            "outcome": a.outcome,
            "confidence": a.confidence,
            "standalone_question": a.standalone_question,
            "notice": a.notice,
            "mode": a.mode,
            "timings_ms": {k: round(v, 2) for k, v in a.timings_ms.items()},
            "keys_found": [k for k, ok in zip(q.answer_keys, self.keys, strict=True) if ok],
            "keys_missing": [k for k, ok in zip(q.answer_keys, self.keys, strict=True) if not ok],
            "metrics": {k: _round(v) for k, v in self.scores.items()},
            "baseline": {k: round(v, 4) for k, v in self.baseline.items()},
            "faithfulness": None if self.faithfulness is None else self.faithfulness.to_dict(),
            "pass": self.passed,
            "reasons": self.reasons,
        }


def _label(key: Key, doc: str | None) -> int | str:
    return key[1] if key[0] == doc else f"{key[0]}:{key[1]}"


def _retrieved(answer: Answer) -> list[Key]:
    return [(str(r["doc_id"]), int(str(r["paragraph"]))) for r in answer.retrieved]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def evaluate(
    assistant: Assistant,
    question: Question,
    doc: str | None,
    mode: str | None,
) -> Outcome:
    """Ask one question (with its history) about ``doc`` (None: every document) and
    score the answer."""
    answer = assistant.ask(
        question.question, doc=doc, mode=mode, history=list(question.history) or None
    )
    docs = assistant.corpus.docs
    scope = [docs[doc]] if doc is not None else list(docs.values())
    document = docs[answer.doc_id or doc or scope[0].doc_id]
    return assess(question, answer, document, _ranking(assistant, answer, doc), scope)


def assess(
    question: Question,
    answer: Answer,
    document: ParsedDocument,
    ranking: Sequence[Key],
    scope: Sequence[ParsedDocument] | None = None,
) -> Outcome:
    """Score one answer to ``question``; ``document`` is the one the answer comes from
    (the question's own, or for an archive question the top hit's), ``scope`` the
    documents retrieval searched (default: ``document``), ``ranking`` the retrieval
    ranking (paragraph keys, best first). Pure: no index, no model."""
    doc = None if question.archive else document.doc_id
    gold = set(question.gold_keys(doc))
    cited = [] if answer.refused else _cited(answer)
    keys = [False] * len(question.answer_keys)
    if not answer.refused:
        keys = m.keys_found(answer.answer, question.answer_keys)
    # The random ranker shuffles the paragraphs retrieval returns as evidence (in every
    # document searched), plus any gold paragraph outside them (a heading named by the
    # question), so that every gold paragraph is reachable for the baseline as well.
    evidence = {
        (d.doc_id, p.n)
        for d in (scope or [document])
        for p in d.paragraphs
        if p.kind in EVIDENCE_KINDS
    }
    evidence |= gold
    gold_docs = {d for d, _ in gold}
    outcome = Outcome(
        question=question,
        doc=doc,
        answer=answer,
        ranking=list(ranking),
        cited=cited,
        quotes=_quotes(answer, document),
        keys=keys,
        citation=m.citation_counts(set(cited), gold, answer.refused),
        pool=len(evidence),
        reachable=len(evidence & gold),
        pool_in_gold_docs=sum(d in gold_docs for d, _ in evidence),
    )
    _score(outcome)
    outcome.reasons = _reasons(outcome)
    return outcome


def _ranking(assistant: Assistant, answer: Answer, doc: str | None) -> list[Key]:
    """The answer's retrieved paragraphs, continued to depth 10 by the same search when
    top_k is smaller (search is deterministic, so the deeper list starts with them)."""
    head = _retrieved(answer)
    if len(head) >= RANK_DEPTH:
        return head[:RANK_DEPTH]
    query = answer.standalone_question or answer.question
    deeper = [(h.doc_id, h.n) for h in assistant.search(query, doc=doc, k=RANK_DEPTH).hits]
    if deeper[: len(head)] != head:
        return head  # not the same ranking (should not happen): score the answer's own list
    return deeper


def _cited(answer: Answer) -> list[Key]:
    """The paragraphs the shown answer cites: its [¶n] markers after verification
    (citations of paragraphs that do not exist or were not in context are gone)."""
    doc = answer.doc_id or ""
    out: list[Key] = []
    for match in CITATION_RE.finditer(answer.answer):
        for n in citation_numbers(match.group(0)):
            if (doc, n) not in out:
                out.append((doc, n))
    return out


def _quotes(answer: Answer, document: ParsedDocument) -> list[QuoteCheck]:
    checks = []
    for c in answer.citations:
        if c.quote is None:
            continue
        paragraph = document.paragraph(c.paragraph) if c.doc_id == document.doc_id else None
        at_offsets = (
            c.start is not None
            and c.end is not None
            and m.quote_in(c.quote, document.text[c.start : c.end])
        )
        in_paragraph = (
            c.verified
            and paragraph is not None
            and m.quote_in(c.quote, paragraph.text)
            and at_offsets
        )
        checks.append(
            QuoteCheck(
                paragraph=c.paragraph,
                quote=c.quote,
                verified=c.verified,
                in_paragraph=bool(in_paragraph),
                in_document=m.quote_in(c.quote, document.text),
            )
        )
    return checks


def _score(o: Outcome) -> None:
    q, a = o.question, o.answer
    s: dict[str, float | None] = {}
    if q.answerable:
        gold = o.gold
        for k in (1, 3, 5):
            s[f"recall@{k}"] = m.hit_at(o.ranking, gold, k)
        s["mrr@10"] = m.reciprocal_rank(o.ranking, gold, RANK_DEPTH)
        s["ndcg@10"] = m.ndcg(o.ranking, gold, RANK_DEPTH)
        o.baseline = {
            **{f"recall@{k}": m.random_hit_at(o.pool, o.reachable, k) for k in (1, 3, 5)},
            "mrr@10": m.random_reciprocal_rank(o.pool, o.reachable, RANK_DEPTH),
            "ndcg@10": m.random_ndcg(o.pool, o.reachable, len(gold), RANK_DEPTH),
        }
        if q.archive:
            # The top hit's document is a gold one; a random ranker's top hit is a
            # uniform draw from the pool.
            gold_docs = {d for d, _ in gold}
            s["document@1"] = 1.0 if o.ranking[:1] and o.ranking[0][0] in gold_docs else 0.0
            o.baseline["document@1"] = m.ratio(o.pool_in_gold_docs, o.pool) or 0.0
    s["citation_precision"] = o.citation.precision
    s["citation_recall"] = o.citation.recall
    s["citation_f1"] = o.citation.f1 if q.answerable else None
    if q.answerable and o.citation.f1 is None:
        s["citation_f1"] = 0.0  # refused or cited nothing: nothing right
    s["quote_verbatim"] = m.ratio(sum(c.in_paragraph for c in o.quotes), len(o.quotes))
    s["quote_in_document"] = m.ratio(sum(c.in_document for c in o.quotes), len(o.quotes))
    s["key_point_recall"] = m.ratio(sum(o.keys), len(o.keys))
    if not a.refused:
        s["cited_sentence_share"] = m.ratio(a.sentences - a.uncited_sentences, a.sentences)
    if q.answerable:
        s["refusal_false"] = 1.0 if a.refused else 0.0
    else:
        s["refusal_correct"] = 1.0 if a.refused else 0.0
    o.scores = s


def _paragraphs(keys: Sequence[Key], doc: str | None) -> str:
    return ", ".join(f"¶{_label(k, doc)}" for k in keys) or "无"


def _reasons(o: Outcome) -> list[str]:
    """Why the question fails, in the order a reader would check; empty means pass."""
    q, a = o.question, o.answer
    reasons: list[str] = []
    if not q.answerable:
        if not a.refused:
            reasons.append(f"应拒答却作答（引用 {_paragraphs(o.cited, o.doc)}）")
        return reasons
    gold = o.gold
    if not m.hit_at(o.ranking, gold, 1):
        top = o.ranking[:1]
        reasons.append(f"检索第1名 {_paragraphs(top, o.doc)} 不是金标段落")
    if not m.hit_at(o.ranking, gold, 3):
        reasons.append(f"检索前3名 {_paragraphs(o.ranking[:3], o.doc)} 中没有金标段落")
    if a.refused:
        reasons.append(
            f"{FALSE_REFUSAL}：可回答的问题被拒答（confidence {_score_text(a.confidence)}）"
        )
        return reasons
    wrong = [k for k in o.cited if k not in gold]
    if wrong:
        reasons.append(f"引用了非金标段落 {_paragraphs(wrong, o.doc)}")
    if not any(k in gold for k in o.cited):
        reasons.append("没有引用任何金标段落")
    if a.invalid_citations:
        reasons.append(
            "引用了不存在或不在上下文中的段落 " + ", ".join(f"¶{n}" for n in a.invalid_citations)
        )
    bad = [c.quote for c in o.quotes if not c.in_paragraph]
    if bad:
        reasons.append(f"引文不在所引段落中：「{_clip(bad[0])}」")
    missing = [k for k, ok in zip(q.answer_keys, o.keys, strict=True) if not ok]
    if missing:
        reasons.append("答案缺少要点：" + "、".join(f"“{k}”" for k in missing))
    return reasons


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "……"


def run(
    assistant: Assistant,
    questions: Sequence[Question],
    default_doc: str,
    mode: str | None = None,
    judge: Judge | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Outcome]:
    """Every question in order. One warm-up answer first (not scored) so that loading the
    embedding model and building the corpus do not count as the first answer's latency."""
    if questions:
        first = questions[0]
        assistant.ask(first.question, doc=first.scope(default_doc), mode="extractive")
    outcomes = []
    for i, q in enumerate(questions, start=1):
        outcome = evaluate(assistant, q, q.scope(default_doc), mode)
        answered_from = outcome.answer.doc_id or outcome.doc
        if judge is not None and not outcome.answer.refused and answered_from:
            outcome.faithfulness = judge.score(outcome, assistant.corpus.docs[answered_from])
        outcomes.append(outcome)
        if progress:
            progress(i, len(questions))
    return outcomes


# ---- aggregation ---------------------------------------------------------------


def aggregate(outcomes: Sequence[Outcome]) -> dict[str, float | None]:
    """The summary's metrics over a set of outcomes (the whole run or one kind)."""
    answerable = [o for o in outcomes if o.question.answerable]
    unanswerable = [o for o in outcomes if not o.question.answerable]
    out: dict[str, float | None] = {}
    for name in BASELINE_METRICS:  # the retrieval metrics, over answerable questions
        out[name] = m.mean(_known(o.scores.get(name) for o in answerable))
    cites = m.micro(o.citation for o in outcomes)
    out["citation_precision"] = cites.precision
    out["citation_recall"] = cites.recall
    out["citation_f1"] = cites.f1
    quotes = [c for o in outcomes for c in o.quotes]
    out["quote_verbatim"] = m.ratio(sum(c.in_paragraph for c in quotes), len(quotes))
    keys = [k for o in outcomes for k in o.keys]
    out["key_point_recall"] = m.ratio(sum(keys), len(keys))
    out["refusal_correct"] = m.ratio(sum(o.answer.refused for o in unanswerable), len(unanswerable))
    out["refusal_false"] = m.ratio(sum(o.answer.refused for o in answerable), len(answerable))
    out["partial_answerable"] = m.ratio(sum(_partial(o) for o in answerable), len(answerable))
    out["partial"] = m.ratio(sum(_partial(o) for o in outcomes), len(outcomes))
    totals = [o.answer.timings_ms.get("total", 0.0) for o in outcomes]
    out["latency_p50_ms"] = m.percentile(totals, 50)
    out["latency_p95_ms"] = m.percentile(totals, 95)
    return out


def extras(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Metrics beside the gated ones: baselines, sentence citation share, quotes in the
    document, the macro view of citations, latency by stage, faithfulness."""
    answerable = [o for o in outcomes if o.question.answerable]
    answered = [o for o in outcomes if not o.answer.refused]
    quotes = [c for o in outcomes for c in o.quotes]
    sentences = sum(o.answer.sentences for o in answered)
    cited_sentences = sum(o.answer.sentences - o.answer.uncited_sentences for o in answered)
    latency: dict[str, float | None] = {}
    for stage in ("retrieval", "answer", "total"):
        values = [o.answer.timings_ms.get(stage, 0.0) for o in outcomes]
        latency[f"{stage}_p50_ms"] = m.percentile(values, 50)
        latency[f"{stage}_p95_ms"] = m.percentile(values, 95)
    judged = [o.faithfulness.score for o in outcomes if o.faithfulness is not None]
    unanswerable = [o for o in outcomes if not o.question.answerable]
    measured = [s for s in judged if s is not None]
    return {
        "baselines": baselines(outcomes),
        "cited_sentence_share": m.ratio(cited_sentences, sentences),
        "quote_in_document": m.ratio(sum(c.in_document for c in quotes), len(quotes)),
        "citation_macro": {
            "precision": m.mean(_known(o.scores.get("citation_precision") for o in outcomes)),
            "recall": m.mean(_known(o.scores.get("citation_recall") for o in answerable)),
            "f1": m.mean(_known(o.scores.get("citation_f1") for o in answerable)),
        },
        "latency_ms": latency,
        "refusal_sweep": refusal_sweep(answerable, unanswerable),
        "risk_coverage": risk_coverage(outcomes),
        "faithfulness": {
            "score": m.mean(measured),
            "measured": len(measured),
            "unmeasured": len(judged) - len(measured),
            "status": "measured" if measured else "unmeasured",
        },
    }


def baselines(outcomes: Sequence[Outcome]) -> dict[str, float | None]:
    """The random ranker's expected retrieval metrics, averaged like the metrics."""
    answerable = [o for o in outcomes if o.question.answerable]
    return {
        name: m.mean(o.baseline[name] for o in answerable if name in o.baseline)
        for name in BASELINE_METRICS
    }


def refusal_sweep(
    answerable: Sequence[Outcome], unanswerable: Sequence[Outcome]
) -> list[dict[str, float | None]]:
    """The refusal rates if the answerer refused exactly when ``confidence`` is below
    a threshold, for thresholds 0.05…0.95: a calibration aid for the extractive
    answerer (its refusal rule); the LLM answerer decides otherwise."""
    sweep = []
    for step in range(1, 20):
        t = step / 20

        def below(group: Sequence[Outcome], t: float = t) -> float | None:
            scores = [o.answer.confidence for o in group if o.answer.confidence is not None]
            return m.ratio(sum(a < t for a in scores), len(scores))

        sweep.append(
            {
                "threshold": t,
                "refusal_correct": below(unanswerable),
                "refusal_false": below(answerable),
            }
        )
    return sweep


def _partial(o: Outcome) -> bool:
    return o.answer.outcome == "partial"


def wrong_if_answered(o: Outcome) -> bool:
    """An answer to this question would be an error: the document does not answer it,
    or the answer fails a check. For an answerable question the run refused, only the
    retrieval checks (gold first, gold in the top 3) can say, and they do."""
    if not o.question.answerable:
        return True
    return any(not r.startswith(FALSE_REFUSAL) for r in o.reasons)


def risk_coverage(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Answering only the questions with confidence ≥ t: the share answered (coverage)
    and the error rate among them (risk), for t = 0, 0.05, …, 1; and the area under the
    curve over every distinct confidence (AURC: lower is better; questions with equal
    confidence enter together)."""
    scored = [
        (o.answer.confidence, wrong_if_answered(o))
        for o in outcomes
        if o.answer.confidence is not None
    ]
    curve = []
    for step in range(RISK_STEPS + 1):
        t = step / RISK_STEPS
        taken = [w for c, w in scored if c >= t]
        curve.append(
            {
                "threshold": t,
                "coverage": m.ratio(len(taken), len(scored)),
                "risk": m.ratio(sum(taken), len(taken)),
            }
        )
    area = 0.0
    taken_n = wrong = 0
    for level in sorted({c for c, _ in scored}, reverse=True):
        group = [w for c, w in scored if c == level]
        taken_n += len(group)
        wrong += sum(group)
        area += len(group) / len(scored) * wrong / taken_n
    return {"curve": curve, "aurc": area if scored else None, "questions": len(scored)}


def group_metrics(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Counts and the metrics (latency aside) of one group of questions."""
    return {
        "n": len(outcomes),
        "passed": sum(o.passed for o in outcomes),
        **{k: v for k, v in aggregate(outcomes).items() if not k.startswith("latency")},
    }


def _grouped(outcomes: Sequence[Outcome], key: Callable[[Outcome], G]) -> dict[G, list[Outcome]]:
    groups: dict[G, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(key(o), []).append(o)
    return groups


def by_kind(outcomes: Sequence[Outcome]) -> dict[str, dict[str, Any]]:
    groups = _grouped(outcomes, lambda o: o.question.kind)
    return {kind: group_metrics(group) for kind, group in groups.items()}


def by_split(outcomes: Sequence[Outcome]) -> dict[str, dict[str, Any]]:
    """Per split of the manifest (questions read from a plain file have none): every
    metric, latency included (a split can be gated like a whole run), and its kinds."""
    groups = _grouped([o for o in outcomes if o.question.split], lambda o: o.question.split)
    return {
        split: {
            "n": len(group),
            "passed": sum(o.passed for o in group),
            **aggregate(group),
            "baselines": baselines(group),
            "by_kind": by_kind(group),
        }
        for split, group in groups.items()
    }


def by_document(outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    """One row per (split, document) in the order the questions came; archive questions
    (asked over every document) make a row of their own with ``doc`` None. A speech
    asked about by a tuning and a held-out set has a row in each."""
    groups = _grouped(outcomes, lambda o: (o.question.split, o.doc))
    return [
        {"doc": doc, "archive": doc is None, "split": split or None, **group_metrics(group)}
        for (split, doc), group in groups.items()
    ]


def _known(values: Any) -> list[float]:
    return [v for v in values if v is not None]


def stderr_progress(done: int, total: int) -> None:
    """A one-line counter on a terminal; silent when stderr is a file or a pipe. Kept for
    eval/answerability/commands.py (another branch's area); ``speechqa eval`` draws a tqdm
    bar (speechqa.progress.question_progress)."""
    if sys.stderr.isatty():
        end = "\n" if done == total else ""
        sys.stderr.write(f"\r评测 {done}/{total}{end}")
        sys.stderr.flush()


def _score_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"
