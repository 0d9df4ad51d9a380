"""Load .txt, .md and .docx files into text, detecting Chinese encodings.

The decoded text is kept exactly (only line endings are normalised and a BOM
dropped) because quotes are cut from it.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from speechqa.errors import DocumentError
from speechqa.text import normalize_newlines

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


def _docx_text(data: bytes, name: str) -> tuple[str, str]:
    try:
        import docx  # python-docx; imported here so text files never pay for it
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise DocumentError(f"{name}: python-docx is not installed; reinstall speechqa.") from exc
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(
            f"{name}: not a valid .docx file ({type(exc).__name__}); open and re-save it in Word.",
            zh=f"{name}：不是有效的 .docx 文件；请用 Word 打开后重新保存再上传。",
        ) from None
    # A soft line break inside a Word paragraph is not a new paragraph: ¶n counts
    # Word paragraphs, so it becomes a space.
    lines = [re.sub(r"[\r\n\v]+", " ", p.text) for p in document.paragraphs]
    title = (document.core_properties.title or "").strip()
    if not title:
        for p in document.paragraphs:
            if p.style is not None and p.style.name == "Title" and p.text.strip():
                title = p.text.strip()
                break
    return "\n".join(line for line in lines if line.strip()), title


def _md_title(text: str) -> str:
    for line in text.splitlines():
        m = re.match(r"^#\s+(.+?)\s*#*\s*$", line)
        if m:
            return m.group(1)
    return ""


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
    if not text.strip():
        raise DocumentError(
            f"{name}: every line is blank; give a speech with text in it.",
            zh=f"{name}：每一行都是空白；请上传有正文的讲话稿。",
        )
    return LoadedDocument(
        text=text,
        format=suffix[1:],
        title=title or Path(name).stem,
        source=name,
        encoding=encoding,
    )


def load_path(path: Path, max_bytes: int) -> LoadedDocument:
    """Load a file from disk, checking existence and size before reading it."""
    if not path.exists():
        raise DocumentError(f"{path}: no such file; check the path.")
    if path.is_dir():
        raise DocumentError(f"{path}: is a folder; give the speech files inside it.")
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentError(
            f"{path}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit; "
            "split the file or raise SPEECHQA_MAX_FILE_MB."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(
            f"{path}: cannot be read ({exc.strerror}); check its permissions."
        ) from None
    return load_bytes(data, str(path))
