"""``speechqa train-answerability``: the feature table of the tuning questions, then the
model fitted on it (``--from-table``: only the fit, from the shipped table)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from speechqa.cli import settings_from_args

HERE = Path(__file__).resolve().parent
DEFAULT_TABLE = HERE / "features.csv"
DEFAULT_STORE = Path("eval-out") / "answerability-store"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "train-answerability",
        parents=[common],
        help="refit the answerability model on the tuning documents",
        description="Ingest the tuning documents of the manifest into a work store (--store, "
        f"default ./{DEFAULT_STORE}), write the feature table of their questions, fit the "
        "logistic regression with leave-one-document-out cross-validation, and write the "
        "model JSON with its thresholds and provenance.",
    )
    p.add_argument("--manifest", type=Path, metavar="FILE", help="eval/corpus/manifest.toml")
    p.add_argument(
        "--table",
        type=Path,
        default=DEFAULT_TABLE,
        metavar="CSV",
        help="feature table to write (or read with --from-table)",
    )
    p.add_argument(
        "--from-table",
        action="store_true",
        help="skip the questions: fit from the existing feature table",
    )
    p.add_argument(
        "--out", type=Path, metavar="JSON", help="model file (default: the packaged one)"
    )
    p.set_defaults(func=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    from rag.answerability import packaged_model_path

    from .collect import read_table
    from .fit import fit, sha256_of

    table: Path = args.table
    if not args.from_table:
        collect_table(args, table)
    rows = read_table(table)
    model = fit(rows, sha256_of(table), _shown(table))
    out: Path = args.out or packaged_model_path()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(model.to_json(), ensure_ascii=False, indent=1) + "\n", "utf-8")
    cv = model.provenance["cv"]
    print(f"模型写入 {out}（{len(rows)} 行，{model.provenance['model']}）")
    print(
        f"阈值：refuse_below={model.refuse_below}  answer_above={model.answer_above}  "
        f"交叉验证 AUC={cv['auc']}"
    )
    for name, numbers in [("all", cv["all"]), *cv["by_setting"].items()]:
        print(f"  {name}: " + ", ".join(f"{k}={v}" for k, v in numbers.items()))
    return 0


def collect_table(args: argparse.Namespace, table: Path) -> None:
    from eval.commands import bundled_doc_id
    from eval.run import stderr_progress

    from .collect import (
        default_manifest,
        ensure_index,
        read_manifest,
        read_questions,
        rows,
        write_table,
    )

    manifest = read_manifest(args.manifest or default_manifest())
    if not args.store:
        args.store = str(DEFAULT_STORE)
    settings = settings_from_args(args)
    known = set(manifest.documents)
    default_doc = bundled_doc_id()  # question files without a "doc" field ask about it
    questions = [
        q for path in manifest.question_files for q in read_questions(path, default_doc, known)
    ]
    sys.stderr.write(f"导入 {len(known)} 篇调参文档到 {settings.store} ……\n")
    index = ensure_index(settings, manifest)
    write_table(table, list(rows(settings, index, questions, stderr_progress)))


def _shown(path: Path) -> str:
    """The table's path relative to the repository when it is inside it."""
    try:
        return str(path.resolve().relative_to(HERE.parent.parent))
    except ValueError:
        return str(path)
