"""Shared by the evaluation tests (import as ``from eval_harness import …``):

* ``run_eval(store, out, *args)``: the real ``speechqa eval`` with ``--out out`` on a
  store, checked for tracebacks; returns a :class:`Run` (the process and its outputs).
* ``write_corpus(folder)``: a small two-document corpus with a manifest (a tuning .txt
  speech, a held-out .md notice, per split a document set and an archive set) for
  ``speechqa eval --manifest`` runs; returns the manifest's path.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helpers


@dataclass(frozen=True)
class Run:
    proc: subprocess.CompletedProcess[str]
    out: Path

    def json(self, name: str) -> Any:
        return json.loads((self.out / name).read_text(encoding="utf-8"))


def run_eval(store: Path, out: Path, *args: str | Path, timeout: float = 300) -> Run:
    proc = helpers.run_cli(
        "eval", "--out", out, *args, env={"SPEECHQA_STORE": store}, timeout=timeout
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return Run(proc, out)


# ---- a small corpus with a manifest ---------------------------------------------------

SAFETY = "county-safety"
RIVER = "river-notice"
CORPUS_DOCS = {
    f"{SAFETY}.txt": (
        "同志们：\n"
        "今天召开全县安全生产工作会议，主要任务是总结2024年工作，部署2025年任务。\n"
        "一、2024年工作回顾\n"
        "2024年全县共排查整治安全隐患1260处，生产安全事故起数同比下降18%。\n"
        "我们开展了为期三个月的燃气安全专项整治行动，检查餐饮场所420家。\n"
        "二、2025年重点任务\n"
        "一要压实企业主体责任，二要强化部门监管责任，三要落实属地管理责任。\n"
    ),
    f"{RIVER}.md": (
        "# 关于做好汛期防汛工作的通知\n\n"
        "## 一、提高思想认识\n\n"
        "今年汛期降雨偏多，各地要克服麻痹思想和侥幸心理。\n\n"
        "## 二、落实防汛责任\n\n"
        "各镇街要在5月20日前完成防汛预案修订，水库必须落实三个责任人。\n\n"
        "## 三、加强值班值守\n\n"
        "汛期实行24小时值班和领导带班制度，重要情况30分钟内上报。\n"
    ),
}
CORPUS_SETS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "tuning.jsonl": ("tuning", [
        {"id": "t1", "question": "2024年全县排查整治了多少处安全隐患？", "doc": SAFETY,
         "gold_paragraphs": [4], "answer_keys": ["1260处"], "kind": "number"},
        {"id": "t2", "question": "2025年要压实哪些责任？", "doc": SAFETY,
         "gold_paragraphs": [7], "answer_keys": ["企业主体责任", "部门监管责任", "属地管理责任"],
         "kind": "list"},
        {"id": "t3", "question": "全县有多少家化工企业？", "doc": SAFETY, "gold_paragraphs": [],
         "kind": "unanswerable"},
        {"id": "ta1", "question": "燃气安全专项整治行动检查了多少家餐饮场所？", "doc": None,
         "gold_paragraphs": [f"{SAFETY}:5"], "answer_keys": ["420家"], "kind": "number"},
    ]),
    "heldout.jsonl": ("heldout", [
        {"id": "h1", "question": "防汛预案要在什么时候前完成修订？", "doc": RIVER,
         "gold_paragraphs": [5], "answer_keys": ["5月20日前"], "kind": "fact"},
        {"id": "h2", "question": "汛期重要情况多长时间内要上报？", "doc": RIVER,
         "gold_paragraphs": [7], "answer_keys": ["30分钟内上报"], "kind": "number"},
        {"id": "h3", "question": "今年防汛物资储备经费是多少？", "doc": RIVER,
         "gold_paragraphs": [], "kind": "unanswerable"},
        {"id": "ha1", "question": "水库必须落实几个责任人？", "doc": None,
         "gold_paragraphs": [f"{RIVER}:5"], "answer_keys": ["三个责任人"], "kind": "number"},
    ]),
}  # fmt: skip
CORPUS_SPLITS = {SAFETY: "tuning", RIVER: "heldout"}


def write_corpus(
    folder: Path,
    sets: dict[str, tuple[str, list[dict[str, Any]]]] | None = None,
    docs: dict[str, str] | None = None,
    splits: dict[str, str] | None = None,
) -> Path:
    """A manifest with its documents and question sets in ``folder`` (the small corpus
    above by default); returns the manifest's path."""
    folder.mkdir(parents=True, exist_ok=True)
    splits = CORPUS_SPLITS if splits is None else splits
    lines = []
    for name, text in (CORPUS_DOCS if docs is None else docs).items():
        (folder / name).write_text(text, encoding="utf-8")
        doc_id = Path(name).stem
        lines += ["[[document]]", f'id = "{doc_id}"', f'path = "{name}"',
                  f'split = "{splits.get(doc_id, "tuning")}"', ""]  # fmt: skip
    for name, (split, rows) in (CORPUS_SETS if sets is None else sets).items():
        (folder / name).write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
        lines += ["[[questions]]", f'path = "{name}"', f'split = "{split}"', ""]
    manifest = folder / "manifest.toml"
    manifest.write_text("\n".join(lines), encoding="utf-8")
    return manifest
