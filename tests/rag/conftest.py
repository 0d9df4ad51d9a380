from __future__ import annotations

import pytest

from ingest.store import Index
from rag.service import Assistant


@pytest.fixture(scope="session")
def assistant(bundled_index: Index) -> Assistant:
    """The extractive assistant over the bundled speech (no LLM configured)."""
    from speechqa.factory import build_assistant

    return build_assistant(bundled_index.settings, index=bundled_index)
