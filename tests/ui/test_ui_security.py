"""Who may reach the chat: loopback needs no login; any other address needs
SPEECHQA_AUTH or an explicit --no-auth, else ``speechqa serve`` refuses to start."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import helpers
import pytest
from pydantic import SecretStr

from speechqa.errors import ConfigError
from ui.security import is_loopback, login_for, parse_auth


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.0.0.2", "localhost", "LOCALHOST.", "::1", "[::1]", "::ffff:127.0.0.1"],
)
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "192.168.1.20", "10.0.0.1", "example.org"])
def test_other_addresses(host: str) -> None:
    assert not is_loopback(host)


def test_loopback_needs_no_login() -> None:
    assert login_for("127.0.0.1", None, no_auth=False) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_other_address_without_login_is_refused(host: str) -> None:
    with pytest.raises(ConfigError) as info:
        login_for(host, None, no_auth=False)
    message = str(info.value)
    assert "SPEECHQA_AUTH=user:password" in message and "--no-auth" in message
    assert "\n" not in message


def test_other_address_with_login_is_allowed() -> None:
    assert login_for("0.0.0.0", SecretStr("staff:s3cret:x"), no_auth=False) == ("staff", "s3cret:x")


def test_no_auth_flag_allows_an_open_server() -> None:
    assert login_for("0.0.0.0", None, no_auth=True) is None
    # The explicit flag wins over an inherited variable.
    assert login_for("0.0.0.0", SecretStr("staff:pw"), no_auth=True) is None


def test_a_login_set_for_loopback_is_still_asked() -> None:
    assert login_for("127.0.0.1", SecretStr("staff:pw"), no_auth=False) == ("staff", "pw")


@pytest.mark.parametrize("bad", ["staff", "staff:", ":pw", " :pw"])
def test_malformed_auth(bad: str) -> None:
    with pytest.raises(ConfigError, match="user:password"):
        parse_auth(SecretStr(bad))


def test_serve_refuses_a_public_bind_without_login(
    cli: Callable[..., subprocess.CompletedProcess[str]], tmp_path: object
) -> None:
    proc = cli("serve", "--host", "0.0.0.0", "--port", "7", env={"SPEECHQA_STORE": tmp_path})
    line = helpers.assert_one_line_error(proc, "refusing to bind 0.0.0.0", "SPEECHQA_AUTH", code=2)
    assert "--no-auth" in line


def test_serve_rejects_a_malformed_login(
    cli: Callable[..., subprocess.CompletedProcess[str]], tmp_path: object
) -> None:
    proc = cli(
        "serve", "--host", "0.0.0.0", env={"SPEECHQA_STORE": tmp_path, "SPEECHQA_AUTH": "nopass"}
    )
    helpers.assert_one_line_error(proc, "SPEECHQA_AUTH must be 'user:password'", code=2)
    assert "nopass" not in proc.stderr  # the secret is never echoed


def test_cli_parser_does_not_import_gradio() -> None:
    code = (
        "import sys; from speechqa.cli import build_parser; build_parser(); "
        "print('gradio' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=helpers.subprocess_env()
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
