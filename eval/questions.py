"""Question files: loading and validating the JSON Lines contract.

One JSON object a line: ``{"id", "question", "doc" (optional), "gold_paragraphs": [n, …]
(empty: the document does not answer it), "answer_keys" (optional), "kind", "history"
(optional list of earlier user turns)}``. Every problem is an :class:`InputError` whose
message names the file and line and says what to fix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from speechqa.errors import InputError

REQUIRED = ("id", "question", "gold_paragraphs", "kind")
PACKAGED_QUESTIONS = "questions.jsonl"


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    gold_paragraphs: tuple[int, ...]
    kind: str
    answer_keys: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    doc: str | None = None
    line: int = 0  # where it was read, for error messages
    source: str = field(default="", compare=False)

    @property
    def answerable(self) -> bool:
        return bool(self.gold_paragraphs)

    def where(self) -> str:
        return f"{self.source}:{self.line}"


def packaged_questions_path() -> Path:
    return Path(str(resources.files("eval") / PACKAGED_QUESTIONS))


def load_questions(path: Path) -> list[Question]:
    """Parse and check a question file; the first problem found raises InputError."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"question file {name} does not exist; check --questions.") from None
    except OSError as exc:
        raise InputError(f"cannot read question file {name} ({exc.strerror}).") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: not UTF-8 (bad byte at offset {exc.start}); save the file as UTF-8."
        ) from None
    questions: list[Question] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{where}: not valid JSON ({exc.msg} at column {exc.colno}); "
                "write one JSON object per line."
            ) from None
        question = _question(obj, where, number, name)
        if question.id in first_line:
            raise InputError(
                f"{where}: duplicate id '{question.id}' (first used on line "
                f"{first_line[question.id]}); give every question its own id."
            )
        first_line[question.id] = number
        questions.append(question)
    if not questions:
        raise InputError(f"{name}: the file has no questions; write one JSON object per line.")
    return questions


def _question(obj: Any, where: str, line: int, source: str) -> Question:
    if not isinstance(obj, dict):
        raise InputError(
            f"{where}: expected a JSON object, got {_json_type(obj)}; write one object per line."
        )
    missing = [f for f in REQUIRED if f not in obj]
    if missing:
        raise InputError(
            f"{where}: missing field{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(f) for f in missing)} (required: {', '.join(REQUIRED)})."
        )
    qid = _string(obj, "id", where)
    text = _string(obj, "question", where)
    kind = _string(obj, "kind", where)
    gold = obj["gold_paragraphs"]
    if not isinstance(gold, list) or not all(_is_int(n) and n >= 1 for n in gold):
        raise InputError(
            f"{where}: 'gold_paragraphs' must be a list of paragraph numbers ≥ 1 "
            f"(empty for an unanswerable question), got {_show(gold)}."
        )
    repeated = sorted({n for n in gold if gold.count(n) > 1})
    if repeated:
        raise InputError(f"{where}: 'gold_paragraphs' lists ¶{repeated[0]} twice; list it once.")
    keys = _string_list(obj, "answer_keys", where)
    if keys and not gold:
        raise InputError(
            f"{where}: question '{qid}' has answer_keys but no gold_paragraphs; an "
            "unanswerable question has no keys, an answerable one needs its paragraphs."
        )
    history = _string_list(obj, "history", where)
    doc = obj.get("doc")
    if doc is not None and (not isinstance(doc, str) or not doc.strip()):
        raise InputError(
            f"{where}: 'doc' must be a document id (a non-empty string), got {_show(doc)}."
        )
    return Question(
        id=qid,
        question=text,
        gold_paragraphs=tuple(gold),
        kind=kind,
        answer_keys=tuple(keys),
        history=tuple(history),
        doc=doc.strip() if isinstance(doc, str) else None,
        line=line,
        source=source,
    )


def check_documents(
    questions: list[Question], paragraphs: Mapping[str, int], default_doc: str
) -> None:
    """Every question's document is in the index and has its gold paragraphs.

    ``paragraphs`` maps the indexed document ids to their paragraph counts.
    """
    for q in questions:
        doc = q.doc or default_doc
        if doc not in paragraphs:
            have = ", ".join(sorted(paragraphs)) or "none"
            raise InputError(
                f"{q.where()}: question '{q.id}' needs document '{doc}', which is not in the "
                f"index (have: {have}); ingest it first or fix 'doc'/--doc."
            )
        count = paragraphs[doc]
        beyond = [n for n in q.gold_paragraphs if n > count]
        if beyond:
            raise InputError(
                f"{q.where()}: question '{q.id}' gives gold ¶{beyond[0]}, but document "
                f"'{doc}' has paragraphs 1–{count}; check the number with 'speechqa show {doc}'."
            )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _string(obj: dict[str, Any], name: str, where: str) -> str:
    value = obj[name]
    if not isinstance(value, str) or not value.strip():
        got = "an empty string" if isinstance(value, str) else _json_type(value)
        raise InputError(f"{where}: '{name}' must be a non-empty string, got {got}.")
    return value.strip()


def _string_list(obj: dict[str, Any], name: str, where: str) -> list[str]:
    value = obj.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(
            f"{where}: '{name}' must be a list of non-empty strings, got {_show(value)}."
        )
    return [v.strip() for v in value]
