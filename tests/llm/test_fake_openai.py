"""The fake server speaks the wire format the official client expects (so the
answerer's tests exercise real protocol handling, not a lenient mock)."""

from __future__ import annotations

import openai
import pytest
from fake_openai import API_KEY, MODEL, FakeOpenAI, split_text


def client(fake: FakeOpenAI) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.base_url, api_key=API_KEY, max_retries=0, timeout=5)


def test_models_and_plain_completion(fake: FakeOpenAI) -> None:
    c = client(fake)
    assert [m.id for m in c.models.list()] == [MODEL]

    fake.push({"text": "你好[¶1]。"})
    resp = c.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "问"}], temperature=0
    )
    assert resp.choices[0].message.content == "你好[¶1]。"
    assert resp.choices[0].finish_reason == "stop"
    post = fake.chat_requests[0]
    assert post.body == {
        "model": MODEL,
        "messages": [{"role": "user", "content": "问"}],
        "temperature": 0,
    }
    assert post.headers["authorization"] == f"Bearer {API_KEY}"


def test_streamed_chunks_in_openai_format(fake: FakeOpenAI) -> None:
    text = "集中学习30余次[¶3]。"
    fake.push({"text": text, "stream_chunks": 4, "finish_reason": "length"})
    stream = client(fake).chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "问"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    deltas = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert deltas == split_text(text, 4) and len(deltas) == 4
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "length" and set(finishes[:-1]) == {None}
    assert chunks[-1].usage is not None and chunks[-1].choices == []
    assert all(c.object == "chat.completion.chunk" for c in chunks)


def test_statuses_and_unscripted_requests(fake: FakeOpenAI) -> None:
    c = client(fake)
    fake.push({"status": 401}, {"status": 429})
    with pytest.raises(openai.AuthenticationError):
        c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "问"}])
    with pytest.raises(openai.RateLimitError):
        c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "问"}])
    with pytest.raises(openai.InternalServerError, match="no scripted reply"):
        c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "问"}])
    assert len(fake.chat_requests) == 3


def test_split_text() -> None:
    assert split_text("abcdefg", 3) == ["abc", "de", "fg"]
    assert split_text("ab", 5) == ["a", "b"]
    assert "".join(split_text("讲话中没有涉及这一问题。", 4)) == "讲话中没有涉及这一问题。"
