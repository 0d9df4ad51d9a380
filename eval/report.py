"""The four outputs of a run: results.json, summary.json, report.md, report.html.

The HTML report is one self-contained file (inline CSS and an SVG chart drawn here;
no script, no network); every text that comes from a question file or an answer is
escaped with ``html.escape``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .run import Outcome
from .thresholds import METRICS, GateCheck

RATE_METRICS = tuple(m for m in METRICS if not m.endswith("_ms"))
LATENCY_METRICS = tuple(m for m in METRICS if m.endswith("_ms"))
RETRIEVAL_METRICS = ("recall@1", "recall@3", "recall@5", "mrr@10", "ndcg@10")
KIND_COLUMNS = (
    "recall@1",
    "recall@3",
    "citation_precision",
    "citation_recall",
    "key_point_recall",
    "refusal_correct",
    "refusal_false",
    "partial",
)
# The per-document table, and the few metrics of its small-multiples chart.
DOC_COLUMNS = (
    "recall@1",
    "document@1",
    "citation_precision",
    "key_point_recall",
    "refusal_correct",
    "refusal_false",
)
MULTIPLES = ("recall@1", "citation_precision", "key_point_recall", "refusal_correct", "document@1")
ARCHIVE_LABEL = "（全库）"
STATUS_LABEL = {"gate": "门槛", "target": "目标"}


OUTCOME_LABELS = {"answered": "作答", "partial": "部分相关", "refused": "拒答"}


def fmt(value: Any, metric: str = "") -> str:
    if value is None:
        return "—"
    if metric.endswith("_ms"):
        return f"{value:.1f} ms"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_all(out: Path, outcomes: Sequence[Outcome], summary: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "results.json", [o.to_dict() for o in outcomes])
    write_json(out / "summary.json", summary)
    (out / "report.md").write_text(markdown(outcomes, summary), encoding="utf-8")
    (out / "report.html").write_text(html_report(outcomes, summary), encoding="utf-8")


# ---- thresholds as the reports show them ----------------------------------------------


def checks_of(summary: dict[str, Any], split: str | None) -> dict[str, list[dict[str, Any]]]:
    """The gate's checks of one scope (a split, or None: the whole run), by metric."""
    out: dict[str, list[dict[str, Any]]] = {}
    for c in summary.get("gate", {}).get("checks", []):
        if c.get("split") == split:
            out.setdefault(c["metric"], []).append(c)
    return out


def describe(check: dict[str, Any]) -> str:
    """ "≥ 0.9", or "目标 ≥ 0.92" for a target."""
    bounds = []
    if check.get("min") is not None:
        bounds.append(f"≥ {check['min']:g}")
    if check.get("max") is not None:
        bounds.append(f"≤ {check['max']:g}")
    text = ", ".join(bounds)
    return f"目标 {text}" if check.get("status") == "target" else text


def verdict(check: dict[str, Any]) -> str:
    """A gate is 通过 / 未通过, a target 达到 / 未达到 (and never fails the run)."""
    if check.get("status") == "target":
        return "达到" if check["passed"] else f"未达到（{check['reason']}）"
    return "通过" if check["passed"] else f"未通过（{check['reason']}）"


def threshold_cells(checks: Sequence[dict[str, Any]]) -> tuple[str, str]:
    """(thresholds, results) of one metric, several joined with "；"."""
    return "；".join(describe(c) for c in checks), "；".join(verdict(c) for c in checks)


def check_css(checks: Sequence[dict[str, Any]]) -> str:
    """pass, fail (a gate missed), miss (only a target missed), or "" (no threshold)."""
    if not checks:
        return ""
    if any(not c["passed"] and c.get("status") != "target" for c in checks):
        return "fail"
    return "pass" if all(c["passed"] for c in checks) else "miss"


