"""Fixtures of the reliability suite (the LLM ones build on the root conftest's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from fake_openai import FakeOpenAI

if TYPE_CHECKING:
    from rag.service import Assistant


@pytest.fixture
def llm_assistant(fake: FakeOpenAI, make_assistant: Callable[..., Assistant]) -> Assistant:
    """An llm-mode Assistant over the bundled index, talking to the reset fake server."""
    return make_assistant()
