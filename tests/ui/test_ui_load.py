"""Twenty users at once get answers, with no errors (eval/bench/load_ui.py, one round).
The latencies it measures are reported by the benchmark, never asserted here."""

from __future__ import annotations

import pytest
from ui_harness import Served

from eval.bench import load_ui as bench

pytestmark = pytest.mark.server


def test_twenty_concurrent_users_all_get_answers(ui_server: Served) -> None:
    result = bench.run(ui_server.url, users=20, rounds=1, timeout_s=120, deadline_s=300)
    assert result.errors == 0, result.error_samples
    assert result.ok == 20
    assert 0 < result.refused < 20  # the mix holds both answers and refusals
    assert result.p50_ms is not None and result.p95_ms is not None


def test_load_script_only_targets_loopback() -> None:
    with pytest.raises(SystemExit, match="only loopback"):
        bench.check_loopback("http://192.168.1.5:7860/")
    bench.check_loopback("http://127.0.0.1:7860/")
    assert bench.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert bench.percentile([], 95) is None
