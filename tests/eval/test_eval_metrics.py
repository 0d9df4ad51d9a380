"""eval.metrics: hand-computed values, and the random baselines checked against a
brute-force enumeration of every ranking."""

from __future__ import annotations

import itertools
import math

import pytest

from eval import metrics as m

LOG2_3 = math.log2(3)


# ---- retrieval ----------------------------------------------------------------------


def test_hit_at_counts_any_gold_paragraph_in_the_first_k() -> None:
    ranking = [3, 5, 8, 2]
    assert m.hit_at(ranking, {5}, 1) == 0.0
    assert m.hit_at(ranking, {5}, 2) == 1.0
    assert m.hit_at(ranking, {2, 9}, 3) == 0.0
    assert m.hit_at(ranking, {2, 9}, 5) == 1.0
    assert m.hit_at([], {1}, 5) == 0.0


def test_reciprocal_rank_is_one_over_the_first_gold_rank_within_k() -> None:
    assert m.reciprocal_rank([3, 5, 8], {8, 5}) == 0.5
    assert m.reciprocal_rank([3, 5, 8], {3}) == 1.0
    assert m.reciprocal_rank([3, 5, 8], {9}) == 0.0
    ranking = list(range(1, 13))
    assert m.reciprocal_rank(ranking, {11}, k=10) == 0.0
    assert m.reciprocal_rank(ranking, {10}, k=10) == pytest.approx(0.1)


def test_ndcg_binary_relevance_by_hand() -> None:
    # gold b, c at ranks 2 and 3: DCG = 1/log2(3) + 1/log2(4); ideal = 1 + 1/log2(3)
    expected = (1 / LOG2_3 + 0.5) / (1 + 1 / LOG2_3)
    assert m.ndcg(["a", "b", "c"], {"b", "c"}) == pytest.approx(expected)
    assert expected == pytest.approx(0.69343, abs=1e-5)
    assert m.ndcg(["b", "c", "a"], {"b", "c"}) == pytest.approx(1.0)
    assert m.ndcg(["a"], {"x"}) == 0.0
    # a gold paragraph the ranking never shows still counts in the ideal DCG
    assert m.ndcg(["b"], {"b", "z"}) == pytest.approx(1 / (1 + 1 / LOG2_3))
    assert m.ndcg(["a"], set()) == 0.0


# ---- random baselines ---------------------------------------------------------------


def test_random_hit_at_by_hand() -> None:
    assert m.random_hit_at(14, 1, 1) == pytest.approx(1 / 14)
    assert m.random_hit_at(14, 1, 3) == pytest.approx(3 / 14)
    # 1 - C(12,3)/C(14,3) = 1 - 220/364
    assert m.random_hit_at(14, 2, 3) == pytest.approx(144 / 364)
    assert m.random_hit_at(4, 1, 10) == 1.0
    assert m.random_hit_at(14, 0, 3) == 0.0


def test_random_reciprocal_rank_by_hand() -> None:
    assert m.random_reciprocal_rank(4, 1, k=10) == pytest.approx(25 / 48)  # H_4 / 4
    assert m.random_reciprocal_rank(4, 1, k=2) == pytest.approx(3 / 8)  # (1 + 1/2) / 4
    # N=3, R=2: first relevant at 1 with p=2/3, at 2 with p=1/3
    assert m.random_reciprocal_rank(3, 2) == pytest.approx(2 / 3 + 1 / 6)


def test_random_ndcg_by_hand() -> None:
    # N=3, R=1: each position holds the gold paragraph with p=1/3; ideal DCG = 1
    assert m.random_ndcg(3, 1, 1) == pytest.approx((1 + 1 / LOG2_3 + 0.5) / 3)


