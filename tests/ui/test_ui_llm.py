"""LLM mode in the page and the API, against the scripted OpenAI-compatible server of
the LLM tests (the one fake of the suite, at the protocol boundary): streamed
deltas, the endpoint state, and the fallback to the extractive answer."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_openai import API_KEY, MODEL, FakeOpenAI
from ui_harness import Served, ask, open_chat, open_tab, serve, wait_for

from rag.constants import REFUSAL_PHRASE

pytestmark = pytest.mark.browser
QUOTE = "组织理论中心组、各级党支部集中学习30余次"
LLM_ANSWER = f"据讲话，去年「{QUOTE}」[¶3]。这些学习覆盖各级党支部[¶3]。"


@pytest.fixture(scope="module")
def llm_server(
    fake_llm_server: FakeOpenAI, bundled_index: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    from speechqa.settings import Settings

    settings = Settings(
        store=tmp_path_factory.mktemp("ui-llm"),
        answer={"mode": "llm"},
        llm={
            "model": MODEL,
            "api_key": API_KEY,
            "base_url": fake_llm_server.base_url,
            "timeout_s": 2.0,
            "max_retries": 1,
            "backoff_s": 0.01,
        },
    )
    served = serve(settings, bundled_index)
    try:
        yield served
    finally:
        served.close()


def status(page: Any) -> str:
    return str(page.inner_text(".sq-status"))


def test_llm_answer_streams_into_the_page(page: Any, llm_server: Served, fake: FakeOpenAI) -> None:
    fake.push({"text": LLM_ANSWER, "stream_chunks": 6, "chunk_delay": 0.35})
    open_chat(page, llm_server.url)
    assert "大模型 就绪" in status(page)
    page.locator("#sq-question textarea").fill("一共开展了几次集中学习？")
    page.locator("#sq-question textarea").press("Enter")
    # While the model streams, the pending bubble grows piece by piece.
    seen: list[str] = []

    def partial() -> bool:
        # One atomic look at the page: the pending bubble may vanish at any moment.
        text, done = page.evaluate(
            """() => {
              const p = document.querySelector('.sq-pending .sq-answer');
              return [p ? p.innerText : null,
                      document.querySelectorAll('.sq-bot:not(.sq-pending)').length > 0];
            }"""
        )
        if text and (not seen or text != seen[-1]):
            seen.append(text)
        return bool(done)

    wait_for(partial, timeout=30, what="the streamed answer")
    growing = [t for t in seen if "正在查找" not in t]
    assert len(growing) >= 2, seen
    assert all(len(a) < len(b) for a, b in itertools.pairwise(growing)), growing
    answer = page.locator(".sq-bot:not(.sq-pending)").last
    assert growing[0] in answer.inner_text()
    assert QUOTE in answer.inner_text()
    chip = answer.locator("button.sq-chip", has_text="¶3").first
    assert "sq-ok" in (chip.get_attribute("class") or "")
    assert "大模型" in answer.locator(".sq-meta").inner_text()
    assert "大模型 就绪" in status(page)
    assert len(fake.chat_requests) == 1


def test_failing_endpoint_falls_back_and_says_so(
    page: Any, llm_server: Served, fake: FakeOpenAI
) -> None:
    fake.push({"status": 500}, {"status": 500})
    open_chat(page, llm_server.url)
    answer = ask(page, "一共开展了几次集中学习？")
    text = answer.inner_text()
    assert "大模型服务不可用" in text
    assert "30余次" in text and REFUSAL_PHRASE not in text
    assert "抽取式" in answer.locator(".sq-meta").inner_text()
    wait_for(lambda: "故障，已回退到抽取式" in status(page), what="failing state")
    assert API_KEY not in page.inner_text("body")
    open_tab(page, "设置")
    assert "故障，已回退到抽取式" in page.inner_text("#sq-llmstate")


def test_api_llm_mode(llm_server: Served, fake: FakeOpenAI) -> None:
    from gradio_client import Client

    fake.push({"text": LLM_ANSWER, "stream_chunks": 3})
    result: Any = Client(llm_server.url, verbose=False).predict(
        "一共开展了几次集中学习？", "llm", api_name="/ask"
    )
    assert result["mode"] == "llm"
    assert result["notice"] is None
    quoted = [c for c in result["citations"] if c["quote"] == QUOTE]
    assert quoted and quoted[0]["paragraph"] == 3 and quoted[0]["verified"]
    assert len(fake.chat_requests) == 1


def test_settings_tab_without_an_endpoint_offers_extractive_only(
    page: Any, ui_server: Served
) -> None:
    open_chat(page, ui_server.url)
    open_tab(page, "设置")
    assert "未配置" in page.inner_text("#sq-llmstate")
    page.locator("#sq-mode label", has_text="大模型").click()
    wait_for(
        lambda: "未配置大模型服务" in " ".join(page.locator(".toast-body").all_inner_texts()),
        what="not-configured warning",
    )
    wait_for(
        lambda: page.locator("#sq-mode input[value='extractive']").is_checked(),
        what="mode back to extractive",
    )
    assert Path(ui_server.settings.store).exists()


def test_unverified_quote_is_visibly_marked(
    page: Any, llm_server: Served, fake: FakeOpenAI
) -> None:
    # The model "quotes" a sentence the speech does not contain.
    fake.push({"text": "据讲话，「全年召开一百次党组会」[¶3]。", "stream_chunks": 2})
    open_chat(page, llm_server.url)
    answer = ask(page, "去年召开了多少次党组会？")
    assert "未核实" in answer.inner_text()
    assert answer.locator(".sq-answer .sq-unver").count() == 1
    chip = answer.locator("button.sq-chip", has_text="¶3").first
    assert "sq-bad" in (chip.get_attribute("class") or "")
    card = page.locator("#sq-sources .sq-card").first
    assert "未核实" in card.inner_text()
    assert "「全年召开一百次党组会」" in card.inner_text()
