"""Store-wide maintenance: ``speechqa gc`` removes what no document uses,
``speechqa doctor`` checks the store and says what to run to fix it.

What a store owns is decided the way readers decide it (see :mod:`ingest.store`):
a chunk is current when the paragraph chunk ids of its document's current record
(the record's text parsed again) include it; a vector in the vector file
(:mod:`ingest.vectorfile`) is used when a current retrieval unit (a paragraph or
one of its sentences) has its text hash. Everything else is left over: chunks of
an interrupted ingest or of a document version that was replaced, the sentence
chunks that stores written before the vector file kept in the index, and the
vectors of deleted or changed text. gc also moves the vectors such older stores
keep in a Chroma collection (``sq-vectors-<embedder>``) into the vector file and
drops that collection.

Safe while the web chat is serving:

* gc holds the store's lock exclusive (:mod:`ingest.lock`) from the first read
  to the last delete. Every write holds it shared, so no ingest, upload or
  delete is half way while gc decides what is left over, and none starts until
  gc is done: a chunk written ahead of its record's switch is never taken for
  an orphan.
* Readers take no lock and need none. gc deletes only chunks that no current
  record owns, and readers trust only the chunk ids of the records they loaded
  (``Corpus.chunk_owner``): a reader never used what gc removes, so every
  answer sees either the chunk before the delete, ignored, or no chunk at all.
  Readers read the vector file only for the units of current records, whose
  vectors gc keeps; ingest, which writes it, is kept out by the lock.
* Chroma does not give the space back to the file system: SQLite and the HNSW
  files keep the freed pages and reuse them for the next ingest. The bytes
  reported are those of the rows removed (vectors, texts, metadata).

Both commands look at the collections directly, a page at a time, and never load
an embedding model except where doctor checks the configured one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from speechqa.errors import SpeechQAError
from speechqa.lang import say
from speechqa.settings import Settings

from . import vectorfile
from .lock import store_lock
from .parse import parse
from .vectorfile import VectorFile

CHUNKS, DOCS, VECTORS = "sq-chunks-", "sq-docs-", "sq-vectors-"
_FLOAT_BYTES = 4  # Chroma stores float32


def batch_limit(client: Any) -> int:
    try:
        return max(1, min(5000, int(client.get_max_batch_size())))
    except Exception:  # older servers do not say: Chroma's long-standing default
        return 1000


def _pages(col: Any, include: list[str], step: int) -> Iterator[dict[str, Any]]:
    """The whole collection a page at a time (one get of all rows exceeds SQLite's
    variable limit inside Chroma, and would hold them all in memory)."""
    offset = 0
    while True:
        got = col.get(limit=step, offset=offset, include=include)
        if got["ids"]:
            yield got
        if len(got["ids"]) < step:
            return
        offset += step


def store_keys(client: Any) -> dict[str, set[str]]:
    """Embedder key -> the kinds of collection ("chunks", "docs", "vectors") the store has."""
    keys: dict[str, set[str]] = {}
    for col in client.list_collections():
        name = col if isinstance(col, str) else col.name
        for prefix, kind in ((CHUNKS, "chunks"), (DOCS, "docs"), (VECTORS, "vectors")):
            if name.startswith(prefix):
                keys.setdefault(name[len(prefix) :], set()).add(kind)
    return keys


@dataclass
class Scan:
    """One embedder's collections and vector file: what the current records own and
    what is stored."""

    key: str
    records: int = 0
    owned: set[str] = field(default_factory=set)  # paragraph chunk ids the records produce
    hashes: set[int] = field(default_factory=set)  # vector keys of all their units
    stored: set[str] = field(default_factory=set)  # chunk ids in the chunk collection
    cached: set[int] = field(default_factory=set)  # vector keys in the vector file
    legacy: dict[int, str] = field(default_factory=dict)  # key -> id in sq-vectors
    versions: set[str] = field(default_factory=set)  # content hashes of the records
    token_rows: set[str] = field(default_factory=set)  # versions with tokens in the file
    miscounted: list[str] = field(default_factory=list)  # records whose "chunks" is off
    missing_by_doc: dict[str, int] = field(default_factory=dict)  # doc_id -> chunks absent

    @property
    def orphans(self) -> list[str]:
        return sorted(self.stored - self.owned)

    @property
    def unused(self) -> list[int]:
        return sorted(self.cached - self.hashes)

    @property
    def unused_tokens(self) -> list[str]:
        return sorted(self.token_rows - self.versions)

    @property
    def to_move(self) -> list[str]:
        """Ids in the older stores' ``sq-vectors`` collection of vectors current units
        use that the vector file lacks."""
        return sorted(h for k, h in self.legacy.items() if k in self.hashes - self.cached)

    @property
    def uncached(self) -> int:
        return len(self.hashes - self.cached)

    @property
    def missing(self) -> int:
        return sum(self.missing_by_doc.values())


def vector_file(settings: Settings, key: str) -> VectorFile | None:
    """The vector file of embedder ``key``, or None when there is none yet."""
    return VectorFile.existing(vectorfile.path_for(settings, key))


def scan(client: Any, key: str, kinds: set[str], file: VectorFile | None = None) -> Scan:
    step = batch_limit(client)
    out = Scan(key=key)
    per_doc: dict[str, list[str]] = {}
    if "docs" in kinds:
        docs = client.get_collection(DOCS + key, embedding_function=None)
        for page in _pages(docs, ["metadatas", "documents"], step):
            for doc_id, meta, text in zip(
                page["ids"], page["metadatas"] or [], page["documents"] or [], strict=True
            ):
                m = dict(meta or {})
                parsed = parse(
                    text or "", str(m.get("format", "txt")), doc_id, str(m.get("title", doc_id))
                )
                units = parsed.chunks()
                out.records += 1
                per_doc[doc_id] = [c.id for c in parsed.index_chunks()]
                out.owned.update(per_doc[doc_id])
                out.versions.add(parsed.hash)
                out.hashes.update(vectorfile.key_of(c.text_hash) for c in units)
                if int(m.get("chunks", -1)) != len(units):
                    out.miscounted.append(doc_id)
    if "chunks" in kinds:
        col = client.get_collection(CHUNKS + key, embedding_function=None)
        for page in _pages(col, [], step):
            out.stored.update(page["ids"])
    if "vectors" in kinds:
        cache = client.get_collection(VECTORS + key, embedding_function=None)
        for page in _pages(cache, [], step):
            out.legacy.update((vectorfile.key_of(h), h) for h in page["ids"])
    if file is not None:
        out.cached = file.keys()
        out.token_rows = file.token_hashes()
    for doc_id, ids in per_doc.items():
        absent = sum(1 for i in ids if i not in out.stored)
        if absent:
            out.missing_by_doc[doc_id] = absent
    return out


def _row_bytes(col: Any, ids: list[str], step: int, dimension: int) -> int:
    """Bytes of the rows ``ids``: vectors, texts and metadata as stored."""
    total = 0
    for i in range(0, len(ids), step):
        part = ids[i : i + step]
        got = col.get(ids=part, include=["documents", "metadatas"])
        total += sum(len(x.encode()) for x in got["ids"])
        total += sum(len((d or "").encode()) for d in got.get("documents") or [])
        total += sum(
            len(json.dumps(m, ensure_ascii=False).encode()) for m in got.get("metadatas") or [] if m
        )
        total += len(got["ids"]) * dimension * _FLOAT_BYTES
    return total


def _delete(col: Any, ids: list[str], step: int) -> None:
    for i in range(0, len(ids), step):
        col.delete(ids=ids[i : i + step])


def _dimension(col: Any) -> int:
    dim = (col.metadata or {}).get("dimension")
    if isinstance(dim, int):
        return dim
    got = col.get(limit=1, include=["embeddings"])
    embs = got["embeddings"] if got["embeddings"] is not None else []
    return len(embs[0]) if len(embs) else 0


# ---- gc -----------------------------------------------------------------------


@dataclass
class GcEntry:
    embedder: str
    records: int
    chunks: int
    orphan_chunks: int
    vectors: int
    unused_vectors: int
    bytes: int
    skipped: str = ""
    moved_vectors: int = 0  # from an older store's sq-vectors collection into the file

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class GcReport:
    dry_run: bool
    entries: list[GcEntry]

    @property
    def orphan_chunks(self) -> int:
        return sum(e.orphan_chunks for e in self.entries)

    @property
    def unused_vectors(self) -> int:
        return sum(e.unused_vectors for e in self.entries)

    @property
    def moved_vectors(self) -> int:
        return sum(e.moved_vectors for e in self.entries)

    @property
    def bytes(self) -> int:
        return sum(e.bytes for e in self.entries)

    def to_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "orphan_chunks": self.orphan_chunks,
            "unused_vectors": self.unused_vectors,
            "moved_vectors": self.moved_vectors,
            "bytes_freed": 0 if self.dry_run else self.bytes,
            "bytes_to_free": self.bytes if self.dry_run else 0,
            "embedders": [e.to_dict() for e in self.entries],
        }

    def to_text(self) -> str:
        """The report in the user's language (speechqa.lang)."""
        verb = "可清理" if self.dry_run else "已清理"
        verb_en = "would remove" if self.dry_run else "removed"
        lines = []
        for e in self.entries:
            if e.skipped:
                lines.append(
                    say(
                        f"{e.embedder}：跳过（{e.skipped}）", f"{e.embedder}: skipped ({e.skipped})"
                    )
                )
                continue
            lines.append(
                say(
                    f"{e.embedder}：文档 {e.records} 篇，检索块 {e.chunks} 个，缓存向量 {e.vectors} 个；"
                    f"{verb}孤立检索块 {e.orphan_chunks} 个、未用向量 {e.unused_vectors} 个，"
                    f"{_size(e.bytes)}",
                    f"{e.embedder}: documents {e.records}, chunks {e.chunks}, cached vectors "
                    f"{e.vectors}; {verb_en} orphan chunks {e.orphan_chunks}, unused vectors "
                    f"{e.unused_vectors}, {_size(e.bytes)}",
                )
            )
            if e.moved_vectors:
                lines.append(
                    say(
                        f"  旧版向量缓存集合中的 {e.moved_vectors} 个向量{'将' if self.dry_run else '已'}"
                        "移入向量文件",
                        f"  {e.moved_vectors} vectors of the older vector-cache collection "
                        f"{'would be' if self.dry_run else 'were'} moved into the vector file",
                    )
                )
        if not self.entries:
            lines.append(
                say(
                    "索引中还没有集合，无需清理。",
                    "The index holds no collections yet; nothing to clean.",
                )
            )
        total = say(
            f"合计{verb}孤立检索块 {self.orphan_chunks} 个、未用向量 {self.unused_vectors} 个，"
            f"{_size(self.bytes)}",
            f"in all {verb_en} orphan chunks {self.orphan_chunks}, unused vectors "
            f"{self.unused_vectors}, {_size(self.bytes)}",
        )
        dry = say("（--dry-run：未做改动）", " (--dry-run: nothing changed)")
        lines.append(total + (dry if self.dry_run else ""))
        return "\n".join(lines)


