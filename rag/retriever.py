"""LangChain face of hybrid retrieval: :class:`HybridRetriever`, a ``BaseRetriever``
over :class:`rag.retrieve.HybridSearch` (tested with LangChain's standard suite)."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables.config import run_in_executor
from pydantic import ConfigDict, Field

from speechqa.errors import InputError, UnknownDocumentError

from .retrieve import HybridSearch

# The keywords HybridRetriever.invoke accepts besides the query (see its docstring).
SEARCH_KWARGS = ("k", "doc_ids")


class HybridRetriever(BaseRetriever):
    """LangChain face of :class:`HybridSearch`: paragraphs as Documents, best first.

    Search keyword arguments, each also a constructor field; a value given at
    invoke time (``retriever.invoke(query, k=1)``, ``ainvoke`` alike) overrides the
    field for that call only:

    * ``k``: at most this many Documents (``len(result) <= k`` always holds).
      Paragraphs the question names by outline position (see :mod:`rag.structure`)
      come first and count towards ``k``, so a small ``k`` may return only some of them.
    * ``doc_ids``: search only these documents (None or empty: all; one id may be
      given as a string). An id the index does not hold raises
      :class:`~speechqa.errors.UnknownDocumentError`.

    Any other keyword raises :class:`~speechqa.errors.InputError` naming the
    supported ones; LangChain's own ``verbose`` and ``run_id`` are accepted."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    search: HybridSearch
    doc_ids: list[str] | None = None
    k: int = Field(5, ge=1)

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        doc_ids: list[str] | None = None,
        **other: Any,
    ) -> list[Document]:
        other.pop("verbose", None)  # LangChain passes its own flag through
        if other:
            raise InputError(
                f"HybridRetriever does not take {', '.join(sorted(other))}; "
                f"its search keywords are {', '.join(SEARCH_KWARGS)}.",
                zh=f"HybridRetriever 不接受 {', '.join(sorted(other))}；"
                f"可用的检索参数是 {', '.join(SEARCH_KWARGS)}。",
            )
        k = self.k if k is None else k
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InputError(
                f"k must be a whole number of at least 1, not {k!r}.",
                zh=f"k 必须是不小于 1 的整数，而不是 {k!r}。",
            )
        chosen = self.doc_ids if doc_ids is None else doc_ids
        wanted = [chosen] if isinstance(chosen, str) else list(chosen or ())
        corpus = self.search.corpus
        unknown = sorted(set(wanted) - set(corpus.docs))
        if unknown:
            raise UnknownDocumentError.of(unknown[0], corpus.docs)
        result = self.search.search(query, wanted or None, k)
        docs = []
        for hit in result.hits[:k]:
            p = corpus.paragraph(hit.doc_id, hit.n)
            if p is None:
                continue
            docs.append(
                Document(
                    id=f"{p.doc_id}:{p.n}",
                    page_content=p.text,
                    metadata={
                        "doc_id": p.doc_id,
                        "paragraph": p.n,
                        "section": p.section,
                        "score": hit.score,
                        "dense": hit.dense,
                        "bm25": hit.lexical,
                    },
                )
            )
        return docs

    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        **kwargs: Any,
    ) -> list[Document]:
        # LangChain's default drops the search keywords on the way to the sync method.
        return await run_in_executor(
            None,
            self._get_relevant_documents,
            query,
            run_manager=run_manager.get_sync(),
            **kwargs,
        )
