"""Load and abuse figures of the web chat: a real ``chroma run``, a real
``speechqa serve`` on it, many users asking at once through the ``/ask`` endpoint
(gradio_client) while another process ingests, and one oversized question among
normal ones.

``speechqa bench --load 50`` runs it and writes ``load.json``; the reliability tests
run a small version of the same scenario.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.metrics import percentile

# Client-side HTTP timeout: httpx's 5 s default turns a busy queue into errors that
# are the load client's, not the server's.
CLIENT_TIMEOUT_S = 300.0

# A 500-character question: a real question padded with the speech's own words.
QUESTION = "一共开展了几次集中学习？"
PAD = "请结合讲话中关于全面从严治党、加强纪律建设和作风建设的论述，"


def long_question(chars: int) -> str:
    """``QUESTION`` preceded by padding, exactly ``chars`` characters long."""
    pad = (PAD * (chars // len(PAD) + 1))[: max(0, chars - len(QUESTION))]
    return pad + QUESTION


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{url} did not come up:\n{tail}")
        time.sleep(0.25)


@contextlib.contextmanager
def process(
    cmd: list[str], env: Mapping[str, str], log: Path, ready_url: str, timeout: float = 180
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``cmd`` (output to ``log``), wait until ``ready_url`` answers 200, stop it after."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=dict(env)
        )
    try:
        _wait_http(ready_url, proc, log, timeout)
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


@dataclass
class Stack:
    """A running chroma server and web chat over it."""

    url: str
    chroma_url: str
    env: dict[str, str]
    folder: Path

    def cli(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_bin("speechqa"), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=self.env,
            timeout=timeout,
            check=False,
        )


@contextlib.contextmanager
def stack(folder: Path, env: Mapping[str, str] | None = None) -> Iterator[Stack]:
    """``chroma run`` + the bundled speech ingested into it + ``speechqa serve``."""
    folder.mkdir(parents=True, exist_ok=True)
    base = dict(os.environ if env is None else env)
    cport, sport = _free_port(), _free_port()
    chroma_url = f"http://127.0.0.1:{cport}"
    run_env = {
        **base,
        "SPEECHQA_STORE": str(folder / "store"),
        "SPEECHQA_CHROMA_URL": chroma_url,
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    chroma = [_bin("chroma"), "run", "--path", str(folder / "chroma"), "--host", "127.0.0.1"]
    with process(
        [*chroma, "--port", str(cport)],
        base,
        folder / "chroma.log",
        f"{chroma_url}/api/v2/heartbeat",
        timeout=60,
    ):
        s = Stack(f"http://127.0.0.1:{sport}/", chroma_url, run_env, folder)
        done = s.cli("ingest", "--quiet")
        if done.returncode != 0:
            raise RuntimeError(f"ingest failed: {done.stderr.strip()}")
        with process(
            [_bin("speechqa"), "serve", "--port", str(sport)], run_env, folder / "serve.log", s.url
        ):
            yield s


@dataclass
class Timed:
    ms: float
    error: str | None = None
    answer: dict[str, Any] | None = None


def client(url: str) -> Any:
    """A gradio_client session of one simulated user."""
    from gradio_client import Client

    return Client(url, verbose=False, httpx_kwargs={"timeout": CLIENT_TIMEOUT_S})


def ask(url: str, question: str, session: Any = None) -> Timed:
    """One question through the ``/ask`` endpoint, timed from the caller's side."""
    started = time.perf_counter()
    try:
        session = session or client(url)
        answer = session.predict(question, "extractive", api_name="/ask")
        return Timed((time.perf_counter() - started) * 1000, answer=answer)
    except Exception as exc:
        return Timed((time.perf_counter() - started) * 1000, error=f"{type(exc).__name__}: {exc}")


def _pct(values: list[float], q: float) -> float:
    """:func:`eval.metrics.percentile`, NaN when there are no values (a figure of load.json)."""
    value = percentile(values, q)
    return float("nan") if value is None else value