def _size(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 100_000 else f"{n / 1e3:.1f} KB"


def gc(
    settings: Settings, *, dry_run: bool = False, wait: float = 60.0, client: Any = None
) -> GcReport:
    """Remove orphan chunks and unused cached vectors of every embedder in the store
    (see the module docstring for why this is safe while the web chat serves)."""
    from .store import make_client

    client = client if client is not None else make_client(settings)
    entries = []
    with store_lock(settings, exclusive=True, timeout=wait):
        step = batch_limit(client)
        for key, kinds in sorted(store_keys(client).items()):
            if not {"docs", "chunks"} <= kinds:
                what = "docs" if "docs" not in kinds else "chunks"
                entries.append(
                    GcEntry(
                        key,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        skipped=say(
                            f"缺少 sq-{what}-{key} 集合；运行 speechqa doctor",
                            f"collection sq-{what}-{key} is missing; run speechqa doctor",
                        ),
                    )
                )
                continue
            chunks = client.get_collection(CHUNKS + key, embedding_function=None)
            file = vector_file(settings, key)
            s = scan(client, key, kinds, file)
            orphans, unused, to_move = s.orphans, s.unused, s.to_move
            dim = _dimension(chunks)
            freed = _row_bytes(chunks, orphans, step, dim)
            freed += len(unused) * (dim * _FLOAT_BYTES + 8)
            legacy = (
                client.get_collection(VECTORS + key, embedding_function=None)
                if "vectors" in kinds
                else None
            )
            if legacy is not None:  # dropped whole once its vectors are in the file
                freed += len(s.legacy) * (dim * _FLOAT_BYTES + 64)
            if not dry_run:
                _delete(chunks, orphans, step)
                if file is not None and unused:
                    file.delete(unused)
                if file is not None and s.unused_tokens:  # of versions no record is
                    file.delete_tokens(s.unused_tokens)
                if legacy is not None:
                    _move(legacy, to_move, step, settings, key, chunks)
                    client.delete_collection(VECTORS + key)
            entries.append(
                GcEntry(
                    embedder=key,
                    records=s.records,
                    chunks=len(s.stored),
                    orphan_chunks=len(orphans),
                    vectors=len(s.cached),
                    unused_vectors=len(unused),
                    bytes=freed,
                    moved_vectors=len(to_move),
                )
            )
    return GcReport(dry_run=dry_run, entries=entries)


def _move(
    legacy: Any, ids: list[str], step: int, settings: Settings, key: str, chunks: Any
) -> None:
    """Copy the vectors ``ids`` of an older store's sq-vectors collection into the file."""
    meta = chunks.metadata or {}
    file = VectorFile.existing(vectorfile.path_for(settings, key)) or VectorFile(
        vectorfile.path_for(settings, key), str(meta.get("model")), int(meta.get("dimension") or 0)
    )
    for i in range(0, len(ids), step):
        got = legacy.get(ids=ids[i : i + step], include=["embeddings"])
        embs = got["embeddings"] if got["embeddings"] is not None else []
        file.put(dict(zip(got["ids"], embs, strict=True)))
    file.close()


# ---- doctor ---------------------------------------------------------------------


@dataclass
class Check:
    name: str
    status: str  # "ok", "warn" (housekeeping) or "error" (answers are affected)
    message: str
    fix: str | None = None
    details: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class DoctorReport:
    store: str
    embedder: str
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.status != "error" for c in self.checks)

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "store": self.store,
            "embedder": self.embedder,
            "checks": [c.to_dict() for c in self.checks],
        }

    def to_text(self) -> str:
        mark = {"ok": "✓", "warn": "!", "error": "✗"}
        lines = [
            say(
                f"索引：{self.store}（嵌入模型 {self.embedder}）",
                f"index: {self.store} (embedder {self.embedder})",
            )
        ]
        for c in self.checks:
            lines.append(f"{mark[c.status]} {c.name}{say('：', ': ')}{c.message}")
            if c.fix:
                lines.append(say(f"    修复：{c.fix}", f"    fix: {c.fix}"))
        fixes = [c for c in self.checks if c.status != "ok"]
        lines.append(
            say("一切正常。", "All fine.")
            if not fixes
            else say(f"发现 {len(fixes)} 个问题。", f"{len(fixes)} problems found.")
        )
        return "\n".join(lines)


