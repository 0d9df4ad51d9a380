"""``speechqa serve`` as ``make run`` starts it: a real process on a free loopback
port that prints its URL, asks for a login when SPEECHQA_AUTH is set, refuses a
busy port in one line, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import queue
import signal
import socket
import subprocess
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import helpers
import pytest
from helpers import free_port

pytestmark = pytest.mark.server


class ServeProcess:
    def __init__(
        self,
        store: Path,
        port: int,
        env: dict[str, str] | None = None,
        ignore_sigint: bool = False,
    ) -> None:
        self.port = port
        self.lines: queue.Queue[str] = queue.Queue()
        self.proc = subprocess.Popen(
            [*helpers.speechqa_command(), "serve", "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=helpers.subprocess_env({"SPEECHQA_STORE": store, **(env or {})}),
            # As a script's background job starts it: SIGINT ignored, inherited by exec.
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
            if ignore_sigint
            else None,
        )
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for_line(self, needle: str, timeout: float = 120) -> str:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line with {needle!r} in {timeout} s") from None
            if needle in line:
                return line

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                return self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait(timeout=30)


@pytest.fixture
def serve_process(tmp_path: Path) -> Iterator[Callable[..., ServeProcess]]:
    started: list[ServeProcess] = []

    def start(ignore_sigint: bool = False, **env: str) -> ServeProcess:
        p = ServeProcess(tmp_path / "store", free_port(), env, ignore_sigint)
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()


def test_serve_prints_its_url_and_requires_the_login(
    serve_process: Callable[..., ServeProcess],
) -> None:
    from gradio_client import Client

    server = serve_process(SPEECHQA_AUTH="staff:pa:ss", SPEECHQA_LANG="zh")  # its lines in Chinese
    line = server.wait_for_line("讲话问答已启动")
    url = f"http://127.0.0.1:{server.port}/"
    assert url in line and "需要登录，用户名 staff" in line
    assert "pa:ss" not in line

    with urllib.request.urlopen(url, timeout=10) as resp:  # the login page
        assert resp.status == 200
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises several types here
        Client(url, verbose=False).predict(
            "一共开展了几次集中学习？", "extractive", api_name="/ask"
        )
    client = Client(url, auth=("staff", "pa:ss"), verbose=False)
    # Logged in: the empty store answers with its own one-line error, not a 401.
    with pytest.raises(Exception, match="the index is empty"):
        client.predict("一共开展了几次集中学习？", "extractive", api_name="/ask")

    assert server.stop() == 0
    assert server.proc.stderr is not None
    err = server.proc.stderr.read()
    assert "Traceback" not in err and "讲话问答已停止" in err


def test_ctrl_c_stops_a_server_started_with_sigint_ignored(
    serve_process: Callable[..., ServeProcess],
) -> None:
    server = serve_process(ignore_sigint=True)
    server.wait_for_line("speechqa is running")
    assert server.stop() == 0  # SIGINT, not a kill after 30 s
    assert server.proc.stderr is not None
    assert "speechqa stopped." in server.proc.stderr.read()


def test_busy_port_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = helpers.run_cli(
            "serve", "--port", port, env={"SPEECHQA_STORE": tmp_path / "store"}, timeout=180
        )
    helpers.assert_one_line_error(proc, f"cannot listen on 127.0.0.1:{port}", "--port", code=2)
