"""THE GATE: the full packaged question set (eval/questions.jsonl) through the real
extractive answerer must meet the packaged thresholds (eval/thresholds.toml), the
targets of issue 5. This is the evaluation `make test` runs; it fails while the
answerer misses a target. Never lower a threshold to make it pass."""

from __future__ import annotations

import json
from pathlib import Path

import helpers


def test_gate_full_question_set_meets_the_issue_targets(eval_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval-out"
    proc = helpers.run_cli("eval", "--out", out, env={"SPEECHQA_STORE": eval_store}, timeout=900)
    assert proc.returncode in (0, 1), proc.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["questions"] == 108
    assert summary["answerer"]["mode"] == "extractive"
    failing = [c for c in summary["gate"]["checks"] if not c["passed"]]
    assert proc.returncode == 0, (
        "gate missed: "
        + "; ".join(f"{c['metric']} {c['reason']}" for c in failing)
        + f"\n{proc.stdout}\nfailing questions: see {out / 'report.md'}"
    )
    assert not failing
