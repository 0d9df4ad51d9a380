"""The corpus on disk: what start-up would otherwise recompute from the store.

Opening the corpus reads every document record, parses it again, decodes its
stored tokens, works out the chunk keys and builds the BM25 index: 2.5 s at 1,000
documents, every new process. Once built, the corpus is saved next to the store
(``<store>/cache/corpus-<embedder>-<key>/``; for a Chroma server under
``$XDG_CACHE_HOME/speechqa/<server>/``), and a process that finds the store
unchanged since then loads it instead of reading the store at all.

The key names everything the saved corpus depends on: the store's generation
stamp (every ingest and delete, by any process, changes it: :mod:`ingest.store`),
the embedder (its collections are the store read), the tokenizer, bm25s' version
and the source of the code that turns records into the corpus (parsing, sentence
splitting, chunk keys, the corpus itself). A store without a stamp is not cached.
Anything else that goes wrong, a missing, stale, half-deleted or corrupt folder,
means the corpus is built from the store as before: the cache can cost a rebuild,
never an answer.

Files (no pickle): ``corpus.json`` (documents, paragraphs, their chunk keys, IDF), the
BM25 index in ``bm25/`` as bm25s saves it (``.npy`` arrays and JSON). A folder is
written under a temporary name and renamed into place, so a reader sees a whole
folder or none; saving removes the store's folders of other keys for the same
embedder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.parse import Paragraph, ParsedDocument

if TYPE_CHECKING:
    from ingest.store import SearchStore
    from speechqa.settings import Settings

    from .corpus import Corpus

FORMAT = "3"
_TMP_PREFIX = ".tmp-corpus-"
_TMP_STALE_S = 3600.0  # a temporary folder this old was left by a process that died


def open_corpus(
    index: SearchStore, cache: Path | None = None, generation: str | None = None
) -> Corpus:
    """The corpus of the store's current documents. With ``cache`` (a folder,
    :func:`folder_for`), the corpus saved there for the store's generation stamp is
    loaded instead when there is one, and a corpus built here is saved there;
    ``generation`` is the stamp the caller read before (read here when None)."""
    from .corpus import Corpus

    if cache is None:
        return Corpus.from_index(index)
    stamp = index.generation() if generation is None else generation
    embedder = index.embeddings.key
    key = key_of(stamp, embedder)
    if key is not None:
        saved = load(cache, embedder, key)
        if saved is not None:
            return saved
    corpus = Corpus.from_index(index)
    # Saved only when no write landed during the load: the key names what was read.
    if key is not None and index.generation() == stamp:
        save(corpus, cache, embedder, key)
    return corpus


def folder_for(settings: Settings) -> Path:
    """Where the corpus caches of ``settings``' store live: inside an embedded
    store; for a Chroma server, in the user's cache folder, one folder per URL."""
    from ingest.vectorfile import local_folder

    folder = local_folder(settings)
    return folder / "cache" if not settings.chroma_url else folder


def _code_hash() -> str:
    """The source of the modules that decide what the corpus holds."""
    import bm25s

    import ingest.outline
    import ingest.parse
    import speechqa.text

    from . import corpus

    h = hashlib.sha256(f"{FORMAT}|bm25s {bm25s.__version__}".encode())
    for module in (ingest.parse, ingest.outline, speechqa.text, corpus):
        h.update(Path(str(module.__file__)).read_bytes())
    return h.hexdigest()


def key_of(generation: str, embedder_key: str) -> str | None:
    """The cache key of a store at ``generation``; None when the store has no stamp
    (written before stamps, or never written): such a corpus is not cached."""
    if not generation:
        return None
    from speechqa.text import tokenizer_key

    try:
        ident = "\n".join([FORMAT, generation, embedder_key, tokenizer_key(), _code_hash()])
    except Exception:  # the code's source cannot be read (an install without .py files)
        return None
    return hashlib.sha256(ident.encode()).hexdigest()[:20]


def _name(embedder_key: str, key: str) -> str:
    return f"corpus-{embedder_key}-{key}"


def load(folder: Path, embedder_key: str, key: str) -> Corpus | None:
    """The corpus saved under ``key``, or None when there is none or it does not read
    back whole (any error: the caller builds from the store)."""
    path = folder / _name(embedder_key, key)
    if not path.is_dir():
        return None
    try:
        return _read(path, key)
    except Exception:
        # Corrupt or truncated (folders are renamed into place whole, so not half
        # written): removed, so that the corpus built instead is saved in its place.
        shutil.rmtree(path, ignore_errors=True)
        return None


