"""Small measuring helpers shared by the workers: percentiles, peak RSS, folder
size, and what dominates a pyinstrument profile."""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eval.metrics import percentile


def summary(prefix: str, values: list[float], unit: str) -> dict[str, float | None]:
    """``{prefix_p50_unit, prefix_p95_unit}`` of the values (None when there are none)."""
    return {
        f"{prefix}_p50_{unit}": percentile(values, 50),
        f"{prefix}_p95_{unit}": percentile(values, 95),
    }


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports kilobytes)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform.startswith("linux") else kb / 1024 / 1024


def folder_mb(path: Path) -> float:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                continue  # a file removed while walking (Chroma's temporary files)
    return total / 1e6


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """``with stopwatch() as elapsed: …; elapsed()`` gives seconds (frozen on exit)."""
    started = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - started
    end.append(time.perf_counter())


def hotspots(session: Any, limit: int = 8) -> list[dict[str, object]]:
    """The functions with the most own time in a pyinstrument session, with their
    share of the whole: what dominates."""
    root = session.root_frame()
    if root is None:
        return []
    total = max(root.time, 1e-9)
    own: dict[str, float] = {}
    stack = [root]
    while stack:
        frame = stack.pop()
        stack.extend(frame.children)
        # Synthetic [self] frames are already counted in their parent's self time.
        if not frame.is_synthetic and frame.total_self_time > 0:
            name = f"{frame.function} ({frame.file_path_short}:{frame.line_no})"
            own[name] = own.get(name, 0.0) + frame.total_self_time
    top = sorted(own.items(), key=lambda kv: -kv[1])[:limit]
    return [{"function": k, "share": round(v / total, 3), "seconds": round(v, 3)} for k, v in top]


def profile(
    fn: Callable[[], object], out: Path, name: str, interval: float = 0.001
) -> dict[str, object]:
    """Run ``fn`` under pyinstrument; write ``name``.txt and .html beside ``out``,
    return the hotspots and the call tree's first lines."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=interval)
    profiler.start()
    try:
        fn()
    finally:
        session = profiler.stop()
    out.mkdir(parents=True, exist_ok=True)
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    (out / f"{name}.txt").write_text(text, encoding="utf-8")
    (out / f"{name}.html").write_text(profiler.output_html(), encoding="utf-8")
    return {
        "file": f"profiles/{name}.txt",
        "seconds": round(session.duration, 3),
        "hotspots": hotspots(session),
        "tree": "\n".join(text.splitlines()[:40]),
    }
