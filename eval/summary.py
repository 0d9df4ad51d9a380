"""summary.json: the metrics of a run, stamped with what produced them, so that two
runs can be told apart and compared."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.answerability import load_model, packaged_model_path
from rag.constants import PROMPT_VERSION

from .judge import JUDGE_VERSION
from .run import RANK_DEPTH, Outcome, aggregate, by_document, by_kind, by_split, extras
from .thresholds import GateCheck, gate_passed

if TYPE_CHECKING:
    from ingest.store import Index
    from speechqa.settings import Settings

    from .manifest import Manifest

_SECRET_WORDS = ("key", "auth", "password", "token", "secret")


def git_commit(where: Path | None = None) -> str:
    """HEAD of the checkout this code runs from, or "unknown" (an installed copy,
    no git, not a repository)."""
    cwd = where or Path(__file__).resolve().parent
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else "unknown"


def masked(data: Any) -> Any:
    """Settings with every secret-looking value that is set replaced by "***"
    (public_dict already masks SecretStr; this also covers plain strings)."""
    if isinstance(data, dict):
        return {
            k: "***"
            if v is not None and any(w in str(k).lower() for w in _SECRET_WORDS)
            else masked(v)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [masked(v) for v in data]
    return data


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build(
    outcomes: Sequence[Outcome],
    checks: Sequence[GateCheck],
    *,
    settings: Settings,
    index: Index,
    docs: Sequence[str],
    default_doc: str,
    mode: str,
    questions_file: Path,
    thresholds_file: Path,
    judged: bool,
    manifest: Manifest | None = None,
) -> dict[str, Any]:
    """The run's summary; ``questions_file`` is the question file, or the manifest of a
    manifest run (whose question sets are then listed under "manifest")."""
    hashes = {}
    for doc in docs:
        record = index.record(doc)
        hashes[doc] = record.hash if record is not None else None
    emb = index.embeddings
    model = load_model(settings.answer.model_file)
    answer_above, refuse_below = model.thresholds(
        settings.answer.answer_above, settings.answer.refuse_below
    )
    return {
        "metrics": aggregate(outcomes),
        **extras(outcomes),
        "by_kind": by_kind(outcomes),
        "by_split": by_split(outcomes),
        "by_document": by_document(outcomes),
        "counts": {
            "questions": len(outcomes),
            "answerable": sum(o.question.answerable for o in outcomes),
            "unanswerable": sum(not o.question.answerable for o in outcomes),
            "quotes": sum(len(o.quotes) for o in outcomes),
            "passed": sum(o.passed for o in outcomes),
            "failed": sum(not o.passed for o in outcomes),
        },
        "gate": {
            "passed": gate_passed(checks),
            "thresholds_file": str(thresholds_file),
            "checks": [c.to_dict() for c in checks],
        },
        "document_hash": hashes.get(default_doc) or next(iter(hashes.values()), None),
        "documents": hashes,
        "settings": masked(settings.public_dict()),
        "embedder": {
            "provider": emb.provider,
            "model": emb.model_name,
            "dimension": emb.dimension,
        },
        "answerer": {
            "mode": mode,
            "answerability_model": {
                "file": str(settings.answer.model_file or packaged_model_path()),
                "training_table_sha256": model.provenance.get("training_table_sha256"),
                "date": model.provenance.get("date"),
                "answer_above": answer_above,
                "refuse_below": refuse_below,
            },
            "max_sentences": settings.answer.max_sentences,
            "llm_model": settings.llm.model if mode == "llm" else None,
        },
        "prompt_version": PROMPT_VERSION,
        "judge": {"version": JUDGE_VERSION if judged else None, "used": judged},
        "ranking_depth": RANK_DEPTH,
        "git_commit": git_commit(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "questions_file": str(questions_file),
        "questions_sha256": file_sha256(questions_file),
        "manifest": None if manifest is None else manifest_stamp(manifest, outcomes, hashes),
    }


def manifest_stamp(
    manifest: Manifest, outcomes: Sequence[Outcome], hashes: dict[str, str | None]
) -> dict[str, Any]:
    """What a manifest run was made of: each document with its split and indexed
    hash, each question set with its split, size and sha256."""
    sizes: dict[str, int] = {}
    for o in outcomes:
        sizes[o.question.source] = sizes.get(o.question.source, 0) + 1
    return {
        "path": str(manifest.path),
        "documents": [
            {"id": d.id, "split": d.split, "title": d.title, "hash": hashes.get(d.id)}
            for d in manifest.documents
        ],
        "question_sets": [
            {
                "path": str(qs.path),
                "split": qs.split,
                "questions": sizes.get(str(qs.path), 0),
                "sha256": file_sha256(qs.path),
            }
            for qs in manifest.question_sets
        ],
    }
