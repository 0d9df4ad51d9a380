"""The vector file: one vector per distinct text, keyed by the text's content hash.

Every retrieval unit (a paragraph or one of its sentences) has a vector, but only
paragraphs are searched: they sit in Chroma's HNSW index (``sq-chunks-<embedder>``).
Sentence vectors are only ever read by key, to rescore candidate paragraphs and to
pick answer sentences, and an HNSW index is loaded whole the first time anything
reads a vector from it: at 1,000 documents the sentences made the chunk index
4.5 times larger (198,694 vectors against 44,538 paragraphs) and a new process
loaded all of them before its first answer. So every vector lives here instead,
in a SQLite file read a few rows at a time, and this file is also the cache that
keeps unchanged text from being embedded twice (a deleted document's text comes
back without embedding).

The key is the first 64 bits of the text's SHA-256 (the hash prefix chunk ids
carry), stored as SQLite's integer row id: a lookup of a few hundred keys reads a
few hundred rows. Two distinct texts share a key with probability about n²/2⁶⁵
(10⁻⁷ at two million texts); the cost of one would be one unit scored with the
other's vector. Vectors are stored as float16 (half the bytes; a cosine moves by
about 10⁻⁴, far below the gaps that rank sentences) and read back as float32.

The file also keeps each document version's BM25 tokens (by the document's content
hash, zlib-compressed JSON), so that building the corpus does not run jieba over
every paragraph again; in Chroma's metadata they were stored three times over (row,
string index, log) and were half of its SQLite file.

Where: an embedded store keeps it beside Chroma's files (``<store>/vectors-<embedder>.sqlite3``);
for a Chroma server it is local to each machine (``$XDG_CACHE_HOME/speechqa/server-…/``),
filled by the ingests run there and, for text ingested elsewhere, by embedding the
few sentences an answer reads the first time it reads them. Losing the file costs
embedding time, never an answer. SQLite's write-ahead log lets readers read while
an ingest writes; every write is one transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np

from speechqa.errors import EmbedderMismatchError, StoreError
from speechqa.settings import Settings

from .parse import KEY_DIGITS

_VARS = 900  # keys per query: under SQLite's historical limit of 999 variables
DTYPE = "float16"  # how new files store vectors


def local_folder(settings: Settings) -> Path:
    """This machine's folder for a store's local files: the embedded store's own
    folder, or one folder per Chroma server URL in the user's cache folder."""
    if not settings.chroma_url:
        return Path(settings.store).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    server = hashlib.sha256(settings.chroma_url.strip().rstrip("/").encode()).hexdigest()[:16]
    return base / "speechqa" / f"server-{server}"


def path_for(settings: Settings, embedder_key: str) -> Path:
    return local_folder(settings) / f"vectors-{embedder_key}.sqlite3"


def key_of(text_hash: str) -> int:
    """The row id of a text: its hash's first 16 hex digits as a signed 64-bit int."""
    return int.from_bytes(bytes.fromhex(text_hash[:KEY_DIGITS]), "big", signed=True)


def hex_of(key: int) -> str:
    return key.to_bytes(8, "big", signed=True).hex()


