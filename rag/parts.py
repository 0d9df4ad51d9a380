"""Questions that ask two things at once.

"临江港集装箱吞吐量去年是多少，今年力争达到多少？" asks for two values, usually in two
paragraphs (last year's result, this year's target). Answered as one question, the
answer holds whichever part scores best. Split into its asking clauses, each part is
answered on its own and the answers are joined.

The split is grammatical, not a list of phrasings: a clause asks when it holds an
interrogative word; a question with two or more asking clauses has parts. A later part
that leans on the first one's subject ("今年力争达到多少") is given that subject: the
first clause up to its time word or its interrogative.
"""

from __future__ import annotations

import re

# Interrogatives of Chinese questions (a clause holding one asks something).
_ASKS = re.compile(
    r"多少|哪(?!怕)|什么|为何|几[个项条次年月天名人处座所期批大]"
    r"|如何|怎么|怎样|是否|有没有|是不是|谁|何时|吗[？?]?$|呢[？?]?$"
)
# Clause ends inside a question.
_CLAUSE = re.compile(r"[，,；;？?]")
# Time words that head the second half of a then/now contrast (去年…，今年…).
_TIME = re.compile(r"去年|今年|明年|前年|上年|本年|当年|目前|现在|当前|此前|下一步|近年|过去")
MIN_SUBJECT_CHARS = 2
MAX_PARTS = 3


def question_parts(question: str) -> list[str]:
    """The asking clauses of ``question`` as standalone questions, when it asks two or
    more things; [] when it asks one (or more than :data:`MAX_PARTS`: then it is a list
    of wishes, better answered as a whole)."""
    clauses = [c.strip() for c in _CLAUSE.split(question) if c.strip()]
    first = next((i for i, c in enumerate(clauses) if _ASKS.search(c)), len(clauses))
    # Clauses before the first asking one set the scene for every part ("教师招聘方面，").
    context, asking = "".join(clauses[:first]), clauses[first:]
    if len(asking) < 2 or len(asking) > MAX_PARTS or not all(_ASKS.search(c) for c in asking):
        return []
    subject = _subject(asking[0])
    parts = [context + asking[0]]
    for clause in asking[1:]:
        lead = clause.lstrip("又还并而且另外那么")
        if subject and subject not in lead and not _has_own_subject(lead):
            lead = subject + lead
        parts.append(context + lead)
    return parts


# Part-of-speech tags that end the leading noun phrase (jieba's tag set): verbs (but not
# verbal nouns), time words, pronouns, prepositions, adverbs, particles, conjunctions.
_STOP_TAGS = ("v", "t", "r", "p", "d", "u", "c", "y", "f")


def _subject(clause: str) -> str:
    """What the first clause is about: its leading noun phrase, after a leading time
    word ("去年主汛期降雨…" → 主汛期)."""
    from .answer_type import posseg

    words = list(posseg().cut(_TIME.sub("", clause, count=1) if _TIME.match(clause) else clause))
    subject = ""
    for w in words:
        if not subject and w.flag.startswith("r") and w.word[0] in "这该本此那":
            subject += w.word  # a demonstrative opens the phrase: 这次会议, 该项目
            continue
        if (w.flag.startswith(_STOP_TAGS) and w.flag != "vn") or _ASKS.match(w.word):
            break
        subject += w.word
    return subject if len(subject) >= MIN_SUBJECT_CHARS else ""


def _has_own_subject(clause: str) -> bool:
    """The clause names its own topic before asking (more than a time word and a verb)."""
    m = _ASKS.search(clause)
    head = clause[: m.start()] if m else clause
    head = _TIME.sub("", head)
    return len(head) >= 6