def doctor(settings: Settings, *, wait: float = 60.0, client: Any = None) -> DoctorReport:
    """Check the configured embedder's collections in the store; each problem found
    names what to run to fix it."""
    from .embed import build_embeddings
    from .store import make_client

    where = settings.chroma_url or str(settings.store)
    client = client if client is not None else make_client(settings)
    embeddings = build_embeddings(settings.embedder)
    key = embeddings.key
    # The model is loaded before the lock is taken: writers need not wait for it.
    try:
        dim: int | str = int(embeddings.dimension)
    except SpeechQAError as exc:
        dim = str(exc)
    with store_lock(settings, exclusive=True, timeout=wait):
        keys = store_keys(client)
        kinds = keys.get(key, set())
        checks = [_check_collections(key, kinds, keys)]
        if "chunks" in kinds:
            checks.append(_check_embedder(client, key, embeddings.model_name, dim))
        if {"docs", "chunks"} <= kinds:
            file = vector_file(settings, key)
            s = scan(client, key, kinds, file)
            checks += _check_records(s), _check_orphans(s), _check_cache(s, dim)
            if file is not None:
                file.close()
    return DoctorReport(store=where, embedder=key, checks=checks)


def _check_collections(key: str, kinds: set[str], keys: dict[str, set[str]]) -> Check:
    others = sorted(k for k in keys if k != key)
    details: dict[str, object] = {"present": sorted(kinds), "other_embedders": others}
    if not kinds:
        return Check(
            "collections",
            "warn",
            say(
                "这个嵌入模型还没有索引" + (f"（库中另有 {', '.join(others)}）" if others else ""),
                "this embedder has no index yet"
                + (f" (the store holds {', '.join(others)})" if others else ""),
            ),
            say(
                "speechqa ingest（或用 --embedder 选库中已有的模型）",
                "speechqa ingest (or pick a model the store holds with --embedder)",
            ),
            details,
        )
    absent = [k for k in ("chunks", "docs") if k not in kinds]
    if not absent and "vectors" in kinds:
        return Check(
            "collections",
            "warn",
            say(
                f"旧版索引：向量缓存仍在集合 sq-vectors-{key} 中，句子仍在检索索引里",
                f"an older index: the vector cache is still the collection sq-vectors-{key} "
                "and sentences are still in the search index",
            ),
            say(
                "speechqa gc（把向量移入向量文件，删去句子检索块）",
                "speechqa gc (moves the vectors into the vector file, drops sentence chunks)",
            ),
            details,
        )
    if not absent:
        return Check(
            "collections",
            "ok",
            say(
                "检索块、文档记录两个集合齐全", "both collections present: chunks, document records"
            ),
            None,
            details,
        )
    names = ", ".join(f"sq-{k}-{key}" for k in absent)
    return Check(
        "collections",
        "error",
        say(f"缺少 {names}", f"{names} missing"),
        say(
            "speechqa gc，然后 speechqa ingest 重新导入全部文档",
            "speechqa gc, then speechqa ingest every document again",
        )
        if "docs" in absent
        else say(
            "speechqa ingest --delete DOC 后重新导入每篇文档",
            "speechqa ingest --delete DOC, then ingest each document again",
        ),
        details,
    )


