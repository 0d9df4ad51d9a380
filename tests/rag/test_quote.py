"""Quote mode for speechwriters."""

from __future__ import annotations

from rag.quote import NO_QUOTES, RELATED_HEAD, contains
from rag.service import Assistant


def test_quotes_are_verbatim_with_context(assistant: Assistant) -> None:
    result = assistant.quote("国之大者")
    text = assistant.corpus.docs[result.doc_id or ""].text
    assert result.quotes
    for q in result.quotes:
        assert text[q.start : q.end] == q.text
        assert q.paste == f"「{q.text}」（第{q.paragraph}段）"
    assert result.quotes[0].paragraph == 12


def test_concordance_counts_every_occurrence(assistant: Assistant) -> None:
    result = assistant.quote("国之大者")
    (conc,) = [c for c in result.concordance if c.term == "国之大者"]
    assert conc.count == 3
    assert {o.paragraph for o in conc.occurrences} == {12}
    text = assistant.corpus.docs[result.doc_id or ""].text
    assert all(text[o.start : o.end] == "国之大者" for o in conc.occurrences)


def test_markdown_is_ready_to_paste(assistant: Assistant) -> None:
    result = assistant.quote("警示教育")
    md = result.to_markdown()
    assert "「" in md and "（第16段）" in md
    # The document is named by its title, in the Markdown and in the terminal text.
    title = assistant.corpus.docs[result.doc_id or ""].title
    assert result.title == title
    assert f"出自《{title}》" in md and f"出自《{title}》" in result.to_text()


def test_json_shape(assistant: Assistant) -> None:
    d = assistant.quote("三会一课").to_dict()
    assert set(d) == {"topic", "term", "doc_id", "title", "quotes", "related", "concordance"}
    assert d["term"] == "三会一课"
    assert d["title"] == assistant.corpus.docs[str(d["doc_id"])].title
    assert d["concordance"][0]["count"] >= 1
    assert set(d["concordance"][0]["paragraphs"][0]) >= {"paragraph", "count", "start", "end"}


def test_every_quote_holds_the_term_and_related_passages_are_apart(assistant: Assistant) -> None:
    result = assistant.quote("国之大者")
    assert result.quotes and result.related
    assert all(contains(q.text, ["国之大者"]) for q in result.quotes)
    assert not any(contains(q.text, ["国之大者"]) for q in result.related)
    assert {q.paragraph for q in result.quotes} == {12}


def test_term_is_compared_after_width_and_quote_folding(assistant: Assistant) -> None:
    # Full-width digits and straight quotes still find “三会一课” and “四风”.
    result = assistant.quote('"三会一课"')
    assert result.term == "三会一课"
    assert result.quotes and all("三会一课" in q.text for q in result.quotes)
    assert contains("２０２２年局党组", ["2022年"])


def test_a_phrase_the_speech_never_says_needs_each_of_its_words(assistant: Assistant) -> None:
    result = assistant.quote("纪律教育和警示教育")
    assert result.term == "纪律教育、警示教育"
    assert result.quotes
    for q in result.quotes:
        assert "纪律教育" in q.text and "警示教育" in q.text


def test_concordance_lists_each_paragraph_once_with_its_count(assistant: Assistant) -> None:
    result = assistant.quote("全面从严治党")
    (conc,) = [c for c in result.concordance if c.term == "全面从严治党"]
    paragraphs = [pc.paragraph for pc in conc.paragraphs]
    assert paragraphs == sorted(set(paragraphs))
    assert sum(pc.count for pc in conc.paragraphs) == conc.count == len(conc.occurrences)
    many = [pc for pc in conc.paragraphs if pc.count > 1]
    assert many
    text = result.to_text()
    md = result.to_markdown()
    for pc in many:
        assert f"¶{pc.paragraph}（{pc.count}次）" in text
        assert f"第{pc.paragraph}段（{pc.count}次）" in md
    assert text.count(f"¶{many[0].paragraph}（") == 1
    d = result.to_dict()["concordance"][0]
    assert [p["paragraph"] for p in d["paragraphs"]] == paragraphs


def test_related_passages_in_text_and_markdown(assistant: Assistant) -> None:
    result = assistant.quote("国之大者")
    head = RELATED_HEAD.format(term="国之大者")
    assert head in result.to_text() and f"### {head}" in result.to_markdown()
    md = result.to_markdown()
    quotes_part, related_part = md.split(f"### {head}")
    assert all(q.paste in related_part for q in result.related)
    assert all(q.paste in quotes_part for q in result.quotes)


def test_no_quote_holds_the_term(assistant: Assistant) -> None:
    result = assistant.quote("数字政府")
    assert result.quotes == []
    assert NO_QUOTES.format(term="数字政府") in result.to_markdown()
