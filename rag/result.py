"""The answer object: a contract read by the CLI's --json, the web API, the
evaluation suite and users' scripts."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Citation:
    doc_id: str
    paragraph: int
    quote: str | None  # the 「quoted」 text as the answer wrote it, None for a bare [¶n]
    start: int | None  # char offsets of the quote (or of the paragraph) in the document text
    end: int | None
    verified: bool  # paragraph exists and was in context, and the quote is verbatim in it
    found_in: int | None = None  # where an unverified quote does occur, if anywhere
    # The value the question asked for (a count, a date, a name…) inside the quote:
    # document offsets, for highlighting.
    value_start: int | None = None
    value_end: int | None = None

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {
            "doc_id": self.doc_id,
            "paragraph": self.paragraph,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "verified": self.verified,
            "value_start": self.value_start,
            "value_end": self.value_end,
        }
        if self.found_in is not None:
            d["found_in"] = self.found_in
        return d


@dataclass
class Nearest:
    doc_id: str
    paragraph: int
    section: str
    text: str

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class Answer:
    question: str
    answer: str
    doc_id: str | None
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[dict[str, object]] = field(default_factory=list)
    refused: bool = False
    mode: str = "extractive"
    timings_ms: dict[str, float] = field(default_factory=dict)
    nearest: list[Nearest] = field(default_factory=list)  # shown with a refusal
    invalid_citations: list[int] = field(default_factory=list)  # ¶ cited but not allowed
    uncited_sentences: int = 0
    sentences: int = 0
    notice: str | None = None  # e.g. the LLM failed and the extractive answer stands in
    standalone_question: str | None = None  # a follow-up rewritten with its history
    title: str | None = None  # the answering document's title (what users are shown)
    # Probability that the document answers the question (rag.answerability), and what
    # was done with it: "answered", "partial" (closest passages, labelled) or "refused".
    confidence: float | None = None
    outcome: str = "answered"

    def to_dict(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answer": self.answer,
            "doc_id": self.doc_id,
            "title": self.title,
            "citations": [c.to_dict() for c in self.citations],
            "retrieved": self.retrieved,
            "refused": self.refused,
            "mode": self.mode,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "nearest": [n.to_dict() for n in self.nearest],
            "invalid_citations": self.invalid_citations,
            "uncited_sentences": self.uncited_sentences,
            "sentences": self.sentences,
            "notice": self.notice,
            "standalone_question": self.standalone_question,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "outcome": self.outcome,
            # The former name of "confidence", kept for scripts that read it.
            "answerability": None if self.confidence is None else round(self.confidence, 4),
        }
