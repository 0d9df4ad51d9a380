"""The LLM answerer: any OpenAI-compatible chat endpoint behind LangChain's
``BaseChatModel``, streaming, with bounded retries and typed failures.

Failures are classified without importing the vendor SDK: by HTTP status and by
the exception's kind. The API key never appears in a message.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from ingest.parse import ParsedDocument
from speechqa.errors import LLMError
from speechqa.settings import LLMSettings

from .constants import (
    CITATION_RE,
    CONDENSE_PROMPT,
    CONTEXT_HEADER,
    CONTEXT_PARAGRAPH,
    QUESTION_TEMPLATE,
    REFUSAL_PHRASE,
    SYSTEM_PROMPT,
)
from .retrieve import Retrieval


@dataclass
class Context:
    text: str
    allowed: set[int]


def build_context(doc: ParsedDocument, retrieval: Retrieval, budget_chars: int) -> Context:
    """The whole document when it fits the budget, else the retrieved paragraphs;
    retrieval's ranking is given either way."""
    hits = [h.n for h in retrieval.hits if h.doc_id == doc.doc_id]
    whole = sum(len(p.text) + len(p.section) + 12 for p in doc.paragraphs)
    if whole <= budget_chars:
        chosen = list(doc.paragraphs)
    else:
        keep: set[int] = set()
        used = 0
        for n in hits:
            p = doc.paragraph(n)
            if p is None or used + len(p.text) > budget_chars:
                continue
            keep.add(n)
            used += len(p.text) + len(p.section) + 12
        chosen = [p for p in doc.paragraphs if p.n in keep]
    lines = [CONTEXT_HEADER.format(title=doc.title)]
    lines += [
        CONTEXT_PARAGRAPH.format(n=p.n, section=p.section or "开头", text=p.text) for p in chosen
    ]
    if hits:
        lines.append(
            "\n检索认为与问题最相关的段落（按相关度）：" + "、".join(f"¶{n}" for n in hits)
        )
    return Context("\n".join(lines), {p.n for p in chosen})


def classify(exc: BaseException) -> LLMError:
    """A typed, key-free error from whatever the client raised."""
    if isinstance(exc, LLMError):
        return exc
    status = getattr(exc, "status_code", None) or getattr(
        getattr(exc, "response", None), "status_code", None
    )
    kind = type(exc).__name__
    if status in (401, 403):
        return LLMError(
            f"the LLM endpoint rejected the API key (HTTP {status}); check SPEECHQA_LLM_API_KEY."
        )
    if status == 404:
        return LLMError(
            "the LLM endpoint does not know the model (HTTP 404); check SPEECHQA_LLM_MODEL."
        )
    if status == 429:
        return LLMError(
            "the LLM endpoint is rate limiting (HTTP 429); try again later.", retryable=True
        )
    if isinstance(status, int) and status >= 500:
        return LLMError(f"the LLM endpoint failed (HTTP {status}).", retryable=True)
    if "Timeout" in kind or isinstance(exc, TimeoutError):
        return LLMError(
            "the LLM endpoint timed out; check SPEECHQA_LLM_BASE_URL or raise SPEECHQA_LLM_TIMEOUT_S.",
            retryable=True,
        )
    if "Connection" in kind or isinstance(exc, ConnectionError):
        return LLMError(
            "cannot connect to the LLM endpoint; check SPEECHQA_LLM_BASE_URL and that the server runs.",
            retryable=True,
        )
    if isinstance(status, int):
        return LLMError(f"the LLM endpoint answered HTTP {status}.")
    return LLMError(
        f"the LLM endpoint sent a response that could not be read ({kind}).", retryable=True
    )


class LLMAnswerer:
    def __init__(self, model: BaseChatModel, cfg: LLMSettings) -> None:
        self.model = model
        self.cfg = cfg

    def _stream_once(self, messages: list[BaseMessage]) -> Iterator[str]:
        finish = None
        got = False
        for chunk in self.model.stream(messages):
            meta = getattr(chunk, "response_metadata", {}) or {}
            finish = meta.get("finish_reason") or finish
            text = chunk.content if isinstance(chunk.content, str) else ""
            if text:
                got = True
                yield text
        if not got:
            raise LLMError("the LLM endpoint returned an empty answer.", retryable=True)
        if finish not in ("stop", "end_turn"):
            raise LLMError(f"the LLM answer was cut off (finish_reason={finish}).", retryable=True)

    def stream(self, question: str, context: Context) -> Iterator[str]:
        """Yield the answer's text deltas; the last attempt's text is the answer.

        A retry restarts the answer: the caller is told by an empty string delta
        with ``restart`` semantics (see :meth:`attempts`).
        """
        messages: list[BaseMessage] = [
            SystemMessage(SYSTEM_PROMPT),
            HumanMessage(context.text + "\n\n" + QUESTION_TEMPLATE.format(question=question)),
        ]
        delay = self.cfg.backoff_s
        for attempt in range(self.cfg.max_retries + 1):
            text = ""
            try:
                for delta in self._stream_once(messages):
                    text += delta
                    yield delta
                if REFUSAL_PHRASE not in text and not CITATION_RE.search(text):
                    raise LLMError("the LLM answer carried no [¶n] citations.", retryable=True)
                return
            except Exception as exc:
                err = classify(exc)
                if not err.retryable or attempt == self.cfg.max_retries:
                    raise err from None
                yield RESTART
                time.sleep(delay)
                delay *= 2

    def condense(self, question: str, history: list[str]) -> str:
        prompt = CONDENSE_PROMPT.format(
            history="\n".join(f"用户：{h}" for h in history), question=question
        )
        try:
            out = self.model.invoke([HumanMessage(prompt)])
        except Exception as exc:
            raise classify(exc) from None
        text = out.content if isinstance(out.content, str) else ""
        return text.strip().splitlines()[0].strip() if text.strip() else question


# Yielded by LLMAnswerer.stream before a retry: the text so far is void.
RESTART = "\x00restart\x00"
