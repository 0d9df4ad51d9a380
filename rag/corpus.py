"""The in-memory view of the index that answering reads: documents, their
paragraphs, the chunk keys that are current, and a BM25 index over jieba tokens.

Built from the index's document records, so it only ever holds complete
versions of documents (see ingest.store)."""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ingest.parse import Paragraph, ParsedDocument, unit_key
from ingest.store import SearchStore
from speechqa.text import split_sentences, tokenize

# Headings and salutations give a section its context; they are not evidence. The
# title and the byline lines under it are: they name the occasion, speaker and date.
EVIDENCE_KINDS = frozenset({"body", "title", "byline"})


@dataclass
class Corpus:
    docs: dict[str, ParsedDocument]
    paragraphs: list[Paragraph]  # every paragraph of every document, in order
    evidence: list[int]  # positions in ``paragraphs`` that retrieval may return
    # The text-hash prefix of each paragraph (aligned with ``paragraphs``): its
    # chunk id's last part, so that a chunk id names a current paragraph only
    # when its hash matches (chunks of replaced versions keep the old hash).
    chunk_keys: list[str]
    _bm25: Any = None
    _idf: dict[str, float] = field(default_factory=dict)
    _pos: dict[tuple[str, int], int] = field(default_factory=dict)

    @classmethod
    def from_index(cls, index: SearchStore) -> Corpus:
        """The corpus of the store's current documents, built from its records
        (:func:`rag.corpus_cache.open_corpus` loads a saved one when it can)."""
        return cls.build(*index.load_with_tokens())

    @classmethod
    def build(
        cls, docs: list[ParsedDocument], tokens: dict[str, list[list[str]]] | None = None
    ) -> Corpus:
        """The corpus of ``docs``; ``tokens`` (per paragraph, by document content
        hash: SearchStore.load_with_tokens) saves tokenizing again; documents without
        them are tokenized here."""
        paragraphs = [p for d in docs for p in d.paragraphs]
        evidence = [i for i, p in enumerate(paragraphs) if p.kind in EVIDENCE_KINDS]
        corpus = cls(
            docs={d.doc_id: d for d in docs},
            paragraphs=paragraphs,
            evidence=evidence,
            # From the paragraphs' spans alone: building every chunk of every document
            # (sentences split and hashed) only to read the paragraphs' keys cost time,
            # and the chunks stayed cached on the documents the corpus keeps.
            chunk_keys=[unit_key(d.text, p.start, p.end) for d in docs for p in d.paragraphs],
        )
        corpus._pos = {(p.doc_id, p.n): i for i, p in enumerate(paragraphs)}
        corpus._index(tokens or {})
        return corpus

    def _index(self, stored: dict[str, list[list[str]]]) -> None:
        import bm25s

        tokens = []
        for i in self.evidence:
            p = self.paragraphs[i]
            doc = self.docs[p.doc_id]
            have = stored.get(doc.hash)
            fits = have is not None and len(have) == len(doc.paragraphs)
            tokens.append(have[p.n - 1] if have is not None and fits else tokenize(p.text))
        self._bm25 = bm25s.BM25()
        if tokens:
            self._bm25.index(tokens, show_progress=False)
        df: Counter[str] = Counter()
        for toks in tokens:
            df.update(set(toks))
        n = max(1, len(tokens))
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}

    @property
    def size(self) -> int:
        return len(self.evidence)

    def paragraph(self, doc_id: str, n: int) -> Paragraph | None:
        i = self._pos.get((doc_id, n))
        return None if i is None else self.paragraphs[i]

    def owner(self, chunk_id: str) -> tuple[str, int] | None:
        """(doc_id, ¶n) of a paragraph chunk of a current document version, else None
        (a chunk of a replaced version or of an interrupted ingest, or a sentence
        chunk of a store written before sentences left the index)."""
        try:
            doc_id, n, level, key = chunk_id.rsplit(":", 3)
            i = self._pos.get((doc_id, int(n)))
        except ValueError:
            return None
        if level != "p" or i is None or self.chunk_keys[i] != key:
            return None
        return doc_id, int(n)

    def sentences(self, p: Paragraph) -> tuple[tuple[int, int, str], ...]:
        """The sentences of ``p`` as (start, end, text-hash prefix): the keys of
        their vectors in the store (:meth:`SearchStore.unit_vectors`)."""
        return _sentences(p.text, self.docs[p.doc_id].text, p.start)

    def idf(self, token: str) -> float:
        """IDF of a token; a word the corpus never uses gets the highest IDF."""
        return self._idf.get(token, math.log(1 + (self.size + 0.5) / 0.5))

    def knows(self, token: str) -> bool:
        """The token occurs in some evidence paragraph of the corpus."""
        return token in self._idf

    def bm25(
        self, query_tokens: list[str], doc_ids: list[str] | None, k: int
    ) -> list[tuple[int, float]]:
        """Top-k (paragraph position, BM25 score) with score > 0."""
        if not self.evidence or not query_tokens:
            return []
        known = [t for t in query_tokens if t in self._bm25.vocab_dict]
        if not known:
            return []
        mask = None
        if doc_ids:
            wanted = set(doc_ids)
            mask = np.array(
                [self.paragraphs[i].doc_id in wanted for i in self.evidence], dtype=np.float32
            )
        scores = self._bm25.get_scores(known, weight_mask=mask)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.evidence[int(j)], float(scores[j])) for j in top if scores[j] > 0]


@functools.lru_cache(maxsize=16384)
def _sentences(own: str, text: str, start: int) -> tuple[tuple[int, int, str], ...]:
    # As ingest.parse cuts sentence chunks: spans of the paragraph's own text,
    # their text from the document's. Cached: retrieval and answering both ask.
    return tuple((s, e, unit_key(text, s, e)) for s, e in split_sentences(own, start))
