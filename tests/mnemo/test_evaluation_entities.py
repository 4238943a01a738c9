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


def test_stored_sightings_are_scored_against_the_true_boxes(tmp_path):
    """Sightings that are the truth's own boxes (scaled to the detector's frame), one entity per true
    thing, score 1; merging two things' entities lowers precision only; a box far from every true box
    is a false detection."""
    from memory.perceived import Sighting, add_sightings
    from memory.store import MemoryStore
    from mnemo.evaluation.entities import score_stored_entities
    from sim.episode import RenderConfig, simulate

    truth = simulate(7, 1.0, render=RenderConfig(128, 96, fps=2.0, observation_rate=2.0), speech="tones").truth
    ids: dict[str, int] = {}
    rows = []
    for o in truth.observations:
        for e in o.entities:
            entity = ids.setdefault(e.entity, len(ids) + 1)
            box = tuple(v * 2.0 for v in e.box)  # the detector saw frames twice the size
            rows.append(Sighting("s", o.time, entity, "person" if e.entity.startswith("person") else "object",
                                 "thing", 0.9, entity=entity, box=box))
    assert len(ids) >= 3
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream("s", "sim://x")
    add_sightings(store, rows)
    size = (truth.width * 2, truth.height * 2)
    perfect = score_stored_entities(store, truth, size)
    assert perfect["overall"]["f1"] == pytest.approx(1.0) and perfect["matched"] == len(rows)
    assert perfect["by_label"]["thing"]["f1"] == pytest.approx(1.0) and perfect["by_label"]["thing"]["sightings"] == len(rows)
    first, second = sorted(ids.values())[:2]
    store._conn.execute("UPDATE sightings SET entity = ? WHERE entity = ?", (first, second))
    store._conn.commit()
    merged = score_stored_entities(store, truth, size)["overall"]
    assert merged["precision"] < 1.0 and merged["recall"] == pytest.approx(1.0)
    add_sightings(store, [Sighting("s", truth.observations[0].time, 999, "object", "thing", 0.5, entity=999,
                                   box=(0.0, 0.0, 1.0, 1.0))])
    with_false = score_stored_entities(store, truth, size)
    assert with_false["matched"] == len(rows) and with_false["sightings"] == len(rows) + 1
    store.close()