def _check_embedder(client: Any, key: str, model: str, dim: int | str) -> Check:
    """``dim``: the configured model's dimension, or why it could not be loaded."""
    if isinstance(dim, str):
        return Check(
            "embedder",
            "error",
            say(f"无法加载嵌入模型：{dim}", f"cannot load the embedder: {dim}"),
            say(
                "检查 SPEECHQA_EMBEDDER_PROVIDER / _MODEL / _BASE_URL",
                "check SPEECHQA_EMBEDDER_PROVIDER / _MODEL / _BASE_URL",
            ),
        )
    col = client.get_collection(CHUNKS + key, embedding_function=None)
    have = col.metadata or {}
    details: dict[str, object] = {
        "model": model,
        "dimension": dim,
        "stored_model": have.get("model"),
        "stored_dimension": have.get("dimension"),
    }
    got = col.get(limit=1, include=["embeddings"])
    embs = got["embeddings"] if got["embeddings"] is not None else []
    if len(embs):
        details["vector_length"] = len(embs[0])
    bad = have.get("model") != model or have.get("dimension") != dim
    if bad or details.get("vector_length", dim) != dim:
        return Check(
            "embedder",
            "error",
            say(
                f"索引由 {have.get('model')}（{have.get('dimension')} 维）建立，"
                f"当前模型是 {model}（{dim} 维）",
                f"the index was built with {have.get('model')} ({have.get('dimension')} dims), "
                f"the configured model is {model} ({dim} dims)",
            ),
            say(
                "用 --embedder / --embedder-model 选建索引时的模型，或用 --store 换一个目录重新导入",
                "pick the index's model with --embedder / --embedder-model, or ingest into "
                "another --store",
            ),
            details,
        )
    return Check(
        "embedder",
        "ok",
        say(f"{model}，{dim} 维，与索引一致", f"{model}, {dim} dims, as the index"),
        None,
        details,
    )


