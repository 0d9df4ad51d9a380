"""Every way the LLM endpoint fails, through the real client and real HTTP: bounded
retries where another try can help, then the extractive answer with a notice.
Never an exception, never the API key in what the user sees or in the logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from fake_openai import API_KEY, FakeOpenAI
from helpers import SPEECH_ID, free_port

from rag.constants import LLM_FALLBACK_NOTICE, LLM_UNCHECKED_NOTICE, UNVERIFIED_MARK
from rag.result import Answer
from rag.service import Assistant, Event
from speechqa.text import fold

QUESTION = "一共开展了几次集中学习？"
GOOD = (
    "局党组组织开展集中学习30余次[¶3]。原文是：「组织理论中心组、各级党支部集中学习30余次」[¶3]。"
)
RETRIES = 2  # FAST_LLM's max_retries
NOTICE_HEAD = LLM_FALLBACK_NOTICE.split("{reason}")[0]


def run(assistant: Assistant, question: str = QUESTION) -> tuple[list[Event], Answer]:
    events = list(assistant.stream(question))
    final = events[-1]
    assert final.kind == "final" and final.answer is not None
    return events[:-1], final.answer


def assert_extractive_fallback(assistant: Assistant, events: list[Event], answer: Answer) -> None:
    """The extractive answer stands in, says why, and its citations check out."""
    assert answer.mode == "extractive"
    assert answer.notice is not None and answer.notice.startswith(NOTICE_HEAD)
    assert answer.answer.startswith(answer.notice)
    assert not answer.refused
    assert answer.citations and all(c.verified for c in answer.citations)
    assert 3 in {c.paragraph for c in answer.citations}
    assert any(c.quote and "30余次" in c.quote for c in answer.citations)
    text = assistant.corpus.docs[SPEECH_ID].text
    for c in answer.citations:
        assert c.start is not None and c.end is not None
        if c.quote:
            assert fold(text[c.start : c.end]).text == fold(c.quote).text
    assert UNVERIFIED_MARK not in answer.answer
    assert assistant.llm_state == "failing"
    # The failed attempt's text is withdrawn before the extractive answer streams.
    kinds = [e.kind for e in events]
    assert "restart" in kinds
    after = events[len(kinds) - 1 - kinds[::-1].index("restart") + 1 :]
    assert after and all(e.kind == "delta" for e in after)
    assert "".join(e.text for e in after).strip() in answer.answer
    assert_no_key(answer)


def assert_no_key(answer: Answer) -> None:
    dumped = json.dumps(answer.to_dict(), ensure_ascii=False)
    assert API_KEY not in dumped
    assert "SECRET" not in dumped
    assert API_KEY not in (answer.notice or "")


# (id, script for each attempt, words of the notice's reason, requests the server sees)
FAILURES: list[Any] = [
    pytest.param([{"status": 401}], "HTTP 401", 1, id="401-not-retried"),
    pytest.param([{"status": 403}], "HTTP 403", 1, id="403-not-retried"),
    pytest.param([{"status": 404}], "HTTP 404", 1, id="404-not-retried"),
    pytest.param([{"status": 429}] * 3, "HTTP 429", 1 + RETRIES, id="429-exhausted"),
    pytest.param([{"status": 500}] * 3, "HTTP 500", 1 + RETRIES, id="500"),
    pytest.param([{"status": 503}] * 3, "HTTP 503", 1 + RETRIES, id="503"),
    pytest.param([{"text": GOOD, "malformed": True}] * 3, "无法解析", 1 + RETRIES, id="malformed"),
    pytest.param([{"text": GOOD, "cutoff": True}] * 3, "截断", 1 + RETRIES, id="cutoff"),
    pytest.param(
        # openai reports a connection lost mid-stream as APIConnectionError
        [{"text": GOOD, "cutoff": "abrupt"}] * 3,
        "无法连接",
        1 + RETRIES,
        id="abrupt",
    ),
    pytest.param(
        [{"text": GOOD, "finish_reason": "length"}] * 3,
        "finish_reason=length",
        1,
        id="length",
    ),
    pytest.param([{"text": ""}] * 3, "空回答", 1 + RETRIES, id="空回答"),
    pytest.param([{"drop": True}] * 3, "无法连接", 1 + RETRIES, id="connection-dropped"),
]


@pytest.mark.parametrize(("script", "reason", "requests"), FAILURES)
def test_failure_falls_back_to_extractive(
    fake: FakeOpenAI,
    assistant: Assistant,
    script: list[dict[str, Any]],
    reason: str,
    requests: int,
) -> None:
    fake.push(*script)
    events, answer = run(assistant)

    assert len(fake.chat_requests) == requests
    assert reason in (answer.notice or ""), answer.notice
    assert_extractive_fallback(assistant, events, answer)


@pytest.mark.parametrize(
    "text",
    ["局党组组织开展集中学习30余次。", "局党组组织开展集中学习30余次[¶99]。"],
    ids=["no-citations", "only-invalid-citations"],
)
def test_uncheckable_answer_falls_back_without_blaming_the_service(
    fake: FakeOpenAI, assistant: Assistant, text: str
) -> None:
    fake.push(*[{"text": text}] * 3)
    _, answer = run(assistant)

    assert len(fake.chat_requests) == 1 + RETRIES
    assert answer.mode == "extractive"
    assert (answer.notice or "").startswith(LLM_UNCHECKED_NOTICE.split("{reason}")[0])
    assert "没有引用" in (answer.notice or "") and "不可用" not in (answer.notice or "")
    assert answer.citations and all(c.verified for c in answer.citations)
    assert assistant.llm_state == "ready"  # the service answered
    assert_no_key(answer)


def test_timeout_is_retried_then_falls_back(
    fake: FakeOpenAI, make_assistant: Callable[..., Assistant]
) -> None:
    assistant = make_assistant(timeout_s=0.5)
    fake.push(*[{"sleep": 3}] * 3)
    events, answer = run(assistant)

    assert len(fake.chat_requests) == 1 + RETRIES
    assert "超时" in (answer.notice or "")
    assert "SPEECHQA_LLM_TIMEOUT_S" in (answer.notice or "")
    assert_extractive_fallback(assistant, events, answer)


def test_connection_refused_falls_back(make_assistant: Callable[..., Assistant]) -> None:
    assistant = make_assistant(base_url=f"http://127.0.0.1:{free_port()}/v1")
    events, answer = run(assistant)

    assert "无法连接" in (answer.notice or "")
    assert "SPEECHQA_LLM_BASE_URL" in (answer.notice or "")
    assert_extractive_fallback(assistant, events, answer)


def test_429_then_success_gives_the_llm_answer(fake: FakeOpenAI, assistant: Assistant) -> None:
    fake.push({"status": 429}, {"text": GOOD, "stream_chunks": 4})
    events, answer = run(assistant)

    assert len(fake.chat_requests) == 2
    kinds = [e.kind for e in events]
    assert kinds[0] == "restart" and kinds.count("restart") == 1  # nothing to withdraw yet
    assert "".join(e.text for e in events if e.kind == "delta") == GOOD
    assert answer.mode == "llm" and answer.notice is None
    assert answer.answer == GOOD
    assert {c.paragraph for c in answer.citations} == {3}
    assert all(c.verified for c in answer.citations)
    assert assistant.llm_state == "ready"
    assert_no_key(answer)


def test_stream_cut_off_midway_restarts_then_succeeds(
    fake: FakeOpenAI, assistant: Assistant
) -> None:
    fake.push({"text": GOOD, "stream_chunks": 6, "cutoff": "abrupt"}, {"text": GOOD})
    events, answer = run(assistant)

    kinds = [e.kind for e in events]
    first_restart = kinds.index("restart")
    partial = "".join(e.text for e in events[:first_restart] if e.kind == "delta")
    assert partial and GOOD.startswith(partial) and partial != GOOD  # the broken attempt streamed
    assert "".join(e.text for e in events[first_restart + 1 :] if e.kind == "delta") == GOOD
    assert len(fake.chat_requests) == 2
    assert answer.mode == "llm" and answer.answer == GOOD and answer.notice is None


def test_key_never_logged(
    fake: FakeOpenAI, assistant: Assistant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # The fake echoes the Authorization header in its 401 body, like a careless upstream.
    fake.push({"status": 401}, {"status": 500}, {"text": GOOD})
    _, rejected = run(assistant)
    _, recovered = run(assistant)

    assert rejected.mode == "extractive" and recovered.mode == "llm"
    assert caplog.records  # the clients did log at DEBUG: the check below means something
    assert API_KEY not in caplog.text
    assert_no_key(rejected)
    assert_no_key(recovered)
