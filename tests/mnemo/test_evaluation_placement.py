"""mnemo.evaluation.placement: placement errors of stored sightings against the simulator's true positions
(known offsets come back exactly), and the summary's quantiles against numpy's."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mnemo.evaluation.placement import placement_errors, summarise


def test_summary_quantiles_match_numpy():
    rng = np.random.default_rng(0)
    values = [float(v) for v in rng.exponential(0.5, 57)]
    got = summarise({"object": values, "person": []})
    assert got["object"]["median_m"] == pytest.approx(np.percentile(values, 50), abs=1e-3)
    assert got["object"]["p90_m"] == pytest.approx(np.percentile(values, 90), abs=1e-3)
    assert got["object"]["sightings"] == 57 and got["person"] == {"sightings": 0, "median_m": None, "p90_m": None}


def test_known_offsets_come_back(tmp_path):
    """Sightings on the truth's own boxes (frames twice the size), placed at the true position moved by
    0.3 m for things and not at all for people; unplaced sightings are left out."""
    from memory.perceived import Sighting, add_sightings
    from memory.store import MemoryStore
    from sim.episode import RenderConfig, simulate

    truth = simulate(7, 1.0, render=RenderConfig(128, 96, fps=2.0, observation_rate=2.0), speech="tones").truth
    rows, expected = [], {}
    for o in truth.observations:
        for k, e in enumerate(o.entities):
            kind = "person" if e.entity.startswith("person") else "object"
            off = 0.0 if kind == "person" else 0.3
            box = tuple(v * 2.0 for v in e.box)
            x, y = e.position
            rows.append(Sighting("s", o.time, k, kind, "thing", 0.9, x=x + off * math.cos(k), y=y + off * math.sin(k),
                                 box=box))
            rows.append(Sighting("s", o.time, 100 + k, kind, "thing", 0.9, box=box))  # not placed
            expected.setdefault(kind, []).append(off)
    assert len(expected) == 2
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream("s", "sim://x")
    add_sightings(store, rows)
    got = placement_errors(store, truth, (truth.width * 2, truth.height * 2), stream="s")
    assert set(got) == set(expected)
    for kind, errors in expected.items():
        assert sorted(got[kind]) == pytest.approx(sorted(errors), abs=1e-6)
    store.close()
