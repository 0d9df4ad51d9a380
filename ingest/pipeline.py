"""Ingest: load → parse → embed → store, for a batch of files.

Every file is loaded and parsed before anything is written, so one bad file in
a batch leaves the index exactly as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from speechqa.errors import DocumentError

from .load import LoadedDocument, check_size, load_bytes, load_path
from .parse import ParsedDocument, parse, slugify
from .store import Incoming, Index

DEFAULT_SPEECH = "speech-2023-party-discipline.txt"
WRITE_BATCH_CHUNKS = 5000


def default_speech_path() -> Path:
    return Path(str(resources.files("speechqa") / "data" / DEFAULT_SPEECH))


@dataclass
class IngestSummary:
    documents: int = 0
    paragraphs: int = 0
    embedded: int = 0
    skipped: int = 0
    seconds: float = 0.0
    doc_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "documents": self.documents,
            "paragraphs": self.paragraphs,
            "embedded": self.embedded,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
        }


def prepare(loaded: LoadedDocument, doc_id: str | None = None) -> ParsedDocument:
    parsed = parse(loaded.text, loaded.format, doc_id or slugify(loaded.source), loaded.title)
    if not parsed.paragraphs:
        raise DocumentError(
            f"{loaded.source}: every line is blank; give a speech with text in it.",
            zh=f"{loaded.source}：每一行都是空白；请上传有正文的讲话稿。",
        )
    return parsed


def ingest_loaded(
    index: Index,
    docs: Sequence[LoadedDocument],
    progress: Callable[[int, int], None] | None = None,
) -> IngestSummary:
    """Write already-loaded documents; ``progress(done, total)`` counts chunks."""
    started = time.perf_counter()
    parsed = [prepare(d) for d in docs]
    ids = [p.doc_id for p in parsed]
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup:
        names = [d.source for d, p in zip(docs, parsed, strict=True) if p.doc_id == dup]
        raise DocumentError(
            f"{names[1]}: has the same document id '{dup}' as {names[0]}; rename one file.",
            zh=f"{names[1]}：与 {names[0]} 的文档编号同为 '{dup}'；请给其中一个文件改名。",
        )
    total = sum(len(p.chunks()) for p in parsed)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(min(done, total), total)

    summary = IngestSummary(doc_ids=tuple(ids), documents=len(parsed))
    summary.paragraphs = sum(len(p.paragraphs) for p in parsed)
    incoming = [Incoming(p, d.source, d.encoding) for d, p in zip(docs, parsed, strict=True)]
    for group in _groups(incoming):
        stats = index.write(group, tick)
        summary.embedded += stats.embedded
        summary.skipped += stats.skipped
    summary.seconds = time.perf_counter() - started
    return summary


def _groups(incoming: list[Incoming]) -> list[list[Incoming]]:
    """Whole documents in groups of about WRITE_BATCH_CHUNKS chunks: few Chroma
    calls, and the vectors of one group at a time in memory."""
    groups: list[list[Incoming]] = [[]]
    size = 0
    for item in incoming:
        n = len(item.doc.chunks())
        if groups[-1] and size + n > WRITE_BATCH_CHUNKS:
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += n
    return groups


def ingest_paths(
    index: Index,
    paths: Sequence[Path],
    max_bytes: int,
    progress: Callable[[int, int], None] | None = None,
) -> IngestSummary:
    """Ingest files from disk (the bundled speech when ``paths`` is empty)."""
    paths = list(paths) or [default_speech_path()]
    loaded = [load_path(Path(p), max_bytes) for p in paths]
    return ingest_loaded(index, loaded, progress)


def ingest_upload(index: Index, data: bytes, name: str, max_bytes: int) -> IngestSummary:
    """Ingest one uploaded file's bytes (the size check is the one of files on disk)."""
    check_size(name, len(data), max_bytes)
    return ingest_loaded(index, [load_bytes(data, name)])
