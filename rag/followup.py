"""When a question leans on the previous turn, and how it is read then.

Signals of Chinese grammar and of the corpus, none of them a phrasing of a question set:

* **deixis**: a third-person pronoun (它, 其, 上述, 前者 …) anywhere, or a demonstrative
  that opens the question (这些…, 那…, 其中…); one met later usually points back inside
  the question itself (…太多让基层疲于应付，去年在这方面做了什么？);
* **ellipsis**: a 呢-question with no question word of its own ("集中学习呢？": what
  about …?), a question that opens with a connective carrying the last topic on
  (那 / 那么 / 另外 / 还有), or a count whose noun is left out in a clause that names
  nothing specific ("…多少张？");
* **no topic of its own**: none of its nouns is specific to the corpus (used in at most
  :data:`SPECIFIC_SHARE` of the paragraphs, or never), so retrieval would have nothing
  to go on ("同比增长了多少？", "原来是多少？").

A question with any of them is read together with the last user turn. On the follow-ups
of the tuning documents (tests/rag/test_followup.py) the rule reads 17 of 22 with their
history; the other five name a topic of their own, four of them one their answering
paragraph uses. Of 390 full tuning questions it would read 10 (2.6%) with a history
(15 when each document is alone in the index).
"""

from __future__ import annotations

import math
import re
import unicodedata

from speechqa.text import STOPWORDS

from .answer_type import posseg
from .corpus import Corpus

# A word in at most this share of the corpus's paragraphs names a topic of its own.
SPECIFIC_SHARE = 0.5
# Pronouns that point outside the question: third-person ones anywhere (它, 其中 …), and
# demonstratives that open it (这些…, 那…): one met later in a question usually points
# back inside it (…太多，这方面做了什么).
_DEICTIC = re.compile(
    r"它们?|他们|她们|上述|前者|后者|(?<![极尤])其(?![实他余中])|该(?=[项类个部])|此(?=[项类次])"
)
_OPENING_DEICTIC = re.compile(
    r"^(?:针对|对于|对|关于|在|从|就)?(?:这|那)(?:些|个|种|类|项|条|一|方面|里|部分|点|样)|^其中"
)
_QUESTION_WORD = re.compile(r"什么|哪|谁|怎|多少|几|如何|何|是否|吗|有没有|是不是")
_ELLIPTIC_END = re.compile(r"呢\s*[？?]?\s*$")
_CARRY_ON = re.compile(r"^(?:那么?|另外|还有|此外)[，,]?")
# Part-of-speech tags (jieba) of words that can name a topic: nouns, verbal nouns, terms,
# idioms (words added to jieba without a tag, the domain terms, come as "x").
_TOPIC_TAGS = ("n", "vn", "eng", "l", "i")


def _tagged(question: str) -> list[tuple[str, str]]:
    folded = unicodedata.normalize("NFKC", question).lower()
    # Punctuation is left out; words added to jieba without a tag (国之大者) are kept.
    return [(w.word, w.flag) for w in posseg().cut(folded) if any(c.isalnum() for c in w.word)]


def is_deictic(question: str) -> bool:
    q = question.strip()
    return _DEICTIC.search(q) is not None or _OPENING_DEICTIC.search(q) is not None


def is_elliptical(question: str, corpus: Corpus) -> bool:
    q = question.strip()
    if _CARRY_ON.match(q):
        return True
    if _ELLIPTIC_END.search(q) is not None and _QUESTION_WORD.search(q) is None:
        return True
    # "…多少张？": a count whose noun is left out, in a clause with no topic of its own.
    last = re.split(r"[，,；;？?]", q.rstrip("？? "))[-1]
    words = _tagged(last)
    return (
        len(words) >= 2
        and words[-1][1] == "q"
        and words[-2][1] == "m"
        and not has_own_topic(last, corpus)
    )


def topic_words(question: str) -> list[str]:
    """The words of the question that can name a topic (nouns, terms)."""
    return [w for w, f in _tagged(question) if f.startswith(_TOPIC_TAGS) or f == "x"]


def has_own_topic(question: str, corpus: Corpus) -> bool:
    """Some noun of the question is specific: the corpus uses it in few paragraphs, or
    never (a question about something the speech does not name still has a topic)."""
    n = max(1, corpus.size)
    # The IDF of a word found in SPECIFIC_SHARE of the paragraphs (the corpus's formula).
    df = SPECIFIC_SHARE * n
    floor = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return any(
        len(w) >= 2
        and w not in STOPWORDS
        and corpus.idf(w) >= floor  # a word the corpus never uses has the highest IDF
        for w in topic_words(question)
    )


def leans_on_history(question: str, corpus: Corpus) -> bool:
    return (
        is_deictic(question)
        or is_elliptical(question, corpus)
        or not has_own_topic(question, corpus)
    )


def standalone(question: str, history: list[str] | None, corpus: Corpus) -> str:
    """The question as retrieval should read it: with the last turn when it leans on it."""
    if not history or not leans_on_history(question, corpus):
        return question
    return f"{history[-1].strip()} {question.strip()}"
