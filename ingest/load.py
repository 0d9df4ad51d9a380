"""Load .txt, .md and .docx files into text, detecting Chinese encodings.

The decoded text is kept exactly (only line endings are normalised and a BOM
dropped) because quotes are cut from it. A .docx becomes one line per Word
paragraph and per table row, its headings marked with Markdown "#"s (Title "#",
Heading 1 "##", …), which ingest.parse reads back for the format "docx".

The title is the file's own: a .docx core-property title or Title paragraph, a
Markdown document's one "# " heading, else the title line ingest.parse finds (¶1),
else the file name.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from speechqa.errors import DocumentError
from speechqa.text import normalize_newlines

from .parse import DOCX_ESCAPE, TABLE_CELL_SEP, title_line

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class LoadedDocument:
    text: str
    format: str  # "txt" | "md" | "docx"
    title: str
    source: str
    encoding: str


def is_blank(text: str) -> bool:
    """True when ``text`` has nothing a reader can see: only whitespace, control
    characters and invisible format characters (zero-width space U+200B, BOM U+FEFF,
    joiners, direction marks: Unicode category Cf)."""
    return all(ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc") for ch in text)


def _printable_ratio(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(
        1
        for ch in text
        if ch not in "\r\n\t" and (unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"))
    )
    return 1 - bad / len(text)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a BOM shows zero bytes in every other position for ASCII
    and a readable decode for CJK; try both byte orders."""
    if len(data) % 2:
        return None
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _printable_ratio(text) > 0.98:
            return text
    return None


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Decode bytes to (text, encoding); raise DocumentError naming ``name``."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(enc), enc
            except UnicodeDecodeError as exc:
                raise DocumentError(
                    f"{name}: starts with a {enc} byte-order mark but is not valid {enc} "
                    f"(byte {exc.start}); re-save it as UTF-8.",
                    zh=f"{name}：文件开头标明是 {enc} 编码，但内容不是有效的 {enc}"
                    f"（第 {exc.start} 字节）；请另存为 UTF-8 后重新上传。",
                ) from None
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is not None:
            return text, "utf-16"
        raise DocumentError(
            f"{name}: looks like a binary file, not text; give a .txt, .md or .docx speech.",
            zh=f"{name}：看起来是二进制文件，不是文本；请上传 .txt、.md 或 .docx 格式的讲话稿。",
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{name}: cannot decode byte {exc.start} as UTF-8, GBK/GB18030 or UTF-16; "
            "re-save the file as UTF-8.",
            zh=f"{name}：第 {exc.start} 字节无法按 UTF-8、GBK/GB18030 或 UTF-16 解码；"
            "请另存为 UTF-8 后重新上传。",
        ) from None
    if _printable_ratio(text) < 0.98:
        raise DocumentError(
            f"{name}: decodes to unreadable text; re-save the file as UTF-8.",
            zh=f"{name}：解码后是乱码；请另存为 UTF-8 后重新上传。",
        )
    # GBK is a subset of GB18030; report the narrower name when it fits.
    try:
        data.decode("gbk")
        return text, "gbk"
    except UnicodeDecodeError:
        return text, "gb18030"


