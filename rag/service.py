"""The assistant: one code path for the CLI, the web chat and the evaluation.

question (+ history) → standalone question → hybrid retrieval → answerer
(extractive, or LLM with fallback) → citation verification → :class:`Answer`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.store import DocRecord, Index
from speechqa.errors import (
    ConfigError,
    EmptyIndexError,
    InputError,
    LLMError,
    LLMNotConfiguredError,
    LLMUncheckedError,
    UnknownDocumentError,
)
from speechqa.settings import AnswerMode, Settings

from . import corpus_cache, followup
from .answerability import features, load_model
from .cite import normalize_citations, verify
from .constants import (
    LLM_FALLBACK_NOTICE,
    LLM_UNCHECKED_NOTICE,
    PARTIAL_INTRO,
    REFUSAL_NEAREST_INTRO,
    REFUSAL_PHRASE,
    cite,
)
from .corpus import Corpus
from .extractive import Coverage, ExtractiveAnswerer
from .llm import RESTART, LLMAnswerer, build_context, is_refusal
from .quote import QuoteResult, concordance, find_quotes, quote_terms, terms_of
from .result import Answer, Nearest
from .retrieve import HybridSearch, Retrieval


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
        self._generation: str | None = None
        self._checked = 0.0
        self.llm_state = "ready" if chat_model is not None else "not configured"

    # ---- corpus ----------------------------------------------------------
    @property
    def corpus(self) -> Corpus:
        with self._lock:
            if self._corpus is None:
                # Stamp first: a write that lands during the load bumps it again.
                self._generation = self._read_generation()
                self._corpus = corpus_cache.open_corpus(
                    self.index, self._cache_folder(), generation=self._generation
                )
            return self._corpus

    def _cache_folder(self) -> Path | None:
        """Where the corpus is saved between processes (None: not saved)."""
        if not self.settings.corpus_cache or self._generation is None:
            return None
        return corpus_cache.folder_for(self.settings)

    def _read_generation(self) -> str | None:
        reader = getattr(self.index, "generation", None)
        return reader() if callable(reader) else None

    def sync(self, min_interval_s: float = 0.25) -> None:
        """Notice documents written or deleted by another process (the CLI while the
        web chat runs): one read of the store's generation stamp, at most every
        ``min_interval_s``; the corpus is reloaded on its next use when it changed."""
        now = time.monotonic()
        if self._corpus is None or now - self._checked < min_interval_s:
            return
        self._checked = now
        generation = self._read_generation()
        with self._lock:
            if self._corpus is not None and generation != self._generation:
                self._corpus = None

    def refresh(self) -> None:
        """Reload after documents were added or deleted."""
        with self._lock:
            self._corpus = None

    def documents(self) -> list[DocRecord]:
        self.sync()
        return self.index.documents()

    def _doc_filter(self, doc: str | None) -> list[str] | None:
        corpus = self.corpus
        if not corpus.docs:
            raise EmptyIndexError(
                "the index is empty; run 'speechqa ingest' first.",
                zh="索引是空的；请先运行 'speechqa ingest' 导入讲话稿。",
            )
        if doc is None:
            return None
        if doc not in corpus.docs:
            raise UnknownDocumentError.of(doc, corpus.docs)
        return [doc]

    # ---- parts -------------------------------------------------------------
    def search(self, question: str, doc: str | None = None, k: int | None = None) -> Retrieval:
        return HybridSearch(self.index, self.corpus, self.settings.retrieval).search(
            self._clip_query(question), self._doc_filter(doc), k
        )

    def check_question(self, question: str, what: str = "question") -> str:
        """``question`` stripped, or an InputError when it is empty or over the cap."""
        question = question.strip()
        if not question:
            if what == "topic":
                raise ConfigError(
                    "the topic is empty; give a word or phrase to quote.",
                    zh="主题词是空的；请给出要摘引的词语。",
                )
            raise ConfigError(
                "the question is empty; type a question about the speech.",
                zh="问题是空的；请输入关于讲话的问题。",
            )
        cap = self.settings.answer.max_question_chars
        if len(question) > cap:
            noun, zh = ("topic", "主题词") if what == "topic" else ("question", "问题")
            raise InputError(
                f"the {noun} has {len(question)} characters, over the {cap}-character limit; "
                f"shorten it (or raise SPEECHQA_ANSWER_MAX_QUESTION_CHARS).",
                zh=f"{zh}有 {len(question)} 个字，超过了 {cap} 字的上限；请精简后再提问。",
            )
        return question

    def _clip_query(self, text: str) -> str:
        """What retrieval embeds is never longer than a question may be: a rewritten
        follow-up keeps its end (the new question), whatever the history added."""
        cap = self.settings.answer.max_question_chars
        return text if len(text) <= cap else text[-cap:]

    def standalone(
        self,
        question: str,
        history: list[str] | None,
        mode: str,
        llm: LLMAnswerer | None = None,
    ) -> str:
        """Rewrite a follow-up so it stands alone (the LLM when it is used, else a rule)."""
        if not history:
            return question
        if mode == "llm" and self.chat_model is not None:
            try:
                llm = llm or LLMAnswerer(self.chat_model, self.settings.llm)
                return self._clip_query(llm.condense(question, history))
            except LLMError:
                pass  # the rule below still gives retrieval the topic
        return self._clip_query(followup.standalone(question, history, self.corpus))

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
        answer.outcome = "refused"
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
        question = self.check_question(question)
        self.sync()
        if mode == "llm" and self.chat_model is None:
            raise LLMNotConfiguredError()
        # One deadline for everything the LLM does for this answer (condense and answer).
        llm = LLMAnswerer(self.chat_model, self.settings.llm) if mode == "llm" else None
        standalone = self.standalone(question, history, mode, llm)
        t0 = time.perf_counter()
        retrieval = self.search(standalone, doc, k)
        t1 = time.perf_counter()
        if llm is not None:
            llm.deadline += t1 - t0  # the deadline counts LLM time, not retrieval (or loading)
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
        extractive = ExtractiveAnswerer(
            self.corpus, self.index, self.settings.answer, self.settings.scoring
        )
        cfg = self.settings.answer
        answer.confidence = load_model(cfg.model_file).confidence(
            features(standalone, retrieval, self.corpus, doc_id)
        )
        text, allowed = "", set()
        if llm is not None:
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
                text = normalize_citations(text)
                allowed = context.allowed
                self.llm_state = "ready"
                if is_refusal(text, allowed):
                    text = REFUSAL_PHRASE
            except LLMUncheckedError as err:
                # The service answered: it is not failing, its answer is unusable.
                self.llm_state = "ready"
                answer.notice = LLM_UNCHECKED_NOTICE.format(reason=err.chinese)
                answer.mode = "extractive"
                text = ""
                yield Event("restart")
            except LLMError as err:
                self.llm_state = "failing"
                answer.notice = LLM_FALLBACK_NOTICE.format(reason=err.chinese)
                answer.mode = "extractive"
                text = ""
                yield Event("restart")
        if not text:
            # The extractive answerer (or the fallback) follows the calibrated decision;
            # the LLM keeps its own "not in the speech" judgement.
            outcome = load_model(cfg.model_file).outcome(
                answer.confidence, cfg.answer_above, cfg.refuse_below
            )
            if outcome == "refused":
                text = REFUSAL_PHRASE
            else:
                text, allowed = extractive.answer(standalone, retrieval, doc_id)
                answer.outcome = outcome
                if outcome == "partial" and text:
                    yield Event("delta", PARTIAL_INTRO + "\n")
            for line in text.splitlines(keepends=True):
                yield Event("delta", line)
        t2 = time.perf_counter()
        if REFUSAL_PHRASE in text or not text:
            answer = self._refusal(answer, retrieval, doc_id)
        else:
            checked = verify(
                text,
                self.corpus.docs[doc_id],
                allowed,
                # A partial answer's passages do not answer: no value is marked as the answer.
                [] if answer.outcome == "partial" else extractive.values,
                mark_uncited=answer.mode == "llm",
            )
            answer.answer = checked.text
            answer.citations = checked.citations
            answer.invalid_citations = checked.invalid
            answer.sentences = checked.sentences
            answer.uncited_sentences = checked.uncited
            if answer.outcome == "partial":
                answer.answer = f"{PARTIAL_INTRO}\n{answer.answer}"
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
        topic = self.check_question(topic, "topic")
        self.sync()
        retrieval = HybridSearch(self.index, self.corpus, self.settings.retrieval).search(
            topic, self._doc_filter(doc), max(limit, self.settings.retrieval.top_k)
        )
        doc_id = doc or (
            retrieval.hits[0].doc_id if retrieval.hits else next(iter(self.corpus.docs))
        )
        document = self.corpus.docs[doc_id]
        coverage = Coverage(topic, self.corpus)
        scoring = self.settings.scoring
        scale = scoring.scale_for(self.index.embeddings.model_name)
        quotes, related = find_quotes(topic, document, retrieval, coverage, limit, scoring, scale)
        concord = [c for c in (concordance(document, t) for t in terms_of(topic)) if c.count]
        return QuoteResult(
            topic,
            doc_id,
            quotes,
            concord,
            related=related,
            term="、".join(quote_terms(topic, document)),
            title=document.title,
        )

    def ask(self, question: str, **kwargs: Any) -> Answer:
        final = None
        for event in self.stream(question, **kwargs):
            if event.kind == "final":
                final = event.answer
        assert final is not None
        return final


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "……"
