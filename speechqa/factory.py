"""The one factory: settings in, vendor-backed parts out.

Core logic receives LangChain interfaces (``Embeddings``, ``BaseRetriever``,
``BaseChatModel``) built here and never imports a vendor SDK itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from speechqa.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from ingest.embed import SpeechEmbeddings
    from ingest.store import Index
    from rag.service import Assistant


def build_embeddings(settings: Settings) -> SpeechEmbeddings:
    from ingest.embed import build_embeddings as build

    return build(settings.embedder)


def open_index(
    settings: Settings, embeddings: SpeechEmbeddings | None = None, client: Any = None
) -> Index:
    from ingest.store import Index

    return Index(settings, embeddings or build_embeddings(settings), client=client)


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """The LLM behind the ``llm`` answerer, or None when no endpoint is configured."""
    if not settings.llm_configured():
        return None
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm.model or "",
        base_url=settings.llm_base_url(),
        api_key=settings.llm_api_key() or "not-needed",
        temperature=settings.llm.temperature,
        timeout=settings.llm.timeout_s,
        max_retries=0,  # retries and backoff are ours: see rag.llm
        streaming=True,
        seed=0,
    )


def require_llm(settings: Settings) -> None:
    """Fail fast, before the index is opened, when LLM mode has no endpoint."""
    if settings.answer.mode == "llm" and not settings.llm_configured():
        from speechqa.errors import LLMNotConfiguredError

        raise LLMNotConfiguredError()


def build_assistant(settings: Settings, index: Index | None = None) -> Assistant:
    from rag.service import Assistant

    require_llm(settings)
    return Assistant(settings, index or open_index(settings), chat_model=build_chat_model(settings))
