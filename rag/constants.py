"""Citation format, refusal phrase and prompts: the contract shared by the answerers,
the UI, the evaluation and the tests. Change them here only."""

from __future__ import annotations

import re

# A citation is the paragraph sign and the 1-based paragraph number, in square brackets.
CITATION_FORMAT = "[¶{n}]"
# Accepts what models write in practice: [¶3], [¶ 3], ［¶3］, [¶3, ¶5], [¶3-5] is not accepted.
CITATION_RE = re.compile(r"[\[［]\s*¶\s*(\d+(?:\s*[,，、]\s*¶?\s*\d+)*)\s*[\]］]")
QUOTE_OPEN, QUOTE_CLOSE = "「", "」"
QUOTE_RE = re.compile(r"「([^「」]+)」")
# Paste-ready quote for speechwriters: 「…」（第n段）
QUOTE_PASTE_FORMAT = "「{text}」（第{n}段）"

REFUSAL_PHRASE = "讲话中没有涉及这一问题。"
# The one line of prose an extractive list answer writes, before its cited items
# (never generated text): {count} is the number of items in Chinese numerals.
LIST_INTRO = "原文列出以下{count}项："
LIST_INTRO_FIRST = "原文列出{count}项，以下是前{shown}项："  # more items than an answer lists
PARTS_INTRO = "全文分为{count}个部分："
_COUNT_RE = "[一二两三四五六七八九十百]+"
# A template line introduces the cited lines after it; it is not a claim of its own.
INTRO_LINE_RE = re.compile(
    "^(?:"
    + "|".join(
        re.escape(t)
        .replace(re.escape("{count}"), _COUNT_RE)
        .replace(re.escape("{shown}"), _COUNT_RE)
        for t in (LIST_INTRO, LIST_INTRO_FIRST, PARTS_INTRO)
    )
    + ")$"
)
REFUSAL_NEAREST_INTRO = "与问题最接近的段落："
LLM_FALLBACK_NOTICE = "（大模型服务不可用，以下为抽取式回答。原因：{reason}）"
UNVERIFIED_MARK = "（未核实）"

PROMPT_VERSION = "2026-11-29.1"

SYSTEM_PROMPT = (
    "你是一名严谨的讲话稿问答助手。只根据下面提供的讲话段落回答问题，不得使用段落以外的知识，不得编造。\n"
    "规则：\n"
    "1. 每一句话后面都要用 [¶n] 标注依据的段落编号，n 是段落前方括号里的编号，例如 [¶3]。\n"
    "2. 直接引用原文时，用「」括起来，且必须与原文一字不差。\n"
    f"3. 如果讲话中没有回答这个问题的内容，只回答：{REFUSAL_PHRASE}\n"
    "4. 用简洁的中文回答。"
)

CONTEXT_HEADER = "讲话：{title}\n以下是讲话段落（[¶n] 为段落编号，后附所在章节）：\n"
CONTEXT_PARAGRAPH = "[¶{n}]（{section}）{text}"
QUESTION_TEMPLATE = "问题：{question}"

CONDENSE_PROMPT = (
    "根据对话历史，把最后的追问改写成一个不依赖上下文、可以单独理解的中文问题。"
    "只输出改写后的问题，不要回答它。\n\n对话历史：\n{history}\n\n追问：{question}\n\n独立问题："
)


def cite(n: int) -> str:
    return CITATION_FORMAT.format(n=n)


def paste_quote(text: str, n: int) -> str:
    return QUOTE_PASTE_FORMAT.format(text=text, n=n)


_DIGITS = "零一二三四五六七八九"


def count_words(n: int) -> str:
    """1..99 in Chinese numerals as a count: 2 → 两, 3 → 三, 12 → 十二, 20 → 二十."""
    if n == 2:
        return "两"
    if n < 10:
        return _DIGITS[n]
    tens, units = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[units] if units else "")
