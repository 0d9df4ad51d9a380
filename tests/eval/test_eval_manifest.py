"""The corpus manifest, the per-split thresholds and the question-set check, on small
manifests written into tmp folders: what loads, and every kind of bad input as a
one-line InputError naming the file and what to fix."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from eval_harness import CORPUS_SETS, RIVER, SAFETY, write_corpus

from eval.manifest import load_manifest, load_manifest_questions
from eval.thresholds import (
    GateCheck,
    Threshold,
    apply_gate,
    gate_passed,
    load_thresholds,
    packaged_thresholds_path,
)
from eval.validate import corpus_problems
from speechqa.errors import InputError

MAX_BYTES = 20_000_000


def sets_with(name: str, index: int, **changes: Any) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """CORPUS_SETS with one question changed."""
    sets = copy.deepcopy(CORPUS_SETS)
    sets[name][1][index].update(changes)
    return sets


def test_a_manifest_loads_documents_sets_and_splits(tmp_path: Path) -> None:
    manifest = load_manifest(write_corpus(tmp_path))
    assert [(d.id, d.split) for d in manifest.documents] == [
        (SAFETY, "tuning"),
        (RIVER, "heldout"),
    ]
    assert manifest.documents[0].path == (tmp_path / f"{SAFETY}.txt").resolve()
    assert [(s.path.name, s.split) for s in manifest.question_sets] == [
        ("tuning.jsonl", "tuning"),
        ("heldout.jsonl", "heldout"),
    ]
    questions = load_manifest_questions(manifest, "unused-default")
    assert [(q.id, q.split, q.archive) for q in questions] == [
        ("t1", "tuning", False),
        ("t2", "tuning", False),
        ("t3", "tuning", False),
        ("ta1", "tuning", True),
        ("h1", "heldout", False),
        ("h2", "heldout", False),
        ("h3", "heldout", False),
        ("ha1", "heldout", True),
    ]
    assert corpus_problems(manifest, "unused-default", MAX_BYTES) == []


def test_the_packaged_manifest_lists_the_bundled_speech_as_tuning() -> None:
    from eval.manifest import packaged_manifest_path

    manifest = load_manifest(packaged_manifest_path())
    doc = manifest.document("speech-2023-party-discipline")
    assert doc is not None and doc.split == "tuning" and doc.path.is_file()
    assert {d.split for d in manifest.documents} == {"tuning", "heldout"}


BAD_MANIFESTS: list[tuple[str, str, list[str]]] = [
    ("not toml", "[[document]\n", ["not valid TOML"]),
    ("no documents", '[[questions]]\npath = "tuning.jsonl"\nsplit = "tuning"\n', ["[[document]]"]),
    (
        "bad split",
        '[[document]]\nid = "county-safety"\npath = "county-safety.txt"\nsplit = "dev"\n',
        ["[[document]] #1", "split must be one of tuning, heldout", "'dev'"],
    ),
    (
        "missing file",
        '[[document]]\nid = "gone"\npath = "gone.txt"\nsplit = "tuning"\n',
        ["[[document]] #1", "gone.txt does not exist"],
    ),
    (
        "id is not the slug",
        '[[document]]\nid = "safety"\npath = "county-safety.txt"\nsplit = "tuning"\n',
        ["id 'safety'", "'county-safety'"],
    ),
    (
        "listed twice",
        '[[document]]\nid = "county-safety"\npath = "county-safety.txt"\nsplit = "tuning"\n' * 2,
        ["[[document]] #2", "listed twice"],
    ),
    (
        "no question sets",
        '[[document]]\nid = "county-safety"\npath = "county-safety.txt"\nsplit = "tuning"\n',
        ["[[questions]]"],
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "needles"), BAD_MANIFESTS, ids=[c[0] for c in BAD_MANIFESTS]
)
def test_bad_manifests_raise_input_errors(
    case: str, text: str, needles: list[str], tmp_path: Path
) -> None:
    path = write_corpus(tmp_path)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_manifest(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    for needle in needles:
        assert needle in message, message


BAD_SETS: list[tuple[str, dict[str, tuple[str, list[dict[str, Any]]]], list[str]]] = [
    (
        "tuning question on a held-out document",
        sets_with("tuning.jsonl", 0, doc=RIVER, gold_paragraphs=[5]),
        ["tuning.jsonl:1:", "tuning set", f"held-out document '{RIVER}'"],
    ),
    (
        "tuning archive gold in a held-out document",
        sets_with("tuning.jsonl", 3, gold_paragraphs=[f"{RIVER}:5"]),
        ["tuning.jsonl:4:", f"held-out document '{RIVER}'"],
    ),
    (
        "unknown document",
        sets_with("heldout.jsonl", 0, doc="no-such-doc"),
        ["heldout.jsonl:1:", "'no-such-doc'", "does not list"],
    ),
    (
        "id used in two sets",
        sets_with("heldout.jsonl", 1, id="t1"),
        ["heldout.jsonl:2:", "id 't1'", "tuning.jsonl:1"],
    ),
]


@pytest.mark.parametrize(("case", "sets", "needles"), BAD_SETS, ids=[c[0] for c in BAD_SETS])
def test_bad_question_sets_raise_input_errors(
    case: str, sets: dict[str, Any], needles: list[str], tmp_path: Path
) -> None:
    manifest = load_manifest(write_corpus(tmp_path, sets))
    with pytest.raises(InputError) as err:
        load_manifest_questions(manifest, "unused-default")
    for needle in needles:
        assert needle in str(err.value), str(err.value)


def test_a_held_out_set_may_ask_about_a_tuning_document(tmp_path: Path) -> None:
    """Like the packaged eval/heldout.jsonl: new questions about the tuning speech."""
    sets = sets_with("heldout.jsonl", 0, doc=SAFETY, gold_paragraphs=[4], answer_keys=["1260处"])
    manifest = load_manifest(write_corpus(tmp_path, sets))
    assert load_manifest_questions(manifest, "unused-default")[4].split == "heldout"


def test_the_check_finds_keys_outside_their_gold_and_gold_out_of_range(tmp_path: Path) -> None:
    sets = sets_with("tuning.jsonl", 0, answer_keys=["1260处", "1300处"])
    sets["heldout.jsonl"][1][1]["gold_paragraphs"] = [9]
    sets["heldout.jsonl"][1][3]["answer_keys"] = ["三个 责任人"]  # spaces fold away: fine
    manifest = load_manifest(write_corpus(tmp_path, sets))
    problems = corpus_problems(manifest, "unused-default", MAX_BYTES)
    assert len(problems) == 2, problems
    assert "tuning.jsonl:1:" in problems[0] and "“1300处”" in problems[0]
    assert "heldout.jsonl:2:" in problems[1] and "¶9" in problems[1] and "1–7" in problems[1]


# ---- thresholds per split, gates and targets ------------------------------------------------


def test_split_tables_statuses_and_arrays(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(
        '[gate]\n"answer_key_recall" = {min = 0.5}\n'
        '[gate.tuning]\n"recall@1" = [{min = 0.8}, {min = 0.92, status = "target"}]\n'
        '[gate.heldout]\n"quote_verbatim" = {min = 1.0, status = "gate"}\n',
        encoding="utf-8",
    )
    t = load_thresholds(path)
    assert t.of("") == [Threshold("key_point_recall", 0.5)]  # the old name still reads
    assert t.of("tuning") == [
        Threshold("recall@1", 0.8, None, "gate", "tuning"),
        Threshold("recall@1", 0.92, None, "target", "tuning"),
    ]
    assert t.of("heldout") == [Threshold("quote_verbatim", 1.0, None, "gate", "heldout")]
    checks = apply_gate({"recall@1": 0.85}, t.of("tuning"))
    assert [c.passed for c in checks] == [True, False]
    assert gate_passed(checks)  # a missed target never fails the run
    assert checks[1].to_dict() == {
        "metric": "recall@1", "split": "tuning", "status": "target", "value": 0.85,
        "min": 0.92, "max": None, "passed": False, "reason": "0.85 < 0.92",
    }  # fmt: skip
    assert not gate_passed(apply_gate({"recall@1": 0.7}, t.of("tuning")))
    t.require(("",))
    t.require(("tuning", "heldout"))


def test_the_packaged_thresholds_gate_the_held_out_split_only_on_what_cannot_leak() -> None:
    t = load_thresholds(packaged_thresholds_path())
    gated = {x.metric for x in t.of("heldout") if x.gating}
    assert gated == {"quote_verbatim"}
    targets = {x.metric: (x.min, x.max) for x in t.of("heldout") if not x.gating}
    assert targets == {
        "recall@1": (0.92, None),
        "document@1": (0.95, None),
        "citation_precision": (0.92, None),
        "key_point_recall": (0.85, None),
        "refusal_correct": (0.85, None),
        "refusal_false": (None, 0.05),
        "partial_answerable": (None, 0.10),  # issue 11: at most 10% of answerable end partial
    }
    assert {x.metric for x in t.of("")} >= {"recall@1", "refusal_false"}  # --questions mode


@pytest.mark.parametrize(
    ("toml", "needles"),
    [
        ('[gate.tuning]\n"recall@1" = {min = 0.5, status = "wish"}\n', ['"target"', "'wish'"]),
        ('[gate.tuning]\n"recall@1" = {status = "target"}\n', ["min and/or max"]),
        ('[gate.dev]\n"recall@1" = {min = 0.5}\n', ["unknown metric 'dev'", "[gate.tuning]"]),
        ('[gate.heldout]\n"recall@9" = {min = 0.5}\n', ["unknown metric 'recall@9'"]),
        ('[gate]\n"recall@1" = [{min = 0.5}, 3]\n', ["min and/or max"]),
    ],
    ids=["status", "status only", "unknown split", "unknown metric", "array item"],
)
def test_bad_split_thresholds(toml: str, needles: list[str], tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_thresholds(path)
    for needle in needles:
        assert needle in str(err.value), str(err.value)


def test_a_mode_needs_its_tables(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[gate.heldout]\n"recall@1" = {min = 0.5}\n', encoding="utf-8")
    t = load_thresholds(path)
    t.require(("tuning", "heldout"))
    with pytest.raises(InputError, match=r"needs metrics in its \[gate\] table"):
        t.require(("",))
    path.write_text('[gate]\n"recall@1" = {min = 0.5}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"\[gate.tuning\] / \[gate.heldout\]"):
        load_thresholds(path).require(("tuning", "heldout"))


def test_gate_check_reports_failed_gates_not_missed_targets() -> None:
    target = GateCheck("recall@1", 0.5, Threshold("recall@1", 0.9, status="target"), False, "x")
    gate = GateCheck("recall@1", 0.5, Threshold("recall@1", 0.9), False, "x")
    assert not target.failed_gate and gate.failed_gate
