"""Typed errors, raised where they happen and translated once at the CLI or UI edge.

Each carries a one-line message that names the thing and says what to do, in English
and in Chinese: the CLI prints the one of the user's language (:mod:`speechqa.lang`),
the web chat the Chinese one.
"""

from __future__ import annotations

from collections.abc import Iterable

from speechqa.lang import Lang


class SpeechQAError(Exception):
    """Base of every error a user may see. ``str(err)`` is the English one-line message
    (also for logs); ``zh`` is the same message in Chinese. Every raise in the product
    code gives both (tests/test_error_messages.py checks it)."""

    exit_code = 1

    def __init__(self, message: str, *, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh

    def message(self, lang: Lang) -> str:
        """The message in ``lang`` (English when no Chinese one was given)."""
        return self.zh if lang == "zh" and self.zh else str(self)

    @property
    def chinese(self) -> str:
        """The message for the web chat: the Chinese one if there is one."""
        return self.message("zh")


class InputError(SpeechQAError):
    """Bad input from the user (a file, a flag, a question file): exit code 2."""

    exit_code = 2


class DocumentError(InputError):
    """A document that cannot be ingested (missing, empty, binary, too big, undecodable)."""


class UnknownDocumentError(InputError):
    """A doc_id that the index does not hold."""

    @classmethod
    def of(cls, doc_id: str, known: Iterable[str]) -> UnknownDocumentError:
        """The error for ``doc_id``, naming up to five of the ids the index holds."""
        have = list(known)
        shown = ", ".join(have[:5]) or "none"
        shown_zh = "、".join(have[:5]) or "无"
        if len(have) > 5:
            shown += f" and {len(have) - 5} more"
            shown_zh += f" 等 {len(have)} 篇"
        return cls(
            f"document '{doc_id}' is not in the index (have: {shown}); "
            "see 'speechqa docs' or ingest it first.",
            zh=f"索引中没有文档 '{doc_id}'（现有：{shown_zh}）；请用 'speechqa docs' 查看，或先导入它。",
        )


class StoreError(SpeechQAError):
    """The index cannot be opened or written (Chroma unreachable, locked, corrupt)."""


class EmbedderMismatchError(StoreError):
    """The collection was built with another embedding model or dimension."""


class EmbedderError(SpeechQAError):
    """The embedding model cannot be loaded or called."""


class EmptyIndexError(SpeechQAError):
    """Nothing is ingested yet."""


class LLMError(SpeechQAError):
    """The LLM endpoint failed; ``retryable`` says whether another try may help."""

    def __init__(self, message: str, *, retryable: bool = False, zh: str | None = None) -> None:
        super().__init__(message, zh=zh)
        self.retryable = retryable


class LLMUncheckedError(LLMError):
    """The LLM answered, but its answer cannot be checked against the speech (no
    citation of a paragraph it was given): a wording problem, not a service failure."""


class ConfigError(InputError):
    """Settings that cannot work together (e.g. LLM mode with no endpoint configured)."""


class LLMNotConfiguredError(ConfigError):
    """LLM answers were asked for but no endpoint is configured. The one message for
    the CLI, the web chat and the evaluation; ``instead`` is how to go on without one
    (a flag on the command line; in the web chat the extractive answer is kept)."""

    def __init__(self, instead: str = "--mode extractive") -> None:
        if instead:
            en_tail, zh_tail = f", or use {instead}.", f"，或改用 {instead}。"
        else:
            en_tail = " and restart; answers stay extractive meanwhile."
            zh_tail = "后重启；现继续使用抽取式回答。"
        super().__init__(
            "LLM mode needs an endpoint: set SPEECHQA_LLM_MODEL and SPEECHQA_LLM_BASE_URL "
            f"(or OPENAI_API_KEY){en_tail}",
            zh="未配置大模型服务：请设置 SPEECHQA_LLM_MODEL 与 SPEECHQA_LLM_BASE_URL"
            f"（或 OPENAI_API_KEY）{zh_tail}",
        )
