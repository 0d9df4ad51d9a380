"""Question files: the packaged set is valid, and every kind of bad input is a one-line
error with exit code 2 from the real ``speechqa eval`` (no traceback)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import helpers
import pytest

from eval.questions import (
    Question,
    check_documents,
    load_questions,
    packaged_questions_path,
)
from speechqa.errors import InputError

GOOD = {"id": "x1", "question": "会议的主要任务是什么？", "gold_paragraphs": [2], "kind": "fact"}


def test_the_packaged_question_set_loads_and_fits_the_bundled_speech() -> None:
    questions = load_questions(packaged_questions_path())
    assert len(questions) == 108
    assert len({q.id for q in questions}) == 108
    assert sum(not q.answerable for q in questions) >= 15
    check_documents(questions, {helpers.SPEECH_ID: 18}, helpers.SPEECH_ID)
    followups = [q for q in questions if q.history]
    assert followups and all(isinstance(h, str) for q in followups for h in q.history)


def test_optional_fields_are_read(write_questions: Callable[..., Path]) -> None:
    path = write_questions(
        [
            {**GOOD, "answer_keys": ["2022年工作"], "history": ["上一个问题？"], "doc": "d1"},
            {"id": "x2", "question": "谁？", "gold_paragraphs": [], "kind": "unanswerable"},
        ]
    )
    first, second = load_questions(path)
    assert first == Question(
        "x1", GOOD["question"], (2,), "fact", ("2022年工作",), ("上一个问题？",), "d1", line=1
    )
    assert first.answerable and not second.answerable
    assert second.answer_keys == () and second.history == () and second.doc is None


BAD_FILES: list[tuple[str, list[object], list[str]]] = [
    ("malformed", ['{"id": "x1", "question": "问"', json.dumps(GOOD)], [":1:", "not valid JSON"]),
    ("not an object", [json.dumps(GOOD), "[1, 2]"], [":2:", "expected a JSON object"]),
    (
        "missing fields",
        [{"id": "x1", "question": "问"}],
        [":1:", "'gold_paragraphs'", "'kind'"],
    ),
    ("gold not a list", [{**GOOD, "gold_paragraphs": 3}], [":1:", "gold_paragraphs"]),
    ("gold of strings", [{**GOOD, "gold_paragraphs": ["3"]}], [":1:", "gold_paragraphs"]),
    ("gold zero", [{**GOOD, "gold_paragraphs": [0]}], [":1:", "≥ 1"]),
    ("gold bool", [{**GOOD, "gold_paragraphs": [True]}], [":1:", "gold_paragraphs"]),
    ("question not a string", [{**GOOD, "question": 5}], [":1:", "'question'"]),
    ("empty question", [{**GOOD, "question": "  "}], [":1:", "empty string"]),
    ("keys not a list", [{**GOOD, "answer_keys": "2022年"}], [":1:", "'answer_keys'"]),
    ("history of numbers", [{**GOOD, "history": [1]}], [":1:", "'history'"]),
    ("doc not a string", [{**GOOD, "doc": 7}], [":1:", "'doc'"]),
    ("gold ref without a number", [{**GOOD, "gold_paragraphs": ["d1:"]}], [":1:", "doc_id:n"]),
    ("gold ref zero", [{**GOOD, "gold_paragraphs": ["d1:0"]}], [":1:", "doc_id:n"]),
    (
        "archive gold without its document",
        [{**GOOD, "doc": None, "gold_paragraphs": ["d1:2", 3]}],
        [":1:", '"doc": null', '"doc_id:3"'],
    ),
    (
        "repeated archive gold",
        [{**GOOD, "doc": None, "gold_paragraphs": ["d1:2", "d1:2"]}],
        [":1:", '"d1:2" twice'],
    ),
    (
        "keys on an unanswerable question",
        [{**GOOD, "gold_paragraphs": [], "answer_keys": ["x"]}],
        [":1:", "answer_keys but no gold_paragraphs"],
    ),
    ("repeated gold", [{**GOOD, "gold_paragraphs": [3, 3]}], [":1:", "¶3 twice"]),
    ("duplicate ids", [GOOD, "", GOOD], [":3:", "duplicate id 'x1'", "line 1"]),
    ("empty file", [], ["no questions"]),
    ("only blank lines", ["", "  "], ["no questions"]),
]


@pytest.mark.parametrize(("case", "rows", "needles"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_question_files_raise_input_errors(
    case: str, rows: list[object], needles: list[str], write_questions: Callable[..., Path]
) -> None:
    path = write_questions(rows)
    with pytest.raises(InputError) as err:
        load_questions(path)
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message
    for needle in needles:
        assert needle in message, message


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.jsonl"
    path.write_bytes(json.dumps(GOOD, ensure_ascii=False).encode("gbk"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_questions(path)


def test_archive_questions_and_gold_in_other_documents(
    write_questions: Callable[..., Path],
) -> None:
    archive, named, plain = load_questions(
        write_questions(
            [
                {**GOOD, "doc": None, "gold_paragraphs": ["d1:2", "d2:7"]},
                {**GOOD, "id": "x2", "doc": "d1", "gold_paragraphs": [2, "d2:7"]},
                {**GOOD, "id": "x3"},
            ]
        )
    )
    assert archive.archive and archive.doc is None
    assert archive.refs == (("d1", 2), ("d2", 7))
    assert archive.scope("speech") is None
    assert archive.gold_keys(None) == [("d1", 2), ("d2", 7)]
    assert not named.archive and named.gold_keys("d1") == [("d1", 2), ("d2", 7)]
    assert not plain.archive and plain.scope("speech") == "speech"  # no "doc": the default
    check_documents([archive, named, plain], {"d1": 3, "d2": 7, "speech": 18}, "speech")
    with pytest.raises(InputError, match=r":1: question 'x1' gives gold ¶7, but .*'d2'.* 1–6"):
        check_documents([archive], {"d1": 3, "d2": 6}, "speech")
    with pytest.raises(InputError, match=r":1: .*\"d2:7\" in document 'd2', which is not"):
        check_documents([archive], {"d1": 3}, "speech")


def test_documents_and_paragraph_ranges_are_checked(write_questions: Callable[..., Path]) -> None:
    questions = load_questions(
        write_questions([GOOD, {**GOOD, "id": "x2", "gold_paragraphs": [19]}])
    )
    with pytest.raises(InputError, match=r":2: question 'x2' gives gold ¶19, but document .* 1–18"):
        check_documents(questions, {"speech": 18}, "speech")
    with pytest.raises(InputError, match=r":1: question 'x1' needs document 'other'.*have: speech"):
        check_documents(questions, {"speech": 18}, "other")


# ---- through the real CLI -------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "needles"),
    [
        (['{"id": "x1", "question": "问", }'], [":1:", "not valid JSON"]),
        (
            [{"id": "x1", "question": "问", "kind": "fact"}],
            [":1:", "missing field 'gold_paragraphs'"],
        ),
        ([{**GOOD, "gold_paragraphs": "2"}], [":1:", "gold_paragraphs"]),
        ([GOOD, GOOD], [":2:", "duplicate id 'x1'"]),
        ([], ["no questions"]),
    ],
    ids=["malformed", "missing", "wrong type", "duplicate", "empty"],
)
def test_cli_rejects_bad_question_files_with_exit_code_2(
    rows: list[object], needles: list[str], write_questions: Callable[..., Path], tmp_path: Path
) -> None:
    path = write_questions(rows)
    proc = helpers.run_cli(
        "eval",
        "--questions",
        path,
        "--out",
        tmp_path / "out",
        env={"SPEECHQA_STORE": tmp_path / "s"},
    )
    helpers.assert_one_line_error(proc, str(path), *needles, code=2)
    assert not (tmp_path / "out").exists()


def test_cli_rejects_a_gold_paragraph_the_document_lacks(
    eval_store: Path, write_questions: Callable[..., Path], tmp_path: Path
) -> None:
    path = write_questions([GOOD, {**GOOD, "id": "x2", "gold_paragraphs": [2, 40]}])
    proc = helpers.run_cli(
        "eval", "--questions", path, "--out", tmp_path / "out", env={"SPEECHQA_STORE": eval_store}
    )
    helpers.assert_one_line_error(proc, f"{path}:2:", "¶40", "1–18", code=2)


def test_cli_rejects_an_unknown_document(
    eval_store: Path, write_questions: Callable[..., Path], tmp_path: Path
) -> None:
    path = write_questions([GOOD, {**GOOD, "id": "x2", "doc": "no-such-speech"}])
    proc = helpers.run_cli(
        "eval", "--questions", path, "--out", tmp_path / "out", env={"SPEECHQA_STORE": eval_store}
    )
    helpers.assert_one_line_error(proc, f"{path}:2:", "'no-such-speech'", helpers.SPEECH_ID, code=2)
    proc = helpers.run_cli(
        "eval",
        "--questions",
        write_questions([GOOD], name="one.jsonl"),
        "--doc",
        "missing-doc",
        "--out",
        tmp_path / "out",
        env={"SPEECHQA_STORE": eval_store},
    )
    helpers.assert_one_line_error(proc, "'missing-doc'", code=2)


@pytest.mark.parametrize(
    ("toml", "needles"),
    [
        ('[gate]\n"recall@1" = {min = ', ["not valid TOML"]),
        ("[other]\nx = 1\n", ["needs a [gate] table"]),
        ('[gate]\n"recall@7" = {min = 0.5}\n', ["unknown metric 'recall@7'"]),
        ('[gate]\n"recall@1" = {least = 0.5}\n', ["min and/or max"]),
        ('[gate]\n"recall@1" = {min = "high"}\n', ["must be a number"]),
    ],
    ids=["toml", "no gate", "unknown metric", "bad key", "not a number"],
)
def test_cli_rejects_bad_thresholds_with_exit_code_2(
    toml: str,
    needles: list[str],
    write_questions: Callable[..., Path],
    write_thresholds: Callable[..., Path],
    tmp_path: Path,
) -> None:
    proc = helpers.run_cli(
        "eval",
        "--questions",
        write_questions([GOOD]),
        "--thresholds",
        write_thresholds(toml),
        "--out",
        tmp_path / "out",
        env={"SPEECHQA_STORE": tmp_path / "s"},
    )
    helpers.assert_one_line_error(proc, *needles, code=2)


def test_cli_rejects_missing_files_and_llm_mode_without_an_endpoint(
    write_questions: Callable[..., Path], tmp_path: Path
) -> None:
    env = {"SPEECHQA_STORE": tmp_path / "s"}
    out = ("--out", tmp_path / "out")
    proc = helpers.run_cli("eval", "--questions", tmp_path / "nope.jsonl", *out, env=env)
    helpers.assert_one_line_error(proc, "nope.jsonl", "does not exist", code=2)
    good = write_questions([GOOD])
    proc = helpers.run_cli(
        "eval", "--questions", good, "--compare", tmp_path / "old.json", *out, env=env
    )
    helpers.assert_one_line_error(proc, "old.json", "does not exist", code=2)
    not_summary = tmp_path / "summary.json"
    not_summary.write_text('{"hello": 1}', encoding="utf-8")
    proc = helpers.run_cli("eval", "--questions", good, "--compare", not_summary, *out, env=env)
    helpers.assert_one_line_error(proc, "not a summary.json", code=2)
    proc = helpers.run_cli("eval", "--questions", good, "--mode", "llm", *out, env=env)
    helpers.assert_one_line_error(proc, "SPEECHQA_LLM_MODEL", code=2)
    a_file = tmp_path / "taken"
    a_file.write_text("x", encoding="utf-8")
    proc = helpers.run_cli("eval", "--questions", good, "--out", a_file / "sub", env=env)
    helpers.assert_one_line_error(proc, "cannot create the output folder", "--out", code=2)
