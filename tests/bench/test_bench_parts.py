"""Pieces of the benchmark: scoring a baseline chunk by its ¶, the question sets,
recall@1 per split, the precomputed-vector embedder, ratios and targets."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from eval.bench.baseline import ParagraphMap, make_splitter
from eval.bench.corpora import beyond_last_paragraph, build_corpus, original
from eval.bench.devcorpus import (
    BASE_DOC_ID,
    Question,
    documents,
    fitting,
    for_corpus,
    missing_question_sets,
    questions,
)
from eval.bench.measure import ratios
from eval.bench.ours import recall
from eval.bench.report import targets
from eval.bench.vectors import BenchEmbeddings, SeededVectors
from ingest.pipeline import prepare


def test_baseline_chunks_map_to_the_paragraph_they_mostly_cover() -> None:
    docs = build_corpus(len(documents()) + 3)  # every original (.txt, .md, .docx), 3 variants
    mapping = ParagraphMap(docs)
    chunks = make_splitter().create_documents(
        [d.text for d in docs], metadatas=[{"doc_id": d.doc_id} for d in docs]
    )
    assert len(chunks) > 14 * 3
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


def _q(qid: str, split: str, *gold: tuple[str, int]) -> Question:
    return Question(qid, "?", frozenset(gold), split, gold[0][0] if gold else None)


def test_recall_counts_a_variants_copy_per_split() -> None:
    docs = build_corpus(len(documents()) + 3)  # the originals, a variant of the first three
    county = next(d for d in docs if d.original == "discipline-2024-county" and not d.is_original)
    bundled = next(d for d in docs if d.original == BASE_DOC_ID and not d.is_original)
    copy = county.origin.index(9) + 1  # where ¶9 of the county speech went in its variant
    asked = [
        _q("a", "tuning", ("discipline-2024-county", 9)),  # the variant's copy: a hit
        _q("b", "tuning", (BASE_DOC_ID, 2)),  # the original's own ¶: an exact hit
        _q("c", "tuning", (BASE_DOC_ID, 3)),  # right document, wrong ¶
        _q("d", "heldout", ("notice-2024-flood", 4)),  # wrong document
        _q("e", "heldout", ("notice-2024-flood", 5), ("economy-2025-conference", 7)),
    ]
    top1: dict[str, tuple[str, int] | None] = {
        "a": (county.doc_id, copy),
        "b": (BASE_DOC_ID, 2),
        "c": (bundled.doc_id, bundled.origin.index(4) + 1),
        "d": (BASE_DOC_ID, 4),
        "e": ("economy-2025-conference", 7),
    }
    got = recall(top1, asked, docs)
    assert got["recall_at_1_tuning"] == pytest.approx(2 / 3)
    assert got["recall_at_1_exact_tuning"] == pytest.approx(1 / 3)
    assert got["doc_recall_at_1_tuning"] == pytest.approx(1.0)
    assert got["recall_at_1_heldout"] == got["recall_at_1_exact_heldout"] == pytest.approx(0.5)
    assert got["doc_recall_at_1_heldout"] == pytest.approx(0.5)
    assert got["questions_tuning"] == 3 and got["questions_heldout"] == 2
    assert recall(top1, [], docs)["recall_at_1_tuning"] is None


def test_question_sets_follow_the_manifest_and_its_splits() -> None:
    qs = questions()
    by_split = Counter(q.split for q in qs)
    assert by_split["tuning"] >= 200 and by_split["heldout"] >= 200
    ids = {d.doc_id: d for d in documents()}
    for q in qs:
        assert all(doc_id in ids and n >= 1 for doc_id, n in q.gold), q.id
        if q.doc is not None and q.doc != BASE_DOC_ID:
            # A set about one document takes that document's split.
            assert ids[q.doc].split == q.split, q.id
    assert len({q.id for q in qs}) == len(qs)
    # Size 1 asks only about the bundled speech: its tuning and held-out sets, and the
    # off-topic questions asked of it (all unanswerable).
    asked, answerable = for_corpus({BASE_DOC_ID})
    assert {q.id.split("/")[0] for q in asked} == {"questions", "heldout", "offtopic-tuning"}
    assert not [q for q in answerable if q.id.startswith("offtopic-tuning/")]
    assert answerable and all(q.gold and q.docs == {BASE_DOC_ID} for q in answerable)
    every, _ = for_corpus({d.doc_id for d in documents()})
    assert len(every) == len(qs)
    # Gold beyond a document's last paragraph (as the loader numbers them) is reported.
    paragraphs = {d.doc_id: len(original(d.doc_id).paragraphs()) for d in documents()}
    assert beyond_last_paragraph() == sorted(
        q.id for q in qs if any(n > paragraphs[doc_id] for doc_id, n in q.gold)
    )
    quick, quick_answerable = for_corpus({d.doc_id for d in documents()}, quick=True)
    assert {q.split for q in quick_answerable} == {"tuning", "heldout"}
    assert len(quick) < len(every)


def test_archive_questions_take_gold_as_doc_and_paragraph(tmp_path: Path) -> None:
    rows = [
        {
            "id": "ar-1",
            "question": "哪两份文件都提到了汛期？",
            "doc": None,
            "gold_paragraphs": ["notice-2024-flood:3", "emergency-2024-communique:10"],
            "kind": "fact",
        },
        {"id": "ar-2", "question": "？", "doc": None, "gold_paragraphs": [], "kind": "none"},
    ]
    (tmp_path / "archive.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        '[[questions]]\npath = "archive.jsonl"\nsplit = "heldout"\n'
        '[[questions]]\npath = "not-written-yet.jsonl"\nsplit = "tuning"\n',
        encoding="utf-8",
    )
    first, second = questions(manifest)
    assert first.gold == {("notice-2024-flood", 3), ("emergency-2024-communique", 10)}
    assert first.doc is None and first.split == "heldout" and first.id == "archive/ar-1"
    assert first.docs == {"notice-2024-flood", "emergency-2024-communique"}
    assert not second.answerable
    assert missing_question_sets(manifest) == ["not-written-yet.jsonl"]
    # Archive questions are asked of the whole development corpus only.
    assert fitting([first, second], {"notice-2024-flood", "emergency-2024-communique"}) == []
    assert fitting([first, second], {d.doc_id for d in documents()}) == [first, second]


def test_seeded_vectors_stay_near_their_origin(e5_embeddings: Any, tmp_path: Path) -> None:
    small = [original(BASE_DOC_ID), original("emergency-2024-communique")]
    seeds = SeededVectors.embed_originals(e5_embeddings, small, cache_dir=tmp_path)
    assert len(seeds.paragraph) == 18 + len(small[1].paragraphs())
    assert seeds.seconds_per_text > 0
    # A second worker reads the same vectors from the cache.
    again = SeededVectors.embed_originals(e5_embeddings, small, cache_dir=tmp_path)
    assert again.seconds_per_text == seeds.seconds_per_text
    assert all(np.array_equal(again.exact[t], v) for t, v in seeds.exact.items())
    docs = build_corpus(2 * len(documents()))  # a variant of every original
    for o in small:
        variant = next(d for d in docs if d.original == o.doc_id and not d.is_original)
        parsed = prepare(variant.loaded())
        table = seeds.for_chunks(variant, parsed)
        # Every chunk of the variant (paragraph or sentence) has a vector.
        assert {c.text for c in parsed.chunks()} <= set(table)
        for p in parsed.paragraphs:
            vec = table[p.text]
            origin = seeds.paragraph[(variant.original, variant.origin[p.n - 1])]
            assert float(np.linalg.norm(vec)) == pytest.approx(1.0, abs=1e-5)
            if p.text in seeds.exact:  # the same text as in the original: its real vector
                assert np.array_equal(vec, seeds.exact[p.text])
            else:
                assert 0.9 < float(vec @ origin) < 0.999
    # The embedder answers table texts from the table and embeds the rest for real.
    bench = BenchEmbeddings(e5_embeddings)
    bench.table = table
    first = parsed.paragraphs[2].text
    out = bench.embed_documents([first, "一段不在表里的文字。"])
    assert out[0] == table[first].tolist()
    assert bench.seeded_texts == 1 and bench.real_texts == 1
    assert bench.key == e5_embeddings.key  # same Chroma collection as the real embedder


def test_ratios_and_targets_from_a_result() -> None:
    ours = {
        "retrieval_p95_ms": 20.0,
        "recall_at_1_heldout": 0.9,
        "documents": 1000,
        "questions_heldout": 240,
        "embedding": "x",
    }
    base = {"retrieval_p95_ms": 40.0, "recall_at_1_heldout": 0.6, "documents": 1000}
    base["questions_heldout"] = 240
    got = ratios(ours, base)
    assert got == {"retrieval_p95_ms": 0.5, "recall_at_1_heldout": pytest.approx(1.5)}
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
    assert row["ours"]["recall_at_1_tuning"] > 0 and row["ours"]["retrieval_p95_ms"] > 0
    assert row["baseline"] == {"error": "benchmark worker baseline failed with exit 1"}
    saved = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert saved["sizes"][0]["ours"]["recall_at_1_tuning"] == row["ours"]["recall_at_1_tuning"]
    assert "baseline, size 1: benchmark worker baseline failed" in (out / "bench.md").read_text(
        encoding="utf-8"
    )
