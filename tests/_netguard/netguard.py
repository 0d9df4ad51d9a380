"""Network guard for the test suite: sockets may connect to loopback and local
(AF_UNIX) addresses only; anything else raises ``RuntimeError("network blocked in
tests: <addr>")``.

Installed by ``tests/conftest.py`` in the pytest process and, through the
``sitecustomize.py`` next to this file, in every Python subprocess the tests start
(``helpers.subprocess_env`` puts this folder, and only this folder, on PYTHONPATH).
Non-Python code in a subprocess (the Rust core of ``chroma run``) is not covered.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
# What a server binds to; resolving these names never leaves the machine.
_BIND_ANY = frozenset({"", "0.0.0.0", "::"})
_INET = (socket.AF_INET, socket.AF_INET6)

# Every blocked attempt, in order (tests assert on it; the summary prints it).
blocked: list[str] = []
_original: dict[str, Any] = {}


def is_loopback(host: object) -> bool:
    """True for 127.0.0.0/8, ::1 (also IPv4-mapped) and the localhost names."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip().strip("[]").lower().rstrip(".")
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def _refuse(address: object) -> RuntimeError:
    message = f"network blocked in tests: {address!r}"
    blocked.append(message)
    return RuntimeError(message)


def _check(family: int, address: object) -> None:
    if family in _INET and isinstance(address, tuple) and address and not is_loopback(address[0]):
        raise _refuse(address)


def _may_resolve(host: object) -> bool:
    if host is None:
        return True
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
    return is_loopback(name) or name in _BIND_ANY or name == socket.gethostname()


def install() -> None:
    """Patch socket.socket.connect/connect_ex, socket.create_connection and
    socket.getaddrinfo (idempotent)."""
    if _original:
        return
    _original.update(
        connect=socket.socket.connect,
        connect_ex=socket.socket.connect_ex,
        create_connection=socket.create_connection,
        getaddrinfo=socket.getaddrinfo,
    )

    def connect(self: socket.socket, address: Any) -> None:
        _check(self.family, address)
        return _original["connect"](self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check(self.family, address)
        return int(_original["connect_ex"](self, address))

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if not is_loopback(address[0]):
            raise _refuse(address)
        return _original["create_connection"](address, *args, **kwargs)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if not _may_resolve(host):
            raise _refuse((host, port))
        return _original["getaddrinfo"](host, port, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.create_connection = create_connection  # type: ignore[assignment]
    socket.getaddrinfo = getaddrinfo


def uninstall() -> None:
    if not _original:
        return
    socket.socket.connect = _original["connect"]  # type: ignore[method-assign]
    socket.socket.connect_ex = _original["connect_ex"]  # type: ignore[method-assign]
    socket.create_connection = _original["create_connection"]
    socket.getaddrinfo = _original["getaddrinfo"]
    _original.clear()
