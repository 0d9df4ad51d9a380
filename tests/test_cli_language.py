"""The command line speaks the user's language (issue 13 §2): Chinese for a zh_* locale,
English otherwise, SPEECHQA_LANG=zh|en forcing one. The real CLI in a subprocess; every
error stays one line with exit code 2."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import helpers
import pytest

ZH_LOCALE = {"LANG": "zh_CN.UTF-8", "LC_ALL": None, "LC_MESSAGES": None, "SPEECHQA_LANG": None}
C_LOCALE = {"LANG": "C", "LC_ALL": None, "LC_MESSAGES": None, "SPEECHQA_LANG": None}


def one_line(proc: subprocess.CompletedProcess[str], prefix: str, *needles: str) -> str:
    """Exit code 2, exactly one line on stderr starting with ``prefix``, no traceback."""
    detail = f"exit {proc.returncode}\nstdout: {proc.stdout!r}\nstderr: {proc.stderr!r}"
    assert proc.returncode == 2, detail
    assert "Traceback" not in proc.stderr, detail
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, detail
    assert lines[0].startswith(prefix), detail
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def chinese(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    return one_line(proc, "speechqa: 错误: ", *needles)


def english(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    line = one_line(proc, "speechqa: error: ", *needles)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in line), line
    return line


def test_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing-speech.txt"
    args = ("ingest", missing, "--store", tmp_path / "store")
    chinese(helpers.run_cli(*args, env=ZH_LOCALE), str(missing), "文件不存在；请检查路径")
    english(helpers.run_cli(*args, env=C_LOCALE), "no such file; check the path")
    # SPEECHQA_LANG forces a language whatever the locale says.
    chinese(helpers.run_cli(*args, env={**C_LOCALE, "SPEECHQA_LANG": "zh"}), "文件不存在")
    english(helpers.run_cli(*args, env={**ZH_LOCALE, "SPEECHQA_LANG": "en"}), "no such file")


def test_an_unknown_document(tmp_path: Path) -> None:
    args = ("show", "nope", "--store", tmp_path / "store")
    chinese(helpers.run_cli(*args, env=ZH_LOCALE), "索引中没有文档 'nope'", "speechqa docs")
    english(helpers.run_cli(*args, env=C_LOCALE), "document 'nope' is not in the index")


def test_a_bad_setting_value(tmp_path: Path) -> None:
    bad = {"SPEECHQA_RETRIEVAL_TOP_K": "0", "SPEECHQA_STORE": tmp_path / "store"}
    chinese(
        helpers.run_cli("docs", env={**ZH_LOCALE, **bad}),
        "设置 retrieval.top_k（--top-k / SPEECHQA_RETRIEVAL_TOP_K）的值 '0' 无效：须不小于 1",
        "请改正或删除该设置",
    )
    english(
        helpers.run_cli("docs", env={**C_LOCALE, **bad}),
        "setting retrieval.top_k (--top-k / SPEECHQA_RETRIEVAL_TOP_K) = '0'",
        "fix the value or unset it",
    )


def test_a_bad_language_is_reported_in_the_locales_language(tmp_path: Path) -> None:
    env = {**ZH_LOCALE, "SPEECHQA_LANG": "fr", "SPEECHQA_STORE": tmp_path / "store"}
    chinese(helpers.run_cli("docs", env=env), "SPEECHQA_LANG", "'fr'", "须为 'zh' 或 'en' 之一")
    env = {**C_LOCALE, "SPEECHQA_LANG": "fr", "SPEECHQA_STORE": tmp_path / "store"}
    english(helpers.run_cli("docs", env=env), "SPEECHQA_LANG", "'fr'")


def test_progress_and_summaries_follow_the_language(tmp_path: Path) -> None:
    store = tmp_path / "store"
    zh = helpers.run_cli("docs", "--store", store, env=ZH_LOCALE)
    assert zh.returncode == 0 and zh.stdout.startswith("索引中还没有文档"), zh
    en = helpers.run_cli("docs", "--store", store, env=C_LOCALE)
    assert en.returncode == 0 and en.stdout.startswith("No documents yet"), en
    zh = helpers.run_cli("gc", "--store", store, env=ZH_LOCALE)
    assert zh.returncode == 0 and "合计已清理孤立检索块 0 个、未用向量 0 个" in zh.stdout, zh
    en = helpers.run_cli("gc", "--store", store, env=C_LOCALE)
    assert en.returncode == 0 and "in all removed orphan chunks 0, unused vectors 0" in en.stdout, (
        en
    )


def test_argparse_complaints_in_chinese(tmp_path: Path) -> None:
    args = ("ask", "问题", "--top-k", "x", "--store", tmp_path / "store")
    chinese(helpers.run_cli(*args, env=ZH_LOCALE), "参数 --top-k 的值 'x' 无效（应为整数）")
    english(helpers.run_cli(*args, env=C_LOCALE), "argument --top-k: invalid int value: 'x'")
    chinese(helpers.run_cli("show", env=ZH_LOCALE), "缺少必需的参数：doc", "speechqa show --help")


@pytest.mark.server
def test_a_busy_port_names_both_ways_to_change_it(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = ("serve", "--port", port, "--store", tmp_path / "store")
        zh = helpers.run_cli(*args, env=ZH_LOCALE, timeout=180)
        en = helpers.run_cli(*args, env={**ZH_LOCALE, "SPEECHQA_LANG": "en"}, timeout=180)
    chinese(zh, f"127.0.0.1:{port}", "端口已被占用", "--port N", "make run PORT=N")
    english(en, f"cannot listen on 127.0.0.1:{port}", "--port N", "make run PORT=N")
