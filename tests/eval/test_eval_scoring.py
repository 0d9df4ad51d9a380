"""eval.run.assess and aggregate on hand-made answers about the real bundled speech
(parsed, no index or model): per-question scores, pass/fail reasons, and the summary's
averaging rules, each checked against values computed by hand."""

from __future__ import annotations

from collections.abc import Sequence

import helpers
import pytest

from eval.questions import Question
from eval.run import Outcome, aggregate, assess, by_kind, extras
from ingest.parse import ParsedDocument, parse
from rag.constants import REFUSAL_NEAREST_INTRO, REFUSAL_PHRASE
from rag.result import Answer, Citation

DOC = helpers.SPEECH_ID


@pytest.fixture(scope="module")
def speech() -> ParsedDocument:
    return parse(helpers.SPEECH_PATH.read_text(encoding="utf-8"), "txt", DOC, DOC)


def quoted(speech: ParsedDocument, n: int, quote: str) -> Citation:
    """A verified quote citation with its real offsets."""
    p = speech.paragraph(n)
    assert p is not None
    at = p.text.index(quote)
    return Citation(DOC, n, quote, p.start + at, p.start + at + len(quote), True)


def q(qid: str, gold: list[int], keys: Sequence[str] = (), kind: str = "fact") -> Question:
    return Question(qid, f"问题{qid}", tuple(gold), kind, tuple(keys))


def answer(
    text: str,
    citations: list[Citation],
    refused: bool = False,
    total: float = 10.0,
    answerability: float | None = None,
    outcome: str | None = None,
) -> Answer:
    a = Answer(question="?", answer=text, doc_id=DOC, citations=citations, refused=refused)
    a.confidence = answerability
    a.outcome = outcome or ("refused" if refused else "answered")
    a.sentences = 0 if refused else text.count("」")
    a.timings_ms = {"retrieval": total - 1, "answer": 1.0, "total": total}
    return a


def ranking(*ns: int) -> list[tuple[str, int]]:
    return [(DOC, n) for n in ns]


@pytest.fixture(scope="module")
def outcomes(speech: ParsedDocument) -> list[Outcome]:
    good = "2022年局党组共处置问题线索2起"
    refusal = f"{REFUSAL_PHRASE}\n{REFUSAL_NEAREST_INTRO}\n[¶3] 去年以来，在大家的共同努力下"
    wrong_offsets = Citation(DOC, 5, "开局之年", 0, 4, True)  # offsets point at 同志们：
    return [
        # answerable, right paragraph first, one of two keys
        assess(
            q("a1", [8], ["2起", "1人行政处分"]),
            answer(f"「{good}」[¶8]", [quoted(speech, 8, good)], total=10.0, answerability=0.9),
            speech,
            ranking(8, 3, 4),
        ),
        # answerable but refused; its refusal text names ¶3, which is not a citation
        assess(
            q("a2", [3], ["40次"]),
            answer(refusal, [], refused=True, total=20.0, answerability=0.3),
            speech,
            ranking(4, 3, 8),
        ),
        # unanswerable but answered, with a quote whose offsets are wrong
        assess(
            q("u1", [], kind="unanswerable"),
            answer("「开局之年」[¶5]", [wrong_offsets], total=30.0, answerability=0.6),
            speech,
            ranking(5, 2),
        ),
        # unanswerable and refused
        assess(
            q("u2", [], kind="unanswerable"),
            answer(REFUSAL_PHRASE, [], refused=True, total=40.0, answerability=0.1),
            speech,
            ranking(2),
        ),
    ]


def test_per_question_scores(outcomes: list[Outcome]) -> None:
    a1, a2, u1, u2 = outcomes
    assert a1.cited == [(DOC, 8)]
    assert a1.scores["recall@1"] == 1.0 and a1.scores["mrr@10"] == 1.0
    assert a1.keys == [True, False]
    assert a1.scores["key_point_recall"] == 0.5
    assert a1.scores["quote_verbatim"] == 1.0
    assert a2.cited == []  # a refusal cites nothing, whatever its text shows
    assert a2.keys == [False]
    assert a2.scores["recall@1"] == 0.0 and a2.scores["recall@3"] == 1.0
    assert a2.scores["mrr@10"] == 0.5
    assert a2.scores["citation_recall"] == 0.0 and a2.scores["citation_precision"] is None
    assert a2.scores["refusal_false"] == 1.0
    assert u1.scores["citation_precision"] == 0.0
    assert u1.quotes[0].verified and not u1.quotes[0].in_paragraph  # offsets checked too
    assert u1.quotes[0].in_document
    assert u1.scores["refusal_correct"] == 0.0
    assert u2.scores["refusal_correct"] == 1.0