def _read(path: Path, key: str) -> Corpus:
    import bm25s

    from .corpus import EVIDENCE_KINDS, Corpus

    data = json.loads((path / "corpus.json").read_text(encoding="utf-8"))
    if data.get("format") != FORMAT or data.get("key") != key:
        raise ValueError("not this key's corpus")
    docs: list[ParsedDocument] = []
    chunk_keys: list[str] = []
    for d in data["docs"]:
        doc_id, title, text = str(d["id"]), str(d["title"]), str(d["text"])
        paragraphs = [
            Paragraph(
                doc_id=doc_id,
                title=title,
                n=int(n),
                kind=str(kind),
                section=str(section),
                text=text[start:end] if own is None else str(own),
                start=int(start),
                end=int(end),
                hash=str(h),
            )
            for n, kind, section, start, end, h, own in d["paragraphs"]
        ]
        docs.append(
            ParsedDocument(doc_id, title, str(d["format"]), text, str(d["hash"]), paragraphs)
        )
        keys = d["chunk_keys"]
        if len(keys) != len(paragraphs):
            raise ValueError("chunk keys do not cover the paragraphs")
        chunk_keys.extend(keys)
    paragraphs = [p for d in docs for p in d.paragraphs]
    evidence = [i for i, p in enumerate(paragraphs) if p.kind in EVIDENCE_KINDS]
    if evidence != data["evidence"]:
        raise ValueError("evidence positions differ from the saved ones")
    corpus = Corpus(
        docs={d.doc_id: d for d in docs},
        paragraphs=paragraphs,
        evidence=evidence,
        chunk_keys=chunk_keys,
    )
    corpus._pos = {(p.doc_id, p.n): i for i, p in enumerate(paragraphs)}
    corpus._idf = {str(t): float(v) for t, v in data["idf"].items()}
    corpus._bm25 = bm25s.BM25()
    if evidence:
        corpus._bm25 = bm25s.BM25.load(str(path / "bm25"), show_progress=False)
        if corpus._bm25.scores["num_docs"] != len(evidence):
            raise ValueError("the BM25 index does not cover the evidence paragraphs")
    return corpus


def save(corpus: Corpus, folder: Path, embedder_key: str, key: str) -> bool:
    """Write ``corpus`` under ``key`` (a temporary folder renamed into place), then
    remove this embedder's folders of other keys. False when it could not be
    written (read-only store, full disk): the cache is an optimisation only."""
    final = folder / _name(embedder_key, key)
    tmp = folder / f"{_TMP_PREFIX}{embedder_key}-{uuid.uuid4().hex}"
    try:
        if not final.is_dir():
            tmp.mkdir(parents=True)
            _write(corpus, tmp, key)
            try:
                os.replace(tmp, final)
            except OSError:
                if not final.is_dir():  # not just another process saving the same key first
                    raise
        _prune(folder, embedder_key, keep=final.name)
        return True
    except Exception:
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write(corpus: Corpus, path: Path, key: str) -> None:
    docs = []
    first = 0
    for d in corpus.docs.values():
        docs.append(
            {
                "id": d.doc_id,
                "title": d.title,
                "format": d.format,
                "hash": d.hash,
                "text": d.text,
                # A paragraph's own text only where it is not its span of the document.
                "paragraphs": [
                    [
                        p.n,
                        p.kind,
                        p.section,
                        p.start,
                        p.end,
                        p.hash,
                        None if d.text[p.start : p.end] == p.text else p.text,
                    ]
                    for p in d.paragraphs
                ],
                "chunk_keys": corpus.chunk_keys[first : first + len(d.paragraphs)],
            }
        )
        first += len(d.paragraphs)
    data: dict[str, Any] = {
        "format": FORMAT,
        "key": key,
        "docs": docs,
        "evidence": corpus.evidence,
        "idf": corpus._idf,
    }
    if corpus.evidence:
        corpus._bm25.save(str(path / "bm25"), show_progress=False)
    (path / "corpus.json").write_text(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )


def _prune(folder: Path, embedder_key: str, keep: str) -> None:
    now = time.time()
    for entry in folder.iterdir():
        name = entry.name
        prefix = f"corpus-{embedder_key}-"
        rest = name[len(prefix) :]
        stale = name.startswith(prefix) and name != keep and "-" not in rest
        if name.startswith(_TMP_PREFIX):
            try:
                stale = now - entry.stat().st_mtime > _TMP_STALE_S
            except OSError:
                stale = False
        if stale:
            shutil.rmtree(entry, ignore_errors=True)
