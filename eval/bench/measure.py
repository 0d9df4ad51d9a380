"""The benchmark run: for each corpus size, our pipeline and the baseline in
worker subprocesses, then cold starts (``speechqa ask``, the baseline's script,
``speechqa serve``) timed from outside, all on temporary stores."""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from speechqa.errors import InputError

from .corpora import SEED
from .stats import hotspots, percentile

COLD_QUESTION = "这次会议的全称是什么？"
PARTS = ("raw", "baseline", "cold", "server")  # parts that --skip can leave out
# Numbers that describe the corpus, not the pipeline: no ratio for them.
NOT_FIGURES = {
    "documents",
    "paragraphs",
    "real_s_per_text",
    "questions_tuning",
    "questions_heldout",
}
COLD_TARGET_S = 3.0


@dataclass
class Proc:
    seconds: float
    returncode: int
    peak_rss_mb: float
    stdout: str
    stderr: str


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("SPEECHQA_STORE", "SPEECHQA_CHROMA_URL", "SPEECHQA_ANSWER_MODE"):
        env.pop(key, None)
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "PYTHONIOENCODING": "utf-8",
            "ANONYMIZED_TELEMETRY": "False",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
    )
    return env


def run_process(cmd: Sequence[str], timeout: float, capture_stderr: bool = True) -> Proc:
    """Run ``cmd`` to completion; wall time and the child's own peak RSS (wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd),
            stdout=out,
            stderr=err if capture_stderr else None,
            stdin=subprocess.DEVNULL,
            env=_env(),
        )
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Proc(
            seconds=seconds,
            returncode=proc.returncode,
            peak_rss_mb=usage.ru_maxrss / 1024,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def speechqa_command() -> list[str]:
    script = Path(sys.executable).parent / "speechqa"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "speechqa.cli"]


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _worker(what: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "eval.bench.worker", what, *args]


def _run_worker(cmd: list[str], result: Path, timeout: float) -> dict[str, Any]:
    proc = run_process(cmd, timeout, capture_stderr=False)
    if proc.returncode != 0 or not result.exists():
        raise RuntimeError(f"benchmark worker {cmd[3]} failed with exit {proc.returncode}")
    data: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    return data


def _profile_cold(cmd_args: list[str], out: Path, name: str) -> dict[str, Any]:
    """Profile one cold ``speechqa ask`` in a subprocess with pyinstrument."""
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    out.mkdir(parents=True, exist_ok=True)
    session_file = out / f"{name}.pyisession"
    cmd = [sys.executable, "-m", "pyinstrument", "-r", "pyisession", "-o", str(session_file)]
    proc = run_process([*cmd, "-m", "speechqa.cli", *cmd_args], timeout=1800)
    if proc.returncode != 0 or not session_file.exists():
        return {"error": _last_line(proc.stderr)}
    session = Session.load(str(session_file))
    text = ConsoleRenderer(unicode=True, color=False).render(session)
    (out / f"{name}.txt").write_text(text, encoding="utf-8")
    session_file.unlink()
    return {
        "file": f"profiles/{name}.txt",
        "seconds": round(session.duration, 3),
        "hotspots": hotspots(session),
        "tree": "\n".join(text.splitlines()[:40]),
    }


def raw_grid(work: Path, quick: bool) -> dict[str, Any]:
    """The embedder alone, one worker process per thread count."""
    cpus = os.cpu_count() or 1
    rows: list[dict[str, Any]] = []
    rss = 0.0
    for threads in [None] if quick else sorted({1, cpus}):
        raw_file = work / f"raw-{threads}.json"
        cmd = _worker("raw", "--result", str(raw_file), *(["--quick"] if quick else []))
        got = _run_worker(cmd + (["--threads", str(threads)] if threads else []), raw_file, 3600)
        rows += got["grid"]
        rss = max(rss, float(got["peak_rss_mb"]))
    best = max(rows, key=lambda r: float(r["texts_per_s"]))
    return {"cpu_count": cpus, "grid": rows, "best": best, "peak_rss_mb": rss}


def cold_asks(
    store: Path, baseline_dir: Path | None, runs: int, profiles: Path | None, size: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Wall time of a fresh process's first answer: ``speechqa ask`` on our store,
    the baseline's equivalent script on its store.

    Ours first once right after the worker's last ingest, which left no saved corpus
    for the store's new state: that process builds the corpus from the store and saves
    it (``cold_ask_after_change_s``); then ``runs`` times as every later process
    starts while the store is unchanged (``cold_ask_p50_s``)."""
    ask_args = ["ask", COLD_QUESTION, "--store", str(store), "--mode", "extractive", "--json"]
    ours: dict[str, Any] = {}
    times, rss = [], []
    for run in range(runs + 1):
        proc = run_process([*speechqa_command(), *ask_args], timeout=1800)
        if proc.returncode != 0:
            ours["cold_ask_error"] = _last_line(proc.stderr)
            break
        if run == 0:
            ours["cold_ask_after_change_s"] = proc.seconds
            ours["cold_ask_after_change_rss_mb"] = proc.peak_rss_mb
            continue
        times.append(proc.seconds)
        rss.append(proc.peak_rss_mb)
    ours["cold_ask_p50_s"] = percentile(times, 50)
    ours["cold_ask_p95_s"] = percentile(times, 95)
    ours["cold_ask_peak_rss_mb"] = max(rss) if rss else None
    if profiles is not None and times and (percentile(times, 50) or 0) > COLD_TARGET_S:
        ours.setdefault("profiles", {})["cold_ask"] = _profile_cold(
            ask_args, profiles, f"ours-{size}-cold-ask"
        )
    base: dict[str, Any] = {}
    if baseline_dir is not None:
        times, rss = [], []
        for _ in range(runs):
            proc = run_process(
                _worker("baseline-ask", "--dir", str(baseline_dir), COLD_QUESTION), timeout=1800
            )
            if proc.returncode != 0:
                base["cold_ask_error"] = _last_line(proc.stderr)
                break
            times.append(proc.seconds)
            rss.append(proc.peak_rss_mb)
        base["cold_ask_p50_s"] = percentile(times, 50)
        base["cold_ask_p95_s"] = percentile(times, 95)
        base["cold_ask_peak_rss_mb"] = max(rss) if rss else None
    return ours, base


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def server_first_answer(store: Path, timeout: float = 1800) -> dict[str, Any]:
    """Seconds from starting ``speechqa serve`` to the first answer through its
    ``ask`` API (gradio_client), on a free loopback port."""
    probe = run_process([*speechqa_command(), "serve", "--help"], timeout=120)
    if probe.returncode != 0:
        return {
            "server_first_answer_s": None,
            "server_note": f"'speechqa serve' is not available (exit {probe.returncode}: "
            f"{_last_line(probe.stderr)})",
        }
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [
                *speechqa_command(),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--store",
                str(store),
            ],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            env=_env(),
        )
        result: dict[str, Any] = {"server_first_answer_s": None}
        try:
            while not _answers(url):
                if proc.poll() is not None:
                    log.seek(0)
                    result["server_note"] = (
                        f"speechqa serve exited with {proc.returncode}: "
                        f"{_last_line(log.read().decode('utf-8', 'replace'))}"
                    )
                    return result
                if time.perf_counter() - started > timeout:
                    result["server_note"] = f"no answer from {url} in {timeout:.0f} s"
                    return result
                time.sleep(0.05)
            result["server_ready_s"] = time.perf_counter() - started
            try:
                from gradio_client import Client

                client = Client(url, verbose=False)
                asked = time.perf_counter()
                client.predict(COLD_QUESTION, "extractive", api_name="/ask")
                done = time.perf_counter()
                result["server_first_answer_s"] = done - started
                result["server_first_request_s"] = done - asked
            except Exception as exc:  # the UI's API is a colleague's: report, don't crash
                result["server_note"] = f"ask API failed: {type(exc).__name__}: {exc}"[:300]
        finally:
            proc.terminate()
            try:
                _, _, usage = os.wait4(proc.pid, 0)
                proc.returncode = 0
                result["server_peak_rss_mb"] = usage.ru_maxrss / 1024
            except ChildProcessError:
                pass
    return result


