"""`speechqa bench --sizes 1 --quick` end to end: the real pipelines, the real
embedder, subprocess workers, cold asks and (once the web UI exists) the server.
No timing is asserted: only that every figure is measured and reported."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import helpers
import pytest

REQUIRED = (
    "ingest_paragraphs_per_s",
    "retrieval_p95_ms",
    "answer_p95_ms",
    "recall_at_1_tuning",
    "peak_rss_mb",
)


@pytest.mark.server
def test_bench_size_one_writes_json_markdown_and_plots(
    cli: Callable[..., CompletedProcess[str]], tmp_path: Path
) -> None:
    out = tmp_path / "bench"
    proc = cli("bench", "--sizes", "1", "--quick", "--out", out, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]

    result = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert result["meta"]["cpu_count"] >= 1
    [row] = result["sizes"]
    assert row["size"] == 1 and row["embedding"] == "real"
    for side in ("ours", "baseline"):
        for key in REQUIRED:
            value = row[side][key]
            assert isinstance(value, int | float) and value > 0, (side, key, value)
        for split in ("tuning", "heldout"):
            assert 0 < row[side][f"recall_at_1_{split}"] <= 1, (side, split)
            assert 0 < row[side][f"doc_recall_at_1_{split}"] <= 1, (side, split)
            assert row[side][f"questions_{split}"] > 0
        assert row[side]["paragraphs"] == 18
        assert row[side]["cold_ask_p50_s"] > 0, row[side].get("cold_ask_error")
    ours = row["ours"]
    # Every unit is embedded (18 paragraphs + 55 sentences), paragraphs alone indexed.
    assert (ours["chunks"], ours["texts_embedded"]) == (18, 73)
    assert ours["cold_ask_after_change_s"] > 0  # the first process after an ingest, apart
    assert ours["reingest_unchanged_embedded"] == 0  # nothing new: nothing embedded again
    assert ours["reingest_one_changed_embedded"] >= 1
    for key in REQUIRED:
        assert row["ratios"][key] == pytest.approx(row["ours"][key] / row["baseline"][key])
    # The server is measured, or its absence is said.
    assert ours["server_first_answer_s"] or ours["server_note"]
    grid = result["embedder"]["grid"]
    assert grid and all(g["texts_per_s"] > 0 for g in grid)
    assert {t["name"] for t in result["targets"]} >= {"answer p95 on the single speech"}

    md = (out / "bench.md").read_text(encoding="utf-8")
    assert "| figure | 1 doc |" in md
    assert "| retrieval (fused) p95, ms |" in md
    assert "| recall@1, tuning questions |" in md and "| recall@1, held-out questions |" in md
    assert result["meta"]["corpus"]["originals"][0]["id"] == helpers.SPEECH_ID
    for png in ("latency.png", "throughput.png", "startup.png"):
        assert f"]({png})" in md
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_rejects_bad_sizes_and_parts(
    cli: Callable[..., CompletedProcess[str]], tmp_path: Path
) -> None:
    proc = cli("bench", "--sizes", "1,ten", "--out", tmp_path)
    helpers.assert_one_line_error(proc, "--sizes", code=2)
    proc = cli("bench", "--sizes", "0", "--out", tmp_path)
    helpers.assert_one_line_error(proc, "--sizes", code=2)
    proc = cli("bench", "--sizes", "1", "--skip", "everything", "--out", tmp_path)
    helpers.assert_one_line_error(proc, "--skip", code=2)
    assert not (tmp_path / "bench.json").exists()
