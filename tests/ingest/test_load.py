"""Loading files: encodings round-trip exactly; every bad input is a DocumentError
that names the file."""

from __future__ import annotations

import codecs
import io
import random
import zipfile
from pathlib import Path

import pytest
from helpers import SPEECH_PATH

from ingest.load import load_bytes, load_path
from ingest.parse import parse
from speechqa.errors import DocumentError, InputError

MAX = 20_000_000
# CRLF line endings, full-width punctuation and an ASCII line, as files arrive from Windows.
# The lines are short, so the CRs are more than 2% of the characters: they must not count
# as unreadable control characters before the line endings are normalised.
SAMPLE = (
    "同志们：\r\n　　今天，我们召开2023年全面从严治党工作会议。\r\n\r\nPart 2: 坚持“两个维护”！\r\n"
)
EXPECTED = SAMPLE.replace("\r\n", "\n")


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8"),
        (SAMPLE.encode("gbk"), "gbk"),
        (codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be"), "utf-16-be"),
        (SAMPLE.encode("utf-16-le"), "utf-16"),
        (SAMPLE.encode("utf-16-be"), "utf-16"),
        (codecs.BOM_UTF32_LE + SAMPLE.encode("utf-32-le"), "utf-32-le"),
    ],
    ids=[
        "utf8",
        "utf8-bom",
        "gbk",
        "utf16le-bom",
        "utf16be-bom",
        "utf16le-nobom",
        "utf16be-nobom",
        "utf32le-bom",
    ],
)
def test_encodings_round_trip(tmp_path: Path, data: bytes, encoding: str) -> None:
    loaded = load_path(_write(tmp_path, "speech.txt", data), MAX)
    assert loaded.text == EXPECTED
    assert loaded.encoding == encoding
    assert loaded.format == "txt"
    assert loaded.title == "speech"
    assert "\ufeff" not in loaded.text and "\r" not in loaded.text


@pytest.mark.parametrize("extra", ["𠀀", "䶮", "€"])
def test_gb18030_beyond_gbk_round_trips(tmp_path: Path, extra: str) -> None:
    text = f"同志们：\n生僻字{extra}也要原样保留。\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk") if extra != "€" else text.encode("gb2312")
    loaded = load_path(_write(tmp_path, "rare.txt", text.encode("gb18030")), MAX)
    assert loaded.text == text
    if extra != "€":  # € is in GBK (0x80), so that file is reported as gbk
        assert loaded.encoding == "gb18030"


def test_gbk_bundled_speech_round_trips(tmp_path: Path) -> None:
    original = SPEECH_PATH.read_text(encoding="utf-8")
    crlf = original.replace("\n", "\r\n")
    loaded = load_path(_write(tmp_path, "speech-gbk.txt", crlf.encode("gbk")), MAX)
    assert loaded.encoding == "gbk"
    assert loaded.text == original
    assert [p.text for p in parse(loaded.text, "txt", "x", "x").paragraphs] == [
        line for line in original.splitlines() if line.strip()
    ]


def test_lone_carriage_returns_become_newlines(tmp_path: Path) -> None:
    loaded = load_path(_write(tmp_path, "mac.txt", "一\r二\r\n三\n".encode()), MAX)
    assert loaded.text == "一\n二\n三\n"


def test_whitespace_inside_lines_is_kept(tmp_path: Path) -> None:
    text = "　　同志们：\t \n  缩进  与  空格  保留。  \n"
    assert load_path(_write(tmp_path, "ws.txt", text.encode()), MAX).text == text


def test_suffix_is_case_insensitive_and_md_title(tmp_path: Path) -> None:
    assert load_path(_write(tmp_path, "UPPER.TXT", "正文。".encode()), MAX).format == "txt"
    md = load_path(_write(tmp_path, "notes.md", "前言\n# 标题 #\n正文。".encode()), MAX)
    assert (md.format, md.title) == ("md", "标题")
    assert load_path(_write(tmp_path, "untitled.md", "正文。".encode()), MAX).title == "untitled"


def _png_with_noise() -> bytes:
    rng = random.Random(1234)
    return (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
        + bytes(rng.randrange(256) for _ in range(4000))
        + b"\x00" * 16
    )


def _zip_without_docx_parts() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "not a word document")
    return buf.getvalue()


BAD_FILES = [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b" \n\t\r\n   \n", "empty"),
    ("ideographic-blank.txt", "　\n　　\n".encode(), "blank"),
    ("bom-only.txt", codecs.BOM_UTF8, "blank"),
    ("utf16-blank.txt", codecs.BOM_UTF16_LE + " \n \n".encode("utf-16-le"), "blank"),
    ("picture.txt", _png_with_noise(), "binary"),
    ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "unsupported file type '.pdf'"),
    ("README", "同志们：".encode(), "unsupported file type '(none)'"),
    ("latin1.txt", "Caf\xe9 cr\xe8me br\xfbl\xe9e\n".encode("latin-1"), "decode"),
    ("garbage.txt", b"\x81\x30\x81\x30" * 40, "unreadable"),
    ("broken-bom.txt", codecs.BOM_UTF8 + b"ok \xff\xfe\xfd", "byte-order mark"),
    ("not-a-zip.docx", "同志们：这其实是文本".encode(), "not a valid .docx"),
    ("plain-zip.docx", _zip_without_docx_parts(), "not a valid .docx"),
]


@pytest.mark.parametrize(("name", "data", "what"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_raise_document_error_naming_the_file(
    tmp_path: Path, name: str, data: bytes, what: str
) -> None:
    path = _write(tmp_path, name, data)
    with pytest.raises(DocumentError) as err:
        load_path(path, MAX)
    message = str(err.value)
    assert name in message
    assert what in message
    assert "\n" not in message
    assert isinstance(err.value, InputError) and err.value.exit_code == 2


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"missing\.txt: no such file"):
        load_path(tmp_path / "missing.txt", MAX)


def test_folder(tmp_path: Path) -> None:
    folder = tmp_path / "speeches.txt"
    folder.mkdir()
    with pytest.raises(DocumentError, match=r"speeches\.txt: is a folder"):
        load_path(folder, MAX)


def test_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = _write(tmp_path, "huge.txt", "同志们：\n".encode() * 200_000)  # 2.6 MB
    with pytest.raises(DocumentError) as err:
        load_path(path, 1_000_000)
    assert "huge.txt" in str(err.value)
    assert "2.6 MB is over the 1 MB limit" in str(err.value)
    assert load_path(path, 3_000_000).text.count("\n") == 200_000


def test_exactly_at_the_limit_is_accepted(tmp_path: Path) -> None:
    data = "同志们：".encode()
    assert load_path(_write(tmp_path, "edge.txt", data), len(data)).text == "同志们："


def test_odd_length_nul_bytes_are_binary(tmp_path: Path) -> None:
    # NUL bytes but an odd length: neither UTF-16 nor text.
    with pytest.raises(DocumentError, match=r"odd\.txt: looks like a binary file"):
        load_path(_write(tmp_path, "odd.txt", b"abc\x00def\x00g"), MAX)


@pytest.mark.parametrize(("name", "data", "what"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_uploaded_bad_bytes_name_the_upload(name: str, data: bytes, what: str) -> None:
    upload = f"上传-{name}"
    with pytest.raises(DocumentError) as err:
        load_bytes(data, upload)
    assert upload in str(err.value)
    assert what in str(err.value)
    # The web chat shows the Chinese form: one line, naming the upload, saying what to do.
    zh = err.value.chinese
    assert err.value.zh is not None and zh.startswith(f"{upload}：")
    assert "\n" not in zh and "请" in zh
