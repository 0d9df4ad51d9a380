"""Property-based fuzzing (hypothesis) of the loader, the ¶ parser, citation checking
and the question path: whatever comes in, a typed error or a consistent result, never
a traceback; ¶ numbers, offsets and spans always agree with the text."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ingest.load import is_blank, load_bytes
from ingest.parse import ParsedDocument, parse
from ingest.pipeline import prepare
from rag.cite import normalize_citations, verify
from rag.service import Assistant
from speechqa.errors import DocumentError, SpeechQAError
from speechqa.text import fold

# Text that looks like speeches and like what breaks them: CJK, outline markers,
# Markdown, invisible and odd whitespace, surrogate-free controls.
SPEECH_CHARS = st.sampled_from(
    [
        *"同志们：一二三、（）1.。，；！？「」[]¶#* \t\n\r　第段3",
        *("\u200b", "\ufeff", "\u2028", "\x0b", "\x0c", "\x1c", "\u00a0"),
    ]
)
speech_text = st.one_of(
    st.text(SPEECH_CHARS, max_size=300),
    st.text(max_size=300),
    st.lists(
        st.sampled_from(["同志们：", "一、总体要求", "（一）加强学习", "1. 明确任务", "# 标题", ""])
        | st.text(SPEECH_CHARS, max_size=40),
        max_size=20,
    ).map("\n".join),
)
FUZZ = settings(max_examples=80, deadline=None)


def check_parsed(doc: ParsedDocument) -> None:
    assert [p.n for p in doc.paragraphs] == list(range(1, len(doc.paragraphs) + 1))
    last_end = -1
    for p in doc.paragraphs:
        assert p.text and p.text == p.text.strip()
        assert doc.text[p.start : p.end] == p.text
        assert p.start > last_end
        last_end = p.end
        assert doc.paragraph(p.n) is p
    assert doc.paragraph(0) is None and doc.paragraph(len(doc.paragraphs) + 1) is None
    for c in doc.chunks():
        p = doc.paragraph(c.n)
        assert p is not None and p.start <= c.start < c.end <= p.end
        assert doc.text[c.start : c.end] == c.text


@FUZZ
@given(text=speech_text, fmt=st.sampled_from(["txt", "md", "docx"]))
def test_parse_numbering_and_offsets_hold_for_any_text(text: str, fmt: str) -> None:
    check_parsed(parse(text, fmt, "fuzz", "标题"))


@FUZZ
@given(
    data=st.one_of(
        st.binary(max_size=400),
        speech_text.map(lambda t: t.encode("utf-8")),
        speech_text.map(lambda t: t.encode("gb18030", "ignore")),
        speech_text.map(lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le")),
    ),
    suffix=st.sampled_from([".txt", ".md", ".docx", ".pdf", ""]),
)
@example(data="\u200b\n\ufeff".encode(), suffix=".txt")
def test_loader_gives_a_document_or_a_one_line_error(data: bytes, suffix: str) -> None:
    try:
        loaded = load_bytes(data, f"fuzz{suffix}")
    except DocumentError as exc:
        assert "\n" not in str(exc) and exc.exit_code == 2
        return
    assert not is_blank(loaded.text)
    doc = prepare(loaded)
    assert doc.paragraphs
    check_parsed(doc)


citation_text = st.lists(
    st.one_of(
        st.text(SPEECH_CHARS, max_size=20),
        st.integers(0, 30).map(lambda n: f"[¶{n}]"),
        st.integers(0, 30).map(lambda n: f"（第{n}段）"),
        st.integers(0, 30).map(lambda n: f"【¶{n}】"),
        st.integers(0, 30).map(lambda n: f"[{n}]"),
        st.just("「同志们」"),
        st.just("。"),
    ),
    max_size=25,
).map("".join)


@FUZZ
@given(text=citation_text, allowed=st.sets(st.integers(1, 20), max_size=20))
def test_citation_checking_is_consistent_for_any_answer(text: str, allowed: set[int]) -> None:
    doc = parse("同志们：\n" + "\n".join(f"第{i}段的正文。" for i in range(2, 19)), "txt", "d", "t")
    checked = verify(normalize_citations(text), doc, allowed, mark_uncited=True)
    for c in checked.citations:
        if c.verified:
            assert c.paragraph in allowed and doc.paragraph(c.paragraph) is not None
            assert c.start is not None and c.end is not None
            assert 0 <= c.start <= c.end <= len(doc.text)
            if c.quote:
                assert fold(doc.text[c.start : c.end]).text == fold(c.quote).text
    assert checked.uncited <= checked.sentences


@pytest.fixture(scope="module")
def extractive(bundled_index: object) -> Assistant:
    from ingest.store import Index
    from speechqa.factory import build_assistant
    from speechqa.settings import Settings

    assert isinstance(bundled_index, Index)
    return build_assistant(Settings(store=bundled_index.settings.store), index=bundled_index)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=st.one_of(st.text(max_size=600), st.text(SPEECH_CHARS, max_size=80)))
@example(question="")
@example(question="　\u200b ")
@example(question="x" * 501)
def test_question_path_never_raises_untyped(extractive: Assistant, question: str) -> None:
    try:
        answer = extractive.ask(question)
    except SpeechQAError as exc:
        assert "\n" not in str(exc)
        return
    doc = extractive.corpus.docs[answer.doc_id or ""]
    for c in answer.citations:
        p = doc.paragraph(c.paragraph)
        assert p is not None
        if c.verified and c.start is not None and c.end is not None:
            assert p.start <= c.start <= c.end <= p.end
    assert answer.refused or answer.citations