def _check_records(s: Scan) -> Check:
    details: dict[str, object] = {
        "records": s.records,
        "missing_chunks": s.missing,
        "documents_missing_chunks": sorted(s.missing_by_doc),
        "miscounted": sorted(s.miscounted),
    }
    if s.missing_by_doc:
        docs = sorted(s.missing_by_doc)
        shown = ", ".join(docs[:5]) + ("…" if len(docs) > 5 else "")
        return Check(
            "records",
            "error",
            say(
                f"{len(docs)} 篇文档缺少 {s.missing} 个检索块（{shown}），检索时找不到这些段落",
                f"{len(docs)} documents lack {s.missing} chunks ({shown}); retrieval cannot "
                "find those paragraphs",
            ),
            say(
                "对每篇：speechqa ingest --delete DOC，再 speechqa ingest 原文件",
                "for each: speechqa ingest --delete DOC, then speechqa ingest the file",
            ),
            details,
        )
    if s.miscounted:
        return Check(
            "records",
            "warn",
            say(
                f"{len(s.miscounted)} 篇文档记录的检索块数与正文不符（{', '.join(s.miscounted[:5])}）",
                f"{len(s.miscounted)} document records count other chunks than their text "
                f"makes ({', '.join(s.miscounted[:5])})",
            ),
            say(
                "对每篇：speechqa ingest --delete DOC，再 speechqa ingest 原文件",
                "for each: speechqa ingest --delete DOC, then speechqa ingest the file",
            ),
            details,
        )
    return Check(
        "records",
        "ok",
        say(
            f"文档 {s.records} 篇，每篇的检索块都在",
            f"documents {s.records}, every one with all its chunks",
        ),
        None,
        details,
    )


