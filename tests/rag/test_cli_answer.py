"""ask / quote / chat through the real console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from ingest.store import Index
from rag.constants import PARTIAL_INTRO, PARTIAL_LABEL, REFUSAL_PHRASE

Cli = Callable[..., subprocess.CompletedProcess[str]]


def _env(index: Index) -> dict[str, str]:
    return {"SPEECHQA_STORE": str(index.settings.store)}


def test_ask_json(cli: Cli, bundled_index: Index) -> None:
    out = cli("ask", "一共开展了几次集中学习？", "--json", env=_env(bundled_index))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["refused"] is False and data["mode"] == "extractive"
    assert any(c["paragraph"] == 3 and c["verified"] for c in data["citations"])
    # The bundled speech has no title line: its title is the file name.
    assert data["title"] == "speech-2023-party-discipline"
    out = cli("ask", "一共开展了几次集中学习？", env=_env(bundled_index))
    assert "（出自《speech-2023-party-discipline》）" in out.stdout


def test_ask_json_has_confidence_and_outcome(cli: Cli, bundled_index: Index) -> None:
    out = cli("ask", "一共开展了几次集中学习？", "--json", env=_env(bundled_index))
    data = json.loads(out.stdout)
    assert data["outcome"] == "answered" and 0 <= data["confidence"] <= 1


def test_ask_refusal_text(cli: Cli, bundled_index: Index) -> None:
    out = cli("ask", "讲话人的办公电话是多少？", env=_env(bundled_index))
    assert out.returncode == 0 and REFUSAL_PHRASE in out.stdout
    assert "置信度" in out.stdout


def test_ask_partial_is_labelled(cli: Cli, bundled_index: Index) -> None:
    # Thresholds from the settings: everything below 0.999 is at most partial.
    env = {**_env(bundled_index), "SPEECHQA_ANSWER_ANSWER_ABOVE": "0.999",
           "SPEECHQA_ANSWER_REFUSE_BELOW": "0"}  # fmt: skip
    out = cli("ask", "一共开展了几次集中学习？", env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"〔{PARTIAL_LABEL}〕{PARTIAL_INTRO}")
    assert "[¶3]" in out.stdout
    data = json.loads(cli("ask", "一共开展了几次集中学习？", "--json", env=env).stdout)
    assert data["outcome"] == "partial" and data["refused"] is False
    assert data["answer"].startswith(PARTIAL_INTRO)
    assert all(c["verified"] for c in data["citations"])


def test_quote_markdown(cli: Cli, bundled_index: Index) -> None:
    out = cli("quote", "国之大者", "--markdown", env=_env(bundled_index))
    assert out.returncode == 0
    assert "（第12段）" in out.stdout and "国之大者：3 次" in out.stdout


def test_chat_reads_turns_from_stdin(bundled_index: Index) -> None:
    env = {**os.environ, **_env(bundled_index)}
    code = "import sys; from speechqa.cli import main; sys.exit(main(['chat']))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        input="2022年局党组处置了几起问题线索？\n对几人进行了函询？\n\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("[¶8]") >= 2


def test_ask_on_empty_index_says_to_ingest(cli: Cli, tmp_path: Any) -> None:
    out = cli("ask", "问题", env={"SPEECHQA_STORE": str(tmp_path)})
    assert out.returncode == 1
    assert "speechqa ingest" in out.stderr and "Traceback" not in out.stderr


def test_llm_mode_without_endpoint_exit_2(cli: Cli, bundled_index: Index) -> None:
    out = cli("ask", "问题", "--mode", "llm", env=_env(bundled_index))
    assert out.returncode == 2
    assert "SPEECHQA_LLM_MODEL" in out.stderr and len(out.stderr.strip().splitlines()) == 1


# Heavy modules a cold `speechqa ask` does without: the web UI, torch, and LangChain's
# vector-store, retriever and language-model machinery (langchain_chroma,
# langchain_core.retrievers, langchain_core.language_models.base: they pull in langsmith),
# kept for LangChain users of rag.retriever.HybridRetriever, the benchmark's baseline and
# LLM mode.
NOT_ON_THE_ASK_PATH = (
    "gradio",
    "torch",
    "sentence_transformers",
    "langchain_chroma",
    "langchain_core.retrievers",
    "langchain_core.language_models.base",
    "langsmith",
)


def test_ask_does_not_import_the_web_ui_or_torch(bundled_index: Index) -> None:
    code = (
        "import sys, io, contextlib\n"
        "from speechqa.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    rc = main(['ask', '一共开展了几次集中学习？'])\n"
        f"print(rc, *[m in sys.modules for m in {NOT_ON_THE_ASK_PATH!r}])\n"
    )
    env = {**os.environ, **_env(bundled_index)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.stdout.split() == ["0"] + ["False"] * len(NOT_ON_THE_ASK_PATH), out.stderr
