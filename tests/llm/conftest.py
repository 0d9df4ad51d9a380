"""Fixtures of the LLM answerer's tests: an llm-mode assistant over the bundled index
talking to the scripted OpenAI-compatible server on loopback (``llm_settings`` and
``make_assistant`` live in the root conftest: the reliability suite uses them too),
so every answer goes ChatOpenAI → openai client → HTTP/SSE → the fake server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from fake_openai import FakeOpenAI

if TYPE_CHECKING:
    from rag.service import Assistant


@pytest.fixture
def assistant(fake: FakeOpenAI, make_assistant: Callable[..., Assistant]) -> Assistant:
    """An llm-mode Assistant talking to a freshly reset fake server."""
    return make_assistant()