def gate_table(checks: Iterable[GateCheck]) -> str:
    """The compact table printed to stdout: every threshold, gated or target."""
    checks = list(checks)
    scoped = any(c.threshold.scope for c in checks)
    rows = [["指标", "划分", "值", "阈值", "结果"] if scoped else ["指标", "值", "阈值", "结果"]]
    for c in checks:
        shown = verdict(c.to_dict()).replace("（", " ").replace("）", "")
        scope = [c.threshold.scope] if scoped else []
        rows.append([c.metric, *scope, fmt(c.value, c.metric), describe(c.to_dict()), shown])
    last = len(rows[0]) - 1
    widths = [max(_width(r[i]) for r in rows) for i in range(last)]
    lines = []
    for r in rows:
        padded = [r[i] + " " * (widths[i] - _width(r[i])) for i in range(last)]
        lines.append("  ".join([*padded, r[last]]).rstrip())
    return "\n".join(lines)


def counts_line(counts: dict[str, Any]) -> str:
    return (
        f"{counts['questions']} 题（可回答 {counts['answerable']}，不可回答 "
        f"{counts['unanswerable']}），{counts['passed']} 题通过"
    )


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def doc_label(row: dict[str, Any]) -> str:
    return ARCHIVE_LABEL if row.get("doc") is None else str(row["doc"])


# ---- Markdown ---------------------------------------------------------------------


def md(text: object) -> str:
    """Question or answer text made safe for a Markdown table cell or line."""
    s = html.escape(str(text), quote=False)
    return s.replace("|", "\\|").replace("\n", " ").replace("`", "\\`")


def stamps(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, plain text) of what the run was made with, for both reports."""
    emb = summary.get("embedder", {})
    ans = summary.get("answerer", {})
    counts = summary["counts"]
    manifest = summary.get("manifest")
    source = (
        f"{summary.get('questions_file')}（{counts['questions']} 题，可回答 "
        f"{counts['answerable']}，不可回答 {counts['unanswerable']}）"
    )
    if manifest:
        source = (
            f"清单 {manifest['path']}（{len(manifest['documents'])} 篇文档，"
            f"{len(manifest['question_sets'])} 个问题集，{counts['questions']} 题，可回答 "
            f"{counts['answerable']}，不可回答 {counts['unanswerable']}）"
        )
    return [
        ("日期", str(summary.get("date"))),
        ("提交", str(summary.get("git_commit"))),
        ("回答方式", f"{ans.get('mode')}（提示词版本 {summary.get('prompt_version')}）"),
        ("嵌入模型", f"{emb.get('provider')} / {emb.get('model')}（{emb.get('dimension')} 维）"),
        ("文档哈希", str(summary.get("document_hash"))),
        ("问题", source),
    ]


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def metric_rows(summary: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    """(metric, value, baseline, thresholds, results, css) of the whole run."""
    checks = checks_of(summary, None)
    baselines = summary.get("baselines", {})
    rows = []
    for name in METRICS:
        mine = checks.get(name, [])
        thresholds, results = threshold_cells(mine)
        rows.append(
            (
                name,
                fmt(summary["metrics"].get(name), name),
                fmt(baselines.get(name)) if name in baselines else "",
                thresholds,
                results,
                check_css(mine),
            )
        )
    return rows


def split_rows(summary: dict[str, Any]) -> list[list[str]]:
    """Per metric: its value over all questions, then per split the value, the
    thresholds and their results."""
    splits = summary.get("by_split", {})
    rows = []
    for name in METRICS:
        row = [name, fmt(summary["metrics"].get(name), name)]
        for split, values in splits.items():
            thresholds, results = threshold_cells(checks_of(summary, split).get(name, []))
            row += [fmt(values.get(name), name), thresholds, results]
        rows.append(row)
    return rows


def split_header(summary: dict[str, Any]) -> list[str]:
    header = ["指标", "全部"]
    for split in summary.get("by_split", {}):
        header += [split, f"{split} 阈值", f"{split} 结果"]
    return header


def document_rows(summary: dict[str, Any]) -> list[list[str]]:
    return [
        [
            str(row.get("split") or ""),
            doc_label(row),
            str(row["n"]),
            str(row["passed"]),
            *(fmt(row.get(c), c) for c in DOC_COLUMNS),
        ]
        for row in summary.get("by_document", [])
    ]


DOC_HEADER = ("划分", "文档", "题数", "通过", *DOC_COLUMNS)


def kind_rows(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The per-kind table: per split when the run has splits, else over all."""
    splits = summary.get("by_split", {})
    groups = (
        [(split, values.get("by_kind", {})) for split, values in splits.items()]
        if splits
        else [("", summary.get("by_kind", {}))]
    )
    header = [*(["划分"] if splits else []), "题型", "题数", "通过", *KIND_COLUMNS]
    rows = [
        [
            *([split] if splits else []),
            kind,
            str(row["n"]),
            str(row["passed"]),
            *(fmt(row.get(c), c) for c in KIND_COLUMNS),
        ]
        for split, kinds in groups
        for kind, row in kinds.items()
    ]
    return header, rows


