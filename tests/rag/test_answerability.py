"""The answerability signals on a small speech written for these tests, and the shipped
model's inference (numpy only, deterministic)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ingest.parse import parse
from rag.answer_type import asked_attribute
from rag.answerability import (
    FEATURES,
    Model,
    Signals,
    features,
    has_parallel_items,
    load_model,
    packaged_model_path,
)
from rag.corpus import Corpus
from rag.retrieve import Hit, Retrieval
from speechqa.errors import ConfigError
from speechqa.text import content_words, tokenize

# Written for these tests (no eval file asks about it).
WATER = """同志们：
今天召开全市水利工作会议，主要任务是总结2023年工作，部署今年任务。
去年全市新建小型水库3座，完成河道治理120公里，全年投入水利资金4.5亿元。
一、持续加强防汛能力建设
完善监测预警体系，一是加强雨量监测站点建设，二是健全防汛会商机制，三是压实堤防巡查责任。
水库安全是防汛的重中之重，各县区要逐库落实行政责任人、技术责任人和巡查责任人。
二、推进农村供水保障
要加快城乡供水一体化，让农村群众喝上放心水，确保水质检测合格率稳步提升。
同志们，做好水利工作使命光荣，让我们以更加务实的作风推动各项任务落地见效。
"""
DOC = "water-test"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus.build([parse(WATER, "txt", DOC, "全市水利工作会议讲话")])


def lexical_retrieval(question: str, corpus: Corpus) -> Retrieval:
    """BM25 hits only (no embedder): enough to exercise every signal."""
    ranked = corpus.bm25(tokenize(question), None, 5)
    hits = []
    for rank, (i, score) in enumerate(ranked, start=1):
        p = corpus.paragraphs[i]
        hits.append(Hit(p.doc_id, p.n, score, lexical=score, lexical_rank=rank))
    return Retrieval(question, [], hits)


def signals(question: str, corpus: Corpus) -> dict[str, float]:
    return features(question, lexical_retrieval(question, corpus), corpus, DOC).values


def test_every_feature_is_computed_and_finite(corpus: Corpus) -> None:
    values = signals("去年新建了多少座水库？", corpus)
    assert list(values) == list(FEATURES)
    assert all(math.isfinite(v) for v in values.values())


def test_a_count_next_to_its_subject_fills_the_slot(corpus: Corpus) -> None:
    v = signals("去年全市新建了多少座小型水库？", corpus)
    assert v["slot_asked"] == 1.0
    assert v["slot_missing_top"] == 0.0 and v["slot_missing_doc"] == 0.0
    assert v["focus_absent"] == 0.0 and v["number_absent"] == 0.0
    assert v["cov_sentence"] > 0.8


def test_a_kind_of_value_the_speech_never_gives_is_missing(corpus: Corpus) -> None:
    v = signals("这次水利工作会议是哪一天召开的？", corpus)
    assert v["slot_asked"] == 1.0 and v["slot_missing_doc"] == 1.0


def test_a_subject_the_speech_never_names(corpus: Corpus) -> None:
    v = signals("去年全市新建了多少座水电站？", corpus)
    assert v["top_focus_absent"] == 1.0 and v["focus_absent"] > 0.3
    assert v["cov_document"] < signals("去年全市新建了多少座小型水库？", corpus)["cov_document"]


def test_a_year_the_speech_never_uses(corpus: Corpus) -> None:
    assert signals("2025年水利工作有什么安排？", corpus)["number_absent"] == 1.0
    assert signals("2023年水利工作有什么成绩？", corpus)["number_absent"] == 0.0


def test_a_named_topic_the_speech_never_names(corpus: Corpus) -> None:
    assert signals("讲话对森林防火有什么要求？", corpus)["topic_absent"] == 1.0
    assert signals("讲话对农村供水有什么要求？", corpus)["topic_absent"] == 0.0


def test_a_list_asked_for_and_found(corpus: Corpus) -> None:
    v = signals("完善监测预警体系包括哪些方面？", corpus)
    assert v["list_found"] == 1.0 and v["list_missing"] == 0.0


def test_parallel_items() -> None:
    assert has_parallel_items("一是加强监测，二是健全机制。")
    assert has_parallel_items("落实行政责任人、技术责任人、巡查责任人。")
    assert not has_parallel_items("要加快城乡供水一体化，让群众喝上放心水。")


def test_retrieval_signals_are_normalised(corpus: Corpus) -> None:
    v = signals("防汛会商机制", corpus)
    assert 0 < v["bm25_top"] <= 3 and 0 <= v["bm25_margin"] <= 1
    assert v["dense_top"] == 0.0  # no dense hits in this retrieval
    assert v["n_words"] == pytest.approx(math.log1p(len(content_words("防汛会商机制"))))


def test_no_hits_gives_zero_evidence(corpus: Corpus) -> None:
    v = features("完全无关的问题", Retrieval("完全无关的问题", [], []), corpus, DOC).values
    assert v["cov_sentence"] == v["cov_paragraph"] == v["bm25_top"] == 0.0


# ---- the model ---------------------------------------------------------------------------


def test_shipped_model_loads_and_names_every_feature() -> None:
    model = load_model()
    # every signal is fitted except the ones the provenance names, with the reason
    not_fitted = model.provenance.get("not_fitted", {})
    assert model.names == tuple(f for f in FEATURES if f not in not_fitted)
    assert all(reason for reason in not_fitted.values())
    assert 0 <= model.refuse_below <= model.answer_above <= 1
    prov = model.provenance
    assert prov["training_table_sha256"] and prov["date"] and prov["cv"]["auc"] > 0.5


def test_inference_is_the_documented_formula(corpus: Corpus) -> None:
    model = load_model()
    s = features(
        "去年全市新建了多少座小型水库？",
        lexical_retrieval("去年全市新建了多少座小型水库？", corpus),
        corpus,
        DOC,
    )
    data = json.loads(packaged_model_path().read_text(encoding="utf-8"))
    values = np.array([s.values[n] for n in data["features"]])
    if data.get("kind", "logistic") == "stumps":
        # intercept + one step function per feature: values[i] above the i-th threshold
        score = data["intercept"]
        for name, v in zip(data["features"], values, strict=True):
            shape = data["shapes"][name]
            above = sum(np.float32(v) > t for t in shape["thresholds"])
            score += shape["values"][above]
    else:
        x = (values - data["mean"]) / np.array(data["scale"])
        score = float(x @ np.array(data["coef"])) + data["intercept"]
    z = data["calibration"]["a"] * score + data["calibration"]["b"]
    assert model.confidence(s) == pytest.approx(1 / (1 + math.exp(-z)), abs=1e-12)
    assert model.confidence(s) == model.confidence(s)  # deterministic


def test_outcomes_follow_the_two_thresholds() -> None:
    model = load_model()
    assert model.outcome(1.0) == "answered"
    assert model.outcome(model.answer_above) == "answered"
    assert model.outcome(0.0) == "refused" or model.refuse_below == 0.0
    mid = (model.refuse_below + model.answer_above) / 2
    if model.refuse_below < model.answer_above:
        assert model.outcome(mid) == "partial"
    # settings may override either threshold
    assert model.outcome(0.5, answer_above=0.6, refuse_below=0.4) == "partial"
    assert model.outcome(0.5, answer_above=0.4, refuse_below=0.3) == "answered"
    assert model.outcome(0.5, answer_above=0.9, refuse_below=0.6) == "refused"


def test_pinned_paragraphs_are_answered_with_full_confidence() -> None:
    s = Signals(dict.fromkeys(FEATURES, 0.0), pinned=True)
    assert load_model().confidence(s) == 1.0


def test_every_signal_zero_is_not_answered() -> None:
    s = Signals(dict.fromkeys(FEATURES, 0.0))
    model = load_model()
    assert model.outcome(model.confidence(s)) != "answered"


def test_a_broken_model_file_is_a_clear_error(tmp_path: Path) -> None:
    data = json.loads(packaged_model_path().read_text(encoding="utf-8"))
    data["kind"] = "logistic"  # a logistic model with one coefficient short
    data["mean"] = data["scale"] = [1.0] * len(data["features"])
    data["coef"] = [0.0] * (len(data["features"]) - 1)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid"):
        load_model(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_model(tmp_path / "missing.json")
    data = json.loads(packaged_model_path().read_text(encoding="utf-8"))
    data["thresholds"] = {"answer_above": 0.2, "refuse_below": 0.5}
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="thresholds"):
        Model.from_json(json.loads(bad.read_text(encoding="utf-8")), str(bad))
    data = json.loads(packaged_model_path().read_text(encoding="utf-8"))
    data["kind"] = "stumps"
    data["shapes"] = {n: {"thresholds": [0.5, 0.2], "values": [0, 1, 2]} for n in data["features"]}
    with pytest.raises(ConfigError, match="must increase"):
        Model.from_json(data, "bad.json")
    data["shapes"] = {n: {"thresholds": [0.5], "values": [0]} for n in data["features"]}
    with pytest.raises(ConfigError, match="one value more"):
        Model.from_json(data, "bad.json")
    data["kind"] = "forest"
    with pytest.raises(ConfigError, match="kind 'forest'"):
        Model.from_json(data, "bad.json")


def test_answering_never_imports_scikit_learn() -> None:
    code = (
        "import sys\n"
        "from rag.answerability import load_model, Signals, FEATURES\n"
        "import rag.service\n"
        "load_model().confidence(Signals(dict.fromkeys(FEATURES, 0.0)))\n"
        "assert 'sklearn' not in sys.modules, 'sklearn imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_stumps_model_sums_one_step_function_per_feature() -> None:
    shapes = {n: {"thresholds": [], "values": [0.0]} for n in FEATURES}
    shapes["cov_sentence"] = {"thresholds": [0.5], "values": [-1.0, 2.0]}
    shapes["number_absent"] = {"thresholds": [0.5], "values": [0.0, -3.0]}
    data = {
        "version": 1,
        "kind": "stumps",
        "features": list(FEATURES),
        "shapes": shapes,
        "intercept": 0.5,
        "calibration": {"a": 1.0, "b": 0.0},
        "thresholds": {"answer_above": 0.7, "refuse_below": 0.3},
    }
    model = Model.from_json(data)
    values = dict.fromkeys(FEATURES, 0.0)
    low = model.confidence(Signals(dict(values, cov_sentence=0.5)))  # at the threshold: left
    high = model.confidence(Signals(dict(values, cov_sentence=0.9)))
    absent = model.confidence(Signals(dict(values, cov_sentence=0.9, number_absent=1.0)))
    assert low == pytest.approx(1 / (1 + math.exp(-(0.5 - 1.0))))
    assert high == pytest.approx(1 / (1 + math.exp(-(0.5 + 2.0))))
    assert absent == pytest.approx(1 / (1 + math.exp(-(0.5 + 2.0 - 3.0))))
    assert Model.from_json(model.to_json()).to_json() == model.to_json()


@pytest.mark.parametrize(
    ("question", "attribute"),
    [
        ("河道治理的投资标准是多少？", "标准"),  # the noun before the interrogative
        ("水库的行政责任人是谁？", "责任人"),
        ("去年新建了多少座小型水库？", "水库"),  # the noun after it (the measure word skipped)
        ("水质检测由什么机构负责？", "机构"),
        ("全年投入水利资金多少亿元？", "资金"),  # a unit names no attribute
        ("防汛工作有什么情况？", None),  # nor does a contentless noun
        ("做好水利工作。", None),  # no interrogative
    ],
)
def test_asked_attribute_is_the_noun_naming_what_is_asked(
    question: str, attribute: str | None
) -> None:
    assert asked_attribute(question) == attribute


def test_an_attribute_the_speech_never_gives(corpus: Corpus) -> None:
    # The speech names the reservoirs' 责任人 but never a 标准 of anything.
    never = signals("小型水库的建设标准是什么？", corpus)
    assert never["attribute_absent"] == 1.0 and never["attribute_off"] == 0.0
    given = signals("去年全市新建了多少座小型水库？", corpus)
    assert given["attribute_absent"] == 0.0 and given["attribute_off"] == 0.0


def test_an_attribute_away_from_the_answering_sentence(corpus: Corpus) -> None:
    # 责任人 is in the document, not in the sentence about the new reservoirs' count.
    v = signals("去年新建的3座小型水库，行政责任人有多少名？", corpus)
    assert v["attribute_absent"] == 0.0 and v["attribute_off"] == 1.0
