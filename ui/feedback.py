"""👍/👎 on answers, appended to ``<store>/feedback.jsonl`` (one JSON object a line).

A rating is written the moment it is clicked, so it is never lost; a comment
added afterwards is written as a later record with the same ``id``. Readers take
the last record of each id as the user's final word.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Literal

from speechqa.errors import StoreError

from .turns import Turn

FEEDBACK_FILE = "feedback.jsonl"
Rating = Literal["up", "down"]
_lock = threading.Lock()  # one line per write even with many sessions at once


def feedback_path(store: Path) -> Path:
    return Path(store).expanduser() / FEEDBACK_FILE


def record(turn: Turn, rating: Rating, comment: str = "") -> dict[str, Any]:
    """The log line for ``turn``: question, answer, citations, mode, time."""
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "id": turn.id,
        "rating": rating,
        "comment": comment.strip(),
        "question": turn.question,
        "answer": turn.text,
        "citations": turn.citations
        or [
            {k: q.get(k) for k in ("doc_id", "paragraph", "text", "start", "end")}
            for q in turn.quotes
        ],
        "mode": turn.mode,
        "kind": turn.kind,
        "doc_id": turn.doc_id,
        "refused": turn.refused,
        "asked_at": turn.time,
    }


def append(store: Path, turn: Turn, rating: Rating, comment: str = "") -> dict[str, Any]:
    """Append one record and return it; StoreError if the data directory is not writable."""
    if rating not in ("up", "down"):
        raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
    entry = record(turn, rating, comment)
    path = feedback_path(store)
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _lock, path.open("a", encoding="utf-8") as f:
            f.write(line)
    except OSError as exc:
        raise StoreError(
            f"cannot write the feedback log {path} ({exc.strerror}); check the data directory.",
            zh=f"无法写入反馈日志 {path}（{exc.strerror}）；请检查数据目录。",
        ) from None
    return entry


def read(store: Path) -> list[dict[str, Any]]:
    path = feedback_path(store)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