def markdown(outcomes: Sequence[Outcome], summary: dict[str, Any]) -> str:
    gate = summary.get("gate", {})
    lines = ["# 评测报告", "", *(f"- {label}：{md(value)}" for label, value in stamps(summary)), ""]
    lines.append(
        f"**门槛：{'全部通过' if gate.get('passed') else '未通过'}**"
        f"（{summary['counts']['passed']}/{summary['counts']['questions']} 题通过）"
    )
    lines += ["", "## 指标", ""]
    lines += _md_table(
        ("指标", "值", "随机基线", "阈值", "结果"), (row[:5] for row in metric_rows(summary))
    )
    if summary.get("by_split"):
        lines += ["", "## 按划分（tuning 可用于调参；heldout 只用于检验）", ""]
        counts = "，".join(
            f"{split} {row['n']} 题、{row['passed']} 题通过"
            for split, row in summary["by_split"].items()
        )
        lines += [f"{counts}。", ""]
        lines += _md_table(split_header(summary), split_rows(summary))
    if len(summary.get("by_document", [])) > 1 or summary.get("by_split"):
        lines += ["", "## 按文档", ""]
        lines += _md_table(DOC_HEADER, ([md(c) for c in row] for row in document_rows(summary)))
    lat = summary.get("latency_ms", {})
    faith = summary.get("faithfulness", {})
    macro = summary.get("citation_macro", {})
    sweep = summary.get("refusal_sweep", [])[1::2]  # every 0.1 keeps the table narrow
    lines += [
        "",
        "## 其他指标（不设门槛）",
        "",
        f"- 带有效引用的答案句子占比：{fmt(summary.get('cited_sentence_share'))}",
        f"- 引文在全文中逐字出现的占比：{fmt(summary.get('quote_in_document'))}",
        f"- 引用（宏平均）：precision {fmt(macro.get('precision'))}，recall "
        f"{fmt(macro.get('recall'))}，F1 {fmt(macro.get('f1'))}",
        "- 延迟："
        + "，".join(
            f"{stage} p50 {fmt(lat.get(f'{stage}_p50_ms'), '_ms')} / p95 "
            f"{fmt(lat.get(f'{stage}_p95_ms'), '_ms')}"
            for stage in ("retrieval", "answer", "total")
        ),
        f"- 大模型评判的忠实度：{fmt(faith.get('score'))}"
        + ("" if faith.get("score") is not None else "（未测量）"),
        "",
        "拒答阈值扫描（若仅当 confidence 低于阈值时拒答；供校准抽取式回答的拒答阈值）：",
        "",
        "| 阈值 | " + " | ".join(f"{row['threshold']:.2f}" for row in sweep) + " |",
        "|---|" + "---|" * len(sweep),
        "| refusal_correct | " + " | ".join(fmt(row["refusal_correct"]) for row in sweep) + " |",
        "| refusal_false | " + " | ".join(fmt(row["refusal_false"]) for row in sweep) + " |",
        "",
        *risk_coverage_md(summary.get("risk_coverage", {})),
        "",
        "## 按题型",
        "",
    ]
    header, rows = kind_rows(summary)
    lines += _md_table(header, ([md(c) for c in row] for row in rows))
    failing = [o for o in outcomes if not o.passed]
    lines += ["", f"## 未通过的问题（{len(failing)}）", ""]
    if not failing:
        lines.append("全部通过。")
    for o in failing:
        lines += _failure_md(o)
    return "\n".join(lines) + "\n"


def _where(o: Outcome) -> str:
    doc = ARCHIVE_LABEL if o.doc is None else o.doc
    return f"{doc}（{o.question.split}）" if o.question.split else doc


