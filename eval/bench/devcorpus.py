"""The development corpus as the benchmark reads it: eval/corpus/manifest.toml's
documents (loaded through the normal loader) and its question sets, each with
the split (tuning / held-out) the manifest gives it.

A question's gold is a set of (doc_id, ¶n): ``gold_paragraphs`` of a set about one
document are numbers (the document is ``doc``, or the bundled speech when a set has
no ``doc`` field, as eval/questions.jsonl and eval/heldout.jsonl); archive sets ask
with ``"doc": null`` and write gold as ``"doc_id:n"``.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from speechqa.errors import InputError

MANIFEST = Path(__file__).resolve().parents[1] / "corpus" / "manifest.toml"
BASE_DOC_ID = "speech-2023-party-discipline"
SPLITS = ("tuning", "heldout")


@dataclass(frozen=True)
class DevDocument:
    doc_id: str
    path: Path
    split: str


@dataclass(frozen=True)
class Question:
    id: str  # "<question file stem>/<id>": ids are unique across the sets
    question: str
    gold: frozenset[tuple[str, int]]  # (doc_id, ¶n)
    split: str
    doc: str | None = None  # the document the question is asked about; None: the archive

    @property
    def answerable(self) -> bool:
        return bool(self.gold)

    @property
    def docs(self) -> frozenset[str]:
        """The documents a corpus must hold for this question to be fair to ask."""
        return frozenset(d for d, _ in self.gold) | ({self.doc} if self.doc else frozenset())


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"the development corpus manifest {path} is missing; run the benchmark "
            "from a source checkout of speechqa.",
            zh=f"缺少开发语料清单 {path}；请在 speechqa 的源码目录中运行基准测试。",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(
            f"{path}: not valid TOML ({exc}); fix the manifest.",
            zh=f"{path}：不是有效的 TOML（{exc}）；请改正清单。",
        ) from None
    return data


def _split(entry: dict[str, Any], where: str) -> str:
    split = entry.get("split")
    if split not in SPLITS:
        raise InputError(
            f"{where}: split '{split}' is not one of {', '.join(SPLITS)}.",
            zh=f"{where}：划分 '{split}' 不是 {', '.join(SPLITS)} 之一。",
        )
    return str(split)


@cache
def documents(manifest: Path = MANIFEST) -> tuple[DevDocument, ...]:
    """The manifest's documents in its order (the bundled speech first)."""
    data = _read_manifest(manifest)
    out = []
    for entry in data.get("document", []):
        where = f"{manifest}: document '{entry.get('id')}'"
        out.append(
            DevDocument(
                str(entry["id"]), (manifest.parent / entry["path"]).resolve(), _split(entry, where)
            )
        )
    if not out:
        raise InputError(
            f"{manifest}: lists no [[document]]; the benchmark needs at least one.",
            zh=f"{manifest}：没有列出任何 [[document]]；基准测试至少需要一篇。",
        )
    return tuple(out)


def _gold(raw: Any, doc: str, where: str) -> frozenset[tuple[str, int]]:
    out = set()
    for item in raw or ():
        if isinstance(item, int):
            out.add((doc, item))
            continue
        doc_id, _, n = str(item).rpartition(":")
        if not doc_id or not n.isdigit():
            raise InputError(
                f"{where}: gold '{item}' is neither a paragraph number nor 'doc_id:n'.",
                zh=f"{where}：标准答案 '{item}' 既不是段落号，也不是 'doc_id:n'。",
            )
        out.add((doc_id, int(n)))
    return frozenset(out)


def load_question_file(path: Path, split: str) -> list[Question]:
    """Stand-alone questions of one set (follow-ups need a history, which a plain
    retriever has no notion of)."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("history"):
            continue
        # A set about one document names it; the original sets omit it (the bundled speech).
        doc = row.get("doc", BASE_DOC_ID)
        out.append(
            Question(
                id=f"{path.stem}/{row['id']}",
                question=row["question"],
                gold=_gold(row.get("gold_paragraphs"), doc or "", f"{path}:{number}"),
                split=split,
                doc=doc,
            )
        )
    return out


@cache
def questions(manifest: Path = MANIFEST) -> tuple[Question, ...]:
    """Every stand-alone question of the manifest's sets; a set listed but not
    written yet is left out (``missing_question_sets`` names it)."""
    data = _read_manifest(manifest)
    out: list[Question] = []
    for entry in data.get("questions", []):
        path = manifest.parent / entry["path"]
        if path.exists():
            out += load_question_file(path, _split(entry, f"{manifest}: questions {path.name}"))
    return tuple(out)


def missing_question_sets(manifest: Path = MANIFEST) -> list[str]:
    data = _read_manifest(manifest)
    return [
        str(entry["path"])
        for entry in data.get("questions", [])
        if not (manifest.parent / entry["path"]).exists()
    ]


def fitting(qs: tuple[Question, ...] | list[Question], present: set[str]) -> list[Question]:
    """The questions a corpus holding the originals ``present`` can be asked: those
    about one document it holds, and archive questions (asked with no document
    chosen, written for the whole archive) only when it holds every original."""
    whole = {d.doc_id for d in documents()} <= present
    return [q for q in qs if (whole if q.doc is None else q.docs <= present)]


def for_corpus(present: set[str], quick: bool = False) -> tuple[list[Question], list[Question]]:
    """(every question to answer, the answerable ones to score retrieval with) for a
    corpus holding the originals ``present``; ``quick`` keeps a few of each split."""
    asked = fitting(questions(), present)
    answerable = [q for q in asked if q.answerable]
    if quick:
        asked = [q for split in SPLITS for q in [q for q in asked if q.split == split][:8]]
        answerable = [
            q for split in SPLITS for q in [q for q in answerable if q.split == split][:6]
        ]
    return asked, answerable
