"""One exchange of a conversation, as the web chat keeps it per browser session.

A turn holds the JSON forms of the answering objects (``Answer.to_dict()``,
``QuoteResult.to_dict()``): the same contract scripts read, so the page, the
exports and the feedback log all describe an answer the same way.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

TurnKind = Literal["answer", "quote"]

MODE_LABELS = {"extractive": "抽取式", "llm": "大模型", "quote": "摘引"}


@dataclass
class Turn:
    kind: TurnKind
    question: str
    doc_id: str | None
    mode: str  # "extractive" | "llm" for answers (as answered), "quote" for quotes
    answer: dict[str, Any] | None = None  # Answer.to_dict()
    quote: dict[str, Any] | None = None  # QuoteResult.to_dict()
    quote_markdown: str = ""  # QuoteResult.to_markdown()
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    time: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    @property
    def refused(self) -> bool:
        return bool(self.answer and self.answer.get("refused"))

    @property
    def partial(self) -> bool:
        """The speech touches the question without answering it: the closest passages."""
        return bool(self.answer and self.answer.get("outcome") == "partial")

    @property
    def text(self) -> str:
        """The answer as written (quote turns: their Markdown)."""
        if self.answer is not None:
            return str(self.answer.get("answer", ""))
        return self.quote_markdown

    @property
    def citations(self) -> list[dict[str, Any]]:
        return list(self.answer.get("citations", [])) if self.answer else []

    @property
    def nearest(self) -> list[dict[str, Any]]:
        return list(self.answer.get("nearest", [])) if self.answer else []

    @property
    def quotes(self) -> list[dict[str, Any]]:
        return list(self.quote.get("quotes", [])) if self.quote else []

    def cited_paragraphs(self) -> list[int]:
        """Paragraphs the turn points at, in first-cited order: citations of an answer,
        passages of a quote result; none for a refusal (see :meth:`near_paragraphs`)."""
        ns = [int(c["paragraph"]) for c in self.citations] + [
            int(q["paragraph"]) for q in self.quotes
        ]
        return list(dict.fromkeys(ns))

    def near_paragraphs(self) -> list[int]:
        return list(dict.fromkeys(int(n["paragraph"]) for n in self.nearest))


def find_turn(turns: list[Turn], turn_id: str | None) -> Turn | None:
    """The turn with ``turn_id``, else the latest one (None for an empty conversation)."""
    for turn in reversed(turns):
        if turn.id == turn_id:
            return turn
    return turns[-1] if turns else None
