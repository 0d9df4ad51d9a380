"""The extractive answerer's small rules, on short sentences, and its scoring band."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rag.extractive import _HAS_NUMBER, dense_norm
from speechqa.settings import DenseScale, ScoringSettings


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


def test_the_dense_band_is_the_embedders_own() -> None:
    scoring = ScoringSettings()
    e5 = scoring.scale_for("multilingual-e5-small")
    assert (e5.floor, e5.ceil) == (0.80, 0.95) and "4b16c33" in e5.provenance
    assert dense_norm(0.875, e5) == pytest.approx(0.5)
    assert dense_norm(0.5, e5) == 0.0 and dense_norm(0.99, e5) == 1.0
    # Another embedder without an entry gets the default, which says it is not calibrated.
    other = scoring.scale_for("/models/all-MiniLM-L6-v2")
    assert other is scoring.dense_scale["default"] and "Not calibrated" in other.provenance
    mini = DenseScale(floor=0.2, ceil=0.7, provenance="test")
    tuned = ScoringSettings(dense_scale={"default": e5, "all-MiniLM-L6-v2": mini})
    assert tuned.scale_for("/models/all-MiniLM-L6-v2") is mini  # a path's last part
    assert dense_norm(0.45, mini) == pytest.approx(0.5)


def test_a_dense_band_must_be_a_band() -> None:
    with pytest.raises(ValidationError, match=r"floor 0\.9 must be below ceil 0\.8"):
        DenseScale(floor=0.9, ceil=0.8)
    with pytest.raises(ValidationError, match="'default' entry"):
        ScoringSettings(dense_scale={"x": DenseScale(floor=0.1, ceil=0.2)})
