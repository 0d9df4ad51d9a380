"""The question path's bounds: a length cap with a clear error in every edge (the
assistant, the CLI), and nothing longer than a question ever reaching the embedder."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest
from helpers import assert_one_line_error

from eval.bench.load import long_question
from ingest.store import Index
from rag.service import Assistant
from speechqa.errors import InputError
from speechqa.settings import Settings

Cli = Callable[..., subprocess.CompletedProcess[str]]


class RecordingEmbeddings:
    """The real embedder, remembering the length of every query it embeds."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.lengths: list[int] = []

    def embed_query(self, text: str) -> list[float]:
        self.lengths.append(len(text))
        return self.inner.embed_query(text)  # type: ignore[attr-defined, no-any-return]

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


@pytest.fixture
def extractive(bundled_index: Index) -> Assistant:
    from speechqa.factory import build_assistant

    return build_assistant(Settings(store=bundled_index.settings.store), index=bundled_index)


def test_default_cap() -> None:
    assert Settings().answer.max_question_chars == 500


def test_question_at_the_cap_is_answered(extractive: Assistant) -> None:
    answer = extractive.ask(long_question(500))
    assert answer.question == long_question(500)
    assert answer.refused or answer.citations


@pytest.mark.parametrize("chars", [501, 5_000, 100_000])
def test_question_over_the_cap_is_refused_in_both_languages(
    extractive: Assistant, chars: int
) -> None:
    with pytest.raises(InputError) as err:
        extractive.ask(long_question(chars))
    assert f"{chars} characters" in str(err.value) and "500" in str(err.value)
    assert "500 字" in err.value.chinese
    assert err.value.exit_code == 2


def test_quote_topic_over_the_cap_is_refused(extractive: Assistant) -> None:
    with pytest.raises(InputError, match="topic"):
        extractive.quote("纪律" * 300)


def test_follow_up_with_long_history_reaches_the_embedder_clipped(bundled_index: Index) -> None:
    from speechqa.factory import build_assistant

    recording = RecordingEmbeddings(bundled_index.embeddings)
    index = Index.__new__(Index)
    index.__dict__.update(bundled_index.__dict__)
    index.embeddings = recording  # type: ignore[assignment]
    assistant = build_assistant(Settings(store=bundled_index.settings.store), index=index)
    history = [long_question(500), long_question(500)]
    assistant.ask("那呢？", history=history)
    assert recording.lengths and max(recording.lengths) <= 500


def test_cli_refuses_an_oversized_question(cli: Cli, bundled_index: Index) -> None:
    proc = cli("ask", long_question(600), env={"SPEECHQA_STORE": bundled_index.settings.store})
    assert_one_line_error(proc, "600 characters", "SPEECHQA_ANSWER_MAX_QUESTION_CHARS", code=2)


def test_cap_is_a_setting(cli: Cli, bundled_index: Index) -> None:
    env = {
        "SPEECHQA_STORE": str(bundled_index.settings.store),
        "SPEECHQA_ANSWER_MAX_QUESTION_CHARS": "20",
    }
    proc = cli("ask", "一共开展了几次集中学习？这个问题有点长了一些", env=env)
    assert_one_line_error(proc, "20-character limit", code=2)
