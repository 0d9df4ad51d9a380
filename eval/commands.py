"""``speechqa eval``: run a question set, write the reports, apply the gate.

Exit codes: 0 every gated metric meets its threshold, 1 one misses, 2 bad input
(question file, thresholds file, --compare file, unknown document).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from speechqa.cli import settings_from_args

if TYPE_CHECKING:
    from ingest.store import Index
    from speechqa.settings import Settings

    from .questions import Question


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "eval",
        parents=[common],
        help="run the evaluation question set and gate on its thresholds",
        description="Ask every question of a question file through the assistant, write "
        "results.json, summary.json, report.md and report.html, and exit 1 when a gated "
        "metric misses its threshold (2 on bad input).",
    )
    p.add_argument(
        "--questions",
        type=Path,
        metavar="FILE",
        help="JSON Lines question file (default: the packaged eval/questions.jsonl)",
    )
    p.add_argument("--mode", choices=["extractive", "llm"], help="answerer (default: extractive)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("eval-out"),
        metavar="DIR",
        help="output folder (./eval-out)",
    )
    p.add_argument(
        "--thresholds",
        type=Path,
        metavar="FILE",
        help="gate thresholds, TOML (default: the packaged eval/thresholds.toml)",
    )
    p.add_argument(
        "--compare",
        type=Path,
        metavar="OLD_SUMMARY",
        help="summary.json of an earlier run: print and write the deltas",
    )
    p.add_argument(
        "--doc",
        metavar="DOC",
        help="document of questions without a 'doc' field (default: the bundled speech)",
    )
    p.add_argument(
        "--no-judge",
        action="store_true",
        help="skip the LLM-judged faithfulness score even when an LLM is configured",
    )
    p.set_defaults(func=cmd_eval)


def bundled_doc_id() -> str:
    from ingest.parse import slugify
    from ingest.pipeline import DEFAULT_SPEECH

    return slugify(DEFAULT_SPEECH)


def ensure_documents(
    index: Index, settings: Settings, questions: list[Question], default_doc: str
) -> dict[str, int]:
    """Paragraph counts of the indexed documents, after ingesting the bundled speech
    when a question needs it and the index lacks it."""
    from ingest.pipeline import ingest_paths

    records = {r.doc_id: r.paragraphs for r in index.documents()}
    needed = {q.doc or default_doc for q in questions}
    bundled = bundled_doc_id()
    if bundled in needed and bundled not in records:
        sys.stderr.write(f"索引中没有 {bundled}，先导入内置讲话……\n")
        ingest_paths(index, [], int(settings.max_file_mb * 1e6))
        records = {r.doc_id: r.paragraphs for r in index.documents()}
    return records


def cmd_eval(args: argparse.Namespace) -> int:
    # Everything a user can get wrong is checked before any model is loaded.
    from . import compare
    from .questions import check_documents, load_questions, packaged_questions_path
    from .thresholds import apply_gate, load_thresholds, packaged_thresholds_path

    questions_file = args.questions or packaged_questions_path()
    thresholds_file = args.thresholds or packaged_thresholds_path()
    questions = load_questions(questions_file)
    thresholds = load_thresholds(thresholds_file)
    old = compare.load_old(args.compare) if args.compare else None
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from speechqa.errors import InputError

        raise InputError(
            f"cannot create the output folder {out} ({exc.strerror}); choose another --out."
        ) from None
    if args.mode:
        args.settings_overrides = {"answer.mode": args.mode}
    settings = settings_from_args(args)
    mode = settings.answer.mode
    if mode == "llm" and not settings.llm_configured():
        from speechqa.errors import ConfigError

        raise ConfigError(
            "--mode llm needs an endpoint: set SPEECHQA_LLM_MODEL and SPEECHQA_LLM_BASE_URL "
            "(or OPENAI_API_KEY), or use --mode extractive."
        )

    from speechqa.factory import build_assistant, build_chat_model, open_index

    from . import report, summary
    from .judge import Judge
    from .run import aggregate, run, stderr_progress

    default_doc = args.doc or bundled_doc_id()
    index = open_index(settings)
    paragraphs = ensure_documents(index, settings, questions, default_doc)
    check_documents(questions, paragraphs, default_doc)
    assistant = build_assistant(settings, index)
    judge = None
    if settings.llm_configured() and not args.no_judge:
        chat_model = build_chat_model(settings)
        judge = Judge(chat_model) if chat_model is not None else None

    outcomes = run(assistant, questions, default_doc, mode, judge, stderr_progress)
    docs = list(dict.fromkeys(q.doc or default_doc for q in questions))
    checks = apply_gate(aggregate(outcomes), thresholds)
    result = summary.build(
        outcomes,
        checks,
        settings=settings,
        index=index,
        docs=docs,
        default_doc=default_doc,
        mode=mode,
        questions_file=Path(questions_file),
        thresholds_file=Path(thresholds_file),
        judged=judge is not None,
    )
    report.write_all(out, outcomes, result, thresholds)

    counts = result["counts"]
    print(
        f"{counts['questions']} 题（可回答 {counts['answerable']}，不可回答 "
        f"{counts['unanswerable']}），{counts['passed']} 题通过；报告写入 {out}/"
    )
    print(report.gate_table(checks))
    if old is not None:
        old_summary, old_results = old
        delta = compare.compare(
            old_summary,
            old_results,
            result,
            [o.to_dict() for o in outcomes],
            str(args.compare),
        )
        compare.write(out, delta)
        print()
        print(compare.text(delta))
    passed = all(c.passed for c in checks)
    print("门槛：全部通过" if passed else "门槛：未通过")
    return 0 if passed else 1