def risk_coverage_md(rc: dict[str, Any]) -> list[str]:
    """The risk–coverage curve (every 0.1 of confidence) and its area."""
    curve = rc.get("curve", [])[::2]
    if not curve:
        return []
    return [
        "风险–覆盖曲线（只回答 confidence ≥ 阈值的问题时：作答占比与其中的错误率）"
        f"，曲线下面积 AURC {fmt(rc.get('aurc'))}（越低越好）：",
        "",
        "| 阈值 | " + " | ".join(f"{row['threshold']:.1f}" for row in curve) + " |",
        "|---|" + "---|" * len(curve),
        "| coverage | " + " | ".join(fmt(row["coverage"]) for row in curve) + " |",
        "| risk | " + " | ".join(fmt(row["risk"]) for row in curve) + " |",
    ]


def _expected(o: Outcome) -> str:
    q = o.question
    if not q.answerable:
        return "拒答（文档未涉及）"
    keys = "、".join(f"“{k}”" for k in q.answer_keys)
    gold = ", ".join(f"¶{g}" for g in q.gold_paragraphs)
    return f"金标 {gold}" + (f"；要点 {keys}" if keys else "")


def _got(o: Outcome) -> str:
    retrieved = ", ".join(f"¶{o.label(k)}" for k in o.retrieved) or "无"
    cited = ", ".join(f"¶{o.label(k)}" for k in o.cited) or "无"
    return (
        f"检索 {retrieved}；引用 {cited}；{OUTCOME_LABELS.get(o.answer.outcome, o.answer.outcome)}"
        f"（confidence {fmt(o.answer.confidence)}）"
    )


def _failure_md(o: Outcome) -> list[str]:
    q = o.question
    lines = [f"### {md(q.id)}（{md(q.kind)}）{md(q.question)}", ""]
    lines.append(f"- 文档：{md(_where(o))}")
    if q.history:
        lines.append("- 对话历史：" + " → ".join(md(h) for h in q.history))
    lines += [
        f"- 期望：{md(_expected(o))}",
        f"- 实际：{md(_got(o))}",
        f"- 回答：{md(_clip(o.answer.answer, 160))}",
        "- 原因：" + "；".join(md(r) for r in o.reasons),
        "",
    ]
    return lines


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "……"


# ---- HTML ----------------------------------------------------------------------------

_CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:2em auto;
max-width:1100px;color:#222;line-height:1.5;padding:0 1em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;
text-align:left;vertical-align:top}th{background:#f3f3f3}.pass{color:#17803d}.fail{color:#b42318}
.miss{color:#b45309}
details{border:1px solid #ddd;border-radius:4px;margin:.3em 0;padding:.3em .6em}
details.fail{border-color:#f0b4ae;background:#fff8f7}summary{cursor:pointer}
.answer{white-space:pre-wrap;background:#f7f7f7;padding:.5em;border-radius:4px}
code{background:#f3f3f3;padding:0 .2em}.muted{color:#777}
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_table(header: Sequence[str], rows: Iterable[Sequence[str]], css: int = -1) -> str:
    """A table of plain-text cells (escaped here); with ``css`` ≥ 0 a row's last cell is
    its CSS class and styles cell number ``css``."""
    out = ["<table><tr>", *(f"<th>{esc(h)}</th>" for h in header), "</tr>"]
    for row in rows:
        cells = list(row[:-1]) if css >= 0 else list(row)
        klass = row[-1] if css >= 0 else ""
        out.append("<tr>")
        out += [
            f'<td class="{esc(klass)}">{esc(c)}</td>'
            if i == css and klass
            else f"<td>{esc(c)}</td>"
            for i, c in enumerate(cells)
        ]
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def html_report(outcomes: Sequence[Outcome], summary: dict[str, Any]) -> str:
    gate = summary.get("gate", {})
    counts = summary["counts"]
    splits = summary.get("by_split", {})
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>评测报告 {esc(summary.get('date'))}</title><style>{_CSS}</style></head><body>",
        "<h1>评测报告</h1><ul>",
        *(f"<li>{esc(label)}：{esc(value)}</li>" for label, value in stamps(summary)),
        "</ul>",
        f'<p class="{"pass" if gate.get("passed") else "fail"}"><strong>门槛：'
        f"{'全部通过' if gate.get('passed') else '未通过'}</strong>（{counts['passed']}/"
        f"{counts['questions']} 题通过）</p>",
    ]
    if splits:
        parts.append('<h2>按划分</h2><p class="muted">tuning 可用于调参；heldout 只用于检验。</p>')
        for split, values in splits.items():
            parts.append(f"<h3>{esc(split)}（{values['n']} 题，{values['passed']} 题通过）</h3>")
            parts.append(
                rate_chart(values, values.get("baselines", {}), checks_of(summary, split), split)
            )
        parts.append(_html_table(split_header(summary), split_rows(summary)))
        parts.append("<h2>全部问题</h2>")
    else:
        parts.append("<h2>指标与阈值</h2>")
    parts += [
        rate_chart(
            summary["metrics"], summary.get("baselines", {}), checks_of(summary, None), "全部"
        ),
        latency_chart(summary, checks_of(summary, None)),
        risk_chart(summary.get("risk_coverage", {})),
        _html_table(("指标", "值", "随机基线", "阈值", "结果"), metric_rows(summary), css=4),
    ]
    if len(summary.get("by_document", [])) > 1 or splits:
        parts += [
            "<h2>按文档</h2>",
            small_multiples(summary),
            _html_table(DOC_HEADER, document_rows(summary)),
        ]
    header, rows = kind_rows(summary)
    parts += ["<h2>按题型</h2>", _html_table(header, rows)]
    parts.append(f'<h2>逐题（{len(outcomes)}）</h2><p class="muted">未通过的题目默认展开。</p>')
    parts += [_details(o) for o in outcomes]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _details(o: Outcome) -> str:
    q = o.question
    mark = "✓" if o.passed else "✗"
    css = "pass" if o.passed else "fail"
    rows = [
        ("文档", _where(o)),
        ("题型", q.kind),
        ("对话历史", " → ".join(q.history) if q.history else "—"),
        ("期望", _expected(o)),
        ("实际", _got(o)),
        ("改写后的问题", o.answer.standalone_question or "—"),
    ]
    quotes = "".join(
        f"<li>¶{c.paragraph} {'✓' if c.in_paragraph else '✗'} 「{esc(c.quote)}」"
        f"{'' if c.in_document else '（全文中也没有）'}</li>"
        for c in o.quotes
    )
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    reasons = "".join(f"<li>{esc(r)}</li>" for r in o.reasons)
    scores = ", ".join(f"{k} {fmt(v)}" for k, v in o.scores.items() if v is not None)
    return (
        f'<details class="{css}"{"" if o.passed else " open"}><summary>'
        f'<span class="{css}">{mark}</span> {esc(q.id)} 〔{esc(q.kind)}〕 {esc(q.question)}</summary>'
        f"<table>{body}</table>"
        + (f'<p class="fail">原因：</p><ul>{reasons}</ul>' if reasons else "")
        + f'<div class="answer">{esc(o.answer.answer)}</div>'
        + (f"<p>引文：</p><ul>{quotes}</ul>" if quotes else "")
        + f'<p class="muted">{esc(scores)}</p></details>'
    )


# ---- the charts ------------------------------------------------------------------------

_LABEL_W, _BAR_W, _ROW_H, _PAD = 170, 480, 26, 12
_GREEN, _RED, _AMBER, _BLUE, _GREY = "#2e9d5b", "#d64541", "#d97706", "#4a78c2", "#e6e6e6"
_COLOURS = {"pass": _GREEN, "fail": _RED, "miss": _AMBER, "": _BLUE}


def _svg_open(width: int, height: int, label: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(label)}">',
        '<g font-size="12" font-family="sans-serif">',
    ]


def _ticks(
    checks: Sequence[dict[str, Any]], x0: float, width: float, y: float, h: float
) -> list[str]:
    """A solid black tick per gated bound, a dashed amber one per target bound."""
    out = []
    for c in checks:
        for bound in (c.get("min"), c.get("max")):
            if bound is None:
                continue
            x = x0 + max(0.0, min(1.0, float(bound))) * width
            target = c.get("status") == "target"
            style = f'stroke="{_AMBER}" stroke-dasharray="4,2"' if target else 'stroke="#000"'
            out.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y:.1f}" y2="{y + h:.1f}" {style} '
                f'stroke-width="2"><title>{esc(describe(c))}</title></line>'
            )
    return out


def rate_chart(
    metrics: dict[str, Any],
    baselines: dict[str, Any],
    checks: dict[str, list[dict[str, Any]]],
    label: str,
) -> str:
    """Horizontal bars on a 0–1 scale, one per metric; a black tick marks a gated
    threshold, a dashed amber tick a target, a dashed grey tick the random baseline."""
    names = list(RATE_METRICS)
    height = _PAD * 2 + _ROW_H * len(names) + 18
    width = _LABEL_W + _BAR_W + 90
    out = _svg_open(width, height, f"各项指标与阈值（{label}）")
    for i, name in enumerate(names):
        y = _PAD + i * _ROW_H
        value = metrics.get(name)
        out.append(f'<text x="{_LABEL_W - 8}" y="{y + 15}" text-anchor="end">{esc(name)}</text>')
        out.append(
            f'<rect x="{_LABEL_W}" y="{y + 3}" width="{_BAR_W}" height="{_ROW_H - 8}" '
            f'fill="{_GREY}"/>'
        )
        if value is not None:
            w = max(0.0, min(1.0, float(value))) * _BAR_W
            out.append(
                f'<rect x="{_LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{_ROW_H - 8}" '
                f'fill="{_COLOURS[check_css(checks.get(name, []))]}"><title>{esc(name)} = '
                f"{esc(fmt(value))}</title></rect>"
            )
        out.append(f'<text x="{_LABEL_W + _BAR_W + 6}" y="{y + 15}">{esc(fmt(value, name))}</text>')
        base = baselines.get(name)
        if base is not None:
            x = _LABEL_W + base * _BAR_W
            out.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 1}" y2="{y + _ROW_H - 3}" '
                f'stroke="#333" stroke-width="1.5" stroke-dasharray="3,2"><title>随机基线 {fmt(base)}</title></line>'
            )
        out += _ticks(checks.get(name, []), _LABEL_W, _BAR_W, y, _ROW_H - 2)
    y = _PAD + len(names) * _ROW_H + 12
    out.append(
        f'<text x="{_PAD}" y="{y}" fill="#555">绿：达到　红：未达到门槛　橙：未达到目标　'
        "蓝：不设阈值　黑线：门槛　橙虚线：目标　灰虚线：随机基线</text>"
    )
    out.append("</g></svg>")
    return "\n".join(out)


