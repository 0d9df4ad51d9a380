"""The answerability model is reproducible: fitting the shipped feature table gives the
shipped model (only the training date may differ); the command line does the same."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eval.answerability.collect import read_table
from eval.answerability.commands import DEFAULT_TABLE
from eval.answerability.fit import choose_thresholds, fit, sha256_of
from rag.answerability import packaged_model_path


def _without_date(data: dict) -> dict:
    data = json.loads(json.dumps(data))
    data["provenance"].pop("date")
    return data


def _assert_same(a: dict, b: dict) -> None:
    assert a["kind"] == b["kind"]
    for key in ("mean", "scale", "coef"):  # a logistic model
        if key in a or key in b:
            np.testing.assert_allclose(a.pop(key), b.pop(key), rtol=1e-6, atol=1e-8)
    if "shapes" in a or "shapes" in b:  # a stumps model
        shapes_a, shapes_b = a.pop("shapes"), b.pop("shapes")
        assert shapes_a.keys() == shapes_b.keys()
        for name, shape in shapes_a.items():
            for key in ("thresholds", "values"):
                np.testing.assert_allclose(
                    shape[key], shapes_b[name][key], rtol=1e-6, atol=1e-8, err_msg=name
                )
    assert a["intercept"] == pytest.approx(b.pop("intercept"), abs=1e-8)
    a.pop("intercept")
    for key in ("a", "b"):
        assert a["calibration"][key] == pytest.approx(b["calibration"][key], abs=1e-6)
    a.pop("calibration"), b.pop("calibration")
    assert a == b


def test_fit_reproduces_the_shipped_model_from_the_shipped_table() -> None:
    shipped = json.loads(packaged_model_path().read_text(encoding="utf-8"))
    assert shipped["provenance"]["training_table_sha256"] == sha256_of(DEFAULT_TABLE)
    model = fit(
        read_table(DEFAULT_TABLE), sha256_of(DEFAULT_TABLE), "eval/answerability/features.csv"
    )
    _assert_same(_without_date(model.to_json()), _without_date(shipped))


def test_train_command_from_table_writes_the_same_model(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "model.json"
    done = cli("train-answerability", "--from-table", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "refuse_below" in done.stdout
    shipped = json.loads(packaged_model_path().read_text(encoding="utf-8"))
    _assert_same(_without_date(json.loads(out.read_text(encoding="utf-8"))), _without_date(shipped))


def test_thresholds_respect_the_budgets() -> None:
    y = np.array([1] * 20 + [0] * 10)
    conf = np.concatenate([np.linspace(0.3, 1.0, 20), np.linspace(0.0, 0.6, 10)])
    refuse, answer = choose_thresholds(conf, y, false_budget=0.05, partial_budget=0.10)
    pos, neg = conf[y == 1], conf[y == 0]
    assert np.mean(pos < refuse) <= 0.05
    assert np.mean((pos >= refuse) & (pos < answer)) <= 0.10
    assert refuse <= answer
    # the most unanswerable questions refused within the budget: the next cut up would
    # refuse a second answerable question
    assert np.mean(neg < refuse) == pytest.approx(np.mean(neg < pos[1]))