# Word paragraph styles that are headings: "Title", "Heading 1"…"Heading 9" (python-docx
# gives built-in styles their English names whatever the Word language).
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_MD_H1 = re.compile(r"^#[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_BREAKS = str.maketrans({"\n": " ", "\r": " ", "\v": " "})


def _outline_level(paragraph: Any) -> int | None:
    """Word's outline level (0 = level 1 … 8; 9 = body text) set on the paragraph or
    on its style or a style it is based on."""
    found = paragraph._p.xpath("./w:pPr/w:outlineLvl/@w:val")
    style = paragraph.style
    while not found and style is not None:
        found = style.element.xpath("./w:pPr/w:outlineLvl/@w:val")
        style = style.base_style
    return int(found[0]) if found and str(found[0]).isdigit() else None


def _heading_depth(paragraph: Any) -> int:
    """Markdown depth a Word paragraph is stored with: Title 1, Heading n n+1 (at most
    6), a paragraph with an outline level like its heading; 0 for body text."""
    name = paragraph.style.name if paragraph.style is not None else ""
    if name == "Title":
        return 1
    m = _HEADING_STYLE.match(name or "")
    level = int(m.group(1)) - 1 if m else _outline_level(paragraph)
    return min(level + 2, 6) if level is not None and level < 9 else 0


def _docx_line(text: str, depth: int = 0) -> str:
    """One stored line: heading depth as Markdown "#"s; a body line that itself starts
    with "#" escaped so that it is not read back as a heading."""
    if depth:
        return "#" * depth + " " + text
    return DOCX_ESCAPE + text if text.startswith("#") else text


def _docx_lines(document: Any) -> list[str]:
    """The body in order: each non-empty Word paragraph (a soft line break is a space:
    ¶n counts Word paragraphs) and each non-empty table row (cells stripped, joined
    with ｜, the header row included)."""
    lines: list[str] = []
    for item in document.iter_inner_content():
        if hasattr(item, "rows"):
            for row in item.rows:
                cells = [cell.text.strip().translate(_BREAKS) for cell in row.cells]
                if any(cells):
                    lines.append(_docx_line(TABLE_CELL_SEP.join(cells)))
        else:
            text = item.text.translate(_BREAKS).strip()
            if text:
                lines.append(_docx_line(text, _heading_depth(item)))
    return lines


def _docx_text(data: bytes, name: str) -> tuple[str, str]:
    try:
        import docx  # python-docx; imported here so text files never pay for it
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise DocumentError(
            f"{name}: python-docx is not installed; reinstall speechqa.",
            zh=f"{name}：没有安装 python-docx；请重新安装 speechqa。",
        ) from exc
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(
            f"{name}: not a valid .docx file ({type(exc).__name__}); open and re-save it in Word.",
            zh=f"{name}：不是有效的 .docx 文件；请用 Word 打开后重新保存再上传。",
        ) from None
    title = (document.core_properties.title or "").strip()
    if not title:
        for p in document.paragraphs:
            if p.style is not None and p.style.name == "Title" and p.text.strip():
                title = p.text.translate(_BREAKS).strip()
                break
    return "\n".join(_docx_lines(document)), title


def _md_title(text: str) -> str:
    """A Markdown document's one "# " heading, wherever it is ("" when it has none or
    several: then they are its parts)."""
    found = [m.group(1) for m in _MD_H1.finditer(text)]
    return found[0] if len(found) == 1 else ""


def load_bytes(data: bytes, name: str) -> LoadedDocument:
    """Load an in-memory file whose type is given by the suffix of ``name``."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            f"{name}: unsupported file type '{suffix or '(none)'}'; give a .txt, .md or .docx file.",
            zh=f"{name}：不支持的文件类型“{suffix or '（无扩展名）'}”；请上传 .txt、.md 或 .docx 文件。",
        )
    if not data.strip():
        raise DocumentError(
            f"{name}: the file is empty; give a speech with text in it.",
            zh=f"{name}：文件是空的；请上传有正文的讲话稿。",
        )
    if suffix == ".docx":
        text, title = _docx_text(data, name)
        encoding = "docx"
    else:
        text, encoding = decode(data, name)
        text = normalize_newlines(text)
        title = _md_title(text) if suffix == ".md" else ""
    if is_blank(text):
        raise DocumentError(
            f"{name}: every line is blank (or holds only invisible characters); give a speech with text in it.",
            zh=f"{name}：每一行都是空白（或只有不可见字符）；请上传有正文的讲话稿。",
        )
    return LoadedDocument(
        text=text,
        format=suffix[1:],
        title=title or title_line(text, suffix[1:]) or Path(name).stem,
        source=name,
        encoding=encoding,
    )


# Pseudo-file systems whose files claim size 0 and may never end.
_PSEUDO_ROOTS = ("/proc", "/sys")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


_KIND_ZH = {"a named pipe (FIFO)": "命名管道（FIFO）", "a device": "设备", "a socket": "套接字"}


def _not_regular(path: Path | str, what: str) -> DocumentError:
    what_zh = _KIND_ZH.get(what, "特殊文件")
    return DocumentError(
        f"{path}: is {what}, not a regular file; give a saved .txt, .md or .docx file.",
        zh=f"{path}：是{what_zh}，不是普通文件；请给出保存好的 .txt、.md 或 .docx 文件。",
    )


def load_path(path: Path, max_bytes: int) -> LoadedDocument:
    """Load a file from disk (read as :func:`read_limited` reads it)."""
    return load_bytes(read_limited(path, max_bytes), str(path))


def read_limited(path: Path, max_bytes: int, name: str | None = None) -> bytes:
    """The bytes of a file on disk, for the command line and the web chat's uploads
    alike. Only regular files are read (a FIFO, a device, a socket or a /proc file is
    refused before it is opened), and the read stops at ``max_bytes`` + 1 whatever
    ``stat`` says the size is. Messages name the file ``name`` (an upload's own name
    rather than its temporary path), else ``path``."""
    shown = name or str(path)
    try:
        st = path.stat()  # follows symlinks: a .txt link to /dev/zero is a device
    except FileNotFoundError:
        raise DocumentError(
            f"{shown}: no such file; check the path.", zh=f"{shown}：文件不存在；请检查路径。"
        ) from None
    except OSError as exc:
        raise DocumentError(
            f"{shown}: cannot be read ({exc.strerror}); check its permissions.",
            zh=f"{shown}：无法读取（{exc.strerror}）；请检查它的权限。",
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise DocumentError(
            f"{shown}: is a folder; give the speech files inside it.",
            zh=f"{shown}：是文件夹；请给出其中的讲话稿文件。",
        )
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(shown, _kind(st.st_mode))
    real = os.path.realpath(path)
    if any(real == root or real.startswith(root + "/") for root in _PSEUDO_ROOTS):
        raise _not_regular(shown, f"a system file ({real})")
    check_size(shown, st.st_size, max_bytes)
    try:
        # O_NONBLOCK: should the path become a FIFO between stat and open, opening
        # it does not wait for a writer; fstat below then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise DocumentError(
            f"{shown}: cannot be read ({exc.strerror}); check its permissions.",
            zh=f"{shown}：无法读取（{exc.strerror}）；请检查它的权限。",
        ) from None
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fh.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(shown, _kind(mode))
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise DocumentError(
                f"{shown}: cannot be read ({exc.strerror}); check its permissions.",
                zh=f"{shown}：无法读取（{exc.strerror}）；请检查它的权限。",
            ) from None
    if len(data) > max_bytes:
        check_size(shown, None, max_bytes)
    return data


def file_size_text(n: float) -> str:
    """A byte count as users read it: 1.2 MB, 48.0 KB."""
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} KB"


def check_size(name: str, size: int | None, max_bytes: int) -> None:
    """The one size check of files and uploads: a DocumentError naming the file, in
    English and Chinese, when ``size`` is over ``max_bytes``. ``size`` None: the size
    is not known (the read stopped at ``max_bytes`` + 1), only that it is over."""
    if size is not None and size <= max_bytes:
        return
    have = f"{size / 1e6:.1f} MB is" if size is not None else "it is"
    have_zh = f"文件大小 {file_size_text(size)}，" if size is not None else "文件"
    raise DocumentError(
        f"{name}: {have} over the {max_bytes / 1e6:g} MB limit; "
        "split the file or raise SPEECHQA_MAX_FILE_MB.",
        zh=f"{name}：{have_zh}超过 {file_size_text(max_bytes)} 的上限；"
        "请拆分文件，或调大 SPEECHQA_MAX_FILE_MB 后重启。",
    )