@dataclass
class LoadFigures:
    users: int
    question_chars: int
    ingest_in_flight: bool
    errors: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    ingest_ok: bool | None = None
    error_samples: list[str] = field(default_factory=list)


def concurrent_users(
    s: Stack, users: int, question: str, ingest: list[str] | None = None
) -> LoadFigures:
    """``users`` users, each with its own client, ask ``question`` at the same moment;
    with ``ingest``, ``speechqa ingest FILES`` runs in another process meanwhile."""
    clients = [client(s.url) for _ in range(users)]
    results: list[Timed] = [Timed(0.0)] * users
    gate = threading.Barrier(users + 1)

    def user(i: int) -> None:
        gate.wait()
        results[i] = ask(s.url, question, clients[i])

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    ingest_proc = None
    if ingest:
        ingest_proc = subprocess.Popen(
            [_bin("speechqa"), "ingest", "--quiet", *ingest],
            env=s.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    gate.wait()
    for t in threads:
        t.join()
    ingest_ok = None
    if ingest_proc is not None:
        ingest_ok = ingest_proc.wait(timeout=900) == 0
    times = [r.ms for r in results if r.error is None]
    errors = [r.error for r in results if r.error is not None]
    return LoadFigures(
        users=users,
        question_chars=len(question),
        ingest_in_flight=bool(ingest),
        errors=len(errors),
        p50_ms=round(_pct(times, 50), 1),
        p95_ms=round(_pct(times, 95), 1),
        max_ms=round(max(times, default=float("nan")), 1),
        ingest_ok=ingest_ok,
        error_samples=[e for e in errors[:3] if e],
    )


@dataclass
class LongQuestionFigures:
    long_chars: int
    long_ms: float
    long_error: str | None
    others: int
    others_p50_ms: float
    others_max_ms: float
    baseline_p50_ms: float


def long_question_effect(s: Stack, chars: int = 100_000, others: int = 5) -> LongQuestionFigures:
    """One ``chars``-character question sent first, then ``others`` normal questions:
    how long the long one takes (or how fast it is refused), and the others' latency
    against their latency alone."""
    clients = [client(s.url) for _ in range(others + 1)]
    alone = [ask(s.url, QUESTION, clients[i + 1]).ms for i in range(others)]
    long_result: list[Timed] = []
    t = threading.Thread(
        target=lambda: long_result.append(ask(s.url, long_question(chars), clients[0]))
    )
    t.start()
    time.sleep(0.5)  # the long one is in the embedder (or refused) before the others ask
    got: list[Timed] = [Timed(0.0)] * others

    def other(i: int) -> None:
        got[i] = ask(s.url, QUESTION, clients[i + 1])

    threads = [threading.Thread(target=other, args=(i,)) for i in range(others)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    t.join()
    times = [g.ms for g in got]
    return LongQuestionFigures(
        long_chars=chars,
        long_ms=round(long_result[0].ms, 1),
        long_error=long_result[0].error,
        others=others,
        others_p50_ms=round(_pct(times, 50), 1),
        others_max_ms=round(max(times), 1),
        baseline_p50_ms=round(_pct(alone, 50), 1),
    )


def corpus_files() -> list[str]:
    """The development corpus's text files: the ingest kept in flight during the load."""
    root = Path(__file__).resolve().parents[1] / "corpus"
    return sorted(str(p) for p in root.glob("*.txt"))


def run_load(out: Path, users: int = 50, chars: int = 500) -> dict[str, Any]:
    """The whole scenario; writes ``out/load.json`` and returns what it wrote."""
    out.mkdir(parents=True, exist_ok=True)
    with stack(out / "work") as s:
        warm = ask(s.url, QUESTION)
        if warm.error:
            raise RuntimeError(f"the web chat does not answer: {warm.error}")
        load = concurrent_users(s, users, long_question(chars), corpus_files())
        long = long_question_effect(s)
    result = {"load": asdict(load), "long_question": asdict(long)}
    (out / "load.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return result
