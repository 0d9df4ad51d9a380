"""Every error a user may see speaks both languages (issue 13 §2).

An ast walk over the product code: each construction of a :class:`SpeechQAError`
subclass passes an English message (no Chinese in it) and a Chinese one (``zh=``).
"""

from __future__ import annotations

import ast
import inspect
import re

import helpers
import pytest
from test_import_graph import product_modules

from speechqa import errors
from speechqa.lang import current_lang, locale_lang, say

NOT_CHECKED_PREFIXES: tuple[str, ...] = ()  # every product module is checked
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def error_classes() -> dict[str, type[errors.SpeechQAError]]:
    """The typed errors whose constructor takes the two messages (a class that writes
    its own, like LLMNotConfiguredError, takes no ``zh``)."""
    return {
        name: cls
        for name, cls in vars(errors).items()
        if isinstance(cls, type)
        and issubclass(cls, errors.SpeechQAError)
        and "zh" in inspect.signature(cls).parameters
    }


def literal_text(node: ast.expr) -> str:
    """The constant parts of a string expression (f-string pieces, implicit concatenation,
    a conditional's both branches)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(literal_text(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return literal_text(node.left) + literal_text(node.right)
    if isinstance(node, ast.IfExp):
        return literal_text(node.body) + literal_text(node.orelse)
    return ""


def unilingual_raises() -> list[str]:
    classes = error_classes()
    problems = []
    for module, path in product_modules().items():
        if module.startswith(NOT_CHECKED_PREFIXES):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name not in classes:
                continue
            where = f"{path.relative_to(helpers.ROOT)}:{node.lineno}"
            zh = next((k.value for k in node.keywords if k.arg == "zh"), None)
            if zh is None:
                problems.append(f"{where}: {name}(…) without zh=")
            elif literal_text(zh) and not _CJK.search(literal_text(zh)):
                problems.append(f"{where}: zh= holds no Chinese")
            if node.args and _CJK.search(literal_text(node.args[0])):
                problems.append(f"{where}: the English message holds Chinese")
    return problems


def test_every_raised_error_carries_an_english_and_a_chinese_message() -> None:
    problems = unilingual_raises()
    assert not problems, "\n".join(problems)


def test_the_message_follows_the_language() -> None:
    err = errors.DocumentError("a.txt: the file is empty.", zh="a.txt：文件是空的。")
    assert err.message("en") == str(err) == "a.txt: the file is empty."
    assert err.message("zh") == err.chinese == "a.txt：文件是空的。"
    not_configured = errors.LLMNotConfiguredError()
    assert "--mode extractive" in not_configured.message("en")
    assert "未配置大模型服务" in not_configured.message("zh")
    assert "SPEECHQA_LLM_MODEL" in not_configured.message("zh")


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW.Big5"}, "zh"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),
    ],
)
def test_the_locale_decides(environ: dict[str, str], lang: str) -> None:
    assert locale_lang(environ) == lang
    assert current_lang(environ) == lang


def test_speechqa_lang_forces_one() -> None:
    assert current_lang({"LANG": "C", "SPEECHQA_LANG": "zh"}) == "zh"
    assert current_lang({"LANG": "zh_CN.UTF-8", "SPEECHQA_LANG": "EN"}) == "en"
    # A bad value is the settings' to report; the message then follows the locale.
    assert current_lang({"LANG": "zh_CN.UTF-8", "SPEECHQA_LANG": "fr"}) == "zh"
    assert say("中文", "English", "zh") == "中文"
    assert say("中文", "English", "en") == "English"


def test_an_unknown_document_names_a_few_of_those_there_are() -> None:
    err = errors.UnknownDocumentError.of("nope", [f"d{i}" for i in range(7)])
    assert str(err) == (
        "document 'nope' is not in the index (have: d0, d1, d2, d3, d4 and 2 more); "
        "see 'speechqa docs' or ingest it first."
    )
    assert err.chinese.startswith("索引中没有文档 'nope'（现有：d0、d1、d2、d3、d4 等 7 篇）")
    assert "(have: none)" in str(errors.UnknownDocumentError.of("x", []))
    assert err.exit_code == 2