def _check_orphans(s: Scan) -> Check:
    n = len(s.orphans)
    details: dict[str, object] = {"chunks": len(s.stored), "orphan_chunks": n}
    if n:
        return Check(
            "orphans",
            "warn",
            say(
                f"{n} 个检索块不属于任何文档记录（占用空间，挤占检索名额）",
                f"{n} chunks belong to no document record (they take space and retrieval places)",
            ),
            "speechqa gc",
            details,
        )
    return Check(
        "orphans",
        "ok",
        say(f"检索块 {len(s.stored)} 个，没有孤立的", f"chunks {len(s.stored)}, no orphans"),
        None,
        details,
    )


def _check_cache(s: Scan, dim: int | str) -> Check:
    width = (dim if isinstance(dim, int) else 0) * _FLOAT_BYTES
    unused = len(s.unused)
    details: dict[str, object] = {
        "vectors": len(s.cached),
        "unused_vectors": unused,
        "bytes": len(s.cached) * width,
        "uncached_texts": s.uncached,
        "movable_vectors": len(s.to_move),
    }
    size = _size(len(s.cached) * width)
    if unused or s.to_move:
        return Check(
            "cache",
            "warn",
            say(
                f"向量文件存有 {len(s.cached)} 个向量（约 {size}），其中 {unused} 个已无检索单元使用；"
                f"旧版集合中另有 {len(s.to_move)} 个待移入",
                f"the vector file holds {len(s.cached)} vectors (about {size}), {unused} of them "
                f"used by no unit; {len(s.to_move)} more wait in the older collection",
            ),
            "speechqa gc",
            details,
        )
    # Texts without a vector here are embedded when an answer first reads them:
    # normal on a machine that shares a Chroma server others ingest into.
    return Check(
        "cache",
        "ok",
        say(
            f"向量文件存有 {len(s.cached)} 个向量（约 {size}），都在使用；"
            f"{s.uncached} 段文字将在首次使用时嵌入",
            f"the vector file holds {len(s.cached)} vectors (about {size}), all in use; "
            f"{s.uncached} texts will be embedded when first read",
        ),
        None,
        details,
    )
