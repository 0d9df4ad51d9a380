"""Answering subcommands: ask, quote, chat."""

from __future__ import annotations

import argparse
import sys

from rag.constants import PARTIAL_LABEL
from speechqa.cli import positive_int, print_json, settings_from_args


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("ask", parents=[common], help="answer a question with ¶ citations")
    p.add_argument("question")
    p.add_argument("--doc", metavar="DOC", help="answer from this document only")
    p.add_argument("--mode", choices=["extractive", "llm"], help="answerer (default: extractive)")
    p.add_argument("--top-k", type=int, help="paragraphs retrieved")
    p.add_argument("--json", action="store_true", help="print the result object as JSON")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("quote", parents=[common], help="verbatim passages on a topic, with ¶n")
    p.add_argument("topic")
    p.add_argument("--doc", metavar="DOC")
    p.add_argument("--limit", type=positive_int, default=5, help="most passages (default 5)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--markdown", action="store_true", help="「…」（第n段） lines ready to paste")
    p.set_defaults(func=cmd_quote)

    p = sub.add_parser("chat", parents=[common], help="interactive multi-turn chat in the terminal")
    p.add_argument("--doc", metavar="DOC")
    p.add_argument("--mode", choices=["extractive", "llm"])
    p.set_defaults(func=cmd_chat)


def _settings(args: argparse.Namespace):
    overrides = {}
    if getattr(args, "mode", None):
        overrides["answer.mode"] = args.mode
    if getattr(args, "top_k", None) is not None:
        overrides["retrieval.top_k"] = args.top_k
    args.settings_overrides = overrides
    return settings_from_args(args)


def render(answer) -> str:
    """Answer text for a terminal: the answer, then where each citation points."""
    lines = [
        f"〔{PARTIAL_LABEL}〕{answer.answer}" if answer.outcome == "partial" else answer.answer
    ]
    if answer.citations:
        lines.append("")
        for c in answer.citations:
            mark = "✓" if c.verified else "✗ 未核实"
            what = f"「{c.quote}」" if c.quote else ""
            lines.append(f"  [¶{c.paragraph}] {mark} {what}")
        if answer.title:
            lines.append(f"  （出自《{answer.title}》）")
    if answer.confidence is not None:
        lines.append(f"（置信度 {answer.confidence:.2f}）")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    from speechqa.factory import build_assistant

    assistant = build_assistant(_settings(args))
    answer = assistant.ask(args.question, doc=args.doc)
    if args.json:
        print_json(answer.to_dict())
    else:
        print(render(answer))
    return 0


def cmd_quote(args: argparse.Namespace) -> int:
    from speechqa.factory import build_assistant

    result = build_assistant(_settings(args)).quote(args.topic, doc=args.doc, limit=args.limit)
    if args.json:
        print_json(result.to_dict())
    elif args.markdown:
        sys.stdout.write(result.to_markdown())
    else:
        print(result.to_text())
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from speechqa.errors import SpeechQAError
    from speechqa.factory import build_assistant
    from speechqa.lang import current_lang, say

    lang = current_lang()
    assistant = build_assistant(_settings(args))
    history: list[str] = []
    print(
        say(
            "讲话问答（输入问题，回车提问；空行或 Ctrl-D 退出）",
            "speechqa chat (type a question and press Enter; an empty line or Ctrl-D quits)",
            lang,
        )
    )
    while True:
        try:
            question = input("问> ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            for event in assistant.stream(question, doc=args.doc, history=history):
                if event.kind == "final" and event.answer is not None:
                    print(render(event.answer) + "\n")
        except SpeechQAError as exc:
            print(say(f"错误：{exc.message(lang)}", f"error: {exc.message(lang)}", lang))
            continue
        history.append(question)
    return 0
