"""The feature table: every TUNING question of the development corpus, through the
retrieval and the signals of :mod:`rag.answerability`, one row per question and corpus
setting.

Only documents and question sets with ``split = "tuning"`` in eval/corpus/manifest.toml
are read; held-out ones are never opened. Each question is seen in two settings, because
the assistant meets both: its document alone in the index (``single``, as with the
bundled speech) and all tuning documents together (``corpus``). Questions asked with no
document chosen (the archive sets, ``"doc": null``) exist only in the second.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from speechqa.errors import InputError

if TYPE_CHECKING:
    from ingest.embed import SpeechEmbeddings
    from ingest.store import Index
    from rag.corpus import Corpus
    from speechqa.settings import Settings

TUNING = "tuning"
ARCHIVE_GROUP = "archive"  # the group of archive questions that no document answers
META_COLUMNS = ("id", "source", "setting", "group", "doc", "kind", "answerable", "pinned")


@dataclass(frozen=True)
class Manifest:
    path: Path
    documents: dict[str, Path]  # tuning document id -> file
    question_files: list[Path]  # tuning question sets


@dataclass(frozen=True)
class TrainingQuestion:
    id: str
    source: str  # question file name
    question: str
    history: tuple[str, ...]
    doc: str | None  # None: asked with no document chosen
    kind: str
    answerable: bool
    group: str  # the document that answers it (or its own), for cross-validation


def default_manifest() -> Path:
    from eval.manifest import packaged_manifest_path

    return packaged_manifest_path()


def read_manifest(path: Path) -> Manifest:
    """The tuning documents and question sets of a manifest, read and checked by
    :func:`eval.manifest.load_manifest` (held-out files are never opened here)."""
    from eval.manifest import load_manifest

    manifest = load_manifest(Path(path))
    docs = {d.id: d.path for d in manifest.documents if d.split == TUNING}
    files = [q.path for q in manifest.question_sets if q.split == TUNING]
    if not docs or not files:
        raise InputError(
            f"{path}: no tuning documents or question sets; nothing to train on.",
            zh=f"{path}：没有调参文档或问题集，无从训练；请检查清单中的 split。",
        )
    return Manifest(Path(path), docs, files)


def read_questions(path: Path, default_doc: str, known: set[str]) -> list[TrainingQuestion]:
    """A question file, leniently: a missing ``doc`` is the default document, an
    explicit null asks with no document chosen; gold may be ``n`` or ``"doc:n"``."""
    out = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            gold = [_gold_doc(g) for g in obj["gold_paragraphs"]]
            doc = obj.get("doc", default_doc)  # present and null: no document chosen
            text, kind, qid = str(obj["question"]), str(obj["kind"]), str(obj["id"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{path}:{number}: not a question line ({exc}); fix that line.",
                zh=f"{path}:{number}：不是问题行（{exc}）；请修正该行。",
            ) from None
        if doc is not None and doc not in known:
            raise InputError(
                f"{path}:{number}: document '{doc}' is not a tuning document; "
                "a tuning set may only ask about tuning documents.",
                zh=f"{path}:{number}：文档“{doc}”不是调参文档；调参问题集只能问调参文档。",
            )
        gold_docs = [g or doc for g in gold]
        group = doc or (gold_docs[0] if gold_docs and gold_docs[0] else ARCHIVE_GROUP)
        out.append(
            TrainingQuestion(
                id=qid,
                source=Path(path).name,
                question=text,
                history=tuple(str(h) for h in obj.get("history") or ()),
                doc=doc,
                kind=kind,
                answerable=bool(gold),
                group=str(group),
            )
        )
    return out


def _gold_doc(value: Any) -> str | None:
    """The document of a gold entry ("doc:n"), None for a bare paragraph number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return None
    doc, sep, n = str(value).rpartition(":")
    if not sep or not n.isdigit():
        raise ValueError(f"gold entry {value!r} is neither n nor 'doc:n'")
    return doc


def ensure_index(settings: Settings, manifest: Manifest) -> Index:
    """The work store with exactly the tuning documents (unchanged ones are not re-embedded)."""
    from ingest.pipeline import ingest_paths
    from speechqa.factory import open_index

    index = open_index(settings)
    ingest_paths(index, list(manifest.documents.values()), int(settings.max_file_mb * 1e6))
    stale = {r.doc_id for r in index.documents()} - set(manifest.documents)
    for doc_id in sorted(stale):
        index.delete(doc_id)
    return index


def rows(
    settings: Settings,
    index: Index,
    questions: Sequence[TrainingQuestion],
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[dict[str, object]]:
    """One row per question and setting: the meta columns, then every feature."""
    from rag.answerability import FEATURES
    from rag.corpus import Corpus

    docs, tokens = index.load_with_tokens()
    # Both settings embed the same questions: each once.
    index.embeddings = cast("SpeechEmbeddings", _OnceEach(index.embeddings))
    whole = Corpus.build(docs, tokens)
    singles = {d.doc_id: Corpus.build([d], tokens) for d in docs}
    for i, q in enumerate(questions, 1):
        settings_corpora: list[tuple[str, Corpus]] = [("corpus", whole)]
        if q.doc is not None:
            settings_corpora.insert(0, ("single", singles[q.doc]))
        for setting, corpus in settings_corpora:
            doc_id, signals = signals_of(settings, index, corpus, q)
            yield {
                "id": q.id,
                "source": q.source,
                "setting": setting,
                "group": q.group,
                "doc": doc_id,
                "kind": q.kind,
                "answerable": int(q.answerable),
                "pinned": int(signals.pinned),
                **{name: round(signals.values[name], 6) for name in FEATURES},
            }
        if progress:
            progress(i, len(questions))


class _OnceEach:
    """An embedder that embeds each query text once."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._seen: dict[str, list[float]] = {}

    def embed_query(self, text: str) -> list[float]:
        if text not in self._seen:
            self._seen[text] = self._inner.embed_query(text)
        return self._seen[text]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def signals_of(settings: Settings, index: Index, corpus: Corpus, q: TrainingQuestion) -> Any:
    """The document answering would use and the signals, exactly as Assistant.stream
    computes them (extractive mode)."""
    from rag import followup
    from rag.answerability import features
    from rag.retrieve import HybridSearch

    standalone = followup.standalone(q.question, list(q.history) or None, corpus)
    search = HybridSearch(index, corpus, settings.retrieval)
    retrieval = search.search(standalone, [q.doc] if q.doc else None)
    doc_id = retrieval.hits[0].doc_id if retrieval.hits else (q.doc or next(iter(corpus.docs)))
    return doc_id, features(standalone, retrieval, corpus, doc_id)


def write_table(path: Path, table: Sequence[dict[str, object]]) -> None:
    from rag.answerability import FEATURES

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[*META_COLUMNS, *FEATURES], lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)


def read_table(path: Path) -> list[dict[str, str]]:
    try:
        with Path(path).open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    except FileNotFoundError:
        raise InputError(
            f"feature table {path} does not exist; run without --from-table.",
            zh=f"特征表 {path} 不存在；请去掉 --from-table 重新运行。",
        ) from None
