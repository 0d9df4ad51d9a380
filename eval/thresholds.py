"""The gate: thresholds read from TOML and checked against a summary's metrics.

Format::

    [gate]
    "recall@1" = {min = 0.90}
    "refusal_false" = {max = 0.05}

A metric that could not be measured (null, e.g. no unanswerable question in the
file) cannot pass its threshold.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
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
    "citation_precision",
    "citation_recall",
    "citation_f1",
    "quote_verbatim",
    "answer_key_recall",
    "refusal_correct",
    "refusal_false",
    "partial_answerable",
    "partial",
    "latency_p50_ms",
    "latency_p95_ms",
)
PACKAGED_THRESHOLDS = "thresholds.toml"


@dataclass(frozen=True)
class Threshold:
    metric: str
    min: float | None = None
    max: float | None = None

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

    def to_dict(self) -> dict[str, object]:
        return {
            "metric": self.metric,
            "value": self.value,
            "min": self.threshold.min,
            "max": self.threshold.max,
            "passed": self.passed,
            "reason": self.reason,
        }


def packaged_thresholds_path() -> Path:
    return Path(str(resources.files("eval") / PACKAGED_THRESHOLDS))


def load_thresholds(path: Path) -> dict[str, Threshold]:
    name = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"thresholds file {name} does not exist; check --thresholds.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read thresholds file {name} ({exc}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{name}: not valid TOML ({exc}).") from None
    gate = data.get("gate")
    if not isinstance(gate, dict) or not gate:
        raise InputError(f'{name}: needs a [gate] table, e.g. [gate] "recall@1" = {{min = 0.90}}.')
    out: dict[str, Threshold] = {}
    for metric, spec in gate.items():
        if metric not in METRICS:
            raise InputError(
                f"{name}: unknown metric '{metric}' in [gate]; use one of: {', '.join(METRICS)}."
            )
        out[metric] = _threshold(name, metric, spec)
    return out


def _threshold(name: str, metric: str, spec: Any) -> Threshold:
    if not isinstance(spec, dict) or not spec or set(spec) - {"min", "max"}:
        raise InputError(
            f"{name}: [gate] '{metric}' must be a table with min and/or max, "
            f"e.g. {{min = 0.9}}; got {spec!r}."
        )
    bounds: dict[str, float] = {}
    for key, value in spec.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{name}: [gate] '{metric}' {key} must be a number, got {value!r}.")
        bounds[key] = float(value)
    return Threshold(metric, bounds.get("min"), bounds.get("max"))


def apply_gate(
    metrics: dict[str, float | None], thresholds: dict[str, Threshold]
) -> list[GateCheck]:
    checks = []
    for metric, threshold in thresholds.items():
        value = metrics.get(metric)
        passed, reason = threshold.check(value)
        checks.append(GateCheck(metric, value, threshold, passed, reason))
    return checks
