"""The evaluation's metrics as pure functions: no index, no model, no I/O.

Rankings and citations are sequences of hashable paragraph keys (the runner uses
``(doc_id, n)``); ``gold`` is the set of keys that answer the question. Every
function is unit-tested with hand-computed values in tests/eval/test_metrics.py.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass

from speechqa.text import find_quote, fold

# ---- retrieval ---------------------------------------------------------------


def hit_at(ranking: Sequence[Hashable], gold: Collection[Hashable], k: int) -> float:
    """1.0 when any gold paragraph is among the first ``k`` of ``ranking`` (recall@k as
    a hit rate: one right paragraph is enough to answer), else 0.0."""
    return 1.0 if any(key in gold for key in ranking[:k]) else 0.0


def reciprocal_rank(ranking: Sequence[Hashable], gold: Collection[Hashable], k: int = 10) -> float:
    """1/rank of the first gold paragraph within the first ``k``, else 0."""
    for rank, key in enumerate(ranking[:k], start=1):
        if key in gold:
            return 1.0 / rank
    return 0.0


def _discount(position: int) -> float:
    return 1.0 / math.log2(position + 1)


def ndcg(ranking: Sequence[Hashable], gold: Collection[Hashable], k: int = 10) -> float:
    """nDCG@k with binary relevance; the ideal ranking puts every gold paragraph first
    (so a gold paragraph the retriever cannot return still lowers the score)."""
    if not gold:
        return 0.0
    seen: set[Hashable] = set()
    dcg = 0.0
    for i, key in enumerate(ranking[:k], start=1):
        if key in gold and key not in seen:
            dcg += _discount(i)
        seen.add(key)
    ideal = sum(_discount(i) for i in range(1, min(len(gold), k) + 1))
    return dcg / ideal


# ---- random baselines (exact expectations) --------------------------------------
#
# A random ranker shuffles the ``pool`` paragraphs the retriever may return (the
# document's evidence paragraphs) uniformly; ``relevant`` of them are gold. The
# metric definitions are the same as above, so ``total_gold`` (all gold paragraphs,
# reachable or not) sets the ideal DCG exactly as it does for the real ranking.


def random_hit_at(pool: int, relevant: int, k: int) -> float:
    """P(at least one of ``relevant`` items in the top ``k`` of a random order of ``pool``)
    = 1 - C(pool - relevant, k) / C(pool, k)."""
    if relevant <= 0 or pool <= 0:
        return 0.0
    k = min(k, pool)
    return 1.0 - math.comb(pool - relevant, k) / math.comb(pool, k)


def random_reciprocal_rank(pool: int, relevant: int, k: int = 10) -> float:
    """E[1/rank of the first relevant item, 0 beyond ``k``]: the first relevant item is at
    rank r with probability C(pool - r, relevant - 1) / C(pool, relevant)."""
    if relevant <= 0 or pool <= 0:
        return 0.0
    total = math.comb(pool, relevant)
    return sum(
        math.comb(pool - r, relevant - 1) / total / r
        for r in range(1, min(k, pool - relevant + 1) + 1)
    )


def random_ndcg(pool: int, relevant: int, total_gold: int, k: int = 10) -> float:
    """E[nDCG@k]: every position holds a relevant item with probability relevant/pool
    (linearity of expectation), and the ideal DCG does not depend on the order."""
    if relevant <= 0 or pool <= 0 or total_gold <= 0:
        return 0.0
    expected_dcg = sum(relevant / pool * _discount(i) for i in range(1, min(k, pool) + 1))
    ideal = sum(_discount(i) for i in range(1, min(total_gold, k) + 1))
    return expected_dcg / ideal


# ---- citations ---------------------------------------------------------------------


@dataclass(frozen=True)
class SetScore:
    """Counts behind precision and recall, so that they can be summed (micro-average)."""

    true_positive: int
    predicted: int
    relevant: int

    @property
    def precision(self) -> float | None:
        return self.true_positive / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.true_positive / self.relevant if self.relevant else None

    @property
    def f1(self) -> float | None:
        return f1(self.precision, self.recall)


def citation_counts(
    cited: Collection[Hashable], gold: Collection[Hashable], refused: bool
) -> SetScore:
    """Cited paragraphs against gold paragraphs for one question. A refusal cites
    nothing: it adds the gold paragraphs it missed to recall's denominator and nothing
    to precision's."""
    predicted = set() if refused else set(cited)
    relevant = set(gold)
    return SetScore(len(predicted & relevant), len(predicted), len(relevant))


def micro(scores: Iterable[SetScore]) -> SetScore:
    """Sum of the counts: every citation (and every gold paragraph) weighs the same."""
    tp = pred = rel = 0
    for s in scores:
        tp += s.true_positive
        pred += s.predicted
        rel += s.relevant
    return SetScore(tp, pred, rel)


def f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


# ---- quotes and answer keys ----------------------------------------------------------


def quote_in(quote: str, text: str) -> bool:
    """The quote occurs verbatim in ``text`` after the normalisation citations use
    (width, quote style and whitespace folded; an ellipsis stands for omitted text)."""
    return find_quote(quote, text) is not None


def keys_found(answer: str, keys: Sequence[str]) -> list[bool]:
    """For each answer key: does the answer contain it, both sides folded?"""
    folded = fold(answer).text
    return [bool(fold(key).text) and fold(key).text in folded for key in keys]


# ---- aggregation ---------------------------------------------------------------------


def mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between closest ranks
    (numpy's default), or None for no values. The one definition every report and the
    benchmark use, so their p50/p95 agree."""
    if not len(values):
        return None
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=np.float64), q))
