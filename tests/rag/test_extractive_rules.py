"""The extractive answerer's small rules, on short sentences."""

from __future__ import annotations

import pytest

from rag.extractive import _HAS_NUMBER


@pytest.mark.parametrize(
    "text",
    [
        "全年开展集中学习12次。",
        "共处置问题线索十余起。",
        "提出了三个方面的要求。",
        "从两方面推进。",
        "新增党员２０名。",
    ],
)
def test_a_count_with_its_measure_word(text: str) -> None:
    assert _HAS_NUMBER.search(text)


@pytest.mark.parametrize(
    "text",
    [
        "三方共同签署协议。",  # 方 alone is not 方面
        "一面旗帜引领方向。",  # 面 alone is not 方面
        "要把纪律挺在前面。",  # no number at all
    ],
)
def test_fang_or_mian_alone_is_not_a_count(text: str) -> None:
    assert _HAS_NUMBER.search(text) is None
