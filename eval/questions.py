"""Question files: loading and validating the JSON Lines contract.

One JSON object a line: ``{"id", "question", "doc" (optional), "gold_paragraphs": [n, …]
(empty: the document does not answer it), "answer_keys" (optional), "kind", "history"
(optional list of earlier user turns)}``. Every problem is an :class:`InputError` whose
message names the file and line and says what to fix.

``"doc": null`` (the field present, its value null) makes an *archive* question: it is
asked with no document chosen, so every ingested document is searched, and its gold
paragraphs are strings ``"doc_id:n"``. A plain number ``n`` is ¶n of the question's own
document (the ``doc`` field, else ``--doc``); a ``"doc_id:n"`` string may appear in any
question.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from speechqa.errors import InputError

REQUIRED = ("id", "question", "gold_paragraphs", "kind")
PACKAGED_QUESTIONS = "questions.jsonl"
# A gold paragraph of another document (and of every archive question): "doc_id:n".
_GOLD_REF = re.compile(r"^(?P<doc>\S+):(?P<n>[1-9]\d*)$")
# (document, ¶n); document None means the question's own document.
Ref = tuple[str | None, int]


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    gold_paragraphs: tuple[int | str, ...]  # as written: n, or "doc_id:n"
    kind: str
    answer_keys: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    doc: str | None = None
    line: int = 0  # where it was read, for error messages
    source: str = field(default="", compare=False)
    archive: bool = False  # "doc": null: asked with no document chosen
    split: str = field(default="", compare=False)  # the manifest split of its question set

    @property
    def answerable(self) -> bool:
        return bool(self.gold_paragraphs)

    @property
    def refs(self) -> tuple[Ref, ...]:
        """The gold paragraphs as (document, ¶n); None is the question's own document."""
        return tuple(gold_ref(g) for g in self.gold_paragraphs)

    def gold_keys(self, doc: str | None) -> list[tuple[str, int]]:
        """The gold paragraphs as (document, ¶n) keys, ``doc`` being the question's
        document (None for an archive question, whose gold all name their document)."""
        return [(d or doc or "", n) for d, n in self.refs]

    def scope(self, default_doc: str) -> str | None:
        """The document the question is asked about, or None (archive: all of them)."""
        return None if self.archive else (self.doc or default_doc)

    def where(self) -> str:
        return f"{self.source}:{self.line}"


def gold_ref(value: int | str) -> Ref:
    """A gold paragraph as written (``n`` or ``"doc_id:n"``, already validated)."""
    if isinstance(value, int):
        return None, value
    match = _GOLD_REF.match(value)
    if match is None:
        raise ValueError(f"not a gold paragraph: {value!r}")
    return match["doc"], int(match["n"])


def packaged_questions_path() -> Path:
    return Path(str(resources.files("eval") / PACKAGED_QUESTIONS))


