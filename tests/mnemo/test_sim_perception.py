"""Feeding a memory from the sim perception backend: colours from pixels, what is stored, no truth."""

from __future__ import annotations

import numpy as np
import pytest

from memory import perceived
from memory.store import MemoryStore
from mnemo.evaluation.sim_perception import colour_name, feed_sim_perception
from sim import load_truth, render_episode
from sim.catalogue import COLOURS


ACHROMATIC = ("white", "grey", "black")  # told apart by brightness only: read at full light
CASES = [(n, g) for n in sorted(COLOURS) for g in ((1.0,) if n in ACHROMATIC else (0.5, 0.8, 1.0))]


@pytest.mark.parametrize("name, gain", CASES)
def test_colour_name_under_room_light(name, gain):
    rng = np.random.default_rng(0)
    patch = np.clip(gain * np.asarray(COLOURS[name], float) + rng.normal(0, 3, (200, 3)), 0, 255)
    if name == "black":
        assert colour_name(patch) == "black"
    else:
        assert colour_name(patch) == name


def test_colour_name_of_nothing():
    assert colour_name(np.zeros((0, 3))) == ""


@pytest.mark.slow
def test_feed_stores_perception_not_truth(tmp_path):
    files = render_episode(7, 0.4, tmp_path / "episode", bag=False, overwrite=True, name="episode")
    truth = load_truth(files.truth)
    store = MemoryStore(tmp_path / "memory", create=True)
    store.add_stream("s", str(files.video))
    counts = feed_sim_perception(store, truth, files.video, "s", seed=7)
    rows = perceived.sightings(store)
    assert counts["sightings"] == len(rows) > 0 and counts["areas"] == len(truth.rooms)
    assert len(store.poses("s")) == counts["poses"] and len(perceived.heard(store)) == counts["heard"]
    assert {r[4] for r in rows} <= {"person", "object", "furniture"}
    columns = [c[1] for c in store._conn.execute("PRAGMA table_info(sightings)")]
    assert not any("true" in c or "truth" in c for c in columns)  # nothing of the truth is kept
    labelled = [r for r in rows if r[4] == "object"]
    assert labelled and np.mean([r[6] != "" for r in labelled]) > 0.5
    store.close()
