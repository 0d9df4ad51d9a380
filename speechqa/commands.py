"""Index subcommands: ingest, docs, show."""

from __future__ import annotations

import argparse
from pathlib import Path

from speechqa.cli import print_json, settings_from_args
from speechqa.errors import InputError
from speechqa.lang import say


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("ingest", parents=[common], help="chunk, embed and store speeches")
    p.add_argument(
        "paths", nargs="*", type=Path, help=".txt/.md/.docx files (default: the bundled speech)"
    )
    p.add_argument("--delete", metavar="DOC", help="remove one document from the index")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("docs", parents=[common], help="list ingested documents")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("show", parents=[common], help="print a document's numbered paragraphs")
    p.add_argument("doc", help="document id (see 'speechqa docs')")
    p.add_argument("n", nargs="?", type=int, help="one paragraph number")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.pipeline import ingest_paths
    from speechqa.factory import open_index
    from speechqa.progress import chunk_progress

    settings = settings_from_args(args)
    index = open_index(settings)
    if args.delete:
        removed = index.delete(args.delete)
        if args.json:
            print_json({"deleted": args.delete, "chunks": removed})
        else:
            print(
                say(
                    f"已删除 {args.delete}（{removed} 个检索块）",
                    f"deleted {args.delete} ({removed} chunks)",
                )
            )
        return 0
    with chunk_progress(not args.quiet) as progress:
        summary = ingest_paths(index, args.paths, int(settings.max_file_mb * 1e6), progress)
    if args.json:
        print_json(summary.to_dict())
    else:
        s = summary
        print(
            say(
                f"文档 {s.documents} 篇，段落 {s.paragraphs} 段，"
                f"新嵌入 {s.embedded} 块，跳过 {s.skipped} 块，用时 {s.seconds:.1f} 秒",
                f"documents {s.documents}, paragraphs {s.paragraphs}, "
                f"chunks embedded {s.embedded}, skipped {s.skipped}, {s.seconds:.1f} s",
            )
        )
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from speechqa.factory import open_index

    records = open_index(settings_from_args(args)).documents()
    if args.json:
        print_json([r.to_dict() for r in records])
    elif not records:
        print(
            say(
                "索引中还没有文档。运行 'speechqa ingest' 导入内置讲话。",
                "No documents yet. Run 'speechqa ingest' to ingest the bundled speech.",
            )
        )
    else:
        for r in records:
            paragraphs = say(f"{r.paragraphs} 段", f"{r.paragraphs} paragraphs")
            print(f"{r.doc_id}\t{r.title}\t{paragraphs}\t{r.source}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from speechqa.factory import open_index

    doc = open_index(settings_from_args(args)).get(args.doc)
    paragraphs = doc.paragraphs
    if args.n is not None:
        p = doc.paragraph(args.n)
        if p is None:
            raise InputError(
                f"{args.doc} has paragraphs 1–{len(doc.paragraphs)}, not {args.n}; pick one in range.",
                zh=f"{args.doc} 只有第 1–{len(doc.paragraphs)} 段，没有第 {args.n} 段；请在范围内选择。",
            )
        paragraphs = [p]
    if args.json:
        print_json([p.to_dict() for p in paragraphs])
        return 0
    for p in paragraphs:
        section = f"  〔{p.section}〕" if p.section else ""
        print(f"¶{p.n} [{p.kind}]{section}\n{p.text}\n")
    return 0
