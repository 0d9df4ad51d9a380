"""The store under faults: a real ingest process killed with SIGKILL at the record
switch leaves orphan chunks that never take top-k places and that the next ingest
removes; a real ``chroma run`` stopped and restarted; documents written by another
process seen by a running reader."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helpers
import numpy as np
import pytest

from ingest.store import Index
from rag.retrieve import HybridSearch
from speechqa.errors import StoreError
from speechqa.settings import Settings

# Runs the real CLI, but stops at the record switch (after the chunks are written)
# and says so: the test kills it there with SIGKILL.
STOP_AT_SWITCH = """
import sys, time
from ingest.store import Index
def stop(self, todo):
    print("AT-SWITCH", flush=True)
    time.sleep(600)
Index._switch = stop
from speechqa.cli import main
sys.exit(main(sys.argv[1:]))
"""


def kill_at_switch(env: dict[str, str], *paths: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", STOP_AT_SWITCH, "ingest", "--quiet", *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=helpers.subprocess_env(env),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "AT-SWITCH", proc.stderr.read() if proc.stderr else line
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def copy_of_speech(folder: Path, name: str, edit: str = "") -> Path:
    """The bundled speech under another name (its chunks crowd the speech's own)."""
    text = helpers.SPEECH_PATH.read_text(encoding="utf-8")
    path = folder / f"{name}.txt"
    path.write_text(text + (f"\n{edit}\n" if edit else ""), encoding="utf-8")
    return path


def chunk_ids(index: Index, doc_id: str) -> set[str]:
    return set(index.chunks_collection.get(where={"doc_id": doc_id}, include=[])["ids"])


@pytest.fixture
def killed_store(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    env = {"SPEECHQA_STORE": str(tmp_path / "store")}
    first = helpers.run_cli("ingest", "--quiet", env=env)
    assert first.returncode == 0, first.stderr
    copies = tmp_path / "copies"
    copies.mkdir()
    paths = [copy_of_speech(copies, f"copy-{c}") for c in "ab"]
    kill_at_switch(env, *paths)
    yield env, copies


def test_orphans_never_take_top_k_places(
    killed_store: tuple[dict[str, str], Path], e5_embeddings: Any
) -> None:
    from rag.corpus import Corpus
    from speechqa.factory import open_index

    env, _ = killed_store
    index = open_index(Settings(store=Path(env["SPEECHQA_STORE"])), e5_embeddings)
    assert [r.doc_id for r in index.documents()] == [helpers.SPEECH_ID]
    assert chunk_ids(index, "copy-a") and chunk_ids(index, "copy-b")  # the orphans are there
    corpus = Corpus.from_index(index)
    search = HybridSearch(index, corpus, index.settings.retrieval)
    vector = e5_embeddings.embed_query("一共开展了几次集中学习？")
    k = index.settings.retrieval.candidates
    raw = index.dense(vector, 4 * k)
    assert sum(corpus.owner(cid) is None for cid, _ in raw) > len(raw) / 2  # they crowd
    # What a store without orphans would give: the best current paragraphs of a wide
    # query, each scored by its best sentence too.
    wide = [(key, s) for cid, s in index.dense(vector, 4000) if (key := corpus.owner(cid))]
    expected: dict[tuple[str, int], float] = {}
    q = np.asarray(vector, dtype=np.float32)
    for key, sim in wide[: 4 * k]:
        p = corpus.paragraph(*key)
        if p is not None and p.kind == "body":
            text = corpus.docs[p.doc_id].text
            spans = corpus.sentences(p)
            units = [(h, text[s:e]) for s, e, h in spans] if len(spans) > 1 else []
            sims = [float(np.dot(q, v)) for v in index.unit_vectors(units).values()]
            expected[key] = max([sim, *sims])
    assert search.dense(vector, None, k) == pytest.approx(expected)


def test_next_ingest_removes_the_orphans(
    killed_store: tuple[dict[str, str], Path], e5_embeddings: Any
) -> None:
    from ingest.load import load_path
    from ingest.pipeline import prepare
    from speechqa.factory import open_index

    env, copies = killed_store
    edited = copy_of_speech(copies, "copy-a", edit="这是新加的一段话，旧版本没有。")
    done = helpers.run_cli("ingest", "--quiet", str(edited), env=env)
    assert done.returncode == 0, done.stderr
    # --delete works for a document that only has orphans (no record).
    gone = helpers.run_cli("ingest", "--delete", "copy-b", env=env)
    assert gone.returncode == 0, gone.stderr
    assert "copy-b" in gone.stdout
    index = open_index(Settings(store=Path(env["SPEECHQA_STORE"])), e5_embeddings)
    current = {c.id for c in prepare(load_path(edited, 10**7)).index_chunks()}
    assert chunk_ids(index, "copy-a") == current  # no chunk of the interrupted version left
    assert chunk_ids(index, "copy-b") == set()


def test_delete_of_a_document_never_ingested_is_unknown(tmp_path: Path) -> None:
    env = {"SPEECHQA_STORE": str(tmp_path / "store")}
    proc = helpers.run_cli("ingest", "--delete", "never-there", env=env)
    helpers.assert_one_line_error(proc, "never-there", code=2)


# ---- another process writes while a reader runs (embedded store) -------------------------
def test_reader_sees_documents_written_by_another_process(
    tmp_path: Path, e5_embeddings: Any
) -> None:
    from speechqa.factory import build_assistant, open_index

    store = tmp_path / "store"
    env = {"SPEECHQA_STORE": str(store)}
    assert helpers.run_cli("ingest", "--quiet", env=env).returncode == 0
    settings = Settings(store=store)
    assistant = build_assistant(settings, index=open_index(settings, e5_embeddings))
    assert list(assistant.corpus.docs) == [helpers.SPEECH_ID]
    before = assistant.index.generation()
    extra = tmp_path / "flood-2025.txt"
    extra.write_text("同志们：\n今年汛期降雨量比常年偏多三成。\n", encoding="utf-8")
    assert helpers.run_cli("ingest", "--quiet", extra, env=env).returncode == 0
    assert assistant.index.generation() != before
    time.sleep(0.3)  # sync reads the stamp at most every 0.25 s
    assert "flood-2025" in {r.doc_id for r in assistant.documents()}
    assert "flood-2025" in assistant.corpus.docs
    assert assistant.ask("今年汛期降雨量怎么样？", doc="flood-2025").citations


# ---- a real chroma server stopped and started again ---------------------------------------
class ChromaServer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = helpers.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [
            str(helpers.BIN / "chroma"), "run", "--path", str(self.folder / "data"),
            "--host", "127.0.0.1", "--port", str(self.port),
        ]  # fmt: skip
        with open(self.folder / "chroma.log", "ab") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=helpers.subprocess_env()
            )
        deadline = time.monotonic() + 60
        while not helpers.http_ok(f"{self.url}/api/v2/heartbeat"):
            assert self.proc.poll() is None and time.monotonic() < deadline, "chroma did not start"
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@pytest.mark.server
def test_chroma_down_is_named_and_recovers(tmp_path: Path, e5_embeddings: Any) -> None:
    from ingest.pipeline import ingest_paths
    from speechqa.factory import build_assistant, open_index
    from ui.app import _fail

    server = ChromaServer(tmp_path)
    server.start()
    try:
        settings = Settings(store=tmp_path / "store", chroma_url=server.url)
        index = open_index(settings, e5_embeddings)
        ingest_paths(index, [], 10**7)
        assistant = build_assistant(settings, index=index)
        assert assistant.ask("一共开展了几次集中学习？").citations

        server.stop()
        time.sleep(0.5)
        with pytest.raises(StoreError) as err:
            assistant.ask("一共开展了几次集中学习？")
        assert "Chroma" in str(err.value) and "chroma run" in str(err.value)
        zh = _fail(err.value, settings)
        assert "Chroma" in zh and "无法连接" in zh and "chroma run" in zh
        assert "ConnectError" not in zh
        with pytest.raises(StoreError):
            assistant.documents()

        server.start()
        assert assistant.ask("一共开展了几次集中学习？").citations
    finally:
        server.stop()