class VectorFile:
    """Vectors by text hash (any hex string of at least 16 digits; see the module)."""

    def __init__(self, path: Path, model: str, dimension: int) -> None:
        self.path = path
        self.model = model
        self.dimension = dimension
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._dtype = np.dtype(DTYPE)

    @classmethod
    def existing(cls, path: Path) -> VectorFile | None:
        """The file at ``path`` as whatever model wrote it (gc and doctor only read and
        delete keys), or None when there is none."""
        if not path.exists():
            return None
        try:
            with contextlib.closing(sqlite3.connect(path, timeout=60.0)) as db:
                meta = dict(db.execute("SELECT k, v FROM meta").fetchall())
        except sqlite3.Error as exc:
            raise StoreError(
                f"the vector file {path} cannot be read ({exc}); delete it to rebuild it.",
                zh=f"无法读取向量文件 {path}（{exc}）；删除它即可重建。",
            ) from None
        return cls(path, str(meta.get("model")), int(meta.get("dimension") or 0))

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=60.0, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT)")
                db.execute("CREATE TABLE IF NOT EXISTS vec (id INTEGER PRIMARY KEY, v BLOB)")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, tokenizer TEXT, "
                    "data BLOB)"
                )
                with db:
                    if not db.execute("SELECT count(*) FROM meta").fetchone()[0]:  # a new file
                        db.execute(
                            "INSERT OR IGNORE INTO meta VALUES "
                            "('model', ?), ('dimension', ?), ('dtype', ?)",
                            (self.model, str(self.dimension), DTYPE),
                        )
            except sqlite3.Error as exc:
                raise StoreError(
                    f"cannot open the vector file {self.path} ({exc}); check that its folder "
                    "is writable, or delete the file to rebuild it.",
                    zh=f"无法打开向量文件 {self.path}（{exc}）；请检查其目录可写，或删除该文件以重建。",
                ) from None
            meta = dict(db.execute("SELECT k, v FROM meta").fetchall())
            if meta.get("model") != self.model or meta.get("dimension") != str(self.dimension):
                db.close()
                raise EmbedderMismatchError(
                    f"vector file {self.path} holds {meta.get('model')} vectors "
                    f"({meta.get('dimension')} dims), not {self.model} ({self.dimension} dims); "
                    "delete it (it is rebuilt on the next ingest) or use another --store.",
                    zh=f"向量文件 {self.path} 存的是 {meta.get('model')}（{meta.get('dimension')} 维）"
                    f"的向量，不是 {self.model}（{self.dimension} 维）；请删除它（下次导入时重建）"
                    "或换一个 --store。",
                )
            # Files written before vectors were halved hold float32 and say no dtype.
            self._dtype = np.dtype(meta.get("dtype", "float32"))
            self._db = db
        return self._db

    @contextlib.contextmanager
    def _session(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn()
            except sqlite3.Error as exc:
                raise StoreError(
                    f"the vector file {self.path} cannot be used ({exc}); delete it to rebuild it.",
                    zh=f"向量文件 {self.path} 无法使用（{exc}）；删除它即可重建。",
                ) from None

    def get(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored vectors of ``hashes`` (those missing are left out)."""
        by_key: dict[int, list[str]] = {}
        for h in hashes:
            by_key.setdefault(key_of(h), []).append(h)
        keys = list(by_key)
        out: dict[str, np.ndarray] = {}
        if not keys:
            return out
        with self._session() as db:
            for i in range(0, len(keys), _VARS):
                part = keys[i : i + _VARS]
                marks = ",".join("?" * len(part))
                for key, blob in db.execute(f"SELECT id, v FROM vec WHERE id IN ({marks})", part):
                    vec = np.frombuffer(blob, dtype=self._dtype).astype(np.float32)
                    for h in by_key[key]:
                        out[h] = vec
        return out

    def put(self, vectors: Mapping[str, np.ndarray | list[float]]) -> None:
        """Store ``vectors`` (text hash -> vector) in one transaction."""
        if not vectors:
            return
        with self._session() as db, db:
            rows = [
                (key_of(h), np.asarray(v, dtype=self._dtype).tobytes()) for h, v in vectors.items()
            ]
            db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)", rows)

    def put_tokens(self, tokenizer: str, tokens: Mapping[str, list[list[str]]]) -> None:
        """Store the paragraphs' tokens of document versions (content hash -> tokens)."""
        rows = [
            (h, tokenizer, zlib.compress(json.dumps(t, ensure_ascii=False).encode(), 6))
            for h, t in tokens.items()
        ]
        if rows:
            with self._session() as db, db:
                db.executemany("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?)", rows)

    def get_tokens(self, tokenizer: str, hashes: Iterable[str]) -> dict[str, list[list[str]]]:
        """The stored tokens of document versions ``hashes`` made by ``tokenizer``."""
        todo = list(hashes)
        out: dict[str, list[list[str]]] = {}
        if not todo or not self.path.exists():
            return out
        with self._session() as db:
            for i in range(0, len(todo), _VARS):
                part = todo[i : i + _VARS]
                marks = ",".join("?" * len(part))
                query = f"SELECT hash, data FROM tokens WHERE tokenizer = ? AND hash IN ({marks})"
                for h, data in db.execute(query, [tokenizer, *part]):
                    out[str(h)] = json.loads(zlib.decompress(data))
        return out

    def token_hashes(self) -> set[str]:
        with self._session() as db:
            return {str(h) for (h,) in db.execute("SELECT hash FROM tokens")}

    def delete_tokens(self, hashes: Iterable[str]) -> None:
        self._delete("DELETE FROM tokens WHERE hash IN", list(hashes))

    def keys(self) -> set[int]:
        with self._session() as db:
            return {int(k) for (k,) in db.execute("SELECT id FROM vec")}

    def delete(self, keys: Iterable[int]) -> None:
        self._delete("DELETE FROM vec WHERE id IN", list(keys))

    def _delete(self, statement: str, todo: list[int] | list[str]) -> None:
        """``statement`` (a DELETE … IN) over ``todo``, a page of keys at a time, in one
        transaction."""
        with self._session() as db, db:
            for i in range(0, len(todo), _VARS):
                part = todo[i : i + _VARS]
                db.execute(f"{statement} ({','.join('?' * len(part))})", part)

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self._session() as db:
            return int(db.execute("SELECT count(*) FROM vec").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