def load_questions(path: Path) -> list[Question]:
    """Parse and check a question file; the first problem found raises InputError."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"question file {name} does not exist; check --questions.",
            zh=f"问题文件 {name} 不存在；请检查 --questions。",
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot read question file {name} ({exc.strerror}).",
            zh=f"无法读取问题文件 {name}（{exc.strerror}）。",
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: not UTF-8 (bad byte at offset {exc.start}); save the file as UTF-8.",
            zh=f"{name}：不是 UTF-8（第 {exc.start} 字节有误）；请存为 UTF-8。",
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
                "write one JSON object per line.",
                zh=f"{where}：不是有效的 JSON（第 {exc.colno} 列：{exc.msg}）；请每行写一个 JSON 对象。",
            ) from None
        question = _question(obj, where, number, name)
        if question.id in first_line:
            raise InputError(
                f"{where}: duplicate id '{question.id}' (first used on line "
                f"{first_line[question.id]}); give every question its own id.",
                zh=f"{where}：编号 '{question.id}' 重复（第 {first_line[question.id]} 行已用）；每个问题要有自己的编号。",
            )
        first_line[question.id] = number
        questions.append(question)
    if not questions:
        raise InputError(
            f"{name}: the file has no questions; write one JSON object per line.",
            zh=f"{name}：文件中没有问题；请每行写一个 JSON 对象。",
        )
    return questions


def _question(obj: Any, where: str, line: int, source: str) -> Question:
    if not isinstance(obj, dict):
        raise InputError(
            f"{where}: expected a JSON object, got {_json_type(obj)}; write one object per line.",
            zh=f"{where}：应为 JSON 对象，而不是 {_json_type(obj)}；请每行写一个对象。",
        )
    missing = [f for f in REQUIRED if f not in obj]
    if missing:
        raise InputError(
            f"{where}: missing field{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(f) for f in missing)} (required: {', '.join(REQUIRED)}).",
            zh=f"{where}：缺少字段 {', '.join(repr(f) for f in missing)}（必需：{', '.join(REQUIRED)}）。",
        )
    qid = _string(obj, "id", where)
    text = _string(obj, "question", where)
    kind = _string(obj, "kind", where)
    doc = obj.get("doc")
    archive = "doc" in obj and doc is None
    if doc is not None and (not isinstance(doc, str) or not doc.strip()):
        raise InputError(
            f"{where}: 'doc' must be a document id (a non-empty string, or null for a "
            f"question over every document), got {_show(doc)}.",
            zh=f"{where}：'doc' 必须是文档编号（非空字符串；问全部文档时为 null），而不是 {_show(doc)}。",
        )
    gold = _gold(obj["gold_paragraphs"], where, archive)
    keys = _string_list(obj, "answer_keys", where)
    if keys and not gold:
        raise InputError(
            f"{where}: question '{qid}' has answer_keys but no gold_paragraphs; an "
            "unanswerable question has no keys, an answerable one needs its paragraphs.",
            zh=f"{where}：问题 '{qid}' 有 answer_keys 却没有 gold_paragraphs；不可回答的问题没有要点，可回答的问题需要标准段落。",
        )
    history = _string_list(obj, "history", where)
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
        archive=archive,
    )


def _gold(value: Any, where: str, archive: bool) -> tuple[int | str, ...]:
    """Gold paragraphs: numbers ≥ 1 (¶n of the question's document) or "doc_id:n";
    only the latter on an archive question; none twice."""
    if not isinstance(value, list) or not all(
        (_is_int(g) and g >= 1) or (isinstance(g, str) and _GOLD_REF.match(g.strip()))
        for g in value
    ):
        raise InputError(
            f"{where}: 'gold_paragraphs' must be a list of paragraph numbers ≥ 1 or "
            f'"doc_id:n" strings (empty for an unanswerable question), got {_show(value)}.',
            zh=f"{where}：'gold_paragraphs' 必须是不小于 1 的段落号或 \"doc_id:n\" 字符串的列表（不可回答的问题为空），而不是 {_show(value)}。",
        )
    gold = tuple(g.strip() if isinstance(g, str) else g for g in value)
    if archive:
        bare = [g for g in gold if isinstance(g, int)]
        if bare:
            raise InputError(
                f'{where}: a question with "doc": null is asked over every document, so '
                f'its gold paragraphs name theirs: write "doc_id:{bare[0]}", not {bare[0]}.',
                zh=f'{where}："doc": null 的问题问的是全部文档，标准段落须注明文档：写 "doc_id:{bare[0]}"，不要写 {bare[0]}。',
            )
    refs = [gold_ref(g) for g in gold]
    repeated = next((g for g, r in zip(gold, refs, strict=True) if refs.count(r) > 1), None)
    if repeated is not None:
        shown = f"¶{repeated}" if isinstance(repeated, int) else f'"{repeated}"'
        raise InputError(
            f"{where}: 'gold_paragraphs' lists {shown} twice; list it once.",
            zh=f"{where}：'gold_paragraphs' 把 {shown} 列了两次；只列一次。",
        )
    return gold


def check_documents(
    questions: list[Question], paragraphs: Mapping[str, int], default_doc: str
) -> None:
    """Every question's document, and every document its gold paragraphs name, is in the
    index and has those paragraphs.

    ``paragraphs`` maps the indexed document ids to their paragraph counts.
    """
    have = ", ".join(sorted(paragraphs)) or "none"
    for q in questions:
        doc = q.scope(default_doc)
        if doc is not None and doc not in paragraphs:
            raise InputError(
                f"{q.where()}: question '{q.id}' needs document '{doc}', which is not in the "
                f"index (have: {have}); ingest it first or fix 'doc'/--doc.",
                zh=f"{q.where()}：问题 '{q.id}' 需要文档 '{doc}'，但索引中没有（现有：{have}）；请先导入它，或改正 'doc'/--doc。",
            )
        for (gold_doc, n), written in zip(q.gold_keys(doc), q.gold_paragraphs, strict=True):
            if gold_doc not in paragraphs:
                raise InputError(
                    f"{q.where()}: question '{q.id}' gives gold \"{written}\" in document "
                    f"'{gold_doc}', which is not in the index (have: {have}); fix the id or "
                    "ingest the document.",
                    zh=f"{q.where()}：问题 '{q.id}' 的标准答案 \"{written}\" 在文档 '{gold_doc}' 中，但索引中没有该文档（现有：{have}）；请改正编号或导入该文档。",
                )
            count = paragraphs[gold_doc]
            if n > count:
                raise InputError(
                    f"{q.where()}: question '{q.id}' gives gold ¶{n}, but document "
                    f"'{gold_doc}' has paragraphs 1–{count}; check the number with "
                    f"'speechqa show {gold_doc}'.",
                    zh=f"{q.where()}：问题 '{q.id}' 的标准答案是第 {n} 段，但文档 '{gold_doc}' 只有第 1–{count} 段；请用 'speechqa show {gold_doc}' 核对段号。",
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
        raise InputError(
            f"{where}: '{name}' must be a non-empty string, got {got}.",
            zh=f"{where}：'{name}' 必须是非空字符串，而不是 {got}。",
        )
    return value.strip()


def _string_list(obj: dict[str, Any], name: str, where: str) -> list[str]:
    value = obj.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(
            f"{where}: '{name}' must be a list of non-empty strings, got {_show(value)}.",
            zh=f"{where}：'{name}' 必须是非空字符串的列表，而不是 {_show(value)}。",
        )
    return [v.strip() for v in value]