def latency_chart(summary: dict[str, Any], checks: dict[str, list[dict[str, Any]]]) -> str:
    """p50 and p95 of each stage, scaled to the slowest (and to any latency threshold)."""
    lat = summary.get("latency_ms", {})
    rows = [
        (f"{stage} {p}", lat.get(f"{stage}_{p}_ms"))
        for stage in ("retrieval", "answer", "total")
        for p in ("p50", "p95")
    ]
    limits = [(name, c) for name in LATENCY_METRICS for c in checks.get(name, []) if c.get("max")]
    scale = max([v for _, v in rows if v] + [c["max"] for _, c in limits] + [1.0])
    height = _PAD * 2 + _ROW_H * len(rows)
    width = _LABEL_W + _BAR_W + 90
    out = _svg_open(width, height, "延迟")
    for i, (label, value) in enumerate(rows):
        y = _PAD + i * _ROW_H
        out.append(f'<text x="{_LABEL_W - 8}" y="{y + 15}" text-anchor="end">{esc(label)}</text>')
        w = (value or 0.0) / scale * _BAR_W
        out.append(
            f'<rect x="{_LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{_ROW_H - 8}" '
            f'fill="{_BLUE}"/>'
        )
        out.append(f'<text x="{_LABEL_W + w + 6:.1f}" y="{y + 15}">{esc(fmt(value, "_ms"))}</text>')
    for name, c in limits:
        x = _LABEL_W + c["max"] / scale * _BAR_W
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_PAD}" y2="{height - _PAD}" stroke="#000">'
            f"<title>{esc(name)} {esc(describe(c))}</title></line>"
        )
    out.append("</g></svg>")
    return "\n".join(out)


_CELL_W, _CELL_GAP, _DOC_W, _MULTI_ROW = 96, 52, 260, 22


