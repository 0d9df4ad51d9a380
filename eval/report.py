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
from .thresholds import METRICS, GateCheck, Threshold

RATE_METRICS = tuple(m for m in METRICS if not m.endswith("_ms"))
LATENCY_METRICS = tuple(m for m in METRICS if m.endswith("_ms"))
RETRIEVAL_METRICS = ("recall@1", "recall@3", "recall@5", "mrr@10", "ndcg@10")
KIND_COLUMNS = (
    "recall@1",
    "recall@3",
    "citation_precision",
    "citation_recall",
    "answer_key_recall",
    "refusal_correct",
    "refusal_false",
    "partial",
)


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


def write_all(
    out: Path,
    outcomes: Sequence[Outcome],
    summary: dict[str, Any],
    thresholds: dict[str, Threshold],
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "results.json", [o.to_dict() for o in outcomes])
    write_json(out / "summary.json", summary)
    (out / "report.md").write_text(markdown(outcomes, summary, thresholds), encoding="utf-8")
    (out / "report.html").write_text(html_report(outcomes, summary, thresholds), encoding="utf-8")


def _checks(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["metric"]: c for c in summary.get("gate", {}).get("checks", [])}


def _verdict(check: dict[str, Any] | None) -> str:
    if check is None:
        return ""
    return "通过" if check["passed"] else f"未通过（{check['reason']}）"


def gate_table(checks: Iterable[GateCheck]) -> str:
    """The compact table printed to stdout."""
    rows = [("指标", "值", "阈值", "结果")]
    for c in checks:
        rows.append(
            (
                c.metric,
                fmt(c.value, c.metric),
                c.threshold.describe(),
                "通过" if c.passed else f"未通过 {c.reason}",
            )
        )
    widths = [max(_width(r[i]) for r in rows) for i in range(3)]
    lines = []
    for r in rows:
        cells = [r[i] + " " * (widths[i] - _width(r[i])) for i in range(3)]
        lines.append("  ".join([*cells, r[3]]).rstrip())
    return "\n".join(lines)


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


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
    return [
        ("日期", str(summary.get("date"))),
        ("提交", str(summary.get("git_commit"))),
        ("回答方式", f"{ans.get('mode')}（提示词版本 {summary.get('prompt_version')}）"),
        ("嵌入模型", f"{emb.get('provider')} / {emb.get('model')}（{emb.get('dimension')} 维）"),
        ("文档哈希", str(summary.get("document_hash"))),
        (
            "问题文件",
            f"{summary.get('questions_file')}（{counts['questions']} 题，可回答 "
            f"{counts['answerable']}，不可回答 {counts['unanswerable']}）",
        ),
    ]


def markdown(
    outcomes: Sequence[Outcome], summary: dict[str, Any], thresholds: dict[str, Threshold]
) -> str:
    checks = _checks(summary)
    gate = summary.get("gate", {})
    lines = ["# 评测报告", "", *(f"- {label}：{md(value)}" for label, value in stamps(summary)), ""]
    lines.append(
        f"**门槛：{'全部通过' if gate.get('passed') else '未通过'}**"
        f"（{summary['counts']['passed']}/{summary['counts']['questions']} 题通过）"
    )
    lines += ["", "## 指标", "", "| 指标 | 值 | 随机基线 | 阈值 | 结果 |", "|---|---|---|---|---|"]
    baselines = summary.get("baselines", {})
    for name in METRICS:
        threshold = thresholds.get(name)
        lines.append(
            f"| {name} | {fmt(summary['metrics'].get(name), name)} | "
            f"{fmt(baselines.get(name)) if name in baselines else ''} | "
            f"{threshold.describe() if threshold else ''} | {_verdict(checks.get(name))} |"
        )
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
        "| 题型 | 题数 | 通过 | " + " | ".join(KIND_COLUMNS) + " |",
        "|---|---|---|" + "---|" * len(KIND_COLUMNS),
    ]
    for kind, row in summary.get("by_kind", {}).items():
        cells = " | ".join(fmt(row.get(c), c) for c in KIND_COLUMNS)
        lines.append(f"| {md(kind)} | {row['n']} | {row['passed']} | {cells} |")
    failing = [o for o in outcomes if not o.passed]
    lines += ["", f"## 未通过的问题（{len(failing)}）", ""]
    if not failing:
        lines.append("全部通过。")
    for o in failing:
        lines += _failure_md(o)
    return "\n".join(lines) + "\n"


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
        return "拒答（讲话未涉及）"
    keys = "、".join(f"“{k}”" for k in q.answer_keys)
    gold = ", ".join(f"¶{n}" for n in q.gold_paragraphs)
    return f"金标 {gold}" + (f"；要点 {keys}" if keys else "")


