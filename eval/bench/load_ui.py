"""Load benchmark of the web chat: N concurrent users ask through the ``ask`` API.

Each simulated user is its own gradio_client session; all start together (a
barrier), each asks the same mix of answerable and unanswerable questions in
extractive mode, one after another. Reports latency percentiles (queue wait
included: that is what a user feels) and every error. A benchmark, not a test:
it reports numbers and asserts nothing about speed.

    python -m eval.bench.load_ui                 # own server on a free loopback port
    python -m eval.bench.load_ui --url http://127.0.0.1:7860/ --users 20 --rounds 3
    python -m eval.bench.load_ui --json bench-out/load_ui.json

Bounded: every request has a timeout and the whole run a deadline; only loopback
URLs are accepted, so it never loads someone else's server by mistake.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from eval.metrics import percentile

QUESTIONS = (
    "一共开展了几次集中学习？",
    "去年召开了多少次党组会？",
    "开展了多少次宣讲？",
    "讲话人的办公电话是多少？",
    "局党组去年处置了几起问题线索？",
    "怎样加强纪律建设？",
)


@dataclass
class Result:
    users: int
    rounds: int
    requests: int
    ok: int
    refused: int
    errors: int
    wall_s: float
    throughput_rps: float
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None
    mean_ms: float | None
    answer_p50_ms: float | None  # the assistant's own time (timings_ms.total), no queue
    concurrency_limit: int | None
    error_samples: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        def ms(v: float | None) -> str:
            return "-" if v is None else f"{v:.0f} ms"

        return [
            f"users {self.users} × rounds {self.rounds} = {self.requests} requests "
            f"(server queue concurrency {self.concurrency_limit or '?'})",
            f"ok {self.ok} (refusals {self.refused}), errors {self.errors}",
            f"latency p50 {ms(self.p50_ms)}, p95 {ms(self.p95_ms)}, max {ms(self.max_ms)}, "
            f"mean {ms(self.mean_ms)}; answering alone p50 {ms(self.answer_p50_ms)}",
            f"wall {self.wall_s:.1f} s, throughput {self.throughput_rps:.1f} answers/s",
            *[f"error: {e}" for e in self.error_samples],
        ]


def check_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("127."):
        raise SystemExit(f"load_ui: refusing {url}: only loopback servers may be loaded.")


def run(
    url: str,
    users: int = 20,
    rounds: int = 3,
    timeout_s: float = 120.0,
    deadline_s: float = 600.0,
    auth: tuple[str, str] | None = None,
    concurrency_limit: int | None = None,
) -> Result:
    """``users`` concurrent sessions × ``rounds`` questions each against ``url``."""
    from gradio_client import Client

    check_loopback(url)
    latencies: list[float] = []
    compute: list[float] = []
    errors: list[str] = []
    refused = 0
    lock = threading.Lock()
    barrier = threading.Barrier(users)
    stop_at = time.monotonic() + deadline_s

    def user(i: int) -> None:
        nonlocal refused
        try:
            client = Client(url, auth=auth, verbose=False)
        except Exception as exc:
            with lock:
                errors.append(f"user {i}: cannot connect: {type(exc).__name__}: {exc}")
            barrier.abort()
            return
        with suppress(threading.BrokenBarrierError):  # a failed peer must not stall the rest
            barrier.wait(timeout=timeout_s)
        for r in range(rounds):
            if time.monotonic() > stop_at:
                with lock:
                    errors.append(f"user {i}: deadline of {deadline_s:.0f} s reached")
                return
            question = QUESTIONS[(i + r) % len(QUESTIONS)]
            started = time.perf_counter()
            try:
                job = client.submit(question, "extractive", api_name="/ask")
                answer: Any = job.result(timeout=timeout_s)
                if not isinstance(answer, dict) or not answer.get("answer"):
                    raise ValueError(f"empty or malformed result: {str(answer)[:80]}")
                if not answer["refused"] and not answer["citations"]:
                    raise ValueError("an answer without citations")
            except Exception as exc:
                with lock:
                    errors.append(f"user {i} «{question}»: {type(exc).__name__}: {exc}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                compute.append(float((answer.get("timings_ms") or {}).get("total", 0.0)))
                refused += bool(answer["refused"])

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        list(pool.map(user, range(users)))
    wall = time.perf_counter() - t0
    return Result(
        users=users,
        rounds=rounds,
        requests=users * rounds,
        ok=len(latencies),
        refused=refused,
        errors=len(errors),
        wall_s=wall,
        throughput_rps=len(latencies) / wall if wall else 0.0,
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        max_ms=max(latencies) if latencies else None,
        mean_ms=statistics.fmean(latencies) if latencies else None,
        answer_p50_ms=percentile(compute, 50),
        concurrency_limit=concurrency_limit,
        error_samples=errors[:10],
    )


def own_server(stack: ExitStack, store: Path | None) -> tuple[str, int]:
    """The real app in this process on a free loopback port; the bundled speech is
    ingested into ``store`` (a throw-away folder by default)."""
    import socket

    from ingest.pipeline import ingest_paths
    from speechqa.factory import build_assistant
    from speechqa.settings import Settings
    from ui.app import launch

    if store is None:
        store = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="speechqa-load-")))
    settings = Settings(store=store)
    assistant = build_assistant(settings)
    if not assistant.documents():
        ingest_paths(assistant.index, [], int(settings.max_file_mb * 1e6))
        assistant.refresh()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo, url = launch(
        settings, host="127.0.0.1", port=port, login=None, assistant=assistant, block=False
    )
    stack.callback(demo.close)
    assistant.ask(QUESTIONS[0])  # warm: the first question loads the models
    return url, settings.ui.concurrency


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", help="a running chat on loopback (default: start one here)")
    p.add_argument("--store", type=Path, help="data directory of the server started here")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--rounds", type=int, default=3, help="questions per user")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per request")
    p.add_argument("--deadline", type=float, default=600.0, help="seconds for the whole run")
    p.add_argument("--json", type=Path, help="also write the result here")
    args = p.parse_args(argv)
    if not 1 <= args.users <= 200 or not 1 <= args.rounds <= 100:
        p.error("--users must be 1-200 and --rounds 1-100")
    with ExitStack() as stack:
        limit = None
        url = args.url
        if url is None:
            url, limit = own_server(stack, args.store)
        result = run(url, args.users, args.rounds, args.timeout, args.deadline, None, limit)
    print("\n".join(result.lines()))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(result), ensure_ascii=False, indent=2), "utf-8")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