def corpus_meta() -> dict[str, Any]:
    """The development corpus the corpora are built from: originals with their split,
    the question sets the manifest lists but that are not written yet, and questions
    whose gold lies past the end of their document as the loader reads it."""
    from .corpora import beyond_last_paragraph
    from .devcorpus import documents, missing_question_sets

    return {
        "originals": [{"id": d.doc_id, "split": d.split} for d in documents()],
        "missing_question_sets": missing_question_sets(),
        "gold_beyond_last_paragraph": beyond_last_paragraph(),
    }


def ratios(ours: dict[str, Any], base: dict[str, Any]) -> dict[str, float]:
    """ours / baseline for every figure both have (latency: < 1 means we are
    faster; throughput: > 1 means we are faster; recall: > 1 means we find more)."""
    out = {}
    for key, value in ours.items():
        other = base.get(key)
        if key in NOT_FIGURES or isinstance(value, bool) or isinstance(other, bool):
            continue
        if isinstance(value, int | float) and isinstance(other, int | float) and other:
            out[key] = value / other
    return out


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpu_count": os.cpu_count(),
        "loadavg_1_5_15": [round(x, 2) for x in load],
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def run_bench(
    sizes: Sequence[int],
    out: Path,
    repeats: int = 3,
    real_max: int = 100,
    quick: bool = False,
    skip: Sequence[str] = (),
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Measure every size, write bench.json, bench.md and the plots into ``out``."""
    from .report import write_report

    say = log or (lambda m: sys.stderr.write(f"[bench] {m}\n"))
    sizes = sorted(set(sizes))
    if not sizes or sizes[0] < 1:
        raise InputError(
            "--sizes needs positive document counts, e.g. --sizes 1,10,100.",
            zh="--sizes 需要正的文档数，如 --sizes 1,10,100。",
        )
    unknown = sorted(set(skip) - set(PARTS))
    if unknown:
        raise InputError(
            f"--skip got '{unknown[0]}'; choose from {', '.join(PARTS)}.",
            zh=f"--skip 收到 '{unknown[0]}'；请从 {', '.join(PARTS)} 中选。",
        )
    out.mkdir(parents=True, exist_ok=True)
    profiles = out / "profiles"
    started = time.perf_counter()
    result: dict[str, Any] = {
        "meta": {
            **machine(),
            "sizes": list(sizes),
            "repeats": repeats,
            "quick": quick,
            "real_max": real_max,
            "seed": SEED,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "cold_question": COLD_QUESTION,
            "corpus": corpus_meta(),
        },
        "embedder": None,
        "sizes": [],
    }
    work = Path(tempfile.mkdtemp(prefix="speechqa-bench-"))
    try:
        if "raw" not in skip:
            say("raw embedder throughput (threads × batch)")
            result["embedder"] = raw_grid(work, quick)
        for size in sizes:
            size_started = time.perf_counter()
            load_at_start = machine()["loadavg_1_5_15"]
            store = work / f"size-{size}"
            store.mkdir()
            common = [
                "--size", str(size), "--store", str(store), "--repeats", str(repeats),
                "--real-max", str(real_max), "--profiles", str(profiles),
                *(["--quick"] if quick else []),
            ]  # fmt: skip
            say(f"size {size}: our pipeline")
            ours = _run_worker(
                _worker("ours", *common, "--result", str(store / "ours.json")),
                store / "ours.json",
                timeout=6 * 3600,
            )
            base: dict[str, Any] = {}
            if "baseline" not in skip:
                say(f"size {size}: plain LangChain baseline")
                try:
                    base = _run_worker(
                        _worker("baseline", *common, "--result", str(store / "baseline.json")),
                        store / "baseline.json",
                        timeout=6 * 3600,
                    )
                except RuntimeError as exc:
                    # Our numbers for this size still count; the report says what failed.
                    say(f"size {size}: {exc}")
                    base = {"error": str(exc)}
            if "cold" not in skip:
                say(f"size {size}: cold asks")
                runs = 1 if quick or size >= 1000 else max(1, repeats)
                cold_ours, cold_base = cold_asks(
                    Path(ours["store"]),
                    store / "baseline" if base and "error" not in base else None,
                    runs,
                    profiles if size in (sizes[0], sizes[-1]) and not quick else None,
                    size,
                )
                _merge(ours, cold_ours)
                _merge(base, cold_base)
            if "server" not in skip:
                say(f"size {size}: web server's first answer")
                ours.update(server_first_answer(Path(ours["store"])))
                if base:
                    base["server_first_answer_s"] = None
                    base["server_note"] = "a plain pipeline has no web server"
            ours.pop("store", None)
            row = {
                "size": size,
                "loadavg_1_5_15": load_at_start,
                "embedding": ours.get("embedding"),
                "seconds": time.perf_counter() - size_started,
                "ours": ours,
                "baseline": base,
                "ratios": ratios(ours, base),
            }
            result["sizes"].append(row)
            shutil.rmtree(store, ignore_errors=True)
            result["meta"]["seconds"] = time.perf_counter() - started
            write_report(result, out)  # after every size: a long run keeps what it measured
            say(f"size {size} done in {row['seconds']:.0f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["meta"]["seconds"] = time.perf_counter() - started
    result["meta"]["loadavg_end"] = machine()["loadavg_1_5_15"]
    write_report(result, out)
    return result


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    profiles = extra.pop("profiles", None)
    into.update(extra)
    if profiles:
        into.setdefault("profiles", {}).update(profiles)
