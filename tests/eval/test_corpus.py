"""The development corpus (eval/corpus/manifest.toml): its question sets fit its
documents as the real ingest pipeline parses them, and the manifest evaluation of
`make test` meets the per-split gate of eval/thresholds.toml (held-out targets are
reported, not gated: see eval/README.md, "The gate")."""

from __future__ import annotations

from pathlib import Path

import helpers
from eval_harness import Run

from eval.manifest import load_manifest, load_manifest_questions, packaged_manifest_path
from eval.report import describe
from eval.thresholds import load_thresholds, packaged_thresholds_path
from eval.validate import corpus_problems

KINDS = {"fact", "number", "list", "paraphrase", "structure", "why", "multi", "quote",
         "followup", "unanswerable"}  # fmt: skip
CORPUS = packaged_manifest_path().parent


def test_the_corpus_question_sets_fit_their_documents() -> None:
    manifest = load_manifest(packaged_manifest_path())
    questions = load_manifest_questions(manifest, helpers.SPEECH_ID)
    assert corpus_problems(manifest, helpers.SPEECH_ID, 20_000_000) == []
    assert {q.kind for q in questions} <= KINDS
    corpus_sets = [q for q in questions if Path(q.source).is_relative_to(CORPUS)]
    assert corpus_sets, "no question set under eval/corpus"
    # every corpus question names its document, or null for the whole archive
    assert all(q.archive or q.doc for q in corpus_sets)
    assert {q.split for q in questions} == {"tuning", "heldout"}
    assert any(q.archive for q in questions if q.split == "heldout")


def test_the_corpus_evaluation_meets_its_gate(corpus_run: Run) -> None:
    proc = corpus_run.proc
    assert proc.returncode in (0, 1), proc.stderr
    summary = corpus_run.json("summary.json")
    manifest = load_manifest(packaged_manifest_path())
    asked = load_manifest_questions(manifest, helpers.SPEECH_ID)
    # no crash, every question answered
    results = corpus_run.json("results.json")
    assert [r["id"] for r in results] == [q.id for q in asked]
    assert all(r["answer"].strip() for r in results)
    assert summary["counts"]["questions"] == len(asked)
    assert {row["doc"] for row in summary["by_document"]} >= {d.id for d in manifest.documents}
    # every threshold of the split tables is checked and reported, targets included
    thresholds = load_thresholds(packaged_thresholds_path())
    expected = [
        (split, t.metric, t.status) for split in ("tuning", "heldout") for t in thresholds.of(split)
    ]
    checks = summary["gate"]["checks"]
    assert [(c["split"], c["metric"], c["status"]) for c in checks] == expected
    lines = [line.split(maxsplit=2) for line in proc.stdout.splitlines()]
    for c in checks:  # in the stdout table, a target as "目标 ≥ x"
        assert any(
            len(row) == 3 and row[:2] == [c["metric"], c["split"]] and f"{describe(c)}  " in row[2]
            for row in lines
        ), c
    failing = [c for c in checks if c["status"] == "gate" and not c["passed"]]
    assert proc.returncode == 0, (
        "gate missed: "
        + "; ".join(f"{c['split']} {c['metric']} {c['reason']}" for c in failing)
        + f"\n{proc.stdout}\nfailing questions: see {corpus_run.out / 'report.md'}"
    )