def test_baseline_of_a_question_is_the_random_expectation(outcomes: list[Outcome]) -> None:
    a1 = outcomes[0]
    assert a1.pool == 14  # the speech's body paragraphs
    assert a1.reachable == 1
    assert a1.baseline["recall@1"] == pytest.approx(1 / 14)
    assert a1.baseline["recall@5"] == pytest.approx(5 / 14)


def test_a_heading_in_gold_joins_the_random_pool() -> None:
    speech = parse(helpers.SPEECH_PATH.read_text(encoding="utf-8"), "txt", DOC, DOC)
    o = assess(q("h", [6]), answer("「一、深入学习贯彻各级会议精神」[¶6]", []), speech, ranking(6))
    assert (o.pool, o.reachable) == (15, 1)
    assert o.baseline["recall@1"] == pytest.approx(1 / 15)


def test_pass_and_fail_reasons(outcomes: list[Outcome]) -> None:
    a1, a2, u1, u2 = outcomes
    assert not a1.passed and any("1人行政处分" in r for r in a1.reasons)
    assert any(r.startswith("误拒") for r in a2.reasons)
    assert any("第1名 ¶4" in r for r in a2.reasons)
    assert any(r.startswith("应拒答却作答") and "¶5" in r for r in u1.reasons)
    assert u2.passed and u2.reasons == []


def test_aggregate_by_hand(outcomes: list[Outcome]) -> None:
    s = aggregate(outcomes)
    assert s["recall@1"] == 0.5  # a1 hit, a2 missed (answerable only)
    assert s["recall@3"] == 1.0
    assert s["mrr@10"] == 0.75
    # micro: a1 1 of 1 cited right; a2 refused (0 cited, 1 gold); u1 1 cited wrong
    assert s["citation_precision"] == 0.5
    assert s["citation_recall"] == 0.5
    assert s["citation_f1"] == 0.5
    assert s["quote_verbatim"] == 0.5  # a1's quote right, u1's offsets wrong
    assert s["key_point_recall"] == pytest.approx(1 / 3)  # 2起 of 2起, 1人行政处分, 40次
    assert s["refusal_correct"] == 0.5
    assert s["refusal_false"] == 0.5
    assert s["latency_p50_ms"] == 25.0
    assert s["latency_p95_ms"] == pytest.approx(38.5)


def test_extras_and_kinds(outcomes: list[Outcome]) -> None:
    e = extras(outcomes)
    assert e["quote_in_document"] == 1.0
    assert e["cited_sentence_share"] == 1.0  # a1 and u1 each: one sentence, cited
    assert e["baselines"]["recall@1"] == pytest.approx(1 / 14)
    assert e["faithfulness"] == {
        "score": None,
        "measured": 0,
        "unmeasured": 0,
        "status": "unmeasured",
    }
    kinds = by_kind(outcomes)
    assert kinds["unanswerable"]["n"] == 2 and kinds["unanswerable"]["passed"] == 1
    assert kinds["unanswerable"]["refusal_correct"] == 0.5
    assert kinds["fact"]["recall@1"] == 0.5


def test_an_empty_category_is_unmeasured_not_zero(outcomes: list[Outcome]) -> None:
    only_answerable = aggregate(outcomes[:2])
    assert only_answerable["refusal_correct"] is None
    only_unanswerable = aggregate(outcomes[2:])
    assert only_unanswerable["recall@1"] is None
    assert only_unanswerable["refusal_false"] is None


