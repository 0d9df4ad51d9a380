"""Helpers shared by the test modules; import them as ``import helpers`` (tests/ is on
sys.path through the root conftest), or use the ``cli`` fixture for :func:`run_cli`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

# Switches of the test harness itself (not product settings), kept from the environment
# before tests/conftest.py clears every SPEECHQA_* variable: SPEECHQA_SKIP_BROWSER=1
# skips the browser tests on purpose, SPEECHQA_CHROMIUM names another browser binary.
HARNESS_VARS = ("SPEECHQA_SKIP_BROWSER", "SPEECHQA_CHROMIUM")
HARNESS_ENV: dict[str, str] = {}
ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
# sitecustomize.py + netguard.py: the network guard for Python subprocesses.
NETGUARD_DIR = TESTS / "_netguard"
BIN = Path(sys.executable).parent

SPEECH_ID = "speech-2023-party-discipline"
SPEECH_PATH = ROOT / "speechqa" / "data" / f"{SPEECH_ID}.txt"


def subprocess_env(
    extra: Mapping[str, str | os.PathLike[str] | None] | None = None,
) -> dict[str, str]:
    """Environment for a subprocess: the (already cleaned) test environment, the
    network guard on PYTHONPATH, UTF-8 I/O; ``extra`` adds variables, None removes one.

    PYTHONPATH holds only the guard folder: putting tests/ there would make
    ``import ingest`` find the tests/ingest folder instead of the package.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = str(NETGUARD_DIR)
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONUTF8"] = "1"
    env["NO_COLOR"] = "1"
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = os.fspath(value)
    return env


def speechqa_command() -> list[str]:
    """The installed console script next to this interpreter (or its equivalent)."""
    script = BIN / "speechqa"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from speechqa.cli import main; sys.exit(main())"]


def run_cli(
    *args: str | os.PathLike[str] | int,
    env: Mapping[str, str | os.PathLike[str] | None] | None = None,
    timeout: float = 300,
    cwd: str | os.PathLike[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``speechqa ARGS…`` in a subprocess and return its text output.

    Point it at a store with ``env={"SPEECHQA_STORE": dir}`` or ``"--store", dir``;
    without either it uses $XDG_DATA_HOME/speechqa, which conftest points at a
    throw-away folder for the whole session.
    """
    return subprocess.run(
        [
            *speechqa_command(),
            *(os.fspath(a) if isinstance(a, os.PathLike) else str(a) for a in args),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=subprocess_env(env),
        timeout=timeout,
        cwd=cwd,
        check=False,
    )


def assert_one_line_error(
    proc: subprocess.CompletedProcess[str], *needles: str, code: int | None = None
) -> str:
    """The CLI's error contract: non-zero exit, stderr is exactly one line
    ``speechqa: error: …`` with no traceback; each needle occurs in it. Returns the line."""
    detail = f"exit {proc.returncode}\nstdout: {proc.stdout!r}\nstderr: {proc.stderr!r}"
    assert proc.returncode != 0, detail
    if code is not None:
        assert proc.returncode == code, detail
    assert "Traceback" not in proc.stderr, detail
    assert proc.stderr.endswith("\n"), detail
    lines = proc.stderr.splitlines()  # splits on \r too: progress-bar debris counts as a line
    assert len(lines) == 1, detail
    line = lines[0]
    assert line.startswith("speechqa: error: "), detail
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    return line


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_ok(url: str, body: Callable[[bytes], bool] | None = None) -> bool:
    """Whether ``url`` answers 200 (and, given ``body``, with a body it accepts)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200) and (body is None or body(resp.read()))
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def running(
    cmd: list[str], ready: Callable[[], bool], log_path: Path, what: str, timeout: float = 60
) -> Iterator[subprocess.Popen[bytes]]:
    """Start the server ``cmd`` (output to ``log_path``), wait until ``ready()``,
    and stop it afterwards; a server that exits or is not ready in time fails
    the test with the end of its log."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=subprocess_env(),
        )
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            if proc.poll() is not None or time.monotonic() > deadline:
                state = (
                    f"exited with {proc.returncode}"
                    if proc.poll() is not None
                    else f"was not ready in {timeout:.0f} s"
                )
                pytest.fail(f"{what} {state}:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