@pytest.mark.parametrize(("pool", "relevant"), [(5, 1), (5, 2), (6, 3), (7, 2)])
@pytest.mark.parametrize("k", [1, 3, 10])
def test_random_baselines_equal_the_mean_over_every_ranking(
    pool: int, relevant: int, k: int
) -> None:
    gold = set(range(relevant))
    rankings = list(itertools.permutations(range(pool)))
    for name, metric, baseline in (
        ("hit", lambda r: m.hit_at(r, gold, k), m.random_hit_at(pool, relevant, k)),
        (
            "rr",
            lambda r: m.reciprocal_rank(r, gold, k),
            m.random_reciprocal_rank(pool, relevant, k),
        ),
        ("ndcg", lambda r: m.ndcg(r, gold, k), m.random_ndcg(pool, relevant, relevant, k)),
    ):
        brute = sum(metric(r) for r in rankings) / len(rankings)
        assert baseline == pytest.approx(brute), name


def test_random_ndcg_with_unreachable_gold_uses_the_full_ideal() -> None:
    # 2 gold paragraphs, only 1 in the pool: the expectation over the pool's rankings
    # with the ideal DCG of 2 gold paragraphs
    gold = {0, "heading"}
    rankings = list(itertools.permutations(range(4)))
    brute = sum(m.ndcg(r, gold) for r in rankings) / len(rankings)
    assert m.random_ndcg(4, 1, 2) == pytest.approx(brute)


# ---- citations ----------------------------------------------------------------------


def test_citation_counts_and_set_scores() -> None:
    s = m.citation_counts({1, 2}, {2, 3}, refused=False)
    assert (s.true_positive, s.predicted, s.relevant) == (1, 2, 2)
    assert (s.precision, s.recall, s.f1) == (0.5, 0.5, 0.5)


def test_a_refusal_cites_nothing_zero_recall_and_no_precision_denominator() -> None:
    s = m.citation_counts({2}, {2, 3}, refused=True)
    assert (s.true_positive, s.predicted, s.relevant) == (0, 0, 2)
    assert s.precision is None
    assert s.recall == 0.0


def test_citing_on_an_unanswerable_question_costs_precision() -> None:
    s = m.citation_counts({4}, set(), refused=False)
    assert (s.true_positive, s.predicted, s.relevant) == (0, 1, 0)
    assert s.precision == 0.0 and s.recall is None


def test_micro_average_sums_the_counts() -> None:
    total = m.micro([m.SetScore(1, 2, 2), m.SetScore(2, 2, 3), m.SetScore(0, 0, 1)])
    assert (total.precision, total.recall) == (0.75, 0.5)
    assert total.f1 == pytest.approx(2 * 0.75 * 0.5 / 1.25)
    assert m.micro([]).precision is None


def test_f1_edges() -> None:
    assert m.f1(0.0, 0.0) == 0.0
    assert m.f1(None, 1.0) is None
    assert m.f1(1.0, 0.5) == pytest.approx(2 / 3)


# ---- quotes, keys, aggregation ----------------------------------------------------------


def test_quote_in_folds_width_and_quote_style_and_accepts_an_ellipsis() -> None:
    text = "全面从严治党，只有进行时，没有完成时。市直全体干部职工要“团结”"
    assert m.quote_in("只有进行时，没有完成时", text)
    assert m.quote_in("只有进行时,没有完成时", text)  # half-width comma
    assert m.quote_in("全面从严治党……没有完成时", text)
    assert m.quote_in("要「团结」", text)
    assert not m.quote_in("只有完成时", text)


def test_keys_found_normalises_both_sides_and_counts_every_key() -> None:
    answer = "「2022年局党组共处置问题线索２起，对 2人函询」[¶8]"
    assert m.keys_found(answer, ["2起", "2人函询", "1人行政处分"]) == [True, True, False]
    assert m.keys_found(answer, []) == []


def test_percentile_interpolates_linearly() -> None:
    assert m.percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert m.percentile([1.0, 2.0, 3.0, 4.0], 95) == pytest.approx(3.85)
    assert m.percentile([5.0], 95) == 5.0
    assert m.percentile([], 50) is None


def test_mean_and_ratio_of_nothing_are_none() -> None:
    assert m.mean([]) is None
    assert m.ratio(1, 0) is None
    assert m.mean([1.0, 0.0]) == 0.5
