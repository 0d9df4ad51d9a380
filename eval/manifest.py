"""The corpus manifest (eval/corpus/manifest.toml): the documents of a development
corpus, the question sets over them, and the split each belongs to.

Format (paths relative to the manifest file)::

    [[document]]
    id = "gov-report-2024"          # the file-name slug, as ingest derives it
    path = "gov-report-2024.txt"
    split = "tuning"                # or "heldout"
    title = "…"                     # any other keys are descriptive and kept as they are

    [[questions]]
    path = "questions/gov-report-2024.jsonl"
    split = "tuning"

A question inherits the split of its set. A *tuning* set may not ask about a held-out
document (that would tune on it); a held-out set may ask about any document (the
packaged eval/heldout.jsonl asks new questions about the tuning speech). Every problem
is an :class:`InputError` naming the manifest and what to fix.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from speechqa.errors import InputError

from .questions import Question, load_questions

SPLITS = ("tuning", "heldout")
PACKAGED_MANIFEST = "corpus/manifest.toml"


@dataclass(frozen=True)
class CorpusDocument:
    id: str
    path: Path
    split: str
    title: str = ""
    info: dict[str, Any] = field(default_factory=dict, compare=False)  # the other keys


@dataclass(frozen=True)
class QuestionSet:
    path: Path
    split: str


@dataclass(frozen=True)
class Manifest:
    path: Path
    documents: tuple[CorpusDocument, ...]
    question_sets: tuple[QuestionSet, ...]

    def document(self, doc_id: str) -> CorpusDocument | None:
        return next((d for d in self.documents if d.id == doc_id), None)

    @property
    def splits(self) -> dict[str, str]:
        """Document id → split."""
        return {d.id: d.split for d in self.documents}


def packaged_manifest_path() -> Path:
    return Path(str(resources.files("eval") / PACKAGED_MANIFEST))


def load_manifest(path: Path) -> Manifest:
    """Read and check a manifest: its tables, splits, unique ids, files that exist, and
    ids that are the slugs ingest will give the files."""
    from ingest.parse import slugify

    name = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"manifest {name} does not exist; check --manifest.",
            zh=f"清单 {name} 不存在；请检查 --manifest。",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read manifest {name} ({exc}).", zh=f"无法读取清单 {name}（{exc}）。"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(
            f"{name}: not valid TOML ({exc}).", zh=f"{name}：不是有效的 TOML（{exc}）。"
        ) from None
    base = Path(path).resolve().parent
    documents: list[CorpusDocument] = []
    for i, row in enumerate(_tables(data, "document", name), start=1):
        where = f"{name}: [[document]] #{i}"
        doc_id = _text(row, "id", where)
        file = _file(base, _text(row, "path", where), where)
        split = _split(row, where)
        if slugify(file.name) != doc_id:
            raise InputError(
                f"{where}: id '{doc_id}' is not the id ingest gives {file.name} "
                f"('{slugify(file.name)}'); rename the file or fix the id.",
                zh=f"{where}：编号 '{doc_id}' 不是导入时给 {file.name} 的编号（'{slugify(file.name)}'）；请改文件名或编号。",
            )
        if any(d.id == doc_id for d in documents):
            raise InputError(
                f"{where}: document id '{doc_id}' is listed twice; list it once.",
                zh=f"{where}：文档编号 '{doc_id}' 列了两次；只列一次。",
            )
        info = {k: v for k, v in row.items() if k not in {"id", "path", "split", "title"}}
        title = row.get("title")
        documents.append(
            CorpusDocument(doc_id, file, split, title if isinstance(title, str) else "", info)
        )
    sets: list[QuestionSet] = []
    for i, row in enumerate(_tables(data, "questions", name), start=1):
        where = f"{name}: [[questions]] #{i}"
        file = _file(base, _text(row, "path", where), where)
        if any(s.path == file for s in sets):
            raise InputError(
                f"{where}: question file {file} is listed twice; list it once.",
                zh=f"{where}：问题文件 {file} 列了两次；只列一次。",
            )
        sets.append(QuestionSet(file, _split(row, where)))
    return Manifest(Path(path), tuple(documents), tuple(sets))


def load_manifest_questions(manifest: Manifest, default_doc: str) -> list[Question]:
    """Every question of every set, in manifest order, each with its set's split.

    Checked here, before any model is loaded: ids unique across the sets, every
    document a question asks about or names in its gold is in the manifest, and no
    tuning question touches a held-out document."""
    splits = manifest.splits
    first: dict[str, Question] = {}
    out: list[Question] = []
    for qset in manifest.question_sets:
        for q in load_questions(qset.path):
            q = dataclasses.replace(q, split=qset.split)
            if q.id in first:
                raise InputError(
                    f"{q.where()}: id '{q.id}' is also used at {first[q.id].where()}; ids must "
                    "be unique across the manifest's question sets.",
                    zh=f"{q.where()}：编号 '{q.id}' 在 {first[q.id].where()} 也用过；清单各问题集中的编号必须唯一。",
                )
            first[q.id] = q
            scope = q.scope(default_doc)
            named = [d for d, _ in q.gold_keys(scope)]
            for doc in ([scope] if scope else []) + named:
                if doc not in splits:
                    raise InputError(
                        f"{q.where()}: question '{q.id}' asks about document '{doc}', which "
                        f"{manifest.path} does not list; add it to the manifest or fix the id.",
                        zh=f"{q.where()}：问题 '{q.id}' 问的是文档 '{doc}'，但 {manifest.path} 没有列出它；请加入清单或改正编号。",
                    )
                if qset.split == "tuning" and splits[doc] == "heldout":
                    raise InputError(
                        f"{q.where()}: question '{q.id}' is in a tuning set but asks about "
                        f"the held-out document '{doc}'; move it to a held-out set.",
                        zh=f"{q.where()}：问题 '{q.id}' 在调参集中，却问的是留出文档 '{doc}'；请移到留出集。",
                    )
            out.append(q)
    return out


def _tables(data: dict[str, Any], key: str, name: str) -> Iterable[dict[str, Any]]:
    rows = data.get(key)
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise InputError(
            f"{name}: needs at least one [[{key}]] table (see eval/README.md, 'The corpus').",
            zh=f"{name}：至少需要一个 [[{key}]] 表（见 eval/README.md 的 'The corpus'）。",
        )
    return rows


def _text(row: dict[str, Any], key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(
            f"{where}: '{key}' must be a non-empty string, got {value!r}.",
            zh=f"{where}：'{key}' 必须是非空字符串，而不是 {value!r}。",
        )
    return value.strip()


def _split(row: dict[str, Any], where: str) -> str:
    split = row.get("split")
    if split not in SPLITS:
        raise InputError(
            f"{where}: split must be one of {', '.join(SPLITS)}, got {split!r}; every "
            "document and question set belongs to one.",
            zh=f"{where}：split 必须是 {', '.join(SPLITS)} 之一，而不是 {split!r}；每篇文档和每个问题集都属于一个划分。",
        )
    return str(split)


def _file(base: Path, relative: str, where: str) -> Path:
    file = (base / relative).resolve()
    if not file.is_file():
        raise InputError(
            f"{where}: {file} does not exist; fix 'path' (relative to the manifest).",
            zh=f"{where}：{file} 不存在；请改正 'path'（相对于清单）。",
        )
    return file
