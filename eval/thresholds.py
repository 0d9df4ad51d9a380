"""The gate: thresholds read from TOML and checked against a summary's metrics.

Format::

    [gate]                                   # a plain question file (--questions)
    "recall@1" = {min = 0.90}
    "refusal_false" = {max = 0.05}

    [gate.tuning]                            # the tuning split of a manifest run
    "recall@1" = [{min = 0.80}, {min = 0.92, status = "target"}]

    [gate.heldout]                           # the held-out split
    "quote_verbatim" = {min = 1.0}

A threshold's ``status`` is "gate" (the default: missing it fails the run) or "target"
(reported as met or missed, never failing the run). A metric may carry several, as an
array of tables: a gated floor and a target above it. A metric that could not be
measured (null, e.g. no unanswerable question in the file) cannot meet its threshold.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from speechqa.errors import InputError

# The metrics of summary.json["metrics"], in report order.
METRICS = (
    "recall@1",
    "recall@3",
    "recall@5",
    "mrr@10",
    "ndcg@10",
    "document@1",
    "citation_precision",
    "citation_recall",
    "citation_f1",
    "quote_verbatim",
    "key_point_recall",
    "refusal_correct",
    "refusal_false",
    "partial_answerable",
    "partial",
    "latency_p50_ms",
    "latency_p95_ms",
)
# Earlier names, still accepted in thresholds files and old summaries.
ALIASES = {"answer_key_recall": "key_point_recall"}
PACKAGED_THRESHOLDS = "thresholds.toml"
STATUSES = ("gate", "target")
# The scope of the [gate] table's own metrics: a whole run of a plain question file.
WHOLE_RUN = ""
SPLITS = ("tuning", "heldout")


@dataclass(frozen=True)
class Threshold:
    metric: str
    min: float | None = None
    max: float | None = None
    status: str = "gate"  # "gate" fails the run when missed; "target" is only reported
    scope: str = WHOLE_RUN  # WHOLE_RUN or a split

    @property
    def gating(self) -> bool:
        return self.status == "gate"

    def describe(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f"≥ {self.min:g}")
        if self.max is not None:
            parts.append(f"≤ {self.max:g}")
        return ", ".join(parts)

    def check(self, value: float | None) -> tuple[bool, str]:
        """(passed, reason when it did not)."""
        if value is None:
            return False, "unmeasured"
        if self.min is not None and value < self.min:
            return False, f"{value:.4g} < {self.min:g}"
        if self.max is not None and value > self.max:
            return False, f"{value:.4g} > {self.max:g}"
        return True, ""


@dataclass(frozen=True)
class GateCheck:
    metric: str
    value: float | None
    threshold: Threshold
    passed: bool
    reason: str

    @property
    def failed_gate(self) -> bool:
        return self.threshold.gating and not self.passed

    def to_dict(self) -> dict[str, object]:
        return {
            "metric": self.metric,
            "split": self.threshold.scope or None,
            "status": self.threshold.status,
            "value": self.value,
            "min": self.threshold.min,
            "max": self.threshold.max,
            "passed": self.passed,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Thresholds:
    """Every threshold of a file, by scope (WHOLE_RUN for [gate]'s own metrics, else a
    split), in file order."""

    path: Path
    scopes: dict[str, list[Threshold]] = field(default_factory=dict)

    def of(self, scope: str) -> list[Threshold]:
        return self.scopes.get(scope, [])

    def require(self, scopes: Sequence[str]) -> None:
        """Raise unless the file has thresholds for at least one of ``scopes``."""
        if any(self.of(s) for s in scopes):
            return
        if scopes == (WHOLE_RUN,):
            raise InputError(
                f'{self.path}: needs metrics in its [gate] table, e.g. [gate] "recall@1" = '
                "{min = 0.90}, for a run of one question file.",
                zh=f'{self.path}：[gate] 表中需要指标，如 [gate] "recall@1" = {{min = 0.90}}，才能运行单个问题文件。',
            )
        tables = " / ".join(f"[gate.{s}]" for s in scopes)
        raise InputError(
            f"{self.path}: a manifest run is gated per split and needs {tables} tables, "
            'e.g. [gate.heldout] "quote_verbatim" = {min = 1.0}.',
            zh=f'{self.path}：按清单运行时按划分把关，需要 {tables} 表，如 [gate.heldout] "quote_verbatim" = {{min = 1.0}}。',
        )


def packaged_thresholds_path() -> Path:
    return Path(str(resources.files("eval") / PACKAGED_THRESHOLDS))


def load_thresholds(path: Path) -> Thresholds:
    name = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"thresholds file {name} does not exist; check --thresholds.",
            zh=f"阈值文件 {name} 不存在；请检查 --thresholds。",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read thresholds file {name} ({exc}).", zh=f"无法读取阈值文件 {name}（{exc}）。"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(
            f"{name}: not valid TOML ({exc}).", zh=f"{name}：不是有效的 TOML（{exc}）。"
        ) from None
    gate = data.get("gate")
    if not isinstance(gate, dict) or not gate:
        raise InputError(
            f'{name}: needs a [gate] table, e.g. [gate] "recall@1" = {{min = 0.90}}.',
            zh=f'{name}：需要 [gate] 表，如 [gate] "recall@1" = {{min = 0.90}}。',
        )
    out = Thresholds(Path(path))
    for key, spec in gate.items():
        if key in SPLITS:
            if not isinstance(spec, dict):
                raise InputError(
                    f"{name}: [gate.{key}] must be a table of metrics.",
                    zh=f"{name}：[gate.{key}] 必须是指标表。",
                )
            for metric, inner in spec.items():
                _add(out, name, key, metric, inner)
        else:
            _add(out, name, WHOLE_RUN, key, spec)
    return out


def _add(out: Thresholds, name: str, scope: str, metric: str, spec: Any) -> None:
    table = f"[gate.{scope}]" if scope else "[gate]"
    metric = ALIASES.get(metric, metric)
    if metric not in METRICS:
        raise InputError(
            f"{name}: unknown metric '{metric}' in {table}; use one of: {', '.join(METRICS)}"
            + (
                f" (or a split table: {', '.join(f'[gate.{s}]' for s in SPLITS)})."
                if not scope
                else "."
            ),
            zh=f"{name}：{table} 中有未知指标 '{metric}'；请用以下之一：{', '.join(METRICS)}"
            + (
                f"（或划分表：{', '.join(f'[gate.{s}]' for s in SPLITS)}）。" if not scope else "。"
            ),
        )
    specs = spec if isinstance(spec, list) and spec else [spec]
    for one in specs:
        out.scopes.setdefault(scope, []).append(_threshold(name, table, scope, metric, one))


def _threshold(name: str, table: str, scope: str, metric: str, spec: Any) -> Threshold:
    if (
        not isinstance(spec, dict)
        or not set(spec) - {"status"}
        or set(spec) - {"min", "max", "status"}
    ):
        raise InputError(
            f"{name}: {table} '{metric}' must be a table with min and/or max (and optionally "
            f'status = "gate" or "target"), e.g. {{min = 0.9}}; got {spec!r}.',
            zh=f'{name}：{table} \'{metric}\' 必须是含 min 和/或 max 的表（可另加 status = "gate" 或 "target"），如 {{min = 0.9}}；而不是 {spec!r}。',
        )
    status = spec.get("status", "gate")
    if status not in STATUSES:
        raise InputError(
            f"{name}: {table} '{metric}' status must be \"gate\" (fails the run) or "
            f'"target" (reported only), got {status!r}.',
            zh=f'{name}：{table} \'{metric}\' 的 status 必须是 "gate"（不达标则运行失败）或 "target"（只报告），而不是 {status!r}。',
        )
    bounds: dict[str, float] = {}
    for key in ("min", "max"):
        if key not in spec:
            continue
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(
                f"{name}: {table} '{metric}' {key} must be a number, got {value!r}.",
                zh=f"{name}：{table} '{metric}' 的 {key} 必须是数字，而不是 {value!r}。",
            )
        bounds[key] = float(value)
    return Threshold(metric, bounds.get("min"), bounds.get("max"), status, scope)


def apply_gate(
    metrics: dict[str, float | None], thresholds: Iterable[Threshold]
) -> list[GateCheck]:
    checks = []
    for threshold in thresholds:
        value = metrics.get(threshold.metric)
        passed, reason = threshold.check(value)
        checks.append(GateCheck(threshold.metric, value, threshold, passed, reason))
    return checks


def gate_passed(checks: Iterable[GateCheck]) -> bool:
    """The run's verdict: every gated threshold met (targets never fail it)."""
    return not any(c.failed_gate for c in checks)
