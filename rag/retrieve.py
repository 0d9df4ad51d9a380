"""Hybrid retrieval: dense (Chroma) and BM25 over jieba tokens, fused by
reciprocal rank fusion, at paragraph level. Its LangChain face is
:class:`rag.retriever.HybridRetriever` (apart, so answering never imports
LangChain's retriever machinery)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np

from ingest.store import SearchStore
from speechqa.settings import RetrievalSettings
from speechqa.text import tokenize

from . import structure
from .corpus import EVIDENCE_KINDS, Corpus


@dataclass(frozen=True)
class Hit:
    doc_id: str
    n: int
    score: float  # fused RRF score
    dense: float = 0.0  # best cosine of the paragraph or one of its sentences
    dense_rank: int | None = None
    lexical: float = 0.0  # BM25
    lexical_rank: int | None = None
    pinned: bool = False  # named by its place in the outline (see rag.structure)

    def to_dict(self) -> dict[str, object]:
        return {"doc_id": self.doc_id, "paragraph": self.n, "score": round(self.score, 6)}


@dataclass
class Retrieval:
    query: str
    query_vector: list[float]
    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)


def rrf(rankings: list[tuple[list[Any], float]], k: int) -> dict[Any, float]:
    """Reciprocal rank fusion of weighted rankings: sum of w / (k + rank)."""
    fused: dict[Any, float] = {}
    for ranking, weight in rankings:
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + weight / (k + rank)
    return fused


class HybridSearch:
    def __init__(self, index: SearchStore, corpus: Corpus, cfg: RetrievalSettings) -> None:
        self.index = index
        self.corpus = corpus
        self.cfg = cfg

    def dense(
        self, vector: list[float], doc_ids: list[str] | None, k: int
    ) -> dict[tuple[str, int], float]:
        """Best cosine per evidence paragraph over the paragraph and its sentences.

        The index searches paragraphs only; each paragraph found is then scored by
        its sentences' vectors too, read by key (a sentence that matches the
        question closely lifts a long paragraph that as a whole does not). The same
        recall as searching paragraphs and sentences together, at a quarter of the
        index (see ingest.vectorfile)."""
        # Only chunks a current record owns count, and the first 4k of them are
        # used, as a store without stale chunks would give; when chunks of an old
        # version or an interrupted ingest crowd the top, the query is repeated
        # wider, so they never take the places of current paragraphs.
        want = 4 * k
        fetch = want
        while True:
            got = self.index.dense(vector, fetch, doc_ids)
            owned = [(key, sim) for cid, sim in got if (key := self.corpus.owner(cid))]
            if len(owned) >= want or len(got) < fetch or fetch >= self.cfg.overfetch_limit:
                break
            fetch = min(4 * fetch, self.cfg.overfetch_limit)
        best: dict[tuple[str, int], float] = {}
        units: list[tuple[str, str]] = []
        owners: list[tuple[str, int]] = []
        for key, sim in owned[:want]:
            p = self.corpus.paragraph(*key)
            if p is None or p.kind not in EVIDENCE_KINDS:
                continue
            best[key] = sim
            spans = self.corpus.sentences(p)
            if len(spans) > 1:
                text = self.corpus.docs[p.doc_id].text
                units.extend((h, text[s:e]) for s, e, h in spans)
                owners.extend(repeat(key, len(spans)))
        if units:
            vectors = self.index.unit_vectors(units)
            q = np.asarray(vector, dtype=np.float32)
            for (h, _), key in zip(units, owners, strict=True):
                vec = vectors.get(h)
                if vec is not None:
                    best[key] = max(best[key], float(np.dot(q, vec)))
        return best

    def _pinned(
        self, query: str, doc_ids: list[str] | None, order: list[tuple[str, int]]
    ) -> list[tuple[str, int]]:
        """Paragraphs the question names by outline position, in the document
        the question is about (the filtered one, else the best-ranked one)."""
        if doc_ids and len(doc_ids) == 1:
            doc_id = doc_ids[0]
        elif len(self.corpus.docs) == 1:
            doc_id = next(iter(self.corpus.docs))
        elif order:
            doc_id = order[0][0]
        else:
            return []
        return [(doc_id, n) for n in structure.resolve(query, self.corpus.docs[doc_id])]

    def search(
        self, query: str, doc_ids: list[str] | None = None, k: int | None = None
    ) -> Retrieval:
        k = k or self.cfg.top_k
        t0 = time.perf_counter()
        vector = self.index.embeddings.embed_query(query)
        t1 = time.perf_counter()
        dense = self.dense(vector, doc_ids, self.cfg.candidates)
        t2 = time.perf_counter()
        lexical = self.corpus.bm25(tokenize(query), doc_ids, self.cfg.candidates)
        t3 = time.perf_counter()
        dense_rank = sorted(dense, key=lambda key: -dense[key])
        lex_keys = [
            (self.corpus.paragraphs[i].doc_id, self.corpus.paragraphs[i].n) for i, _ in lexical
        ]
        lex_score = {key: s for key, (_, s) in zip(lex_keys, lexical, strict=True)}
        fused = rrf(
            [(dense_rank, self.cfg.dense_weight), (lex_keys, self.cfg.lexical_weight)],
            self.cfg.rrf_k,
        )
        d_pos = {key: r for r, key in enumerate(dense_rank, start=1)}
        l_pos = {key: r for r, key in enumerate(lex_keys, start=1)}
        order = sorted(fused, key=lambda key: (-fused[key], d_pos.get(key, 10**9)))
        pinned = self._pinned(query, doc_ids, order)
        top = max(fused.values(), default=0.0)
        for rank, key in enumerate(pinned):
            fused[key] = top + (len(pinned) - rank) * 1e-3
        order = (pinned + [key for key in order if key not in pinned])[: max(k, len(pinned))]
        hits = [
            Hit(
                doc_id=key[0],
                n=key[1],
                score=fused[key],
                dense=dense.get(key, 0.0),
                dense_rank=d_pos.get(key),
                lexical=lex_score.get(key, 0.0),
                lexical_rank=l_pos.get(key),
                pinned=key in pinned,
            )
            for key in order
        ]
        t4 = time.perf_counter()
        timings = {
            "embed": (t1 - t0) * 1000,
            "dense": (t2 - t1) * 1000,
            "bm25": (t3 - t2) * 1000,
            "fuse": (t4 - t3) * 1000,
        }
        return Retrieval(query=query, query_vector=vector, hits=hits, timings_ms=timings)
