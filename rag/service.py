"""The assistant: one code path for the CLI, the web chat and the evaluation.

question (+ history) → standalone question → hybrid retrieval → answerer
(extractive, or LLM with fallback) → citation verification → :class:`Answer`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ingest.store import DocRecord, Index
from speechqa.errors import ConfigError, EmptyIndexError, LLMError, UnknownDocumentError
from speechqa.factory import LLM_NOT_CONFIGURED
from speechqa.settings import AnswerMode, Settings
from speechqa.text import content_words

from .cite import verify
from .constants import LLM_FALLBACK_NOTICE, REFUSAL_NEAREST_INTRO, REFUSAL_PHRASE, cite
from .corpus import Corpus
from .extractive import Coverage, ExtractiveAnswerer
from .llm import RESTART, LLMAnswerer, build_context
from .quote import QuoteResult, concordance, find_quotes, terms_of
from .result import Answer, Nearest
from .retrieve import HybridSearch, Retrieval

# A follow-up that leans on the previous turn: short, or pointing back.
_ANAPHORA = re.compile(
    r"^(那|那么|其|它|他们|这些|这个|这一|那些|此|上述|另外|以及|并且|而且|同时)"
    r"|呢[？?]?$|又|还有|它|其中|上述|前者|后者"
)


@dataclass
class Event:
    """A streamed step: ``delta`` text, ``restart`` (discard what came), or the ``final`` answer."""

    kind: str
    text: str = ""
    answer: Answer | None = None


class Assistant:
    def __init__(self, settings: Settings, index: Index, chat_model: Any = None) -> None:
        self.settings = settings
        self.index = index
        self.chat_model = chat_model
        self._corpus: Corpus | None = None
        self._lock = threading.Lock()
        self.llm_state = "ready" if chat_model is not None else "not configured"

    # ---- corpus ----------------------------------------------------------
    @property
    def corpus(self) -> Corpus:
        with self._lock:
            if self._corpus is None:
                self._corpus = Corpus.from_index(self.index)
            return self._corpus

    def refresh(self) -> None:
        """Reload after documents were added or deleted."""
        with self._lock:
            self._corpus = None

    def documents(self) -> list[DocRecord]:
        return self.index.documents()

    def _doc_filter(self, doc: str | None) -> list[str] | None:
        corpus = self.corpus
        if not corpus.docs:
            raise EmptyIndexError("the index is empty; run 'speechqa ingest' first.")
        if doc is None:
            return None
        if doc not in corpus.docs:
            known = ", ".join(corpus.docs) or "none"
            raise UnknownDocumentError(
                f"document '{doc}' is not in the index (have: {known}); see 'speechqa docs'."
            )
        return [doc]

    # ---- parts -------------------------------------------------------------
    def search(self, question: str, doc: str | None = None, k: int | None = None) -> Retrieval:
        return HybridSearch(self.index, self.corpus, self.settings.retrieval).search(
            question, self._doc_filter(doc), k
        )

    def standalone(self, question: str, history: list[str] | None, mode: str) -> str:
        """Rewrite a follow-up so it stands alone (the LLM when it is used, else a rule)."""
        if not history:
            return question
        if mode == "llm" and self.chat_model is not None:
            try:
                return LLMAnswerer(self.chat_model, self.settings.llm).condense(question, history)
            except LLMError:
                pass  # the rule below still gives retrieval the topic
        q = question.strip()
        # Only a question that points back ("那…呢", "它…") or names almost nothing
        # ("集中学习呢？") leans on the last turn; a full question stands alone.
        if len(content_words(q)) <= 1 or _ANAPHORA.search(q):
            return f"{history[-1].strip()} {q}"
        return question

    def _refusal(self, answer: Answer, retrieval: Retrieval, doc_id: str | None) -> Answer:
        corpus = self.corpus
        nearest = []
        for hit in retrieval.hits:
            p = corpus.paragraph(hit.doc_id, hit.n)
            if p is not None and (doc_id is None or p.doc_id == doc_id):
                nearest.append(Nearest(p.doc_id, p.n, p.section, p.text))
            if len(nearest) == 2:
                break
        lines = [REFUSAL_PHRASE]
        if nearest:
            lines.append(REFUSAL_NEAREST_INTRO)
            lines += [f"{cite(n.paragraph)} {_clip(n.text)}" for n in nearest]
        answer.answer = "\n".join(lines)
        answer.refused = True
        answer.nearest = nearest
        answer.citations = []
        return answer

    # ---- answering ---------------------------------------------------------
    def stream(
        self,
        question: str,
        *,
        doc: str | None = None,
        mode: AnswerMode | None = None,
        history: list[str] | None = None,
        k: int | None = None,
    ) -> Iterator[Event]:
        """Answer ``question``; ``k`` overrides the number of paragraphs retrieved."""
        started = time.perf_counter()
        mode = mode or self.settings.answer.mode
        question = question.strip()
        if not question:
            raise ConfigError("the question is empty; type a question about the speech.")
        if mode == "llm" and self.chat_model is None:
            raise ConfigError(LLM_NOT_CONFIGURED)
        standalone = self.standalone(question, history, mode)
        t0 = time.perf_counter()
        retrieval = self.search(standalone, doc, k)
        t1 = time.perf_counter()
        doc_id = (
            retrieval.hits[0].doc_id if retrieval.hits else (doc or next(iter(self.corpus.docs)))
        )
        answer = Answer(
            question=question,
            answer="",
            doc_id=doc_id,
            title=self.corpus.docs[doc_id].title if doc_id in self.corpus.docs else None,
            retrieved=[h.to_dict() for h in retrieval.hits],
            mode=mode,
            standalone_question=standalone if standalone != question else None,
        )
        extractive = ExtractiveAnswerer(self.corpus, self.index, self.settings.answer)
        answer.answerability = extractive.answerability(standalone, retrieval, doc_id)
        text, allowed = "", set()
        if mode == "llm":
            llm = LLMAnswerer(self.chat_model, self.settings.llm)
            context = build_context(
                self.corpus.docs[doc_id], retrieval, self.settings.llm.context_chars
            )
            try:
                for delta in llm.stream(standalone, context):
                    if delta == RESTART:
                        text = ""
                        yield Event("restart")
                        continue
                    text += delta
                    yield Event("delta", delta)
                allowed = context.allowed
                self.llm_state = "ready"
            except LLMError as err:
                self.llm_state = "failing"
                answer.notice = LLM_FALLBACK_NOTICE.format(reason=str(err))
                answer.mode = "extractive"
                text = ""
                yield Event("restart")
        if not text:
            if answer.answerability < self.settings.answer.refusal_threshold:
                text = REFUSAL_PHRASE
            else:
                text, allowed = extractive.answer(standalone, retrieval, doc_id)
            for line in text.splitlines(keepends=True):
                yield Event("delta", line)
        t2 = time.perf_counter()
        if REFUSAL_PHRASE in text or not text:
            answer = self._refusal(answer, retrieval, doc_id)
        else:
            checked = verify(text, self.corpus.docs[doc_id], allowed)
            answer.answer = checked.text
            answer.citations = checked.citations
            answer.invalid_citations = checked.invalid
            answer.sentences = checked.sentences
            answer.uncited_sentences = checked.uncited
        if answer.notice:
            answer.answer = f"{answer.notice}\n{answer.answer}"
        t3 = time.perf_counter()
        answer.timings_ms = {
            "condense": (t0 - started) * 1000,
            "retrieval": (t1 - t0) * 1000,
            "answer": (t2 - t1) * 1000,
            "verify": (t3 - t2) * 1000,
            "total": (t3 - started) * 1000,
        }
        yield Event("final", answer=answer)

    def quote(self, topic: str, *, doc: str | None = None, limit: int = 5) -> QuoteResult:
        """Verbatim passages on ``topic`` and a concordance of its terms."""
        topic = topic.strip()
        if not topic:
            raise ConfigError("the topic is empty; give a word or phrase to quote.")
        retrieval = HybridSearch(self.index, self.corpus, self.settings.retrieval).search(
            topic, self._doc_filter(doc), max(limit, self.settings.retrieval.top_k)
        )
        doc_id = doc or (
            retrieval.hits[0].doc_id if retrieval.hits else next(iter(self.corpus.docs))
        )
        document = self.corpus.docs[doc_id]
        coverage = Coverage(topic, self.corpus)
        quotes = find_quotes(topic, document, retrieval, coverage, limit) if coverage.words else []
        concord = [c for c in (concordance(document, t) for t in terms_of(topic)) if c.count]
        return QuoteResult(topic, doc_id, quotes, concord, document.title)

    def ask(self, question: str, **kwargs: Any) -> Answer:
        final = None
        for event in self.stream(question, **kwargs):
            if event.kind == "final":
                final = event.answer
        assert final is not None
        return final


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "……"
