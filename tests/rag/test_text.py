"""Chinese text helpers: sentence spans, tokens, quote normalisation."""

from __future__ import annotations

from speechqa.text import find_quote, fold, split_sentences, tokenize


def test_sentences_split_on_chinese_punctuation_and_keep_closing_quotes() -> None:
    text = "他说：“要干。”我们听了！好吗？是的；结束"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "他说：“要干。”",
        "我们听了！",
        "好吗？",
        "是的；",
        "结束",
    ]


def test_sentence_offsets_are_shifted() -> None:
    assert split_sentences("甲。乙。", offset=10) == [(10, 12), (12, 14)]


def test_tokens_drop_punctuation_and_question_words() -> None:
    tokens = tokenize("一共开展了几次集中学习？")
    assert "集中" in tokens and "学习" in tokens
    assert "？" not in tokens and "几次" not in tokens


def test_domain_words_stay_whole() -> None:
    assert "三会一课" in tokenize("严格落实“三会一课”制度")


def test_fold_removes_width_and_whitespace_differences() -> None:
    assert fold("Ａ，ｂ 1").text == fold("a,B1").text


def test_find_quote_maps_to_original_offsets_despite_punctuation_width() -> None:
    hay = "引导全系统党员干部树牢“四个意识”、坚定“四个自信”。"
    span = find_quote('树牢"四个意识" 、坚定', hay)
    assert span is not None
    assert hay[span[0] : span[1]] == "树牢“四个意识”、坚定"


def test_find_quote_with_ellipsis_needs_pieces_in_order() -> None:
    hay = "甲乙丙丁戊己庚"
    assert find_quote("甲乙……戊己", hay) == (0, 6)
    assert find_quote("戊己……甲乙", hay) is None


def test_find_quote_rejects_invented_text() -> None:
    assert find_quote("这句话不在原文里", "原文只有这一句。") is None
