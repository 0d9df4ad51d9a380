"""``speechqa bench``: the performance benchmark against a plain LangChain pipeline."""

from __future__ import annotations

import argparse
from pathlib import Path

from speechqa.errors import InputError


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise InputError(
            f"--sizes '{text}' is not a comma-separated list of document counts; "
            "write e.g. --sizes 1,10,100.",
            zh=f"--sizes '{text}' 不是逗号分隔的文档数；请写成如 --sizes 1,10,100。",
        ) from None
    if not sizes or min(sizes) < 1:
        raise InputError(
            f"--sizes '{text}' needs positive document counts, e.g. 1,10,100.",
            zh=f"--sizes '{text}' 需要正的文档数，如 1,10,100。",
        )
    return sizes


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "bench",
        help="benchmark ingest and answering from 1 to 10,000 speeches against plain LangChain",
    )
    p.add_argument(
        "--sizes",
        default="1,10,100,1000",
        help="corpus sizes in documents (default 1,10,100,1000; add 10000 for hours more)",
    )
    p.add_argument("--out", type=Path, default=Path("bench-out"), help="output folder")
    p.add_argument("--repeats", type=int, default=3, help="runs of each measurement (default 3)")
    p.add_argument(
        "--real-max",
        type=int,
        default=100,
        help="largest size embedded with the real model; larger ones use seeded vectors",
    )
    p.add_argument(
        "--quick", action="store_true", help="smoke run: one repeat, a few questions, small grid"
    )
    p.add_argument(
        "--skip", default="", help="leave out parts: raw,baseline,cold,server (comma-separated)"
    )
    p.add_argument(
        "--load",
        type=int,
        metavar="USERS",
        help="only the web chat's load run: USERS users asking a 500-character question at "
        "once while another process ingests, and one 100,000-character question among "
        "normal ones (writes load.json)",
    )
    p.set_defaults(func=cmd_bench)


def cmd_load(args: argparse.Namespace) -> int:
    from .load import run_load

    if args.load < 1:
        raise InputError(
            f"--load {args.load} must be at least 1 user.",
            zh=f"--load {args.load} 至少要 1 个用户。",
        )
    result = run_load(args.out, users=args.load)
    load, long = result["load"], result["long_question"]
    print(
        f"{load['users']} 个用户同时提问（{load['question_chars']} 字，另有导入进行中）："
        f"错误 {load['errors']}，p50 {load['p50_ms']:.0f} ms，p95 {load['p95_ms']:.0f} ms"
    )
    print(
        f"{long['long_chars']} 字的问题：{long['long_ms']:.0f} ms"
        f"（{'已拒绝' if long['long_error'] else '已回答'}）；"
        f"同时其他用户 p50 {long['others_p50_ms']:.0f} ms（单独提问 {long['baseline_p50_ms']:.0f} ms）"
    )
    print(f"写入 {args.out / 'load.json'}")
    return 0 if load["errors"] == 0 else 1


def cmd_bench(args: argparse.Namespace) -> int:
    from .measure import run_bench
    from .report import targets

    if args.load is not None:
        return cmd_load(args)
    if args.repeats < 1:
        raise InputError(
            f"--repeats {args.repeats} must be at least 1.",
            zh=f"--repeats {args.repeats} 至少要 1。",
        )
    skip = [part for part in args.skip.split(",") if part.strip()]
    result = run_bench(
        parse_sizes(args.sizes),
        args.out,
        repeats=args.repeats,
        real_max=args.real_max,
        quick=args.quick,
        skip=skip,
    )
    missed = [t["name"] for t in targets(result) if t["met"] is False]
    print(f"写入 {args.out / 'bench.json'}、{args.out / 'bench.md'} 和图表")
    if missed:
        print("未达标：" + "；".join(missed))
    return 0
