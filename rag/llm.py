"""The LLM answerer: any OpenAI-compatible chat endpoint behind LangChain's
``BaseChatModel``, streaming, with bounded retries and typed failures.

Failures are classified without importing the vendor SDK: by HTTP status and by
the exception's kind. The API key never appears in a message.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ingest.parse import ParsedDocument
from speechqa.errors import LLMError, LLMUncheckedError
from speechqa.settings import LLMSettings

from .cite import normalize_citations
from .constants import (
    CITATION_RE,
    CONDENSE_PROMPT,
    CONTEXT_HEADER,
    CONTEXT_PARAGRAPH,
    QUESTION_TEMPLATE,
    REFUSAL_RE,
    SYSTEM_PROMPT,
)
from .retrieve import Retrieval

if TYPE_CHECKING:
    # Imported where a message is built: the extractive path (a cold `speechqa ask`)
    # never pays for LangChain's language-model machinery.
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

_NUMBER = re.compile(r"\d+")


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
            f"the LLM endpoint rejected the API key (HTTP {status}); check SPEECHQA_LLM_API_KEY.",
            zh=f"大模型服务拒绝了 API 密钥（HTTP {status}），请检查 SPEECHQA_LLM_API_KEY。",
        )
    if status == 404:
        return LLMError(
            "the LLM endpoint does not know the model (HTTP 404); check SPEECHQA_LLM_MODEL.",
            zh="大模型服务找不到该模型（HTTP 404），请检查 SPEECHQA_LLM_MODEL。",
        )
    if status == 429:
        return LLMError(
            "the LLM endpoint is rate-limiting (HTTP 429); try again later.",
            zh="大模型服务限流（HTTP 429），请稍后再试。",
            retryable=True,
        )
    if isinstance(status, int) and status >= 500:
        return LLMError(
            f"the LLM endpoint failed (HTTP {status}); try again later.",
            zh=f"大模型服务出错（HTTP {status}）。",
            retryable=True,
        )
    if "Timeout" in kind or isinstance(exc, TimeoutError):
        return LLMError(
            "the LLM endpoint timed out; check SPEECHQA_LLM_BASE_URL or raise "
            "SPEECHQA_LLM_TIMEOUT_S.",
            zh="大模型服务响应超时，请检查 SPEECHQA_LLM_BASE_URL 或调大 SPEECHQA_LLM_TIMEOUT_S。",
            retryable=True,
        )
    if "Connection" in kind or isinstance(exc, ConnectionError):
        return LLMError(
            "cannot reach the LLM endpoint (or the connection dropped); check "
            "SPEECHQA_LLM_BASE_URL and that the service is running.",
            zh="无法连接大模型服务（或连接中断），请检查 SPEECHQA_LLM_BASE_URL 并确认服务已启动。",
            retryable=True,
        )
    if isinstance(status, int):
        return LLMError(
            f"the LLM endpoint answered HTTP {status}; check its address and model.",
            zh=f"大模型服务返回 HTTP {status}。",
        )
    return LLMError(
        f"the LLM endpoint's response cannot be parsed ({kind}); check that it is "
        "OpenAI-compatible.",
        zh=f"大模型服务的响应无法解析（{kind}）。",
        retryable=True,
    )


def cited_numbers(text: str) -> set[int]:
    """Paragraph numbers cited in ``text`` (after normalising citation variants)."""
    return {
        int(n)
        for m in CITATION_RE.finditer(normalize_citations(text))
        for n in _NUMBER.findall(m[1])
    }


def is_refusal(text: str, allowed: set[int]) -> bool:
    """The model says the speech does not answer: no citation of a paragraph it was
    given, and a refusal in any of its usual wordings (constants.REFUSAL_RE)."""
    return not cited_numbers(text) & allowed and REFUSAL_RE.search(text) is not None


def _deadline_error(cfg: LLMSettings) -> LLMError:
    return LLMError(
        f"the LLM endpoint gave no complete answer within {cfg.deadline_s:g} s; raise "
        "SPEECHQA_LLM_DEADLINE_S if it is just slow.",
        zh=f"大模型服务在 {cfg.deadline_s:g} 秒内没有给出完整回答（可调大 SPEECHQA_LLM_DEADLINE_S）。",
    )


class LLMAnswerer:
    """``deadline`` (time.monotonic() seconds) bounds everything one answer does, the
    rewrite of a follow-up included; by default ``cfg.deadline_s`` from now."""

    def __init__(
        self, model: BaseChatModel, cfg: LLMSettings, deadline: float | None = None
    ) -> None:
        self.model = model
        self.cfg = cfg
        self.deadline = time.monotonic() + cfg.deadline_s if deadline is None else deadline

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _bounded(self, produce: Callable[[float], Iterable[Any]]) -> Iterator[Any]:
        """Items of ``produce(timeout)``, read in a worker thread so that the deadline
        holds even while the HTTP client waits for bytes or a stream drips slowly.
        A worker left behind ends at its own read timeout; its items are dropped."""
        remaining = self.remaining()
        if remaining <= 0:
            raise _deadline_error(self.cfg)
        timeout = min(self.cfg.timeout_s, remaining)
        items: queue.Queue[tuple[str, Any]] = queue.Queue()
        abandoned = threading.Event()

        def work() -> None:
            try:
                for item in produce(timeout):
                    if abandoned.is_set():
                        return
                    items.put(("item", item))
                items.put(("end", None))
            except BaseException as exc:
                items.put(("error", exc))

        threading.Thread(target=work, name="llm-call", daemon=True).start()
        try:
            while True:
                try:
                    kind, item = items.get(timeout=max(0.0, self.remaining()))
                except queue.Empty:
                    raise _deadline_error(self.cfg) from None
                if kind == "end":
                    return
                if kind == "error":
                    raise item
                yield item
        finally:
            abandoned.set()

    def _stream_once(self, messages: list[BaseMessage]) -> Iterator[str]:
        finish = None
        got = False
        for chunk in self._bounded(lambda t: self.model.stream(messages, timeout=t)):
            meta = getattr(chunk, "response_metadata", {}) or {}
            finish = meta.get("finish_reason") or finish
            text = chunk.content if isinstance(chunk.content, str) else ""
            if text:
                got = True
                yield text
        if not got:
            raise LLMError(
                "the LLM returned an empty answer; try again.",
                zh="大模型返回了空回答。",
                retryable=True,
            )
        if finish not in ("stop", "end_turn"):
            # At temperature 0 a retry of an answer cut by the length limit is cut again.
            raise LLMError(
                f"the LLM's answer was cut off (finish_reason={finish}); ask a narrower question.",
                zh=f"大模型回答被截断（finish_reason={finish}）。",
                retryable=finish != "length",
            )

    def stream(self, question: str, context: Context) -> Iterator[str]:
        """Yield the answer's text deltas; the last attempt's text is the answer.

        A retry restarts the answer: before it, :data:`RESTART` is yielded and the
        caller drops the text it has so far.
        """
        from langchain_core.messages import HumanMessage, SystemMessage

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
                # Citations of paragraphs it was not given are dropped later: they do not count.
                if not cited_numbers(text) & context.allowed and not is_refusal(
                    text, context.allowed
                ):
                    raise LLMUncheckedError(
                        "the LLM's answer cites no paragraph [¶n] it was given, so it cannot "
                        "be checked.",
                        zh="大模型的回答没有引用所给段落的 [¶n]，无法核对。",
                        retryable=True,
                    )
                return
            except Exception as exc:
                err = classify(exc)
                if not err.retryable or attempt == self.cfg.max_retries:
                    raise err from None
                if self.remaining() <= delay:
                    raise err from None  # no time for another try: the last reason stands
                yield RESTART
                time.sleep(delay)
                delay *= 2

    def condense(self, question: str, history: list[str]) -> str:
        from langchain_core.messages import HumanMessage

        prompt = CONDENSE_PROMPT.format(
            history="\n".join(f"用户：{h}" for h in history), question=question
        )
        try:
            out = next(
                iter(
                    self._bounded(lambda t: [self.model.invoke([HumanMessage(prompt)], timeout=t)])
                )
            )
        except Exception as exc:
            raise classify(exc) from None
        text = out.content if isinstance(out.content, str) else ""
        return text.strip().splitlines()[0].strip() if text.strip() else question


# Yielded by LLMAnswerer.stream before a retry: the text so far is void.
RESTART = "\x00restart\x00"
