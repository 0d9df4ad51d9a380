"""Checks of a manifest's question sets against its documents as the ingest pipeline
parses them (``speechqa eval --manifest --check``, and a test of the packaged corpus):
no index and no model are needed.

For every answerable question: each gold paragraph exists (¶n within the document's
paragraphs, where a .docx table row is a paragraph of its own, as ingest numbers them),
and each answer key occurs in one of its gold paragraphs after the folding the scoring
uses (NFKC, width, quote style, whitespace: :func:`speechqa.text.fold`). The manifest
itself and the files' format are checked by :func:`eval.manifest.load_manifest_questions`
first (ids unique across the sets, documents in the manifest, no tuning question on a
held-out document).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from speechqa.errors import SpeechQAError

from . import metrics as m
from .manifest import Manifest, load_manifest_questions

if TYPE_CHECKING:
    from ingest.parse import ParsedDocument


def parsed_documents(manifest: Manifest, max_bytes: int) -> dict[str, ParsedDocument]:
    """The manifest's documents through the ingest pipeline's load and parse steps."""
    from ingest.load import load_path
    from ingest.pipeline import prepare

    return {d.id: prepare(load_path(d.path, max_bytes)) for d in manifest.documents}


def corpus_problems(manifest: Manifest, default_doc: str, max_bytes: int) -> list[str]:
    """Every problem of the manifest's question sets, one line each; [] when clean.
    A problem of the manifest or of a file's format raises InputError (the first one)."""
    questions = load_manifest_questions(manifest, default_doc)
    try:
        docs = parsed_documents(manifest, max_bytes)
    except SpeechQAError as exc:
        return [str(exc)]
    problems = []
    for q in questions:
        texts = []
        for doc_id, n in q.gold_keys(q.scope(default_doc)):
            paragraph = docs[doc_id].paragraph(n)
            if paragraph is None:
                problems.append(
                    f"{q.where()}: question '{q.id}' gives gold ¶{n}, but '{doc_id}' has "
                    f"paragraphs 1–{len(docs[doc_id].paragraphs)} as ingest parses it."
                )
                continue
            texts.append(paragraph.text)
        for key in q.answer_keys:
            if texts and not any(m.keys_found(text, [key])[0] for text in texts):
                problems.append(
                    f"{q.where()}: question '{q.id}': key “{key}” is in none of its gold "
                    "paragraphs; copy it verbatim from one of them."
                )
        if q.answerable and not q.answer_keys:
            problems.append(
                f"{q.where()}: question '{q.id}' is answerable but has no answer_keys; give "
                "the key points a complete answer must contain."
            )
    return problems
