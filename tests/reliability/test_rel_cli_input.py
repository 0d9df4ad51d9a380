"""Bad values from the command line and the environment: one line that names the
setting, the value and what is allowed, exit code 2; arguments that are not UTF-8
likewise; credentials in URL settings never shown. Real console script."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import helpers
import pytest
from helpers import assert_one_line_error

from speechqa.settings import Settings, mask_url

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.mark.parametrize(
    ("args", "env", "needles"),
    [
        (["ask", "问题", "--top-k", "-5"], {}, ["retrieval.top_k", "--top-k", "-5"]),
        (["ask", "问题", "--top-k", "0"], {}, ["retrieval.top_k", "0"]),
        (["ask", "问题", "--top-k", "500"], {}, ["retrieval.top_k", "500"]),
        (["ask", "问题"], {"SPEECHQA_RETRIEVAL_TOP_K": "abc"}, ["SPEECHQA_RETRIEVAL_TOP_K", "abc"]),
        (["docs"], {"SPEECHQA_MAX_FILE_MB": "-1"}, ["max_file_mb", "SPEECHQA_MAX_FILE_MB", "-1"]),
        (["docs"], {"SPEECHQA_LLM_DEADLINE_S": "0"}, ["llm.deadline_s", "0"]),
        (["docs"], {"SPEECHQA_ANSWER_MODE": "magic"}, ["answer.mode", "magic"]),
        (["ask", "问题", "--top-k", "abc"], {}, ["--top-k", "abc"]),
        (["quote", "纪律", "--limit", "0"], {}, ["--limit", "0"]),
        (["ask"], {}, ["question"]),
        (["no-such-command"], {}, ["no-such-command"]),
    ],
    ids=[
        "top-k-negative",
        "top-k-zero",
        "top-k-too-big",
        "env-top-k-text",
        "env-max-file-negative",
        "env-deadline-zero",
        "env-mode-unknown",
        "top-k-text",
        "limit-zero",
        "missing-question",
        "unknown-command",
    ],
)
def test_bad_value_is_one_line_exit_2(
    cli: Cli, tmp_path: Path, args: list[str], env: dict[str, str], needles: list[str]
) -> None:
    proc = cli(*args, env={"SPEECHQA_STORE": str(tmp_path), **env}, timeout=120)
    line = assert_one_line_error(proc, *needles, code=2)
    assert "validation error" not in line and "pydantic" not in line


def test_argument_that_is_not_utf8(tmp_path: Path) -> None:
    """Raw bytes that are not UTF-8 (a GBK terminal, a broken script): exit 2, one line."""
    proc = subprocess.run(
        [*(os.fsencode(a) for a in helpers.speechqa_command()), b"ask", "问题".encode("gbk")],
        capture_output=True,
        env=helpers.subprocess_env({"SPEECHQA_STORE": str(tmp_path)}),
        timeout=120,
        check=False,
    )
    text = subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )
    assert_one_line_error(text, "UTF-8", code=2)


# ---- credentials in URLs ---------------------------------------------------------------
SECRET_URL = "http://alice:sk-very-secret@127.0.0.1:9/v1"


def test_mask_url() -> None:
    assert mask_url(SECRET_URL) == "http://***@127.0.0.1:9/v1"
    assert mask_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert mask_url("https://token@host/a@b") == "https://***@host/a@b"
    assert mask_url(None) is None


def test_public_settings_mask_every_url() -> None:
    settings = Settings(
        chroma_url=SECRET_URL,
        llm={"base_url": SECRET_URL, "model": "m"},
        embedder={"base_url": SECRET_URL},
    )
    dumped = repr(settings.public_dict())
    assert "sk-very-secret" not in dumped and "alice" not in dumped
    assert dumped.count("***@127.0.0.1:9") == 3


def test_settings_panel_masks_the_endpoint_credentials(tmp_path: Path) -> None:
    from ui.app import Backend, llm_html

    settings = Settings(store=tmp_path, llm={"base_url": SECRET_URL, "model": "m"})
    assistant = SimpleNamespace(llm_state="ready")
    html = llm_html(Backend(assistant, settings))  # type: ignore[arg-type]
    assert "sk-very-secret" not in html and "alice" not in html
    assert "127.0.0.1:9" in html


def test_chroma_error_masks_the_credentials(cli: Cli, tmp_path: Path) -> None:
    port = helpers.free_port()
    url = f"http://bob:pw-very-secret@127.0.0.1:{port}"
    proc = cli("docs", env={"SPEECHQA_STORE": str(tmp_path), "SPEECHQA_CHROMA_URL": url})
    line = assert_one_line_error(proc, "Chroma")
    assert "pw-very-secret" not in proc.stderr + proc.stdout
    assert "bob" not in line
