"""The root conftest's network guard: loopback and AF_UNIX work, nothing else does,
in the pytest process and in the subprocesses the helpers start.

The refused addresses are TEST-NET-1 (192.0.2.0/24, never routed) and the .invalid
top-level domain, so even a broken guard would not reach a real host.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import helpers
import netguard
import pytest


def test_environment_is_clean_and_offline() -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert os.environ["ANONYMIZED_TELEMETRY"] == "False"
    assert "OPENAI_API_KEY" not in os.environ
    assert "OPENAI_BASE_URL" not in os.environ
    # every SPEECHQA_* setting is cleared; only the language is pinned (English messages)
    assert [k for k in os.environ if k.startswith("SPEECHQA_")] == ["SPEECHQA_LANG"]
    assert os.environ["SPEECHQA_LANG"] == "en"
    assert "speechqa-test-xdg-" in os.environ["XDG_DATA_HOME"]


@pytest.mark.parametrize(
    "call",
    [
        lambda: socket.create_connection(("192.0.2.1", 80), timeout=0.5),
        lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(("192.0.2.1", 80)),
        lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect_ex(("192.0.2.1", 80)),
        lambda: socket.socket(socket.AF_INET6, socket.SOCK_STREAM).connect(
            ("2001:db8::1", 80, 0, 0)
        ),
        lambda: socket.getaddrinfo("example.invalid", 443),
    ],
    ids=["create_connection", "connect", "connect_ex", "connect-ipv6", "getaddrinfo"],
)
def test_outside_addresses_are_refused(call: Callable[[], object]) -> None:
    before = len(netguard.blocked)
    with pytest.raises(RuntimeError, match="network blocked in tests"):
        call()
    assert len(netguard.blocked) == before + 1
    del netguard.blocked[before:]  # expected here; the session summary lists only surprises


def test_loopback_and_unix_sockets_work(tmp_path: Path) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    got: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            got.append(conn.recv(5))

    thread = threading.Thread(target=serve)
    thread.start()
    with socket.create_connection(("localhost", port), timeout=5) as c:
        c.sendall(b"hello")
    thread.join(5)
    server.close()
    assert got == [b"hello"]

    assert socket.getaddrinfo("127.0.0.1", 80)
    a, b = socket.socketpair(socket.AF_UNIX)
    with a, b:
        a.sendall(b"x")
        assert b.recv(1) == b"x"
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(path)
        listener.listen()
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)


def test_subprocesses_carry_the_guard() -> None:
    code = (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('192.0.2.1', 80), timeout=0.5)\n"
        "except RuntimeError as e:\n"
        "    print(e)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=helpers.subprocess_env(),
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("network blocked in tests: ('192.0.2.1', 80)")


def test_netguard_loopback_classification() -> None:
    for host in (
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "[::1]",
        "localhost",
        "LOCALHOST.",
        "::ffff:127.0.0.1",
    ):
        assert netguard.is_loopback(host), host
    for host in (
        "192.0.2.1",
        "10.0.0.1",
        "0.0.0.0",
        "example.com",
        "2001:db8::1",
        "::ffff:192.0.2.1",
        None,
    ):
        assert not netguard.is_loopback(host), host
