"""``speechqa ask --mode llm`` as a user runs it: the console script in a subprocess,
configured by environment variables, talking to the scripted server on loopback."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest
from fake_openai import API_KEY, MODEL, FakeOpenAI
from helpers import assert_one_line_error, free_port

from ingest.store import Index
from rag.constants import LLM_FALLBACK_NOTICE
from speechqa.settings import Settings

QUESTION = "一共开展了几次集中学习？"
GOOD = (
    "局党组组织开展集中学习30余次[¶3]。原文是：「组织理论中心组、各级党支部集中学习30余次」[¶3]。"
)
Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def store_env(bundled_index: Index) -> dict[str, str]:
    """The session's bundled store (read only: ask never writes)."""
    return {"SPEECHQA_STORE": str(bundled_index.settings.store)}


def assert_clean(proc: subprocess.CompletedProcess[str]) -> None:
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, proc.stderr
    assert API_KEY not in out and "SECRET" not in out


def test_ask_llm_json(cli: Cli, fake: FakeOpenAI, store_env: dict[str, str]) -> None:
    fake.push({"text": GOOD, "stream_chunks": 5})
    env = {
        **store_env,
        "SPEECHQA_LLM_BASE_URL": fake.base_url,
        "SPEECHQA_LLM_MODEL": MODEL,
        "SPEECHQA_LLM_API_KEY": API_KEY,
    }
    proc = cli("ask", QUESTION, "--mode", "llm", "--json", env=env)

    assert proc.returncode == 0, proc.stderr
    assert_clean(proc)
    result = json.loads(proc.stdout)
    assert result["mode"] == "llm" and result["notice"] is None
    assert result["answer"] == GOOD
    quoted = [c for c in result["citations"] if c["quote"]]
    assert [(c["paragraph"], c["verified"]) for c in quoted] == [(3, True)]
    (req,) = fake.chat_requests
    assert req.headers["authorization"] == f"Bearer {API_KEY}"


def test_ask_llm_endpoint_down_falls_back(cli: Cli, store_env: dict[str, str]) -> None:
    env = {
        **store_env,
        "SPEECHQA_LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "SPEECHQA_LLM_MODEL": MODEL,
        "SPEECHQA_LLM_API_KEY": API_KEY,
        "SPEECHQA_LLM_MAX_RETRIES": "1",
        "SPEECHQA_LLM_BACKOFF_S": "0.01",
    }
    proc = cli("ask", QUESTION, "--mode", "llm", "--json", env=env)

    assert proc.returncode == 0, proc.stderr
    assert_clean(proc)
    result = json.loads(proc.stdout)
    assert result["mode"] == "extractive"
    assert result["notice"].startswith(LLM_FALLBACK_NOTICE.split("{reason}")[0])
    assert "无法连接" in result["notice"]
    assert result["citations"] and all(c["verified"] for c in result["citations"])
    assert 3 in {c["paragraph"] for c in result["citations"]}

    # The same as text: the notice comes first, still no traceback and no key.
    text = cli("ask", QUESTION, "--mode", "llm", env=env)
    assert text.returncode == 0, text.stderr
    assert_clean(text)
    assert text.stdout.startswith(result["notice"])


def test_ask_llm_without_endpoint_is_a_config_error(cli: Cli, store_env: dict[str, str]) -> None:
    proc = cli("ask", QUESTION, "--mode", "llm", env=store_env)
    assert_one_line_error(proc, "SPEECHQA_LLM_MODEL", "SPEECHQA_LLM_BASE_URL", code=2)
    assert proc.stdout == ""


def test_openai_environment_variables_are_honoured(
    cli: Cli, fake: FakeOpenAI, store_env: dict[str, str]
) -> None:
    fake.push({"text": GOOD})
    env = {
        **store_env,
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_API_KEY": API_KEY,
        "SPEECHQA_LLM_MODEL": MODEL,
    }
    proc = cli("ask", QUESTION, "--mode", "llm", "--json", env=env)

    assert proc.returncode == 0, proc.stderr
    assert_clean(proc)
    assert json.loads(proc.stdout)["mode"] == "llm"
    (req,) = fake.chat_requests
    assert req.headers["authorization"] == f"Bearer {API_KEY}"
    assert (req.body or {})["model"] == MODEL


def test_settings_fall_back_to_openai_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-openai-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("SPEECHQA_LLM_MODEL", MODEL)
    settings = Settings()
    assert settings.llm_api_key() == "sk-from-openai-env"
    assert settings.llm_base_url() == "http://127.0.0.1:9/v1"
    assert settings.llm_configured()
    # Never in the settings' public form.
    assert "sk-from-openai-env" not in json.dumps(settings.public_dict())

    # SPEECHQA_LLM_* win over OPENAI_*.
    monkeypatch.setenv("SPEECHQA_LLM_API_KEY", API_KEY)
    monkeypatch.setenv("SPEECHQA_LLM_BASE_URL", "http://127.0.0.1:10/v1")
    settings = Settings()
    assert settings.llm_api_key() == API_KEY
    assert settings.llm_base_url() == "http://127.0.0.1:10/v1"
    assert API_KEY not in json.dumps(settings.public_dict())


def test_no_model_means_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-openai-env")
    assert not Settings().llm_configured()
    from speechqa.factory import build_chat_model

    assert build_chat_model(Settings()) is None
