"""An upload is read and size-checked by the same code as `speechqa ingest` reads a
file (ingest.load.read_limited / check_size), its messages naming the upload by its
own name, not by the temporary path Gradio saved it under."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.load import check_size, read_limited
from speechqa.errors import DocumentError

NAME = "太长的讲话.txt"


def test_an_upload_over_the_limit_is_named_by_its_own_name(tmp_path: Path) -> None:
    saved = tmp_path / "gradio" / "0a1b2c" / NAME
    saved.parent.mkdir(parents=True)
    saved.write_bytes("要把纪律挺在前面。\n".encode() * 100)  # 2,800 bytes
    with pytest.raises(DocumentError) as err:
        read_limited(saved, 1000, name=NAME)
    zh, en = err.value.chinese, str(err.value)
    assert zh.startswith(f"{NAME}：文件大小 2.8 KB，超过 1.0 KB 的上限")
    assert "SPEECHQA_MAX_FILE_MB" in zh and str(tmp_path) not in zh
    assert en.startswith(f"{NAME}: ") and "over the" in en and str(tmp_path) not in en


def test_under_the_limit_the_bytes_come_back_as_they_are(tmp_path: Path) -> None:
    data = "同志们：\n今天召开会议。\n".encode("gbk")
    path = tmp_path / NAME
    path.write_bytes(data)
    assert read_limited(path, len(data), name=NAME) == data


def test_a_size_unknown_but_over_says_so_without_a_number() -> None:
    with pytest.raises(DocumentError) as err:
        check_size(NAME, None, 50_000)
    assert err.value.chinese.startswith(f"{NAME}：文件超过 50.0 KB 的上限")
    assert str(err.value).startswith(f"{NAME}: it is over the 0.05 MB limit")
    check_size(NAME, 50_000, 50_000)  # at the limit: fine
