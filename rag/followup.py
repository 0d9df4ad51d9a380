"""When a question leans on the previous turn, and how it is read then.

Three signals of Chinese grammar and of the corpus, none of them a phrasing of a
question set:

* **deixis**: a demonstrative or third-person pronoun that points back at something
  said before (这些, 其中, 它, 上述, 该 …; a demonstrative with a measure word for the
  occasion itself, 这次会议 / 这篇讲话, points at the speech, not at the last turn);
* **ellipsis**: a 呢-question with no question word of its own ("集中学习呢？": what
  about …?) or a question that opens with a connective carrying the last topic on
  (那 / 那么 / 另外 / 还有);
* **a missing noun**: a count or amount asked with its measure word and no noun
  ("今年计划新增多少张？");
* **no topic of its own**: none of its nouns is a term the corpus uses specifically
  (present in the corpus, in at most :data:`SPECIFIC_SHARE` of the paragraphs), so
  retrieval would have nothing to go on ("同比增长了多少？", "原来是多少？").

A question with any of them is read together with the last user turn.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from typing import Any

from speechqa.text import STOPWORDS

from .corpus import Corpus

# A word in at most this share of the corpus's paragraphs names a topic of its own.
SPECIFIC_SHARE = 0.2
# Demonstratives and third-person pronouns (closed classes of Chinese grammar).
_DEICTIC = re.compile(
    r"(?:这|那)(?:些|个|种|类|项|条|一|方面|里|部分|点)|其中|其他|它们?|他们|她们|"
    r"上述|前者|后者|以上|该|此|其(?![实他它余])"
)
# 这次会议 / 这篇讲话 / 本次: the occasion itself, not something said in the chat.
_OCCASION = re.compile(r"^(?:这|本)(?:次|篇|场|份)")
_QUESTION_WORD = re.compile(r"什么|哪|谁|怎|多少|几|如何|何|是否|吗|有没有|是不是")
_ELLIPTIC_END = re.compile(r"呢\s*[？?]?\s*$")
_CARRY_ON = re.compile(r"^(?:那么?|另外|还有|此外)[，,]?")
# Part-of-speech tags (jieba) of words that can name a topic: nouns and verbal nouns.
_NOUN_TAGS = ("n", "vn", "eng")


@functools.cache
def _posseg() -> Any:
    from speechqa.text import _jieba

    _jieba()  # the domain words must be known to the tagger too
    import jieba.posseg

    return jieba.posseg


def _tagged(question: str) -> list[tuple[str, str]]:
    folded = unicodedata.normalize("NFKC", question).lower()
    return [(w.word, w.flag) for w in _posseg().cut(folded) if w.word.strip()]


def is_deictic(question: str) -> bool:
    q = _OCCASION.sub("", question.strip())
    return _DEICTIC.search(q) is not None


def is_elliptical(question: str) -> bool:
    q = question.strip()
    if _CARRY_ON.match(q):
        return True
    if _ELLIPTIC_END.search(q) is not None and _QUESTION_WORD.search(q) is None:
        return True
    words = [(w, f) for w, f in _tagged(q) if f != "x"]
    # "…多少张？": the measure word ends the question, its noun is left out.
    return len(words) >= 2 and words[-1][1] == "q" and words[-2][1] == "m"


def has_own_topic(question: str, corpus: Corpus) -> bool:
    """Some noun of the question is a term the corpus uses, and uses specifically."""
    n = max(1, corpus.size)
    # The IDF of a word found in SPECIFIC_SHARE of the paragraphs (the corpus's formula).
    df = SPECIFIC_SHARE * n
    floor = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return any(
        len(w) >= 2
        and f.startswith(_NOUN_TAGS)
        and w not in STOPWORDS
        and corpus.knows(w)
        and corpus.idf(w) >= floor
        for w, f in _tagged(question)
    )


def leans_on_history(question: str, corpus: Corpus) -> bool:
    return is_deictic(question) or is_elliptical(question) or not has_own_topic(question, corpus)


def standalone(question: str, history: list[str] | None, corpus: Corpus) -> str:
    """The question as retrieval should read it: with the last turn when it leans on it."""
    if not history or not leans_on_history(question, corpus):
        return question
    return f"{history[-1].strip()} {question.strip()}"
