"""``--compare OLD/summary.json``: the delta of every metric and the questions that
flipped between pass and fail (when OLD/results.json is there)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from speechqa.errors import InputError

from .report import fmt, md, write_json
from .thresholds import ALIASES, METRICS


def load_old(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """The old summary and, if it sits next to it, the old results."""
    summary = _read_json(path, "summary")
    if not isinstance(summary, dict) or not isinstance(summary.get("metrics"), dict):
        raise InputError(
            f"{path}: not a summary.json of 'speechqa eval' (no \"metrics\" object); "
            "pass the summary.json of an earlier run to --compare.",
            zh=f"{path}：不是 'speechqa eval' 的 summary.json（没有 \"metrics\" 对象）；请给 --compare 以前一次运行的 summary.json。",
        )
    results_path = Path(path).with_name("results.json")
    if not results_path.exists():
        return summary, None
    results = _read_json(results_path, "results")
    if not isinstance(results, list):
        raise InputError(
            f"{results_path}: expected a list of per-question results.",
            zh=f"{results_path}：应为逐题结果的列表。",
        )
    return summary, [r for r in results if isinstance(r, dict)]


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{what} file {path} does not exist; check --compare.",
            zh=f"{what} 文件 {path} 不存在；请检查 --compare。",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read {what} file {path} ({exc}).", zh=f"无法读取 {what} 文件 {path}（{exc}）。"
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}).",
            zh=f"{path}：不是有效的 JSON（第 {exc.lineno} 行：{exc.msg}）。",
        ) from None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def compare(
    old_summary: dict[str, Any],
    old_results: list[dict[str, Any]] | None,
    new_summary: dict[str, Any],
    new_results: list[dict[str, Any]],
    old_path: str,
) -> dict[str, Any]:
    deltas = _deltas(old_summary["metrics"], new_summary["metrics"])
    old_splits = old_summary.get("by_split") or {}
    split_deltas = {
        split: _deltas(old_splits[split], values)
        for split, values in (new_summary.get("by_split") or {}).items()
        if isinstance(old_splits.get(split), dict)
    }
    flips: dict[str, Any] = {"to_fail": [], "to_pass": [], "only_old": [], "only_new": []}
    if old_results is not None:
        before = {str(r.get("id")): r for r in old_results}
        after = {str(r.get("id")): r for r in new_results}
        for qid, new in after.items():
            old = before.get(qid)
            if old is None:
                flips["only_new"].append(qid)
            elif bool(old.get("pass")) and not new.get("pass"):
                flips["to_fail"].append(
                    {"id": qid, "question": new.get("question"), "reasons": new.get("reasons", [])}
                )
            elif not old.get("pass") and new.get("pass"):
                flips["to_pass"].append(
                    {"id": qid, "question": new.get("question"), "reasons": old.get("reasons", [])}
                )
        flips["only_old"] = [qid for qid in before if qid not in after]
    return {
        "old_summary": old_path,
        "old": {k: old_summary.get(k) for k in ("date", "git_commit", "prompt_version")},
        "new": {k: new_summary.get(k) for k in ("date", "git_commit", "prompt_version")},
        "metrics": deltas,
        "by_split": split_deltas,
        "results_compared": old_results is not None,
        "flipped": flips,
    }


def _deltas(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Old, new and delta of every metric (old names read under their new ones)."""
    old = {ALIASES.get(k, k): v for k, v in old.items()}
    extra = {
        k
        for k in (set(old) | set(new)) - set(METRICS)
        if _number(new.get(k, old.get(k))) is not None
    }
    deltas = {}
    for name in [*METRICS, *sorted(extra)]:
        before_value = _number(old.get(name))
        after_value = _number(new.get(name))
        deltas[name] = {
            "old": before_value,
            "new": after_value,
            "delta": None
            if before_value is None or after_value is None
            else after_value - before_value,
        }
    return deltas


def _delta(d: dict[str, Any], name: str) -> str:
    if d["delta"] is None:
        return "—"
    sign = "+" if d["delta"] > 0 else ""
    if name.endswith("_ms"):
        return f"{sign}{d['delta']:.1f} ms"
    return f"{sign}{d['delta']:.3f}"


def text(result: dict[str, Any]) -> str:
    """The comparison as printed to stdout."""
    lines = [f"与 {result['old_summary']} 对比："]
    width = max(len(n) for n in result["metrics"])
    for name, d in result["metrics"].items():
        lines.append(
            f"  {name:<{width}}  {fmt(d['old'], name):>10} → {fmt(d['new'], name):>10}  "
            f"({_delta(d, name)})"
        )
    if not result["results_compared"]:
        lines.append("  （旧结果旁没有 results.json，只比较指标）")
        return "\n".join(lines)
    flips = result["flipped"]
    lines.append(f"  由通过变为未通过：{len(flips['to_fail'])} 题")
    lines += [f"    {f['id']} {f['question']}" for f in flips["to_fail"]]
    lines.append(f"  由未通过变为通过：{len(flips['to_pass'])} 题")
    lines += [f"    {f['id']} {f['question']}" for f in flips["to_pass"]]
    if flips["only_new"] or flips["only_old"]:
        lines.append(
            f"  仅在新结果中：{', '.join(flips['only_new']) or '无'}；"
            f"仅在旧结果中：{', '.join(flips['only_old']) or '无'}"
        )
    return "\n".join(lines)


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# 评测对比",
        "",
        f"- 旧：{md(result['old_summary'])}（{md(result['old'].get('date'))}，提交 "
        f"`{md(result['old'].get('git_commit'))}`）",
        f"- 新：{md(result['new'].get('date'))}，提交 `{md(result['new'].get('git_commit'))}`",
        "",
        "| 指标 | 旧 | 新 | 变化 |",
        "|---|---|---|---|",
    ]
    for name, d in result["metrics"].items():
        lines.append(
            f"| {name} | {fmt(d['old'], name)} | {fmt(d['new'], name)} | {_delta(d, name)} |"
        )
    for split, deltas in result.get("by_split", {}).items():
        lines += ["", f"## {md(split)}", "", "| 指标 | 旧 | 新 | 变化 |", "|---|---|---|---|"]
        lines += [
            f"| {name} | {fmt(d['old'], name)} | {fmt(d['new'], name)} | {_delta(d, name)} |"
            for name, d in deltas.items()
        ]
    lines.append("")
    if not result["results_compared"]:
        lines.append("旧结果旁没有 results.json，只比较指标。")
        return "\n".join(lines) + "\n"
    flips = result["flipped"]
    for title, key in (("由通过变为未通过", "to_fail"), ("由未通过变为通过", "to_pass")):
        lines += [f"## {title}（{len(flips[key])}）", ""]
        lines += [
            f"- {md(f['id'])} {md(f['question'])}：{md('；'.join(f['reasons']))}"
            for f in flips[key]
        ]
        lines.append("")
    return "\n".join(lines) + "\n"


def write(out: Path, result: dict[str, Any]) -> None:
    write_json(out / "compare.json", result)
    (out / "compare.md").write_text(markdown(result), encoding="utf-8")
