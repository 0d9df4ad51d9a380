"""Chinese text helpers shared by ingest and rag: sentence splitting on Chinese
punctuation, jieba tokens for lexical matching, and the normalisation used when a
quote is compared with the speech."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

# Sentence ends; a closing quote or bracket right after belongs to the sentence.
_SENTENCE_END = "。！？；!?;"
_CLOSERS = "”’」』）)】》\"'"
_SENTENCE_RE = re.compile(rf"[^{_SENTENCE_END}]*(?:[{_SENTENCE_END}]+[{re.escape(_CLOSERS)}]*|$)")

# Punctuation that differs only in width or style is compared as one character.
_PUNCT_FOLD = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "‘": "'",
        "’": "'",
        "『": '"',
        "』": '"',
        "「": '"',
        "」": '"',
        "《": "<",
        "》": ">",
        "〈": "<",
        "〉": ">",
        "【": "[",
        "】": "]",
        "〔": "[",
        "〕": "]",
        "—": "-",
        "–": "-",
        "－": "-",
        "．": ".",
        "｡": "。",
        "、": "、",
        "·": "·",
        "•": "·",
    }
)

# Domain words jieba would otherwise cut apart; they matter for BM25 on Party speeches.
DOMAIN_WORDS = (
    "全面从严治党",
    "党风廉政建设",
    "四个意识",
    "四个自信",
    "两个维护",
    "两个确立",
    "三会一课",
    "四风",
    "四种形态",
    "国之大者",
    "三重一大",
    "以案促改",
    "第一议题",
    "主题教育",
    "问题线索",
    "函询",
    "行政处分",
    "中心组",
    "党支部",
    "党组会",
    "宣讲",
    "形式主义",
    "官僚主义",
    "反腐败",
    "警示教育",
    "廉政风险",
    "营商环境",
    "我为群众办实事",
    "不敢腐",
    "不能腐",
    "不想腐",
)

# Words that say how a question is asked, not what it is about.
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "等",
        "也",
        "都",
        "就",
        "要",
        "把",
        "对",
        "从",
        "向",
        "为",
        "以",
        "于",
        "上",
        "下",
        "中",
        "之",
        "其",
        "这",
        "那",
        "这些",
        "那些",
        "什么",
        "哪些",
        "哪个",
        "哪",
        "多少",
        "几",
        "几次",
        "几个",
        "几项",
        "怎么",
        "怎样",
        "如何",
        "为什么",
        "是否",
        "有没有",
        "有",
        "没有",
        "吗",
        "呢",
        "吧",
        "啊",
        "请",
        "请问",
        "一下",
        "讲话",
        "讲话中",
        "讲话人",
        "提到",
        "提出",
        "说",
        "谈到",
        "指出",
        "强调",
        "关于",
        "方面",
        "哪些方面",
        "主要",
        "一共",
        "分别",
        "我们",
        "你们",
        "他们",
        "大家",
        "同志",
        "同志们",
        "文中",
        "原文",
        "内容",
        "哪里",
        "何",
        "谁",
        "时候",
        "什么时候",
        "怎么样",
        "具体",
        "情况",
        "问题",
        "是什么",
        "有哪些",
        "给出",
        "列出",
        "引用",
        "原话",
        "句子",
        "一句",
        "段落",
        "第",
        "段",
    ]
)


@functools.cache
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    for word in DOMAIN_WORDS:
        jieba.add_word(word, freq=200000)
    return jieba


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Char spans [start, end) of the sentences of ``text``, shifted by ``offset``.

    Splits after 。！？； (and their ASCII forms) keeping trailing closing quotes;
    leading and trailing whitespace is not part of a span.
    """
    spans: list[tuple[int, int]] = []
    for m in _SENTENCE_RE.finditer(text):
        s, e = m.span()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((s + offset, e + offset))
    return spans


def _is_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


@functools.cache
def tokenizer_key() -> str:
    """Names this tokenizer (jieba's version, the domain words, the stopwords):
    tokens stored by another one are not reused."""
    from importlib.metadata import version

    parts = [version("jieba"), *DOMAIN_WORDS, "|", *sorted(STOPWORDS)]
    return hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()[:12]


def tokenize(text: str) -> list[str]:
    """Tokens for BM25: jieba search-mode words, NFKC-folded and lower-cased,
    without punctuation and stopwords."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return [
        tok
        for tok in _jieba().cut_for_search(folded)
        if tok.strip() and _is_word(tok) and tok not in STOPWORDS
    ]


# Interrogatives glued to a measure word by jieba ("多少次", "几人", "哪一年").
_INTERROGATIVE = re.compile(r"^(多少|几|哪)")


def content_words(text: str) -> list[str]:
    """The distinct content words of a question (jieba precise mode, no stopwords
    and no interrogatives)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    seen: dict[str, None] = {}
    for tok in _jieba().cut(folded):
        if tok.strip() and _is_word(tok) and tok not in STOPWORDS and not _INTERROGATIVE.match(tok):
            seen.setdefault(tok, None)
    return list(seen)


def _fold_char(ch: str) -> str:
    if ch.isspace():
        return ""
    return unicodedata.normalize("NFKC", ch.translate(_PUNCT_FOLD)).translate(_PUNCT_FOLD).lower()


@dataclass(frozen=True)
class Folded:
    """A string folded for comparison, with the original index of every folded char."""

    text: str
    index: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) of folded [start, end)."""
        return self.index[start], self.index[end - 1] + 1


@functools.lru_cache(maxsize=8192)
def fold(text: str) -> Folded:
    """NFKC, full/half-width and quote-style folding, whitespace removed.

    Cached: answering folds the same paragraphs and sentences for every question."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for f in _fold_char(ch):
            out.append(f)
            index.append(i)
    return Folded("".join(out), tuple(index))


_ELLIPSIS_RE = re.compile(r"(?:…+|\.{3,}|。{3,})")


def find_quote(quote: str, haystack: str) -> tuple[int, int] | None:
    """Original-text span of ``quote`` in ``haystack`` after folding, or None.

    An ellipsis inside the quote stands for omitted text: its pieces must occur
    in order, and the span runs from the first piece to the last.
    """
    pieces = [fold(p).text for p in _ELLIPSIS_RE.split(quote)]
    pieces = [p for p in pieces if p]
    if not pieces:
        return None
    hay = fold(haystack)
    pos, first = 0, -1
    end = 0
    for piece in pieces:
        at = hay.text.find(piece, pos)
        if at < 0:
            return None
        if first < 0:
            first = at
        pos = at + len(piece)
        end = pos
    return hay.span(first, end)


def char_ngrams(text: str, n: int = 2) -> set[str]:
    folded = fold(text).text
    return {folded[i : i + n] for i in range(max(0, len(folded) - n + 1))}


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
