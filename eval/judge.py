"""Optional LLM-judged faithfulness: is every statement of an answer supported by the
paragraphs it cites? Never gating; only run when an LLM is configured.

The chat model comes from ``speechqa.factory.build_chat_model`` (fixed seed,
temperature from the settings). Each answer is judged ``RUNS`` times and the mean
kept; a run that fails or does not give a number is recorded as unmeasured (None),
never as 0, and an answer with no measured run has no score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.parse import ParsedDocument

    from .run import Outcome

RUNS = 3
JUDGE_VERSION = "2026-11-29.1"
JUDGE_PROMPT = (
    "你是严格的事实核查员。下面是讲话的若干段落和一个根据这些段落写成的回答。\n"
    "判断回答中的每一个陈述是否都能由这些段落直接支持。\n"
    "只输出一个 0 到 1 之间的数字：被段落支持的陈述所占的比例。不要输出其他内容。\n\n"
    "段落：\n{evidence}\n\n问题：{question}\n\n回答：\n{answer}\n\n比例："
)
_NUMBER = re.compile(r"(?<![\d.])(0(?:\.\d+)?|1(?:\.0+)?)(?![\d.])")


@dataclass(frozen=True)
class JudgeScore:
    score: float | None  # mean of the measured runs
    runs: tuple[float | None, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "score": None if self.score is None else round(self.score, 4),
            "runs": list(self.runs),
            "status": "measured" if self.score is not None else "unmeasured",
        }


def parse_score(text: str) -> float | None:
    """The first number in 0..1 the judge wrote, or None."""
    match = _NUMBER.search(text.strip())
    return float(match.group(1)) if match else None


class Judge:
    def __init__(self, chat_model: Any, runs: int = RUNS) -> None:
        self.chat_model = chat_model
        self.runs = runs

    def judge_once(self, prompt: str) -> float | None:
        try:
            reply = self.chat_model.invoke(prompt)
        except Exception:  # any failure of the endpoint (LLMError, HTTP, timeout) is unmeasured
            return None
        content = reply.content if hasattr(reply, "content") else reply
        return parse_score(content if isinstance(content, str) else str(content))

    def judge(self, question: str, answer: str, evidence: list[tuple[int, str]]) -> JudgeScore:
        prompt = JUDGE_PROMPT.format(
            evidence="\n".join(f"[¶{n}] {text}" for n, text in evidence) or "（无）",
            question=question,
            answer=answer,
        )
        runs = tuple(self.judge_once(prompt) for _ in range(self.runs))
        measured = [r for r in runs if r is not None]
        return JudgeScore(sum(measured) / len(measured) if measured else None, runs)

    def score(self, outcome: Outcome, document: ParsedDocument) -> JudgeScore:
        """Judge an answer against the paragraphs it cites (the retrieved ones if none)."""
        numbers = [n for doc, n in outcome.cited if doc == document.doc_id]
        if not numbers:
            numbers = [int(str(r["paragraph"])) for r in outcome.answer.retrieved]
        evidence = [(n, p.text) for n in numbers if (p := document.paragraph(n)) is not None]
        return self.judge(outcome.question.question, outcome.answer.answer, evidence)