def test_refusal_sweep_reports_the_rates_of_each_confidence_threshold(
    outcomes: list[Outcome],
) -> None:
    sweep = {row["threshold"]: row for row in extras(outcomes)["refusal_sweep"]}
    assert sorted(sweep) == [pytest.approx(i / 20) for i in range(1, 20)]
    # confidence: a1 0.9, a2 0.3 (answerable); u1 0.6, u2 0.1 (unanswerable)
    assert sweep[0.05] == {"threshold": 0.05, "refusal_correct": 0.0, "refusal_false": 0.0}
    assert sweep[0.5] == {"threshold": 0.5, "refusal_correct": 0.5, "refusal_false": 0.5}
    assert sweep[0.65] == {"threshold": 0.65, "refusal_correct": 1.0, "refusal_false": 0.5}
    assert sweep[0.95] == {"threshold": 0.95, "refusal_correct": 1.0, "refusal_false": 1.0}


# ---- archive questions ("doc": null) over several documents -------------------------

OTHER = "other-speech"
OTHER_TEXT = "同志们：\n一、安全生产\n今年全市安全生产形势总体平稳。\n要压实企业主体责任。\n"


@pytest.fixture(scope="module")
def other() -> ParsedDocument:
    return parse(OTHER_TEXT, "txt", OTHER, OTHER)


def archive_q(qid: str, gold: list[str], keys: Sequence[str] = (), split: str = "") -> Question:
    return Question(qid, f"问题{qid}", tuple(gold), "fact", tuple(keys), archive=True, split=split)


def test_an_archive_question_is_scored_on_document_and_paragraph_keys(
    speech: ParsedDocument, other: ParsedDocument
) -> None:
    p = other.paragraph(4)
    assert p is not None
    quote = "要压实企业主体责任"
    cite = Citation(OTHER, 4, quote, p.start, p.start + len(quote), True)
    a = Answer(question="?", answer=f"「{quote}」[¶4]", doc_id=OTHER, citations=[cite])
    a.retrieved = [{"doc_id": OTHER, "paragraph": 4}, {"doc_id": DOC, "paragraph": 8}]
    o = assess(
        archive_q("x1", [f"{OTHER}:4", f"{OTHER}:3"], ["压实企业主体责任"]),
        a,
        other,
        [(OTHER, 4), (DOC, 8), (OTHER, 3)],
        [speech, other],
    )
    assert o.doc is None and o.gold == {(OTHER, 4), (OTHER, 3)}
    assert o.cited == [(OTHER, 4)]
    assert o.scores["recall@1"] == 1.0 and o.scores["document@1"] == 1.0
    assert o.scores["citation_precision"] == 1.0 and o.scores["citation_recall"] == 0.5
    assert o.scores["quote_verbatim"] == 1.0 and o.scores["key_point_recall"] == 1.0
    # The random ranker draws from both documents' body paragraphs: 14 + 2.
    assert (o.pool, o.reachable, o.pool_in_gold_docs) == (16, 2, 2)
    assert o.baseline["document@1"] == pytest.approx(2 / 16)
    assert o.baseline["recall@1"] == pytest.approx(2 / 16)
    row = o.to_dict()
    assert row["doc"] is None and row["answer_doc"] == OTHER
    assert row["retrieved"] == [f"{OTHER}:4", f"{DOC}:8"]
    assert row["cited"] == [f"{OTHER}:4"] and row["pass"] is True  # one gold ¶ cited is enough


def test_an_archive_answer_from_the_wrong_document_misses_document_at_1(
    speech: ParsedDocument, other: ParsedDocument
) -> None:
    good = "2022年局党组共处置问题线索2起"
    o = assess(
        archive_q("x2", [f"{OTHER}:3"]),
        answer(f"「{good}」[¶8]", [quoted(speech, 8, good)]),
        speech,
        [(DOC, 8), (OTHER, 3)],
        [speech, other],
    )
    assert o.scores["document@1"] == 0.0 and o.scores["recall@1"] == 0.0
    assert o.scores["recall@3"] == 1.0
    assert o.cited == [(DOC, 8)] and o.scores["citation_precision"] == 0.0
    assert any(f"¶{DOC}:8" in r for r in o.reasons)


