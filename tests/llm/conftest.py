"""Fixtures of the LLM answerer's tests: the scripted OpenAI-compatible server on
loopback, settings that point at it, and assistants built by the real factory
(so every answer goes ChatOpenAI → openai client → HTTP/SSE → the fake server).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from fake_openai import API_KEY, MODEL, FakeOpenAI

if TYPE_CHECKING:
    from ingest.store import Index
    from rag.service import Assistant
    from speechqa.settings import Settings

# Quick failures: a retry costs milliseconds, a timeout one second.
FAST_LLM: dict[str, Any] = {
    "model": MODEL,
    "api_key": API_KEY,
    "timeout_s": 1.0,
    "max_retries": 2,
    "backoff_s": 0.01,
    "temperature": 0.0,
}


@pytest.fixture
def llm_settings(fake_llm_server: FakeOpenAI, bundled_index: Index) -> Callable[..., Settings]:
    """``llm_settings(**llm_overrides)``: Settings of the bundled index, with the
    LLM pointed at the fake server (override ``base_url`` to point elsewhere)."""
    from speechqa.settings import Settings

    def make(**overrides: Any) -> Settings:
        llm = {**FAST_LLM, "base_url": fake_llm_server.base_url, **overrides}
        return Settings(store=bundled_index.settings.store, llm=llm, answer={"mode": "llm"})

    return make


@pytest.fixture
def make_assistant(
    llm_settings: Callable[..., Settings], bundled_index: Index
) -> Callable[..., Assistant]:
    """``make_assistant(**llm_overrides)``: an Assistant from the real factory, over the
    session's bundled index (read only), answering in llm mode by default."""
    from speechqa.factory import build_assistant

    def make(**overrides: Any) -> Assistant:
        return build_assistant(llm_settings(**overrides), index=bundled_index)

    return make


@pytest.fixture
def assistant(fake: FakeOpenAI, make_assistant: Callable[..., Assistant]) -> Assistant:
    """An llm-mode Assistant talking to a freshly reset fake server."""
    return make_assistant()
