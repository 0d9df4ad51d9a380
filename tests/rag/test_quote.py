"""Quote mode for speechwriters."""

from __future__ import annotations

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
    assert set(d) == {"topic", "doc_id", "title", "quotes", "concordance"}
    assert d["title"] == assistant.corpus.docs[str(d["doc_id"])].title
    assert d["concordance"][0]["count"] >= 1
