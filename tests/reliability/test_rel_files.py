"""Files a careless or hostile user hands to ingest: only regular files are read, a
read never runs past the size limit whatever ``stat`` says, and text that holds
nothing visible counts as blank. Real FIFOs, real device symlinks, real /proc files.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
from helpers import assert_one_line_error

from ingest.load import is_blank, load_bytes, load_path
from speechqa.errors import DocumentError

LIMIT = 1_000_000


def refused(path: Path, *needles: str, limit: int = LIMIT) -> str:
    """load_path refuses ``path`` with a one-line DocumentError naming it; returns it."""
    with pytest.raises(DocumentError) as err:
        load_path(path, limit)
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message
    for needle in needles:
        assert needle in message, message
    assert err.value.exit_code == 2
    return message


def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "speech.txt"
    os.mkfifo(fifo)
    started = time.monotonic()
    refused(fifo, "FIFO")
    assert time.monotonic() - started < 5  # opening a FIFO for reading would block forever


def test_symlink_to_dev_zero_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.txt"
    link.symlink_to("/dev/zero")
    assert link.stat().st_size == 0  # the size check alone would let it through
    refused(link, "device")


def test_symlink_to_dev_null_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "null.md"
    link.symlink_to("/dev/null")
    refused(link, "device")


def test_proc_file_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "status.txt"
    link.symlink_to("/proc/self/status")
    assert link.stat().st_size == 0  # /proc files claim size 0
    refused(link, "/proc")


def test_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sock.txt"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
        refused(path, "socket")


def test_dangling_symlink_is_missing(tmp_path: Path) -> None:
    link = tmp_path / "gone.txt"
    link.symlink_to(tmp_path / "nowhere.txt")
    refused(link, "no such file")


def test_read_stops_at_the_limit_for_a_growing_file(tmp_path: Path) -> None:
    """A file that grows after stat (a log being written) is read to limit + 1 and
    refused, not read to its end."""
    path = tmp_path / "growing.txt"
    path.write_text("同志们：\n", encoding="utf-8")
    stop = threading.Event()

    def grow() -> None:
        with open(path, "ab") as fh:
            while not stop.is_set():
                fh.write("增长的一行文字。\n".encode() * 10_000)
                fh.flush()

    writer = threading.Thread(target=grow, daemon=True)
    writer.start()
    try:
        while path.stat().st_size < 3 * 1000:
            time.sleep(0.01)
        with pytest.raises(DocumentError, match="over the"):
            load_path(path, 2000)
    finally:
        stop.set()
        writer.join(timeout=10)


def test_file_at_the_limit_is_read_and_one_byte_more_is_not(tmp_path: Path) -> None:
    body = "同志们：\n".encode()
    at = tmp_path / "at.txt"
    at.write_bytes(body * 10)
    assert load_path(at, len(body) * 10).text.startswith("同志们")
    over = tmp_path / "over.txt"
    over.write_bytes(body * 10 + b"x")
    refused(over, "over the", limit=len(body) * 10)


@pytest.mark.parametrize(
    "text",
    [
        "\u200b\u200b\n\u200b",
        "\ufeff\ufeff\ufeff",
        "\u200c\u200d\u2060\n\u200e\u200f\n",
        " \u3000\u200b\t\n",
        "\u2028\u2029",
    ],
    ids=["zwsp", "bom", "joiners-marks", "mixed-space", "line-separators"],
)
def test_invisible_only_text_is_blank(tmp_path: Path, text: str) -> None:
    assert is_blank(text)
    path = tmp_path / "invisible.txt"
    path.write_text(text, encoding="utf-8")
    refused(path, "blank")
    with pytest.raises(DocumentError, match="blank"):
        load_bytes(text.encode("utf-16"), "invisible-utf16.txt")


def test_visible_text_with_zero_width_characters_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "ok.txt"
    path.write_text("同\u200b志们：\n\ufeff讲话正文。\n", encoding="utf-8")
    assert not is_blank(path.read_text(encoding="utf-8"))
    assert "讲话正文" in load_path(path, LIMIT).text


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.txt"
    path.write_text("同志们：\n", encoding="utf-8")
    path.chmod(0)
    try:
        refused(path, "permissions")
    finally:
        path.chmod(0o644)


def test_cli_batch_with_a_fifo_and_a_device_link_fails_in_one_line(
    tmp_path: Path, cli: object
) -> None:
    """Through the real console script: no hang, one line, exit 2, nothing written."""
    good = tmp_path / "good.txt"
    good.write_text("同志们：\n这是一篇讲话。\n", encoding="utf-8")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.txt"
    zero.symlink_to("/dev/zero")
    store = tmp_path / "store"
    env = {"SPEECHQA_STORE": str(store)}
    for bad in (fifo, zero):
        proc = cli("ingest", "--quiet", good, bad, env=env, timeout=120)  # type: ignore[operator]
        assert_one_line_error(proc, bad.name, code=2)
    docs = cli("docs", "--json", env=env)  # type: ignore[operator]
    assert docs.returncode == 0 and docs.stdout.strip() == "[]", docs.stderr