def test_document_at_1_is_only_for_archive_questions(outcomes: list[Outcome]) -> None:
    assert all("document@1" not in o.scores for o in outcomes)
    assert aggregate(outcomes)["document@1"] is None


def test_metrics_per_split_and_per_document(
    speech: ParsedDocument, other: ParsedDocument, outcomes: list[Outcome]
) -> None:
    import dataclasses

    from eval.run import by_document, by_split

    tuning = [dataclasses.replace(o, question=dataclasses.replace(o.question, split="tuning"))
              for o in outcomes]  # fmt: skip
    good = "2022年局党组共处置问题线索2起"
    held = [
        assess(
            archive_q("h1", [f"{DOC}:8"], ["2起"], split="heldout"),
            answer(f"「{good}」[¶8]", [quoted(speech, 8, good)]),
            speech,
            [(DOC, 8)],
            [speech, other],
        ),
        assess(
            archive_q("h2", [f"{OTHER}:3"], split="heldout"),
            answer(f"「{good}」[¶8]", [quoted(speech, 8, good)]),
            speech,
            [(DOC, 8)],
            [speech, other],
        ),
    ]
    splits = by_split(tuning + held)
    assert list(splits) == ["tuning", "heldout"]
    assert splits["tuning"]["n"] == 4 and splits["tuning"]["recall@1"] == 0.5
    assert splits["tuning"]["document@1"] is None
    assert splits["heldout"]["document@1"] == 0.5 and splits["heldout"]["n"] == 2
    assert splits["heldout"]["key_point_recall"] == 1.0
    assert splits["heldout"]["baselines"]["document@1"] == pytest.approx((14 / 16 + 2 / 16) / 2)
    assert set(splits["heldout"]["by_kind"]) == {"fact"}
    rows = by_document(tuning + held)
    assert [(r["split"], r["doc"], r["n"]) for r in rows] == [
        ("tuning", DOC, 4),
        ("heldout", None, 2),
    ]
    assert rows[1]["archive"] is True and rows[1]["passed"] == 1
    assert by_split(outcomes) == {}  # a plain question file has no splits


def test_partial_shares_and_the_risk_coverage_curve(speech: ParsedDocument) -> None:
    good = "2022年局党组共处置问题线索2起"
    cite8 = [quoted(speech, 8, good)]
    refusal = f"{REFUSAL_PHRASE}\n{REFUSAL_NEAREST_INTRO}\n[¶8] 习近平总书记指出"
    group = [
        # answered and right (0.8); unanswerable answered (0.7); answered "partial" and
        # right (0.5); refused although its retrieval had the gold paragraph first (0.2)
        assess(q("p1", [8], ["2起"]), answer(f"「{good}」[¶8]", cite8, answerability=0.8), speech, ranking(8)),
        assess(q("u", [], kind="unanswerable"), answer(f"「{good}」[¶8]", cite8, answerability=0.7), speech, ranking(8)),
        assess(
            q("p2", [8], ["2起"]),
            answer(f"「{good}」[¶8]", cite8, answerability=0.5, outcome="partial"),
            speech,
            ranking(8),
        ),
        assess(q("r", [8], ["2起"]), answer(refusal, [], refused=True, answerability=0.2), speech, ranking(8)),
    ]  # fmt: skip
    metrics = aggregate(group)
    assert metrics["partial_answerable"] == pytest.approx(1 / 3)
    assert metrics["partial"] == pytest.approx(1 / 4)
    assert by_kind(group)["fact"]["partial"] == pytest.approx(1 / 3)
    rc = extras(group)["risk_coverage"]
    curve = {row["threshold"]: row for row in rc["curve"]}
    assert curve[0.0] == {"threshold": 0.0, "coverage": 1.0, "risk": 0.25}
    assert curve[0.6] == {"threshold": 0.6, "coverage": 0.5, "risk": 0.5}
    assert curve[0.85]["coverage"] == 0.0 and curve[0.85]["risk"] is None
    # errors among the k most confident: 0/1, 1/2, 1/3, 1/4
    assert rc["aurc"] == pytest.approx((0 + 1 / 2 + 1 / 3 + 1 / 4) / 4)
