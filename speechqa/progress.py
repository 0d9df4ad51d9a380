"""Progress bars on stderr for long commands (ingest, evaluation)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def progress_bar(desc: str, unit: str, show: bool = True) -> Iterator[Callable[[int, int], None]]:
    """A progress callback ``(done, total)`` drawing a tqdm bar on stderr while the block
    runs; no bar when ``show`` is false or stderr is not a terminal, so logs and pipes get
    only the summary or the one-line error."""
    bar = None
    if show:
        from tqdm import tqdm

        bar = tqdm(total=0, unit=unit, desc=desc, file=sys.stderr, leave=False, disable=None)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.n = done
            bar.refresh()

    try:
        yield progress
    finally:
        if bar is not None:
            bar.close()


def chunk_progress(
    show: bool = True,
) -> contextlib.AbstractContextManager[Callable[[int, int], None]]:
    """The ingest's bar: chunks embedded and stored."""
    from speechqa.lang import say

    return progress_bar(say("导入", "ingest"), say("块", "chunks"), show)


def question_progress(
    show: bool = True,
) -> contextlib.AbstractContextManager[Callable[[int, int], None]]:
    """The evaluation's bar: questions answered."""
    from speechqa.lang import say

    return progress_bar(say("评测", "eval"), say("题", "questions"), show)
