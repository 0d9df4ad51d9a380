"""A real ``speechqa serve`` over a real ``chroma run``, used the way many users and a
hostile one use it: an oversized question, many users during an ingest by another
process, documents added and deleted from the command line while it runs.

The figures themselves (50 users, p50/p95) are ``speechqa bench --load 50``; this is
the small version of the same scenario (eval/bench/load.py)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import helpers
import pytest

from eval.bench.load import (
    QUESTION,
    Stack,
    ask,
    concurrent_users,
    corpus_files,
    long_question,
    long_question_effect,
    stack,
)

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("rel-serve")
    with stack(folder, helpers.subprocess_env()) as s:
        yield s


def test_question_at_the_limit_is_answered(served: Stack) -> None:
    got = ask(served.url, long_question(500))
    assert got.error is None, got.error
    assert got.answer is not None
    assert got.answer["refused"] or got.answer["citations"]


def test_oversized_question_is_refused_and_does_not_stall_others(served: Stack) -> None:
    figures = long_question_effect(served, chars=100_000, others=3)
    assert figures.long_error is not None
    assert "500" in figures.long_error and "character" in figures.long_error
    # Refused before the embedder: not the 74 s it took before the cap.
    assert figures.long_ms < 10_000, figures


def test_many_users_during_an_ingest_get_answers(served: Stack) -> None:
    smallest = sorted(corpus_files(), key=lambda f: Path(f).stat().st_size)[:2]
    figures = concurrent_users(served, 12, long_question(500), smallest)
    assert figures.errors == 0, figures.error_samples
    assert figures.ingest_ok is True


def test_documents_from_another_process_are_seen_without_restart(
    served: Stack, tmp_path: Path
) -> None:
    speech = tmp_path / "urban-green-2024.txt"
    speech.write_text(
        "同志们：\n今年全市新增城市绿地一千二百公顷，建成口袋公园八十六个。\n"
        "明年要继续推进城市绿化，让群众推窗见绿、出门入园。\n",
        encoding="utf-8",
    )
    question = "今年全市新增城市绿地多少公顷？"
    done = served.cli("ingest", "--quiet", str(speech))
    assert done.returncode == 0, done.stderr
    got = ask(served.url, question)
    assert got.error is None and got.answer is not None, got.error
    assert got.answer["doc_id"] == "urban-green-2024"
    assert "一千二百公顷" in got.answer["answer"]

    gone = served.cli("ingest", "--delete", "urban-green-2024")
    assert gone.returncode == 0, gone.stderr
    after = ask(served.url, question)
    assert after.error is None and after.answer is not None, after.error
    assert after.answer["doc_id"] != "urban-green-2024"


def test_question_box_says_and_enforces_the_limit(served: Stack) -> None:
    with urllib.request.urlopen(served.url + "config", timeout=10) as resp:
        config = json.loads(resp.read())
    props = {c.get("props", {}).get("elem_id"): c.get("props", {}) for c in config["components"]}
    assert props["sq-question"]["max_length"] == 500
    assert "500" in str(props["sq-qcountbox"].get("value"))


def test_normal_question_still_answers(served: Stack) -> None:
    got = ask(served.url, QUESTION)
    assert got.error is None and got.answer is not None
    assert 3 in {c["paragraph"] for c in got.answer["citations"]}
