"""Citation verification on a small document: no model needed."""

from __future__ import annotations

from ingest.parse import parse
from rag.cite import verify
from rag.constants import LIST_INTRO, UNVERIFIED_MARK

TEXT = (
    "同志们：\n去年召开40次党组会，集中学习30余次。\n今年要“严”字当头；抓好警示教育。\n最后一段。"
)
DOC = parse(TEXT, "txt", "demo", "演示")
ALL = {1, 2, 3, 4}


def test_bare_citation_is_verified_with_paragraph_span() -> None:
    out = verify("去年开了四十次党组会。[¶2]", DOC, ALL)
    assert [(c.paragraph, c.quote, c.verified) for c in out.citations] == [(2, None, True)]
    c = out.citations[0]
    assert TEXT[c.start : c.end] == DOC.paragraphs[1].text
    assert out.sentences == 1 and out.uncited == 0


def test_verbatim_quote_gets_exact_offsets() -> None:
    out = verify("「集中学习30余次」[¶2]", DOC, ALL)
    (c,) = out.citations
    assert c.verified and TEXT[c.start : c.end] == "集中学习30余次"


def test_quote_with_other_punctuation_width_still_verifies() -> None:
    out = verify('「今年要"严"字当头; 抓好警示教育」[¶3]', DOC, ALL)
    (c,) = out.citations
    assert c.verified
    assert TEXT[c.start : c.end] == "今年要“严”字当头；抓好警示教育"


def test_invented_quote_is_marked_and_never_verified() -> None:
    out = verify("「去年召开50次党组会」[¶2]", DOC, ALL)
    (c,) = out.citations
    assert not c.verified and c.start is None
    assert UNVERIFIED_MARK in out.text


def test_quote_from_another_paragraph_is_unverified_but_located() -> None:
    out = verify("「抓好警示教育」[¶2]", DOC, ALL)
    (c,) = out.citations
    assert not c.verified and c.found_in == 3


def test_citation_of_missing_paragraph_is_dropped() -> None:
    out = verify("有这回事。[¶99]", DOC, ALL)
    assert out.invalid == [99]
    assert out.citations == []
    assert "[¶99]" not in out.text
    assert out.uncited == 1


def test_citation_outside_the_context_is_dropped() -> None:
    out = verify("有这回事。[¶3]", DOC, {2})
    assert out.invalid == [3] and out.citations == []


def test_citation_before_the_full_stop_and_lists_of_paragraphs() -> None:
    out = verify("第一句[¶2]。第二句。[¶3, ¶4]", DOC, ALL)
    assert sorted(c.paragraph for c in out.citations) == [2, 3, 4]
    assert out.sentences == 2 and out.uncited == 0


def test_uncited_sentences_are_counted() -> None:
    out = verify("有引用。[¶2]\n没有引用的一句。", DOC, ALL)
    assert out.sentences == 2 and out.uncited == 1


def test_asked_value_goes_to_the_quote_that_holds_it() -> None:
    value = (TEXT.index("30余次"), TEXT.index("30余次") + len("30余次"))
    out = verify(
        "「去年召开40次党组会，集中学习30余次。」[¶2]\n「最后一段。」[¶4]", DOC, ALL, [value]
    )
    first, last = out.citations
    assert (first.value_start, first.value_end) == value
    assert TEXT[first.value_start : first.value_end] == "30余次"
    assert last.value_start is None and last.value_end is None


def test_template_line_is_not_an_uncited_sentence() -> None:
    text = LIST_INTRO.format(count="两") + "\n「去年召开40次党组会」[¶2]\n「抓好警示教育」[¶3]"
    out = verify(text, DOC, ALL)
    assert out.sentences == 2 and out.uncited == 0
    out = verify("这是一句没有出处的话。\n「抓好警示教育」[¶3]", DOC, ALL)
    assert out.sentences == 2 and out.uncited == 1
