"""Who may reach the web chat: the bind-and-login rule of ``speechqa serve``.

Loopback is private to this machine, so it needs no login. Any other address is
reachable by colleagues on the network (or the whole internet), so it needs
``SPEECHQA_AUTH=user:password`` or an explicit ``--no-auth`` that says the risk
was understood; otherwise the server refuses to start.
"""

from __future__ import annotations

import ipaddress

from pydantic import SecretStr

from speechqa.errors import ConfigError

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and the localhost names; '0.0.0.0' and '' are every address."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name in _LOCAL_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def parse_auth(auth: SecretStr) -> tuple[str, str]:
    """'user:password' → (user, password); the password may itself contain ':'."""
    user, sep, password = auth.get_secret_value().partition(":")
    if not sep or not user.strip() or not password:
        raise ConfigError(
            "SPEECHQA_AUTH must be 'user:password' with both parts non-empty; fix it or unset it.",
            zh="SPEECHQA_AUTH 须为 '用户名:密码'，两部分都不能为空；请改正或取消它。",
        )
    return user.strip(), password


def login_for(host: str, auth: SecretStr | None, no_auth: bool) -> tuple[str, str] | None:
    """The (user, password) Gradio should ask for, or None for no login.

    Raises ConfigError when ``host`` is not loopback and neither a login nor
    ``--no-auth`` was given.
    """
    if no_auth:  # the explicit flag wins over an inherited SPEECHQA_AUTH
        return None
    if auth is not None and auth.get_secret_value():
        return parse_auth(auth)
    if is_loopback(host):
        return None
    raise ConfigError(
        f"refusing to bind {host or '0.0.0.0'} without a login: anyone on the network could use "
        "the chat; set SPEECHQA_AUTH=user:password, or pass --no-auth if that is intended.",
        zh=f"拒绝在没有登录的情况下绑定 {host or '0.0.0.0'}：网络中任何人都能使用问答；"
        "请设置 SPEECHQA_AUTH=用户名:密码，或确有此意时加 --no-auth。",
    )
