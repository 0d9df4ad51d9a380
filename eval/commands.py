"""``speechqa eval``: run a question set (or every set of a corpus manifest), write the
reports, apply the gate.

Exit codes: 0 every gated metric meets its threshold (targets are only reported), 1 one
misses, 2 bad input (question file, manifest, thresholds file, --compare file, unknown
document).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from speechqa.cli import settings_from_args
from speechqa.lang import say

if TYPE_CHECKING:
    from ingest.store import Index
    from speechqa.settings import Settings

    from .manifest import Manifest
    from .questions import Question
    from .thresholds import GateCheck


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
    p.add_argument(
        "--manifest",
        nargs="?",
        const="",  # --manifest alone: the packaged one (a string: argparse converts none)
        metavar="FILE",
        help="run every question set of a corpus manifest, ingesting its documents when "
        "missing or changed, and gate per split (FILE default: the packaged "
        "eval/corpus/manifest.toml)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="with --manifest: only check the question sets against the documents as "
        "ingest parses them (gold ¶ in range, every key in a gold paragraph); no index, "
        "no model; exit 2 on any problem",
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
        help="document of questions without a 'doc' field (default: the bundled speech); "
        'questions with "doc": null search every document',
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
    needed = {q.doc or default_doc for q in questions if not q.archive}
    bundled = bundled_doc_id()
    if bundled in needed and bundled not in records:
        sys.stderr.write(
            say(
                f"索引中没有 {bundled}，先导入内置讲话……\n",
                f"{bundled} is not in the index; ingesting the bundled speech first…\n",
            )
        )
        ingest_paths(index, [], int(settings.max_file_mb * 1e6))
        records = {r.doc_id: r.paragraphs for r in index.documents()}
    return records


def ensure_manifest_documents(
    index: Index, settings: Settings, manifest: Manifest
) -> dict[str, int]:
    """Paragraph counts of the indexed documents after ingesting the manifest's documents
    through the normal pipeline: an unchanged document is skipped after its record
    check, so a second run embeds nothing."""
    from ingest.pipeline import ingest_paths
    from speechqa.progress import chunk_progress

    before = {r.doc_id: r.hash for r in index.documents()}
    with chunk_progress() as progress:
        done = ingest_paths(
            index, [d.path for d in manifest.documents], int(settings.max_file_mb * 1e6), progress
        )
    records = {r.doc_id: r for r in index.documents()}
    changed = [d.id for d in manifest.documents if before.get(d.id) != records[d.id].hash]
    if changed:
        sys.stderr.write(
            say(
                f"导入清单中的 {len(changed)} 篇文档（{'、'.join(changed)}）：新嵌入 "
                f"{done.embedded} 块，用时 {done.seconds:.1f} 秒\n",
                f"ingested the manifest's documents ({len(changed)}: {', '.join(changed)}): "
                f"{done.embedded} chunks embedded in {done.seconds:.1f} s\n",
            )
        )
    extra = sorted(set(records) - {d.id for d in manifest.documents})
    if extra:
        sys.stderr.write(
            say(
                f"注意：索引中另有 {len(extra)} 篇清单之外的文档（{'、'.join(extra)}），"
                "全库问题也会检索它们。\n",
                f"note: the index holds {len(extra)} more documents the manifest does not "
                f"list ({', '.join(extra)}); questions over every document search them too.\n",
            )
        )
    return {doc_id: r.paragraphs for doc_id, r in records.items()}


def check_manifest(manifest: Manifest, default_doc: str, settings: Settings) -> int:
    """``--manifest --check``: every problem on stdout, one a line, then the verdict
    (a one-line error, exit 2, when there is any)."""
    from speechqa.errors import InputError

    from .validate import corpus_problems

    problems = corpus_problems(manifest, default_doc, int(settings.max_file_mb * 1e6))
    for line in problems:
        print(line)
    if problems:
        raise InputError(
            f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in the question sets "
            f"of {manifest.path} (listed on stdout); fix them.",
            zh=f"{manifest.path} 的问题集中有 {len(problems)} 处问题（已列在标准输出）；请改正。",
        )
    print(
        say(
            f"{manifest.path}：{len(manifest.documents)} 篇文档，{len(manifest.question_sets)} "
            "个问题集，检查通过",
            f"{manifest.path}: documents {len(manifest.documents)}, "
            f"question sets {len(manifest.question_sets)}, all checks passed",
        )
    )
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    # Everything a user can get wrong is checked before any model is loaded.
    from speechqa.errors import InputError

    from . import compare
    from .manifest import load_manifest, load_manifest_questions, packaged_manifest_path
    from .questions import check_documents, load_questions, packaged_questions_path
    from .thresholds import (
        SPLITS,
        WHOLE_RUN,
        apply_gate,
        gate_passed,
        load_thresholds,
        packaged_thresholds_path,
    )

    default_doc = args.doc or bundled_doc_id()
    manifest = None
    if args.manifest is not None:
        if args.questions:
            raise InputError(
                "--manifest runs the question sets its file lists; drop --questions "
                "(or --manifest to run one question file).",
                zh="--manifest 运行清单所列的问题集；请去掉 --questions（或去掉 --manifest 以运行单个问题文件）。",
            )
        manifest = load_manifest(Path(args.manifest) if args.manifest else packaged_manifest_path())
        if args.check:
            return check_manifest(manifest, default_doc, settings_from_args(args))
        questions_file = manifest.path
        questions = load_manifest_questions(manifest, default_doc)
    elif args.check:
        raise InputError(
            "--check checks the question sets of a manifest; add --manifest.",
            zh="--check 检查清单中的问题集；请加上 --manifest。",
        )
    else:
        questions_file = args.questions or packaged_questions_path()
        questions = load_questions(questions_file)
    thresholds_file = args.thresholds or packaged_thresholds_path()
    thresholds = load_thresholds(thresholds_file)
    thresholds.require(SPLITS if manifest else (WHOLE_RUN,))
    old = compare.load_old(args.compare) if args.compare else None
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from speechqa.errors import InputError

        raise InputError(
            f"cannot create the output folder {out} ({exc.strerror}); choose another --out.",
            zh=f"无法创建输出目录 {out}（{exc.strerror}）；请用 --out 另选。",
        ) from None
    if args.mode:
        args.settings_overrides = {"answer.mode": args.mode}
    settings = settings_from_args(args)
    mode = settings.answer.mode
    if mode == "llm" and not settings.llm_configured():
        from speechqa.errors import LLMNotConfiguredError

        raise LLMNotConfiguredError()

    from speechqa.factory import build_assistant, build_chat_model, open_index
    from speechqa.progress import question_progress

    from . import report, summary
    from .judge import Judge
    from .run import aggregate, by_split, run

    index = open_index(settings)
    if manifest is not None:
        paragraphs = ensure_manifest_documents(index, settings, manifest)
    else:
        paragraphs = ensure_documents(index, settings, questions, default_doc)
    check_documents(questions, paragraphs, default_doc)
    assistant = build_assistant(settings, index)
    judge = None
    if settings.llm_configured() and not args.no_judge:
        chat_model = build_chat_model(settings)
        judge = Judge(chat_model) if chat_model is not None else None

    with question_progress() as progress:
        outcomes = run(assistant, questions, default_doc, mode, judge, progress)
    if manifest is not None:
        docs = [d.id for d in manifest.documents]
        splits = by_split(outcomes)
        # A split no question set of the manifest asks about has nothing to gate.
        checks = [c for s in SPLITS if s in splits for c in apply_gate(splits[s], thresholds.of(s))]
    else:
        docs = list(dict.fromkeys(q.doc or default_doc for q in questions if not q.archive))
        checks = apply_gate(aggregate(outcomes), thresholds.of(WHOLE_RUN))
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
        manifest=manifest,
    )
    report.write_all(out, outcomes, result)

    print(report.counts_line(result["counts"]) + f"；报告写入 {out}/")
    for split, row in result["by_split"].items():
        print(f"  {split}: {row['n']} 题，{row['passed']} 题通过")
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
    passed = gate_passed(checks)
    print(verdict_line(checks))
    return 0 if passed else 1


def verdict_line(checks: list[GateCheck]) -> str:
    """The last line of stdout: the gate's verdict and how many targets were met."""
    from .thresholds import gate_passed

    targets = [c for c in checks if not c.threshold.gating]
    line = "门槛：全部通过" if gate_passed(checks) else "门槛：未通过"
    if targets:
        line += f"（目标 {sum(c.passed for c in targets)}/{len(targets)} 项达到）"
    return line
