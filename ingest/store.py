"""The index: Chroma, one pair of collections per embedder.

* ``sq-chunks-<embedder>``: paragraph chunks with their vectors: what the dense
  search searches. A chunk record is its id (document, ¶, level and text hash), its
  vector and its document id (for filtering), no text: the texts are the document
  records', and Chroma would keep a second copy of each with a full-text index.
  LangChain users search through :class:`rag.retriever.HybridRetriever`.
* ``sq-docs-<embedder>``: one record per document holding its full text.

Beside them, the vector file (:mod:`ingest.vectorfile`): one vector per distinct
text of every retrieval unit, paragraphs and their sentences, keyed by the text's
hash. Sentences are read from it by key, never searched, so they stay out of the
HNSW index; it is also the cache that keeps unchanged text from being embedded
twice (deleting a document leaves its entries, so its text comes back without
embedding), and it keeps each document version's BM25 tokens. Stores written
before it keep their vectors in a Chroma collection, ``sq-vectors-<embedder>``,
which ingest still reads and ``speechqa gc`` moves into the vector file, and their
tokens in the records' metadata, which are still read.

The document record is the switch that makes a version visible: chunks of a new
version are written first, then the record is replaced in one upsert, then the
chunks only the old version used are deleted. Readers only trust chunks whose ids
the current record produces, so no reader ever sees a half-updated document and
an interrupted ingest leaves the previous version intact. The chunks such an
ingest wrote (orphans) are deleted by the next ingest of the same documents.
Writes hold the store's lock shared (:mod:`ingest.lock`) so that ``speechqa gc``
(:mod:`ingest.maintenance`), which holds it exclusive, never sees a write half way.

Every write and delete bumps a generation stamp in the document collection's
metadata, so a long-running reader (the web chat) notices changes made by another
process with one cheap read.
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np

from speechqa.errors import (
    EmbedderMismatchError,
    SpeechQAError,
    StoreError,
    UnknownDocumentError,
)
from speechqa.settings import Settings, mask_url
from speechqa.text import tokenize, tokenizer_key

from . import vectorfile
from .embed import SpeechEmbeddings
from .lock import writes
from .parse import KEY_DIGITS, Chunk, ParsedDocument, key_in, parse
from .vectorfile import VectorFile

SCHEMA_VERSION = "1"
# Records the document collection's HNSW index takes before Chroma persists it.
# Until then every upsert replays the log written since the last persist, whole
# document texts and tokens included: with Chroma's default (1,000) writing the
# records of 100 documents took 42 s at 1,000 documents and grew with every batch;
# with 100 it stays about 1 s (the index itself is a one-number dummy per record).
DOCS_SYNC_THRESHOLD = 100
# Chroma needs a vector for every record; document records are never searched.
_NO_VECTOR = [1.0]


class SearchStore(Protocol):
    """What answering (``rag/``) reads from the index: the documents with their stored
    BM25 tokens, the dense search over paragraph chunks, the vectors of retrieval
    units (paragraphs and sentences) by text hash, and the
    generation stamp that says when another process changed them. :class:`Index`
    implements it over Chroma's public collection API; ``rag/`` depends on this
    interface only, never on Chroma."""

    @property
    def embeddings(self) -> SpeechEmbeddings: ...

    def generation(self) -> str: ...

    def documents(self) -> list[DocRecord]: ...

    def load_with_tokens(
        self, doc_ids: Iterable[str] | None = None
    ) -> tuple[list[ParsedDocument], dict[str, list[list[str]]]]: ...

    def dense(
        self,
        query_vector: list[float],
        k: int,
        doc_ids: list[str] | None = None,
    ) -> list[tuple[str, float]]: ...

    def unit_vectors(self, units: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]: ...


@dataclass(frozen=True)
class DocRecord:
    doc_id: str
    title: str
    format: str
    hash: str
    paragraphs: int
    chunks: int
    source: str
    encoding: str
    ingested_at: str

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Incoming:
    """A parsed document on its way into the index, with where it came from."""

    doc: ParsedDocument
    source: str
    encoding: str

    def tokens(self) -> list[list[str]]:
        """The paragraphs' BM25 tokens, kept so that opening the index does not run
        jieba over every paragraph again (12 s at 1,000 documents)."""
        return [tokenize(p.text) for p in self.doc.paragraphs]

    def record_metadata(self, ingested_at: str) -> dict[str, str | int]:
        return {
            "title": self.doc.title,
            "format": self.doc.format,
            "hash": self.doc.hash,
            "paragraphs": len(self.doc.paragraphs),
            "chunks": len(self.doc.chunks()),
            "source": self.source,
            "encoding": self.encoding,
            "ingested_at": ingested_at,
        }


@dataclass
class UpsertStats:
    embedded: int = 0
    skipped: int = 0
    deleted: int = 0
    changed: bool = False


def make_client(settings: Settings) -> Any:
    """A Chroma client: an HTTP client for a server URL, else the embedded one."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(
            settings.chroma_url if "//" in settings.chroma_url else f"http://{settings.chroma_url}"
        )
        try:
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:
            raise StoreError(
                f"cannot reach the Chroma server at {mask_url(settings.chroma_url)} ({type(exc).__name__}); "
                "start it with 'chroma run --path DIR --port PORT' or unset SPEECHQA_CHROMA_URL.",
                zh=f"无法连接 Chroma 服务器 {mask_url(settings.chroma_url)}（{type(exc).__name__}）；"
                "请用 'chroma run --path 数据目录 --port 端口' 启动它，或取消 SPEECHQA_CHROMA_URL。",
            ) from None
    path = Path(settings.store).expanduser() / "chroma"
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        raise StoreError(
            f"cannot open the index in {path} ({type(exc).__name__}: {exc}); "
            "check the folder's permissions or choose another with --store.",
            zh=f"无法打开 {path} 中的索引（{type(exc).__name__}: {exc}）；"
            "请检查该目录的权限，或用 --store 另选目录。",
        ) from None