def _got(o: Outcome) -> str:
    retrieved = ", ".join(f"¶{r['paragraph']}" for r in o.answer.retrieved) or "无"
    cited = ", ".join(f"¶{n}" if d == o.doc else f"¶{d}:{n}" for d, n in o.cited) or "无"
    return (
        f"检索 {retrieved}；引用 {cited}；{OUTCOME_LABELS.get(o.answer.outcome, o.answer.outcome)}"
        f"（confidence {fmt(o.answer.confidence)}）"
    )


def _failure_md(o: Outcome) -> list[str]:
    q = o.question
    lines = [f"### {md(q.id)}（{md(q.kind)}）{md(q.question)}", ""]
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
details{border:1px solid #ddd;border-radius:4px;margin:.3em 0;padding:.3em .6em}
details.fail{border-color:#f0b4ae;background:#fff8f7}summary{cursor:pointer}
.answer{white-space:pre-wrap;background:#f7f7f7;padding:.5em;border-radius:4px}
code{background:#f3f3f3;padding:0 .2em}.muted{color:#777}
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def html_report(
    outcomes: Sequence[Outcome], summary: dict[str, Any], thresholds: dict[str, Threshold]
) -> str:
    checks = _checks(summary)
    gate = summary.get("gate", {})
    counts = summary["counts"]
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
        "<h2>指标与阈值</h2>",
        rate_chart(summary, thresholds),
        latency_chart(summary, thresholds),
        risk_chart(summary.get("risk_coverage", {})),
        "<table><tr><th>指标</th><th>值</th><th>随机基线</th><th>阈值</th><th>结果</th></tr>",
    ]
    baselines = summary.get("baselines", {})
    for name in METRICS:
        check = checks.get(name)
        threshold = thresholds.get(name)
        css = "" if check is None else ("pass" if check["passed"] else "fail")
        parts.append(
            f"<tr><td>{esc(name)}</td><td>{esc(fmt(summary['metrics'].get(name), name))}</td>"
            f"<td>{esc(fmt(baselines.get(name))) if name in baselines else ''}</td>"
            f"<td>{esc(threshold.describe()) if threshold else ''}</td>"
            f'<td class="{css}">{esc(_verdict(check))}</td></tr>'
        )
    parts.append("</table><h2>按题型</h2><table><tr><th>题型</th><th>题数</th><th>通过</th>")
    parts += [f"<th>{esc(c)}</th>" for c in KIND_COLUMNS]
    parts.append("</tr>")
    for kind, row in summary.get("by_kind", {}).items():
        cells = "".join(f"<td>{esc(fmt(row.get(c), c))}</td>" for c in KIND_COLUMNS)
        parts.append(
            f"<tr><td>{esc(kind)}</td><td>{row['n']}</td><td>{row['passed']}</td>{cells}</tr>"
        )
    parts.append("</table>")
    parts.append(f'<h2>逐题（{len(outcomes)}）</h2><p class="muted">未通过的题目默认展开。</p>')
    parts += [_details(o) for o in outcomes]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _details(o: Outcome) -> str:
    q = o.question
    mark = "✓" if o.passed else "✗"
    css = "pass" if o.passed else "fail"
    rows = [
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


# ---- the chart -------------------------------------------------------------------------

_LABEL_W, _BAR_W, _ROW_H, _PAD = 170, 480, 26, 12
_GREEN, _RED, _BLUE, _GREY = "#2e9d5b", "#d64541", "#4a78c2", "#e6e6e6"


def _bar_colour(check: dict[str, Any] | None) -> str:
    if check is None:
        return _BLUE
    return _GREEN if check["passed"] else _RED


def rate_chart(summary: dict[str, Any], thresholds: dict[str, Threshold]) -> str:
    """Horizontal bars on a 0–1 scale, one per metric; a black tick marks the threshold,
    a dashed grey tick the random baseline."""
    checks = _checks(summary)
    baselines = summary.get("baselines", {})
    names = list(RATE_METRICS)
    height = _PAD * 2 + _ROW_H * len(names) + 18
    width = _LABEL_W + _BAR_W + 90
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="各项指标与阈值">',
        '<g font-size="12" font-family="sans-serif">',
    ]
    for i, name in enumerate(names):
        y = _PAD + i * _ROW_H
        value = summary["metrics"].get(name)
        out.append(f'<text x="{_LABEL_W - 8}" y="{y + 15}" text-anchor="end">{esc(name)}</text>')
        out.append(
            f'<rect x="{_LABEL_W}" y="{y + 3}" width="{_BAR_W}" height="{_ROW_H - 8}" '
            f'fill="{_GREY}"/>'
        )
        if value is not None:
            w = max(0.0, min(1.0, float(value))) * _BAR_W
            out.append(
                f'<rect x="{_LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{_ROW_H - 8}" '
                f'fill="{_bar_colour(checks.get(name))}"><title>{esc(name)} = '
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
        threshold = thresholds.get(name)
        bounds = [] if threshold is None else [threshold.min, threshold.max]
        for bound in (b for b in bounds if b is not None):
            x = _LABEL_W + max(0.0, min(1.0, bound)) * _BAR_W
            label = threshold.describe() if threshold else ""
            out.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + _ROW_H - 2}" stroke="#000" '
                f'stroke-width="2"><title>阈值 {esc(label)}</title></line>'
            )
    y = _PAD + len(names) * _ROW_H + 12
    out.append(
        f'<text x="{_LABEL_W}" y="{y}" fill="#555">绿：达到阈值　红：未达到　蓝：不设门槛'
        "　黑线：阈值　虚线：随机基线</text>"
    )
    out.append("</g></svg>")
    return "\n".join(out)


def latency_chart(summary: dict[str, Any], thresholds: dict[str, Threshold]) -> str:
    """p50 and p95 of each stage, scaled to the slowest (and to any latency threshold)."""
    lat = summary.get("latency_ms", {})
    rows = [
        (f"{stage} {p}", lat.get(f"{stage}_{p}_ms"))
        for stage in ("retrieval", "answer", "total")
        for p in ("p50", "p95")
    ]
    limits = [t.max for name, t in thresholds.items() if name in LATENCY_METRICS and t.max]
    scale = max([v for _, v in rows if v] + limits + [1.0])
    height = _PAD * 2 + _ROW_H * len(rows)
    width = _LABEL_W + _BAR_W + 90
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="延迟">',
        '<g font-size="12" font-family="sans-serif">',
    ]
    for i, (label, value) in enumerate(rows):
        y = _PAD + i * _ROW_H
        out.append(f'<text x="{_LABEL_W - 8}" y="{y + 15}" text-anchor="end">{esc(label)}</text>')
        w = (value or 0.0) / scale * _BAR_W
        out.append(
            f'<rect x="{_LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{_ROW_H - 8}" '
            f'fill="{_BLUE}"/>'
        )
        out.append(f'<text x="{_LABEL_W + w + 6:.1f}" y="{y + 15}">{esc(fmt(value, "_ms"))}</text>')
    for name in LATENCY_METRICS:
        threshold = thresholds.get(name)
        if threshold and threshold.max:
            x = _LABEL_W + threshold.max / scale * _BAR_W
            out.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_PAD}" y2="{height - _PAD}" stroke="#000">'
                f"<title>{esc(name)} {esc(threshold.describe())}</title></line>"
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
