"""The language of the command line's messages: Chinese or English.

``SPEECHQA_LANG=zh|en`` forces one; otherwise the locale decides (POSIX order:
``LC_ALL``, then ``LC_MESSAGES``, then ``LANG``): Chinese for ``zh_*``, English for
anything else. Light on purpose: the CLI needs the language before (and when) the
settings fail to load, so this reads the environment itself; ``Settings.lang`` has
the same default and validates the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


def locale_lang(environ: Mapping[str, str] | None = None) -> Lang:
    """``zh`` when the messages locale is Chinese (``zh_CN.UTF-8``, ``zh_TW``, ``zh``),
    else ``en``."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip()
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def current_lang(environ: Mapping[str, str] | None = None) -> Lang:
    """``SPEECHQA_LANG`` when it is ``zh`` or ``en``, else the locale's language (a bad
    value is reported by the settings, in the locale's language)."""
    env = os.environ if environ is None else environ
    forced = env.get("SPEECHQA_LANG", "").strip().lower()
    if forced == "zh":
        return "zh"
    if forced == "en":
        return "en"
    return locale_lang(env)


def say(zh: str, en: str, lang: Lang | None = None) -> str:
    """The text for ``lang`` (default: :func:`current_lang`)."""
    return zh if (lang or current_lang()) == "zh" else en
