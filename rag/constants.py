"""Citation format, refusal phrase and prompts: the contract shared by the answerers,
the UI, the evaluation and the tests. Change them here only."""

from __future__ import annotations

import re

# A citation is the paragraph sign and the 1-based paragraph number, in square brackets.
CITATION_FORMAT = "[¶{n}]"
# Accepts what models write in practice: [¶3], [¶ 3], ［¶3］, [¶3, ¶5], [¶3-5] is not accepted.
CITATION_RE = re.compile(r"[\[［]\s*¶\s*(\d+(?:\s*[,，、]\s*¶?\s*\d+)*)\s*[\]］]")
# Citations as models write them when they stray from the format, normalised to [¶n]
# before checking (rag.cite.normalize_citations): 【¶3】 〔¶3〕 [3] ［3, 5］ [第3段], and in
# round brackets only with ¶ or 第…段 — （¶3） （第3段） (见第3、5段) — because （1）
# and (一) are outline markers in Chinese text, not citations.
_NUMS = r"\d+(?:\s*(?:[,，、]|和|及|与)\s*(?:第\s*)?¶?\s*\d+)*"
CITATION_VARIANT_RES = (
    re.compile(
        r"[\[［【〔]\s*(?:见|参见|出处[:：]?)?\s*(?:第\s*)?¶?\s*(?P<nums>"
        + _NUMS
        + r")\s*段?\s*[\]］】〕]"
    ),
    re.compile(
        r"[(（]\s*(?:见|参见|出处[:：]?)?\s*(?:¶\s*(?P<nums>" + _NUMS + r")"
        r"|第\s*(?P<nums2>" + _NUMS + r")\s*段)\s*[)）]"
    ),
)
QUOTE_OPEN, QUOTE_CLOSE = "「", "」"
QUOTE_RE = re.compile(r"「([^「」]+)」")
# Paste-ready quote for speechwriters: 「…」（第n段）
QUOTE_PASTE_FORMAT = "「{text}」（第{n}段）"

REFUSAL_PHRASE = "讲话中没有涉及这一问题。"
# A model refuses in its own words: the phrase above, or "the speech does not mention /
# say / contain this" in any of the ways below. Matched only in an answer with no
# valid citation (a cited answer is an answer). Checked against the phrasings in
# tests/reliability/test_llm_wording.py.
REFUSAL_VARIANTS = (
    REFUSAL_PHRASE,
    "讲话中并未提到这方面的内容。",
    "讲话没有提及这一问题。",
    "原文未涉及该问题。",
    "所给段落中没有相关内容。",
    "根据提供的讲话内容，无法回答这个问题。",
    "讲话中找不到相关信息。",
)
REFUSAL_RE = re.compile(
    r"(?:没有|没|并未|并没有|未|未曾|不曾|并不)\s*(?:直接|明确|具体|专门|特别)?\s*"
    r"(?:涉及|提到|提及|谈到|谈及|说到|讲到|论及|触及|包含|包括|涵盖|给出|说明|介绍|记载|交代|阐述|回答)"
    r"|(?:无|没有|缺少|缺乏|找不到|未找到|查不到|不包含|不涉及)\s*(?:与此|与之|与该问题|与这一问题)?\s*"
    r"(?:相关|有关|对应)的?\s*(?:内容|信息|表述|论述|说明|段落|答案|回答)"
    r"|(?:没有|并无|未见|无)(?:关于|涉及|有关|针对)[^。！？\n]{0,20}?的?(?:具体|明确|相关)?"
    r"(?:内容|信息|表述|论述|说明|规定|数据|数字)"
    r"|无法(?:根据|依据|从|通过)[^。！？\n]{0,30}(?:回答|得出|确定|判断|找到)"
    r"|无法(?:直接|准确|确切)?(?:回答|作答|得知)|无从(?:回答|判断|得知)"
)
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
# A partial answer: the speech touches the question without answering it directly.
PARTIAL_INTRO = "讲话没有直接回答这个问题，与之最相关的原文是："
PARTIAL_LABEL = "部分相关"
# The service failed (HTTP error, timeout, the deadline): the extractive answer stands in.
LLM_FALLBACK_NOTICE = "（大模型服务不可用，以下为抽取式回答。原因：{reason}）"
# The service answered, but its answer could not be checked against the speech.
LLM_UNCHECKED_NOTICE = "（大模型的回答无法核对出处，以下为抽取式回答。原因：{reason}）"
UNVERIFIED_MARK = "（未核实）"
# A sentence whose citations were all dropped, or an LLM sentence with none.
UNCITED_MARK = "（无出处）"

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
