"""The ``ask`` endpoint for scripts, called with gradio_client against a real server."""

from __future__ import annotations

from typing import Any

import helpers
import pytest
from gradio_client import Client
from ui_harness import Served

from rag.constants import REFUSAL_PHRASE


@pytest.fixture(scope="module")
def client(ui_server: Served) -> Client:
    return Client(ui_server.url, verbose=False)


def test_ask_is_the_only_public_endpoint(client: Client) -> None:
    api = client.view_api(print_info=False, return_format="dict")
    assert isinstance(api, dict)
    assert list(api["named_endpoints"]) == ["/ask"]
    params = [p["parameter_name"] for p in api["named_endpoints"]["/ask"]["parameters"]]
    assert params == ["question", "mode"]


def test_ask_returns_the_result_object_citing_paragraph_3(client: Client) -> None:
    result: Any = client.predict("一共开展了几次集中学习？", "extractive", api_name="/ask")
    assert isinstance(result, dict)
    # The JSON contract of the answering issue, key for key.
    assert {
        "question", "answer", "doc_id", "citations", "retrieved", "refused", "mode",
        "timings_ms", "nearest", "invalid_citations", "uncited_sentences", "sentences",
        "notice", "standalone_question", "confidence", "outcome", "answerability",
    } <= set(result)  # fmt: skip
    assert result["outcome"] == "answered" and 0 <= result["confidence"] <= 1
    assert result["question"] == "一共开展了几次集中学习？"
    assert result["doc_id"] == helpers.SPEECH_ID
    assert result["refused"] is False
    assert result["mode"] == "extractive"
    assert "[¶3]" in result["answer"]
    cited = [c for c in result["citations"] if c["paragraph"] == 3]
    assert cited and all(c["verified"] for c in cited)
    quote = next(c for c in cited if c["quote"])
    text = helpers.SPEECH_PATH.read_text(encoding="utf-8")
    assert text[quote["start"] : quote["end"]] == quote["quote"]
    assert "30余次" in quote["quote"]


def test_ask_refuses_what_the_speech_does_not_cover(client: Client) -> None:
    result: Any = client.predict("讲话人的办公电话是多少？", "extractive", api_name="/ask")
    assert result["refused"] is True and result["outcome"] == "refused"
    assert REFUSAL_PHRASE in result["answer"]
    assert result["citations"] == []
    assert len(result["nearest"]) == 2


def test_llm_mode_without_an_endpoint_is_a_clear_error(client: Client) -> None:
    with pytest.raises(Exception, match="LLM mode needs an endpoint") as info:
        client.predict("一共开展了几次集中学习？", "llm", api_name="/ask")
    assert "Traceback" not in str(info.value)


def test_bad_mode_and_empty_question_are_clear_errors(client: Client) -> None:
    with pytest.raises(Exception, match="mode must be 'extractive' or 'llm'"):
        client.predict("一共开展了几次集中学习？", "fast", api_name="/ask")
    with pytest.raises(Exception, match="question is empty"):
        client.predict("  ", "extractive", api_name="/ask")
