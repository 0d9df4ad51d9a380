"""The optional LLM-judged faithfulness score. The LLM is faked at the protocol
boundary: the scripted OpenAI-compatible server of tests/fake_openai.py on loopback, reached by
the real ChatOpenAI from ``speechqa.factory.build_chat_model``."""

from __future__ import annotations

import json
from pathlib import Path

import helpers
import pytest
from fake_openai import API_KEY, MODEL, FakeOpenAI

from eval.judge import JUDGE_PROMPT, Judge, parse_score
from speechqa.factory import build_chat_model
from speechqa.settings import Settings


def judge_for(fake: FakeOpenAI) -> Judge:
    settings = Settings(
        llm={"model": MODEL, "api_key": API_KEY, "base_url": fake.base_url, "timeout_s": 5.0}
    )
    assert settings.llm_configured()
    return Judge(build_chat_model(settings))


EVIDENCE = [(8, "2022年局党组共处置问题线索2起，对2人函询、1人行政处分。")]


@pytest.mark.parametrize(
    ("reply", "score"),
    [("0.8", 0.8), ("比例：1", 1.0), ("0.75。", 0.75), ("0", 0.0), ("1.0", 1.0),
     ("大约80%", None), ("1.5", None), ("10", None), ("", None)],
)  # fmt: skip
def test_parse_score(reply: str, score: float | None) -> None:
    assert parse_score(reply) == score


def test_the_score_is_the_mean_of_three_runs_with_a_fixed_seed(fake: FakeOpenAI) -> None:
    fake.push({"text": "0.8"}, {"text": "1"}, {"text": "0.6"})
    result = judge_for(fake).judge("处置了几起问题线索？", "「处置问题线索2起」[¶8]", EVIDENCE)
    assert result.runs == (0.8, 1.0, 0.6)
    assert result.score == pytest.approx(0.8)
    requests = fake.chat_requests
    assert len(requests) == 3
    assert all((r.body or {}).get("seed") == 0 for r in requests)
    prompt = requests[0].message("user")
    assert "[¶8] 2022年局党组共处置问题线索2起" in prompt
    assert JUDGE_PROMPT.split("\n")[0] in prompt


def test_a_failed_run_is_unmeasured_not_zero(fake: FakeOpenAI) -> None:
    fake.push({"status": 500}, {"text": "0.5"}, {"text": "无法判断"})
    result = judge_for(fake).judge("问", "答 [¶8]", EVIDENCE)
    assert result.runs == (None, 0.5, None)
    assert result.score == 0.5
    fake.push({"status": 500}, {"status": 401}, {"text": "不知道"})
    result = judge_for(fake).judge("问", "答 [¶8]", EVIDENCE)
    assert result.score is None
    assert result.to_dict()["status"] == "unmeasured"


def test_eval_with_an_llm_configured_records_faithfulness_and_never_gates(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    """Also: an empty store gets the bundled speech ingested first."""
    questions = tmp_path / "q.jsonl"
    rows = [
        {"id": "j1", "question": "2022年局党组共处置问题线索多少起？", "gold_paragraphs": [8],
         "answer_keys": ["2起"], "kind": "number"},
        {"id": "j2", "question": "讲话对疫情防控提出了什么要求？", "gold_paragraphs": [],
         "kind": "unanswerable"},
    ]  # fmt: skip
    questions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    fake.push({"text": "0.9"}, {"text": "0.9"}, {"text": "0.9"})  # later requests get HTTP 500
    out = tmp_path / "out"
    env = {
        "SPEECHQA_STORE": tmp_path / "empty-store",
        "SPEECHQA_LLM_MODEL": MODEL,
        "SPEECHQA_LLM_BASE_URL": fake.base_url,
        "SPEECHQA_LLM_API_KEY": API_KEY,
        "SPEECHQA_LLM_TIMEOUT_S": "5",
        "SPEECHQA_LANG": "zh",  # progress in the user's language: this test reads Chinese
    }
    proc = helpers.run_cli(
        "eval", "--questions", questions, "--out", out, "--thresholds",
        helpers.ROOT / "eval" / "thresholds.toml", env=env,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    assert "导入内置讲话" in proc.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    first = results[0]
    assert not first["refused"], first["answer"]
    assert first["faithfulness"] == {"score": 0.9, "runs": [0.9, 0.9, 0.9], "status": "measured"}
    second = results[1]
    if second["refused"]:
        assert second["faithfulness"] is None  # refusals are not judged
        assert summary["faithfulness"]["unmeasured"] == 0
    else:
        assert second["faithfulness"]["status"] == "unmeasured"
        assert summary["faithfulness"]["unmeasured"] == 1
    assert summary["faithfulness"]["score"] == 0.9
    assert summary["judge"]["used"] is True
    assert "faithfulness" not in summary["metrics"]
    assert all(c["metric"] != "faithfulness" for c in summary["gate"]["checks"])
    for name in ("summary.json", "results.json", "report.md", "report.html"):
        assert API_KEY not in (out / name).read_text(encoding="utf-8"), name
    assert API_KEY not in proc.stdout + proc.stderr
