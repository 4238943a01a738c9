"""mnemo.evaluation.entities: B-cubed against hand-worked cases and a brute-force pairwise oracle."""

from __future__ import annotations

import numpy as np
import pytest

from mnemo.evaluation.entities import bcubed

TRUE = {"a": "x", "b": "x", "c": "y", "d": "y"}


@pytest.mark.parametrize("predicted, precision, recall", [
    ({"a": 1, "b": 1, "c": 2, "d": 2}, 1.0, 1.0),  # perfect (cluster names do not matter)
    ({"a": 1, "b": 1, "c": 1, "d": 1}, 0.5, 1.0),  # everything merged
    ({"a": 1, "b": 2, "c": 3, "d": 4}, 1.0, 0.5),  # everything split
    ({"a": 1, "b": 1, "c": 1, "d": 2}, (2 / 3 * 2 + 1 / 3 + 1) / 4, (1 + 1 + 0.5 + 0.5) / 4),
])
def test_hand_worked_cases(predicted, precision, recall):
    s = bcubed(predicted, TRUE)
    assert s.precision == pytest.approx(precision) and s.recall == pytest.approx(recall)
    assert s.f1 == pytest.approx(2 * precision * recall / (precision + recall))


def test_against_pairwise_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(1, 30))
        pred = {i: int(rng.integers(0, 5)) for i in range(n)}
        true = {i: int(rng.integers(0, 5)) for i in range(n)}
        p = np.mean([sum(pred[j] == pred[i] and true[j] == true[i] for j in range(n))
                     / sum(pred[j] == pred[i] for j in range(n)) for i in range(n)])
        r = np.mean([sum(pred[j] == pred[i] and true[j] == true[i] for j in range(n))
                     / sum(true[j] == true[i] for j in range(n)) for i in range(n)])
        s = bcubed(pred, true)
        assert s.precision == pytest.approx(p) and s.recall == pytest.approx(r)


def test_no_shared_item_is_an_error():
    with pytest.raises(ValueError, match="share no item"):
        bcubed({"a": 1}, {"b": 1})
