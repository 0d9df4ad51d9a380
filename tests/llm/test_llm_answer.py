"""The LLM answerer end to end: Assistant → ChatOpenAI → openai client → HTTP/SSE →
the scripted server on loopback, then citation verification on the real index."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fake_openai import API_KEY, MODEL, FakeOpenAI
from helpers import SPEECH_ID

from rag.constants import (
    CONDENSE_PROMPT,
    QUESTION_TEMPLATE,
    REFUSAL_PHRASE,
    SYSTEM_PROMPT,
    UNVERIFIED_MARK,
)
from rag.llm import build_context
from rag.result import Answer
from rag.service import Assistant, Event
from speechqa.text import fold

QUESTION = "一共开展了几次集中学习？"
# Verbatim in ¶3 of the bundled speech.
QUOTE = "组织理论中心组、各级党支部集中学习30余次"
GOOD = f"局党组组织开展集中学习30余次[¶3]。原文是：「{QUOTE}」[¶3]。"


def run(
    assistant: Assistant, question: str = QUESTION, **kwargs: Any
) -> tuple[list[Event], Answer]:
    events = list(assistant.stream(question, **kwargs))
    final = events[-1]
    assert final.kind == "final" and final.answer is not None
    return events[:-1], final.answer


def document_text(assistant: Assistant) -> str:
    return assistant.corpus.docs[SPEECH_ID].text


def assert_offsets(assistant: Assistant, answer: Answer) -> None:
    """Every verified quote maps to the document span that holds it."""
    text = document_text(assistant)
    for c in answer.citations:
        if c.verified and c.quote is not None:
            assert c.start is not None and c.end is not None
            assert fold(text[c.start : c.end]).text == fold(c.quote).text, c


def test_streamed_answer_with_verified_quote(fake: FakeOpenAI, assistant: Assistant) -> None:
    fake.push({"text": GOOD, "stream_chunks": 6})
    events, answer = run(assistant)

    deltas = [e.text for e in events if e.kind == "delta"]
    assert len(deltas) >= 5, deltas  # streamed, not delivered in one piece
    assert "".join(deltas) == GOOD
    assert not [e for e in events if e.kind == "restart"]

    assert answer.mode == "llm" and answer.notice is None and not answer.refused
    assert answer.doc_id == SPEECH_ID
    assert answer.answer == GOOD
    quoted = [c for c in answer.citations if c.quote is not None]
    assert [(c.paragraph, c.quote, c.verified) for c in quoted] == [(3, QUOTE, True)]
    start = document_text(assistant).index(QUOTE)
    assert (quoted[0].start, quoted[0].end) == (start, start + len(QUOTE))
    assert_offsets(assistant, answer)
    assert answer.invalid_citations == []
    assert answer.uncited_sentences == 0 and answer.sentences == 2
    assert answer.retrieved[0]["paragraph"] == 3
    assert assistant.llm_state == "ready"
    assert API_KEY not in json.dumps(answer.to_dict(), ensure_ascii=False)


def test_request_carries_prompt_context_and_key(fake: FakeOpenAI, assistant: Assistant) -> None:
    fake.push({"text": GOOD})
    run(assistant)

    (req,) = fake.chat_requests
    assert req.headers.get("authorization") == f"Bearer {API_KEY}"
    body = req.body or {}
    assert body["model"] == MODEL
    assert body["stream"] is True
    assert body["temperature"] == 0.0
    assert body["seed"] == 0
    assert [m["role"] for m in req.messages] == ["system", "user"]
    assert req.message("system") == SYSTEM_PROMPT
    user = req.message("user")
    # The speech fits the default budget: every paragraph, numbered, is in the context.
    doc = assistant.corpus.docs[SPEECH_ID]
    for p in doc.paragraphs:
        assert f"[¶{p.n}]" in user and p.text in user
    assert user.endswith(QUESTION_TEMPLATE.format(question=QUESTION))


def test_citations_outside_document_or_context_are_dropped(
    fake: FakeOpenAI, make_assistant: Callable[..., Assistant]
) -> None:
    # A budget smaller than the speech: only retrieved paragraphs are given.
    assistant = make_assistant(context_chars=1000)
    doc = assistant.corpus.docs[SPEECH_ID]
    context = build_context(doc, assistant.search(QUESTION), 1000)
    assert 3 in context.allowed and len(context.allowed) < len(doc.paragraphs)
    outside = max(p.n for p in doc.paragraphs if p.n not in context.allowed)

    fake.push(
        {
            "text": f"集中学习30余次[¶3]。另外召开40次党组会[¶3][¶{outside}]。还有其他情况[¶99]。",
            "stream_chunks": 4,
        }
    )
    _, answer = run(assistant)

    (req,) = fake.chat_requests
    user = req.message("user")
    assert f"[¶{outside}]（" not in user and "[¶3]（" in user  # the context really was partial
    assert answer.mode == "llm"
    assert sorted(answer.invalid_citations) == sorted([outside, 99])
    assert {c.paragraph for c in answer.citations} == {3}
    assert all(c.verified for c in answer.citations)
    assert f"[¶{outside}]" not in answer.answer and "[¶99]" not in answer.answer
    assert answer.uncited_sentences == 1  # the sentence that only cited ¶99


def test_invented_quote_is_marked_unverified(fake: FakeOpenAI, assistant: Assistant) -> None:
    invented = "全年共查处违纪案件100起"
    assert fold(invented).text not in fold(document_text(assistant)).text
    fake.push({"text": f"讲话说：「{invented}」[¶3]。另据原文「{QUOTE}」[¶3]。"})
    _, answer = run(assistant)

    by_quote = {c.quote: c for c in answer.citations if c.quote}
    bad = by_quote[invented]
    assert bad.verified is False and bad.start is None and bad.end is None
    assert f"「{invented}」{UNVERIFIED_MARK}" in answer.answer
    assert by_quote[QUOTE].verified is True
    assert f"「{QUOTE}」{UNVERIFIED_MARK}" not in answer.answer
    assert_offsets(assistant, answer)
    assert by_quote[invented].to_dict()["verified"] is False


def test_quote_from_another_paragraph_is_not_verified(
    fake: FakeOpenAI, assistant: Assistant
) -> None:
    # Verbatim in ¶3, but attributed to ¶18: not verified, and says where it does occur.
    fake.push({"text": f"「{QUOTE}」[¶18]。"})
    _, answer = run(assistant)
    (c,) = [c for c in answer.citations if c.quote]
    assert (c.paragraph, c.verified, c.found_in) == (18, False, 3)
    assert UNVERIFIED_MARK in answer.answer


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        # full-width digits, half-width comma and ideographic comma, spaces
        (
            "先后召开４０次党组会, 组织理论中心组､各级党支部集中学习 30余次",
            "先后召开40次党组会，" + QUOTE,
        ),
        # straight quotes for curly ones, a line break inside
        ('树牢"四个意识"、坚定\n"四个自信"', "树牢“四个意识”、坚定“四个自信”"),
    ],
)
def test_quote_verified_after_normalisation(
    fake: FakeOpenAI, assistant: Assistant, variant: str, canonical: str
) -> None:
    fake.push({"text": f"讲话原文：「{variant}」[¶3]。"})
    _, answer = run(assistant)

    (c,) = [c for c in answer.citations if c.quote]
    assert c.verified is True and c.paragraph == 3
    start = document_text(assistant).index(canonical)
    assert (c.start, c.end) == (start, start + len(canonical))
    assert UNVERIFIED_MARK not in answer.answer
    assert_offsets(assistant, answer)


def test_llm_keeps_its_own_judgement_and_reports_the_confidence(
    fake: FakeOpenAI, assistant: Assistant
) -> None:
    # The answerability model refuses this near miss in extractive mode; the LLM answered
    # it, and its answer stands, with the model's (low) confidence beside it.
    question = "2021年局党组开展了多少次宣讲？"
    extractive = assistant.ask(question, mode="extractive")
    assert extractive.outcome == "refused"
    fake.push({"text": GOOD, "stream_chunks": 2})
    _, answer = run(assistant, question)
    assert answer.mode == "llm" and answer.outcome == "answered" and not answer.refused
    assert answer.confidence == extractive.confidence
    fake.push({"text": REFUSAL_PHRASE, "stream_chunks": 2})
    _, answer = run(assistant)  # answerable, but the LLM says the speech does not say
    assert answer.outcome == "refused" and answer.refused
    assert answer.confidence is not None and answer.confidence > extractive.confidence  # type: ignore[operator]


def test_refusal_phrase_gives_two_nearest_paragraphs(
    fake: FakeOpenAI, assistant: Assistant
) -> None:
    fake.push({"text": REFUSAL_PHRASE, "stream_chunks": 3})
    question = "讲话人的办公电话是多少？"
    _, answer = run(assistant, question)

    assert answer.refused is True and answer.mode == "llm"
    assert answer.answer.startswith(REFUSAL_PHRASE)
    assert answer.citations == []
    assert len(answer.nearest) == 2
    ranked = [h["paragraph"] for h in answer.retrieved]
    assert [n.paragraph for n in answer.nearest] == ranked[:2]
    doc = assistant.corpus.docs[SPEECH_ID]
    for n in answer.nearest:
        para = doc.paragraph(n.paragraph)
        assert para is not None and n.text == para.text


def test_follow_up_is_condensed_and_used_for_retrieval(
    fake: FakeOpenAI, assistant: Assistant
) -> None:
    standalone = "开展了多少次各级各类宣讲？"
    fake.push({"text": standalone}, {"text": "开展各级各类宣讲31次[¶3]。"})
    history = [QUESTION]
    _, answer = run(assistant, "那宣讲呢？", history=history)

    condense, answer_req = fake.chat_requests
    prompt = condense.message("user")
    head, _, rest = CONDENSE_PROMPT.partition("{history}")
    assert prompt.startswith(head)
    assert QUESTION in prompt and "那宣讲呢？" in prompt
    assert rest.split("{question}")[0] in prompt
    assert answer_req.message("user").endswith(QUESTION_TEMPLATE.format(question=standalone))

    assert answer.standalone_question == standalone
    assert answer.question == "那宣讲呢？"
    expected = [h.to_dict() for h in assistant.search(standalone).hits]
    assert answer.retrieved == expected
    assert answer.mode == "llm"
    assert [c.paragraph for c in answer.citations] == [3]


def test_failed_condense_falls_back_to_rule(fake: FakeOpenAI, assistant: Assistant) -> None:
    fake.push({"status": 500}, {"text": "开展各级各类宣讲31次[¶3]。"})
    _, answer = run(assistant, "那宣讲呢？", history=[QUESTION])

    assert len(fake.chat_requests) == 2  # one condense try, then the answer
    assert answer.mode == "llm" and answer.notice is None
    assert answer.standalone_question is not None
    assert "宣讲" in answer.standalone_question and "集中学习" in answer.standalone_question
