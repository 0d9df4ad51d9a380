"""``speechqa serve``: the web chat (Gradio is imported only when it runs)."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType

from speechqa.cli import settings_from_args


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serve", parents=[common], help="start the web chat (Gradio)")
    p.add_argument("--host", help="address to bind (default 127.0.0.1; SPEECHQA_UI_HOST)")
    p.add_argument("--port", type=int, help="port (default 7860; SPEECHQA_UI_PORT)")
    p.add_argument(
        "--no-auth",
        action="store_true",
        help="allow a non-loopback --host without SPEECHQA_AUTH (anyone who can reach it may use it)",
    )
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from speechqa.errors import ConfigError
    from speechqa.lang import say

    from .security import is_loopback, login_for

    overrides: dict[str, object] = {}
    if args.host:
        overrides["ui.host"] = args.host
    if args.port is not None:
        if not 1 <= args.port <= 65535:
            raise ConfigError(
                f"--port {args.port} is not a port number; give 1-65535.",
                zh=f"--port {args.port} 不是端口号；请给 1-65535 之间的数。",
            )
        overrides["ui.port"] = args.port
    args.settings_overrides = overrides
    settings = settings_from_args(args)
    host, port = settings.ui.host, settings.ui.port
    # Refuse before anything slow is loaded: the answer is immediate.
    login = login_for(host, settings.auth, args.no_auth)

    from .app import launch

    print(
        say(
            f"讲话问答：正在启动（数据目录 {settings.store}）…",
            f"speechqa: starting (data directory {settings.store})…",
        ),
        flush=True,
    )
    try:
        demo, url = launch(settings, host=host, port=port, login=login, block=False)
    except OSError:
        raise ConfigError(
            f"cannot listen on {host}:{port}: the port is in use (or the address is not this "
            f"machine's); stop the other server, or pick another port with --port N "
            f"(make run PORT=N).",
            zh=f"无法在 {host}:{port} 上监听：端口已被占用（或该地址不属于本机）；请停止占用它的"
            "服务，或换一个端口：--port N（make run PORT=N）。",
        ) from None
    here = say("本机", "this machine")
    shown = url if is_loopback(host) else f"http://{host}:{port}/ ({here}: {url})"
    notes = []
    if login:
        notes.append(say(f"需要登录，用户名 {login[0]}", f"login required, user {login[0]}"))
    elif not is_loopback(host):
        notes.append(
            say(
                "未设登录（--no-auth），网络中任何人都可访问",
                "no login (--no-auth): anyone on the network can use it",
            )
        )
    extra = f" ({'; '.join(notes)})" if notes else ""
    print(
        say(
            f"讲话问答已启动：{shown}{extra}  按 Ctrl-C 退出",
            f"speechqa is running: {shown}{extra}  press Ctrl-C to stop",
        ),
        flush=True,
    )
    # `kill`, `docker stop` and systemd send SIGTERM: stop as cleanly as on Ctrl-C. SIGINT
    # too, explicitly: a process started with SIGINT ignored (a background job of a
    # script) inherits that, and Python then leaves Ctrl-C / `kill -INT` ignored.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        print(say("讲话问答已停止。", "speechqa stopped."), file=sys.stderr)
    finally:
        demo.close()
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
