"""Pieces of the benchmark: scoring a baseline chunk by its ¶, recall@1, the
precomputed-vector embedder, ratios and targets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from eval.bench.baseline import ParagraphMap, make_splitter
from eval.bench.corpora import BASE_DOC_ID, build_corpus
from eval.bench.measure import ratios
from eval.bench.ours import recall
from eval.bench.report import targets
from eval.bench.stats import Question, load_questions
from eval.bench.vectors import BenchEmbeddings, SeededVectors
from ingest.pipeline import prepare


def test_baseline_chunks_map_to_the_paragraph_they_mostly_cover() -> None:
    docs = build_corpus(3)
    mapping = ParagraphMap(docs)
    chunks = make_splitter().create_documents(
        [d.text for d in docs], metadatas=[{"doc_id": d.doc_id} for d in docs]
    )
    assert len(chunks) > 3 * 5
    for chunk in chunks:
        doc_id, n = mapping.paragraph(chunk) or ("", 0)
        doc = next(d for d in docs if d.doc_id == doc_id)
        start = int(chunk.metadata["start_index"])
        end = start + len(chunk.page_content)
        assert doc.text[start:end] == chunk.page_content
        # Line spans of the non-empty lines: ¶1, ¶2, … (independent of the parser).
        spans, pos = [], 0
        for line in doc.text.split("\n"):
            if line.strip():
                spans.append((pos, pos + len(line)))
            pos += len(line) + 1
        overlaps = [max(0, min(end, e) - max(start, s)) for s, e in spans]
        assert overlaps[n - 1] > 0
        assert overlaps[n - 1] == max(overlaps)


def test_recall_counts_a_variants_copy_of_a_gold_paragraph() -> None:
    docs = build_corpus(2)
    variant = docs[1]
    n_copy = variant.origin.index(7) + 1  # where ¶7 of the speech went in the variant
    questions = [Question("a", "?", (7,)), Question("b", "?", (2,)), Question("c", "?", (3,))]
    top1: dict[str, tuple[str, int] | None] = {
        "a": (variant.doc_id, n_copy),
        "b": (BASE_DOC_ID, 2),
        "c": (BASE_DOC_ID, 4),
    }
    got = recall(top1, questions, docs)
    assert got["recall_at_1"] == pytest.approx(2 / 3)
    assert got["recall_at_1_exact"] == pytest.approx(1 / 3)


def test_question_set_is_answerable_and_standalone() -> None:
    questions = load_questions()
    assert len(questions) >= 80
    assert all(q.question for q in questions)
    assert all(all(1 <= n <= 18 for n in q.gold) for q in questions)


def test_seeded_vectors_stay_near_their_origin(e5_embeddings: Any) -> None:
    seeds = SeededVectors.embed_base(e5_embeddings)
    assert len(seeds.paragraph) == 18
    variant = build_corpus(2)[1]
    parsed = prepare(variant.loaded())
    table = seeds.for_chunks(variant, parsed)
    # Every chunk of the variant (paragraph or sentence) has a vector.
    assert {c.text for c in parsed.chunks()} <= set(table)
    for p in parsed.paragraphs:
        vec = np.asarray(table[p.text])
        origin = seeds.paragraph[variant.origin[p.n - 1]]
        assert np.linalg.norm(vec) == pytest.approx(1.0, abs=1e-5)
        assert 0.9 < float(vec @ origin) < 0.999
    # The embedder answers table texts from the table and embeds the rest for real.
    bench = BenchEmbeddings(e5_embeddings)
    bench.table = table
    first = parsed.paragraphs[2].text
    out = bench.embed_documents([first, "一段不在表里的文字。"])
    assert out[0] == table[first]
    assert bench.seeded_texts == 1 and bench.real_texts == 1
    assert bench.key == e5_embeddings.key  # same Chroma collection as the real embedder


def test_ratios_and_targets_from_a_result() -> None:
    ours = {"retrieval_p95_ms": 20.0, "recall_at_1": 0.9, "documents": 1000, "embedding": "x"}
    base = {"retrieval_p95_ms": 40.0, "recall_at_1": 0.6, "documents": 1000}
    got = ratios(ours, base)
    assert got == {"retrieval_p95_ms": 0.5, "recall_at_1": pytest.approx(1.5)}
    result = {
        "sizes": [{"size": 1000, "ours": {**ours, "reingest_unchanged_p50_s": 12.0}}],
        "embedder": None,
    }
    by_name = {t["name"]: t for t in targets(result)}
    assert by_name["retrieval p95 at 1,000 documents"]["met"] is True
    assert by_name["re-ingest of an unchanged 1,000-document corpus (p50)"]["met"] is False
    assert by_name["retrieval p95 at 10,000 documents"]["measured"] is None


def test_a_failing_baseline_worker_leaves_our_numbers_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first 10,000-document run lost 30 minutes of our measurements when the
    baseline's worker died: now the size is still reported, with the failure."""
    from eval.bench import measure

    real_run = measure._run_worker

    def baseline_dies(cmd: list[str], result: Path, timeout: float) -> dict[str, Any]:
        if cmd[3] == "baseline":
            raise RuntimeError("benchmark worker baseline failed with exit 1")
        return real_run(cmd, result, timeout)

    monkeypatch.setattr(measure, "_run_worker", baseline_dies)
    out = tmp_path / "bench"
    result = measure.run_bench([1], out, repeats=1, quick=True, skip=("raw", "cold", "server"))
    row = result["sizes"][0]
    assert row["ours"]["recall_at_1"] > 0 and row["ours"]["retrieval_p95_ms"] > 0
    assert row["baseline"] == {"error": "benchmark worker baseline failed with exit 1"}
    saved = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert saved["sizes"][0]["ours"]["recall_at_1"] == row["ours"]["recall_at_1"]
    assert "baseline, size 1: benchmark worker baseline failed" in (out / "bench.md").read_text(
        encoding="utf-8"
    )