def small_multiples(summary: dict[str, Any]) -> str:
    """One row per (split, document), one small 0–1 bar per metric of MULTIPLES, each
    with its split's thresholds as ticks: which documents hold a metric down."""
    rows = summary.get("by_document", [])
    thresholds = {split: checks_of(summary, split) for split in summary.get("by_split", {})}
    top = 22
    width = _DOC_W + len(MULTIPLES) * (_CELL_W + _CELL_GAP)
    height = top + _MULTI_ROW * len(rows) + 8
    out = _svg_open(width, height, "各文档的主要指标")
    for j, name in enumerate(MULTIPLES):
        x = _DOC_W + j * (_CELL_W + _CELL_GAP)
        out.append(f'<text x="{x}" y="14" font-weight="bold">{esc(name)}</text>')
    for i, row in enumerate(rows):
        y = top + i * _MULTI_ROW
        split = row.get("split") or ""
        label = f"{doc_label(row)}（{split}）" if split else doc_label(row)
        out.append(
            f'<text x="{_DOC_W - 8}" y="{y + 14}" text-anchor="end">{esc(label)}'
            f"<title>{esc(label)}：{row['n']} 题，{row['passed']} 题通过</title></text>"
        )
        for j, name in enumerate(MULTIPLES):
            x = _DOC_W + j * (_CELL_W + _CELL_GAP)
            value = row.get(name)
            out.append(
                f'<rect x="{x}" y="{y + 4}" width="{_CELL_W}" height="{_MULTI_ROW - 8}" '
                f'fill="{_GREY}"/>'
            )
            if value is not None:
                w = max(0.0, min(1.0, float(value))) * _CELL_W
                out.append(
                    f'<rect x="{x}" y="{y + 4}" width="{w:.1f}" height="{_MULTI_ROW - 8}" '
                    f'fill="{_BLUE}"><title>{esc(label)} {esc(name)} = {esc(fmt(value))}'
                    "</title></rect>"
                )
            out.append(
                f'<text x="{x + _CELL_W + 4}" y="{y + 15}" font-size="11" fill="#333">'
                f"{esc(fmt(value))}</text>"
            )
            out += _ticks(
                thresholds.get(split, {}).get(name, []), x, _CELL_W, y + 2, _MULTI_ROW - 4
            )
    out.append("</g></svg>")
    return "\n".join(out)


def risk_chart(rc: dict[str, Any]) -> str:
    """The risk–coverage curve: error rate among answered questions (y) against the
    share answered (x), one point per confidence threshold; AURC in the caption."""
    points = [
        (float(p["coverage"]), float(p["risk"]), float(p["threshold"]))
        for p in rc.get("curve", [])
        if p.get("coverage") is not None and p.get("risk") is not None
    ]
    if not points:
        return ""
    size, pad = 220, 36
    width, height = size + pad * 2, size + pad * 2 + 18

    def xy(cov: float, risk: float) -> str:
        return f"{pad + cov * size:.1f},{pad + (1 - risk) * size:.1f}"

    dots = "".join(
        f'<circle cx="{pad + c * size:.1f}" cy="{pad + (1 - r) * size:.1f}" r="2.5" '
        f'fill="{_BLUE}"><title>confidence ≥ {t:.2f}：coverage {fmt(c)}，risk {fmt(r)}'
        "</title></circle>"
        for c, r, t in points
    )
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="风险–覆盖曲线">',
            '<g font-size="12" font-family="sans-serif">',
            f'<rect x="{pad}" y="{pad}" width="{size}" height="{size}" fill="none" stroke="#999"/>',
            f'<polyline fill="none" stroke="{_BLUE}" stroke-width="1.5" '
            f'points="{" ".join(xy(c, r) for c, r, _ in points)}"/>',
            dots,
            f'<text x="{pad + size / 2}" y="{pad + size + 28}" text-anchor="middle">'
            "作答占比 coverage</text>",
            f'<text x="12" y="{pad + size / 2}" transform="rotate(-90 12 {pad + size / 2})" '
            'text-anchor="middle">错误率 risk</text>',
            f'<text x="{pad}" y="{pad - 10}">风险–覆盖曲线　AURC {esc(fmt(rc.get("aurc")))}</text>',
            "</g></svg>",
        ]
    )
