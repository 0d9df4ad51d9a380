"""Does the speech answer this? A calibrated probability, and what to do with it.

The decision is learned, not written per question. :func:`features` turns a question
and its retrieval into a few cheap signals that mean the same thing in any speech:
how much of the question's content (weighted by IDF) the best sentence, paragraph,
document and corpus hold; whether the question's most specific words or numbers are
absent from the document; whether a clause near the question's subject holds a value
of the kind asked for (a count, a date, a name, a place, a contact); how sure dense
and BM25 retrieval are and whether they agree; whether a list is asked for and found.

A small model over them (a logistic regression, or boosted stumps when they predict
unseen documents better), fitted and calibrated with cross-validation by document on
the tuning documents only (eval/answerability/fit.py), gives the
probability that the speech answers the question (:attr:`Model.confidence`). Two
thresholds chosen on the out-of-fold predictions split it into three outcomes:
``answered``, ``partial`` (the speech touches the question without answering it:
the closest verbatim passages, labelled so) and ``refused``.

Inference is a few lines of numpy over the JSON model file shipped with the package
(``rag/data/answerability.json``), so answering never imports scikit-learn.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ingest.parse import Paragraph
from speechqa.errors import ConfigError
from speechqa.text import fold, split_sentences, tokenize

from .answer_type import Slot, absent_topic, answer_slot, asked_attribute, has_unknown_number
from .corpus import Corpus
from .extractive import PARAGRAPHS_CONSIDERED, Coverage
from .retrieve import Hit, Retrieval

Outcome = Literal["answered", "partial", "refused"]
MODEL_FILE = "answerability.json"
MODEL_VERSION = 1  # "kind" absent: logistic

# The signals, in the order of the model's coefficients. Each is described in FEATURE_DOC.
FEATURE_DOC: dict[str, str] = {
    "cov_sentence": "IDF-weighted share of the question's content words in the best sentence "
    "of the top paragraphs",
    "cov_paragraph": "the same share in the best of the top paragraphs",
    "cov_document": "the same share in the whole document",
    "cov_corpus": "IDF share of the content words that the corpus vocabulary knows at all",
    "focus_absent": "IDF share of the focus terms (the three most specific content words) "
    "that the document never uses",
    "top_focus_absent": "1 when the most specific content word is absent from the document",
    "number_absent": "1 when a number or year of the question is absent from the document",
    "topic_absent": "1 when a topic named with 对/关于 … 有什么/如何 is absent from the document",
    "slot_asked": "1 when the question asks for a typed value (count, amount, date, year, "
    "person, place, contact)",
    "slot_missing_top": "1 when a typed value is asked for and no clause of the top "
    "paragraphs near a focus term holds one",
    "slot_missing_doc": "1 when a typed value is asked for and no clause of the whole "
    "document near a focus term holds one",
    "slot_cov_sentence": "when a typed value is asked for: the best coverage of the question "
    "by a sentence of the top paragraphs that holds such a value (0 if none does)",
    "slot_cov_clause": "the same for a clause holding the value together with the clause before it",
    "number_off_sentence": "1 when a number of the question (a year, 三期, 2号线) is in the "
    "document but not in the sentence that covers the question best",
    "number_off_value": "1 when a number of the question is not in the sentence of the best "
    "clause holding the asked kind of value",
    "plan_mismatch": "1 when the question asks for a plan or target and the paragraph of the "
    "best value clause states none, or the other way round",
    "attribute_absent": "1 when the noun naming what the question asks for (利率 in "
    "「贷款利率是多少」, 主任 in 「主任是谁」) is absent from the document",
    "attribute_off": "1 when that noun is in the document but not in the sentence that "
    "answers best (the best clause holding the asked kind of value, else the sentence "
    "covering the question best)",
    "quantity_in_question": "1 when the question itself holds a quantity (9人, 1.5亿元) and asks "
    "for another value: a part of a total the text gives",
    "dense_top": "cosine of the best dense hit",
    "dense_margin": "its margin over the next hit's cosine",
    "bm25_top": "BM25 score of the best lexical hit over the query's total IDF",
    "bm25_margin": "relative margin of the best BM25 score over the next",
    "agree": "1 when the best dense and the best BM25 paragraph are the same",
    "list_found": "1 when a list is asked for and the best paragraph has parallel items",
    "list_missing": "1 when a list is asked for and the best paragraph has none",
    "open_question": "1 for a how/why/what-is-required question (no single value asked for)",
    "quote_request": "1 when the question asks for the original wording",
    "n_words": "log(1 + number of content words of the question)",
}
FEATURES: tuple[str, ...] = tuple(FEATURE_DOC)

_CLAUSE_SPLIT = re.compile(r"[，,；;：:。！？!?]")
_FOCUS = 3
# Questions that ask for several items, and paragraphs that hold parallel ones.
_ASKS_LIST = re.compile(r"哪些|哪几|几个方面|几方面|几点|几项|包括|分别")
_PARALLEL = re.compile(
    r"(?:一是|二是|三是)|(?:第一|第二|第三)[，,、]|(?:首先|其次|再次)[，,]|"
    r"[（(][一二三四五六七八九十\d][）)]|(?:^|[。；;])\s*\d[.、．]"
)
_ENUMERATION = re.compile(r"[^，,。；;：:、]{1,12}(?:、[^，,。；;：:、]{1,12}){2,}")
_OPEN = re.compile(r"怎么|怎样|如何|为什么|为何|什么要求|哪些要求|什么部署|哪些措施|什么意义")
_QUOTE_REQUEST = re.compile(r"原文|原话|原句|引用|摘录|怎么说")
_CLAUSE_END = re.compile(r"[，,；;：:]")
# Plans and targets (what is to be done) as opposed to results (what was done).
_ASKS_PLAN = re.compile(r"目标|计划|预期|力争|打算|预计|将要|拟")
_STATES_PLAN = re.compile(r"目标|计划|预期|力争|确保|争取|预计|将")
# Numbers that qualify what is asked: digits, and Chinese numerals before a period/batch word.
_QUESTION_NUMBER = re.compile(r"\d+(?:\.\d+)?|[一二三四五六七八九十两]+(?=[期批号届轮])")
_QUANTITY = re.compile(
    r"\d+(?:\.\d+)?\s*[万亿]?[个名人次起项条家所位场批篇座台元张份辆处件部支队吨亩户套]"
)


@dataclass(frozen=True)
class Signals:
    """The feature values of one question, and whether the outline pinned its paragraphs."""

    values: dict[str, float]
    pinned: bool = False

    def vector(self, names: Sequence[str] = FEATURES) -> np.ndarray:
        return np.array([self.values[n] for n in names], dtype=np.float64)


def features(question: str, retrieval: Retrieval, corpus: Corpus, doc_id: str) -> Signals:
    """The signals of ``question`` (standalone) given its retrieval, about ``doc_id``."""
    hits = [h for h in retrieval.hits if h.doc_id == doc_id]
    pinned = any(h.pinned for h in hits)
    cov = Coverage(question, corpus)
    document = corpus.docs[doc_id]
    folded_doc = fold(document.text).text
    top = [p for p in (corpus.paragraph(doc_id, h.n) for h in hits) if p is not None]
    top = top[:PARAGRAPHS_CONSIDERED]
    v: dict[str, float] = dict.fromkeys(FEATURES, 0.0)

    sentences = [p.text[a:b] for p in top for a, b in split_sentences(p.text)]
    covered = [(cov(t), t) for t in sentences]
    best_cov, best_sentence = max(covered, default=(0.0, ""))
    v["cov_sentence"] = best_cov
    v["cov_paragraph"] = max((cov(p.text) for p in top), default=0.0)
    v["cov_document"] = cov(document.text)
    known = sum(idf for w, idf, _, _ in cov.words if corpus.knows(w))
    v["cov_corpus"] = known / cov.total if cov.words else 0.0

    focus = sorted((w for w in cov.words if len(w[2]) >= 2), key=lambda w: -w[1])[:_FOCUS]
    focus_idf = sum(idf for _, idf, _, _ in focus)
    if focus:
        absent = sum(idf for _, idf, fw, _ in focus if fw not in folded_doc)
        v["focus_absent"] = absent / focus_idf if focus_idf else 0.0
        v["top_focus_absent"] = float(focus[0][2] not in folded_doc)
    v["number_absent"] = float(has_unknown_number(cov.folded_words, folded_doc))
    v["topic_absent"] = float(absent_topic(question, folded_doc) is not None)
    numbers = _QUESTION_NUMBER.findall(fold(question).text)
    in_best = fold(best_sentence).text
    v["number_off_sentence"] = float(any(n in folded_doc and n not in in_best for n in numbers))

    # The sentence that answers best: the best covering one, or the sentence of the best
    # clause holding the asked kind of value (below).
    answering = best_sentence
    slot = answer_slot(question)
    if slot is not None:
        v["slot_asked"] = 1.0
        v["slot_missing_top"] = float(not slot_filled(slot, cov, top))
        v["slot_missing_doc"] = float(not slot_filled(slot, cov, document.paragraphs))
        windows = [(cov(w), w, sent, par) for w, sent, par in _value_windows(slot, top)]
        v["slot_cov_sentence"] = max((cov(sent) for _, _, sent, _ in windows), default=0.0)
        if windows:
            best_window = max(windows, key=lambda w: w[0])
            if best_window[0] > 0:
                answering = best_window[2]  # the sentence of the best value clause
            v["slot_cov_clause"] = best_window[0]
            in_value = fold(best_window[2]).text
            v["number_off_value"] = float(any(n not in in_value for n in numbers))
            stated = _STATES_PLAN.search(best_window[3]) is not None
            v["plan_mismatch"] = float(stated != (_ASKS_PLAN.search(question) is not None))
        v["quantity_in_question"] = float(_QUANTITY.search(question) is not None)

    attribute = asked_attribute(question)  # already folded, as the question it comes from
    if attribute is not None:
        v["attribute_absent"] = float(attribute not in folded_doc)
        v["attribute_off"] = float(
            attribute in folded_doc and attribute not in fold(answering).text
        )

    v.update(_retrieval_signals(retrieval.query, hits, corpus))

    if _ASKS_LIST.search(question):
        listed = bool(top) and has_parallel_items(top[0].text)
        v["list_found" if listed else "list_missing"] = 1.0
    v["open_question"] = float(slot is None and _OPEN.search(question) is not None)
    v["quote_request"] = float(_QUOTE_REQUEST.search(question) is not None)
    v["n_words"] = math.log1p(len(cov.words))
    return Signals(v, pinned)


def _retrieval_signals(query: str, hits: list[Hit], corpus: Corpus) -> dict[str, float]:
    dense = sorted((h.dense for h in hits), reverse=True)
    lexical = sorted((h.lexical for h in hits), reverse=True)
    # What a paragraph holding every query token once, at average length, would score.
    scale = sum(corpus.idf(t) for t in tokenize(query)) or 1.0
    best_dense = min(hits, key=lambda h: h.dense_rank or 10**9, default=None)
    best_lexical = min(hits, key=lambda h: h.lexical_rank or 10**9, default=None)
    return {
        "dense_top": dense[0] if dense else 0.0,
        "dense_margin": dense[0] - dense[1] if len(dense) > 1 else 0.0,
        "bm25_top": lexical[0] / scale if lexical else 0.0,
        "bm25_margin": (lexical[0] - lexical[1]) / lexical[0]
        if len(lexical) > 1 and lexical[0] > 0
        else 0.0,
        "agree": float(
            best_dense is not None
            and best_dense is best_lexical
            and best_dense.dense_rank == 1
            and best_dense.lexical_rank == 1
        ),
    }


def _value_windows(slot: Slot, paragraphs: Sequence[Paragraph]) -> Iterator[tuple[str, str, str]]:
    """(window, its sentence, its paragraph) for each clause that holds a value of the
    asked kind; the window is the clause with the one before it (Chinese often names
    the subject there: 全年新建高标准农田12.6万亩，累计建成138万亩)."""
    for p in paragraphs:
        for a, b in split_sentences(p.text):
            sentence = p.text[a:b]
            bounds = [0, *(m.end() for m in _CLAUSE_END.finditer(sentence)), len(sentence)]
            clauses = [sentence[x:y] for x, y in itertools.pairwise(bounds) if y > x]
            for i, clause in enumerate(clauses):
                if slot(clause):
                    yield "".join(clauses[max(0, i - 1) : i + 1]), sentence, p.text


def slot_filled(slot: Slot, cov: Coverage, paragraphs: Sequence[Paragraph]) -> bool:
    """A clause of ``paragraphs`` holds a value of the asked kind next to what the
    question is about: one of its two most specific (highest-IDF) words found there."""
    text = "".join(fold(p.text).text for p in paragraphs)
    ranked = sorted(cov.words, key=lambda w: -w[1])
    focus = [fw for _, _, fw, _ in ranked if len(fw) >= 2 and fw in text][:2]
    for p in paragraphs:
        if focus and not any(f in fold(p.text).text for f in focus):
            continue
        for clause in _CLAUSE_SPLIT.split(p.text):
            folded = fold(clause).text
            if (not focus or any(f in folded for f in focus)) and slot(clause):
                return True
    return False


def has_parallel_items(text: str) -> bool:
    """Enumerated points (一是…二是…, 第一，…, （一）…) or a run of three 、-items."""
    return _PARALLEL.search(text) is not None or _ENUMERATION.search(text) is not None


# ---- the model ---------------------------------------------------------------------


ModelKind = Literal["logistic", "stumps"]
MODEL_KINDS: tuple[ModelKind, ...] = ("logistic", "stumps")


@dataclass(frozen=True)
class Shape:
    """One feature's additive step function in a boosted-stumps model: ``values[i]`` for
    the feature in (thresholds[i-1], thresholds[i]] (``values[0]`` at or below the first
    threshold, ``values[-1]`` above the last)."""

    thresholds: np.ndarray
    values: np.ndarray

    def __call__(self, x: float) -> float:
        # the stumps were fitted on float32 features: compare as they were compared
        i = int(np.searchsorted(self.thresholds, np.float32(x), side="left"))
        return float(self.values[i])


@dataclass(frozen=True)
class Model:
    """A score over the signals plus a Platt recalibration of it:
    confidence = sigmoid(a · score + b), where score is either

    * ``logistic``: w · (x − mean) / scale + intercept (a standardised logistic
      regression), or
    * ``stumps``: intercept + Σ_f shape_f(x_f) (gradient-boosted stumps, summed per
      feature into one step function each: every feature's effect can be read off).
    """

    names: tuple[str, ...]
    intercept: float
    calibration: tuple[float, float]
    answer_above: float  # confidence ≥ this: answered
    refuse_below: float  # confidence < this: refused; in between: partial
    kind: ModelKind = "logistic"
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: np.ndarray = field(default_factory=lambda: np.zeros(0))
    coef: np.ndarray = field(default_factory=lambda: np.zeros(0))
    shapes: tuple[Shape, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict)

    def score(self, vector: np.ndarray) -> float:
        """The uncalibrated score (a log-odds) of a signal vector in ``names`` order."""
        if self.kind == "stumps":
            return self.intercept + sum(
                shape(v) for shape, v in zip(self.shapes, vector, strict=True)
            )
        x = (vector - self.mean) / self.scale
        return float(x @ self.coef) + self.intercept

    def confidence(self, signals: Signals) -> float:
        if signals.pinned:
            return 1.0  # named by its place in the outline: the paragraph exists
        a, b = self.calibration
        z = a * self.score(signals.vector(self.names)) + b
        return 1.0 / (1.0 + math.exp(-z))

    def thresholds(
        self, answer_above: float | None = None, refuse_below: float | None = None
    ) -> tuple[float, float]:
        """(answer_above, refuse_below): the model's, or the settings' overrides."""
        return (
            self.answer_above if answer_above is None else answer_above,
            self.refuse_below if refuse_below is None else refuse_below,
        )

    def outcome(
        self,
        confidence: float,
        answer_above: float | None = None,
        refuse_below: float | None = None,
    ) -> Outcome:
        above, below = self.thresholds(answer_above, refuse_below)
        if confidence >= above:
            return "answered"
        return "partial" if confidence >= below else "refused"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": MODEL_VERSION,
            "kind": self.kind,
            "features": list(self.names),
            "feature_doc": {n: FEATURE_DOC.get(n, "") for n in self.names},
        }
        if self.kind == "stumps":
            data["shapes"] = {
                n: {
                    "thresholds": [float(t) for t in s.thresholds],
                    "values": [float(v) for v in s.values],
                }
                for n, s in zip(self.names, self.shapes, strict=True)
            }
        else:
            data["mean"] = [float(x) for x in self.mean]
            data["scale"] = [float(x) for x in self.scale]
            data["coef"] = [float(x) for x in self.coef]
        data.update(
            {
                "intercept": float(self.intercept),
                "calibration": {"a": self.calibration[0], "b": self.calibration[1]},
                "thresholds": {
                    "answer_above": self.answer_above,
                    "refuse_below": self.refuse_below,
                },
                "provenance": self.provenance,
            }
        )
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str = "model") -> Model:
        try:
            if data["version"] != MODEL_VERSION:
                raise ValueError(f"version {data['version']}, expected {MODEL_VERSION}")
            kind = data.get("kind", "logistic")
            if kind not in MODEL_KINDS:
                raise ValueError(f"kind {kind!r}, expected one of {', '.join(MODEL_KINDS)}")
            names = tuple(str(n) for n in data["features"])
            unknown = [n for n in names if n not in FEATURE_DOC]
            if unknown:
                raise ValueError(f"unknown feature {unknown[0]!r}")
            t = data["thresholds"]
            common: dict[str, Any] = {
                "names": names,
                "kind": kind,
                "intercept": float(data["intercept"]),
                "calibration": (float(data["calibration"]["a"]), float(data["calibration"]["b"])),
                "answer_above": float(t["answer_above"]),
                "refuse_below": float(t["refuse_below"]),
                "provenance": dict(data.get("provenance", {})),
            }
            if kind == "stumps":
                model = cls(**common, shapes=tuple(_shape(data["shapes"][n]) for n in names))
            else:
                arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
                if any(a.shape != (len(names),) for a in arrays) or not np.all(arrays[1] > 0):
                    raise ValueError(
                        "mean, scale and coef must have one positive-scale entry a feature"
                    )
                model = cls(**common, mean=arrays[0], scale=arrays[1], coef=arrays[2])
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"answerability model {where} is not valid ({exc}); retrain it with "
                "'speechqa train-answerability' or unset SPEECHQA_ANSWER_MODEL_FILE.",
                zh=f"可答性模型 {where} 无效（{exc}）；请用 'speechqa train-answerability' "
                "重新训练，或取消 SPEECHQA_ANSWER_MODEL_FILE。",
            ) from None
        if not 0 <= model.refuse_below <= model.answer_above <= 1:
            raise ConfigError(
                f"answerability model {where}: thresholds must satisfy 0 ≤ refuse_below ≤ "
                "answer_above ≤ 1; retrain it with 'speechqa train-answerability'.",
                zh=f"可答性模型 {where}：阈值须满足 0 ≤ refuse_below ≤ answer_above ≤ 1；"
                "请用 'speechqa train-answerability' 重新训练。",
            )
        return model


def _shape(data: Mapping[str, Any]) -> Shape:
    thresholds = np.asarray(data["thresholds"], dtype=np.float64)
    values = np.asarray(data["values"], dtype=np.float64)
    if thresholds.ndim != 1 or values.shape != (len(thresholds) + 1,):
        raise ValueError("a shape needs one value more than it has thresholds")
    if np.any(np.diff(thresholds) <= 0):
        raise ValueError("a shape's thresholds must increase")
    return Shape(thresholds, values)


def packaged_model_path() -> Path:
    return Path(str(resources.files("rag") / "data" / MODEL_FILE))


@functools.lru_cache(maxsize=4)
def load_model(path: Path | None = None) -> Model:
    """The model file (default: the packaged one), read once per process."""
    where = Path(path) if path is not None else packaged_model_path()
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"answerability model {where} does not exist; check SPEECHQA_ANSWER_MODEL_FILE.",
            zh=f"可答性模型 {where} 不存在；请检查 SPEECHQA_ANSWER_MODEL_FILE。",
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"cannot read answerability model {where} ({exc}); check the file or unset "
            "SPEECHQA_ANSWER_MODEL_FILE.",
            zh=f"无法读取可答性模型 {where}（{exc}）；请检查该文件，或取消 "
            "SPEECHQA_ANSWER_MODEL_FILE。",
        ) from None
    return Model.from_json(data, str(where))
