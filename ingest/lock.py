"""The store's write lock: an advisory file lock, ``<store>/index.lock``.

Everything that writes documents (:meth:`ingest.store.Index.write`,
:meth:`~ingest.store.Index.delete`) holds it *shared*, so writers never wait for
one another. Store-wide maintenance (``speechqa gc``) holds it *exclusive*: it
waits until no write is in flight and keeps new ones waiting until it is done.
That is what lets gc tell an orphan chunk (left by an interrupted ingest, never
to be owned by a record) from a chunk an ingest has written but not yet switched
its record to.

The lock is ``flock(2)`` on a file: ``<store>/index.lock`` for the embedded
index, so it covers every process on this machine that uses the same ``--store``;
for a Chroma server, a file in the system's temporary folder named after the
server's URL (the collections live on the server, and nothing is written to the
local data directory), so it covers every process on this machine that uses that
server. Processes on other machines writing to the same server are not covered:
run gc where the writers run. The lock is released when its holder exits, however
it exits, so a crash never leaves the store locked. Readers take no lock.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from speechqa.errors import StoreError
from speechqa.settings import Settings

LOCK_NAME = "index.lock"
_POLL_S = 0.05

P = ParamSpec("P")
R = TypeVar("R")


class _HasSettings(Protocol):
    settings: Settings


S = TypeVar("S", bound=_HasSettings)


def lock_path(settings: Settings) -> Path:
    if settings.chroma_url:
        url = settings.chroma_url.strip().rstrip("/").lower()
        digest = hashlib.sha1(url.encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / "speechqa-locks" / f"chroma-{digest}.lock"
    return Path(settings.store).expanduser() / LOCK_NAME


@contextlib.contextmanager
def store_lock(
    settings: Settings, *, exclusive: bool, timeout: float | None = None
) -> Iterator[None]:
    """Hold the store's lock, shared or exclusive. ``timeout`` (seconds; None:
    wait as long as it takes) bounds the wait; past it, a :class:`StoreError`
    says what holds the store.

    A writer whose data directory cannot hold the lock file (read-only, on a
    platform without ``flock``) writes without it; maintenance refuses to run."""
    fcntl = _fcntl()
    path = lock_path(settings)
    fd = _open(path) if fcntl is not None else None
    if fd is None:
        if exclusive:
            raise StoreError(
                f"cannot lock {path} (no flock() on this platform, or the data directory "
                "is not writable); stop every ingest and the web chat, or choose another "
                "--store, then run the command again.",
                zh=f"无法锁定 {path}（本平台没有 flock()，或数据目录不可写）；请停止所有导入和"
                "网页问答，或用 --store 另选目录，然后重新运行命令。",
            )
        yield
        return
    assert fcntl is not None
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    what = "an ingest or delete is writing to" if exclusive else "gc is cleaning"
                    what_zh = "有导入或删除正在写入" if exclusive else "gc 正在清理"
                    raise StoreError(
                        f"{what} the index in {path.parent} (waited {timeout:g} s); "
                        "run the command again when it has finished.",
                        zh=f"{what_zh} {path.parent} 中的索引（已等待 {timeout:g} 秒）；"
                        "请等它完成后重新运行命令。",
                    ) from None
                time.sleep(_POLL_S)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _fcntl() -> Any:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    return fcntl


def _open(path: Path) -> int | None:
    # flock needs no write access: a lock file another user created still works.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError:
        return None


def writes(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Decorator for a method of an object with ``settings`` that writes the index:
    the method runs holding the store's lock shared."""

    @functools.wraps(method)
    def locked(self: S, *args: P.args, **kwargs: P.kwargs) -> R:
        with store_lock(self.settings, exclusive=False):
            return method(self, *args, **kwargs)

    return locked