def is_unreachable(exc: BaseException) -> bool:
    """A connection-level failure (the Chroma server is down or went away)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        name = type(cur).__name__
        if isinstance(cur, ConnectionError | TimeoutError) or any(
            w in name for w in ("Connect", "Timeout", "RemoteProtocol", "NetworkError")
        ):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def chroma_down(url: str | None) -> StoreError:
    shown = mask_url(url) or "(unset)"
    return StoreError(
        f"the Chroma server at {shown} does not answer; start it again "
        "('chroma run --path DIR --port PORT') or unset SPEECHQA_CHROMA_URL.",
        zh=f"无法连接 Chroma 向量库服务器（{shown}）：请确认它已启动"
        "（chroma run --path 数据目录 --port 端口），或取消 SPEECHQA_CHROMA_URL 改用内置索引；"
        "服务器恢复后直接重试即可。",
    )


def _store_call(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Index methods: a Chroma server that stopped answering is a StoreError that
    names it and says what to do, not a ConnectError from deep in the client."""

    @functools.wraps(fn)
    def call(self: Index, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except SpeechQAError:
            raise
        except Exception as exc:
            if self.settings.chroma_url and is_unreachable(exc):
                raise chroma_down(self.settings.chroma_url) from None
            raise

    return call


GENERATION_KEY = "generation"


class Index:
    """Documents and their chunks for one embedder."""

    def __init__(
        self, settings: Settings, embeddings: SpeechEmbeddings, client: Any = None
    ) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.client = client if client is not None else make_client(settings)
        key = embeddings.key
        meta = {
            "embedder": embeddings.provider,
            "model": embeddings.model_name,
            "dimension": embeddings.dimension,
            "schema": SCHEMA_VERSION,
        }
        self._meta = meta
        self.vector_file = VectorFile(
            vectorfile.path_for(settings, key), embeddings.model_name, embeddings.dimension
        )
        try:
            self._chunks = self.client.get_or_create_collection(
                name=f"sq-chunks-{key}",
                embedding_function=None,
                metadata=meta,
                configuration={"hnsw": {"space": "cosine"}},
            )
            self._docs = self.client.get_or_create_collection(
                name=f"sq-docs-{key}",
                embedding_function=None,
                metadata={"schema": SCHEMA_VERSION},
                configuration={"hnsw": {"sync_threshold": DOCS_SYNC_THRESHOLD}},
            )
            self._docs_tuned = False
            self._legacy = _legacy_cache(self.client, key)
        except Exception as exc:
            raise StoreError(
                f"cannot open the Chroma collections ({type(exc).__name__}: {exc}); "
                "check --store / SPEECHQA_CHROMA_URL.",
                zh=f"无法打开 Chroma 集合（{type(exc).__name__}: {exc}）；"
                "请检查 --store / SPEECHQA_CHROMA_URL。",
            ) from None
        have = self._chunks.metadata or {}
        if have.get("model") != meta["model"] or have.get("dimension") != meta["dimension"]:
            raise EmbedderMismatchError(
                f"collection sq-chunks-{key} was built with {have.get('model')} "
                f"({have.get('dimension')} dims), not {meta['model']} ({meta['dimension']} dims); "
                "re-ingest into another --store.",
                zh=f"集合 sq-chunks-{key} 是用 {have.get('model')}（{have.get('dimension')} 维）"
                f"建的，不是 {meta['model']}（{meta['dimension']} 维）；请导入到另一个 --store。",
            )

    @property
    def chunks_collection(self) -> Any:
        """The chunk collection (chromadb's ``Collection``)."""
        return self._chunks

    @_store_call
    def chunk_count(self) -> int:
        """Chunks stored, current or not."""
        return int(self._chunks.count())

    # ---- documents -------------------------------------------------------
    def _records(self, ids: list[str] | None, include: list[str]) -> dict[str, list[Any]]:
        """Document records, all or by id, a page at a time: one get of tens of
        thousands of rows exceeds SQLite's variable limit inside Chroma."""
        out: dict[str, list[Any]] = {"ids": [], "metadatas": [], "documents": []}
        step = self._batch_limit()
        offset = 0
        while True:
            if ids is not None:
                got = self._docs.get(ids=ids[offset : offset + step], include=include)
            else:
                got = self._docs.get(limit=step, offset=offset, include=include)
            out["ids"] += got["ids"]
            out["metadatas"] += got.get("metadatas") or []
            out["documents"] += got.get("documents") or []
            offset += step
            if (ids is not None and offset >= len(ids)) or (ids is None and len(got["ids"]) < step):
                return out

    @_store_call
    def generation(self) -> str:
        """The store's generation stamp: changes whenever a document is written or
        deleted, by any process."""
        col = self.client.get_collection(name=self._docs.name)
        return str((col.metadata or {}).get(GENERATION_KEY, ""))

    def _bump(self) -> None:
        self._docs.modify(metadata={"schema": SCHEMA_VERSION, GENERATION_KEY: str(time.time_ns())})

    @_store_call
    def documents(self) -> list[DocRecord]:
        got = self._records(None, ["metadatas"])
        records = [_record(i, m) for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)]
        return sorted(records, key=lambda r: r.ingested_at)

    @_store_call
    def record(self, doc_id: str) -> DocRecord | None:
        got = self._docs.get(ids=[doc_id], include=["metadatas"])
        if not got["ids"]:
            return None
        return _record(got["ids"][0], (got["metadatas"] or [{}])[0])

    def load(self, doc_ids: Iterable[str] | None = None) -> list[ParsedDocument]:
        """Parsed documents (all, or the given ids); unknown ids raise."""
        return self.load_with_tokens(doc_ids)[0]

    @_store_call
    def load_with_tokens(
        self, doc_ids: Iterable[str] | None = None
    ) -> tuple[list[ParsedDocument], dict[str, list[list[str]]]]:
        """Parsed documents as :meth:`load`, and the BM25 tokens of each paragraph
        stored at ingest (the vector file), keyed by the document's content hash
        (so they only ever meet the text they were made from), when this
        tokenizer made them."""
        wanted = list(doc_ids) if doc_ids is not None else None
        if wanted == []:
            return [], {}
        got = self._records(wanted, ["metadatas", "documents"])
        if wanted:
            missing = sorted(set(wanted) - set(got["ids"]))
            if missing:
                raise UnknownDocumentError.of(missing[0], self._records(None, [])["ids"])
        rows = sorted(
            zip(got["ids"], got["metadatas"], got["documents"], strict=True),
            key=lambda row: str((row[1] or {}).get("ingested_at", "")),
        )
        docs = [
            parse(text or "", str(meta["format"]), doc_id, str(meta["title"]))
            for doc_id, meta, text in rows
        ]
        key = tokenizer_key()
        # Stores written before the vector file kept them in the record's metadata.
        tokens = {
            str(meta["hash"]): json.loads(str(meta["tokens"]))
            for _, meta, _ in rows
            if (meta or {}).get("tokenizer") == key and "tokens" in meta
        }
        lacking = [d.hash for d in docs if d.hash not in tokens]
        with contextlib.suppress(StoreError):  # a missing or unreadable file: tokenized again
            tokens.update(self.vector_file.get_tokens(key, lacking))
        return docs, tokens

    def get(self, doc_id: str) -> ParsedDocument:
        return self.load([doc_id])[0]

    # ---- writing ---------------------------------------------------------
    def upsert(
        self,
        doc: ParsedDocument,
        *,
        source: str,
        encoding: str,
        progress: Callable[[int], None] | None = None,
    ) -> UpsertStats:
        """Make ``doc`` the current version of its doc_id, embedding only new text."""
        return self.write([Incoming(doc, source, encoding)], progress)

    @_store_call
    @writes
    def write(
        self, batch: Sequence[Incoming], progress: Callable[[int], None] | None = None
    ) -> UpsertStats:
        """Make each document of ``batch`` the current version of its doc_id.

        One Chroma call per step for the whole batch, not per document: at a
        thousand documents the per-call cost, not the data, dominated ingest.
        ``progress(n)`` counts chunks as they are settled."""
        stats = UpsertStats()
        if not batch:
            return stats
        col = self.chunks_collection
        old = self._hashes([item.doc.doc_id for item in batch])
        todo = []
        for item in batch:
            if old.get(item.doc.doc_id) == item.doc.hash:
                # The record is written only after all its chunks, so an unchanged
                # record means every chunk is stored: no need to scan the chunks.
                stats.skipped += len(item.doc.chunks())
                if progress:
                    progress(len(item.doc.chunks()))
            else:
                todo.append(item)
        if not todo:
            return stats
        # Chunks already stored under these doc_ids: the old version's, and any an
        # interrupted ingest wrote before its record switch (with or without an
        # old record). Those the new version does not use are deleted after the
        # switch, so orphans never outlive the next ingest of their document.
        existing = self._chunk_ids_of([i.doc.doc_id for i in todo])
        units = [c for item in todo for c in item.doc.chunks()]
        chunks = [c for c in units if c.level == "p"]
        new = [c for c in chunks if c.id not in existing]
        # Every unit's vector goes to the vector file (most are there already:
        # one lookup by key), the paragraphs' into the chunk collection too.
        vectors = self._vectors_for(units, existing, progress)
        stats.embedded = len(vectors.fresh)
        stats.skipped += len(units) - stats.embedded
        if new:
            step = self._batch_limit()
            for i in range(0, len(new), step):
                part = new[i : i + step]
                col.upsert(
                    ids=[c.id for c in part],
                    embeddings=[vectors.by_hash[c.text_hash] for c in part],
                    metadatas=[c.metadata() for c in part],
                )
        self.vector_file.put_tokens(tokenizer_key(), {i.doc.hash: i.tokens() for i in todo})
        # The switch: from this upsert on, readers see the new versions.
        stats.changed = True
        self._switch(todo)
        stale = sorted(set(existing) - {c.id for c in chunks})
        if stale:
            col.delete(ids=stale)
            stats.deleted = len(stale)
        self._bump()
        return stats

    def _switch(self, todo: list[Incoming]) -> None:
        """Replace the records of ``todo`` in one upsert: the moment readers see them."""
        if not self._docs_tuned:
            # Stores created before DOCS_SYNC_THRESHOLD: set once, by a writer.
            hnsw = (self._docs.configuration_json or {}).get("hnsw") or {}
            if int(hnsw.get("sync_threshold") or 0) > DOCS_SYNC_THRESHOLD:
                with contextlib.suppress(Exception):  # a server too old to modify it
                    self._docs.modify(
                        configuration={"hnsw": {"sync_threshold": DOCS_SYNC_THRESHOLD}}
                    )
                # Opened again: the modified object would now embed with Chroma's default.
                self._docs = self.client.get_collection(self._docs.name, embedding_function=None)
            self._docs_tuned = True
        now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self._docs.upsert(
            ids=[item.doc.doc_id for item in todo],
            embeddings=[_NO_VECTOR] * len(todo),
            documents=[item.doc.text for item in todo],
            metadatas=[item.record_metadata(now) for item in todo],
        )

    def _hashes(self, doc_ids: list[str]) -> dict[str, str]:
        got = self._records(doc_ids, ["metadatas"])
        return {
            i: str((m or {}).get("hash", ""))
            for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)
        }

    def _chunk_ids_of(self, doc_ids: list[str]) -> set[str]:
        ids: set[str] = set()
        if not doc_ids:
            return ids
        for i in range(0, len(doc_ids), 500):
            part = doc_ids[i : i + 500]
            where = {"doc_id": part[0]} if len(part) == 1 else {"doc_id": {"$in": part}}
            ids.update(self.chunks_collection.get(where=where, include=[])["ids"])
        return ids

    def _batch_limit(self) -> int:
        try:
            return max(1, min(5000, int(self.client.get_max_batch_size())))
        except Exception:  # older servers do not say: Chroma's long-standing default
            return 1000

    @_store_call
    @writes
    def delete(self, doc_id: str) -> int:
        """Remove ``doc_id``: its record, then its chunks. A document that only an
        interrupted first ingest left chunks of (no record) can be deleted too."""
        ids = sorted(self._chunk_ids_of([doc_id]))
        if self.record(doc_id) is None and not ids:
            self.load([doc_id])  # raises UnknownDocumentError with the known ids
        # Record first: from that moment the chunks are invisible to readers.
        self._docs.delete(ids=[doc_id])
        if ids:
            self.chunks_collection.delete(ids=ids)
        self._bump()
        return len(ids)

    @dataclass
    class _Vectors:
        # float32 arrays, as Chroma returns and takes them: converting the reused
        # ones to Python floats took a tenth of indexing at 1,000 documents.
        by_hash: dict[str, np.ndarray]
        fresh: set[str]

    def _vectors_for(
        self, chunks: list[Chunk], existing: set[str], progress: Callable[[int], None] | None
    ) -> _Vectors:
        """Vectors for ``chunks``: from the vector file (one row per distinct text,
        keyed by its hash), else from a store's older homes for them (the
        ``sq-vectors`` collection; this document's stored chunks), else embedded."""
        hashes = sorted({c.text_hash for c in chunks})
        by_hash = dict(self.vector_file.get(hashes))
        # Vectors the file lacks but the store kept before it: moved into the file.
        wanted = {h[:KEY_DIGITS]: h for h in hashes if h not in by_hash}
        moved = self._legacy_vectors(list(wanted.values()))
        # Stores written before any cache have vectors only in chunks; a changed
        # document's own old chunks carry the hash prefix in their ids.
        old = [cid for cid in existing if key_in(cid) in wanted]
        for cid, vec in self.vectors_of(old).items():
            moved.setdefault(wanted[key_in(cid)], np.asarray(vec, dtype=np.float32))
        by_hash.update(moved)
        todo: dict[str, str] = {}
        for c in chunks:
            if c.text_hash not in by_hash:
                todo.setdefault(c.text_hash, c.text)
        if progress:
            progress(len(chunks) - len(todo))
        by_hash.update(self._embed(todo, progress))
        self.vector_file.put(moved)
        return Index._Vectors(by_hash=by_hash, fresh=set(todo))

    def _embed(
        self,
        todo: dict[str, str],
        progress: Callable[[int], None] | None = None,
        keep_going: bool = False,
    ) -> dict[str, np.ndarray]:
        """Embed ``todo`` (hash -> text) a batch at a time, each batch into the vector
        file before any chunk uses it (a crash costs no embedding already done on the
        retry). ``keep_going``: a file that cannot be written (a read-only store) is
        no error; the vectors are still returned."""
        out: dict[str, np.ndarray] = {}
        items = list(todo.items())
        batch = max(1, self.settings.embedder.batch_size)
        for i in range(0, len(items), batch):
            part = items[i : i + batch]
            vecs = self.embeddings.embed_documents([t for _, t in part])
            fresh = {
                h: np.asarray(v, dtype=np.float32) for (h, _), v in zip(part, vecs, strict=True)
            }
            out.update(fresh)
            try:
                self.vector_file.put(fresh)
            except StoreError:
                if not keep_going:
                    raise
            if progress:
                progress(len(part))
        return out

    def _legacy_vectors(self, hashes: list[str]) -> dict[str, np.ndarray]:
        """Vectors of ``hashes`` in the ``sq-vectors`` collection of older stores."""
        found: dict[str, np.ndarray] = {}
        if self._legacy is None or not hashes:
            return found
        step = self._batch_limit()
        for i in range(0, len(hashes), step):
            got = self._legacy.get(ids=hashes[i : i + step], include=["embeddings"])
            embs = got["embeddings"] if got["embeddings"] is not None else []
            for h, vec in zip(got["ids"], embs, strict=True):
                found[h] = np.asarray(vec, dtype=np.float32)
        return found

    def unit_vectors(self, units: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
        """Vectors of retrieval units given as (text hash or its 16-digit prefix,
        text), by that hash: read from the vector file; a text it lacks (ingested
        on another machine into a Chroma server, or the file was deleted) is
        embedded here and remembered."""
        by_hash = self.vector_file.get(h for h, _ in units)
        todo = {h: t for h, t in units if h not in by_hash}
        if todo:
            by_hash.update(self._embed(todo, keep_going=True))  # a read-only store answers
        return by_hash

    # ---- reading ---------------------------------------------------------
    @_store_call
    def dense(
        self,
        query_vector: list[float],
        k: int,
        doc_ids: list[str] | None = None,
    ) -> list[tuple[str, float]]:
        """Top-k chunks by cosine similarity: (chunk id, similarity). No metadata:
        fetching it for every hit was most of a query's time at 1,000 documents,
        and the corpus knows each current chunk's paragraph.

        Without a filter Chroma searches its HNSW index directly; a metadata filter
        makes it pre-filter, which costs far more on a large collection."""
        where = {"doc_id": {"$in": doc_ids}} if doc_ids else None
        # No count() first: Chroma returns fewer hits when it has fewer, and the
        # extra round trip cost 7% of retrieval at 1,000 documents.
        got = self.chunks_collection.query(
            query_embeddings=[query_vector], n_results=k, where=where, include=["distances"]
        )
        return [
            (cid, 1.0 - float(dist))
            for cid, dist in zip(got["ids"][0], (got["distances"] or [[]])[0], strict=True)
        ]

    @_store_call
    def vectors_of(self, ids: list[str]) -> dict[str, list[float]]:
        if not ids:
            return {}
        got = self.chunks_collection.get(ids=ids, include=["embeddings"])
        embs = got["embeddings"] if got["embeddings"] is not None else []
        return {cid: [float(x) for x in vec] for cid, vec in zip(got["ids"], embs, strict=True)}


def _legacy_cache(client: Any, key: str) -> Any:
    """The ``sq-vectors`` collection of a store written before the vector file, or None."""
    from chromadb.errors import NotFoundError

    try:
        return client.get_collection(f"sq-vectors-{key}", embedding_function=None)
    except NotFoundError:
        return None


def _record(doc_id: str, meta: Any) -> DocRecord:
    m = dict(meta or {})
    return DocRecord(
        doc_id=doc_id,
        title=str(m.get("title", doc_id)),
        format=str(m.get("format", "txt")),
        hash=str(m.get("hash", "")),
        paragraphs=int(m.get("paragraphs", 0)),
        chunks=int(m.get("chunks", 0)),
        source=str(m.get("source", "")),
        encoding=str(m.get("encoding", "")),
        ingested_at=str(m.get("ingested_at", "")),
    )
