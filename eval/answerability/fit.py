"""Fitting the answerability model from the feature table (scikit-learn, dev only).

* Logistic regression on standardised features; its strength C is picked from a small
  grid by log loss of leave-one-document-out predictions (the groups of the table).
* Platt recalibration: a one-feature logistic regression from the out-of-fold logits to
  the labels, so the confidence is calibrated for documents the model has not seen.
* The final model is fitted on every tuning row; the thresholds are chosen on the
  out-of-fold confidences (see :func:`choose_thresholds`).

Rows whose paragraphs the outline pinned are answered by the structure resolver with
confidence 1 and are left out of the fit (they still count in the decision numbers).
Deterministic: the same table gives the same model.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.answerability import FEATURES, Model

C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
# The targets the thresholds must respect on the out-of-fold predictions.
FALSE_REFUSAL_BUDGET = 0.05  # share of answerable questions refused
PARTIAL_BUDGET = 0.10  # share of answerable questions answered "partial"


@dataclass
class Table:
    x: np.ndarray
    y: np.ndarray  # 1 = the document answers it
    groups: np.ndarray
    pinned: np.ndarray
    setting: np.ndarray
    kind: np.ndarray
    names: tuple[str, ...]

    @classmethod
    def from_rows(cls, rows: Sequence[dict[str, str]], names: Sequence[str] = FEATURES) -> Table:
        return cls(
            x=np.array([[float(r[n]) for n in names] for r in rows], dtype=np.float64),
            y=np.array([int(r["answerable"]) for r in rows]),
            groups=np.array([r["group"] for r in rows]),
            pinned=np.array([int(r["pinned"]) == 1 for r in rows]),
            setting=np.array([r["setting"] for r in rows]),
            kind=np.array([r["kind"] for r in rows]),
            names=tuple(names),
        )


def _pipeline(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))


def out_of_fold_logits(x: np.ndarray, y: np.ndarray, groups: np.ndarray, c: float) -> np.ndarray:
    """Decision values of each row from a model fitted without its document."""
    from sklearn.model_selection import LeaveOneGroupOut

    z = np.zeros(len(y))
    for train, test in LeaveOneGroupOut().split(x, y, groups):
        if len(set(y[train])) < 2:
            raise ValueError("a fold without both answerable and unanswerable questions")
        z[test] = _pipeline(c).fit(x[train], y[train]).decision_function(x[test])
    return z


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    cal = LogisticRegression(C=1e6, max_iter=5000).fit(z.reshape(-1, 1), y)
    return float(cal.coef_[0][0]), float(cal.intercept_[0])


def choose_thresholds(
    conf: np.ndarray,
    y: np.ndarray,
    false_budget: float = FALSE_REFUSAL_BUDGET,
    partial_budget: float = PARTIAL_BUDGET,
) -> tuple[float, float]:
    """(refuse_below, answer_above) on out-of-fold confidences.

    refuse_below: the most unanswerable questions refused while at most ``false_budget``
    of the answerable ones are (ties: fewer false refusals, then the lower threshold).
    answer_above: the highest value at which at most ``partial_budget`` of the answerable
    questions fall between the two (more unanswerable ones shown as partial, not answered).
    Thresholds sit halfway between neighbouring confidences."""
    values = np.unique(conf)
    cuts = np.concatenate([[0.0], (values[1:] + values[:-1]) / 2, [1.0]])
    pos, neg = conf[y == 1], conf[y == 0]
    best: tuple[float, float, float] | None = None
    for t in cuts:
        false = float(np.mean(pos < t)) if len(pos) else 0.0
        correct = float(np.mean(neg < t)) if len(neg) else 0.0
        if false > false_budget:
            continue
        key = (correct, -false, -t)
        if best is None or key > best:
            best = key
    refuse = -best[2] if best else 0.0
    answer = refuse
    for t in cuts:
        if t < refuse:
            continue
        partial = float(np.mean((pos >= refuse) & (pos < t))) if len(pos) else 0.0
        if partial <= partial_budget:
            answer = max(answer, float(t))
    return round(float(refuse), 6), round(float(answer), 6)


def decision_numbers(
    conf: np.ndarray, y: np.ndarray, refuse: float, answer: float
) -> dict[str, float | int | None]:
    """Outcome shares of a set of confidences under the two thresholds."""
    pos, neg = conf[y == 1], conf[y == 0]

    def share(mask: np.ndarray) -> float | None:
        return round(float(np.mean(mask)), 4) if len(mask) else None

    return {
        "n_answerable": len(pos),
        "n_unanswerable": len(neg),
        "refusal_correct": share(neg < refuse),
        "refusal_false": share(pos < refuse),
        "partial_answerable": share((pos >= refuse) & (pos < answer)),
        "partial_unanswerable": share((neg >= refuse) & (neg < answer)),
        "answered_unanswerable": share(neg >= answer),
    }


def auc(conf: np.ndarray, y: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(y, conf)), 4) if len(set(y)) == 2 else None


def fit(rows: Sequence[dict[str, str]], table_sha256: str, source: str) -> Model:
    """The model of a feature table, with its provenance."""
    import sklearn

    t = Table.from_rows(rows)
    fitted = ~t.pinned
    x, y, groups = t.x[fitted], t.y[fitted], t.groups[fitted]
    losses = {}
    for c in C_GRID:
        z = out_of_fold_logits(x, y, groups, c)
        losses[c] = _log_loss(y, _sigmoid(z))
    c_best = min(C_GRID, key=lambda c: (round(losses[c], 9), c))
    z_oof = out_of_fold_logits(x, y, groups, c_best)
    a, b = platt(z_oof, y)
    final = _pipeline(c_best).fit(x, y)
    scaler, lr = final.steps[0][1], final.steps[1][1]

    conf = np.ones(len(t.y))  # pinned rows: confidence 1
    conf[fitted] = _sigmoid(a * z_oof + b)
    refuse, answer = choose_thresholds(conf, t.y)
    cv: dict[str, Any] = {
        "method": "leave-one-document-out over the tuning documents (archive questions no "
        "document answers form their own group); pinned rows count as confidence 1",
        "auc": auc(conf, t.y),
        "log_loss": round(_log_loss(t.y[fitted], conf[fitted]), 4),
        "brier": round(float(np.mean((conf[fitted] - t.y[fitted]) ** 2)), 4),
        "all": decision_numbers(conf, t.y, refuse, answer),
        "by_setting": {
            s: decision_numbers(conf[t.setting == s], t.y[t.setting == s], refuse, answer)
            for s in sorted(set(t.setting))
        },
        "by_document": {
            g: decision_numbers(conf[t.groups == g], t.y[t.groups == g], refuse, answer)
            for g in sorted(set(t.groups))
        },
        "log_loss_by_C": {str(c): round(v, 4) for c, v in losses.items()},
    }
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    return Model(
        names=t.names,
        mean=np.round(scaler.mean_, 10),
        scale=np.round(scale, 10),
        coef=np.round(lr.coef_[0], 10),
        intercept=round(float(lr.intercept_[0]), 10),
        calibration=(round(a, 10), round(b, 10)),
        answer_above=answer,
        refuse_below=refuse,
        provenance={
            "training_table": source,
            "training_table_sha256": table_sha256,
            "date": dt.date.today().isoformat(),
            "rows": len(t.y),
            "rows_fitted": int(fitted.sum()),
            "answerable": int(t.y.sum()),
            "unanswerable": int(len(t.y) - t.y.sum()),
            "documents": sorted(set(t.groups)),
            "C": c_best,
            "scikit_learn": sklearn.__version__,
            "thresholds": f"refuse_below: most correct refusals with at most "
            f"{FALSE_REFUSAL_BUDGET:.0%} false refusals; answer_above: highest value with at "
            f"most {PARTIAL_BUDGET:.0%} of answerable questions partial; both on the "
            "out-of-fold confidences below",
            "cv": cv,
        },
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
