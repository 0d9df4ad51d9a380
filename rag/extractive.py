"""The extractive answerer, the offline default: verbatim sentences of the
retrieved paragraphs, each quoted and cited, in document order, put together by
what the question asks for (:mod:`rag.compose`): every item of a list, the whole
sentence that holds an asked value, whole sentences for the rest.

Whether to answer at all is decided before, by :mod:`rag.answerability`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ingest.parse import Paragraph
from ingest.store import SearchStore
from speechqa.settings import AnswerSettings, DenseScale, ScoringSettings
from speechqa.text import char_ngrams, content_words, fold

from .compose import Composer
from .corpus import Corpus
from .retrieve import Retrieval

PARAGRAPHS_CONSIDERED = 3
_ASKS_NUMBER = re.compile(r"(几|多少|数量|次数|人数|哪一年|哪年|何时|什么时候|多久|多长)")
# A count with its measure word: 3次, 十余项, 两个方面 (方面 as a whole word, not 方 or 面).
_HAS_NUMBER = re.compile(
    r"[0-9０-９一二三四五六七八九十百千万两]+[余多]?(?:方面|[次个项人起年条名件])"
)
_CLAUSE_END = re.compile(r"[，,；;：:]")
_CLAUSE_SPLIT = re.compile(r"[，,；;：:。！？!?]")


def dense_norm(sim: float, scale: DenseScale) -> float:
    """A cosine mapped onto 0..1 through its embedder's band (settings.scoring)."""
    return min(1.0, max(0.0, (sim - scale.floor) / (scale.ceil - scale.floor)))


@dataclass
class Sentence:
    paragraph: Paragraph
    start: int  # absolute offsets in the document text
    end: int
    text: str
    coverage: float = 0.0
    dense: float = 0.0
    score: float = 0.0


class Coverage:
    """IDF-weighted share of a question's content words found in a text."""

    def __init__(self, question: str, corpus: Corpus) -> None:
        words = content_words(question)
        self.words = [(w, corpus.idf(w), fold(w).text, char_ngrams(w)) for w in words]
        self.total = sum(idf for _, idf, _, _ in self.words) or 1.0
        self.folded_words = [fw for _, _, fw, _ in self.words]

    def __call__(self, text: str) -> float:
        if not self.words:
            return 0.0
        folded = fold(text).text
        grams = None
        got = 0.0
        for _, idf, fw, wgrams in self.words:
            if fw and fw in folded:
                got += idf
            elif len(fw) >= 3 and wgrams:
                # Partial credit for a long word whose parts appear (党组会议 ~ 党组会).
                grams = grams if grams is not None else char_ngrams(text)
                got += idf * 0.7 * len(wgrams & grams) / len(wgrams)
        return got / self.total


class ExtractiveAnswerer:
    def __init__(
        self,
        corpus: Corpus,
        index: SearchStore,
        cfg: AnswerSettings,
        scoring: ScoringSettings | None = None,
    ) -> None:
        self.corpus = corpus
        self.index = index
        self.cfg = cfg
        self.scoring = scoring or ScoringSettings()
        self.scale = self.scoring.scale_for(index.embeddings.model_name)
        self._covers: dict[str, Coverage] = {}
        self.values: list[tuple[int, int]] = []  # spans of the asked values, last answer

    def _coverage(self, question: str) -> Coverage:
        """One Coverage per question: answering asks for it three times."""
        if question not in self._covers:
            self._covers[question] = Coverage(question, self.corpus)
        return self._covers[question]

    def _paragraphs(self, retrieval: Retrieval, doc_id: str) -> list[Paragraph]:
        out = []
        for hit in retrieval.hits:
            p = self.corpus.paragraph(hit.doc_id, hit.n)
            if p is not None and hit.doc_id == doc_id:
                out.append(p)
        pinned = sum(1 for h in retrieval.hits if h.pinned)
        return out[: max(PARAGRAPHS_CONSIDERED, pinned)]

    def _sentences(self, question: str, retrieval: Retrieval, doc_id: str) -> list[Sentence]:
        cov = self._coverage(question)
        doc = self.corpus.docs[doc_id]
        paragraphs = self._paragraphs(retrieval, doc_id)
        sentences: list[Sentence] = []
        keys: list[str] = []
        for p in paragraphs:
            for s, e, key in self.corpus.sentences(p):
                sentences.append(Sentence(p, s, e, doc.text[s:e]))
                keys.append(key)
        vectors = self.index.unit_vectors(
            [(key, sent.text) for key, sent in zip(keys, sentences, strict=True)]
        )
        q = np.asarray(retrieval.query_vector, dtype=np.float32)
        rank = {(p.doc_id, p.n): r for r, p in enumerate(paragraphs)}
        for sent, key in zip(sentences, keys, strict=True):
            vec = vectors.get(key)
            sent.dense = float(np.dot(q, vec)) if vec is not None else 0.0
            sent.coverage = cov(sent.text)
            w = self.scoring
            prior = w.rank_prior / (1 + rank[(sent.paragraph.doc_id, sent.paragraph.n)])
            sent.score = (
                w.coverage_weight * sent.coverage
                + w.dense_weight * dense_norm(sent.dense, self.scale)
                + prior
            )
            if _ASKS_NUMBER.search(question) and _HAS_NUMBER.search(sent.text):
                sent.score += w.number_bonus
        return sentences

    def answer(self, question: str, retrieval: Retrieval, doc_id: str) -> tuple[str, set[int]]:
        """Answer text with [¶n] citations, and the paragraphs it was allowed to cite.

        The answer is composed by what the question asks for (see :mod:`rag.compose`);
        the document spans of the values it was asked for are left in :attr:`values`."""
        sentences = self._sentences(question, retrieval, doc_id)
        paragraphs = self._paragraphs(retrieval, doc_id)
        allowed = {p.n for p in paragraphs}
        self.values = []
        if not sentences:
            return "", allowed
        cov = self._coverage(question)
        focus = [w for w, _, _, _ in sorted(cov.words, key=lambda w: -w[1])]
        composer = Composer(
            question,
            self.corpus.docs[doc_id],
            sorted(sentences, key=lambda s: -s.score),
            cov,
            focus,
            self.cfg,
            self._coverage,
        )
        pinned = [h.n for h in retrieval.hits if h.pinned and h.doc_id == doc_id]
        listed = None
        if pinned and composer.kind in ("list", "structure"):
            # "讲话从哪几个方面…" pins the parts, "第三部分…哪几个方面" one part: the
            # question may mean the points of one.
            hits = [h.n for h in retrieval.hits if h.doc_id == doc_id]
            listed = composer.list_answer(hits, pinned)
        if listed is not None:
            composed = listed
        elif pinned:
            composed = composer.pinned(pinned)
        else:
            hits = [h.n for h in retrieval.hits if h.doc_id == doc_id]
            composed = composer.compose(hits)
        self.values = composed.values
        return composed.text, allowed | composed.cited
